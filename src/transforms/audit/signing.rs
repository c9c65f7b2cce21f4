//! HP013: images pushed by a workflow in which nothing signs them or
//! attests their provenance, so consumers cannot tell them from images
//! pushed with stolen registry credentials.

use super::Hit;
use super::publish::image_push;
use super::shell::commands;
use super::workflow::{Job, Step, Workflow, action_repo};

/// Actions that sign or attest (the cosign installer is there to sign).
const SIGNING_ACTIONS: &[&str] = &[
    "sigstore/cosign-installer",
    "actions/attest-build-provenance",
    "actions/attest",
    "actions/attest-sbom",
    "slsa-framework/slsa-github-generator",
];

fn signs(step: &Step) -> bool {
    step.action()
        .is_some_and(|a| SIGNING_ACTIONS.contains(&a.as_str()))
        || step.run.as_ref().is_some_and(|r| {
            commands(&r.text)
                .iter()
                .any(|c| c.program == "cosign" && matches!(c.sub(), "sign" | "attest"))
        })
}

/// A job that signs: a signing step, or a call of the SLSA generators'
/// reusable workflows.
fn job_signs(job: &Job) -> bool {
    job.uses
        .as_ref()
        .and_then(|u| action_repo(&u.text))
        .is_some_and(|r| r == "slsa-framework/slsa-github-generator")
        || job.steps.iter().any(signs)
}

/// One hit per pushing step, unless some job of the workflow signs or
/// attests (which image it signs is not followed: a signing step anywhere
/// is taken as intent).
pub fn check(w: &Workflow) -> Vec<Hit> {
    if w.jobs.iter().any(job_signs) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for job in &w.jobs {
        for step in &job.steps {
            if let Some(p) = image_push(step) {
                hits.push(Hit {
                    rule: "HP013",
                    at: p.at.at,
                    message: format!(
                        "{} pushes an image ({}), and no step of the workflow signs it or attests its provenance",
                        job.place(step),
                        p.shown
                    ),
                    help: Some("sign what is pushed (`sigstore/cosign-installer` and `cosign sign` with keyless signing) or attest it (`actions/attest-build-provenance` with `push-to-registry: true`)".into()),
                });
            }
        }
    }
    hits
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
    fn pushes_without_and_with_signing() {
        let push = "jobs:\n  a:\n    steps:\n      - run: docker push x\n      - uses: docker/build-push-action@v6\n        with: {push: true}\n";
        assert_eq!(count(push), 2);
        assert_eq!(
            count(&format!("{push}      - run: cosign sign --yes x\n")),
            0
        );
        assert_eq!(
            count(&format!(
                "{push}  prov:\n    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0\n"
            )),
            0
        );
        assert_eq!(
            count(&format!("{push}      - run: cosign sign-blob x\n")),
            2
        );
    }
}
