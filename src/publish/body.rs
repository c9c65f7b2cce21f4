//! The pull request: its commit message and a body that reads as a report.

use std::path::Path;

use crate::report::{FileReport, Severity};

/// `|` and newlines would break a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Relative path of a report under `root`.
pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The commit message: a title line and one line per change.
pub fn commit_message(title: &str, root: &Path, reports: &[FileReport]) -> String {
    let mut msg = format!("{title}\n\n");
    for r in reports.iter().filter(|r| r.fixed.is_some()) {
        for c in &r.changes {
            let before = if c.before.is_empty() {
                String::new()
            } else {
                format!("{} -> ", c.before)
            };
            msg.push_str(&format!(
                "- {}:{}: {before}{}\n",
                rel(root, &r.path),
                c.line,
                c.after
            ));
        }
    }
    msg
}

/// The pull request body: every change, what was left alone and why, and how
/// to reproduce it.
pub fn pr_body(root: &Path, reports: &[FileReport], command: &str) -> String {
    let mut b = String::from(
        "This pull request was made by [hardpin](https://github.com/hardpin/hardpin): mutable references are pinned to what they name today, and workflow tokens get only the permissions their jobs need.\n\n## Changes\n\n| file | line | before | after | why |\n|---|---|---|---|---|\n",
    );
    for r in reports.iter().filter(|r| r.fixed.is_some()) {
        for c in &r.changes {
            b.push_str(&format!(
                "| `{}` | {} | {} | `{}` | {} |\n",
                cell(&rel(root, &r.path)),
                c.line,
                if c.before.is_empty() {
                    String::new()
                } else {
                    format!("`{}`", cell(&c.before))
                },
                cell(&c.after),
                cell(&c.why)
            ));
        }
    }
    let left: Vec<String> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .filter(|(_, f)| f.severity != Severity::Note || f.transform == "update-actions")
        .map(|(r, f)| {
            format!(
                "- `{}:{}` {}",
                cell(&rel(root, &r.path)),
                f.line,
                cell(&f.message)
            )
        })
        .collect();
    if !left.is_empty() {
        b.push_str("\n## Left alone\n\n");
        for l in left {
            b.push_str(&l);
            b.push('\n');
        }
    }
    b.push_str(&format!(
        "\n## Reproduce locally\n\n```sh\n{command}\n```\n"
    ));
    b
}
