//! What each job of a workflow needs from the token, or why that cannot be
//! known. Pure over the parsed workflow, the knowledge base, and the local
//! files it refers to (reusable workflows, composite actions).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tree_sitter::Node;

use super::commands::{RunContext, analyze_run};
use super::kb::{Kb, StepContext, action_needs, is_token};
use super::remote::RemoteFiles;
use super::scopes::{Level, ScopeSet};
use super::script::analyze_script;
use super::unexplained::Unexplained;
use crate::refs::{UsesTarget, classify};
use crate::version::TagVersion;
use crate::yaml::route::{document, entries, get, items, string_map};
use crate::yaml::{YamlDoc, scalar};

/// Reads files of the repository a workflow belongs to (local actions and
/// reusable workflows).
pub trait LocalFiles: Sync {
    fn read(&self, path: &Path) -> Option<String>;
}

/// The real file system below `root`, under the rules for the files hardpin
/// fixes: a path that leads out of the tree (through `..` or a symbolic
/// link) or a file over the size limit reads as missing.
pub struct Disk {
    pub root: PathBuf,
}

impl LocalFiles for Disk {
    fn read(&self, path: &Path) -> Option<String> {
        let target = std::fs::canonicalize(path).ok()?;
        let root = std::fs::canonicalize(&self.root).ok()?;
        let small = std::fs::metadata(&target).ok()?.len() <= crate::source::MAX_FILE;
        (target.starts_with(&root) && small)
            .then(|| std::fs::read_to_string(&target).ok())
            .flatten()
    }
}

/// What was decided for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The job declares `permissions:` itself; `write_all` flags
    /// `write-all`. `needed` is what it would need without the block, when
    /// every step is understood without inference (`hardpin audit` reports
    /// write grants beyond it).
    Declared {
        write_all: bool,
        needed: Option<ScopeSet>,
    },
    /// Everything it does is understood: it needs exactly these scopes.
    Known(ScopeSet),
    /// Left alone, with the reasons.
    Unknown(Vec<Unexplained>),
}

pub struct Job<'t> {
    pub id: String,
    /// The job's value node (its mapping).
    pub node: Node<'t>,
    pub verdict: Verdict,
    /// What decided it.
    pub rules: BTreeSet<Rule>,
}

/// Where a workflow's relative `./` references are resolved.
pub struct Context<'a> {
    pub kb: &'a Kb,
    pub files: &'a dyn LocalFiles,
    /// Files of remote actions and reusable workflows, fetched beforehand.
    pub remote: &'a dyn RemoteFiles,
    pub repo_root: PathBuf,
    /// Workflows and actions being analysed, to stop recursion.
    pub stack: Vec<PathBuf>,
    /// Inside a remote file, where `./` names another repository's files.
    pub in_remote: bool,
    /// Inside a composite action: its inputs that carry the token (they
    /// default to it, or the caller set them to it).
    pub token_inputs: Vec<String>,
    /// How the current job was decided (for the report).
    pub rules: BTreeSet<Rule>,
    /// Work out what jobs with their own block would need (audit only).
    pub judge_declared: bool,
}

impl Rule {
    pub fn describe(self) -> &'static str {
        match self {
            Rule::KnowledgeBase => "the knowledge base",
            Rule::RunCommands => "its run: commands",
            Rule::Inspected => "the steps of the actions and workflows it calls",
            Rule::NoToken => "actions never handed the token (inferred)",
            Rule::GithubScript => "the REST calls of its github-script",
        }
    }
}

impl Context<'_> {
    /// Run `f` on a fetched file, where `./` names that file's repository.
    fn in_remote_file<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let was = std::mem::replace(&mut self.in_remote, true);
        let result = f(self);
        self.in_remote = was;
        result
    }

    /// `text` with every `inputs.<x>` that carries the token written as
    /// `github.token`, so the analysis sees the token wherever it goes.
    fn tokenize(&self, text: &str) -> String {
        let mut out = text.to_string();
        for t in &self.token_inputs {
            for form in [
                format!("inputs.{t}"),
                format!("inputs['{t}']"),
                format!("inputs[\"{t}\"]"),
            ] {
                out = out.replace(&form, "github.token");
            }
        }
        out
    }

    fn tokenize_map(&self, map: BTreeMap<String, String>) -> BTreeMap<String, String> {
        if self.token_inputs.is_empty() {
            return map;
        }
        map.into_iter()
            .map(|(k, v)| (k, self.tokenize(&v)))
            .collect()
    }
}

/// What decided a job, for the report: the knowledge base's facts are
/// certain; a decision from reading an action's metadata is inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// An action's entry in the knowledge base.
    KnowledgeBase,
    /// The commands of `run:` steps.
    RunCommands,
    /// The steps of a composite action or the jobs of a reusable workflow,
    /// read from its file (local or fetched).
    Inspected,
    /// A JavaScript or Docker action that is never handed the token, so
    /// cannot use it (inferred).
    NoToken,
    /// The REST calls of an actions/github-script script.
    GithubScript,
}

/// The workflow-level `permissions:` if there is one: `Some(write_all)`.
pub fn declared_top_level(doc: &YamlDoc) -> Option<bool> {
    let root = document(doc)?;
    get(doc, root, "permissions").map(|v| is_write_all(doc, v))
}

pub fn is_write_all(doc: &YamlDoc, v: Node<'_>) -> bool {
    scalar(doc, v).is_some_and(|s| s.value == "write-all")
}

/// Analyse every job of a workflow.
pub fn analyze_jobs<'t>(doc: &'t YamlDoc, cx: &mut Context<'_>) -> Vec<Job<'t>> {
    let Some(root) = document(doc) else {
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
            let rules = std::mem::take(&mut cx.rules);
            Some(Job {
                id,
                node,
                verdict,
                rules,
            })
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
        let needed = if cx.judge_declared {
            match job_needs(doc, job, workflow_env, cx) {
                Verdict::Known(s) if !cx.rules.contains(&Rule::NoToken) => Some(s),
                _ => None,
            }
        } else {
            None
        };
        cx.rules.clear();
        return Verdict::Declared {
            write_all: is_write_all(doc, p),
            needed,
        };
    }
    job_needs(doc, job, workflow_env, cx)
}

/// What a job's steps (or the workflow it calls) need.
fn job_needs(
    doc: &YamlDoc,
    job: Node<'_>,
    workflow_env: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Verdict {
    cx.rules.clear();
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
    unknown: &mut Vec<Unexplained>,
) {
    let mut ghcr_login = false;
    let mut ghcr_push: Option<&str> = None;
    // actions/checkout leaves the token in .git/config unless told not to:
    // any later step can `git push` with it, token or not.
    let mut persisted: Option<usize> = None;
    for (i, step) in items(steps).into_iter().enumerate() {
        let line = step.start_position().row + 1;
        let mut step_env = env.clone();
        step_env.extend(cx.tokenize_map(string_map(doc, get(doc, step, "env"))));
        let with = cx.tokenize_map(string_map(doc, get(doc, step, "with")));
        if let Some(uses) = get(doc, step, "uses").and_then(|u| scalar(doc, u)) {
            let major = major_version(doc, &uses);
            let name = uses
                .value
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match step_action(&uses.value, major, &with, &step_env, cx) {
                Ok((_, Rule::NoToken)) if persisted.is_some() => unknown.push(Unexplained::Step {
                    step: i + 1,
                    line,
                    reason: Box::new(Unexplained::AfterPersistedCredentials {
                        uses: uses.value.trim().to_string(),
                        checkout_step: persisted.unwrap_or_default() + 1,
                    }),
                }),
                Ok((s, rule)) => {
                    cx.rules.insert(rule);
                    ghcr_login |= s.0.contains_key("packages");
                    needs.extend(&s);
                }
                Err(e) => unknown.push(Unexplained::Step {
                    step: i + 1,
                    line,
                    reason: Box::new(e),
                }),
            }
            if name == "actions/checkout"
                && with
                    .get("persist-credentials")
                    .is_none_or(|v| v.trim() != "false")
            {
                persisted.get_or_insert(i);
            }
            // Tags written out, or from an expression (the documented
            // pattern with docker/metadata-action), which may name ghcr.io:
            // after a login to ghcr.io with the token, the push needs it.
            let pushes = with
                .get("push")
                .is_some_and(|p| p.trim() == "true" || p.contains("${{"));
            if name == "docker/build-push-action"
                && pushes
                && with
                    .get("tags")
                    .is_some_and(|t| t.contains("ghcr.io/") || t.contains("${{"))
            {
                ghcr_push = Some("docker/build-push-action");
            }
        } else if let Some(run) = get(doc, step, "run").and_then(|r| scalar(doc, r)) {
            let ctx = RunContext::from_env(&step_env);
            match analyze_run(&cx.tokenize(&run.value), cx.kb, &ctx) {
                Ok(s) => {
                    cx.rules.insert(Rule::RunCommands);
                    if s.0.get("packages").is_some_and(|g| g.level == Level::Write) {
                        ghcr_push = Some("docker push");
                    }
                    needs.extend(&s);
                }
                Err(e) => unknown.push(Unexplained::Step {
                    step: i + 1,
                    line,
                    reason: Box::new(e),
                }),
            }
        } else if get(doc, step, "uses").is_none() {
            unknown.push(Unexplained::Step {
                step: i + 1,
                line,
                reason: Box::new(Unexplained::NoUsesOrRun),
            });
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
/// every major when it is not known); `None` when it has no entry.
pub fn kb_needs(
    kb: &Kb,
    name: &str,
    major: Option<u64>,
    ctx: &StepContext<'_>,
) -> Option<Result<ScopeSet, Unexplained>> {
    let entries = kb.action_at(name, major);
    if entries.is_empty() {
        return None;
    }
    let mut out = ScopeSet::default();
    for e in entries {
        match action_needs(name, e, ctx) {
            Ok(s) => out.extend(&s),
            Err(why) => return Some(Err(why)),
        }
        // A script the action runs for the caller is read like `run:`.
        if let Some(script) = e.run_input.as_ref().and_then(|i| ctx.with.get(i)) {
            match analyze_run(script, kb, &RunContext::from_env(ctx.env)) {
                Ok(s) => out.extend(&s),
                Err(why) => {
                    return Some(Err(Unexplained::RunInput {
                        action: name.to_string(),
                        reason: Box::new(why),
                    }));
                }
            }
        }
    }
    Some(Ok(out))
}

/// A `uses:` step: an action from the knowledge base, else read from its
/// metadata (a local action, or a remote one fetched at its commit).
fn step_action(
    value: &str,
    major: Option<u64>,
    with: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Result<(ScopeSet, Rule), Unexplained> {
    let token_passed = with.values().chain(env.values()).any(|v| is_token(v));
    match classify(value) {
        Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) => {
            let name = a.name().to_ascii_lowercase();
            if name == "actions/github-script" {
                return github_script(with, cx).map(|s| (s, Rule::GithubScript));
            }
            if let Some(known) = kb_needs(cx.kb, &name, major, &StepContext { with, env }) {
                return known.map(|s| (s, Rule::KnowledgeBase));
            }
            let (key, text) =
                cx.remote
                    .read(&a, false)
                    .map_err(|reason| Unexplained::ActionNotInKb {
                        action: a.name(),
                        reason: Box::new(reason),
                    })?;
            let label = format!("`{a}`");
            cx.in_remote_file(|cx| {
                action_metadata(
                    PathBuf::from(key),
                    &text,
                    &label,
                    with,
                    env,
                    token_passed,
                    cx,
                )
            })
        }
        Ok(UsesTarget::Local) if cx.in_remote => {
            Err(Unexplained::LocalInRemoteAction(value.to_string()))
        }
        Ok(UsesTarget::Local) => {
            let dir = cx.repo_root.join(value.trim_start_matches("./"));
            let (path, text) = ["action.yml", "action.yaml"]
                .iter()
                .find_map(|f| cx.files.read(&dir.join(f)).map(|t| (dir.join(f), t)))
                .ok_or_else(|| Unexplained::NoActionYml(value.to_string()))?;
            let label = format!("local action `{value}`");
            action_metadata(path, &text, &label, with, env, token_passed, cx)
        }
        Ok(UsesTarget::Docker(_)) if token_passed => {
            Err(Unexplained::DockerGivenToken(value.to_string()))
        }
        Ok(UsesTarget::Docker(_)) => Ok((ScopeSet::default(), Rule::NoToken)),
        Ok(UsesTarget::Expression) => Err(Unexplained::RunTimeOnly(value.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// actions/github-script: what its script's REST calls need, when it runs
/// with the workflow token (its `github-token` input's default).
fn github_script(
    with: &BTreeMap<String, String>,
    cx: &Context<'_>,
) -> Result<ScopeSet, Unexplained> {
    if with.get("github-token").is_some_and(|t| !is_token(t)) {
        return Err(Unexplained::GithubScriptOwnToken);
    }
    let script = match (with.get("script"), with.get("script-file")) {
        (Some(s), None) => s.clone(),
        (None, Some(f)) if !cx.in_remote && !f.contains("${{") => {
            let path = cx.repo_root.join(f.trim_start_matches("./"));
            cx.files
                .read(&path)
                .ok_or_else(|| Unexplained::ScriptFileUnreadable(f.clone()))?
        }
        _ => return Err(Unexplained::NoScript),
    };
    analyze_script(&script, cx.kb).map_err(|e| Unexplained::GithubScript(Box::new(e)))
}

/// An action read from its `action.yml` (`key` tells it from others, to
/// stop recursion): a composite action needs what its steps need; any other
/// action can use the token only if it is handed the token, through `with:`
/// or `env:` or an input that defaults to it.
fn action_metadata(
    key: PathBuf,
    text: &str,
    label: &str,
    with: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    token_passed: bool,
    cx: &mut Context<'_>,
) -> Result<(ScopeSet, Rule), Unexplained> {
    if cx.stack.contains(&key) || cx.stack.len() > 8 {
        return Err(Unexplained::ActionRecursion {
            label: label.to_string(),
        });
    }
    let doc = YamlDoc::parse(text.to_string()).map_err(|source| Unexplained::ActionYaml {
        label: label.to_string(),
        source,
    })?;
    let root = document(&doc).ok_or_else(|| Unexplained::EmptyAction {
        label: label.to_string(),
    })?;
    let runs = get(&doc, root, "runs").ok_or_else(|| Unexplained::NoRuns {
        label: label.to_string(),
    })?;
    let using = get(&doc, runs, "using")
        .and_then(|u| scalar(&doc, u))
        .map(|s| s.value)
        .unwrap_or_default();
    // Inputs that carry the token: set to it by the caller, or defaulting
    // to it when the caller leaves them unset.
    let token_inputs: Vec<String> = get(&doc, root, "inputs")
        .map(|i| entries(&doc, i))
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _, v)| match with.get(name) {
            Some(given) => is_token(given),
            None => v.is_some_and(|v| {
                string_map(&doc, Some(v))
                    .get("default")
                    .is_some_and(|d| is_token(d))
            }),
        })
        .map(|(name, _, _)| name)
        .collect();
    if using != "composite" {
        if token_passed || !token_inputs.is_empty() {
            return Err(Unexplained::ActionGivenToken {
                label: label.to_string(),
                using,
            });
        }
        return Ok((ScopeSet::default(), Rule::NoToken));
    }
    let Some(steps) = get(&doc, runs, "steps") else {
        return Ok((ScopeSet::default(), Rule::Inspected));
    };
    // The composite's steps see its inputs, not the caller's `with:`; the
    // token reaches them through `${{ inputs.x }}`, rewritten as the token.
    let outer = std::mem::replace(&mut cx.token_inputs, token_inputs);
    cx.stack.push(key);
    let mut needs = ScopeSet::default();
    let mut unknown = Vec::new();
    steps_needs(&doc, steps, env, cx, &mut needs, &mut unknown);
    cx.stack.pop();
    cx.token_inputs = outer;
    match unknown.is_empty() {
        true => Ok((needs, Rule::Inspected)),
        false => Err(Unexplained::InComposite {
            label: label.to_string(),
            reasons: unknown,
        }),
    }
}

/// A `jobs.<id>.uses:` call: the caller must grant the union of what the
/// called workflow's jobs need. A local workflow is read from disk; a remote
/// one comes from the knowledge base, else from its file at the commit.
fn reusable_workflow(
    value: &str,
    major: Option<u64>,
    with: &BTreeMap<String, String>,
    cx: &mut Context<'_>,
) -> Result<ScopeSet, Unexplained> {
    match classify(value) {
        Ok(UsesTarget::Local) if cx.in_remote => {
            Err(Unexplained::LocalInRemoteWorkflow(value.to_string()))
        }
        Ok(UsesTarget::Local) => {
            let path = cx.repo_root.join(value.trim_start_matches("./"));
            let text = cx
                .files
                .read(&path)
                .ok_or_else(|| Unexplained::WorkflowUnreadable(value.to_string()))?;
            called_workflow(path, text, value, cx)
        }
        Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) => {
            let name = a.name().to_ascii_lowercase();
            let env = BTreeMap::new();
            if let Some(known) = kb_needs(cx.kb, &name, major, &StepContext { with, env: &env }) {
                cx.rules.insert(Rule::KnowledgeBase);
                return known;
            }
            let (key, text) =
                cx.remote
                    .read(&a, true)
                    .map_err(|reason| Unexplained::WorkflowNotInKb {
                        workflow: a.name(),
                        reason: Box::new(reason),
                    })?;
            cx.in_remote_file(|cx| called_workflow(PathBuf::from(key), text.to_string(), value, cx))
        }
        Ok(_) => Err(Unexplained::RunTimeOnly(value.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// What the jobs of a called workflow need: its declared `permissions:`
/// where it has them, else what the analysis of each job finds.
fn called_workflow(
    key: PathBuf,
    text: String,
    value: &str,
    cx: &mut Context<'_>,
) -> Result<ScopeSet, Unexplained> {
    if cx.stack.contains(&key) || cx.stack.len() > 8 {
        return Err(Unexplained::WorkflowRecursion(value.to_string()));
    }
    let doc = YamlDoc::parse(text).map_err(|source| Unexplained::WorkflowYaml {
        workflow: value.to_string(),
        source,
    })?;
    cx.rules.insert(Rule::Inspected);
    if let Some(root) = document(&doc)
        && let Some(p) = get(&doc, root, "permissions")
    {
        return declared_map(&doc, p, value).map(|mut s| {
            callee_job_maps(&doc, &mut s, value);
            s
        });
    }
    cx.stack.push(key);
    // Each called job starts its own record of rules: keep the caller's.
    let caller_rules = std::mem::take(&mut cx.rules);
    let jobs = analyze_jobs(&doc, cx);
    cx.rules = caller_rules;
    cx.stack.pop();
    let mut needs = ScopeSet::default();
    for job in jobs {
        match job.verdict {
            Verdict::Known(s) => needs.extend(&s),
            Verdict::Declared { .. } => {
                if let Some(p) = get(&doc, job.node, "permissions") {
                    needs.extend(&declared_map(&doc, p, value)?);
                }
            }
            Verdict::Unknown(why) => {
                return Err(Unexplained::CalledJob {
                    workflow: value.to_string(),
                    job: job.id,
                    reasons: why,
                });
            }
        }
    }
    Ok(needs)
}

/// Add the job-level maps a callee declares.
fn callee_job_maps(doc: &YamlDoc, set: &mut ScopeSet, value: &str) {
    let Some(root) = document(doc) else { return };
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
pub fn declared_map(doc: &YamlDoc, node: Node<'_>, value: &str) -> Result<ScopeSet, Unexplained> {
    if let Some(s) = scalar(doc, node) {
        return Err(Unexplained::WorkflowDeclaresAll {
            workflow: value.to_string(),
            permissions: s.value,
        });
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
