//! `hardpin pr` against a local smart-HTTP remote (token required) and a
//! wiremock stand-in for the GitHub REST API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

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
    setup_with(workflow, &[])
}

/// [`setup`], with more files in the repository.
fn setup_with(workflow: &str, extra: &[(&str, &str)]) -> Setup {
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
    for (path, text) in extra {
        let at = seed.path().join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
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

/// The JSON `pr` sent to create the pull request.
async fn created_pull(api: &MockServer) -> serde_json::Value {
    let create = api
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/repos/octo/app/pulls")
        .expect("a pull request was opened");
    serde_json::from_slice(&create.body).unwrap()
}

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
    // The lease fetched objects only.
    assert!(!s.clone.path().join(".git/FETCH_HEAD").exists());

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
    assert!(
        git(&bare, &["log", "-1", "--format=%(trailers)", &pushed]).contains("Hardpin-Bot: yes")
    );

    let body = created_pull(&api).await;
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

/// `--update` fixes and moves old pins in the same pull request, `--draft`
/// opens it as a draft, and what was left alone is listed in the body.
#[tokio::test(flavor = "multi_thread")]
async fn update_and_draft_with_what_was_left_alone() {
    let s0 = setup("on: push\n");
    let old = s0.world.checkout[0].clone();
    drop(s0);
    let workflow = format!(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{old} # v4.1.0\n      - uses: actions/setup-node@v4\n  odd:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy.sh\n        env:\n          GH_TOKEN: ${{{{ github.token }}}}\n"
    );
    let s = setup(&workflow);
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &["--update", "--draft"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let body = created_pull(&api).await;
    assert_eq!(body["draft"], true);
    let text = body["body"].as_str().unwrap();
    // The update moved the old pin, the fix pinned the tag.
    assert!(
        text.contains(&format!(
            "`actions/checkout@{old} # v4.1.0` | `actions/checkout@{} # v4.2.2`",
            s.world.checkout[1]
        )),
        "{text}"
    );
    assert!(text.contains("`actions/setup-node@v4`"), "{text}");
    let left = text
        .split("## Left alone")
        .nth(1)
        .expect("a Left alone section");
    assert!(
        left.contains("job `odd` left on the default token permissions"),
        "{left}"
    );
    assert!(text.contains("hardpin fix . && hardpin update"), "{text}");
}

/// The base tree's `hardpin.toml` decides: its ignored folder and its
/// allowed ref stay out of the pull request.
#[tokio::test(flavor = "multi_thread")]
async fn the_repositorys_configuration_is_honoured() {
    let s = setup_with(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n",
        &[
            (
                "hardpin.toml",
                "ignore = [\"fixtures/**\"]\n\n[[allow]]\nuses = \"actions/setup-node@v4\"\nreason = \"pinned by the platform team\"\n",
            ),
            (
                "fixtures/.github/workflows/old.yml",
                "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n",
            ),
        ],
    );
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    let bare = s.world.server.repo_path("octo", "app");
    let pushed = remote_branch(&s);
    let changed = git(&bare, &["diff", "--name-only", "main", &pushed]);
    assert_eq!(changed.trim(), ".github/workflows/ci.yml");
    let fixed = git(
        &bare,
        &["show", &format!("{pushed}:.github/workflows/ci.yml")],
    );
    assert!(fixed.contains(" # v4.2.2"), "{fixed}");
    assert!(fixed.ends_with("- uses: actions/setup-node@v4"), "{fixed}");
    let body = created_pull(&api).await;
    assert!(
        body["body"]
            .as_str()
            .unwrap()
            .contains("left unpinned: pinned by the platform team"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_to_change_does_nothing() {
    let s = setup(WORKFLOW);
    let api = MockServer::start().await;
    let first = permissive_api().await;
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

/// `git fetch origin` without credentials: straight from the bare repository.
fn fetch_origin(s: &Setup) {
    let bare = s.world.server.repo_path("octo", "app");
    git(
        s.clone.path(),
        &[
            "fetch",
            "-q",
            bare.to_str().unwrap(),
            "+refs/heads/*:refs/remotes/origin/*",
        ],
    );
}

/// An API that accepts whatever `pr` sends (an empty list, then #1).
async fn permissive_api() -> MockServer {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&api)
        .await;
    Mock::given(path("/repos/octo/app/issues/1/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pr_json(1)))
        .mount(&api)
        .await;
    api
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A raw tree object: libgit2's TreeBuilder refuses the names an attacker
/// would use, the object database does not.
fn raw_tree(repo: &git2::Repository, entries: &[(&str, &[u8], git2::Oid)]) -> git2::Oid {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend_from_slice(mode.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(name);
        bytes.push(0);
        bytes.extend_from_slice(id.as_bytes());
    }
    repo.odb()
        .unwrap()
        .write(git2::ObjectType::Tree, &bytes)
        .unwrap()
}

/// On top of `main` in `dir`: the same files plus entries whose names
/// climb out of wherever the tree is written.
fn crafted_commit(dir: &Path, outside: &Path) -> git2::Oid {
    let repo = git2::Repository::open(dir).unwrap();
    let main = repo
        .revparse_single("refs/heads/main")
        .or_else(|_| repo.revparse_single("refs/remotes/origin/main"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let blob = repo.blob(b"on: push\n").unwrap();
    let up = raw_tree(&repo, &[("100644", b"escape-dotdot.yml", blob)]);
    let absolute = outside.join("escape-absolute.yml");
    let mut entries: Vec<(String, Vec<u8>, git2::Oid)> = main
        .tree()
        .unwrap()
        .iter()
        .map(|e| {
            (
                format!("{:o}", e.filemode()),
                e.name_bytes().to_vec(),
                e.id(),
            )
        })
        .collect();
    entries.push(("100644".into(), b"../escape.yml".to_vec(), blob));
    entries.push(("40000".into(), b"..".to_vec(), up));
    entries.push((
        "100644".into(),
        absolute.to_str().unwrap().as_bytes().to_vec(),
        blob,
    ));
    entries.push(("100644".into(), b".GIT".to_vec(), blob));
    let entries: Vec<(&str, &[u8], git2::Oid)> = entries
        .iter()
        .map(|(m, n, i)| (m.as_str(), n.as_slice(), *i))
        .collect();
    let tree = repo.find_tree(raw_tree(&repo, &entries)).unwrap();
    let sig = git2::Signature::new("Mallory", "m@example.com", &git2::Time::new(0, 0)).unwrap();
    repo.commit(None, &sig, &sig, "crafted", &tree, &[&main])
        .unwrap()
}

fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_entries_cannot_write_outside_the_work_folder() {
    let s = setup(WORKFLOW);
    // hardpin's temporary folder is made in `outside/tmp`, so `..` lands in
    // `outside/tmp` and an absolute name in `outside`.
    let outside = tempfile::tempdir().unwrap();
    let tmp = outside.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let bare = s.world.server.repo_path("octo", "app");
    let crafted = crafted_commit(&bare, outside.path());
    assert_eq!(crafted_commit(s.clone.path(), outside.path()), crafted);
    git(
        &bare,
        &["update-ref", "refs/heads/main", &crafted.to_string()],
    );
    git(
        s.clone.path(),
        &[
            "update-ref",
            "refs/remotes/origin/main",
            &crafted.to_string(),
        ],
    );

    let api = permissive_api().await;
    let mut cmd = hardpin(&s.world.server.url);
    cmd.env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", api.uri())
        .env("TMPDIR", &tmp)
        .args(["pr", "--no-cache", "--author", "Bot <bot@example.com>"])
        .arg(s.clone.path());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let all = text(&out);
    assert_eq!(all_files(outside.path()), Vec::<String>::new(), "{all}");
    assert!(all.contains("../escape.yml"), "{all}");
    assert!(all.contains("escape-absolute.yml"), "{all}");
    assert!(all.contains("`..`"), "{all}");
    // The workflow is still fixed, and the odd entries kept as they were.
    assert!(out.status.success(), "{all}");
    let pushed = remote_branch(&s);
    let fixed = git(
        &bare,
        &["show", &format!("{pushed}:.github/workflows/ci.yml")],
    );
    assert!(fixed.contains("permissions:"), "{fixed}");
    assert!(git(&bare, &["ls-tree", "--name-only", &pushed]).contains("../escape.yml"));
}

/// The basic-auth header the token would make.
fn token_header() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"))
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn token_never_goes_to_a_push_url_off_the_github_host() {
    for config in ["pushurl", "pushInsteadOf"] {
        let s = setup(WORKFLOW);
        // Another server on the same loopback address, another port, which
        // asks for credentials: the token must not be what it gets.
        let other = GitServer::with(Behaviour {
            receive_pack: true,
            require_auth: Some("someone:else".into()),
            ..Behaviour::default()
        });
        let bare = s.world.server.repo_path("octo", "app");
        let other_bare = other.repo_path("octo", "app");
        std::fs::create_dir_all(other_bare.parent().unwrap()).unwrap();
        git(
            other_bare.parent().unwrap(),
            &[
                "clone",
                "-q",
                "--bare",
                bare.to_str().unwrap(),
                other_bare.to_str().unwrap(),
            ],
        );
        let other_url = format!("{}/octo/app.git", other.url);
        if config == "pushurl" {
            git(
                s.clone.path(),
                &["config", "remote.origin.pushurl", &other_url],
            );
        } else {
            git(
                s.clone.path(),
                &[
                    "config",
                    &format!("url.{}/.pushInsteadOf", other.url),
                    &format!("{}/", s.world.server.url),
                ],
            );
        }
        let api = permissive_api().await;
        let out = run_pr(&s, &api, &[]).await;
        let all = text(&out);
        let seen = other.requests();
        assert!(!seen.is_empty(), "{config}: the push went elsewhere");
        for r in seen {
            assert!(
                r.headers
                    .values()
                    .all(|v| v != &token_header() && !v.contains(TOKEN)),
                "{config}: the token reached {}",
                r.target
            );
        }
        assert_eq!(out.status.code(), Some(2), "{config}: {all}");
        assert!(all.contains("not sent"), "{config}: {all}");
        assert!(!all.contains(TOKEN), "{all}");
        assert!(
            git(&other_bare, &["branch", "--list", "hardpin/harden"]).is_empty(),
            "{config}"
        );
        assert!(api.received_requests().await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn base_or_default_branch_is_never_the_push_target() {
    let s = setup(WORKFLOW);
    let bare = s.world.server.repo_path("octo", "app");
    // A branch `develop` to use as --base, and the user on another branch,
    // so the only guard left is the one under test.
    git(&bare, &["branch", "develop", "main"]);
    fetch_origin(&s);
    git(s.clone.path(), &["checkout", "-q", "-b", "work"]);
    let main = git(&bare, &["rev-parse", "main"]);
    for extra in [
        &["--branch", "main"][..],
        &["--base", "develop", "--branch", "main"],
    ] {
        let api = permissive_api().await;
        let out = run_pr(&s, &api, extra).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {all}");
        assert!(all.contains("`main`"), "{all}");
        assert!(all.contains("--branch"), "{all}");
        assert_eq!(git(&bare, &["rev-parse", "main"]), main, "{extra:?}");
        assert!(api.received_requests().await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_elses_commit_on_the_branch_is_never_overwritten() {
    let s = setup(WORKFLOW);
    let bare = s.world.server.repo_path("octo", "app");
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    let ours = remote_branch(&s);
    assert!(
        git(&bare, &["log", "-1", "--format=%B", &ours]).contains("Hardpin-Bot: yes"),
        "no trailer"
    );

    // The base moves on: hardpin's own tip is replaced without fuss.
    let tree = git(&bare, &["rev-parse", "main^{tree}"]);
    let main2 = git(&bare, &["commit-tree", &tree, "-p", "main", "-m", "more"]);
    git(&bare, &["update-ref", "refs/heads/main", &main2]);
    fetch_origin(&s);
    let out = run_pr(&s, &api, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    let ours = remote_branch(&s);
    assert_eq!(git(&bare, &["rev-parse", &format!("{ours}^")]), main2);

    // Someone adds a commit on top: hardpin stops and pushes nothing.
    let theirs = commit_on_top(&bare, &ours);
    git(&bare, &["update-ref", "refs/heads/hardpin/harden", &theirs]);
    let before = snapshot(s.clone.path());
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("hardpin/harden"), "{all}");
    assert!(all.contains(&theirs), "{all}");
    assert_eq!(remote_branch(&s), theirs, "the foreign commit was dropped");
    assert!(api.received_requests().await.unwrap().is_empty());
    assert_eq!(snapshot(s.clone.path()), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_in_remote_urls_are_never_printed() {
    let s = setup(WORKFLOW);
    let host = s.world.server.url.trim_start_matches("http://");
    for (url, names_it) in [
        // Not a GitHub repository URL: the error names the URL.
        (format!("http://bob:SECRET@{host}/app"), true),
        // A closed port: the push fails.
        (
            "http://bob:SECRET@127.0.0.1:9/octo/app.git".to_string(),
            false,
        ),
    ] {
        git(s.clone.path(), &["remote", "set-url", "origin", &url]);
        let api = permissive_api().await;
        let out = run_pr(&s, &api, &["--base", "main"]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("error[pr]"), "{all}");
        assert!(!all.contains("SECRET") && !all.contains("bob"), "{all}");
        assert!(!names_it || all.contains("http://***@"), "{all}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn api_over_plain_http_off_loopback_gets_no_token() {
    let s = setup(WORKFLOW);
    let mut cmd = hardpin(&s.world.server.url);
    cmd.env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", "http://example.invalid:1")
        .args(["pr", "--no-cache"])
        .arg(s.clone.path());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("http://example.invalid:1"), "{all}");
    assert!(all.contains("https"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    // Refused before anything else: nothing was pushed.
    assert!(
        git(
            &s.world.server.repo_path("octo", "app"),
            &["branch", "--list", "hardpin/harden"]
        )
        .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_api_times_out() {
    let s = setup(WORKFLOW);
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!([]))
                .set_delay(std::time::Duration::from_secs(60)),
        )
        .mount(&api)
        .await;
    let started = std::time::Instant::now();
    let out = run_pr(&s, &api, &["--timeout", "1"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(text(&out).contains("GitHub API"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commit_landing_during_the_push_is_not_overwritten() {
    let s = setup(WORKFLOW);
    let bare = s.world.server.repo_path("octo", "app");
    let api = permissive_api().await;
    assert!(run_pr(&s, &api, &[]).await.status.success());
    let ours = remote_branch(&s);
    // Someone pushes after hardpin checked the branch (its tip was hardpin's)
    // and before hardpin's push: the push must not go through.
    let theirs = commit_on_top(&bare, &ours);
    let (b, t) = (bare.clone(), theirs.clone());
    s.world.server.behaviour.lock().unwrap().before_push = Some(Box::new(move || {
        git(&b, &["update-ref", "refs/heads/hardpin/harden", &t]);
    }));
    // A new base, so that hardpin has a different commit to push.
    let tree = git(&bare, &["rev-parse", "main^{tree}"]);
    let main2 = git(&bare, &["commit-tree", &tree, "-p", "main", "-m", "more"]);
    git(&bare, &["update-ref", "refs/heads/main", &main2]);
    fetch_origin(&s);
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains(&theirs), "{all}");
    assert_eq!(remote_branch(&s), theirs, "the new commit was dropped");
    assert!(api.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_the_report_alone() {
    let s = setup(WORKFLOW);
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &["--format", "json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert!(report["summary"]["files_changed"].as_u64() >= Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("created https://github.example/octo/app/pull/1")
    );
}

/// A reviewer's commit on top of `ours` in the bare repository (not on any
/// branch yet).
fn commit_on_top(bare: &Path, ours: &str) -> String {
    git(
        bare,
        &[
            "commit-tree",
            &format!("{ours}^{{tree}}"),
            "-p",
            ours,
            "-m",
            "reviewer fix",
        ],
    )
}

/// A workflow whose checkout pin is v4.1.0 (the world's oldest tag), so
/// `--update` moves it to v4.2.2; setup-node is left for the fix to pin.
fn old_checkout_workflow() -> String {
    let s0 = setup("on: push\n");
    let old = s0.world.checkout[0].clone();
    format!(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{old} # v4.1.0\n      - uses: actions/setup-node@v4\n"
    )
}

/// An API that opens pull requests and answers the releases of
/// actions/checkout with `releases` (a status and a body).
async fn api_with_releases(status: u16, releases: serde_json::Value) -> MockServer {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/actions/checkout/releases"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(status).set_body_json(releases))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/app/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pr_json(1)))
        .mount(&api)
        .await;
    Mock::given(path("/repos/octo/app/issues/1/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&api)
        .await;
    api
}

fn release(tag: &str, name: &str, draft: bool, prerelease: bool) -> serde_json::Value {
    serde_json::json!({
        "tag_name": tag, "name": name, "draft": draft, "prerelease": prerelease,
        "html_url": format!("https://github.example/actions/checkout/releases/tag/{tag}"),
    })
}

/// The "Updates" section of a body, up to the next section.
fn updates_section(body: &str) -> &str {
    let section = body.split("## Updates").nth(1).expect("an Updates section");
    section.split("\n## ").next().unwrap_or(section)
}

/// An update's body links the compare view and lists the releases between
/// the two tags, newest first, from the releases API (drafts,
/// pre-releases and releases outside the range left out).
#[tokio::test(flavor = "multi_thread")]
async fn update_body_links_the_compare_view_and_the_releases_between() {
    let s = setup(&old_checkout_workflow());
    let api = api_with_releases(
        200,
        serde_json::json!([
            release("v5.0.0", "v5", false, false),
            release("v4.3.0-rc.1", "rc", false, true),
            release("v4.2.3", "draft", true, false),
            release("v4.2.2", "Fix `sparse` checkout | @octocat", false, false),
            release("v4.2.1", "v4.2.1", false, false),
            release("v4.1.0", "the old one", false, false),
        ]),
    )
    .await;
    let out = run_pr(&s, &api, &["--update"]).await;
    assert!(out.status.success(), "{}", text(&out));
    api.verify().await;
    let releases = api
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path().ends_with("/releases"))
        .unwrap();
    assert!(
        releases
            .headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap().contains(TOKEN)),
        "the releases API is asked with the token"
    );
    let body = created_pull(&api).await;
    let text = body["body"].as_str().unwrap();
    let section = updates_section(text);
    let server = &s.world.server.url;
    assert!(
        section.contains(&format!(
            "| `actions/checkout` | `v4.1.0` | `v4.2.2` | [compare]({server}/actions/checkout/compare/v4.1.0...v4.2.2) · [releases]({server}/actions/checkout/releases) |"
        )),
        "{section}"
    );
    assert!(!section.contains("major"), "{section}");
    let listed: Vec<&str> = section.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        listed,
        [
            "- [`v4.2.2`](https://github.example/actions/checkout/releases/tag/v4.2.2) `Fix \\u{60}sparse\\u{60} checkout \\| @octocat`",
            "- [`v4.2.1`](https://github.example/actions/checkout/releases/tag/v4.2.1)",
        ],
        "{section}"
    );
    assert!(
        section.contains("Releases of `actions/checkout` after `v4.1.0` up to `v4.2.2`"),
        "{section}"
    );
    // The changes table is still there, with the fix's pin.
    assert!(text.contains("`actions/setup-node@v4`"), "{text}");
}

/// Without the releases API (here a 404), the tags between come from the
/// listing the update used: full versions only, floating tags left out.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_releases_api_the_tags_between_are_listed() {
    let s = setup(&old_checkout_workflow());
    let api = api_with_releases(404, serde_json::json!({"message": "Not Found"})).await;
    let out = run_pr(&s, &api, &["--update"]).await;
    assert!(out.status.success(), "{}", text(&out));
    api.verify().await;
    let body = created_pull(&api).await;
    let section = updates_section(body["body"].as_str().unwrap()).to_string();
    let server = &s.world.server.url;
    assert!(
        section.contains(
            "Tags (no releases found) of `actions/checkout` after `v4.1.0` up to `v4.2.2`"
        ),
        "{section}"
    );
    let listed: Vec<&str> = section.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        listed,
        [format!(
            "- [`v4.2.2`]({server}/actions/checkout/releases/tag/v4.2.2)"
        )],
        "{section}"
    );
    assert!(
        section.contains(&format!(
            "[compare]({server}/actions/checkout/compare/v4.1.0...v4.2.2)"
        )),
        "{section}"
    );
}

/// `--group none`: one pull request per updated dependency, each from its
/// own branch with only its own change, and the fix in `hardpin/harden`.
#[tokio::test(flavor = "multi_thread")]
async fn group_none_opens_one_pull_request_per_dependency() {
    let lint_revs = [
        Rev {
            tags: &["v1.0.0"],
            ..Rev::default()
        },
        Rev {
            tags: &["v1.1.0"],
            ..Rev::default()
        },
    ];
    let s0 = setup("on: push\n");
    let (old, lint) = (
        s0.world.checkout[0].clone(),
        make_repo(&s0.world.server, "octo-org/lint", &lint_revs),
    );
    drop(s0);
    let workflow = format!(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{old} # v4.1.0\n      - uses: octo-org/lint@{} # v1.0.0\n      - uses: actions/setup-node@v4\n",
        lint[0]
    );
    let s = setup(&workflow);
    assert_eq!(
        make_repo(&s.world.server, "octo-org/lint", &lint_revs),
        lint
    );
    let api = permissive_api().await;
    let out = run_pr(&s, &api, &["--update", "--group", "none"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(all.matches("created https://").count(), 3, "{all}");

    let bare = s.world.server.repo_path("octo", "app");
    let file_on = |branch: &str| {
        git(
            &bare,
            &[
                "show",
                &format!("refs/heads/{branch}:.github/workflows/ci.yml"),
            ],
        )
    };
    let main = file_on("main");
    let harden = file_on("hardpin/harden");
    let checkout = file_on("hardpin/update/actions-checkout");
    let lint_file = file_on("hardpin/update/octo-org-lint");
    let new_checkout = format!("actions/checkout@{} # v4.2.2", s.world.checkout[1]);
    let new_lint = format!("octo-org/lint@{} # v1.1.0", lint[1]);
    let (old_checkout, old_lint) = (
        format!("actions/checkout@{old} # v4.1.0"),
        format!("octo-org/lint@{} # v1.0.0", lint[0]),
    );
    // Each branch holds its own change and nothing else.
    assert_eq!(checkout, main.replace(&old_checkout, &new_checkout));
    assert_eq!(lint_file, main.replace(&old_lint, &new_lint));
    assert!(
        harden.contains(&old_checkout) && harden.contains(&old_lint),
        "{harden}"
    );
    assert!(!harden.contains("setup-node@v4\n"), "{harden}");
    for branch in [
        "hardpin/harden",
        "hardpin/update/actions-checkout",
        "hardpin/update/octo-org-lint",
    ] {
        let tip = git(&bare, &["rev-parse", &format!("refs/heads/{branch}")]);
        assert_eq!(
            git(&bare, &["rev-parse", &format!("{tip}^")]),
            git(&bare, &["rev-parse", "main"]),
            "{branch}"
        );
        assert!(
            git(&bare, &["log", "-1", "--format=%(trailers)", &tip]).contains("Hardpin-Bot: yes")
        );
    }

    let created: Vec<serde_json::Value> = api
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/repos/octo/app/pulls")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let by_head = |head: &str| {
        created
            .iter()
            .find(|p| p["head"] == head)
            .unwrap_or_else(|| panic!("no pull request from {head}: {created:?}"))
    };
    let pr = by_head("hardpin/update/actions-checkout");
    assert_eq!(pr["title"], "Update actions/checkout to v4.2.2");
    let body = pr["body"].as_str().unwrap();
    let section = updates_section(body);
    assert!(
        section.contains("/actions/checkout/compare/v4.1.0...v4.2.2"),
        "{body}"
    );
    assert!(!body.contains("octo-org/lint"), "{body}");
    assert!(!body.contains("## Left alone"), "{body}");
    assert!(body.contains("hardpin update ."), "{body}");
    let pr = by_head("hardpin/update/octo-org-lint");
    assert_eq!(pr["title"], "Update octo-org/lint to v1.1.0");
    let body = pr["body"].as_str().unwrap();
    assert!(
        updates_section(body).contains("/octo-org/lint/compare/v1.0.0...v1.1.0"),
        "{body}"
    );
    assert!(!body.contains("actions/checkout"), "{body}");
    let pr = by_head("hardpin/harden");
    let body = pr["body"].as_str().unwrap();
    assert!(!body.contains("## Updates"), "{body}");
    assert!(body.contains("`actions/setup-node@v4`"), "{body}");
    assert!(body.contains("hardpin fix ."), "{body}");
}
