//! harden-runner end to end: the binary against a real git smart-HTTP
//! server holding step-security/harden-runner. The transform is opt-in:
//! `--only harden-runner` inserts the step once per eligible job, a second
//! run changes nothing, and a plain `hardpin fix` never adds it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::*;
use predicates::prelude::*;

const CI: &str = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      # Get the code\n      - run: echo build\n  test:\n    runs-on: [ubuntu-24.04]\n    steps:\n      - run: echo test\n      - run: echo again\n  windows:\n    runs-on: windows-latest\n    steps:\n      - run: echo win\n  call:\n    uses: ./.github/workflows/reusable.yml\n";

const FOUR: &str = "on: push\njobs:\n    lint:\n        runs-on: ubuntu-22.04\n        steps:\n            -   run: echo lint\n";

/// step-security/harden-runner with an old release, the newest release
/// (`v2` and `v2.10.1` on one commit) and a newer pre-release; returns the
/// commit of the newest release.
fn harden_runner_repo(server: &GitServer) -> String {
    let ids = make_repo(
        server,
        "step-security/harden-runner",
        &[
            Rev {
                tags: &["v2.9.0"],
                ..Rev::default()
            },
            Rev {
                tags: &["v2"],
                annotated: &["v2.10.1"],
                ..Rev::default()
            },
            Rev {
                tags: &["v3.0.0-rc.1"],
                ..Rev::default()
            },
        ],
    );
    ids[1].clone()
}

/// The step as the file's layout writes it at `dash` (columns of the `-`
/// and of the content) with `nl` line endings.
fn step(sha: &str, dash: usize, content: usize, unit: usize, nl: &str) -> String {
    format!(
        "{}-{}uses: step-security/harden-runner@{sha} # v2.10.1{nl}{}with:{nl}{}egress-policy: audit{nl}",
        " ".repeat(dash),
        " ".repeat(content - dash - 1),
        " ".repeat(content),
        " ".repeat(content + unit),
    )
}

fn harden(url: &str, dir: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    hardpin(url)
        .args(["fix", "--only", "harden-runner", "--no-cache"])
        .args(extra)
        .arg(dir)
        .assert()
}

#[test]
fn inserts_once_per_eligible_job_and_second_run_changes_nothing() {
    let server = GitServer::start();
    let sha = harden_runner_repo(&server);
    let crlf = CI.replace('\n', "\r\n");
    let dir = workflow_dir(&[("ci.yml", CI), ("crlf.yml", &crlf), ("four.yml", FOUR)]);
    harden(&server.url, dir.path(), &["--check"]).code(1);
    assert_eq!(read_workflow(dir.path(), "ci.yml"), CI, "--check wrote");

    harden(&server.url, dir.path(), &[])
        .code(0)
        .stderr(predicate::str::contains(
            "job `windows` left without harden-runner",
        ))
        .stderr(predicate::str::contains(
            "job `call` left without harden-runner: it calls a reusable workflow",
        ));
    let expected = CI
        .replacen(
            "      # Get the code\n",
            &format!("{}      # Get the code\n", step(&sha, 6, 8, 2, "\n")),
            1,
        )
        .replacen(
            "      - run: echo test\n",
            &format!("{}      - run: echo test\n", step(&sha, 6, 8, 2, "\n")),
            1,
        );
    let fixed = read_workflow(dir.path(), "ci.yml");
    assert_eq!(fixed, expected);
    assert_eq!(fixed.matches("step-security/harden-runner@").count(), 2);
    assert_eq!(
        read_workflow(dir.path(), "crlf.yml"),
        expected.replace('\n', "\r\n"),
        "CRLF stays CRLF"
    );
    assert_eq!(
        read_workflow(dir.path(), "four.yml"),
        FOUR.replacen(
            "            -   run",
            &format!("{}            -   run", step(&sha, 12, 16, 4, "\n")),
            1
        )
    );

    let after = read_tree(dir.path());
    harden(&server.url, dir.path(), &["--check"])
        .code(0)
        .stdout("");
    harden(&server.url, dir.path(), &[]).code(0);
    assert_eq!(read_tree(dir.path()), after, "second run changed something");
}

#[test]
fn not_in_the_default_set() {
    let server = GitServer::start();
    harden_runner_repo(&server);
    let dir = workflow_dir(&[("ci.yml", CI)]);
    hardpin(&server.url)
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("harden-runner").not());
    let fixed = read_workflow(dir.path(), "ci.yml");
    assert!(!fixed.contains("harden-runner"), "{fixed}");
}
