//! The step itself, written in the file's own layout, and the same step as
//! data for verification.

use super::jobs::{ACTION, Site};
use crate::diagnostics::InsertedItem;
use crate::resolve::Pin;

/// What harden-runner is asked to do: record, never block. Blocking needs
/// an allow-list of endpoints that only the workflow's owner can write.
pub const EGRESS_POLICY: &str = "audit";

/// The lines inserted at `site.at`: a block-style step at the first step's
/// columns, ending in `nl` (the file's line ending).
///
/// ```yaml
/// - uses: step-security/harden-runner@<sha> # v2.10.1
///   with:
///     egress-policy: audit
/// ```
pub fn lines(site: &Site, pin: &Pin, nl: &str) -> String {
    let dash = " ".repeat(site.dash);
    let gap = " ".repeat(site.content.saturating_sub(site.dash + 1).max(1));
    let key = " ".repeat(site.content);
    let inner = " ".repeat(site.content + site.unit);
    format!(
        "{dash}-{gap}uses: {ACTION}@{commit} # {version}{nl}\
         {key}with:{nl}\
         {inner}egress-policy: {EGRESS_POLICY}{nl}",
        commit = pin.commit,
        version = pin.comment,
    )
}

/// What verification lets the insertion at `site` add: this step, first in
/// the job's steps, and nothing else.
pub fn allowed_item(site: &Site, pin: &Pin) -> InsertedItem {
    InsertedItem {
        seq: vec!["jobs".into(), site.job.clone(), "steps".into()],
        index: 0,
        item: format!(
            "uses: {ACTION}@{}\nwith:\n  egress-policy: {EGRESS_POLICY}\n",
            pin.commit
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> Pin {
        Pin {
            commit: "c".repeat(40),
            comment: "v2.10.1".into(),
            ambiguous: false,
            branch: false,
        }
    }

    #[test]
    fn follows_columns_and_line_endings() {
        let site = Site {
            job: "a".into(),
            at: 0,
            line: 1,
            dash: 12,
            content: 16,
            unit: 4,
        };
        let sha = "c".repeat(40);
        assert_eq!(
            lines(&site, &pin(), "\r\n"),
            format!(
                "            -   uses: step-security/harden-runner@{sha} # v2.10.1\r\n                with:\r\n                    egress-policy: audit\r\n"
            )
        );
    }
}
