//! Remote composite actions and reusable workflows missing from the
//! knowledge base are read from their files at the commit their ref names
//! (GitHub's raw-file endpoint on the local git server), and analysed like
//! local ones; an action never handed the token needs nothing, unless
//! checkout's persisted credentials could let it push.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use std::path::Path;

use common::*;
use predicates::prelude::*;

const COMPOSITE: &str = "name: commenter\ninputs:\n  token:\n    default: ${{ github.token }}\nruns:\n  using: composite\n  steps:\n    - run: gh pr comment 1 --body hi\n      shell: bash\n      env:\n        GH_TOKEN: ${{ inputs.token }}\n";
const QUIET_JS: &str =
    "name: quiet\ninputs:\n  path:\n    default: .\nruns:\n  using: node20\n  main: index.js\n";
const TOKEN_JS: &str = "name: loud\ninputs:\n  repo-token:\n    default: ${{ github.token }}\nruns:\n  using: node20\n  main: index.js\n";
const CALLED: &str = "on: workflow_call\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: softprops/action-gh-release@v2\n";

struct World {
    server: GitServer,
    dir: tempfile::TempDir,
}

fn world(workflows: &[(&str, &str)]) -> World {
    let server = GitServer::start();
    make_repo_with_files(
        &server,
        "octo-org/commenter",
        &[("action.yml", COMPOSITE)],
        &["v1", "v1.0.0"],
    );
    make_repo_with_files(
        &server,
        "octo-org/quiet",
        &[("sub/action.yaml", QUIET_JS)],
        &["v2"],
    );
    make_repo_with_files(
        &server,
        "octo-org/loud",
        &[("action.yml", TOKEN_JS)],
        &["v3"],
    );
    make_repo_with_files(
        &server,
        "octo-org/flows",
        &[(".github/workflows/release.yml", CALLED)],
        &["v1"],
    );
    make_repo_with_files(
        &server,
        "octo-org/nothing",
        &[("README.md", "no action here\n")],
        &["v1"],
    );
    World {
        server,
        dir: workflow_dir(workflows),
    }
}

fn job(steps: &str) -> String {
    format!("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")
}

fn run(w: &World, cache: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    hardpin(&w.server.url)
        .args([
            "fix",
            "--only",
            "permissions",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(cache)
        .args(extra)
        .arg(w.dir.path())
        .assert()
}

fn read(w: &World, name: &str) -> String {
    read_workflow(w.dir.path(), name)
}

fn raw_requests(w: &World) -> usize {
    w.server
        .requests()
        .iter()
        .filter(|r| r.target.starts_with("/raw/"))
        .count()
}

#[test]
fn a_remote_composite_action_is_read_through_its_steps() {
    let w = world(&[
        ("a.yml", &job("      - uses: octo-org/commenter@v1\n")),
        ("b.yml", &job("      - uses: octo-org/commenter@v1.0.0\n")),
    ]);
    let cache = tempfile::tempdir().unwrap();
    run(&w, cache.path(), &[])
        .code(0)
        .stdout(predicate::str::contains("\"inspected\""));
    for f in ["a.yml", "b.yml"] {
        let text = read(&w, f);
        assert!(
            text.contains("      pull-requests: write # for gh pr comment"),
            "{text}"
        );
    }
    // One file, one request (both refs name the same commit); then cached
    // for good, so an offline run reads it without asking.
    assert_eq!(raw_requests(&w), 1);
    let c = w.dir.path().join(".github/workflows/c.yml");
    std::fs::write(&c, job("      - uses: octo-org/commenter@v1\n")).unwrap();
    let before = w.server.requests().len();
    run(&w, cache.path(), &["--offline"]).code(0);
    assert_eq!(
        w.server.requests().len(),
        before,
        "an offline run asked the server"
    );
    assert!(read(&w, "c.yml").contains("pull-requests: write"));
}

#[test]
fn an_action_never_handed_the_token_needs_nothing_unless_checkout_left_credentials() {
    let quiet = "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n      - uses: octo-org/quiet/sub@v2\n";
    let after_checkout = "      - uses: actions/checkout@v4\n      - uses: octo-org/quiet/sub@v2\n";
    let w = world(&[
        ("quiet.yml", &job(quiet)),
        ("pushy.yml", &job(after_checkout)),
    ]);
    let cache = tempfile::tempdir().unwrap();
    run(&w, cache.path(), &[]).code(0).stdout(
        predicate::str::contains("\"no-token\"")
            .and(predicate::str::contains("\"applicability\": \"unsafe\""))
            .and(predicate::str::contains("not applied, an unsafe fix"))
            .and(predicate::str::contains(
                "left its credentials in .git/config, with which it could push",
            )),
    );
    // An inference is a guess: applied only when asked for.
    assert!(!read(&w, "quiet.yml").contains("permissions"));
    run(&w, cache.path(), &["--unsafe-fixes"]).code(0);
    let quiet = read(&w, "quiet.yml");
    assert!(
        quiet.starts_with("on: push\npermissions:\n  contents: read\n"),
        "{quiet}"
    );
    assert!(!read(&w, "pushy.yml").contains("permissions"));
}

#[test]
fn an_action_handed_the_token_is_left_alone() {
    let w = world(&[("a.yml", &job("      - uses: octo-org/loud@v3\n"))]);
    let cache = tempfile::tempdir().unwrap();
    run(&w, cache.path(), &[])
        .code(0)
        .stdout(predicate::str::contains(
            "`octo-org/loud@v3` (node20) is given the workflow token",
        ));
    assert!(!read(&w, "a.yml").contains("permissions"));
}

#[test]
fn a_remote_reusable_workflow_gets_the_union_of_its_jobs() {
    let caller =
        "on: push\njobs:\n  call:\n    uses: octo-org/flows/.github/workflows/release.yml@v1\n";
    let w = world(&[("call.yml", caller)]);
    let cache = tempfile::tempdir().unwrap();
    run(&w, cache.path(), &[]).code(0);
    let text = read(&w, "call.yml");
    assert!(
        text.contains("    permissions:\n      contents: write # for softprops/action-gh-release"),
        "{text}"
    );
}

#[test]
fn a_file_that_cannot_be_fetched_leaves_the_job_unknown() {
    let w = world(&[("a.yml", &job("      - uses: octo-org/nothing@v1\n"))]);
    let cache = tempfile::tempdir().unwrap();
    run(&w, cache.path(), &[])
        .code(0)
        .stdout(predicate::str::contains("`octo-org/nothing` is not in the permissions knowledge base (cannot read `octo-org/nothing@v1`: repository octo-org/nothing@").and(predicate::str::contains("action.yml or action.yaml not found")));
    assert!(!read(&w, "a.yml").contains("permissions"));
}
