//! `hardpin audit`'s reading of a run: every change the fix transforms
//! would make is a finding of its rule (HP001–HP003), next to what the
//! audit checks found, and the exit code says whether any is severe enough.

use crate::diagnostics::{Applicability, Change, Finding, Severity};
use crate::pipeline::{EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Run};

/// Every finding of the run, changes included, in file and line order.
pub fn findings(run: &Run) -> Vec<Finding> {
    let mut all: Vec<Finding> = run
        .reports
        .iter()
        .flat_map(|r| {
            let changes = r.changes.iter().filter_map(|c| change_finding(&r.path, c));
            changes.chain(r.findings.iter().cloned())
        })
        .collect();
    all.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    all
}

fn change_finding(path: &std::path::Path, c: &Change) -> Option<Finding> {
    let rule = crate::rules::of_transform(c.transform)?;
    let message = if c.before.is_empty() {
        format!("{}: `hardpin fix` adds `{}`", c.why, c.after)
    } else {
        format!("`{}`: {}; `hardpin fix` pins it", c.before, c.why)
    };
    let hint = match (c.applicability, rule.fix_command()) {
        (Applicability::Unsafe, _) => {
            "`hardpin fix --unsafe-fixes` fixes it; check it first".into()
        }
        (_, Some(command)) => format!("`{command}` fixes it"),
        (_, None) => format!("see `hardpin explain {}`", rule.id),
    };
    Some(Finding {
        path: path.to_path_buf(),
        line: c.line,
        column: c.column,
        severity: rule.severity,
        transform: c.transform,
        message,
        hint: Some(hint),
        rule: Some(rule.id),
        suppressed: false,
    })
}

/// 2 when something could not be checked (an error that is no rule's
/// finding, a path that could not be read); 1 when a finding that is not
/// suppressed is at least as severe as `min`; else 0.
pub fn exit_code(run: &Run, findings: &[Finding], min: Severity) -> u8 {
    let failed = !run.discover_errors.is_empty()
        || findings
            .iter()
            .any(|f| f.rule.is_none() && f.severity == Severity::Error);
    if failed {
        EXIT_ERROR
    } else if findings
        .iter()
        .any(|f| f.rule.is_some() && !f.suppressed && f.severity <= min)
    {
        EXIT_CHANGES
    } else {
        EXIT_OK
    }
}
