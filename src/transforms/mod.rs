//! The registry of transforms. Each one is a pure function of a parsed file
//! and the resolved references: it first says what it needs resolved, then
//! turns the answers into edits and findings.

pub mod audit;
pub mod harden_runner;
pub mod permissions;
pub mod pin_actions;
pub mod pin_images;
pub mod update_actions;
pub mod verify_pins;

use std::any::Any;
use std::sync::Arc;

use permissions::kb::Kb;

use crate::diagnostics::{AllowedChanges, BUG_HINT, Change, Edit, Finding, Fix, Payload, Severity};
use crate::refs::RepoId;
use crate::resolve::{Needs, RefListing, Resolved};
use crate::rules::Rule;
use crate::source::SourceFile;

/// A transform's result for one file.
#[derive(Debug, Default)]
pub struct Outcome {
    pub fixes: Vec<Fix>,
    pub findings: Vec<Finding>,
    /// What the transform reports beyond changes (permission decisions).
    pub payloads: Vec<Arc<dyn Payload>>,
}

impl Outcome {
    /// Add another transform's outcome for the same file.
    pub fn merge(&mut self, other: Outcome) {
        self.fixes.extend(other.fixes);
        self.findings.extend(other.findings);
        self.payloads.extend(other.payloads);
    }

    /// Record a fix: `edits` make `change`, and may change what `allowed`
    /// says.
    pub fn fix(&mut self, edits: Vec<Edit>, change: Change, allowed: AllowedChanges) {
        self.fixes.push(Fix {
            edits,
            change,
            allowed,
        });
    }

    /// Record an instance of an audit rule at a byte offset of `file`, at
    /// the rule's severity; `help` says what to do here, else the rule's
    /// fix or `hardpin explain` is named.
    pub fn rule_finding(
        &mut self,
        file: &SourceFile,
        transform: &'static str,
        rule: &Rule,
        at: usize,
        message: String,
        help: Option<&str>,
    ) {
        let hint = match (help, rule.fix_command()) {
            (Some(h), _) => h.to_string(),
            (None, Some(command)) => format!("`{command}` fixes it"),
            (None, None) => format!("see `hardpin explain {}`", rule.id),
        };
        let (line, column) = crate::yaml::line_col(file.text(), at);
        self.findings.push(Finding {
            path: file.path().clone(),
            line,
            column,
            severity: rule.severity,
            transform,
            message,
            hint: Some(hint),
            rule: Some(rule.id),
            suppressed: false,
        });
    }

    /// Record a finding at a byte offset of `file`.
    pub fn finding(
        &mut self,
        file: &SourceFile,
        transform: &'static str,
        at: usize,
        severity: Severity,
        message: String,
        hint: Option<&str>,
    ) {
        let (line, column) = crate::yaml::line_col(file.text(), at);
        self.findings.push(Finding {
            path: file.path().clone(),
            line,
            column,
            severity,
            transform,
            message,
            hint: hint.map(str::to_string),
            rule: None,
            suppressed: false,
        });
    }
}

/// The ref listing of `repo`. When it could not be fetched, an error
/// finding at `at` says that `what` (e.g. "pin actions/checkout@v4")
/// failed, and `None` is returned. Refs the server listed under names
/// that are not safe to write are named in a warning.
pub fn listing<'a>(
    resolved: &'a Resolved,
    repo: &RepoId,
    file: &SourceFile,
    transform: &'static str,
    at: usize,
    what: &str,
    out: &mut Outcome,
) -> Option<&'a RefListing> {
    match resolved.listings.get(&repo.key())? {
        Ok(l) => {
            if !l.skipped.is_empty() {
                let shown: Vec<String> = l
                    .skipped
                    .iter()
                    .take(3)
                    .map(|n| format!("\"{n}\""))
                    .collect();
                out.finding(
                    file,
                    transform,
                    at,
                    Severity::Warning,
                    format!(
                        "{repo} lists {} ref{} whose names are not safe to write ({}); ignored",
                        l.skipped.len(),
                        if l.skipped.len() == 1 { "" } else { "s" },
                        shown.join(", ")
                    ),
                    Some(
                        "only ref names that follow git's rules in plain printable ASCII are used",
                    ),
                );
            }
            Some(l)
        }
        Err(e) => {
            out.finding(
                file,
                transform,
                at,
                Severity::Error,
                format!("cannot {what}: {e}"),
                Some(e.hint()),
            );
            None
        }
    }
}

/// A transform: it finds what it works on in a file, says what must be
/// resolved for it, and turns the answers into fixes and findings.
///
/// Files are read twice (see the pipeline), and what `collect` finds is
/// kept between the two passes instead of the file: owned data with byte
/// spans, a few hundred bytes a reference. `apply` receives it for the same
/// text and does not search the tree again.
pub trait Transform: Send + Sync {
    /// What `collect` found in one file.
    type Found: Send + Sync + 'static;
    /// The name used by `--only` and `--skip`.
    fn name(&self) -> &'static str;
    /// Find this transform's references in `file` and record in `needs`
    /// what must be resolved for them.
    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Self::Found;
    /// What must be fetched next, now that `resolved` is known (files that
    /// the answers point to), from what `collect` recorded in `needs`.
    /// Called in rounds until nothing new is needed.
    fn more_needs(&self, _needs: &Needs, _resolved: &Resolved, _more: &mut Needs) {}
    /// Turn what `collect` found in this same text, and the answers, into
    /// fixes and findings.
    fn apply(&self, file: &SourceFile, found: &Self::Found, resolved: &Resolved) -> Outcome;
}

/// What any transform found in one file, as the pipeline carries it: only
/// the transform that made it opens it.
pub struct Found(Box<dyn Any + Send + Sync>);

/// A [`Transform`] of any kind, as the pipeline holds it.
pub trait DynTransform: Send + Sync {
    fn name(&self) -> &'static str;
    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Found;
    fn more_needs(&self, needs: &Needs, resolved: &Resolved, more: &mut Needs);
    fn apply(&self, file: &SourceFile, found: &Found, resolved: &Resolved) -> Outcome;
}

impl<T: Transform> DynTransform for T {
    fn name(&self) -> &'static str {
        Transform::name(self)
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Found {
        Found(Box::new(Transform::collect(self, file, needs)))
    }

    fn more_needs(&self, needs: &Needs, resolved: &Resolved, more: &mut Needs) {
        Transform::more_needs(self, needs, resolved, more)
    }

    fn apply(&self, file: &SourceFile, found: &Found, resolved: &Resolved) -> Outcome {
        match found.0.downcast_ref::<T::Found>() {
            Some(found) => Transform::apply(self, file, found, resolved),
            None => {
                let mut out = Outcome::default();
                out.finding(
                    file,
                    Transform::name(self),
                    0,
                    Severity::Error,
                    "was handed what another transform found".into(),
                    Some(BUG_HINT),
                );
                out
            }
        }
    }
}

/// Which transforms a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `hardpin fix`: pin and add permissions.
    Fix,
    /// `hardpin update`: move existing pins to newer releases.
    Update,
    /// `hardpin pr --update`: both.
    FixAndUpdate,
    /// `hardpin audit`: what fix would change, and the checks.
    Audit,
}

/// Which command a transform belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `hardpin fix`: pin and add permissions.
    Fix,
    /// `hardpin update`: move existing pins.
    Update,
    /// `hardpin audit` only: findings, never fixes.
    Audit,
}

impl Mode {
    fn runs(self, phase: Phase) -> bool {
        match self {
            Mode::Fix => phase == Phase::Fix,
            Mode::Update => phase == Phase::Update,
            Mode::FixAndUpdate => phase != Phase::Audit,
            Mode::Audit => phase != Phase::Update,
        }
    }
}

/// Whether a transform runs without being named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enabled {
    /// Unless `--skip` names it.
    ByDefault,
    /// Only when `--only` names it (it adds to files, not just pins).
    WhenNamed,
}

/// One transform of the registry.
pub struct Entry {
    pub transform: Box<dyn DynTransform>,
    pub phase: Phase,
    pub enabled: Enabled,
}

fn entry(transform: impl DynTransform + 'static, phase: Phase, enabled: Enabled) -> Entry {
    Entry {
        transform: Box::new(transform),
        phase,
        enabled,
    }
}

/// Every transform, in the order they run; `audit` when they run for
/// `hardpin audit` (some look further then).
pub fn registry(kb: Arc<Kb>, major: bool, audit: bool) -> Vec<Entry> {
    use Enabled::{ByDefault, WhenNamed};
    vec![
        entry(pin_actions::PinActions, Phase::Fix, ByDefault),
        entry(pin_images::PinImages, Phase::Fix, ByDefault),
        entry(
            permissions::Permissions {
                kb,
                judge_declared: audit,
            },
            Phase::Fix,
            ByDefault,
        ),
        entry(harden_runner::HardenRunner, Phase::Fix, WhenNamed),
        entry(
            update_actions::UpdateActions { major },
            Phase::Update,
            ByDefault,
        ),
        entry(pin_images::UpdateImages, Phase::Update, ByDefault),
        entry(verify_pins::VerifyPins, Phase::Audit, ByDefault),
        entry(verify_pins::FixComments, Phase::Fix, Enabled::WhenNamed),
        entry(audit::AuditWorkflows, Phase::Audit, ByDefault),
    ]
}

/// The names of the transforms `mode` can run.
pub fn names(mode: Mode) -> Vec<&'static str> {
    registry(Arc::new(Kb::default()), false, false)
        .into_iter()
        .filter(|e| mode.runs(e.phase))
        .map(|e| e.transform.name())
        .collect()
}

/// A name given to `--only`/`--skip` that no transform has.
#[derive(Debug, thiserror::Error)]
#[error("unknown transform `{0}` (known: {1})")]
pub struct UnknownTransform(pub String, pub String);

/// The transforms of `mode` that `--only` and `--skip` leave. A transform
/// that is not on by default runs only when `--only` or `also` names it.
pub fn select(
    mode: Mode,
    only: &[String],
    skip: &[String],
    also: &[&str],
    kb: Arc<Kb>,
    major: bool,
) -> Result<Vec<Box<dyn DynTransform>>, UnknownTransform> {
    let all: Vec<Entry> = registry(kb, major, mode == Mode::Audit)
        .into_iter()
        .filter(|e| mode.runs(e.phase))
        .collect();
    let known: Vec<&str> = all.iter().map(|e| e.transform.name()).collect();
    for name in only.iter().chain(skip) {
        if !known.contains(&name.as_str()) {
            return Err(UnknownTransform(name.clone(), known.join(", ")));
        }
    }
    let named = |list: &[String], name: &str| list.iter().any(|n| n == name);
    Ok(all
        .into_iter()
        .filter(|e| match (only.is_empty(), e.enabled) {
            _ if also.contains(&e.transform.name()) => true,
            (true, Enabled::ByDefault) => true,
            (true, Enabled::WhenNamed) => false,
            (false, _) => named(only, e.transform.name()),
        })
        .filter(|e| !named(skip, e.transform.name()))
        .map(|e| e.transform)
        .collect())
}
