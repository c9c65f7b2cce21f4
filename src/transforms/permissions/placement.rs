//! Where a `permissions:` block goes and how it is written, in the file's
//! own style: its line endings, its indentation width, block or flow.

use tree_sitter::Node;

use super::scopes::ScopeSet;
use crate::diagnostics::Edit;
use crate::yaml::YamlDoc;
use crate::yaml::layout::{line_ending, line_start_before};

/// The file's indentation step: how far the first job is indented under `jobs:`.
pub fn indent_unit(jobs_pair: Node<'_>, first_job_pair: Option<Node<'_>>) -> usize {
    first_job_pair
        .map(|j| {
            j.start_position()
                .column
                .saturating_sub(jobs_pair.start_position().column)
        })
        .filter(|u| (1..=8).contains(u))
        .unwrap_or(2)
}

/// Is the line just above `at` blank?
fn blank_line_above(text: &str, at: usize) -> bool {
    if at == 0 {
        return false;
    }
    let prev_start = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
    text[prev_start..at].trim().is_empty()
}

/// Insert `permissions:` with `scopes` before `pair` (a key of the same
/// mapping). `top_level` blocks keep the blank-line separation of the file.
pub fn insert_block(
    doc: &YamlDoc,
    pair: Node<'_>,
    scopes: &ScopeSet,
    unit: usize,
    top_level: bool,
) -> Option<Edit> {
    let text = &doc.text;
    if crate::yaml::in_flow(pair) {
        let body: Vec<String> = scopes
            .0
            .iter()
            .map(|(s, g)| format!("{s}: {}", g.level.as_str()))
            .collect();
        return Some(Edit::insert(
            pair.start_byte(),
            format!("permissions: {{{}}}, ", body.join(", ")),
        ));
    }
    let at = line_start_before(text, pair)?;
    let nl = line_ending(text);
    let col = " ".repeat(pair.start_position().column);
    let inner = " ".repeat(pair.start_position().column + unit);
    let mut block = String::new();
    if scopes.is_empty() {
        block.push_str(&format!("{col}permissions: {{}}{nl}"));
    } else {
        block.push_str(&format!("{col}permissions:{nl}"));
        for (scope, g) in &scopes.0 {
            let comment = scopes.comment(scope);
            let comment = if comment.is_empty() || top_level {
                String::new()
            } else {
                format!(" # {comment}")
            };
            block.push_str(&format!(
                "{inner}{scope}: {}{comment}{nl}",
                g.level.as_str()
            ));
        }
    }
    if top_level && blank_line_above(text, at) {
        block.push_str(nl);
    }
    Some(Edit::insert(at, block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply_edits;
    use crate::transforms::permissions::scopes::Level;
    use crate::yaml::pairs;

    fn set(pairs: &[(&str, Level, &str)]) -> ScopeSet {
        let mut s = ScopeSet::default();
        for (scope, level, who) in pairs {
            s.add(scope, *level, who, "to test");
        }
        s
    }

    #[test]
    fn block_before_key_with_comments_and_crlf() {
        let src = "on: push\r\n\r\n# the jobs\r\njobs:\r\n    a:\r\n        steps: []\r\n";
        let doc = YamlDoc::parse(src.into()).unwrap();
        let ps = pairs(&doc);
        let jobs = ps.iter().find(|p| p.key_name() == "jobs").unwrap();
        let e = insert_block(
            &doc,
            jobs.node,
            &set(&[("contents", Level::Read, "")]),
            4,
            true,
        )
        .unwrap();
        let out = apply_edits(src, &[e]).unwrap();
        assert_eq!(
            out,
            "on: push\r\n\r\npermissions:\r\n    contents: read\r\n\r\n# the jobs\r\njobs:\r\n    a:\r\n        steps: []\r\n"
        );
    }

    #[test]
    fn flow_job_gets_flow_block() {
        let src = "jobs:\n  a: {runs-on: x, steps: [{run: hi}]}\n";
        let doc = YamlDoc::parse(src.into()).unwrap();
        let ps = pairs(&doc);
        let steps = ps.iter().find(|p| p.key_name() == "steps").unwrap();
        let e = insert_block(
            &doc,
            steps.node,
            &set(&[("issues", Level::Write, "x")]),
            2,
            false,
        )
        .unwrap();
        assert_eq!(
            apply_edits(src, &[e]).unwrap(),
            "jobs:\n  a: {runs-on: x, permissions: {issues: write}, steps: [{run: hi}]}\n"
        );
    }
}
