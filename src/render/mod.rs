//! How a run is shown: findings and errors (rustc/zizmor style, with a
//! `help:` line), unified diffs, the summary line, and the JSON report.
//! Everything from outside (paths, messages quoting server answers) is
//! escaped here, so none of it can draw on the terminal.

use crate::cli::{ColorChoice, Format, OutputArgs};
use crate::diagnostics::{Finding, Severity};
use crate::pipeline::Run;
use crate::printable::escape;
mod github;
mod sarif;
mod snippet;

use crate::resolve::tally::KindStats;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// An error that stops a command: `error[kind]: message` and `help: hint`.
pub fn error(kind: &str, message: &str, hint: &str) -> String {
    format!(
        "error[{kind}]: {}\n  help: {}",
        escape(&crate::net::redact_url(message)),
        escape(hint)
    )
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
    let sev = f.severity.as_str();
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
    if f.suppressed {
        s.push_str("\n  note: suppressed");
    }
    s
}

/// `--quiet` keeps only errors on stderr: a finding that fails nothing is
/// noise to a script that only reads the exit code.
fn shown(f: &Finding, output: &OutputArgs) -> bool {
    !output.quiet || f.severity == Severity::Error && !f.suppressed
}

/// The `--verbose` line for one kind of answer: how it came and what it cost.
pub fn format_stats(s: &KindStats) -> String {
    let c = &s.counts;
    format!(
        "note[resolve]: {}: {} resolved ({} from the cache, {} fetched, {} failed), {} requests",
        s.kind,
        c.done(),
        c.cached,
        c.fetched,
        c.failed,
        s.requests
    )
}

fn use_color(choice: ColorChoice) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// Findings and the summary on stderr (only errors with `--quiet`, and
/// what resolving cost with `--verbose`); the diffs the run kept, or the
/// JSON report, on stdout.
pub fn run(run: &Run, output: &OutputArgs) {
    let summary = run.summary();
    let color = use_color(output.color);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr().lock();
    discover_errors(run, &mut err);
    match output.format {
        Format::Text => {
            for r in &run.reports {
                if let Some(diff) = &r.diff {
                    let _ = print_diff(&mut out, diff, color);
                }
                for f in r.findings.iter().filter(|f| shown(f, output)) {
                    let _ = writeln!(err, "{}", format_finding(f));
                }
            }
        }
        Format::Sarif | Format::Github => {
            let _ = write!(
                out,
                "{}",
                findings_in(&crate::audit::findings(run), output.format)
            );
        }
        Format::Json => {
            // Streamed: a report of thousands of files is never built in
            // memory as a JSON tree.
            #[derive(serde::Serialize)]
            struct Report<'a> {
                files: &'a [crate::report::FileReport],
                summary: &'a crate::report::Summary,
            }
            let report = Report {
                files: &run.reports,
                summary: &summary,
            };
            let _ = serde_json::to_writer_pretty(&mut out, &report);
            let _ = writeln!(out);
        }
    }
    if output.verbose {
        for s in &run.resolution {
            let _ = writeln!(err, "{}", format_stats(s));
        }
    }
    if !output.quiet {
        let _ = writeln!(err, "hardpin: {summary}");
    }
}

/// The paths that could not be searched, on stderr.
fn discover_errors(run: &Run, err: &mut impl Write) {
    for e in &run.discover_errors {
        let _ = writeln!(
            err,
            "{}",
            error(
                "discover",
                &e.to_string(),
                "give a file or folder that exists and can be read"
            )
        );
    }
}

/// `hardpin audit`'s report: every finding (on stdout, in the chosen
/// format) and a count on stderr.
pub fn audit(run: &Run, findings: &[Finding], output: &OutputArgs) {
    let mut err = std::io::stderr().lock();
    discover_errors(run, &mut err);
    let _ = write!(
        std::io::stdout().lock(),
        "{}",
        findings_in(findings, output.format)
    );
    let count = |s| {
        findings
            .iter()
            .filter(|f| !f.suppressed && f.severity == s)
            .count()
    };
    let suppressed = findings.iter().filter(|f| f.suppressed).count();
    if output.quiet {
        return;
    }
    let _ = writeln!(
        err,
        "hardpin: {} file{} audited: {} error{}, {} warning{}, {} note{}, {suppressed} suppressed",
        run.reports.len(),
        plural(run.reports.len()),
        count(Severity::Error),
        plural(count(Severity::Error)),
        count(Severity::Warning),
        plural(count(Severity::Warning)),
        count(Severity::Note),
        plural(count(Severity::Note)),
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Findings in `format`.
fn findings_in(findings: &[Finding], format: Format) -> String {
    let sources = Sources::default();
    match format {
        Format::Text => findings
            .iter()
            .map(|f| snippet::snippet(f, sources.get(&f.path).as_deref()) + "\n")
            .collect(),
        Format::Json => {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    if let Some(r) = f.rule.and_then(crate::rules::rule) {
                        v["name"] = r.name.into();
                    }
                    v
                })
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({ "findings": list }))
                .unwrap_or_default()
                + "\n"
        }
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif::sarif(findings, &|p| sources.get(p)))
                .unwrap_or_default()
                + "\n"
        }
        Format::Github => github::commands(findings),
    }
}

/// Files read again for their lines (audit never writes, so they are what
/// was audited), each once, at most the size hardpin edits.
#[derive(Default)]
struct Sources(std::cell::RefCell<BTreeMap<PathBuf, Option<String>>>);

impl Sources {
    fn get(&self, path: &Path) -> Option<String> {
        self.0
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let meta = std::fs::metadata(path).ok()?;
                (meta.len() <= crate::source::MAX_FILE)
                    .then(|| std::fs::read_to_string(path).ok())
                    .flatten()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Severity;
    use crate::report::unified_diff;
    use std::path::Path;

    #[test]
    fn outside_text_is_escaped() {
        let d = unified_diff(Path::new("x\n+++ b/evil.yml"), "a\n", "b\n");
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
            rule: None,
            suppressed: false,
        };
        let text = format_finding(&f);
        assert!(!text.chars().any(crate::printable::is_unsafe), "{text}");
    }

    #[test]
    fn diff_has_headers_and_colors() {
        let d = unified_diff(Path::new("x.yml"), "a\nb\n", "a\nc\n");
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
