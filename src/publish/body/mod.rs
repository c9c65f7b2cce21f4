//! The pull request: its commit message and a body that reads as a report.

mod update_section;

use std::fmt::Write;
use std::path::Path;

use crate::diagnostics::{Finding, Severity};
use crate::printable;
use crate::publish::updates::Update;
use crate::report::FileReport;

/// The trailer that marks a commit as made by `hardpin pr`: a branch whose
/// tip lacks it holds someone else's work and is never force-pushed over.
/// It marks, it does not authenticate: a commit amended with the trailer
/// kept, or one that copies it, counts as hardpin's. File names cannot forge
/// it, since [`escape`] keeps every change on its own line.
pub const TRAILER: (&str, &str) = ("Hardpin-Bot", "yes");

/// Text from a file or a server (paths, `uses:` values, ref names) made safe
/// to write: every unsafe character, and the backtick that would end a code
/// span, becomes a visible escape, so one line stays one line.
///
/// ```
/// # use hardpin::publish::body::escape;
/// assert_eq!(escape("a\nb`c\u{202E}"), "a\\nb\\u{60}c\\u{202e}");
/// ```
pub fn escape(s: &str) -> String {
    printable::escape_code(s).into_owned()
}

/// hardpin's own sentences (a change's why, a finding's message): their
/// backticks are formatting, but the values they quote may hold anything else.
fn escape_prose(s: &str) -> String {
    printable::escape(s).into_owned()
}

/// A Markdown table cell: escaped, and `|` would end the cell.
fn cell(s: &str) -> String {
    escape(s).replace('|', "\\|")
}

/// A table cell of hardpin's prose.
fn prose_cell(s: &str) -> String {
    escape_prose(s).replace('|', "\\|")
}

/// Whether `message` carries hardpin's trailer (see [`TRAILER`]).
pub fn made_by_hardpin(message: &str) -> bool {
    git2::message_trailers_strs(message)
        .is_ok_and(|t| t.iter().any(|(k, v)| k == TRAILER.0 && v == TRAILER.1))
}

/// One Markdown bullet per finding that `keep` selects.
fn finding_lines(reports: &[FileReport], keep: impl Fn(&Finding) -> bool) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .filter(|(_, f)| keep(f))
        .map(|(r, f)| {
            format!(
                "- `{}:{}` {}",
                cell(&r.path.to_string_lossy()),
                f.line,
                prose_cell(&f.message)
            )
        })
        .collect()
}

/// A `## title` section of `lines`, when there are any.
fn section(body: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    body.push_str(&format!("\n## {title}\n\n"));
    for l in lines {
        body.push_str(l);
        body.push('\n');
    }
}

/// Relative path of a report under `root`, as the pull request shows it.
pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The commit message: a title line, one line per change (escaped, so a
/// file name cannot add lines or trailers), and hardpin's [`TRAILER`].
/// Report paths are relative to the repository.
pub fn commit_message(title: &str, reports: &[FileReport]) -> String {
    let mut msg = format!("{title}\n\n");
    for r in reports.iter().filter(|r| r.fixed.is_some()) {
        for c in &r.changes {
            let before = if c.before.is_empty() {
                String::new()
            } else {
                format!("{} -> ", escape(&c.before))
            };
            msg.push_str(&format!(
                "- {}:{}: {before}{}\n",
                escape(&r.path.to_string_lossy()),
                c.line,
                escape(&c.after)
            ));
        }
    }
    let _ = writeln!(msg, "\n{}: {}", TRAILER.0, TRAILER.1);
    msg
}

/// The pull request body: what each update moves (compare view, releases
/// in between), every change, what was left alone and why, and how to
/// reproduce it. Report paths are relative to the repository.
pub fn pr_body(reports: &[FileReport], updates: &[Update], command: &str) -> String {
    let mut b = String::from(
        "This pull request was made by [hardpin](https://github.com/hardpin/hardpin): mutable references are pinned to what they name today, and workflow tokens get only the permissions their jobs need.\n",
    );
    update_section::section(&mut b, updates);
    b.push_str("\n## Changes\n\n| file | line | before | after | why |\n|---|---|---|---|---|\n");
    for r in reports.iter().filter(|r| r.fixed.is_some()) {
        for c in &r.changes {
            b.push_str(&format!(
                "| `{}` | {} | {} | `{}` | {} |\n",
                cell(&r.path.to_string_lossy()),
                c.line,
                if c.before.is_empty() {
                    String::new()
                } else {
                    format!("`{}`", cell(&c.before))
                },
                cell(&c.after),
                prose_cell(&c.why)
            ));
        }
    }
    // Warnings, errors, and what was left as the configuration or an
    // inline comment says (with the reason).
    let left = finding_lines(reports, |f| {
        f.severity != Severity::Note || f.suppressed || f.transform == "update-actions"
    });
    section(&mut b, "Left alone", &left);
    // Permission blocks decided from more than the knowledge base say so.
    let decided = finding_lines(reports, |f| {
        f.severity == Severity::Note && f.transform == "permissions"
    });
    section(&mut b, "How permissions were decided", &decided);
    b.push_str(&format!(
        "\n## Reproduce locally\n\n```sh\n{command}\n```\n"
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::{commit_message, escape, made_by_hardpin, pr_body};
    use crate::diagnostics::{Applicability, Change};
    use crate::report::FileReport;

    /// A file name built to forge a trailer, drive the terminal, reverse the
    /// text and break out of a code span.
    const NAME: &str = "x\nCo-authored-by: Mallory <m@example.com>\n\u{1b}[31m\u{202E}lmy.`|.yml";

    fn report() -> FileReport {
        FileReport {
            path: NAME.into(),
            changed: true,
            fixed: Some(String::new()),
            diff: None,
            changes: vec![Change {
                transform: "pin-actions",
                line: 3,
                column: 1,
                before: "a/b@v1\n\u{2066}".into(),
                after: "a/b@0123 # v1`".into(),
                why: "`v1` can be moved\r\nSigned-off-by: x".into(),
                applicability: Applicability::Safe,
            }],
            findings: Vec::new(),
            payloads: Vec::new(),
        }
    }

    fn raw(s: &str) -> Vec<char> {
        s.chars()
            .filter(|c| {
                matches!(c, '\u{1b}' | '\u{202E}' | '\u{2066}' | '\r')
                    || c.is_control() && *c != '\n'
            })
            .collect()
    }

    #[test]
    fn file_names_cannot_add_lines_or_trailers() {
        let msg = commit_message("Harden CI", &[report()]);
        assert_eq!(msg.lines().count(), 5, "{msg}");
        assert!(raw(&msg).is_empty(), "{msg:?}");
        assert!(!msg.contains('`'), "{msg}");
        let trailers: Vec<(String, String)> = git2::message_trailers_strs(&msg)
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(trailers, [("Hardpin-Bot".into(), "yes".into())]);
        assert!(made_by_hardpin(&msg));
        assert!(msg.contains(&escape(NAME)), "{msg}");
    }

    #[test]
    fn file_names_cannot_break_the_body() {
        let body = pr_body(&[report()], &[], "hardpin fix .");
        assert!(raw(&body).is_empty(), "{body:?}");
        let rows: Vec<&str> = body.lines().filter(|l| l.starts_with("| `x")).collect();
        assert_eq!(rows.len(), 1, "{body}");
        // The name's backtick and pipe are escaped; the row still has its
        // five cells and hardpin's own code spans.
        assert!(rows[0].contains("lmy.\\u{60}\\|.yml"), "{}", rows[0]);
        assert_eq!(rows[0].matches(" | ").count(), 4, "{}", rows[0]);
        assert!(rows[0].contains("`v1` can be moved"), "{}", rows[0]);
        assert!(!body.contains("\nCo-authored-by") && !body.contains("\nSigned-off-by"));
    }

    #[test]
    fn only_the_trailer_marks_a_commit() {
        assert!(!made_by_hardpin("fix\n\nHardpin-Bot: no\n"));
        assert!(!made_by_hardpin("Hardpin-Bot: yes"));
        assert!(made_by_hardpin("t\n\n- a:1: b\n\nHardpin-Bot: yes\n"));
    }

    #[test]
    fn permission_decisions_are_explained() {
        let mut r = report();
        r.findings.push(crate::diagnostics::Finding {
            path: r.path.clone(),
            line: 4,
            column: 5,
            severity: crate::diagnostics::Severity::Note,
            transform: "permissions",
            message: "job `a` decided from actions never handed the token (inferred)".into(),
            hint: None,
            rule: None,
            suppressed: false,
        });
        let body = pr_body(&[r], &[], "hardpin fix .");
        let section = body
            .split("## How permissions were decided")
            .nth(1)
            .expect("the section is there");
        assert!(section.contains("job `a` decided from actions never handed the token (inferred)"));
        assert!(!body.contains("## Left alone"));
    }
}
