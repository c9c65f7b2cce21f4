//! pin-actions end to end: the binary against a real git smart-HTTP server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::*;
use predicates::prelude::*;

/// `hardpin fix --only pin-actions` against `url`.
fn pin_actions(url: &str) -> assert_cmd::Command {
    let mut cmd = hardpin(url);
    cmd.args(["fix", "--only", "pin-actions"]);
    cmd
}

#[test]
fn fixes_fixture_tree() {
    let world = actions_world(GitServer::start());
    let dir = copy_fixture("pin-actions");
    pin_actions(&world.server.url)
        .args(["--no-cache", "--unsafe-fixes"])
        .arg(dir.path())
        .assert()
        .code(0);
    let settings = snapshot_settings();
    for (path, text) in read_tree(dir.path()) {
        settings
            .bind(|| insta::assert_snapshot!(format!("fix__{}", path.replace('/', "__")), text));
    }
}

/// Pinning a branch stops the workflow following it: reported, and applied
/// only with `--unsafe-fixes`.
#[test]
fn branch_pins_are_unsafe_fixes() {
    let world = actions_world(GitServer::start());
    let text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@main\n      - uses: actions/checkout@v4\n";
    let dir = workflow_dir(&[("ci.yml", text)]);
    let out = pin_actions(&world.server.url)
        .args(["--no-cache", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let fixed = read_workflow(dir.path(), "ci.yml");
    assert!(fixed.contains("actions/checkout@main\n"), "{fixed}");
    assert!(fixed.contains(" # v4.2.2"), "{fixed}");
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let file = &report["files"][0];
    assert_eq!(file["changes"][0]["applicability"], "safe");
    let note = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("not applied, an unsafe fix")
        })
        .expect("the branch pin is reported");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("`main` is a branch"),
        "{note}"
    );
    pin_actions(&world.server.url)
        .args(["--no-cache", "--unsafe-fixes"])
        .arg(dir.path())
        .assert()
        .code(0);
    let fixed = read_workflow(dir.path(), "ci.yml");
    assert!(!fixed.contains("@main"), "{fixed}");
    assert!(fixed.contains(" # main\n"), "{fixed}");
}

const SIMPLE: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4 # node\n";

#[test]
fn crlf_and_bom_are_kept_byte_for_byte() {
    let world = actions_world(GitServer::start());
    let crlf = format!("\u{feff}{}", SIMPLE.replace('\n', "\r\n"));
    let dir = workflow_dir(&[("crlf.yml", &crlf)]);
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    let expected = crlf
        .replace(
            "actions/checkout@v4",
            &format!("actions/checkout@{} # v4.2.2", world.checkout[1]),
        )
        .replace(
            "actions/setup-node@v4 # node",
            &format!("actions/setup-node@{} # v4.0.3 # node", world.setup_node[0]),
        );
    assert_eq!(read_workflow(dir.path(), "crlf.yml"), expected);
}

#[test]
fn dry_run_prints_diff_and_writes_nothing() {
    let world = actions_world(GitServer::start());
    let dir = workflow_dir(&[("ci.yml", SIMPLE)]);
    let out = hardpin(&world.server.url)
        .args([
            "fix",
            "--only",
            "pin-actions",
            "--no-cache",
            "--dry-run",
            "--color",
            "always",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&format!(
            "\x1b[32m+      - uses: actions/checkout@{} # v4.2.2\x1b[0m",
            world.checkout[1]
        )),
        "{out}"
    );
    assert_eq!(read_workflow(dir.path(), "ci.yml"), SIMPLE);

    // NO_COLOR wins over --color always; the plain diff is snapshotted.
    let plain = hardpin(&world.server.url)
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .args([
            "fix",
            "--only",
            "pin-actions",
            "--no-cache",
            "--dry-run",
            "--color",
            "always",
            ".",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let plain = String::from_utf8(plain).unwrap();
    assert!(!plain.contains('\x1b'));
    snapshot_settings().bind(|| insta::assert_snapshot!("dry_run_diff", plain));
}

#[test]
fn check_exit_codes_and_second_run_is_clean() {
    let world = actions_world(GitServer::start());
    let dir = copy_fixture("pin-actions");
    let before = read_tree(dir.path());
    pin_actions(&world.server.url)
        .args(["--no-cache", "--check"])
        .arg(dir.path())
        .assert()
        .code(1);
    assert_eq!(read_tree(dir.path()), before, "--check wrote something");
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    let after = read_tree(dir.path());
    pin_actions(&world.server.url)
        .args(["--no-cache", "--check"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("");
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(read_tree(dir.path()), after, "second run changed something");
}

#[test]
fn unparsable_file_is_reported_and_others_fixed() {
    let world = actions_world(GitServer::start());
    let broken = "on: push\njobs:\n  a:\n    steps: [\n      - uses: actions/checkout@v4\n";
    let dir = workflow_dir(&[("bad.yml", broken), ("good.yml", SIMPLE)]);
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yml:").and(predicate::str::contains("error[parse]")));
    assert_eq!(read_workflow(dir.path(), "bad.yml"), broken);
    assert!(read_workflow(dir.path(), "good.yml").contains(&world.checkout[1]));
}

#[test]
fn hostile_refs_never_reach_the_server() {
    let world = actions_world(GitServer::start());
    let hostile = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: evil/one@v1;curl${IFS}x\n      - uses: \"evil/two@v1 --upload-pack=touch\"\n      - uses: evil/three@../../etc\n      - uses: evil/four/../../x@v1\n      - uses: evil/five@-oProxyCommand\n      - uses: evil%2fsix@v1\n      - uses: actions/checkout@v4\n";
    let dir = workflow_dir(&[("hostile.yml", hostile)]);
    let assert = pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for line in [6, 7, 8, 9, 10, 11] {
        assert!(
            stderr.contains(&format!("hostile.yml:{line}:")),
            "line {line} not reported:\n{stderr}"
        );
    }
    for req in world.server.requests() {
        assert!(
            !req.target.contains("evil"),
            "hostile ref reached the server: {}",
            req.target
        );
    }
    let text = read_workflow(dir.path(), "hostile.yml");
    assert!(text.contains("evil/one@v1;curl${IFS}x"));
    assert!(
        text.contains(&world.checkout[1]),
        "the good ref in the same file is still pinned"
    );
}

#[test]
fn token_goes_only_to_the_github_host() {
    let other = GitServer::start();
    make_repo(
        &other,
        "moved/away",
        &[Rev {
            tags: &["v1"],
            ..Rev::default()
        }],
    );
    let world = actions_world(GitServer::with(Behaviour {
        redirects: vec![("/moved/".into(), format!("{}/moved/", other.url))],
        ..Behaviour::default()
    }));
    let dir = workflow_dir(&[(
        "ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: moved/away@v1\n",
    )]);
    let assert = hardpin(&world.server.url)
        .env("GITHUB_TOKEN", "ghs_secretvalue123")
        .args([
            "fix",
            "--only",
            "pin-actions",
            "--no-cache",
            "--format",
            "json",
        ])
        .arg(dir.path())
        .assert()
        .code(2);
    let out = assert.get_output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("ghs_secretvalue123"), "token printed");
    assert!(
        all.contains("moved/away"),
        "the redirected repository is named:\n{all}"
    );
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("x-access-token:ghs_secretvalue123")
    );
    let reqs = world.server.requests();
    assert!(reqs.iter().any(|r| r.target.contains("actions/checkout")));
    for r in &reqs {
        assert_eq!(r.headers.get("authorization"), Some(&basic), "{}", r.target);
    }
    assert!(
        other.requests().is_empty(),
        "a request followed the redirect to another host"
    );
}

#[test]
fn one_request_per_repository_and_v0_fallback() {
    let world = actions_world(GitServer::start());
    let dir = copy_fixture("pin-actions");
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    let v2 = read_tree(dir.path());
    let reqs = world.server.requests();
    let mut repos: Vec<String> = reqs
        .iter()
        .map(|r| r.target.split(".git/").next().unwrap().to_string())
        .collect();
    let n = repos.len();
    repos.sort();
    repos.dedup();
    assert_eq!(n, repos.len(), "a repository was asked twice: {reqs:?}");
    assert_eq!(repos.len(), 5);

    let old = actions_world(GitServer::with(Behaviour {
        v0_only: true,
        ..Behaviour::default()
    }));
    let dir0 = copy_fixture("pin-actions");
    pin_actions(&old.server.url)
        .args(["--no-cache"])
        .arg(dir0.path())
        .assert()
        .code(0);
    assert_eq!(read_tree(dir0.path()), v2, "v0 and v2 disagree");
    assert!(
        old.server
            .requests()
            .iter()
            .any(|r| r.target.contains("info/refs"))
    );
}

#[test]
fn retries_transient_errors() {
    let world = actions_world(GitServer::with(Behaviour {
        fail_first: 2,
        ..Behaviour::default()
    }));
    let dir = workflow_dir(&[("ci.yml", SIMPLE)]);
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert!(read_workflow(dir.path(), "ci.yml").contains(&world.checkout[1]));
}

#[test]
fn cache_serves_offline_runs() {
    let world = actions_world(GitServer::start());
    let cache = tempfile::tempdir().unwrap();
    let dir = workflow_dir(&[("ci.yml", SIMPLE)]);
    pin_actions(&world.server.url)
        .args(["--dry-run", "--cache-dir"])
        .arg(cache.path())
        .arg(dir.path())
        .assert()
        .code(0);
    let before = world.server.requests().len();
    pin_actions(&world.server.url)
        .args(["--offline", "--cache-dir"])
        .arg(cache.path())
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(
        world.server.requests().len(),
        before,
        "offline run made requests"
    );
    assert!(read_workflow(dir.path(), "ci.yml").contains(&world.checkout[1]));

    let empty = tempfile::tempdir().unwrap();
    let dir2 = workflow_dir(&[("ci.yml", SIMPLE)]);
    pin_actions(&world.server.url)
        .args(["--offline", "--cache-dir"])
        .arg(empty.path())
        .arg(dir2.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "actions/checkout is not in the cache",
        ));
}

#[test]
fn unknown_repo_and_ref_are_named() {
    let world = actions_world(GitServer::start());
    let dir = workflow_dir(&[(
        "ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: nobody/nothing@v1\n      - uses: actions/checkout@v99\n",
    )]);
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(
                "cannot pin nobody/nothing@v1: repository nobody/nothing not found",
            )
            .and(predicate::str::contains(
                "cannot pin actions/checkout@v99: no tag or branch `v99`",
            )),
        );
}

#[test]
fn symlink_out_of_the_tree_is_not_written() {
    let world = actions_world(GitServer::start());
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("shared.yml");
    std::fs::write(&target, SIMPLE).unwrap();
    let dir = workflow_dir(&[("ci.yml", SIMPLE)]);
    std::os::unix::fs::symlink(&target, dir.path().join(".github/workflows/linked.yml")).unwrap();
    pin_actions(&world.server.url)
        .args(["--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), SIMPLE);
    assert!(read_workflow(dir.path(), "ci.yml").contains(&world.checkout[1]));
}

#[test]
fn only_and_skip_select_transforms() {
    let world = actions_world(GitServer::start());
    let dir = workflow_dir(&[("ci.yml", SIMPLE)]);
    hardpin(&world.server.url)
        .args(["fix", "--skip", "pin-actions,pin-images,permissions"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(read_workflow(dir.path(), "ci.yml"), SIMPLE);
    hardpin(&world.server.url)
        .args(["fix", "--only", "no-such-thing"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown transform `no-such-thing`",
        ));
}
