//! HP015: jobs that publish without a runtime monitor, where a compromised
//! step would take the release credentials unseen.

use super::Hit;
use super::publish::release;
use super::workflow::Workflow;

const MONITOR: &str = "step-security/harden-runner";

/// One hit per publishing job that has no harden-runner step, at the job.
pub fn check(w: &Workflow) -> Vec<Hit> {
    w.jobs
        .iter()
        .filter(|job| !job.uses_action(MONITOR))
        .filter_map(|job| {
            let (step, p) = job.steps.iter().find_map(|s| release(s).map(|p| (s, p)))?;
            Some(Hit {
                rule: "HP015",
                at: job.at,
                message: format!(
                    "job `{}` publishes ({}, line {}) without a `{MONITOR}` step",
                    job.id, p.shown, step.line
                ),
                help: Some("`hardpin fix --only harden-runner` inserts it".into()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::workflow::workflow;
    use super::*;
    use crate::yaml::YamlDoc;

    #[test]
    fn publishing_jobs_without_a_monitor() {
        let w = workflow(
            &YamlDoc::parse(
                "jobs:\n  a:\n    steps:\n      - run: cargo publish\n  b:\n    steps:\n      - uses: step-security/harden-runner@v2\n      - run: cargo publish\n  c:\n    steps:\n      - run: cargo test\n"
                    .into(),
            )
            .unwrap(),
        );
        let hits = check(&w);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].message,
            "job `a` publishes (`cargo publish`, line 4) without a `step-security/harden-runner` step"
        );
    }
}
