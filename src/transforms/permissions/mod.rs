//! `permissions`: least-privilege `permissions:` blocks for workflows.
//!
//! ```yaml
//! permissions:            # added: every job reads, nothing more
//!   contents: read
//! jobs:
//!   release:
//!     runs-on: ubuntu-latest
//!     permissions:        # added: this job needs more, and says why
//!       contents: write # for softprops/action-gh-release
//!     steps: …
//! ```
//! A job hardpin cannot fully understand (an action missing from the
//! knowledge base, the token handed to a program it cannot see into) is left
//! on the default and reported; the workflow then gets no top-level block
//! (it would restrict that job) and the known jobs get blocks of their own.
//! Existing `permissions:` are never changed.

pub mod analyze;
pub mod commands;
pub mod kb;
pub mod placement;
pub mod remote;
pub mod scopes;
pub mod script;
pub mod unexplained;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::{Outcome, Transform};
use crate::diagnostics::{AllowedChanges, Applicability, Change, Payload, Severity};
use crate::discover::FileKind;
use crate::resolve::{Needs, Resolved};
use crate::rules::HP009;
use crate::source::SourceFile;
use crate::yaml::route::{document, entries, get};
use crate::yaml::{YamlDoc, pairs};
use analyze::{Context, Disk, Rule, Verdict, analyze_jobs, declared_top_level};
use kb::Kb;
use scopes::{Level, ScopeSet};

const NAME: &str = "permissions";

pub struct Permissions {
    pub kb: Arc<Kb>,
    /// Also judge the jobs' own blocks against what they need (HP009):
    /// `hardpin audit` only, since it analyses jobs `fix` leaves alone.
    pub judge_declared: bool,
}

/// What became of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// A block of its own with what it needs.
    Granted,
    /// Needs no more than the top-level `contents: read`.
    Inherits,
    /// It declares `permissions:` itself; left as it is.
    Declared,
    /// Left on the default token, with the reasons.
    Unknown,
}

/// One job's outcome, for the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job: String,
    pub status: JobStatus,
    #[serde(skip_serializing_if = "ScopeSet::is_empty")]
    pub scopes: ScopeSet,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// What decided the job: `knowledge-base`, `run-commands`, `inspected`
    /// (a composite action's steps or a called workflow's jobs, read from
    /// its file), `no-token` (an action never handed the token).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub rules: BTreeSet<Rule>,
    /// `unsafe` when decided from what an action's metadata does not show
    /// (it is never handed the token) rather than from facts about it.
    pub applicability: Applicability,
}

impl Payload for JobReport {
    fn key(&self) -> &'static str {
        NAME
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// How certain a job's decision is: inferred from an action never being
/// handed the token is a guess about code hardpin has not read.
fn applicability(rules: &BTreeSet<Rule>) -> Applicability {
    if rules.contains(&Rule::NoToken) {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    }
}

/// The repository root a workflow's `./` references are relative to.
fn repo_root(path: &Path, scan_root: &Path) -> PathBuf {
    let parent = path.parent();
    let is_workflows = parent
        .and_then(Path::file_name)
        .is_some_and(|n| n == "workflows")
        && parent
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github");
    match parent.and_then(Path::parent).and_then(Path::parent) {
        Some(root) if is_workflows => root.to_path_buf(),
        _ => scan_root.to_path_buf(),
    }
}

impl Transform for Permissions {
    /// Jobs are analysed whole in `apply`: their steps, local actions and
    /// called workflows are read there, so nothing is carried over.
    type Found = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) {
        if let (FileKind::Workflow, Some(doc)) = (file.target.kind, file.yaml()) {
            needs
                .remote_uses
                .extend(remote::unexplained_uses(doc, &self.kb));
        }
    }

    fn more_needs(&self, needs: &Needs, resolved: &Resolved, more: &mut Needs) {
        remote::more_needs(&needs.remote_uses, &self.kb, resolved, more);
    }

    fn apply(&self, file: &SourceFile, _: &(), resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        let Some(doc) = file.yaml() else { return out };
        if file.target.kind != FileKind::Workflow
            || document(doc).is_none_or(|r| get(doc, r, "jobs").is_none())
        {
            return out;
        }
        let top_declared = declared_top_level(doc);
        if let Some(write_all) = top_declared {
            if write_all {
                let at = pairs(doc)
                    .iter()
                    .find(|p| p.path.len() == 1 && p.key_name() == "permissions")
                    .map_or(0, |p| p.node.start_byte());
                out.rule_finding(
                    file,
                    NAME,
                    HP009,
                    at,
                    "the workflow grants `write-all` to every job".into(),
                    Some("replace it with the scopes the jobs need (remove it and run hardpin to compute them)"),
                );
            }
            // No block is added under a declared one; only the jobs' own
            // blocks are judged: `write-all` always, what they grant beyond
            // what they need in audit (which analyses the jobs, below).
            if !(self.judge_declared && has_job_blocks(doc)) {
                for (id, node) in job_blocks(doc) {
                    if get(doc, node, "permissions").is_some_and(|p| analyze::is_write_all(doc, p))
                    {
                        job_write_all(file, &id, node.start_byte(), &mut out);
                    }
                }
                return out;
            }
        }
        // Local actions and workflows are read from the workflow's own
        // repository, and nowhere else (a file given alone has its folder
        // as its tree, but its repository is what `./` names).
        let root = repo_root(file.path(), &file.target.root);
        let disk = Disk { root: root.clone() };
        let mut cx = Context {
            kb: &self.kb,
            files: &disk,
            remote: resolved,
            repo_root: root,
            stack: vec![file.path().clone()],
            in_remote: false,
            token_inputs: Vec::new(),
            rules: Default::default(),
            judge_declared: self.judge_declared,
        };
        let jobs = analyze_jobs(doc, &mut cx);
        if top_declared.is_some() {
            for job in &jobs {
                match &job.verdict {
                    Verdict::Declared {
                        write_all: true, ..
                    } => job_write_all(file, &job.id, job.node.start_byte(), &mut out),
                    Verdict::Declared {
                        write_all: false,
                        needed: Some(needed),
                    } => wider_than_needed(file, doc, job, needed, &mut out),
                    _ => {}
                }
            }
            return out;
        }
        plan(file, doc, &jobs, &mut out);
        out
    }
}

/// The jobs with a `permissions:` block of their own, by id.
fn job_blocks(doc: &YamlDoc) -> Vec<(String, tree_sitter::Node<'_>)> {
    let Some(jobs) = document(doc).and_then(|r| get(doc, r, "jobs")) else {
        return Vec::new();
    };
    entries(doc, jobs)
        .into_iter()
        .filter_map(|(id, _, job)| Some((id, job?)))
        .filter(|(_, job)| get(doc, *job, "permissions").is_some())
        .collect()
}

/// Whether any job has a block of its own: under a top-level block, only
/// those are analysed (to judge them).
fn has_job_blocks(doc: &YamlDoc) -> bool {
    !job_blocks(doc).is_empty()
}

/// Turn verdicts into blocks, findings and the report.
fn plan(file: &SourceFile, doc: &YamlDoc, jobs: &[analyze::Job<'_>], out: &mut Outcome) {
    let top_pairs = pairs(doc);
    let Some(jobs_pair) = top_pairs
        .iter()
        .find(|p| p.path.len() == 1 && p.key_name() == "jobs")
    else {
        return;
    };
    let first_job = jobs_pair
        .value
        .and_then(|v| entries(doc, v).into_iter().next())
        .map(|(_, p, _)| p);
    let unit = placement::indent_unit(jobs_pair.node, first_job);
    let any_unknown = jobs
        .iter()
        .any(|j| matches!(j.verdict, Verdict::Unknown(_)));
    if !any_unknown {
        let mut top = ScopeSet::default();
        top.add("contents", Level::Read, "", "");
        // Every job without a block of its own (its own withheld as unsafe
        // too) gets this one: it is as certain as the least certain job.
        let certainty = jobs
            .iter()
            .filter(|j| matches!(j.verdict, Verdict::Known(_)))
            .map(|j| applicability(&j.rules))
            .max()
            .unwrap_or(Applicability::Safe);
        push_block(
            file,
            doc,
            jobs_pair.node,
            &top,
            Block {
                unit,
                top_level: true,
                key_path: vec!["permissions".into()],
                why: "every job reads the repository, nothing more by default".into(),
                applicability: certainty,
            },
            out,
        );
    }
    for job in jobs {
        let at = job.node.start_byte();
        let mut report = JobReport {
            job: job.id.clone(),
            status: JobStatus::Granted,
            scopes: ScopeSet::default(),
            reasons: Vec::new(),
            applicability: applicability(&job.rules),
            rules: job.rules.clone(),
        };
        match &job.verdict {
            Verdict::Declared { write_all, needed } => {
                report.status = JobStatus::Declared;
                if let (false, Some(needed)) = (*write_all, needed) {
                    wider_than_needed(file, doc, job, needed, out);
                }
                if *write_all {
                    job_write_all(file, &job.id, at, out);
                }
            }
            Verdict::Unknown(reasons) => {
                report.status = JobStatus::Unknown;
                report.reasons = reasons.iter().map(ToString::to_string).collect();
                out.finding(
                    file,
                    NAME,
                    at,
                    Severity::Warning,
                    format!("job `{}` left on the default token permissions: {}", job.id, report.reasons.join("; ")),
                    Some("add what it needs to a --permissions-kb file, or write its permissions: block by hand"),
                );
            }
            Verdict::Known(needs) => {
                report.scopes = needs.clone();
                let read = job
                    .rules
                    .iter()
                    .any(|r| matches!(r, Rule::Inspected | Rule::NoToken));
                if read {
                    let how: Vec<&str> = job.rules.iter().map(|r| r.describe()).collect();
                    out.finding(
                        file,
                        NAME,
                        at,
                        Severity::Note,
                        format!("job `{}` decided from {}", job.id, how.join(", ")),
                        None,
                    );
                }
                let inherits = !any_unknown && (needs.is_empty() || needs.is_contents_read_only());
                if inherits {
                    report.status = JobStatus::Inherits;
                } else {
                    let key = ["steps", "uses", "runs-on"].iter().find_map(|k| {
                        entries(doc, job.node)
                            .into_iter()
                            .find(|(n, _, _)| n == k)
                            .map(|(_, p, _)| p)
                    });
                    match key {
                        Some(pair) => push_block(
                            file,
                            doc,
                            pair,
                            needs,
                            Block {
                                unit,
                                top_level: false,
                                key_path: vec!["jobs".into(), job.id.clone(), "permissions".into()],
                                why: format!("job `{}` gets only what it needs", job.id),
                                applicability: report.applicability,
                            },
                            out,
                        ),
                        None => out.finding(
                            file,
                            NAME,
                            at,
                            Severity::Note,
                            format!("job `{}`: no place to put a permissions block", job.id),
                            None,
                        ),
                    }
                }
            }
        }
        out.payloads.push(Arc::new(report));
    }
}

/// HP009 for a job's own `permissions: write-all`.
fn job_write_all(file: &SourceFile, id: &str, at: usize, out: &mut Outcome) {
    out.rule_finding(
        file,
        NAME,
        HP009,
        at,
        format!("job `{id}` grants `write-all`"),
        Some("replace it with the scopes the job needs"),
    );
}

/// HP009 for each `write` a job's own block grants that nothing it runs
/// needs: the analysis knows every step, so the grant is wider than needed.
fn wider_than_needed(
    file: &SourceFile,
    doc: &YamlDoc,
    job: &analyze::Job<'_>,
    needed: &ScopeSet,
    out: &mut Outcome,
) {
    let Some(p) = get(doc, job.node, "permissions") else {
        return;
    };
    let Ok(declared) = analyze::declared_map(doc, p, "") else {
        return;
    };
    for (scope, grant) in &declared.0 {
        let need = needed.0.get(scope).map(|g| g.level);
        if grant.level == Level::Write && need != Some(Level::Write) {
            let needs = match need {
                Some(l) => format!("`{scope}: {}`", l.as_str()),
                None => format!("no `{scope}` access"),
            };
            out.rule_finding(
                file,
                NAME,
                HP009,
                p.start_byte(),
                format!(
                    "job `{}` grants `{scope}: write`, but what it runs needs {needs}",
                    job.id
                ),
                Some("grant only what the job uses (remove the block and run `hardpin fix` to compute it)"),
            );
        }
    }
}

/// A `permissions:` block to insert, and how to report it.
struct Block {
    /// The file's indentation step.
    unit: usize,
    top_level: bool,
    key_path: Vec<String>,
    why: String,
    applicability: Applicability,
}

fn push_block(
    file: &SourceFile,
    doc: &YamlDoc,
    before: tree_sitter::Node<'_>,
    scopes: &ScopeSet,
    block: Block,
    out: &mut Outcome,
) {
    let Some(edit) = placement::insert_block(doc, before, scopes, block.unit, block.top_level)
    else {
        out.finding(
            file,
            NAME,
            before.start_byte(),
            Severity::Note,
            "no place to put a permissions block in this layout".into(),
            None,
        );
        return;
    };
    let after: Vec<String> = if scopes.is_empty() {
        vec!["{}".into()]
    } else {
        scopes
            .0
            .iter()
            .map(|(s, g)| format!("{s}: {}", g.level.as_str()))
            .collect()
    };
    let change = Change {
        transform: NAME,
        line: before.start_position().row + 1,
        column: before.start_position().column + 1,
        before: String::new(),
        after: format!("{}: {}", block.key_path.join("."), after.join(", ")),
        why: block.why,
        applicability: block.applicability,
    };
    let mut allowed = AllowedChanges::default();
    allowed.added_keys.insert(block.key_path);
    out.fix(vec![edit], change, allowed);
}
