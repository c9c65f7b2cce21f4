//! `hardpin audit` end to end: a tree with a lying version comment, a commit
//! that only a fork has (the API stand-in says so), a single-platform image
//! digest and an unpinned action, audited in every format against a local
//! git server, a wiremock GitHub API and a real registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::registry::Registry;
use common::repos::{Rev, make_repo};
use common::*;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IMPOSTOR: &str = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

struct World {
    /// Drives the API stand-in's set-up and inspection (it serves from its
    /// own thread); the tests themselves are synchronous.
    rt: tokio::runtime::Runtime,
    server: GitServer,
    registry: Registry,
    api: MockServer,
    dir: tempfile::TempDir,
    /// Commits of octo-org/tool: an ancestor on no tag, v1.0.0, v1.1.0 (main).
    tool: Vec<String>,
    node_index: String,
}

fn world() -> World {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = GitServer::start();
    let tool = make_repo(
        &server,
        "octo-org/tool",
        &[
            Rev::default(),
            Rev {
                tags: &["v1.0.0"],
                ..Rev::default()
            },
            Rev {
                tags: &["v1.1.0", "v1"],
                branches: &["main"],
                ..Rev::default()
            },
        ],
    );
    let checkout = make_repo(
        &server,
        "actions/checkout",
        &[Rev {
            tags: &["v4.2.2", "v4"],
            branches: &["main"],
            ..Rev::default()
        }],
    );
    let registry = Registry::start();
    let (node_index, platforms) = registry.push_oci_index("library/node", "20");
    let api = rt.block_on(async {
        let api = MockServer::start().await;
        // The ancestor is behind main; the impostor is in no history GitHub
        // knows for this repository.
        Mock::given(method("GET"))
            .and(path_regex(format!(
                "/repos/octo-org/tool/compare/main\\.\\.\\.{}",
                tool[0]
            )))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "behind"})),
            )
            .mount(&api)
            .await;
        Mock::given(method("GET"))
            .and(path_regex("/repos/octo-org/tool/compare/.*"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&api)
            .await;
        api
    });
    let workflow = format!(
        "on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container: node:20@{}\n    steps:\n      - uses: octo-org/tool@{} # v1.1.0\n      - uses: octo-org/tool@{IMPOSTOR} # v1.1.0\n      - uses: octo-org/tool@{}\n      - uses: octo-org/tool@v1\n",
        platforms[0], tool[1], tool[0]
    );
    let untrusted = format!(
        "on: pull_request_target\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{} # v4.2.2\n        with:\n          ref: ${{{{ github.event.pull_request.head.sha }}}}\n          persist-credentials: false\n      - run: make test\n        env:\n          AWS_ACCESS_KEY_ID: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}\n          AWS_SECRET_ACCESS_KEY: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}\n      # hardpin: ignore[HP001] the vendor pins it with its own tooling\n      - uses: octo-org/tool@v1\n",
        checkout[0]
    );
    let dir = workflow_dir(&[("ci.yml", &workflow), ("pr.yml", &untrusted)]);
    std::fs::write(
        dir.path().join(".github/CODEOWNERS"),
        "/.github/workflows/ @octo-org/security\n",
    )
    .unwrap();
    World {
        rt,
        server,
        registry,
        api,
        dir,
        tool,
        node_index,
    }
}

fn audit(w: &World, format: &str, token: bool) -> std::process::Output {
    let mut cmd = hardpin(&w.server.url);
    cmd.env("GITHUB_API_URL", w.api.uri())
        .env(
            "HARDPIN_REGISTRY_MIRROR",
            format!("docker.io={}", w.registry.url()),
        )
        .args(["audit", "--no-cache", "--format", format])
        .arg(w.dir.path());
    if token {
        cmd.env("GITHUB_TOKEN", "ghs_audit_token");
    }
    cmd.output().unwrap()
}

/// (file, rule, line, severity) of every finding in a JSON report; a
/// suppressed one's severity is `suppressed`.
fn rules(out: &std::process::Output) -> Vec<(String, String, u64, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let severity = if f["suppressed"] == true {
                "suppressed"
            } else {
                f["severity"].as_str().unwrap()
            };
            (
                path.rsplit('/').next().unwrap().to_string(),
                f["rule"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap(),
                severity.to_string(),
            )
        })
        .collect()
}

fn f(file: &str, rule: &str, line: u64, severity: &str) -> (String, String, u64, String) {
    (file.into(), rule.into(), line, severity.into())
}

#[test]
fn finds_exactly_what_is_wrong_in_every_format() {
    let w = world();
    let out = audit(&w, "json", true);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let found = rules(&out);
    assert_eq!(
        found,
        [
            f("ci.yml", "HP006", 7, "warning"),
            f("ci.yml", "HP004", 9, "warning"),
            f("ci.yml", "HP005", 10, "error"),
            f("ci.yml", "HP004", 10, "warning"),
            f("ci.yml", "HP001", 12, "warning"),
            f("pr.yml", "HP007", 10, "error"),
            f("pr.yml", "HP008", 14, "warning"),
            f("pr.yml", "HP001", 17, "suppressed"),
        ],
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lying = &report["findings"][1];
    assert_eq!(lying["name"], "version-comment-mismatch");
    assert!(
        lying["message"]
            .as_str()
            .unwrap()
            .contains("the comment says v1.1.0 but tag v1.1.0 of octo-org/tool is"),
        "{lying}"
    );
    assert!(
        lying["message"]
            .as_str()
            .unwrap()
            .ends_with("the pinned commit is v1.0.0")
    );
    // The token went to the API only for the commits no ref tip names.
    let asked: Vec<String> =
        w.rt.block_on(w.api.received_requests())
            .unwrap()
            .iter()
            .map(|r| r.url.path().to_string())
            .collect();
    assert!(
        asked
            .iter()
            .all(|p| p.contains(IMPOSTOR) || p.contains(&w.tool[0])),
        "{asked:?}"
    );

    let text = audit(&w, "text", true);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("error[HP005]: octo-org/tool@deadbeef"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "10 |       - uses: octo-org/tool@{IMPOSTOR} # v1.1.0\n   |               ^^^^"
        )),
        "{text}"
    );

    let github = audit(&w, "github", true);
    let github = String::from_utf8_lossy(&github.stdout).to_string();
    assert!(
        github.contains(",line=10,col=15,title=HP005 impostor-commit::"),
        "{github}"
    );
    assert!(github.contains("::error file="), "{github}");
    // The suppressed finding makes no annotation.
    assert_eq!(github.lines().count(), 7, "{github}");

    let sarif = audit(&w, "sarif", true);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    validate_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    assert_eq!(results[7]["suppressions"][0]["kind"], "inSource");
    assert_eq!(results[5]["ruleId"], "HP007");
    assert_eq!(results[2]["ruleId"], "HP005");
    assert_eq!(results[2]["level"], "error");
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );
    // Fingerprints are stable from run to run.
    let again = audit(&w, "sarif", true);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let prints = |log: &serde_json::Value| -> Vec<serde_json::Value> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&log), prints(&again));
}

#[test]
fn without_a_token_impostors_are_not_verified_and_nothing_is_sent() {
    let w = world();
    let out = audit(&w, "json", false);
    let found = rules(&out);
    assert!(
        found.contains(&f("ci.yml", "HP005", 10, "note")),
        "{found:?}"
    );
    assert!(
        found.contains(&f("ci.yml", "HP005", 11, "note")),
        "{found:?}"
    );
    assert!(w.rt.block_on(w.api.received_requests()).unwrap().is_empty());
    // Notes alone do not fail the default --min-severity (warning), the
    // others do; --min-severity error only fails on errors.
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fix_comments_corrects_the_lying_comment_and_nothing_else() {
    let w = world();
    let path = w.dir.path().join(".github/workflows/ci.yml");
    let before = std::fs::read_to_string(&path).unwrap();
    let out = hardpin(&w.server.url)
        .args([
            "fix",
            "--no-cache",
            "--only",
            "pin-actions",
            "--fix-comments",
        ])
        .arg(w.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(&path).unwrap();
    let expected = before
        .replace(
            &format!("tool@{} # v1.1.0", w.tool[1]),
            &format!("tool@{} # v1.0.0", w.tool[1]),
        )
        .replace(
            "octo-org/tool@v1\n",
            &format!("octo-org/tool@{} # v1.1.0\n", w.tool[2]),
        );
    assert_eq!(after, expected);
    // The impostor's comment names no tag on its commit: reported, kept.
    assert!(after.contains(&format!("{IMPOSTOR} # v1.1.0")));
    let _ = &w.node_index;
}

/// The log is valid SARIF 2.1.0, by the schema GitHub code scanning uses:
/// github/codeql-action's copy of the OASIS schema (src/sarif-schema-2.1.0.json
/// at f3f1edb), with one fix: its `region` lists `anyOf` among the
/// properties, where the OASIS schema has it beside them.
fn validate_sarif(log: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("sarif.json", schema).unwrap();
    let id = compiler.compile("sarif.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(log, id) {
        panic!("invalid SARIF: {e:#}");
    }
}
