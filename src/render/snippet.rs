//! A finding as rustc and zizmor show one: the message, where it is, the
//! source line with a caret under the place, and what to do.

use crate::diagnostics::Finding;
use crate::printable::escape;

/// `source` is the file's text, when it could be read.
pub(super) fn snippet(f: &Finding, source: Option<&str>) -> String {
    let kind = f.rule.unwrap_or(f.transform);
    let mut s = format!(
        "{}[{kind}]: {}\n  --> {}:{}:{}\n",
        f.severity.as_str(),
        escape(&f.message),
        escape(&f.path.to_string_lossy()),
        f.line,
        f.column
    );
    if let Some(line) = source.and_then(|t| t.lines().nth(f.line.saturating_sub(1))) {
        let number = f.line.to_string();
        let pad = " ".repeat(number.len());
        let line = line.trim_end_matches('\r');
        let start = f.column.saturating_sub(1).min(line.len());
        // The caret sits under the column's character, so the prefix is
        // escaped the same way as the line.
        let (before, rest) = line.split_at(floor_char_boundary(line, start));
        let width = rest
            .split(char::is_whitespace)
            .next()
            .map_or(1, |t| escape(t).chars().count().max(1));
        s.push_str(&format!(
            "{pad} |\n{number} | {}\n{pad} | {}{}\n",
            escape(line),
            " ".repeat(escape(before).chars().count()),
            "^".repeat(width)
        ));
    }
    if let Some(h) = &f.hint {
        s.push_str(&format!("  = help: {}\n", escape(h)));
    }
    if f.suppressed {
        s.push_str("  = note: suppressed\n");
    }
    s
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Severity;

    #[test]
    fn caret_under_the_value() {
        let f = Finding {
            path: ".github/workflows/ci.yml".into(),
            line: 2,
            column: 15,
            severity: Severity::Warning,
            transform: "pin-actions",
            message: "`actions/checkout@v4` can be moved".into(),
            hint: Some("`hardpin fix` fixes it".into()),
            rule: Some("HP001"),
            suppressed: false,
        };
        let text = snippet(&f, Some("steps:\n      - uses: actions/checkout@v4\n"));
        assert_eq!(
            text,
            "warning[HP001]: `actions/checkout@v4` can be moved\n  --> .github/workflows/ci.yml:2:15\n  |\n2 |       - uses: actions/checkout@v4\n  |               ^^^^^^^^^^^^^^^^^^^\n  = help: `hardpin fix` fixes it\n"
        );
    }
}
