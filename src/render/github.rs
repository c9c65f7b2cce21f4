//! GitHub workflow commands (`::warning file=…,line=…::…`): printed in a
//! workflow run, each finding becomes an annotation on the pull request.

use crate::diagnostics::{Finding, Severity};

/// One command per finding that is not suppressed.
pub(super) fn commands(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings.iter().filter(|f| !f.suppressed) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let title = match f.rule.and_then(crate::rules::rule) {
            Some(r) => format!("{} {}", r.id, r.name),
            None => format!("hardpin {}", f.transform),
        };
        let message = match &f.hint {
            Some(h) => format!("{} ({h})", f.message),
            None => f.message.clone(),
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},title={}::{}\n",
            property(&f.path.to_string_lossy()),
            f.line,
            f.column,
            property(&title),
            data(&message)
        ));
    }
    out
}

/// The escapes of a command's message: a newline would end the command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property also may not hold `:` or `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_start_another_command() {
        let f = Finding {
            path: "a,b:c.yml".into(),
            line: 3,
            column: 7,
            severity: Severity::Warning,
            transform: "pin-actions",
            message: "x\n::error::forged".into(),
            hint: None,
            rule: Some("HP001"),
            suppressed: false,
        };
        assert_eq!(
            commands(&[f]),
            "::warning file=a%2Cb%3Ac.yml,line=3,col=7,title=HP001 unpinned-action::x%0A::error::forged\n"
        );
    }
}
