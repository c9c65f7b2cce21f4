//! `hardpin update`: SHA pins move to the newest release of their major
//! version (any major with `--major`), comment and SHA together; image pins
//! move to the digest their tag names now.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::registry::Registry;
use common::*;
use predicates::prelude::*;

struct World {
    server: GitServer,
    tool: Vec<String>,
}

fn world() -> World {
    let server = GitServer::start();
    let tool = make_repo(
        &server,
        "octo-org/tool",
        &[
            Rev {
                tags: &["v4.1.0"],
                ..Rev::default()
            },
            Rev {
                annotated: &["v4.3.0", "v4"],
                ..Rev::default()
            },
            Rev {
                tags: &["v4.4.0-rc.1"],
                ..Rev::default()
            },
            Rev {
                tags: &["v5.0.0", "v5"],
                ..Rev::default()
            },
        ],
    );
    World { server, tool }
}

fn workflow(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let wf = dir.join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("ci.yml"), text).unwrap();
    wf.join("ci.yml")
}

#[test]
fn moves_pins_within_the_major_version() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let src = format!(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: octo-org/tool@{old} # v4.1.0\n      - uses: octo-org/tool@{old} # v4.1.0 # keep this note\n      - uses: octo-org/tool@{old}\n      - uses: octo-org/tool@{new5} # v5.0.0\n  b: {{runs-on: x, steps: [{{uses: 'octo-org/tool@{old}'}}]}} # v4.1.0\n",
        old = w.tool[0],
        new5 = w.tool[3],
    );
    let path = workflow(dir.path(), &src);
    hardpin(&w.server.url)
        .args(["update", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "octo-org/tool is pinned without a version comment; not updated",
        ));
    let expected = src
        .replacen(
            &format!("{} # v4.1.0\n", w.tool[0]),
            &format!("{} # v4.3.0\n", w.tool[1]),
            1,
        )
        .replace(
            &format!("{} # v4.1.0 # keep this note", w.tool[0]),
            &format!("{} # v4.3.0 # keep this note", w.tool[1]),
        )
        .replace(
            &format!("'octo-org/tool@{}'}}]}} # v4.1.0", w.tool[0]),
            &format!("'octo-org/tool@{}'}}]}} # v4.3.0", w.tool[1]),
        );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);

    // --major crosses to v5; a second run then has nothing to do.
    hardpin(&w.server.url)
        .args(["update", "--no-cache", "--major"])
        .arg(dir.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(&w.tool[3]).count(), 4, "{text}");
    assert_eq!(text.matches("# v5.0.0").count(), 4, "{text}");
    assert!(
        text.contains(&format!("octo-org/tool@{}\n", w.tool[0])),
        "a pin without a version comment is not guessed"
    );
    hardpin(&w.server.url)
        .args(["update", "--no-cache", "--major", "--check"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn image_pins_follow_their_tag() {
    let reg = Registry::start();
    let (old, _) = reg.push_oci_index("library/node", "19");
    let (now, _) = reg.push_oci_index("library/node", "20");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM node:20@{old} AS build\nFROM node:20@{now}\n"),
    )
    .unwrap();
    hardpin("http://127.0.0.1:9")
        .env(
            "HARDPIN_REGISTRY_MIRROR",
            format!("docker.io={}", reg.url()),
        )
        .args(["update", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        format!("FROM node:20@{now} AS build\nFROM node:20@{now}\n")
    );
}
