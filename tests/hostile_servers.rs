//! Hostile servers: whatever a git host or registry sends, nothing it chose
//! reaches a file or the terminal, memory stays bounded, a silent host fails
//! within the deadline, and the token goes nowhere else.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use predicates::prelude::*;

/// What the hostile server does with a request.
enum Act {
    /// A normal answer.
    Answer(&'static str, Vec<(String, String)>, Vec<u8>),
    /// A chunked body that never ends (until the client hangs up, or 2 GiB).
    Endless,
    /// `Content-Length` of 1.5 GB, then bytes until the client hangs up.
    Claims1500Mb,
    /// Read the request and never answer (for at most a minute).
    Silent,
}

type Handler = dyn Fn(&str, &str) -> Act + Send + Sync;

/// A raw HTTP/1.1 server on 127.0.0.1 that logs every request's head.
struct Hostile {
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    fn start(handler: impl Fn(&str, &str) -> Act + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (l, h): (_, Arc<Handler>) = (log.clone(), Arc::new(handler));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (l, h) = (l.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &*h, &l);
                });
            }
        });
        Self { url, log }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line.trim().is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    log.lock().unwrap().push(head.clone());
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let filler = vec![b'0'; 64 << 10];
    match handler(method, target) {
        Act::Answer(status, headers, body) => {
            let mut h = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                h.push_str(&format!("{k}: {v}\r\n"));
            }
            stream.write_all(format!("{h}\r\n").as_bytes())?;
            if method != "HEAD" {
                stream.write_all(&body)?;
            }
        }
        Act::Endless => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\n\r\n")?;
            for _ in 0..(2 << 30) / filler.len() {
                stream.write_all(format!("{:x}\r\n", filler.len()).as_bytes())?;
                stream.write_all(&filler)?;
                stream.write_all(b"\r\n")?;
            }
        }
        Act::Claims1500Mb => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1500000000\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\n\r\n")?;
            for _ in 0..1_500_000_000 / filler.len() {
                stream.write_all(&filler)?;
            }
        }
        Act::Silent => {
            let mut sink = [0u8; 1];
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            let _ = stream.read(&mut sink);
        }
    }
    Ok(())
}

fn pkt(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(format!("{:04x}{l}", l.len() + 4).as_bytes());
    }
    out.extend_from_slice(b"0000");
    out
}

/// A v2 `ls-refs` answer for every repository.
fn listing(lines: Vec<String>) -> impl Fn(&str, &str) -> Act + Send + Sync + 'static {
    let body = pkt(&lines);
    move |_, _| Act::Answer("200 OK", Vec::new(), body.clone())
}

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn workflow(uses: &str) -> tempfile::TempDir {
    workflow_dir(&[(
        "ci.yml",
        &format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: {uses}\n"),
    )])
}

fn read_wf(dir: &tempfile::TempDir) -> String {
    read_workflow(dir.path(), "ci.yml")
}

fn pin(url: &str, dir: &tempfile::TempDir) -> assert_cmd::assert::Assert {
    hardpin(url)
        .args(["fix", "--no-cache", "--only", "pin-actions"])
        .arg(dir.path())
        .assert()
}

#[test]
fn object_ids_from_the_server_are_checked() {
    for line in [
        format!("{SHA} refs/tags/v4 peeled:main\n"),
        "main refs/tags/v4\n".to_string(),
        format!("{} refs/tags/v4\n", SHA.to_uppercase()),
    ] {
        let server = Hostile::start(listing(vec![line.clone()]));
        let dir = workflow("acme/tool@v4");
        let before = read_wf(&dir);
        pin(&server.url, &dir)
            .code(2)
            .stderr(predicate::str::contains("malformed object id"));
        assert_eq!(read_wf(&dir), before, "{line}");
    }
}

#[test]
fn unsafe_ref_names_never_reach_a_file_or_the_terminal() {
    let server = Hostile::start(listing(vec![
        format!("{SHA} refs/tags/v4\n"),
        format!("{SHA} refs/tags/v4.2.9\u{1b}[2K\n"),
        format!("{SHA} refs/tags/v4.3.\u{202e}1\n"),
        format!("{SHA} refs/tags/v4.2.`x`\n"),
        format!("{SHA} refs/tags/v4.2.1\n"),
    ]));
    let dir = workflow("acme/tool@v4");
    let out = pin(&server.url, &dir).code(0).get_output().clone();
    assert!(read_wf(&dir).contains(&format!("acme/tool@{SHA} # v4.2.1\n")));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("acme/tool lists 3 refs whose names are not safe to write"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{202e}'),
        "{stderr}"
    );
}

/// `hardpin` with its data segment (heap) capped by `prlimit`: an answer
/// read whole would fail the allocation and abort.
fn capped(url: &str, mib: u64) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("prlimit");
    cmd.arg(format!("--data={}", mib << 20))
        .arg(assert_cmd::cargo::cargo_bin!("hardpin"));
    clean_env(&mut cmd, url);
    cmd
}

#[test]
fn gigabyte_answers_are_refused_within_bounded_memory() {
    let server = Hostile::start(|method, target| {
        if target.contains("/endless/") {
            Act::Endless
        } else if target.contains("/claims/") {
            Act::Claims1500Mb
        } else if method == "HEAD" {
            // A manifest HEAD without a digest: the GET must be read.
            Act::Answer("200 OK", Vec::new(), Vec::new())
        } else {
            Act::Endless
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".github/workflows/ci.yml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let host = server.url.trim_start_matches("http://");
    let wf = format!(
        "on: push\njobs:\n  a:\n    runs-on: x\n    container: {host}/img:1\n    steps:\n      - uses: acme/endless@v1\n      - uses: acme/claims@v1\n"
    );
    std::fs::write(&p, &wf).unwrap();
    capped(&server.url, 256)
        .args(["fix", "--no-cache", "--only", "pin-actions,pin-images"])
        .env_remove("HARDPIN_REGISTRY_MIRROR")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("acme/endless")
                .and(predicate::str::contains("larger than 32 MiB"))
                .and(predicate::str::contains("acme/claims"))
                .and(predicate::str::contains("larger than 4 MiB"))
                .and(predicate::str::contains("memory allocation").not()),
        );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), wf);
}

#[test]
fn a_silent_host_fails_within_one_deadline() {
    let server = Hostile::start(|_, _| Act::Silent);
    let dir = workflow("acme/tool@v4");
    let started = Instant::now();
    hardpin(&server.url)
        .args(["fix", "--no-cache", "--timeout", "2"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no answer within 2 s (retries included)",
        ));
    // Retries must share the deadline, not multiply it (four tries took 4×).
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cached_listings_are_keyed_by_server_and_checked_on_load() {
    let other = "fedcba9876543210fedcba9876543210fedcba98";
    let a = Hostile::start(listing(vec![format!("{SHA} refs/tags/v4\n")]));
    let b = Hostile::start(listing(vec![format!("{other} refs/tags/v4\n")]));
    let cache = tempfile::tempdir().unwrap();
    for (server, want) in [(&a, SHA), (&b, other)] {
        let dir = workflow("acme/tool@v4");
        hardpin(&server.url)
            .args(["fix", "--only", "pin-actions", "--cache-dir"])
            .arg(cache.path())
            .arg(dir.path())
            .assert()
            .code(0);
        assert!(
            read_wf(&dir).contains(want),
            "{} got another server's answer",
            server.url
        );
    }
    // A cache entry edited to hold a branch name where a commit belongs is
    // not used: offline, the listing counts as missing.
    for entry in walk(cache.path()) {
        let text = std::fs::read_to_string(&entry).unwrap();
        std::fs::write(&entry, text.replace(SHA, "main")).unwrap();
    }
    let dir = workflow("acme/tool@v4");
    hardpin(&a.url)
        .args(["fix", "--only", "pin-actions", "--offline", "--cache-dir"])
        .arg(cache.path())
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("acme/tool is not in the cache"));
    assert!(!read_wf(&dir).contains("@main"));
}

#[test]
fn proxies_never_see_loopback_requests_or_the_token() {
    let proxy = Hostile::start(|_, _| Act::Answer("502 Bad Gateway", Vec::new(), Vec::new()));
    let server = Hostile::start(listing(vec![format!("{SHA} refs/tags/v4\n")]));
    let dir = workflow("acme/tool@v4");
    hardpin(&server.url)
        .args(["fix", "--no-cache", "--only", "pin-actions"])
        .env("GITHUB_TOKEN", "ghs_secret_for_proxy_test")
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env("HTTPS_PROXY", &proxy.url)
        .env("ALL_PROXY", &proxy.url)
        .arg(dir.path())
        .assert()
        .code(0);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert!(read_wf(&dir).contains(SHA));
    assert!(
        server
            .requests()
            .iter()
            .all(|h| h.contains("authorization: Basic") || h.contains("Authorization: Basic"))
    );
}
