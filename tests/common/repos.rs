//! Bare repositories with known tags and branches, made with the git CLI and
//! fixed dates so that commit ids (and so snapshots) are the same every run.

use std::path::Path;
use std::process::Command;

use super::git_server::GitServer;

/// One commit and the refs that point at it.
#[derive(Default, Clone, Copy)]
pub struct Rev<'a> {
    pub tags: &'a [&'a str],
    pub annotated: &'a [&'a str],
    pub branches: &'a [&'a str],
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Make `owner/name` on the server from `revs` (oldest first); returns the
/// commit ids in the same order. The last commit is also `main`.
pub fn make_repo(server: &GitServer, full: &str, revs: &[Rev<'_>]) -> Vec<String> {
    let (bare, work) = new_repo(server, full, "scratch");
    let w = work.path();
    let mut ids = Vec::new();
    for (i, rev) in revs.iter().enumerate() {
        git(
            w,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("{full} commit {i}"),
            ],
        );
        ids.push(git(w, &["rev-parse", "HEAD"]));
        for t in rev.tags {
            git(w, &["tag", t]);
        }
        for t in rev.annotated {
            git(w, &["tag", "-a", t, "-m", &format!("release {t}")]);
        }
        for b in rev.branches {
            git(w, &["branch", "-f", b]);
        }
    }
    if !revs.iter().any(|r| r.branches.contains(&"main")) {
        git(w, &["branch", "-f", "main"]);
    }
    push_all(w, &bare);
    git(&bare, &["branch", "-D", "scratch"]);
    ids
}

/// Make `owner/name` on the server with one commit holding `files`
/// (path, text), tagged with each of `tags`; returns the commit id.
pub fn make_repo_with_files(
    server: &GitServer,
    full: &str,
    files: &[(&str, &str)],
    tags: &[&str],
) -> String {
    let (bare, work) = new_repo(server, full, "main");
    let w = work.path();
    for (path, text) in files {
        let p = w.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(w, &["add", "."]);
    git(w, &["commit", "-q", "-m", full]);
    for t in tags {
        git(w, &["tag", t]);
    }
    push_all(w, &bare);
    git(w, &["rev-parse", "HEAD"])
}

/// The bare repository `owner/name` on the server, and a work tree beside
/// it whose first branch is `branch`.
fn new_repo(
    server: &GitServer,
    full: &str,
    branch: &str,
) -> (std::path::PathBuf, tempfile::TempDir) {
    let (owner, name) = full.split_once('/').unwrap();
    let bare = server.repo_path(owner, name);
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = tempfile::tempdir().unwrap();
    git(work.path(), &["init", "-q", "-b", branch]);
    (bare, work)
}

/// Push every branch and tag of `work` to the bare repository.
fn push_all(work: &Path, bare: &Path) {
    git(
        work,
        &[
            "push",
            "-q",
            bare.to_str().unwrap(),
            "refs/heads/*:refs/heads/*",
            "refs/tags/*:refs/tags/*",
        ],
    );
}
