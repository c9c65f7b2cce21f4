//! HP012: self-hosted runners in workflows that run for pull requests,
//! where a fork's code can leave something behind for the next job.

use super::Hit;
use super::workflow::Workflow;

/// Triggers that run a pull request's workflow (or for it).
const PULL_REQUEST: &[&str] = &["pull_request", "pull_request_target"];

/// A job whose `runs-on` labels include `self-hosted` (labels match
/// without case). A runner group alone is not judged: it may hold
/// GitHub-hosted larger runners.
pub fn check(w: &Workflow) -> Vec<Hit> {
    let Some(trigger) = w
        .triggers
        .iter()
        .find(|t| PULL_REQUEST.contains(&t.as_str()))
    else {
        return Vec::new();
    };
    w.jobs
        .iter()
        .filter_map(|job| {
            let runs_on = job.runs_on.as_ref()?;
            runs_on
                .labels
                .iter()
                .any(|l| l.eq_ignore_ascii_case("self-hosted"))
                .then(|| Hit {
                    rule: "HP012",
                    at: runs_on.at,
                    message: format!(
                        "job `{}` runs on a self-hosted runner in a workflow triggered by `{trigger}`",
                        job.id
                    ),
                    help: Some("run pull requests on GitHub-hosted or ephemeral just-in-time runners, or require approval for workflows from forks".into()),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::workflow::workflow;
    use super::*;
    use crate::yaml::YamlDoc;

    fn count(text: &str) -> usize {
        check(&workflow(&YamlDoc::parse(text.into()).unwrap())).len()
    }

    #[test]
    fn labels_in_every_form() {
        let jobs = "jobs:\n  a: {runs-on: Self-Hosted}\n  b: {runs-on: [self-hosted, x64]}\n  c: {runs-on: {group: g, labels: [self-hosted]}}\n  d: {runs-on: {group: big}}\n  e: {runs-on: '${{ matrix.os }}'}\n";
        assert_eq!(count(&format!("on: pull_request\n{jobs}")), 3);
        assert_eq!(count(&format!("on: [push, workflow_dispatch]\n{jobs}")), 0);
    }
}
