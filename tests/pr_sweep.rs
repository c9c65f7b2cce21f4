//! `hardpin pr --repo …` over four repositories on a local git server with a
//! wiremock GitHub API: two get pull requests, one has nothing to change,
//! one cannot be reached and is reported while the others finish; a second
//! run updates the pull requests instead of opening new ones.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::repos::git;
use common::*;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_sweep_token_never_shown";

/// A bare repository `octo/<name>` on the server with one workflow.
fn repository(world: &ActionsWorld, name: &str, workflow: &str) {
    let bare = world.server.repo_path("octo", name);
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let seed = tempfile::tempdir().unwrap();
    git(seed.path(), &["init", "-q", "-b", "main"]);
    let wf = seed.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("ci.yml"), workflow).unwrap();
    git(seed.path(), &["add", "."]);
    git(seed.path(), &["commit", "-q", "-m", "initial"]);
    git(seed.path(), &["push", "-q", bare.to_str().unwrap(), "main"]);
}

fn pull(number: u64, name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": number, "number": number, "locked": false,
        "url": format!("http://api/repos/octo/{name}/pulls/{number}"),
        "html_url": format!("https://github.example/octo/{name}/pull/{number}"),
        "head": {"ref": "hardpin/harden", "sha": "0000000000000000000000000000000000000000"},
        "base": {"ref": "main", "sha": "0000000000000000000000000000000000000000"}
    })
}

fn sweep(world: &ActionsWorld, api: &MockServer, list: &std::path::Path) -> std::process::Output {
    hardpin(&world.server.url)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", api.uri())
        .args(["pr", "--no-cache", "--author", "Bot <bot@example.com>"])
        .args([
            "--repo",
            "octo/one",
            "--repo",
            "octo/missing",
            "--repos-file",
        ])
        .arg(list)
        .output()
        .unwrap()
}

#[test]
fn four_repositories_two_pulls_one_clean_one_unreachable() {
    let world = actions_world(GitServer::with(Behaviour {
        receive_pack: true,
        require_auth: Some(format!("x-access-token:{TOKEN}")),
        ..Behaviour::default()
    }));
    let unpinned = "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";
    repository(&world, "one", unpinned);
    repository(&world, "two", unpinned);
    repository(
        &world,
        "clean",
        &format!(
            "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{} # v4.2.2\n",
            world.checkout[1]
        ),
    );
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        list.path(),
        "# the rest\nocto/two\n\nocto/clean\nocto/one\n",
    )
    .unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(async {
        let api = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex("^/repos/octo/[a-z]+/pulls$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
            .mount(&api)
            .await;
        for (name, number) in [("one", 1), ("two", 2)] {
            Mock::given(method("POST"))
                .and(path(format!("/repos/octo/{name}/pulls")))
                .respond_with(ResponseTemplate::new(201).set_body_json(pull(number, name)))
                .expect(1)
                .mount(&api)
                .await;
        }
        api
    });

    let out = sweep(&world, &api, list.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 5, "{stdout}");
    assert!(
        rows[1].starts_with("octo/clean") && rows[1].ends_with("nothing to change"),
        "{stdout}"
    );
    assert!(
        rows[2].starts_with("octo/missing") && rows[2].contains("error: "),
        "{stdout}"
    );
    assert!(
        rows[3].ends_with("created https://github.example/octo/one/pull/1"),
        "{stdout}"
    );
    assert!(
        rows[4].ends_with("created https://github.example/octo/two/pull/2"),
        "{stdout}"
    );
    assert!(!format!("{stdout}{stderr}").contains(TOKEN));
    rt.block_on(api.verify());
    for name in ["one", "two"] {
        let bare = world.server.repo_path("octo", name);
        let fixed = git(
            &bare,
            &["show", "refs/heads/hardpin/harden:.github/workflows/ci.yml"],
        );
        assert!(
            fixed.contains(&format!("actions/checkout@{} # v4.2.2", world.checkout[1])),
            "{fixed}"
        );
    }
    let clean = world.server.repo_path("octo", "clean");
    assert!(!git(&clean, &["branch", "--list"]).contains("hardpin/harden"));

    // A second run finds the open pull requests and updates them.
    rt.block_on(async {
        api.reset().await;
        for (name, number) in [("one", 1), ("two", 2)] {
            Mock::given(method("GET"))
                .and(path(format!("/repos/octo/{name}/pulls")))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(serde_json::json!([pull(number, name)])),
                )
                .mount(&api)
                .await;
            Mock::given(method("PATCH"))
                .and(path(format!("/repos/octo/{name}/pulls/{number}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(pull(number, name)))
                .expect(1)
                .mount(&api)
                .await;
        }
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&api)
            .await;
    });
    let out = sweep(&world, &api, list.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("updated https://github.example/octo/one/pull/1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("updated https://github.example/octo/two/pull/2"),
        "{stdout}"
    );
    rt.block_on(api.verify());
}
