//! The permissions transform on scenario workflows: snapshots of the added
//! blocks, and a data-level check of every job's effective permissions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use predicates::prelude::*;
use yaml_rust2::{Yaml, YamlLoader};

fn fix(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    hardpin("http://127.0.0.1:9")
        .args(["fix", "--only", "permissions"])
        .args(extra)
        .arg(dir)
        .assert()
}

/// `jobs.<id>` → its effective token permissions: the job's block, else the
/// workflow's, else `default`.
fn effective(text: &str) -> BTreeMap<String, String> {
    let doc = &YamlLoader::load_from_str(text).unwrap()[0];
    let show = |p: &Yaml| match p {
        Yaml::Hash(h) => {
            let parts: Vec<String> = h
                .iter()
                .map(|(k, v)| format!("{}: {}", k.as_str().unwrap(), v.as_str().unwrap()))
                .collect();
            if parts.is_empty() {
                "{}".to_string()
            } else {
                parts.join(", ")
            }
        }
        Yaml::String(s) => s.clone(),
        other => format!("{other:?}"),
    };
    let top = &doc["permissions"];
    doc["jobs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(id, job)| {
            let p = &job["permissions"];
            let eff = if !p.is_badvalue() {
                show(p)
            } else if !top.is_badvalue() {
                show(top)
            } else {
                "default".to_string()
            };
            (id.as_str().unwrap().to_string(), eff)
        })
        .collect()
}

const EXPECTED: &[(&str, &[(&str, &str)])] = &[
    (
        "ci-read.yml",
        &[("test", "contents: read"), ("lint", "contents: read")],
    ),
    (
        "release.yml",
        &[("release", "contents: write, discussions: write")],
    ),
    (
        "pages.yml",
        &[
            ("build", "contents: read, pages: read"),
            ("deploy", "id-token: write, pages: write"),
        ],
    ),
    (
        "oidc.yml",
        &[
            ("deploy", "contents: read, id-token: write"),
            ("static-keys", "contents: read"),
        ],
    ),
    ("pr-comment.yml", &[("comment", "pull-requests: write")]),
    ("git-push.yml", &[("format", "contents: write")]),
    ("ghcr.yml", &[("image", "contents: read, packages: write")]),
    (
        "codeql.yml",
        &[(
            "analyze",
            "actions: read, contents: read, security-events: write",
        )],
    ),
    (
        "stale.yml",
        &[(
            "stale",
            "actions: write, issues: write, pull-requests: write",
        )],
    ),
    (
        "create-pr.yml",
        &[("update", "contents: write, pull-requests: write")],
    ),
    (
        "unknown.yml",
        &[
            ("known", "contents: read"),
            ("mystery", "default"),
            ("scripted", "default"),
        ],
    ),
    ("existing.yml", &[("a", "contents: read")]),
    (
        "job-existing.yml",
        &[("wide", "write-all"), ("narrow", "contents: write")],
    ),
    (
        "caller.yml",
        &[
            (
                "call-release",
                "attestations: write, contents: write, id-token: write",
            ),
            ("test", "contents: read"),
        ],
    ),
    (
        "reusable-release.yml",
        &[
            ("publish", "contents: write"),
            ("provenance", "attestations: write, id-token: write"),
        ],
    ),
    (
        "composite.yml",
        &[("report", "contents: read, pull-requests: write")],
    ),
];

#[test]
fn scenarios_get_exactly_what_they_need() {
    let dir = copy_fixture("permissions");
    let before = read_tree(dir.path());
    let out = fix(dir.path(), &[]).code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("job `mystery` left on the default token permissions"),
        "{stderr}"
    );
    assert!(stderr.contains("someone/mystery-action"), "{stderr}");
    assert!(
        stderr.contains("job `scripted` left on the default"),
        "{stderr}"
    );
    assert!(stderr.contains("job `wide` grants `write-all`"), "{stderr}");

    let after: BTreeMap<String, String> = read_tree(dir.path()).into_iter().collect();
    for (name, jobs) in EXPECTED {
        let text = &after[&format!(".github/workflows/{name}")];
        let got = effective(text);
        let want: BTreeMap<String, String> = jobs
            .iter()
            .map(|(j, p)| (j.to_string(), p.to_string()))
            .collect();
        assert_eq!(got, want, "{name}:\n{text}");
    }
    // Only insertions: every original line is still there, in order.
    for (path, old) in &before {
        let new = &after[path];
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        for op in diff.ops() {
            assert!(
                matches!(op.tag(), similar::DiffTag::Equal | similar::DiffTag::Insert),
                "{path}: an existing line changed"
            );
        }
        if old != new {
            snapshot_settings().bind(|| {
                insta::assert_snapshot!(format!("permissions__{}", path.replace('/', "__")), new)
            });
        }
    }
    assert_eq!(
        after[".github/workflows/existing.yml"],
        before
            .iter()
            .find(|(p, _)| p.ends_with("existing.yml") && !p.contains("job-"))
            .unwrap()
            .1
    );

    // A second run changes nothing.
    fix(dir.path(), &["--check"]).code(0).stdout("");
}

#[test]
fn crlf_and_four_space_indentation_are_matched() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let src = "on: push\r\njobs:\r\n    release:\r\n        runs-on: ubuntu-latest\r\n        steps:\r\n            -   uses: softprops/action-gh-release@v2\r\n";
    std::fs::write(wf.join("r.yml"), src).unwrap();
    fix(dir.path(), &[]).code(0);
    assert_eq!(
        std::fs::read_to_string(wf.join("r.yml")).unwrap(),
        "on: push\r\npermissions:\r\n    contents: read\r\njobs:\r\n    release:\r\n        runs-on: ubuntu-latest\r\n        permissions:\r\n            contents: write # for softprops/action-gh-release\r\n        steps:\r\n            -   uses: softprops/action-gh-release@v2\r\n"
    );
}

#[test]
fn json_report_lists_jobs_and_reasons() {
    let dir = copy_fixture("permissions");
    let out = fix(dir.path(), &["--dry-run", "--format", "json"]).code(0);
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("unknown.yml"))
        .unwrap();
    let jobs = file["permissions"].as_array().unwrap();
    let by_id = |id: &str| jobs.iter().find(|j| j["job"] == id).unwrap().clone();
    assert_eq!(by_id("known")["status"], "granted");
    assert_eq!(by_id("known")["scopes"]["contents"]["level"], "read");
    assert_eq!(by_id("mystery")["status"], "unknown");
    assert!(
        by_id("mystery")["reasons"][0]
            .as_str()
            .unwrap()
            .contains("someone/mystery-action")
    );
    assert!(file["diff"].as_str().unwrap().contains("+    permissions:"));
}

#[test]
fn user_knowledge_base_makes_an_action_known() {
    let dir = copy_fixture("permissions");
    let kb = dir.path().join("my-kb.toml");
    std::fs::write(
        &kb,
        "[actions.\"someone/mystery-action\"]\nsource = \"our own review\"\n[[actions.\"someone/mystery-action\".permissions]]\nscope = \"issues\"\nlevel = \"write\"\nreason = \"to open issues\"\n",
    )
    .unwrap();
    fix(dir.path(), &["--permissions-kb", kb.to_str().unwrap()]).code(0);
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/unknown.yml")).unwrap();
    let eff = effective(&text);
    assert_eq!(eff["mystery"], "issues: write");
    assert_eq!(eff["scripted"], "default");

    std::fs::write(&kb, "[actions.\"x/y\"]\nsource = \"s\"\n[[actions.\"x/y\".permissions]]\nscope = \"id-token\"\nlevel = \"read\"\nreason = \"to fail\"\n").unwrap();
    fix(dir.path(), &["--permissions-kb", kb.to_str().unwrap()])
        .code(2)
        .stderr(predicate::str::contains("`id-token` cannot be `read`"));
}

#[test]
fn github_script_rest_calls_are_read() {
    let dir = workflow_dir(&[(
        "script.yml",
        "on: issues\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/github-script@v7\n        with:\n          script: |\n            await github.rest.issues.createComment({\n              ...context.repo,\n              issue_number: context.issue.number,\n              body: 'thanks, ${{ github.actor }}',\n            })\n  pat:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/github-script@v7\n        with:\n          github-token: ${{ secrets.BOT_PAT }}\n          script: |\n            await github.rest.issues.lock({ ...context.repo, issue_number: 1 })\n",
    )]);
    let wf = dir.path().join(".github/workflows/script.yml");
    fix(dir.path(), &[])
        .code(0)
        .stderr(predicate::str::contains(
            "job `pat` left on the default token permissions: step 1 (line 17): actions/github-script runs with its own `github-token`",
        ));
    let eff = effective(&std::fs::read_to_string(&wf).unwrap());
    assert_eq!(eff["greet"], "issues: write");
    assert_eq!(eff["pat"], "default");
}

#[test]
fn image_tags_from_an_expression_may_be_pushed_to_ghcr() {
    let dir = workflow_dir(&[(
        "image.yml",
        "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: ${{ github.actor }}\n          password: ${{ secrets.GITHUB_TOKEN }}\n      - id: meta\n        uses: docker/metadata-action@v5\n        with:\n          images: ghcr.io/${{ github.repository }}\n      - uses: docker/build-push-action@v6\n        with:\n          push: ${{ github.event_name != 'pull_request' }}\n          tags: ${{ steps.meta.outputs.tags }}\n",
    )]);
    let wf = dir.path().join(".github/workflows/image.yml");
    fix(dir.path(), &[]).code(0);
    let eff = effective(&std::fs::read_to_string(&wf).unwrap());
    assert!(eff["image"].contains("packages: write"), "{eff:?}");
}

#[test]
fn local_files_outside_the_tree_are_not_read() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("action.yml"),
        "runs:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows/a.yml");
    std::fs::create_dir_all(wf.parent().unwrap()).unwrap();
    std::fs::create_dir_all(dir.path().join(".github/actions")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".github/actions/x")).unwrap();
    std::fs::write(
        &wf,
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/x\n",
    )
    .unwrap();
    fix(dir.path(), &[])
        .code(0)
        .stderr(predicate::str::contains(
            "local action `./.github/actions/x` has no action.yml inside the repository",
        ));
    assert_eq!(
        effective(&std::fs::read_to_string(&wf).unwrap())["a"],
        "default"
    );
}
