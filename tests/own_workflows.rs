//! hardpin's own workflows and the examples it ships hold to what hardpin
//! asks of others: every action pinned to a commit, nothing the audit warns
//! about. Offline: the pins are taken as written (checking that each commit
//! exists and matches its version comment, verify-pins, needs the network),
//! everything else is checked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use std::path::{Path, PathBuf};

use common::hardpin;

/// No server is ever asked: `--offline` makes no requests, and this port is
/// closed should one slip through.
const NO_SERVER: &str = "http://127.0.0.1:9";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The YAML files directly in `dir`, relative to the repository root.
fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflows in {dir}");
    files
}

/// What to check: `.github/workflows` as a folder, and each example by name.
/// A folder walk takes only `.github/workflows/*` as workflows, so the
/// examples must be named to be read as workflows at all. Also how many
/// files that is, so a run that silently reads none cannot pass.
fn targets() -> (Vec<PathBuf>, usize) {
    let workflows = yaml_files(".github/workflows").len();
    let examples = yaml_files("examples");
    let count = workflows + examples.len();
    let mut paths = vec![PathBuf::from(".github/workflows")];
    paths.extend(examples);
    (paths, count)
}

/// hardpin with `args` over [`targets`], with an empty cache: `--offline`
/// then has no answer to fall back on, so nothing can pass by having been
/// looked up once.
fn run(args: &[&str]) -> (bool, String) {
    let (paths, _) = targets();
    let cache = tempfile::tempdir().unwrap();
    let out = hardpin(NO_SERVER)
        .current_dir(root())
        .args(args)
        .arg("--cache-dir")
        .arg(cache.path())
        .args(&paths)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every action is pinned already: nothing to resolve (offline, that would
/// be an error) and nothing to change.
#[test]
fn everything_is_pinned_and_nothing_would_change() {
    let (_, count) = targets();
    let (ok, text) = run(&["fix", "--check", "--offline"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{count} files scanned, 0 changed")),
        "{text}"
    );
}

/// The audit finds nothing at warning level or above. Notes (no CODEOWNERS
/// file, no runtime monitor in the release job) are advice, not failures.
#[test]
fn the_audit_finds_no_warnings() {
    let (_, count) = targets();
    let (ok, text) = run(&[
        "audit",
        "--offline",
        "--skip",
        "verify-pins",
        "--min-severity",
        "warning",
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{count} files audited: 0 errors, 0 warnings")),
        "{text}"
    );
}
