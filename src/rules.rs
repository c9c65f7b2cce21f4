//! The audit rules: a stable id, a name, a default severity and the text
//! that explains each one (`hardpin explain HP001`, `docs/findings.md`,
//! the SARIF rules). Ids are never reused or renumbered: configurations,
//! inline suppressions and code-scanning alerts refer to them.

use crate::diagnostics::Severity;

/// Whether `hardpin fix` can fix what a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixable {
    /// `hardpin fix` fixes it.
    Yes,
    /// `hardpin fix` with the flag named fixes it.
    WithFlag(&'static str),
    /// It needs a person.
    No,
}

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    /// Kebab-case, for SARIF and for people.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// One paragraph: why it matters and what to do.
    pub explanation: &'static str,
    pub fixable: Fixable,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "HP001",
        name: "unpinned-action",
        severity: Severity::Warning,
        summary: "an action or reusable workflow is referenced by a tag or branch",
        explanation: "A tag or branch can be moved to other code at any time, by the action's owner or by anyone who takes over their account, and every workflow that names it runs the new code on its next run. A full commit SHA cannot be moved. `hardpin fix` pins the reference to the commit it names today and keeps the version in a comment, so `hardpin update` can move it on purpose later.",
        fixable: Fixable::Yes,
    },
    Rule {
        id: "HP002",
        name: "unpinned-image",
        severity: Severity::Warning,
        summary: "a container image is referenced by a tag",
        explanation: "An image tag is a mutable name: the registry serves whatever was pushed under it last. A digest names exactly one image. `hardpin fix` adds the digest of the multi-platform index the tag names today, keeping the tag for readers and for `hardpin update`.",
        fixable: Fixable::Yes,
    },
    Rule {
        id: "HP003",
        name: "missing-permissions",
        severity: Severity::Warning,
        summary: "a job runs with the default token permissions although what it needs is known",
        explanation: "Without a `permissions:` block a job's token gets the repository's default, often write access to everything, so one compromised step can push code, publish releases or change settings. `hardpin fix` adds the least the job needs, from its knowledge base of what each action and command does.",
        fixable: Fixable::Yes,
    },
    Rule {
        id: "HP004",
        name: "version-comment-mismatch",
        severity: Severity::Warning,
        summary: "the version comment names a tag that does not point at the pinned commit",
        explanation: "A reviewer reads `# v4.2.2` and trusts it; if the commit is another one (an old pin whose comment was edited, a tag that was moved, or a deliberate lie) the comment hides what actually runs. `hardpin fix --fix-comments` rewrites the comment to the tag that does point at the commit, or the pin can be moved with `hardpin update`.",
        fixable: Fixable::WithFlag("--fix-comments"),
    },
    Rule {
        id: "HP005",
        name: "impostor-commit",
        severity: Severity::Error,
        summary: "the pinned commit is not on any branch or tag of the named repository",
        explanation: "GitHub serves a commit of any fork under the parent repository's name, so `owner/action@<sha>` can run code that the owner never accepted (an \"impostor commit\"). A pin is only as good as the repository it names: check where the commit came from, and pin a commit that a branch or tag of the repository contains. Without a token hardpin can only check the tips of branches and tags, and says so.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP006",
        name: "single-platform-digest",
        severity: Severity::Warning,
        summary: "an image is pinned to one platform's manifest, not to the multi-platform index its tag names",
        explanation: "A tag of a multi-platform image names an index of per-platform manifests. Pinning one of those manifests works on that platform only and breaks builds elsewhere (or silently emulates), and `hardpin update` cannot move it with the tag. Pin the index digest: `hardpin update` does it for you.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP007",
        name: "untrusted-checkout",
        severity: Severity::Error,
        summary: "a `pull_request_target` or `workflow_run` workflow checks out the pull request's code",
        explanation: "These triggers run with the base repository's secrets and a write token. Checking out the pull request's head and building or running it hands both to whoever opened the pull request. Split the work: build the untrusted code in a `pull_request` workflow without secrets, and do the privileged part on its artifacts, or never execute what was checked out.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP008",
        name: "static-cloud-credentials",
        severity: Severity::Warning,
        summary: "a long-lived cloud key from secrets is handed to a step",
        explanation: "Static keys such as `AWS_SECRET_ACCESS_KEY` or a service-account JSON stay valid until someone rotates them, and a leaked one works from anywhere. GitHub's OIDC tokens let a job assume a cloud role for minutes only: `aws-actions/configure-aws-credentials` with `role-to-assume`, `google-github-actions/auth` with workload identity federation, `azure/login` with a federated credential, each with `permissions: id-token: write`.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP009",
        name: "excessive-permissions",
        severity: Severity::Warning,
        summary: "the workflow or a job grants `write-all` or more than it needs",
        explanation: "`permissions: write-all` gives the token every scope. Grant each job only the scopes its steps use: remove the block and run `hardpin fix` to compute them, or write them by hand.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP010",
        name: "persisted-checkout-credentials",
        severity: Severity::Warning,
        summary: "`actions/checkout` leaves the token in `.git/config` for the third-party code that runs after it",
        explanation: "By default `actions/checkout` writes the job's token into the repository's git configuration, where every later step can read it and push with it. Set `persist-credentials: false` unless a later step pushes with git.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP011",
        name: "unlocked-dependency-install",
        severity: Severity::Note,
        summary: "dependencies are installed without the lock file's exact versions and hashes",
        explanation: "`npm install` may update the lock file and `pip install -r` without `--require-hashes` takes whatever the index serves today, so a compromised release lands in the build unnoticed. Use `npm ci`, `pip install --require-hashes -r`, `yarn install --frozen-lockfile` / `--immutable`, `pnpm install --frozen-lockfile`, `bundle install` with a frozen lock file.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP012",
        name: "self-hosted-runner-for-forks",
        severity: Severity::Warning,
        summary: "a job runs on a self-hosted runner in a workflow that runs for pull requests",
        explanation: "Pull requests from forks can run arbitrary code on the runner. A persistent self-hosted runner keeps what that code leaves behind (implants, poisoned caches, stolen credentials) for the next job. Use GitHub-hosted or ephemeral just-in-time runners for untrusted code, or require approval for fork workflows.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP013",
        name: "unsigned-image-push",
        severity: Severity::Note,
        summary: "a workflow pushes images without signing them or attesting their provenance",
        explanation: "Consumers cannot tell an image this workflow built from one pushed with stolen registry credentials. Sign what is pushed (`cosign sign` with keyless signing) or attest its build provenance (`actions/attest-build-provenance`, the SLSA generators).",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP014",
        name: "workflows-without-codeowners",
        severity: Severity::Note,
        summary: "no CODEOWNERS entry covers `.github/workflows/`",
        explanation: "Workflow files decide what runs with the repository's secrets. A CODEOWNERS entry for `/.github/workflows/` (with branch protection requiring code-owner review) makes every change to them need a review by the people who own the pipeline.",
        fixable: Fixable::No,
    },
    Rule {
        id: "HP015",
        name: "release-without-runtime-monitoring",
        severity: Severity::Note,
        summary: "a job that publishes a release runs without a runtime monitoring step",
        explanation: "A release job holds the credentials attackers want most. A runtime monitor such as `step-security/harden-runner` records (and can block) the network egress and processes of every step, which is how compromises like the tj-actions one were detected. `hardpin fix --only harden-runner` inserts it.",
        fixable: Fixable::WithFlag("--only harden-runner"),
    },
];

// Each rule by its id; `ids_and_names_are_unique_and_in_order` checks that
// every constant is the rule it is named after.
pub const HP001: &Rule = &RULES[0];
pub const HP002: &Rule = &RULES[1];
pub const HP003: &Rule = &RULES[2];
pub const HP004: &Rule = &RULES[3];
pub const HP005: &Rule = &RULES[4];
pub const HP006: &Rule = &RULES[5];
pub const HP007: &Rule = &RULES[6];
pub const HP008: &Rule = &RULES[7];
pub const HP009: &Rule = &RULES[8];
pub const HP010: &Rule = &RULES[9];
pub const HP011: &Rule = &RULES[10];
pub const HP012: &Rule = &RULES[11];
pub const HP013: &Rule = &RULES[12];
pub const HP014: &Rule = &RULES[13];
pub const HP015: &Rule = &RULES[14];

impl Rule {
    /// The command that fixes what the rule finds, if one does
    /// (`hardpin fix`, `hardpin fix --fix-comments`).
    pub fn fix_command(&self) -> Option<String> {
        match self.fixable {
            Fixable::Yes => Some("hardpin fix".into()),
            Fixable::WithFlag(flag) => Some(format!("hardpin fix {flag}")),
            Fixable::No => None,
        }
    }
}

/// A rule's section of `docs/findings.md`, as `hardpin explain` prints it.
pub fn explain(r: &Rule) -> String {
    let fix = r.fix_command().map_or_else(
        || "Not fixed automatically.".into(),
        |c| format!("Fixed by `{c}`."),
    );
    format!(
        "## {} {}\n\nSeverity: {}. {fix}\n\n{}\n\n{}\n",
        r.id,
        r.name,
        r.severity.as_str(),
        r.summary[..1].to_uppercase() + &r.summary[1..] + ".",
        r.explanation
    )
}

/// `docs/findings.md`: every rule's explanation.
pub fn findings_md() -> String {
    let mut s = String::from(
        "# hardpin audit findings\n\nEvery finding of `hardpin audit` has a stable id. `hardpin explain ID` prints its section; suppress one with `# hardpin: ignore[ID]` on the line or the line above, or `disable = [\"ID\"]` in `hardpin.toml`. This file is generated from `src/rules.rs` (a test checks it is up to date).\n\n",
    );
    for r in RULES {
        s.push_str(&explain(r));
        s.push('\n');
    }
    s
}

/// The rule a fix transform's changes are instances of, in `hardpin audit`.
pub fn of_transform(transform: &str) -> Option<&'static Rule> {
    match transform {
        "pin-actions" => Some(HP001),
        "pin-images" => Some(HP002),
        "permissions" => Some(HP003),
        _ => None,
    }
}

/// The rule with this id (any case).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/findings.md` is what the table says.
    #[test]
    fn the_findings_document_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/findings.md");
        if std::env::var_os("HARDPIN_WRITE_DOCS").is_some() {
            std::fs::write(path, findings_md()).unwrap();
        }
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            written == findings_md(),
            "docs/findings.md is stale: run HARDPIN_WRITE_DOCS=1 cargo test --lib rules"
        );
    }

    #[test]
    fn ids_and_names_are_unique_and_in_order() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id, format!("HP{:03}", i + 1));
            assert!(RULES.iter().filter(|o| o.name == r.name).count() == 1);
        }
        assert!(rule("hp005").is_some_and(|r| r.name == "impostor-commit"));
        let named = [
            HP001, HP002, HP003, HP004, HP005, HP006, HP007, HP008, HP009, HP010, HP011, HP012,
            HP013, HP014, HP015,
        ];
        for (i, r) in named.iter().enumerate() {
            assert_eq!(r.id, format!("HP{:03}", i + 1));
        }
    }
}
