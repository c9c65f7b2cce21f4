//! Shared test support: local servers, repositories, and one way to run the
//! binary (with GITHUB_*/GH_* stripped from the environment, so no test can
//! reach a real GitHub or use a real token).
// Test support: a failed set-up step should stop the test where it happened.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]
// Shared by test crates, each of which uses a part of it.
#![allow(unreachable_pub)]

pub mod git_server;
pub mod http;
pub mod registry;
pub mod repos;

use std::path::Path;

pub use git_server::{Behaviour, GitServer};
pub use repos::{Rev, make_repo, make_repo_with_files};

/// The binary with a clean environment pointed at `server`.
pub fn hardpin(server_url: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("hardpin").unwrap();
    clean_env(&mut cmd, server_url);
    cmd
}

/// The environment [`hardpin`] runs with, for a command that starts it
/// through another program (`prlimit`).
pub fn clean_env(cmd: &mut assert_cmd::Command, server_url: &str) {
    for (k, _) in std::env::vars() {
        let proxy = k.to_ascii_lowercase().ends_with("_proxy");
        if k.starts_with("GITHUB_")
            || k.starts_with("GH_")
            || k.starts_with("HARDPIN_")
            || k.starts_with("DOCKER_")
            || proxy
            || matches!(k.as_str(), "NO_COLOR" | "CI")
        {
            cmd.env_remove(k);
        }
    }
    // The user's cache folder is never read or written: a test that gives
    // no --cache-dir gets a cache that cannot be written, so none.
    cmd.env("XDG_CACHE_HOME", "/nonexistent/cache");
    cmd.env("GITHUB_SERVER_URL", server_url);
    // No test may reach a public registry: unless a test names its own
    // registry, every image request goes to a closed loopback port.
    cmd.env("HARDPIN_REGISTRY_MIRROR", "*=http://127.0.0.1:9");
    cmd.env("DOCKER_CONFIG", "/nonexistent");
}

/// Snapshots live in the top-level `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Copy a fixture tree into a fresh temporary folder.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dst = tempfile::tempdir().unwrap();
    copy_dir(&src, dst.path());
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// A fresh folder holding `files` (name, text) in `.github/workflows`.
pub fn workflow_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(".github/workflows").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The text of workflow `name` under `dir`.
pub fn read_workflow(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(".github/workflows").join(name)).unwrap()
}

/// Every file under `dir`, relative path → contents, sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let rel = e
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        out.push((rel, std::fs::read_to_string(&e).unwrap_or_default()));
    }
    out.sort();
    out
}

/// Every file below `dir`.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The standard world of action repositories used by the pin-actions tests.
pub struct ActionsWorld {
    pub server: GitServer,
    /// actions/checkout: [v4.1.0, v4 = v4.2 = v4.2.2 (annotated), main tip]
    pub checkout: Vec<String>,
    pub setup_node: Vec<String>,
    pub codeql: Vec<String>,
    pub workflows: Vec<String>,
    pub ambiguous: Vec<String>,
}

pub fn actions_world(server: GitServer) -> ActionsWorld {
    let checkout = make_repo(
        &server,
        "actions/checkout",
        &[
            Rev {
                tags: &["v4.1.0"],
                ..Rev::default()
            },
            Rev {
                tags: &["v4"],
                annotated: &["v4.2", "v4.2.2"],
                ..Rev::default()
            },
            Rev {
                branches: &["main"],
                ..Rev::default()
            },
        ],
    );
    let setup_node = make_repo(
        &server,
        "actions/setup-node",
        &[Rev {
            annotated: &["v4", "v4.0.3", "v4.0.3-rc.1"],
            ..Rev::default()
        }],
    );
    let codeql = make_repo(
        &server,
        "github/codeql-action",
        &[Rev {
            tags: &["v3", "v3.27.0", "codeql-bundle-v2.19.0"],
            ..Rev::default()
        }],
    );
    let workflows = make_repo(
        &server,
        "octo-org/workflows",
        &[
            Rev {
                annotated: &["v1", "v1.0.0"],
                ..Rev::default()
            },
            Rev {
                branches: &["release/next"],
                ..Rev::default()
            },
        ],
    );
    let ambiguous = make_repo(
        &server,
        "octo-org/ambiguous",
        &[
            Rev {
                tags: &["stable"],
                ..Rev::default()
            },
            Rev {
                branches: &["stable"],
                ..Rev::default()
            },
        ],
    );
    ActionsWorld {
        server,
        checkout,
        setup_node,
        codeql,
        workflows,
        ambiguous,
    }
}
