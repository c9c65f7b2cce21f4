//! `hardpin pr` against a local smart-HTTP remote (token required) and a
//! wiremock stand-in for the GitHub REST API.

mod common;

use std::path::Path;
use std::process::Output;

use common::repos::git;
use common::*;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_pr_token_never_shown";

fn pr_json(number: u64) -> serde_json::Value {
    serde_json::json!({
        "id": 1, "number": number, "locked": false,
        "url": format!("http://api/repos/octo/app/pulls/{number}"),
        "html_url": format!("https://github.example/octo/app/pull/{number}"),
        "head": {"ref": "hardpin/harden", "sha": "0000000000000000000000000000000000000000"},
        "base": {"ref": "main", "sha": "0000000000000000000000000000000000000000"}
    })
}

/// A remote `octo/app` on the git server (which also serves actions/checkout),
/// and a user's clone of it.
struct Setup {
    world: ActionsWorld,
    clone: tempfile::TempDir,
}

fn setup(workflow: &str) -> Setup {
    let world = actions_world(GitServer::with(Behaviour {
        receive_pack: true,
        require_auth: Some(format!("x-access-token:{TOKEN}")),
        ..Behaviour::default()
    }));
    let bare = world.server.repo_path("octo", "app");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let seed = tempfile::tempdir().unwrap();
    git(seed.path(), &["init", "-q", "-b", "main"]);
    let wf = seed.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("ci.yml"), workflow).unwrap();
    std::fs::write(seed.path().join("README.md"), "app\n").unwrap();
    git(seed.path(), &["add", "."]);
    git(seed.path(), &["commit", "-q", "-m", "initial"]);
    git(seed.path(), &["push", "-q", bare.to_str().unwrap(), "main"]);
    let clone = tempfile::tempdir().unwrap();
    git(clone.path(), &["clone", "-q", bare.to_str().unwrap(), "."]);
    git(
        clone.path(),
        &[
            "remote",
            "set-url",
            "origin",
            &format!("{}/octo/app.git", world.server.url),
        ],
    );
    Setup { world, clone }
}

/// Everything about the user's repository that hardpin must not change.
fn snapshot(dir: &Path) -> String {
    let refs = git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/tags",
            "refs/hardpin",
        ],
    );
    let status = git(dir, &["status", "--porcelain", "--untracked-files=all"]);
    let head = git(dir, &["symbolic-ref", "HEAD"]);
    let file = std::fs::read_to_string(dir.join(".github/workflows/ci.yml")).unwrap();
    let index = git(dir, &["ls-files", "-s"]);
    format!("{refs}\n{status}\n{head}\n{index}\n{file}")
}

async fn run_pr(s: &Setup, api: &MockServer, extra: &[&str]) -> Output {
    let mut cmd = hardpin(&s.world.server.url);
    cmd.env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", api.uri())
        .args([
            "pr",
            "--no-cache",
            "--author",
            "Bot <bot@example.com>",
            "--label",
            "security",
        ])
        .args(extra)
        .arg(s.clone.path());
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

const WORKFLOW: &str = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n";

fn remote_branch(s: &Setup) -> String {
    git(
        &s.world.server.repo_path("octo", "app"),
        &["rev-parse", "refs/heads/hardpin/harden"],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn opens_one_pull_request_then_updates_it() {
    let s = setup(WORKFLOW);
    let before = snapshot(s.clone.path());
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("head", "octo:hardpin/harden"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/app/pulls"))
        .and(body_partial_json(
            serde_json::json!({"head": "hardpin/harden", "base": "main"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(pr_json(7)))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/app/issues/7/labels"))
        .and(body_partial_json(
            serde_json::json!({"labels": ["security"]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .expect(1)
        .mount(&api)
        .await;

    let out = run_pr(&s, &api, &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("created https://github.example/octo/app/pull/7"),
        "{stdout}"
    );
    assert!(!format!("{stdout}{stderr}").contains(TOKEN));
    api.verify().await;

    // One commit on top of main, with the fix.
    let bare = s.world.server.repo_path("octo", "app");
    let pushed = remote_branch(&s);
    assert_eq!(
        git(&bare, &["rev-parse", &format!("{pushed}^")]),
        git(&bare, &["rev-parse", "main"])
    );
    let fixed = git(
        &bare,
        &["show", &format!("{pushed}:.github/workflows/ci.yml")],
    );
    assert!(
        fixed.contains(&format!(
            "actions/checkout@{} # v4.2.2",
            s.world.checkout[1]
        )),
        "{fixed}"
    );
    assert!(fixed.contains("permissions:"), "{fixed}");
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%an <%ae>", &pushed]),
        "Bot <bot@example.com>"
    );

    let create = api
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/repos/octo/app/pulls")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(
        text.contains("| `.github/workflows/ci.yml` | 6 | `actions/checkout@v4` |"),
        "{text}"
    );
    assert!(text.contains("hardpin fix ."), "{text}");
    assert!(!text.contains(TOKEN) && !text.contains("/tmp/"), "{text}");
    assert_eq!(
        snapshot(s.clone.path()),
        before,
        "the user's repository changed"
    );

    // Second run: the open pull request is updated, none is created.
    api.reset().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([pr_json(7)])))
        .mount(&api)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/app/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr_json(7)))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&api)
        .await;
    let out = run_pr(&s, &api, &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("updated https://github.example/octo/app/pull/7")
    );
    api.verify().await;
    assert_eq!(snapshot(s.clone.path()), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_to_change_does_nothing() {
    let s = setup(WORKFLOW);
    let api = MockServer::start().await;
    let first = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&first)
        .await;
    Mock::given(path("/repos/octo/app/issues/1/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&first)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pr_json(1)))
        .mount(&first)
        .await;
    assert!(run_pr(&s, &first, &[]).await.status.success());
    // Merge the fix, as a user would; then there is nothing left to do.
    let bare = s.world.server.repo_path("octo", "app");
    let fixed = remote_branch(&s);
    git(&bare, &["update-ref", "refs/heads/main", &fixed]);
    git(
        s.clone.path(),
        &["update-ref", "refs/remotes/origin/main", &fixed],
    );
    let out = run_pr(&s, &api, &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
    assert!(
        api.received_requests().await.unwrap().is_empty(),
        "the API was called"
    );
    assert_eq!(remote_branch(&s), fixed, "something was pushed");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_push_leaves_the_repository_as_it_was() {
    let s = setup(WORKFLOW);
    git(
        s.clone.path(),
        &[
            "remote",
            "set-url",
            "origin",
            &format!("{}/octo/missing.git", s.world.server.url),
        ],
    );
    git(
        s.clone.path(),
        &[
            "remote",
            "add",
            "upstream",
            &format!("{}/octo/app.git", s.world.server.url),
        ],
    );
    let before = snapshot(s.clone.path());
    let api = MockServer::start().await;
    let out = run_pr(&s, &api, &["--base", "main"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[pr]"), "{stderr}");
    assert!(!stderr.contains(TOKEN));
    assert_eq!(snapshot(s.clone.path()), before);
    assert!(api.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn dirty_tree_is_refused() {
    let s = setup(WORKFLOW);
    std::fs::write(s.clone.path().join("README.md"), "local work\n").unwrap();
    let api = MockServer::start().await;
    let out = run_pr(&s, &api, &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("uncommitted changes"));
    assert_eq!(
        std::fs::read_to_string(s.clone.path().join("README.md")).unwrap(),
        "local work\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn workflow_scope_refusal_is_explained() {
    let s = setup(WORKFLOW);
    let hook = s
        .world
        .server
        .repo_path("octo", "app")
        .join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let before = snapshot(s.clone.path());
    let api = MockServer::start().await;
    let out = run_pr(&s, &api, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("may not change workflow files"), "{stderr}");
    assert!(stderr.contains("`workflow` scope"), "{stderr}");
    assert_eq!(snapshot(s.clone.path()), before);
}
