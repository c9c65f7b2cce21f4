//! Hostile and unusual files: each is reported by name, never aborts the run,
//! and never stops the good files beside it from being fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::*;
use predicates::prelude::*;

const GOOD: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Eleven levels of nine aliases: 9^11 nodes if anything expanded them.
fn alias_bomb() -> String {
    let mut bomb =
        String::from("on: push\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str(&GOOD["on: push\n".len()..]);
    bomb
}

#[test]
fn a_folder_of_hostile_files_is_reported_and_the_good_files_fixed() {
    let world = actions_world(GitServer::start());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let huge = format!(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n{}",
        "      - run: echo hi\n".repeat(300_000)
    );
    write(root, ".github/workflows/bomb.yml", &alias_bomb());
    write(root, ".github/workflows/huge.yml", &huge);
    write(
        root,
        ".github/workflows/list.yml",
        "- uses: actions/checkout@v4\n",
    );
    write(
        root,
        ".github/workflows/scalar.yml",
        "actions/checkout@v4\n",
    );
    write(root, "Dockerfile", "FROM scratch\n\\\n");
    write(root, ".github/workflows/good.yml", GOOD);
    hardpin(&world.server.url)
        .args(["fix", "--no-cache", "--only", "pin-actions"])
        .arg(root)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bomb.yml:1:1: aliases that expand to more than")
                .and(predicate::str::contains(
                    "huge.yml:32768:1: too large for the YAML parser (300005 lines",
                ))
                .and(predicate::str::contains("syntax error").not())
                .and(predicate::str::contains("warning[parse]: "))
                .and(predicate::str::contains(
                    "list.yml:1:1: not a workflow: its top level is a sequence",
                ))
                .and(predicate::str::contains(
                    "scalar.yml:1:1: not a workflow: its top level is a scalar",
                ))
                .and(predicate::str::contains("panicked").not()),
        );
    let good = std::fs::read_to_string(root.join(".github/workflows/good.yml")).unwrap();
    assert!(good.contains(&world.checkout[1]), "{good}");
    assert_eq!(
        std::fs::read_to_string(root.join(".github/workflows/bomb.yml")).unwrap(),
        alias_bomb()
    );
}

#[test]
fn block_scalar_uses_are_pinned_in_their_style() {
    let world = actions_world(GitServer::start());
    let dir = tempfile::tempdir().unwrap();
    let wf = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: |\n          actions/checkout@v4\n      - uses: >- # keep\n          actions/setup-node@v4\n      - uses: |\n          actions/checkout\n          @v4\n";
    write(dir.path(), ".github/workflows/ci.yml", wf);
    hardpin(&world.server.url)
        .args(["fix", "--no-cache", "--only", "pin-actions"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ci.yml:10:15: invalid repository name `checkout\\n`",
        ));
    let after = std::fs::read_to_string(dir.path().join(".github/workflows/ci.yml")).unwrap();
    let want = wf
        .replace(
            "uses: |\n          actions/checkout@v4\n",
            &format!(
                "uses: | # v4.2.2\n          actions/checkout@{}\n",
                world.checkout[1]
            ),
        )
        .replace(
            ">- # keep\n          actions/setup-node@v4",
            &format!(
                ">- # v4.0.3 # keep\n          actions/setup-node@{}",
                world.setup_node[0]
            ),
        );
    assert_eq!(after, want);
}

#[test]
fn file_names_cannot_forge_diff_lines() {
    let world = actions_world(GitServer::start());
    let dir = tempfile::tempdir().unwrap();
    let name = ".github/workflows/x\n+++ Co-authored-by: Mallory\u{1b}[2J.yml";
    write(dir.path(), name, GOOD);
    let out = hardpin(&world.server.url)
        .args(["fix", "--no-cache", "--dry-run", "--only", "pin-actions"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains("x\\n+++ Co-authored-by: Mallory\\u{1b}[2J.yml"),
        "{stdout}"
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains('\u{1b}'));
        assert!(
            !text.lines().any(|l| l.starts_with("+++ Co-authored")),
            "{text}"
        );
    }
}
