//! The GitHub Action's scripts: `scripts/action-install.sh` against a local
//! HTTP server serving a fake release (a correct archive, a tampered one, a
//! SHA256SUMS without its line), and `scripts/action-run.sh` with a fake
//! hardpin that shows the arguments it was given.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::http::{Response, Server};
use sha2::{Digest, Sha256};

const VERSION: &str = "0.0.0-test";
const TARGET: &str = "x86_64-unknown-linux-musl";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

fn archive_name() -> String {
    format!("hardpin-{VERSION}-{TARGET}.tar.gz")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A `.tar.gz` with an executable `hardpin` at its root that prints `says`.
fn archive(says: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let bin = pkg.join("hardpin");
    std::fs::write(&bin, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
    make_executable(&bin);
    let out = dir.path().join("a.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(&pkg)
        .arg("hardpin")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release server: files by URL path, and a switch that makes every
/// request fail (the server "stopped"; its log still shows any attempt).
struct Releases {
    server: Server,
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    down: Arc<AtomicBool>,
}

impl Releases {
    fn start() -> Self {
        let files: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(false));
        let (f, d) = (files.clone(), down.clone());
        let server = Server::start(Arc::new(move |req| {
            if d.load(Ordering::SeqCst) {
                return Response::new("503 Service Unavailable", "down");
            }
            match f.lock().unwrap().get(req.path()) {
                Some(body) => Response::new("200 OK", body.clone()),
                None => Response::new("404 Not Found", "not found"),
            }
        }));
        Self {
            server,
            files,
            down,
        }
    }

    fn put(&self, name: &str, body: Vec<u8>) {
        self.files
            .lock()
            .unwrap()
            .insert(format!("/v{VERSION}/{name}"), body);
    }

    /// A correct release: the archive and its SHA256SUMS line.
    fn publish(&self) -> Vec<u8> {
        let bytes = archive(&format!("hardpin {VERSION}"));
        let sums = format!(
            "{}  hardpin-{VERSION}-aarch64-unknown-linux-musl.tar.gz\n{}  {}\n",
            "0".repeat(64),
            sha256_hex(&bytes),
            archive_name()
        );
        self.put(&archive_name(), bytes.clone());
        self.put("SHA256SUMS", sums.into_bytes());
        bytes
    }

    fn requests(&self) -> usize {
        self.server.requests().len()
    }
}

/// A clean environment: only PATH and HOME from this one, so no GH_TOKEN,
/// GITHUB_* or RUNNER_* of the machine running the tests leaks in.
fn bash(script_name: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script(script_name)).env_clear();
    for key in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd
}

struct Install {
    cache: tempfile::TempDir,
    temp: tempfile::TempDir,
    output: PathBuf,
}

impl Install {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let output = temp.path().join("github_output");
        std::fs::write(&output, "").unwrap();
        Self {
            cache: tempfile::tempdir().unwrap(),
            temp,
            output,
        }
    }

    fn command(&self, releases_url: &str) -> Command {
        let mut cmd = bash("action-install.sh");
        cmd.env("HARDPIN_VERSION", VERSION)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("HARDPIN_RELEASES_URL", releases_url)
            .env("RUNNER_TOOL_CACHE", self.cache.path())
            .env("RUNNER_TEMP", self.temp.path())
            .env("GITHUB_OUTPUT", &self.output);
        cmd
    }

    fn run(&self, releases_url: &str) -> Output {
        self.command(releases_url).output().unwrap()
    }

    /// The `path=` lines written to GITHUB_OUTPUT.
    fn paths(&self) -> Vec<String> {
        std::fs::read_to_string(&self.output)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("path=").map(str::to_string))
            .collect()
    }

    /// Every file and folder under the tool cache.
    fn cached(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                out.push(p.clone());
                if p.is_dir() {
                    walk(&p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.cache.path(), &mut out);
        out
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn installs_a_checked_release_and_reuses_the_cache() {
    let releases = Releases::start();
    releases.publish();
    let install = Install::new();

    let out = install.run(&releases.server.url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("matches SHA256SUMS"),
        "{}",
        stderr(&out)
    );
    assert_eq!(releases.requests(), 2, "the archive and SHA256SUMS");
    let paths = install.paths();
    assert_eq!(paths.len(), 1, "{paths:?}");
    let bin = PathBuf::from(&paths[0]);
    assert_eq!(
        bin,
        install
            .cache
            .path()
            .join(format!("hardpin/{VERSION}/{TARGET}/hardpin"))
    );
    let ran = Command::new(&bin).output().unwrap();
    assert!(ran.status.success());
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout).trim(),
        "hardpin 0.0.0-test"
    );
    // The download folder is gone; only the cache stays.
    assert_eq!(std::fs::read_dir(install.temp.path()).unwrap().count(), 1);

    // The server stops answering: the cached binary is used, nothing asked.
    releases.down.store(true, Ordering::SeqCst);
    let again = install.run(&releases.server.url);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("tool cache"), "{}", stderr(&again));
    assert_eq!(releases.requests(), 2, "no request when cached");
    assert_eq!(install.paths(), vec![paths[0].clone(), paths[0].clone()]);
}

#[test]
fn without_github_output_the_path_is_printed() {
    let releases = Releases::start();
    releases.publish();
    let install = Install::new();
    let out = install
        .command(&releases.server.url)
        .env_remove("GITHUB_OUTPUT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        printed.ends_with(&format!("{VERSION}/{TARGET}/hardpin")),
        "{printed}"
    );
    assert!(Path::new(&printed).is_file());
}

#[test]
fn a_tampered_archive_is_refused_and_never_extracted() {
    let releases = Releases::start();
    let mut bytes = releases.publish();
    // Changed after SHA256SUMS was written: another program, same name.
    bytes = {
        let evil = archive("owned");
        assert_ne!(evil, bytes);
        evil
    };
    releases.put(&archive_name(), bytes);
    let install = Install::new();

    let out = install.run(&releases.server.url);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("::error"), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&archive_name()), "{err}");
    assert!(install.cached().is_empty(), "{:?}", install.cached());
    assert!(install.paths().is_empty());
    // Nothing left in the download folder either.
    assert_eq!(std::fs::read_dir(install.temp.path()).unwrap().count(), 1);

    // One flipped byte is refused just the same.
    let mut flipped = releases.publish();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    releases.put(&archive_name(), flipped);
    let out = install.run(&releases.server.url);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert!(install.cached().is_empty());
}

#[test]
fn a_sha256sums_without_the_archive_is_refused() {
    let releases = Releases::start();
    let bytes = releases.publish();
    releases.put(
        "SHA256SUMS",
        format!(
            "{}  hardpin-{VERSION}-aarch64-apple-darwin.tar.gz\n",
            sha256_hex(&bytes)
        )
        .into_bytes(),
    );
    let install = Install::new();
    let out = install.run(&releases.server.url);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("::error"), "{err}");
    assert!(err.contains("no checksum line"), "{err}");
    assert!(install.cached().is_empty());

    // A missing SHA256SUMS is a failed download, not a pass.
    releases
        .files
        .lock()
        .unwrap()
        .remove(&format!("/v{VERSION}/SHA256SUMS"));
    let out = install.run(&releases.server.url);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("SHA256SUMS"), "{}", stderr(&out));
    assert!(install.cached().is_empty());
}

#[test]
fn plain_http_is_refused_but_to_loopback() {
    let install = Install::new();
    for url in [
        "http://example.invalid",
        "http://127.0.0.1.example.invalid/releases",
        "http://127.0.0.1@example.invalid/releases",
        "http://localhost.example.invalid",
        "ftp://127.0.0.1/releases",
        "file:///etc",
    ] {
        let out = install.run(url);
        assert!(!out.status.success(), "{url}");
        let err = stderr(&out);
        assert!(err.contains("::error"), "{url}: {err}");
        assert!(err.contains("must be https"), "{url}: {err}");
        assert!(install.cached().is_empty());
    }
}

#[test]
fn a_missing_release_fails_clearly() {
    let releases = Releases::start();
    let install = Install::new();
    let out = install.run(&releases.server.url);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("::error"), "{err}");
    assert!(err.contains("could not download"), "{err}");
    assert!(err.contains("build-from-source"), "{err}");
    assert!(install.cached().is_empty());
}

#[test]
fn the_version_defaults_to_the_pinned_commits_cargo_toml() {
    let releases = Releases::start();
    releases.publish();
    let install = Install::new();
    let action = tempfile::tempdir().unwrap();
    std::fs::write(
        action.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"hardpin\"\nversion = \"{VERSION}\"\n\n[dependencies]\nclap = {{ version = \"4\" }}\n"
        ),
    )
    .unwrap();
    let out = install
        .command(&releases.server.url)
        .env_remove("HARDPIN_VERSION")
        .env("GITHUB_ACTION_PATH", action.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(install.paths().len(), 1);

    // `v0.2.0` as well as `0.2.0`; anything else is not a version.
    let out = install
        .command(&releases.server.url)
        .env("HARDPIN_VERSION", format!("v{VERSION}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for bad in ["../../etc", "latest", "1.2"] {
        let out = install
            .command(&releases.server.url)
            .env("HARDPIN_VERSION", bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad}");
        assert!(stderr(&out).contains("not a release version"), "{bad}");
    }
}

#[test]
fn an_unknown_platform_points_to_building_from_source() {
    let install = Install::new();
    let out = install
        .command("https://example.invalid")
        .env("RUNNER_ARCH", "ARM")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("::error"), "{err}");
    assert!(err.contains("build-from-source: true"), "{err}");
}

// --- action-run.sh -----------------------------------------------------------

/// A fake hardpin: each argument in `<…>` on its own line, then what
/// `tail` says, then exit `code`.
fn fake_hardpin(dir: &Path, tail: &str, code: u8) -> PathBuf {
    let bin = dir.join("hardpin");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '<%s>\\n' \"$a\"; done\n{tail}\nexit {code}\n"
        ),
    )
    .unwrap();
    make_executable(&bin);
    bin
}

struct Run {
    dir: tempfile::TempDir,
    output: PathBuf,
}

impl Run {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("github_output");
        std::fs::write(&output, "").unwrap();
        Self { dir, output }
    }

    fn command(&self, bin: &Path, command: &str, args: &str) -> Command {
        let cwd = self.dir.path().join("work");
        std::fs::create_dir_all(&cwd).unwrap();
        let mut cmd = bash("action-run.sh");
        cmd.current_dir(cwd)
            .env("HARDPIN_BIN", bin)
            .env("HARDPIN_COMMAND", command)
            .env("HARDPIN_ARGS", args)
            .env("RUNNER_TEMP", self.dir.path())
            .env("GITHUB_OUTPUT", &self.output);
        cmd
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(&self.output).unwrap();
        let mut map = BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((k, delim)) = line.split_once("<<") {
                let mut value = Vec::new();
                for l in lines.by_ref() {
                    if l == delim {
                        break;
                    }
                    value.push(l);
                }
                map.insert(k.to_string(), value.join("\n"));
            } else if let Some((k, v)) = line.split_once('=') {
                map.insert(k.to_string(), v.to_string());
            }
        }
        map
    }
}

#[test]
fn arguments_arrive_unchanged_with_no_shell_in_between() {
    let run = Run::new();
    let bin = fake_hardpin(
        run.dir.path(),
        "echo 'created https://github.example/o/r/pull/7'",
        0,
    );
    let args = [
        "--title",
        "Harden  CI: two  spaces ",
        "$(touch pwned-subst)",
        "`touch pwned-backtick`",
        "x; touch pwned-semicolon",
        "'single' \"double\" \\back",
        "$HOME ${PATH} *",
        "--label=a|b&&c>out",
    ];
    // A YAML `|` block: newline-terminated, a blank line, a CRLF line.
    let input = format!("{}\n\n--draft\r\n", args.join("\n"));
    let out = run.command(&bin, "pr", &input).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix('<').and_then(|l| l.strip_suffix('>')))
        .collect();
    let mut want = vec!["pr"];
    want.extend(args);
    want.push("--draft");
    assert_eq!(got, want);
    for name in [
        "pwned-subst",
        "pwned-backtick",
        "pwned-semicolon",
        "out",
        "c>out",
    ] {
        assert!(!run.dir.path().join("work").join(name).exists(), "{name}");
    }

    let outputs = run.outputs();
    assert_eq!(outputs["pr-url"], "https://github.example/o/r/pull/7");
    assert_eq!(outputs["pr-urls"], "https://github.example/o/r/pull/7");
    assert_eq!(outputs["exit-code"], "0");
}

#[test]
fn no_args_runs_the_bare_command() {
    let run = Run::new();
    let bin = fake_hardpin(run.dir.path(), "", 0);
    let out = run.command(&bin, "audit", "").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "<audit>\n");
    let outputs = run.outputs();
    assert_eq!(outputs["pr-url"], "");
    assert_eq!(outputs["findings"], "");
}

#[test]
fn the_command_is_one_known_word() {
    let run = Run::new();
    let bin = fake_hardpin(run.dir.path(), "", 0);
    for (command, says) in [
        ("pr --update", "one word"),
        ("pr;id", "unknown command"),
        ("", "unknown command"),
        ("completions", "unknown command"),
    ] {
        let out = run.command(&bin, command, "").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(stderr(&out).contains("::error"), "{command}");
        assert!(stderr(&out).contains(says), "{command}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{command}: hardpin must not run");
    }
}

#[test]
fn counts_and_fail_on_findings() {
    let run = Run::new();
    let summary = "echo 'hardpin: 4 files scanned, 2 changed, 3 references pinned or added, 0 errors, 1 warning' >&2";
    let bin = fake_hardpin(run.dir.path(), summary, 1);

    // Default: exit 1 fails the step.
    let out = run.command(&bin, "fix", "--check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let outputs = run.outputs();
    assert_eq!(outputs["exit-code"], "1");
    assert_eq!(outputs["files-changed"], "2");
    assert_eq!(outputs["changes"], "3");
    assert_eq!(outputs["errors"], "0");
    assert_eq!(outputs["warnings"], "1");
    assert_eq!(outputs["findings"], "1");
    // Its stderr still reaches the log.
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 files scanned"));

    // fail-on-findings: false lets exit 1 pass…
    let out = run
        .command(&bin, "fix", "--check")
        .env("HARDPIN_FAIL_ON_FINDINGS", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(run.outputs()["exit-code"], "1");

    // …but never an error (exit 2).
    let audit = "echo 'hardpin: 9 files audited: 1 error, 2 warnings, 3 notes, 4 suppressed' >&2";
    let bin = fake_hardpin(run.dir.path(), audit, 2);
    let out = run
        .command(&bin, "audit", "")
        .env("HARDPIN_FAIL_ON_FINDINGS", "false")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let outputs = run.outputs();
    assert_eq!(outputs["exit-code"], "2");
    assert_eq!(outputs["errors"], "1");
    assert_eq!(outputs["warnings"], "2");
    assert_eq!(outputs["findings"], "6");
    assert_eq!(outputs["files-changed"], "");

    let out = run
        .command(&bin, "audit", "")
        .env("HARDPIN_FAIL_ON_FINDINGS", "maybe")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fail-on-findings"));
}

#[test]
fn pr_urls_from_a_repo_table() {
    let run = Run::new();
    let table = "printf 'repository  result\\no/a         created https://github.example/o/a/pull/1\\no/b         nothing to change\\no/c         updated https://github.example/o/c/pull/3\\n'";
    let bin = fake_hardpin(run.dir.path(), table, 0);
    let out = run
        .command(&bin, "pr", "--repo\no/a\n--repo\no/b\n--repo\no/c")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let outputs = run.outputs();
    assert_eq!(outputs["pr-url"], "https://github.example/o/a/pull/1");
    assert_eq!(
        outputs["pr-urls"],
        "https://github.example/o/a/pull/1\nhttps://github.example/o/c/pull/3"
    );
}
