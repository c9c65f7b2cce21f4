//! `audit-workflows`: the checks of `hardpin audit` that need only the
//! files. Each group of checks is a pure function of the workflow as
//! [`workflow`] reads it, returning [`Hit`]s with byte offsets; this module
//! runs them and turns each hit into a finding of its rule. It never fixes:
//! what it finds needs a person's judgement.
//!
//! HP009 (`write-all`) is the permissions transform's, which runs in audit
//! mode too.
//!
//! Checks are precise rather than broad: a false positive in a security
//! gate costs trust, so a value whose meaning is only known at run time (an
//! expression, an alias) is skipped rather than guessed at.

pub mod checkout;
pub mod codeowners;
pub mod credentials;
pub mod installs;
pub mod monitoring;
pub mod owners;
pub mod publish;
pub mod runners;
pub mod shell;
pub mod signing;
pub mod workflow;

use super::{Outcome, Transform};
use crate::diagnostics::{BUG_HINT, Severity};
use crate::discover::FileKind;
use crate::resolve::{Needs, Resolved};
use crate::source::SourceFile;

const NAME: &str = "audit-workflows";

/// The transform; it needs nothing resolved.
pub struct AuditWorkflows;

/// One instance of a rule, before it becomes a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule's id (`HP007`).
    pub rule: &'static str,
    /// Byte offset in the file.
    pub at: usize,
    /// One sentence: what was found, and where.
    pub message: String,
    /// What to do; the rule's own advice when `None`.
    pub help: Option<String>,
}

impl Transform for AuditWorkflows {
    /// Everything is read in `apply`; nothing is resolved.
    type Found = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, _file: &SourceFile, _needs: &mut Needs) {}

    fn apply(&self, file: &SourceFile, _: &(), _resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        let Some(doc) = file.yaml() else { return out };
        let hits = match file.target.kind {
            FileKind::Workflow => {
                let w = workflow::workflow(doc);
                let mut hits = checkout::untrusted(&w);
                hits.extend(credentials::check(&w.env, &w.jobs));
                hits.extend(checkout::persisted(&w.jobs));
                hits.extend(installs::check(&w.jobs));
                hits.extend(runners::check(&w));
                hits.extend(signing::check(&w));
                hits.extend(monitoring::check(&w));
                hits.extend(owners::check(file.path()));
                hits
            }
            // A composite action's scripts get HP011. The job- and
            // workflow-level checks belong to its callers, and it cannot
            // read `secrets` (HP008): only what its inputs pass.
            FileKind::Action => workflow::composite_action(doc)
                .map(|job| installs::check(&[job]))
                .unwrap_or_default(),
            FileKind::Compose | FileKind::Dockerfile => Vec::new(),
        };
        for hit in hits {
            match crate::rules::rule(hit.rule) {
                Some(rule) => {
                    out.rule_finding(file, NAME, rule, hit.at, hit.message, hit.help.as_deref())
                }
                None => out.finding(
                    file,
                    NAME,
                    hit.at,
                    Severity::Error,
                    format!("a check reported the unknown rule {}", hit.rule),
                    Some(BUG_HINT),
                ),
            }
        }
        out
    }
}
