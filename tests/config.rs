//! `hardpin.toml`: a fixtures folder it ignores and a ref it allows
//! unpinned are honoured by `fix`, `audit` and `update` (and by `pr`, in
//! tests/pr.rs); a key it does not know is an error naming its line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::*;

const CONFIG: &str = "ignore = [\"fixtures/**\"]\n\n[[allow]]\nuses = \"actions/checkout@main\"\nreason = \"we follow checkout's main on purpose\"\n";

/// A repository with the configuration, a workflow with an allowed ref and
/// one to pin, and a fixture workflow that must stay as it is.
fn tree(world: &ActionsWorld) -> tempfile::TempDir {
    let old = &world.checkout[0];
    let dir = workflow_dir(&[(
        "ci.yml",
        &format!(
            "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@main\n      - uses: actions/setup-node@v4\n      - uses: actions/checkout@{old} # v4.1.0\n"
        ),
    )]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("hardpin.toml"), CONFIG).unwrap();
    let fixtures = dir.path().join("fixtures/.github/workflows");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::write(
        fixtures.join("bad.yml"),
        format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/checkout@{old} # v4.1.0\n"),
    )
    .unwrap();
    dir
}

fn snapshot_of_fixtures(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("fixtures/.github/workflows/bad.yml")).unwrap()
}

#[test]
fn fix_update_and_audit_honour_the_configuration() {
    let world = actions_world(GitServer::start());
    let dir = tree(&world);
    let fixtures = snapshot_of_fixtures(&dir);

    let out = hardpin(&world.server.url)
        .args(["fix", "--no-cache", "--unsafe-fixes"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ci = read_workflow(dir.path(), "ci.yml");
    assert!(ci.contains("- uses: actions/checkout@main\n"), "{ci}");
    assert!(ci.contains(" # v4.0.3"), "setup-node is pinned: {ci}");
    assert!(
        stderr.contains(
            "`actions/checkout@main` left unpinned: we follow checkout's main on purpose"
        ),
        "{stderr}"
    );
    assert_eq!(
        snapshot_of_fixtures(&dir),
        fixtures,
        "fixtures were touched"
    );

    let out = hardpin(&world.server.url)
        .args(["update", "--no-cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let ci = read_workflow(dir.path(), "ci.yml");
    assert!(
        ci.contains(&format!("checkout@{} # v4.2.2", world.checkout[1])),
        "{ci}"
    );
    assert!(ci.contains("- uses: actions/checkout@main\n"), "{ci}");
    assert_eq!(
        snapshot_of_fixtures(&dir),
        fixtures,
        "fixtures were updated"
    );

    let out = hardpin(&world.server.url)
        .args(["audit", "--no-cache", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| !f["path"].as_str().unwrap().contains("fixtures")),
        "{findings:?}"
    );
    let allowed: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("left unpinned"))
        .collect();
    assert_eq!(allowed.len(), 1, "{findings:?}");
    assert_eq!(allowed[0]["suppressed"], true);
    // Only the allowed (suppressed) ref remains, and CODEOWNERS is missing:
    // a note, which does not fail the default --min-severity.
    assert_eq!(out.status.code(), Some(0), "{findings:?}");
}

#[test]
fn an_unknown_key_is_an_error_with_its_line() {
    let world = actions_world(GitServer::start());
    let dir = tree(&world);
    std::fs::write(
        dir.path().join("hardpin.toml"),
        format!("{CONFIG}\n[[allow]]\nuses = \"a/b\"\nreason = \"x\"\nbecause = \"typo\"\n"),
    )
    .unwrap();
    let out = hardpin(&world.server.url)
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("error[setup]: unknown key `because`"),
        "{stderr}"
    );
    assert!(stderr.contains("hardpin.toml:10:"), "{stderr}");
    assert!(read_workflow(dir.path(), "ci.yml").contains("setup-node@v4\n"));
}

/// `only` names transforms of every command: `fix` runs just those,
/// `update` (which has none of them) runs its own.
#[test]
fn only_applies_to_the_commands_that_have_those_transforms() {
    let world = actions_world(GitServer::start());
    let dir = tree(&world);
    std::fs::write(
        dir.path().join("hardpin.toml"),
        "only = [\"pin-images\", \"update-actions\"]\n",
    )
    .unwrap();
    let before = read_workflow(dir.path(), "ci.yml");
    hardpin(&world.server.url)
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(read_workflow(dir.path(), "ci.yml"), before);
    hardpin(&world.server.url)
        .args(["update", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert!(read_workflow(dir.path(), "ci.yml").contains(" # v4.2.2"));
}
