//! What a run found and changed, and how it is shown: findings with a `help:`
//! line, unified diffs, the summary, and a stable JSON report.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use similar::TextDiff;

use crate::printable::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// Something a transform wants the user to know, at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub transform: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One change made to a file, for reports and pull-request bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub transform: &'static str,
    pub line: usize,
    pub before: String,
    pub after: String,
    pub why: String,
}

/// The outcome for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// The text before the fix, when it was fixed (empty otherwise).
    #[serde(skip)]
    pub original: String,
    /// The fixed text, when anything changed and every check passed.
    #[serde(skip)]
    pub fixed: Option<String>,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    /// Per-job decisions of the permissions transform.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<crate::transforms::permissions::JobReport>,
}

impl FileReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Counts for the closing line.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_changed: usize,
    pub changes: usize,
    pub errors: usize,
    pub warnings: usize,
    pub requests: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} file{} scanned, {} changed, {} reference{} pinned or added, {} error{}, {} warning{}",
            self.files_scanned,
            s(self.files_scanned),
            self.files_changed,
            self.changes,
            s(self.changes),
            self.errors,
            s(self.errors),
            self.warnings,
            s(self.warnings)
        )
    }
}

/// A unified diff of one file, `a/` and `b/` prefixed like git's. The path
/// is escaped: a file name with a newline could otherwise forge diff lines.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    let path = escape(path);
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Write a diff, coloured when `color` is set.
pub fn print_diff(out: &mut impl Write, diff: &str, color: bool) -> std::io::Result<()> {
    if !color {
        return out.write_all(diff.as_bytes());
    }
    for line in diff.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "1"
        } else if line.starts_with('+') {
            "32"
        } else if line.starts_with('-') {
            "31"
        } else if line.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.write_all(line.as_bytes())?;
        } else {
            let body = line.trim_end_matches(['\n', '\r']);
            write!(out, "\x1b[{code}m{body}\x1b[0m{}", &line[body.len()..])?;
        }
    }
    Ok(())
}

/// Render a finding as text, `help:` line included.
pub fn format_finding(f: &Finding) -> String {
    let sev = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    // Paths and messages carry outside text (file names, server answers):
    // escaped, so that none of it can draw on the terminal.
    let mut s = format!(
        "{sev}[{}]: {}:{}:{}: {}",
        f.transform,
        escape(&f.path.to_string_lossy()),
        f.line,
        f.column,
        escape(&f.message)
    );
    if let Some(h) = &f.hint {
        s.push_str("\n  help: ");
        s.push_str(&escape(h));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped() {
        let d = unified_diff("x\n+++ b/evil.yml", "a\n", "b\n");
        assert!(
            d.starts_with("--- a/x\\n+++ b/evil.yml\n+++ b/x\\n+++ b/evil.yml\n"),
            "{d}"
        );
        let f = Finding {
            path: "a\u{1b}[2J.yml".into(),
            line: 1,
            column: 1,
            severity: Severity::Error,
            transform: "pin-actions",
            message: "tag v1\u{202e}".into(),
            hint: None,
        };
        let text = format_finding(&f);
        assert!(!text.chars().any(crate::printable::is_unsafe), "{text}");
    }

    #[test]
    fn diff_has_headers_and_colors() {
        let d = unified_diff("x.yml", "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- a/x.yml\n+++ b/x.yml\n"));
        let mut out = Vec::new();
        print_diff(&mut out, &d, true).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\x1b[32m+c\x1b[0m\n"));
        let mut plain = Vec::new();
        print_diff(&mut plain, &d, false).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), d);
    }
}
