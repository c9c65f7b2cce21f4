//! pin-images end to end: the binary against a real registry on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::http::{Response, Server};
use common::registry::Registry;
use common::*;
use predicates::prelude::*;
use std::sync::Arc;

/// The images the fixture tree names, pushed in three shapes.
struct Images {
    registry: Registry,
    node_index: String,
    node_platforms: Vec<String>,
    python_list: String,
    alpine_single: String,
    tools_index: String,
    app_index: String,
}

fn images() -> Images {
    let registry = Registry::start();
    let (node_index, node_platforms) = registry.push_oci_index("library/node", "20");
    let (python_list, _) = registry.push_docker_list("library/python", "3.12-slim");
    let alpine_single = registry.push_single("library/alpine", "3.20");
    let (tools_index, _) = registry.push_oci_index("acme/tools", "1.4");
    let (app_index, _) = registry.push_oci_index("team/app", "1.0");
    let (_windows, _) = registry.push_oci_index("windows/nanoserver", "ltsc2022");
    Images {
        registry,
        node_index,
        node_platforms,
        python_list,
        alpine_single,
        tools_index,
        app_index,
    }
}

/// Every registry the fixtures name is served by the one local registry.
fn mirrors(reg: &Registry) -> String {
    let url = reg.url();
    format!("docker.io={url},ghcr.io={url},localhost:5000={url},mcr.microsoft.com={url}")
}

fn pin_images(reg: &Registry) -> assert_cmd::Command {
    let mut cmd = hardpin("http://127.0.0.1:9");
    cmd.env("HARDPIN_REGISTRY_MIRROR", mirrors(reg));
    cmd.args(["fix", "--only", "pin-images", "--no-cache"]);
    cmd
}

#[test]
fn pins_fixture_tree_to_index_digests() {
    let img = images();
    let dir = copy_fixture("pin-images");
    let out = pin_images(&img.registry).arg(dir.path()).assert().code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("cannot pin `node:${NODE_MAJOR}-alpine`"),
        "{stderr}"
    );

    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains(&format!("ARG BASE=node:20@{}", img.node_index)));
    for platform in &img.node_platforms {
        assert!(
            !dockerfile.contains(platform.as_str()),
            "pinned a single platform's manifest"
        );
    }
    assert!(dockerfile.contains(&format!(
        "ARG PYTHON=\"python:3.12-slim@{}\"",
        img.python_list
    )));
    assert!(dockerfile.contains(&format!("from=alpine:3.20@{},", img.alpine_single)));
    assert!(dockerfile.contains(&format!(
        "--from=ghcr.io/acme/tools:1.4@{} ",
        img.tools_index
    )));
    assert!(dockerfile.contains(&format!(
        "\"localhost:5000/team/app:1.0@{}\"   AS",
        img.app_index
    )));
    assert!(dockerfile.contains("FROM node:20 is not an instruction inside a heredoc"));

    let settings = snapshot_settings();
    for (path, text) in read_tree(dir.path()) {
        settings
            .bind(|| insta::assert_snapshot!(format!("images__{}", path.replace('/', "__")), text));
    }

    // A second run has nothing to do.
    pin_images(&img.registry)
        .arg("--check")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn crlf_dockerfile_keeps_its_bytes() {
    let img = images();
    let dir = tempfile::tempdir().unwrap();
    let src = "FROM node:20 AS a\r\nRUN echo \\\r\n  hi\r\nFROM alpine:3.20\r\n";
    std::fs::write(dir.path().join("Dockerfile"), src).unwrap();
    pin_images(&img.registry).arg(dir.path()).assert().code(0);
    let expected = src
        .replace("node:20", &format!("node:20@{}", img.node_index))
        .replace("alpine:3.20", &format!("alpine:3.20@{}", img.alpine_single));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        expected
    );
}

#[test]
fn unresolvable_image_is_named_and_the_rest_is_fixed() {
    let img = images();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM node:99\nFROM node:20\nFROM Bad/Name:1\n",
    )
    .unwrap();
    pin_images(&img.registry)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot resolve node:99: node:99 not found").and(
                predicate::str::contains("`Bad/Name:1` is not a valid image reference"),
            ),
        );
    let text = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(
        text,
        format!(
            "FROM node:99\nFROM node:20@{}\nFROM Bad/Name:1\n",
            img.node_index
        )
    );
}

#[test]
fn private_registry_with_docker_config_credentials() {
    let reg = Registry::with_auth("robot", "s3cret-pass");
    let (index, _) = reg.push_oci_index("private/app", "2.1");
    let dir = tempfile::tempdir().unwrap();
    let df = format!("FROM {}/private/app:2.1\n", reg.host);
    std::fs::write(dir.path().join("Dockerfile"), &df).unwrap();

    // Without credentials: refused, named, nothing written.
    hardpin("http://127.0.0.1:9")
        .env_remove("HARDPIN_REGISTRY_MIRROR")
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refused access"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        df
    );

    let config = tempfile::tempdir().unwrap();
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode("robot:s3cret-pass");
    std::fs::write(
        config.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host),
    )
    .unwrap();
    let out = hardpin("http://127.0.0.1:9")
        .env_remove("HARDPIN_REGISTRY_MIRROR")
        .env("DOCKER_CONFIG", config.path())
        .env("GITHUB_TOKEN", "ghs_never_to_a_registry")
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    let all = format!("{:?}", out.get_output());
    assert!(!all.contains("s3cret-pass") && !all.contains("ghs_never"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        format!("FROM {}/private/app:2.1@{index}\n", reg.host)
    );
}

#[test]
fn bearer_challenge_is_answered_and_github_token_never_sent() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let d = digest.clone();
    let server = Arc::new(std::sync::OnceLock::<String>::new());
    let s2 = server.clone();
    let fake = Server::start(Arc::new(move |req| {
        let base = s2.get().cloned().unwrap_or_default();
        if req.path() == "/token" {
            return Response::new("200 OK", r#"{"token":"t0k3n"}"#);
        }
        if req.headers.get("authorization").map(String::as_str) != Some("Bearer t0k3n") {
            return Response::new("401 Unauthorized", "").header(
                "WWW-Authenticate",
                &format!(r#"Bearer realm="{base}/token",service="fake.registry",scope="repository:team/app:pull""#),
            );
        }
        Response::new("200 OK", "")
            .header("Docker-Content-Digest", &d)
            .header("Content-Type", "application/vnd.oci.image.index.v1+json")
    }));
    server.set(fake.url.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}/team/app:1\n", fake.host()),
    )
    .unwrap();
    hardpin("http://127.0.0.1:9")
        .env_remove("HARDPIN_REGISTRY_MIRROR")
        .env("GITHUB_TOKEN", "ghs_github_only")
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        format!("FROM {}/team/app:1@{digest}\n", fake.host())
    );
    let reqs = fake.requests();
    let token_req = reqs
        .iter()
        .find(|r| r.path() == "/token")
        .expect("token requested");
    assert!(token_req.query().contains("service=fake.registry"));
    assert!(
        token_req
            .query()
            .contains("scope=repository%3Ateam%2Fapp%3Apull"),
        "{}",
        token_req.query()
    );
    for r in &reqs {
        assert!(
            !format!("{:?}", r.headers).contains("ghs_github_only"),
            "GitHub token sent to a registry"
        );
        assert!(
            r.headers["accept"].contains("application/vnd.oci.image.index.v1+json")
                || r.path() == "/token"
        );
    }
}

#[test]
fn plain_http_mirror_off_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM node:20\n").unwrap();
    hardpin("http://127.0.0.1:9")
        .env(
            "HARDPIN_REGISTRY_MIRROR",
            "docker.io=http://mirror.example.invalid",
        )
        .args(["fix", "--no-cache"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing plain http to mirror.example.invalid",
        ));
}

/// `--offline` answers from the cache alone: an image never fetched is an
/// error naming it, one fetched before is pinned with the registry gone.
#[test]
fn offline_runs_answer_from_the_cache_only() {
    let registry = Registry::start();
    let (index, _) = registry.push_oci_index("library/node", "20");
    let mirror = mirrors(&registry);
    let cache = tempfile::tempdir().unwrap();
    let dockerfile = || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM node:20\n").unwrap();
        dir
    };
    let run = |dir: &tempfile::TempDir, offline: bool| {
        let mut cmd = hardpin("http://127.0.0.1:9");
        cmd.env("HARDPIN_REGISTRY_MIRROR", &mirror)
            .args(["fix", "--only", "pin-images", "--cache-dir"])
            .arg(cache.path());
        if offline {
            cmd.arg("--offline");
        }
        cmd.arg(dir.path()).assert()
    };
    let read =
        |dir: &tempfile::TempDir| std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();

    let first = dockerfile();
    run(&first, true).code(2).stderr(predicate::str::contains(
        "node:20 is not in the cache (--offline)",
    ));
    assert_eq!(read(&first), "FROM node:20\n");
    run(&first, false).code(0);
    assert_eq!(read(&first), format!("FROM node:20@{index}\n"));

    drop(registry);
    let second = dockerfile();
    run(&second, true).code(0);
    assert_eq!(read(&second), format!("FROM node:20@{index}\n"));
}
