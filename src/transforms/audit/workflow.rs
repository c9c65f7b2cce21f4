//! The parts of a workflow the checks read, taken from the CST once: the
//! events that trigger it, its jobs and their steps, each value with the
//! byte offset a finding points at. The checks then read meaning instead of
//! walking the tree, and stay pure functions of this view. A shape that is
//! not the documented one (an alias, a sequence where a mapping belongs, an
//! expression) leaves its field empty, so the checks skip it.

use tree_sitter::Node;

use crate::refs::{UsesTarget, classify};
use crate::yaml::route::{content, entries, get, items};
use crate::yaml::{YamlDoc, scalar};

/// A scalar value and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub at: usize,
}

/// The scalar entries of a mapping (`env:`, `with:`) in file order.
pub type Vars = Vec<(String, Value)>;

#[derive(Debug, Default)]
pub struct Workflow {
    /// Event names of `on:`, in any of its forms.
    pub triggers: Vec<String>,
    pub env: Vars,
    /// `permissions:` when it is a scalar (`write-all`, `read-all`).
    pub permissions: Option<Value>,
    pub jobs: Vec<Job>,
}

#[derive(Debug, Default)]
pub struct Job {
    pub id: String,
    /// Where the job's key starts.
    pub at: usize,
    pub runs_on: Option<RunsOn>,
    pub permissions: Option<Value>,
    pub env: Vars,
    /// `uses:` of a job that calls a reusable workflow.
    pub uses: Option<Value>,
    pub steps: Vec<Step>,
    /// The steps of a composite action rather than a job.
    pub composite: bool,
}

/// The runner labels a job asks for.
#[derive(Debug, Default)]
pub struct RunsOn {
    /// Where the `runs-on:` value starts.
    pub at: usize,
    /// The labels, from a string, a list or the `labels:` of a mapping.
    pub labels: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Step {
    /// 1-based line where the step starts, for messages.
    pub line: usize,
    pub uses: Option<Value>,
    pub run: Option<Value>,
    pub with: Vars,
    pub env: Vars,
}

impl Step {
    /// The `owner/repo` of a remote action, lowercased (GitHub matches
    /// names without case); `None` for local, Docker and expression `uses:`.
    pub fn action(&self) -> Option<String> {
        action_repo(&self.uses.as_ref()?.text)
    }

    /// Whether this step runs the action `repo` (`owner/repo`, lowercase).
    pub fn uses_action(&self, repo: &str) -> bool {
        self.action().is_some_and(|a| a == repo)
    }

    /// The value of input `name` (GitHub matches input names without case).
    pub fn input(&self, name: &str) -> Option<&Value> {
        lookup(&self.with, name)
    }
}

impl Job {
    /// Where `step` is, for messages: its line, and its job.
    pub fn place(&self, step: &Step) -> String {
        if self.composite {
            format!("the step at line {}", step.line)
        } else {
            format!("the step at line {} of job `{}`", step.line, self.id)
        }
    }

    /// Whether a step of this job runs the action `repo`.
    pub fn uses_action(&self, repo: &str) -> bool {
        self.steps.iter().any(|s| s.uses_action(repo))
    }
}

/// The entry `name` of `vars`, without regard to case.
pub fn lookup<'v>(vars: &'v Vars, name: &str) -> Option<&'v Value> {
    vars.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The lowercased `owner/repo` of a remote `uses:` value.
pub fn action_repo(uses: &str) -> Option<String> {
    match classify(uses) {
        Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) => {
            Some(a.repo.to_string().to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Read a workflow file.
pub fn workflow(doc: &YamlDoc) -> Workflow {
    let Some(root) = document(doc) else {
        return Workflow::default();
    };
    let jobs = get(doc, root, "jobs")
        .map(|jobs| {
            entries(doc, jobs)
                .into_iter()
                .filter_map(|(id, pair, node)| Some(job(doc, id, pair, node?)))
                .collect()
        })
        .unwrap_or_default();
    Workflow {
        triggers: triggers(doc, root),
        env: vars(doc, get(doc, root, "env")),
        permissions: get(doc, root, "permissions").and_then(|p| value(doc, p)),
        jobs,
    }
}

/// Read the steps of a composite action as one job (`None` for any other
/// kind of action).
pub fn composite_action(doc: &YamlDoc) -> Option<Job> {
    let root = document(doc)?;
    let runs = get(doc, root, "runs")?;
    let using = get(doc, runs, "using").and_then(|u| value(doc, u))?;
    if !using.text.trim().eq_ignore_ascii_case("composite") {
        return None;
    }
    Some(Job {
        id: "composite".into(),
        at: root.start_byte(),
        steps: get(doc, runs, "steps")
            .map(|s| steps(doc, s))
            .unwrap_or_default(),
        composite: true,
        ..Job::default()
    })
}

fn document(doc: &YamlDoc) -> Option<Node<'_>> {
    let root = doc.root();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .find(|n| n.kind() == "document")
}

/// `on: push`, `on: [push, pull_request]` or `on: {push: …}`. The key may
/// be quoted (`"on":`) to keep YAML 1.1 readers from taking it for `true`.
fn triggers(doc: &YamlDoc, root: Node<'_>) -> Vec<String> {
    let Some(on) = get(doc, root, "on") else {
        return Vec::new();
    };
    if let Some(v) = value(doc, on) {
        return vec![v.text.trim().to_string()];
    }
    let listed: Vec<String> = items(on)
        .into_iter()
        .filter_map(|i| value(doc, i))
        .map(|v| v.text.trim().to_string())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    entries(doc, on).into_iter().map(|(k, _, _)| k).collect()
}

fn job(doc: &YamlDoc, id: String, pair: Node<'_>, node: Node<'_>) -> Job {
    Job {
        id,
        at: pair.start_byte(),
        runs_on: get(doc, node, "runs-on").map(|r| runs_on(doc, r)),
        permissions: get(doc, node, "permissions").and_then(|p| value(doc, p)),
        env: vars(doc, get(doc, node, "env")),
        uses: get(doc, node, "uses").and_then(|u| value(doc, u)),
        steps: get(doc, node, "steps")
            .map(|s| steps(doc, s))
            .unwrap_or_default(),
        composite: false,
    }
}

fn runs_on(doc: &YamlDoc, node: Node<'_>) -> RunsOn {
    let labels_of = |n: Node<'_>| -> Vec<String> {
        match value(doc, n) {
            Some(v) => vec![v.text],
            None => items(n)
                .into_iter()
                .filter_map(|i| value(doc, i))
                .map(|v| v.text)
                .collect(),
        }
    };
    let labels = match get(doc, node, "labels") {
        Some(l) => labels_of(l),
        None => labels_of(node),
    };
    RunsOn {
        at: content(node).map_or(node.start_byte(), |n| n.start_byte()),
        labels: labels.into_iter().map(|l| l.trim().to_string()).collect(),
    }
}

fn steps(doc: &YamlDoc, node: Node<'_>) -> Vec<Step> {
    items(node)
        .into_iter()
        .map(|step| Step {
            line: step.start_position().row + 1,
            uses: get(doc, step, "uses").and_then(|u| value(doc, u)),
            run: get(doc, step, "run").and_then(|r| value(doc, r)),
            with: vars(doc, get(doc, step, "with")),
            env: vars(doc, get(doc, step, "env")),
        })
        .collect()
}

/// The scalar entries of a mapping; other values are left out.
fn vars(doc: &YamlDoc, node: Option<Node<'_>>) -> Vars {
    node.map(|n| {
        entries(doc, n)
            .into_iter()
            .filter_map(|(k, _, v)| Some((k, value(doc, v?)?)))
            .collect()
    })
    .unwrap_or_default()
}

fn value(doc: &YamlDoc, node: Node<'_>) -> Option<Value> {
    scalar(doc, node).map(|s| Value {
        text: s.value,
        at: s.node.start_byte(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Workflow {
        workflow(&YamlDoc::parse(text.into()).unwrap())
    }

    #[test]
    fn triggers_in_every_form() {
        assert_eq!(read("on: push\n").triggers, ["push"]);
        assert_eq!(
            read("'on': [push, pull_request]\n").triggers,
            ["push", "pull_request"]
        );
        assert_eq!(
            read("on:\n  pull_request_target:\n    types: [opened]\n  push:\n").triggers,
            ["pull_request_target", "push"]
        );
        assert!(read("on: *x\n").triggers.is_empty());
    }

    #[test]
    fn jobs_steps_and_runners() {
        let w = read(
            "jobs:\n  a:\n    runs-on: [self-hosted, linux]\n    steps:\n      - uses: Actions/Checkout@v4\n        with: {ref: main}\n      - run: make\n  b: {runs-on: {group: g, labels: self-hosted}, uses: ./.github/workflows/x.yml}\n  c: *anchor\n",
        );
        assert_eq!(w.jobs.len(), 3);
        let a = &w.jobs[0];
        assert_eq!(a.runs_on.as_ref().unwrap().labels, ["self-hosted", "linux"]);
        assert_eq!(a.steps[0].action().as_deref(), Some("actions/checkout"));
        assert_eq!(a.steps[0].input("REF").unwrap().text, "main");
        assert_eq!(a.steps[1].line, 7);
        assert_eq!(w.jobs[1].runs_on.as_ref().unwrap().labels, ["self-hosted"]);
        assert!(w.jobs[1].uses.is_some());
        assert!(w.jobs[2].steps.is_empty());
    }

    #[test]
    fn composite_actions_only() {
        let doc = |t: &str| YamlDoc::parse(t.into()).unwrap();
        let c = composite_action(&doc(
            "runs:\n  using: composite\n  steps:\n    - run: npm install\n      shell: bash\n",
        ));
        assert_eq!(c.unwrap().steps.len(), 1);
        assert!(composite_action(&doc("runs:\n  using: node20\n  main: x.js\n")).is_none());
    }
}
