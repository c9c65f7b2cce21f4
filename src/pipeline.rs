//! One run, in the order it happens:
//!
//! discover → load → collect → resolve → fix → verify → write.
//!
//! Nothing here parses arguments or prints: the `setup` module turns the
//! command line into transforms and a resolver, the `render` module shows
//! the [`Run`], and [`Run::exit_code`] is the one place the exit code is
//! decided.
//!
//! Files are parsed twice: once to collect what must be resolved, once to
//! fix them. A parsed tree is many times the size of its text, so holding
//! every file's tree across resolution would make memory grow with the
//! number of files; parsing again costs a little time and keeps it flat.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{
    AllowedChanges, Applicability, BUG_HINT, Change, Edit, Finding, Severity, VerifyError,
};
use crate::discover::{DiscoverError, Target, discover};
use crate::edit::apply_edits;
use crate::report::{FileReport, Summary, unified_diff};
use crate::resolve::tally::KindStats;
use crate::resolve::{Needs, Resolved, Resolver};
use crate::source::SourceFile;
use crate::suppress::Suppressions;
use crate::transforms::{DynTransform, Found, Outcome};
use crate::verify::verify;
use crate::write::write_atomic;

/// Exit codes: everything done / clean.
pub const EXIT_OK: u8 = 0;
/// `--check` found something to change.
pub const EXIT_CHANGES: u8 = 1;
/// Any error.
pub const EXIT_ERROR: u8 = 2;

/// Rounds of remote files: a workflow calls an action that calls another…
/// Real chains are two or three deep.
const MAX_ROUNDS: usize = 5;

/// What a run was asked to do.
pub struct Plan<'a> {
    pub paths: &'a [PathBuf],
    pub transforms: &'a [Box<dyn DynTransform>],
    pub resolver: &'a dyn Resolver,
    /// The least certain fixes applied; the others are reported.
    pub level: Applicability,
    pub output: Output,
    /// What the user said to ignore, allow, trust or disable.
    pub config: &'a Config,
}

/// What becomes of a fixed file. Nothing is held longer than needed: a run
/// over thousands of repositories must not keep every file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Written in place as soon as it is verified (`fix`).
    Write,
    /// Its unified diff kept for the report (`fix --dry-run`, `--check`).
    Diff,
    /// Its text kept for the caller (`pr`, which commits it).
    Text,
    /// Nothing kept: only the changes are reported (`audit`).
    Nothing,
}

/// What a run did.
pub struct Run {
    pub reports: Vec<FileReport>,
    pub discover_errors: Vec<DiscoverError>,
    pub requests: usize,
    /// What each kind of answer cost, for `--verbose` (empty when the
    /// resolver does not count).
    pub resolution: Vec<KindStats>,
}

/// Discover, load, collect, resolve, fix and verify: the whole run but the
/// writes.
pub fn run(plan: &Plan<'_>) -> Run {
    prepare(plan).fix(plan, &|_| true)
}

/// A run up to the fixes: every file found and collected, everything it
/// needs resolved. `pr --group none` fixes the same files several times,
/// each time keeping other changes (one pull request per dependency), and
/// no server is asked twice.
pub struct Prepared {
    collected: Vec<Collected>,
    /// Reports of the files that did not load.
    failed: Vec<FileReport>,
    discover_errors: Vec<DiscoverError>,
    /// What the servers answered: the tag listings tell `pr` which
    /// releases an update crosses.
    pub resolved: Resolved,
}

/// Discover, load, collect and resolve.
pub fn prepare(plan: &Plan<'_>) -> Prepared {
    let (mut targets, discover_errors) = discover(plan.paths);
    targets.retain(|t| !plan.config.ignores(&t.path));
    let (needs, collected, failed) = collect_all(targets, plan.transforms);
    let resolved = resolve_all(plan.resolver, &needs, plan.transforms);
    plan.resolver.end();
    Prepared {
        collected,
        failed,
        discover_errors,
        resolved,
    }
}

/// Which fixes a pass applies: the others are dropped without a word (they
/// belong to another pass).
pub type Keep<'k> = &'k (dyn Fn(&Change) -> bool + Sync);

impl Prepared {
    /// Fix and verify every file, applying only the fixes `keep` selects.
    pub fn fix(&self, plan: &Plan<'_>, keep: Keep<'_>) -> Run {
        let mut reports = self.failed.clone();
        reports.extend(fix_targets(&self.collected, plan, &self.resolved, keep));
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        Run {
            reports,
            discover_errors: self.discover_errors.clone(),
            requests: plan.resolver.request_count(),
            resolution: plan.resolver.stats(),
        }
    }
}

/// A file after the first pass: what each transform found in it, with
/// spans into exactly this text.
pub struct Collected {
    pub target: Target,
    /// One per transform, in order.
    found: Vec<Found>,
    /// The text the spans point into.
    fingerprint: Fingerprint,
}

/// Identifies a text without keeping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    fn of(text: &str) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        Self {
            len: text.len(),
            hash: h.finish(),
        }
    }
}

/// The first pass: load each target, keep what the transforms found and
/// record what they need, and let the file go. Returns the needs, the files
/// that loaded, and reports for those that did not.
pub fn collect_all(
    targets: Vec<Target>,
    transforms: &[Box<dyn DynTransform>],
) -> (Needs, Vec<Collected>, Vec<FileReport>) {
    let results: Vec<Result<(Needs, Collected), Box<FileReport>>> = targets
        .into_par_iter()
        .map(|t| {
            let path = t.path.clone();
            let file = SourceFile::load(t).map_err(|e| Box::new(load_failure(path, &e)))?;
            let mut needs = Needs::default();
            let found = transforms
                .iter()
                .map(|t| t.collect(&file, &mut needs))
                .collect();
            let fingerprint = Fingerprint::of(file.text());
            Ok((
                needs,
                Collected {
                    target: file.target,
                    found,
                    fingerprint,
                },
            ))
        })
        .collect();
    let mut needs = Needs::default();
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok((n, c)) => {
                needs.merge(n);
                loaded.push(c);
            }
            Err(report) => failed.push(*report),
        }
    }
    (needs, loaded, failed)
}

/// Resolve `needs`, then what the transforms find they need next, in
/// rounds, until nothing new is asked for.
pub fn resolve_all(
    resolver: &dyn Resolver,
    needs: &Needs,
    transforms: &[Box<dyn DynTransform>],
) -> Resolved {
    let mut resolved = resolver.resolve(needs);
    for _ in 0..MAX_ROUNDS {
        let mut more = Needs::default();
        for t in transforms {
            t.more_needs(needs, &resolved, &mut more);
        }
        more.retain_unresolved(&resolved);
        if more.is_empty() {
            break;
        }
        resolved.merge(resolver.resolve(&more));
    }
    resolved
}

/// The second pass: load each file again and fix it, in parallel, holding
/// only the files being worked on. A file that changed since the first pass
/// is left alone: what was found in it no longer points into its text.
fn fix_targets(
    collected: &[Collected],
    plan: &Plan<'_>,
    resolved: &Resolved,
    keep: Keep<'_>,
) -> Vec<FileReport> {
    collected
        .par_iter()
        .map(|c| {
            let path = c.target.path.clone();
            let root = c.target.root.clone();
            match SourceFile::load(c.target.clone()) {
                Ok(file) if Fingerprint::of(file.text()) != c.fingerprint => FileReport {
                    findings: vec![Finding {
                        path: path.clone(),
                        line: 1,
                        column: 1,
                        severity: Severity::Error,
                        transform: "read",
                        message: "changed while hardpin was running; left untouched".into(),
                        hint: Some(
                            "run hardpin again when nothing else is writing the file".into(),
                        ),
                        rule: None,
                        suppressed: false,
                    }],
                    ..FileReport::empty(path)
                },
                Ok(file) => {
                    let report = fix_file(&file, plan, &c.found, resolved, keep);
                    deliver(report, &file, &root, plan.output)
                }
                Err(e) => load_failure(path, &e),
            }
        })
        .collect()
}

/// Run every transform over one file, apply the fixes `level` admits (of
/// those `keep` selects), and verify the result.
pub fn fix_file(
    file: &SourceFile,
    plan: &Plan<'_>,
    found: &[Found],
    resolved: &Resolved,
    keep: Keep<'_>,
) -> FileReport {
    let mut all = Outcome::default();
    for (t, found) in plan.transforms.iter().zip(found) {
        all.merge(t.apply(file, found, resolved));
    }
    let suppressions = Suppressions::scan(file.text());
    for problem in suppressions.problems() {
        all.findings.push(Finding {
            path: file.path().clone(),
            line: problem.line(),
            column: 1,
            severity: Severity::Warning,
            transform: "suppress",
            message: problem.to_string(),
            hint: Some(problem.hint().into()),
            rule: None,
            suppressed: false,
        });
    }
    all.findings
        .retain(|f| !f.rule.is_some_and(|r| plan.config.disabled(r)));
    for f in &mut all.findings {
        f.suppressed = suppressions.covers(f.line, &names(f.transform, f.rule));
    }
    let mut report = FileReport {
        findings: std::mem::take(&mut all.findings),
        payloads: std::mem::take(&mut all.payloads),
        ..FileReport::empty(file.path().clone())
    };
    let mut edits: Vec<Edit> = Vec::new();
    let mut allowed = AllowedChanges::default();
    let mut changes = Vec::new();
    for fix in all.fixes.into_iter().filter(|f| keep(&f.change)) {
        let change = &fix.change;
        if let Some(reason) = allowed_unpinned(plan.config, change) {
            report.findings.push(left_unpinned(file, change, reason));
            continue;
        }
        let rule = crate::rules::of_transform(change.transform).map(|r| r.id);
        if suppressions.covers(change.line, &names(change.transform, rule)) {
            report.findings.push(Finding {
                rule,
                suppressed: true,
                ..note_at(
                    file,
                    change,
                    format!(
                        "not applied, suppressed: `{}` -> `{}`",
                        change.before, change.after
                    ),
                    "a `# hardpin: ignore` comment covers this line",
                )
            });
            continue;
        }
        if fix.applicability() > plan.level {
            report.findings.push(withheld(file, &fix.change));
            continue;
        }
        edits.extend(fix.edits);
        allowed.merge(fix.allowed);
        changes.push(fix.change);
    }
    if !edits.is_empty() {
        match edit_and_verify(file, &edits, &allowed) {
            Ok(new) if new != file.text() => {
                report.changed = true;
                report.fixed = Some(new);
                changes.sort_by_key(|c| c.line);
                report.changes = changes;
            }
            Ok(_) => {}
            Err(reason) => report.findings.push(Finding {
                path: file.path().clone(),
                line: 1,
                column: 1,
                severity: Severity::Error,
                transform: "verify",
                message: format!("the edited file failed verification: {reason}"),
                hint: Some(BUG_HINT.into()),
                rule: None,
                suppressed: false,
            }),
        }
    }
    report.findings.sort();
    report
}

/// Write, diff or keep a fixed file, as `output` says; a failed write is
/// an error finding and the file is left as it was.
fn deliver(mut report: FileReport, file: &SourceFile, root: &Path, output: Output) -> FileReport {
    let Some(text) = report.fixed.take() else {
        return report;
    };
    match output {
        Output::Text => report.fixed = Some(text),
        Output::Nothing => {}
        Output::Diff => report.diff = Some(unified_diff(&report.path, file.text(), &text)),
        Output::Write => {
            if let Err(e) = write_atomic(&report.path, root, &text) {
                report.findings.push(Finding {
                    path: report.path.clone(),
                    line: 1,
                    column: 1,
                    severity: Severity::Error,
                    transform: "write",
                    message: e.to_string(),
                    hint: Some("the file was left as it was".into()),
                    rule: None,
                    suppressed: false,
                });
                report.changed = false;
            }
        }
    }
    report
}

fn edit_and_verify(
    file: &SourceFile,
    edits: &[Edit],
    allowed: &AllowedChanges,
) -> Result<String, VerifyError> {
    let new = apply_edits(file.text(), edits).map_err(|e| VerifyError::Overlap {
        first: e.first,
        second: e.second,
    })?;
    verify(&file.syntax, &new, allowed)?;
    Ok(new)
}

/// The note for a fix less certain than the run allows.
fn withheld(file: &SourceFile, change: &crate::diagnostics::Change) -> Finding {
    let what = if change.before.is_empty() {
        format!("`{}`", change.after)
    } else {
        format!("`{}` -> `{}`", change.before, change.after)
    };
    note_at(
        file,
        change,
        format!("not applied, an unsafe fix: {what} ({})", change.why),
        "check it, then run again with --unsafe-fixes to apply it",
    )
}

/// A note at the place of `change`.
fn note_at(
    file: &SourceFile,
    change: &crate::diagnostics::Change,
    message: String,
    hint: &str,
) -> Finding {
    Finding {
        path: file.path().clone(),
        line: change.line,
        column: change.column,
        severity: Severity::Note,
        transform: change.transform,
        message,
        hint: Some(hint.into()),
        rule: None,
        suppressed: false,
    }
}

/// What a suppression comment may name for a finding or fix: its
/// transform and, when it has one, its rule.
fn names(transform: &'static str, rule: Option<&'static str>) -> Vec<&'static str> {
    std::iter::once(transform).chain(rule).collect()
}

/// Why the configuration leaves what `change` would pin unpinned, if it
/// does: an `[[allow]]` entry, or a `[[trust]]` entry for an action on a tag
/// (a branch pin is the unsafe fix pin-actions makes: still pinned).
fn allowed_unpinned<'c>(
    config: &'c Config,
    change: &crate::diagnostics::Change,
) -> Option<&'c str> {
    match change.transform {
        "pin-actions" => match crate::refs::classify(&change.before) {
            Ok(crate::refs::UsesTarget::Remote(action)) => {
                config.allowed_uses(&action).or_else(|| {
                    (change.applicability == Applicability::Safe)
                        .then(|| config.trusted(&action))
                        .flatten()
                })
            }
            _ => None,
        },
        "pin-images" => crate::image::ImageRef::parse(&change.before)
            .ok()
            .and_then(|image| config.allowed_image(&image)),
        _ => None,
    }
}

/// The note for a reference the configuration allows to stay unpinned.
fn left_unpinned(file: &SourceFile, change: &crate::diagnostics::Change, reason: &str) -> Finding {
    Finding {
        suppressed: true,
        ..note_at(
            file,
            change,
            format!("`{}` left unpinned: {reason}", change.before),
            "hardpin.toml allows it",
        )
    }
}

/// A load failure as a report.
fn load_failure(path: PathBuf, e: &crate::source::LoadError) -> FileReport {
    FileReport {
        findings: vec![Finding {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            severity: if e.is_misnamed() {
                Severity::Warning
            } else {
                Severity::Error
            },
            transform: "parse",
            message: e.to_string(),
            hint: Some(e.hint().into()),
            rule: None,
            suppressed: false,
        }],
        ..FileReport::empty(path)
    }
}

impl Run {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            files_scanned: self.reports.len(),
            requests: self.requests,
            errors: self.discover_errors.len(),
            ..Summary::default()
        };
        for r in &self.reports {
            let count = |sev| {
                r.findings
                    .iter()
                    .filter(|f| f.severity == sev && !f.suppressed)
                    .count()
            };
            if r.changed {
                summary.files_changed += 1;
                summary.changes += r.changes.len();
            }
            summary.errors += count(Severity::Error);
            summary.warnings += count(Severity::Warning);
        }
        summary
    }

    /// 2 on any error; 1 when `check` and a file would change; else 0.
    pub fn exit_code(&self, check: bool) -> u8 {
        let summary = self.summary();
        if summary.errors > 0 {
            EXIT_ERROR
        } else if check && summary.files_changed > 0 {
            EXIT_CHANGES
        } else {
            EXIT_OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;
    use crate::transforms::Transform;

    /// A transform with a bug: it renames a key it was never allowed to touch.
    struct Rogue;

    impl Transform for Rogue {
        type Found = ();

        fn name(&self) -> &'static str {
            "rogue"
        }

        fn collect(&self, _file: &SourceFile, _needs: &mut Needs) {}

        fn apply(&self, file: &SourceFile, _: &(), _resolved: &Resolved) -> Outcome {
            let at = file.text().find("runs-on").expect("the fixture has it");
            let mut out = Outcome::default();
            out.fix(
                vec![Edit::replace(at..at + 7, "run-on")],
                Change {
                    transform: "rogue",
                    line: 4,
                    column: 5,
                    before: "runs-on".into(),
                    after: "run-on".into(),
                    why: "a bug".into(),
                    applicability: Applicability::Safe,
                },
                AllowedChanges::default(),
            );
            out
        }
    }

    static NO_ANSWERS: std::sync::LazyLock<crate::resolve::memory::MemoryResolver> =
        std::sync::LazyLock::new(Default::default);

    fn plan<'a>(transforms: &'a [Box<dyn DynTransform>], config: &'a Config) -> Plan<'a> {
        Plan {
            paths: &[],
            transforms,
            resolver: &*NO_ANSWERS,
            level: Applicability::Safe,
            output: Output::Write,
            config,
        }
    }

    #[test]
    fn a_failed_verification_leaves_the_file_untouched_and_says_it_is_a_bug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci.yml");
        let text = "on: push\njobs:\n  a:\n    runs-on: x\n";
        std::fs::write(&path, text).unwrap();
        let file = SourceFile::load(Target {
            path: path.clone(),
            kind: FileKind::Workflow,
            root: dir.path().to_path_buf(),
        })
        .unwrap();
        let transforms: Vec<Box<dyn DynTransform>> = vec![Box::new(Rogue)];
        let found: Vec<Found> = transforms
            .iter()
            .map(|t| t.collect(&file, &mut Needs::default()))
            .collect();
        let config = Config::empty(dir.path());
        let report = fix_file(
            &file,
            &plan(&transforms, &config),
            &found,
            &Resolved::default(),
            &|_| true,
        );
        assert!(report.fixed.is_none());
        let f = &report.findings[0];
        assert_eq!((f.severity, f.transform), (Severity::Error, "verify"));
        assert!(
            f.message.contains("the edited file failed verification"),
            "{}",
            f.message
        );
        assert_eq!(f.hint.as_deref(), Some(BUG_HINT));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_file_changed_between_the_passes_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci.yml");
        std::fs::write(&path, "on: push\njobs:\n  a:\n    runs-on: x\n").unwrap();
        let target = Target {
            path: path.clone(),
            kind: FileKind::Workflow,
            root: dir.path().to_path_buf(),
        };
        let transforms: Vec<Box<dyn DynTransform>> = vec![Box::new(Rogue)];
        let (_, collected, failed) = collect_all(vec![target], &transforms);
        assert!(failed.is_empty());
        let changed = "on: push\njobs:\n  b:\n    runs-on: y\n";
        std::fs::write(&path, changed).unwrap();
        let config = Config::empty(dir.path());
        let reports = fix_targets(
            &collected,
            &plan(&transforms, &config),
            &Resolved::default(),
            &|_| true,
        );
        assert!(reports[0].fixed.is_none());
        assert!(
            reports[0].findings[0]
                .message
                .contains("changed while hardpin was running"),
            "{:?}",
            reports[0].findings
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), changed);
    }
}
