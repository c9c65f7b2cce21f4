//! Which jobs of a workflow get the harden-runner step, where it goes in
//! each, and why the others are left alone.
//!
//! Only jobs that certainly run on a GitHub-hosted Linux runner qualify:
//! harden-runner's audit agent is made for those, and a step that fails on
//! a Windows, macOS or self-hosted runner would break the job it was meant
//! to watch.

use tree_sitter::Node;

use crate::yaml::layout::line_start_before;
use crate::yaml::route::{content, document, entries, get, items};
use crate::yaml::{YamlDoc, scalar};

/// The action inserted, as `uses:` names it (before the `@`).
pub const ACTION: &str = "step-security/harden-runner";

/// Where the step goes in an eligible job: byte offsets and columns of
/// the text `collect` read, so `apply` needs no tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub job: String,
    /// Where the inserted lines begin: the line of the current first step,
    /// or the comment lines just above it that describe it.
    pub at: usize,
    /// 1-based line of the current first step.
    pub line: usize,
    /// Column of the first step's `-`.
    pub dash: usize,
    /// Column of the first step's content (`-   uses:` keeps its spaces).
    pub content: usize,
    /// How far the job indents its keys: the file's indentation step.
    pub unit: usize,
}

/// A job left without the step, reported as a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub job: String,
    /// The job's key.
    pub at: usize,
    pub reason: SkipReason,
}

/// Why a job does not get the step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("it calls a reusable workflow, whose own jobs choose their runners")]
    ReusableCaller,
    #[error("it runs on `{0}`, not on a GitHub-hosted Linux runner")]
    NotHostedLinux(String),
    #[error("it runs on a self-hosted runner (`{0}`)")]
    SelfHosted(String),
    #[error("its runner is only known at run time (`{0}`)")]
    Expression(String),
    #[error("it names a runner group")]
    RunnerGroup,
    #[error("it has no `runs-on`")]
    NoRunsOn,
    #[error("it has no steps")]
    NoSteps,
    #[error("its steps are written in flow style (`steps: [...]`)")]
    FlowSteps,
    #[error("its steps are shared with other jobs through a YAML anchor or alias")]
    SharedSteps,
    #[error("its first step does not start a line of its own")]
    Layout,
    #[error("it is not written as a mapping")]
    NotMapping,
}

/// What `collect` found in one workflow.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Jobs {
    pub eligible: Vec<Site>,
    pub skipped: Vec<Skip>,
}

/// Sort every job of `doc` into eligible and skipped; jobs that already
/// run harden-runner are neither (that is what makes a second run a no-op).
pub fn sort_jobs(doc: &YamlDoc) -> Jobs {
    let mut out = Jobs::default();
    let Some(jobs) = document(doc).and_then(|root| get(doc, root, "jobs")) else {
        return out;
    };
    for (id, pair, value) in entries(doc, jobs) {
        match examine(doc, &id, pair, value) {
            Ok(Some(site)) => out.eligible.push(site),
            Ok(None) => {}
            Err(reason) => out.skipped.push(Skip {
                job: id,
                at: pair.start_byte(),
                reason,
            }),
        }
    }
    out
}

/// One job: `Ok(None)` when it already has the step.
fn examine(
    doc: &YamlDoc,
    id: &str,
    pair: Node<'_>,
    value: Option<Node<'_>>,
) -> Result<Option<Site>, SkipReason> {
    let job = value
        .filter(|v| content(*v).is_some_and(|c| c.kind().ends_with("_mapping")))
        .ok_or(SkipReason::NotMapping)?;
    if get(doc, job, "uses").is_some() {
        return Err(SkipReason::ReusableCaller);
    }
    let steps = get(doc, job, "steps");
    if steps.is_some_and(|s| has_harden_runner(doc, s)) {
        return Ok(None);
    }
    runner(doc, job)?;
    let steps = steps.ok_or(SkipReason::NoSteps)?;
    if marked(steps) {
        return Err(SkipReason::SharedSteps);
    }
    let seq = content(steps).ok_or(SkipReason::SharedSteps)?;
    match seq.kind() {
        "block_sequence" => {}
        "flow_sequence" => return Err(SkipReason::FlowSteps),
        _ => return Err(SkipReason::NoSteps),
    }
    let mut cursor = seq.walk();
    let first = seq
        .named_children(&mut cursor)
        .find(|c| c.kind() == "block_sequence_item")
        .ok_or(SkipReason::NoSteps)?;
    let at = line_start_before(&doc.text, first).ok_or(SkipReason::Layout)?;
    let dash = first.start_position().column;
    let mut c2 = first.walk();
    let content_col = first
        .named_children(&mut c2)
        .find(|n| n.kind() != "comment")
        .map(|n| n.start_position().column)
        .filter(|&c| c > dash)
        .unwrap_or(dash + 2);
    let steps_key = entries(doc, job)
        .into_iter()
        .find(|(k, _, _)| k == "steps")
        .map_or(0, |(_, p, _)| p.start_position().column);
    let unit = steps_key.saturating_sub(pair.start_position().column);
    Ok(Some(Site {
        job: id.to_string(),
        at,
        line: first.start_position().row + 1,
        dash,
        content: content_col,
        unit: if (1..=8).contains(&unit) { unit } else { 2 },
    }))
}

/// Does a step of `steps` already use harden-runner (any version)?
fn has_harden_runner(doc: &YamlDoc, steps: Node<'_>) -> bool {
    items(steps).into_iter().any(|step| {
        get(doc, step, "uses")
            .and_then(|u| scalar(doc, u))
            .is_some_and(|s| s.value.trim().to_ascii_lowercase().starts_with(ACTION))
    })
}

/// Does `node` carry an anchor or a tag? An anchored sequence is shared
/// with every alias of it: inserting there would change other jobs.
fn marked(node: Node<'_>) -> bool {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .any(|c| matches!(c.kind(), "anchor" | "tag"))
}

/// `Ok` when the job's `runs-on` names a GitHub-hosted Ubuntu runner: a
/// label, or a list of labels whose first one, starting with `ubuntu-`.
fn runner(doc: &YamlDoc, job: Node<'_>) -> Result<(), SkipReason> {
    let runs_on = get(doc, job, "runs-on").ok_or(SkipReason::NoRunsOn)?;
    let node = content(runs_on).ok_or(SkipReason::NoRunsOn)?;
    let text = |n: Node<'_>| {
        scalar(doc, n).map_or_else(
            || doc.text_of(n).to_string(),
            |s| s.value.trim().to_string(),
        )
    };
    let labels: Vec<String> = match node.kind() {
        "block_sequence" | "flow_sequence" => items(node).into_iter().map(text).collect(),
        "block_mapping" | "flow_mapping" => return Err(SkipReason::RunnerGroup),
        _ => vec![text(node)],
    };
    let shown = labels.join(", ");
    let first = labels.first().ok_or(SkipReason::NoRunsOn)?;
    if labels.iter().any(|l| l.contains("${{")) {
        return Err(SkipReason::Expression(shown));
    }
    if labels.iter().any(|l| l.eq_ignore_ascii_case("self-hosted")) {
        return Err(SkipReason::SelfHosted(shown));
    }
    if first.to_ascii_lowercase().starts_with("ubuntu-") {
        Ok(())
    } else {
        Err(SkipReason::NotHostedLinux(shown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(text: &str) -> Jobs {
        sort_jobs(&YamlDoc::parse(text.into()).unwrap())
    }

    fn reason(runs_on: &str) -> Option<SkipReason> {
        let text = format!("jobs:\n  a:\n    runs-on: {runs_on}\n    steps:\n      - run: hi\n");
        let jobs = sorted(&text);
        jobs.skipped.first().map(|s| s.reason.clone())
    }

    #[test]
    fn hosted_ubuntu_only() {
        for ok in [
            "ubuntu-latest",
            "ubuntu-24.04",
            "Ubuntu-22.04-arm",
            "[ubuntu-latest]",
            "'ubuntu-22.04'",
        ] {
            assert_eq!(reason(ok), None, "{ok}");
        }
        assert!(matches!(
            reason("windows-latest"),
            Some(SkipReason::NotHostedLinux(_))
        ));
        assert!(matches!(
            reason("macos-14"),
            Some(SkipReason::NotHostedLinux(_))
        ));
        assert!(matches!(
            reason("my-runner"),
            Some(SkipReason::NotHostedLinux(_))
        ));
        assert!(matches!(
            reason("self-hosted"),
            Some(SkipReason::SelfHosted(_))
        ));
        assert!(matches!(
            reason("[ubuntu-latest, self-hosted]"),
            Some(SkipReason::SelfHosted(_))
        ));
        assert!(matches!(
            reason("${{ matrix.os }}"),
            Some(SkipReason::Expression(_))
        ));
        assert!(matches!(
            reason("{group: big}"),
            Some(SkipReason::RunnerGroup)
        ));
        assert!(matches!(reason("[]"), Some(SkipReason::NoRunsOn)));
    }

    #[test]
    fn site_follows_the_first_step() {
        let text = "jobs:\n    a:\n        runs-on: ubuntu-latest\n        steps:\n            # first\n            -   run: hi\n";
        let jobs = sorted(text);
        assert_eq!(
            jobs.eligible,
            [Site {
                job: "a".into(),
                at: text.find("            # first").unwrap(),
                line: 6,
                dash: 12,
                content: 16,
                unit: 4,
            }]
        );
    }

    #[test]
    fn skips_and_already_present() {
        let text = "jobs:\n  call:\n    uses: o/r/.github/workflows/w.yml@v1\n  flow:\n    runs-on: ubuntu-latest\n    steps: [{run: hi}]\n  none:\n    runs-on: ubuntu-latest\n  done:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: Step-Security/Harden-Runner@v2\n  shared:\n    runs-on: ubuntu-latest\n    steps: &s\n      - run: hi\n  alias: *x\n";
        let text = text.replace("*x", "{runs-on: ubuntu-latest, steps: *s}");
        let jobs = sorted(&text);
        assert!(jobs.eligible.is_empty());
        let reasons: Vec<(&str, &SkipReason)> = jobs
            .skipped
            .iter()
            .map(|s| (s.job.as_str(), &s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("call", &SkipReason::ReusableCaller),
                ("flow", &SkipReason::FlowSteps),
                ("none", &SkipReason::NoSteps),
                ("shared", &SkipReason::SharedSteps),
                ("alias", &SkipReason::SharedSteps),
            ]
        );
    }
}
