//! What each job of a workflow needs from the token, or why that cannot be
//! known. Pure over the parsed workflow, the knowledge base, and the local
//! files it refers to (reusable workflows, composite actions).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tree_sitter::Node;

use super::commands::{RunContext, analyze_run};
use super::kb::{Kb, StepContext, action_needs, is_token};
use super::scopes::{Level, ScopeSet};
use crate::refs::{UsesTarget, classify};
use crate::version::TagVersion;
use crate::yaml::route::{entries, get, items, string_map};
use crate::yaml::{YamlDoc, scalar};

/// Reads files of the repository a workflow belongs to (local actions and
/// reusable workflows).
pub trait LocalFiles: Sync {
    fn read(&self, path: &Path) -> Option<String>;
}

/// The real file system.
pub struct Disk;

impl LocalFiles for Disk {
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
}

/// What was decided for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The job declares `permissions:` itself; `write_all` flags `write-all`.
    Declared { write_all: bool },
    /// Everything it does is understood: it needs exactly these scopes.
    Known(ScopeSet),
    /// Left alone, with the reasons.
    Unknown(Vec<String>),
}

pub struct Job<'t> {
    pub id: String,
    /// The job's value node (its mapping).
    pub node: Node<'t>,
    pub verdict: Verdict,
}

/// Where a workflow's relative `./` references are resolved.
pub struct Context<'a> {
    pub kb: &'a Kb,
    pub files: &'a dyn LocalFiles,
    pub repo_root: PathBuf,
    /// Workflows being analysed, to stop recursion.
    pub stack: Vec<PathBuf>,
}

/// The workflow-level `permissions:` if there is one: `Some(write_all)`.
pub fn declared_top_level(doc: &YamlDoc) -> Option<bool> {
    let root = doc_root(doc)?;
    get(doc, root, "permissions").map(|v| is_write_all(doc, v))
}

fn is_write_all(doc: &YamlDoc, v: Node<'_>) -> bool {
    scalar(doc, v).is_some_and(|s| s.value == "write-all")
}

pub fn doc_root(doc: &YamlDoc) -> Option<Node<'_>> {
    let root = doc.root();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .find(|n| n.kind() == "document")
}

/// Analyse every job of a workflow.
pub fn analyze_jobs<'t>(doc: &'t YamlDoc, cx: &mut Context<'_>) -> Vec<Job<'t>> {
    let Some(root) = doc_root(doc) else {
        return Vec::new();
    };
    let workflow_env = string_map(doc, get(doc, root, "env"));
    let Some(jobs) = get(doc, root, "jobs") else {
        return Vec::new();
    };
    entries(doc, jobs)
        .into_iter()
        .filter_map(|(id, _, node)| {
            let node = node?;
            let verdict = job_verdict(doc, node, &workflow_env, cx);
            Some(Job { id, node, verdict })
        })
        .collect()
}

fn job_verdict(
    doc: &YamlDoc,
    job: Node<'_>,
    workflow_env: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Verdict {
    if let Some(p) = get(doc, job, "permissions") {
        return Verdict::Declared {
            write_all: is_write_all(doc, p),
        };
    }
    let mut env = workflow_env.clone();
    env.extend(string_map(doc, get(doc, job, "env")));
    let mut needs = ScopeSet::default();
    let mut unknown = Vec::new();
    if let Some(uses) = get(doc, job, "uses").and_then(|u| scalar(doc, u)) {
        let with = string_map(doc, get(doc, job, "with"));
        match reusable_workflow(&uses.value, major_version(doc, &uses), &with, cx) {
            Ok(s) => needs.extend(&s),
            Err(e) => unknown.push(e),
        }
    } else if let Some(steps) = get(doc, job, "steps") {
        steps_needs(doc, steps, &env, cx, &mut needs, &mut unknown);
    }
    if unknown.is_empty() {
        Verdict::Known(needs)
    } else {
        Verdict::Unknown(unknown)
    }
}

/// Analyse a list of steps (of a job or a composite action).
fn steps_needs(
    doc: &YamlDoc,
    steps: Node<'_>,
    env: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
    needs: &mut ScopeSet,
    unknown: &mut Vec<String>,
) {
    let mut ghcr_login = false;
    let mut ghcr_push: Option<&str> = None;
    for (i, step) in items(steps).into_iter().enumerate() {
        let line = step.start_position().row + 1;
        let mut step_env = env.clone();
        step_env.extend(string_map(doc, get(doc, step, "env")));
        let with = string_map(doc, get(doc, step, "with"));
        if let Some(uses) = get(doc, step, "uses").and_then(|u| scalar(doc, u)) {
            let major = major_version(doc, &uses);
            match step_action(&uses.value, major, &with, &step_env, cx) {
                Ok(s) => {
                    ghcr_login |= s.0.contains_key("packages");
                    needs.extend(&s);
                }
                Err(e) => unknown.push(format!("step {} (line {line}): {e}", i + 1)),
            }
            let name = uses
                .value
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let pushes = with.get("push").is_some_and(|p| p.trim() == "true");
            if name == "docker/build-push-action"
                && pushes
                && with.get("tags").is_some_and(|t| t.contains("ghcr.io/"))
            {
                ghcr_push = Some("docker/build-push-action");
            }
        } else if let Some(run) = get(doc, step, "run").and_then(|r| scalar(doc, r)) {
            let token_vars = step_env
                .iter()
                .filter(|(_, v)| is_token(v))
                .map(|(k, _)| k.clone())
                .collect();
            match analyze_run(&run.value, cx.kb, &RunContext { token_vars }) {
                Ok(s) => {
                    if s.0.get("packages").is_some_and(|g| g.level == Level::Write) {
                        ghcr_push = Some("docker push");
                    }
                    needs.extend(&s);
                }
                Err(e) => unknown.push(format!("step {} (line {line}): {e}", i + 1)),
            }
        } else if get(doc, step, "uses").is_none() {
            unknown.push(format!(
                "step {} (line {line}): neither `uses:` nor `run:` could be read",
                i + 1
            ));
        }
    }
    if let (true, Some(who)) = (ghcr_login, ghcr_push) {
        needs.add("packages", Level::Write, who, "to push images to ghcr.io");
    }
}

/// The major version a `uses:` names: from its ref (`@v5`, `@v5.1.0`), else
/// from the version comment of a pin (`@<sha> # v5.0.1`).
fn major_version(doc: &YamlDoc, uses: &crate::yaml::Scalar<'_>) -> Option<u64> {
    let major = |v: &str| TagVersion::parse(v).and_then(|t| t.parts.first().copied());
    let git_ref = uses.value.rsplit_once('@').map(|(_, r)| r.trim())?;
    if !crate::refs::is_full_sha(git_ref) {
        return major(git_ref);
    }
    let comment = doc.comment_for(uses.node)?;
    doc.text_of(comment)
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .and_then(major)
}

/// What the knowledge base says `name` needs at `major` (the union over
/// every major when it is not known).
fn kb_needs(
    cx: &Context<'_>,
    name: &str,
    major: Option<u64>,
    ctx: &StepContext<'_>,
) -> Option<Result<ScopeSet, String>> {
    let entries = cx.kb.action_at(name, major);
    if entries.is_empty() {
        return None;
    }
    let mut out = ScopeSet::default();
    for e in entries {
        match action_needs(name, e, ctx) {
            Ok(s) => out.extend(&s),
            Err(why) => return Some(Err(why)),
        }
    }
    Some(Ok(out))
}

/// A `uses:` step: an action from the knowledge base, or a local action.
fn step_action(
    value: &str,
    major: Option<u64>,
    with: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Result<ScopeSet, String> {
    let token_passed = with.values().chain(env.values()).any(|v| is_token(v));
    match classify(value) {
        Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) => {
            let name = a.name().to_ascii_lowercase();
            kb_needs(cx, &name, major, &StepContext { with, env }).unwrap_or_else(|| {
                Err(format!(
                    "`{}` is not in the permissions knowledge base",
                    a.name()
                ))
            })
        }
        Ok(UsesTarget::Local) => local_action(value, with, env, token_passed, cx),
        Ok(UsesTarget::Docker(_)) if token_passed => {
            Err(format!("`{value}` is given the workflow token"))
        }
        Ok(UsesTarget::Docker(_)) => Ok(ScopeSet::default()),
        Ok(UsesTarget::Expression) => Err(format!("`{value}` is only known at run time")),
        Err(e) => Err(e.to_string()),
    }
}

/// A `./path` action: composite actions are analysed through their steps;
/// other local actions are understood only if the token cannot reach them.
fn local_action(
    value: &str,
    with: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    token_passed: bool,
    cx: &mut Context<'_>,
) -> Result<ScopeSet, String> {
    let dir = cx.repo_root.join(value.trim_start_matches("./"));
    let (path, text) = ["action.yml", "action.yaml"]
        .iter()
        .find_map(|f| cx.files.read(&dir.join(f)).map(|t| (dir.join(f), t)))
        .ok_or_else(|| format!("local action `{value}` has no action.yml"))?;
    if cx.stack.contains(&path) || cx.stack.len() > 8 {
        return Err(format!("local action `{value}` refers to itself"));
    }
    let doc = YamlDoc::parse(text).map_err(|e| format!("local action `{value}`: {e}"))?;
    let root = doc_root(&doc).ok_or_else(|| format!("local action `{value}` is empty"))?;
    let runs =
        get(&doc, root, "runs").ok_or_else(|| format!("local action `{value}` has no `runs:`"))?;
    let using = get(&doc, runs, "using")
        .and_then(|u| scalar(&doc, u))
        .map(|s| s.value)
        .unwrap_or_default();
    let inputs = get(&doc, root, "inputs");
    let default_token = inputs.is_some_and(|i| {
        entries(&doc, i).into_iter().any(|(name, _, v)| {
            !with.contains_key(&name)
                && v.is_some_and(|v| {
                    string_map(&doc, Some(v))
                        .get("default")
                        .is_some_and(|d| is_token(d))
                })
        })
    });
    if using != "composite" {
        if token_passed || default_token {
            return Err(format!(
                "local {using} action `{value}` is given the workflow token"
            ));
        }
        return Ok(ScopeSet::default());
    }
    let Some(steps) = get(&doc, runs, "steps") else {
        return Ok(ScopeSet::default());
    };
    cx.stack.push(path);
    let mut needs = ScopeSet::default();
    let mut unknown = Vec::new();
    steps_needs(&doc, steps, env, cx, &mut needs, &mut unknown);
    cx.stack.pop();
    match unknown.is_empty() {
        true => Ok(needs),
        false => Err(format!("in local action `{value}`: {}", unknown.join("; "))),
    }
}

/// A `jobs.<id>.uses:` call: a local workflow is analysed (the caller must
/// grant the union of what its jobs need); a remote one comes from the KB.
fn reusable_workflow(
    value: &str,
    major: Option<u64>,
    with: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Result<ScopeSet, String> {
    match classify(value) {
        Ok(UsesTarget::Local) => {
            let path = cx.repo_root.join(value.trim_start_matches("./"));
            if cx.stack.contains(&path) || cx.stack.len() > 8 {
                return Err(format!("reusable workflow `{value}` calls itself"));
            }
            let text = cx
                .files
                .read(&path)
                .ok_or_else(|| format!("reusable workflow `{value}` cannot be read"))?;
            let doc =
                YamlDoc::parse(text).map_err(|e| format!("reusable workflow `{value}`: {e}"))?;
            if let Some(root) = doc_root(&doc)
                && let Some(p) = get(&doc, root, "permissions")
            {
                return declared_map(&doc, p, value).map(|mut s| {
                    callee_job_maps(&doc, &mut s, value);
                    s
                });
            }
            cx.stack.push(path);
            let jobs = analyze_jobs(&doc, cx);
            cx.stack.pop();
            let mut needs = ScopeSet::default();
            for job in jobs {
                match job.verdict {
                    Verdict::Known(s) => needs.extend(&s),
                    Verdict::Declared { .. } => {
                        let p = get(&doc, job.node, "permissions").expect("declared");
                        needs.extend(&declared_map(&doc, p, value)?);
                    }
                    Verdict::Unknown(why) => {
                        return Err(format!(
                            "reusable workflow `{value}`, job `{}`: {}",
                            job.id,
                            why.join("; ")
                        ));
                    }
                }
            }
            Ok(needs)
        }
        Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) => {
            let name = a.name().to_ascii_lowercase();
            let env = BTreeMap::new();
            kb_needs(cx, &name, major, &StepContext { with, env: &env }).unwrap_or_else(|| {
                Err(format!(
                    "reusable workflow `{}` is not in the permissions knowledge base",
                    a.name()
                ))
            })
        }
        Ok(_) => Err(format!("`{value}` is only known at run time")),
        Err(e) => Err(e.to_string()),
    }
}

/// Add the job-level maps a callee declares.
fn callee_job_maps(doc: &YamlDoc, set: &mut ScopeSet, value: &str) {
    let Some(root) = doc_root(doc) else { return };
    let Some(jobs) = get(doc, root, "jobs") else {
        return;
    };
    for (_, _, job) in entries(doc, jobs) {
        if let Some(p) = job.and_then(|j| get(doc, j, "permissions"))
            && let Ok(s) = declared_map(doc, p, value)
        {
            set.extend(&s);
        }
    }
}

/// A declared `permissions:` map as needs; `read-all`/`write-all` cannot be
/// granted scope by scope.
fn declared_map(doc: &YamlDoc, node: Node<'_>, value: &str) -> Result<ScopeSet, String> {
    if let Some(s) = scalar(doc, node) {
        return Err(format!(
            "reusable workflow `{value}` declares `permissions: {}`",
            s.value
        ));
    }
    let mut set = ScopeSet::default();
    for (scope, level) in string_map(doc, Some(node)) {
        let level = match level.as_str() {
            "read" => Level::Read,
            "write" => Level::Write,
            _ => continue,
        };
        set.add(&scope, level, value, "declared by the called workflow");
    }
    Ok(set)
}
