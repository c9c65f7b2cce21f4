//! Corpus benchmark: pin every workflow and action in `../shared/corpus`
//! (or `$HARDPIN_CORPUS`) against a local git smart-HTTP server that knows
//! every repository and ref the corpus uses, and report throughput.
//!
//! `cargo bench --bench corpus`. The measured part is the real binary, end to
//! end: discovery, parsing, one ls-refs per repository, edits, verification,
//! atomic writes. Setting up the repositories is not measured.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

#[path = "../tests/common/mod.rs"]
mod common;
use common::git_server;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use hardpin::discover::discover;
use hardpin::resolve::Needs;
use hardpin::source::SourceFile;
use hardpin::transforms::pin_actions::action_refs;
use hardpin::transforms::{Mode, select};
use hardpin::version::TagVersion;

fn main() {
    let corpus = std::env::var_os("HARDPIN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if !corpus.is_dir() {
        println!(
            "corpus not found at {}; set HARDPIN_CORPUS",
            corpus.display()
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    copy_dir(&corpus, work.path());

    // Every repository and ref the corpus uses.
    let (targets, _) = discover(&[work.path().to_path_buf()]);
    let files: Vec<SourceFile> = targets
        .into_iter()
        .filter_map(|t| SourceFile::load(t).ok())
        .collect();
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut refs_total = 0;
    for f in &files {
        for a in action_refs(f) {
            refs_total += 1;
            wanted
                .entry(a.repo.key().to_string())
                .or_default()
                .insert(a.git_ref);
        }
    }
    // `HARDPIN_BENCH_LATENCY_MS` delays every git answer, to see how much
    // of a slow network the default concurrency hides.
    let latency = std::env::var("HARDPIN_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(std::time::Duration::ZERO, std::time::Duration::from_millis);
    let server = git_server::GitServer::with(git_server::Behaviour {
        latency,
        ..Default::default()
    });
    let setup = Instant::now();
    build_repos(&server, &wanted);
    eprintln!(
        "set up {} repositories in {:.1?}",
        wanted.len(),
        setup.elapsed()
    );

    // Every image the corpus names, pushed as an OCI index to one registry
    // that stands in for all of them (`--registry-mirror *=`).
    let kb = std::sync::Arc::new(hardpin::transforms::permissions::kb::Kb::load(&[]).unwrap());
    let all = select(Mode::Fix, &[], &[], &[], kb, false).unwrap();
    let mut needs = Needs::default();
    for f in &files {
        for t in &all {
            t.collect(f, &mut needs);
        }
    }
    let reg = common::registry::Registry::start();
    let setup = Instant::now();
    for image in needs.images.values() {
        reg.push_oci_index(&image.repository, image.tag_or_latest());
    }
    eprintln!(
        "pushed {} images in {:.1?}",
        needs.images.len(),
        setup.elapsed()
    );

    let bin = env!("CARGO_BIN_EXE_hardpin");
    let extra: Vec<String> = std::env::var("HARDPIN_BENCH_ARGS")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let run = |args: &[&str]| {
        let start = Instant::now();
        let mut child = Command::new(bin)
            .args(args)
            .args(&extra)
            .arg(work.path())
            .env("GITHUB_SERVER_URL", &server.url)
            .env("HARDPIN_REGISTRY_MIRROR", format!("*={}", reg.url()))
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
        });
        let (code, peak) = wait_with_peak_rss(child);
        let report: serde_json::Value =
            serde_json::from_slice(&reader.join().unwrap().unwrap()).unwrap_or_default();
        (start.elapsed(), code, report, peak)
    };
    let cache = tempfile::tempdir().unwrap();
    let cache_arg = cache.path().to_str().unwrap();
    let (cold, code, report, peak) = run(&["fix", "--format", "json", "--cache-dir", cache_arg]);
    // `HARDPIN_BENCH_OUT=DIR` keeps the fixed tree, to compare two versions
    // of hardpin with `diff -r`.
    if let Some(out) = std::env::var_os("HARDPIN_BENCH_OUT") {
        copy_dir(work.path(), Path::new(&out));
    }
    let git_requests = server.requests().len();
    let s = &report["summary"];
    let scanned = s["files_scanned"].as_u64().unwrap_or(0);
    let errors: Vec<String> = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .filter(|x| x["severity"] == "error")
        .map(|x| format!("{}: {}", x["transform"], x["message"]))
        .collect();
    println!("corpus: {}", corpus.display());
    println!("files scanned        {scanned}");
    println!("files changed        {}", s["files_changed"]);
    println!("action refs to pin   {refs_total}");
    println!("unique repositories  {}", wanted.len());
    println!("git requests         {git_requests}");
    println!("unique images        {}", needs.images.len());
    println!(
        "registry requests    {}",
        s["requests"].as_u64().unwrap_or(0) as usize - git_requests
    );
    let mut by_transform: BTreeMap<String, usize> = BTreeMap::new();
    for f in report["files"].as_array().into_iter().flatten() {
        for c in f["changes"].as_array().into_iter().flatten() {
            *by_transform
                .entry(c["transform"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
    }
    println!("references pinned    {} {by_transform:?}", s["changes"]);
    println!(
        "time (cold)          {:.3?}  ({:.0} files/s)",
        cold,
        scanned as f64 / cold.as_secs_f64()
    );
    println!("peak memory (cold)   {:.1} MiB", peak as f64 / 1024.0);
    if !latency.is_zero() {
        println!("git latency added    {latency:?} per request");
    }
    println!("exit code            {code:?}, {} errors", errors.len());
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for e in &errors {
        *kinds.entry(e.chars().take(90).collect()).or_default() += 1;
    }
    for (k, n) in kinds {
        println!("  {n:4} × {k}");
    }

    permission_coverage(&report);

    let (checked, odd) = check_lines(&corpus, work.path());
    println!("changed lines checked {checked}, not a pin: {}", odd.len());
    for o in odd.iter().take(10) {
        println!("  {o}");
    }

    // Second run: everything is pinned, so nothing to change and (cached) no requests.
    let before = server.requests().len();
    let (warm, _, again, _) = run(&[
        "fix",
        "--check",
        "--format",
        "json",
        "--cache-dir",
        cache_arg,
    ]);
    println!(
        "second run           {:.3?}, {} files would change, {} requests",
        warm,
        again["summary"]["files_changed"],
        server.requests().len() - before
    );
}

/// Jobs without `permissions:` of their own: how many were decided, by which
/// rule, how many were left on the default token, and the top reasons.
fn permission_coverage(report: &serde_json::Value) {
    let jobs: Vec<&serde_json::Value> = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["permissions"].as_array().into_iter().flatten())
        .filter(|j| j["status"] != "declared")
        .collect();
    let unknown: Vec<&&serde_json::Value> =
        jobs.iter().filter(|j| j["status"] == "unknown").collect();
    let decided = jobs.len() - unknown.len();
    println!(
        "permissions          {} jobs without a block: {decided} decided ({:.1}%), {} unknown",
        jobs.len(),
        100.0 * decided as f64 / jobs.len().max(1) as f64,
        unknown.len()
    );
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    for j in jobs.iter().filter(|j| j["status"] != "unknown") {
        let names: Vec<&str> = j["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str())
            .collect();
        let key = if names.is_empty() {
            "nothing to do".to_string()
        } else {
            names.join("+")
        };
        *rules.entry(key).or_default() += 1;
    }
    let inferred = jobs
        .iter()
        .filter(|j| j["applicability"] == "unsafe")
        .count();
    println!("  decided by rule    {rules:?}, {inferred} unsafe (inferred)");
    let withheld = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .filter(|x| {
            x["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("not applied, an unsafe fix"))
        })
        .count();
    println!("  unsafe fixes held  {withheld} (applied with --unsafe-fixes)");
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for j in &unknown {
        for r in j["reasons"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            // `step N (line L): why` → why, shortened.
            let why = r.split_once("): ").map_or(r, |(_, w)| w);
            *causes.entry(why.chars().take(100).collect()).or_default() += 1;
        }
    }
    let mut top: Vec<(String, usize)> = causes.into_iter().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.1));
    for (why, n) in top.iter().take(12) {
        println!("  {n:4} × {why}");
    }
}

/// Wait for `child` and return its exit code and peak resident memory
/// (KiB). The kernel's `VmHWM` is read while it runs: unlike `wait4`'s
/// rusage, it starts afresh at `exec`, so it does not count the memory of
/// this process, which the child shared until then.
fn wait_with_peak_rss(mut child: std::process::Child) -> (Option<i32>, i64) {
    let status = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let seen = peak.clone();
    let poll = std::thread::spawn(move || {
        while let Ok(text) = std::fs::read_to_string(&status) {
            let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            else {
                break; // exited: a zombie has no memory lines
            };
            seen.store(kib, std::sync::atomic::Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    });
    let code = child.wait().ok().and_then(|s| s.code());
    let _ = poll.join();
    (code, peak.load(std::sync::atomic::Ordering::Relaxed))
}

/// One template repository holds a commit per (repository, ref); every
/// repository is a bare folder that borrows its objects and names its refs in
/// `packed-refs`, so setting up hundreds of repositories takes seconds.
fn build_repos(server: &git_server::GitServer, wanted: &BTreeMap<String, BTreeSet<String>>) {
    let template = server.root.join("template.git");
    run_git(
        &server.root,
        &["init", "-q", "--bare", template.to_str().unwrap()],
    );
    let mut stream = Vec::new();
    let mut n = 0;
    for (repo, refs) in wanted {
        for r in refs {
            n += 1;
            let msg = format!("{repo} {r}\n");
            write!(
                stream,
                "commit refs/heads/c{n}\nmark :{n}\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata {}\n{msg}\n",
                msg.len()
            )
            .unwrap();
        }
    }
    let marks = server.root.join("marks");
    let mut child = Command::new("git")
        .current_dir(&template)
        .args([
            "fast-import",
            "--quiet",
            &format!("--export-marks={}", marks.display()),
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    let ids: Vec<String> = std::fs::read_to_string(&marks)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_string())
        .collect();
    let mut next = ids.iter();
    for (repo, refs) in wanted {
        let dir = server.root.join(format!("{repo}.git"));
        std::fs::create_dir_all(dir.join("objects/info")).unwrap();
        std::fs::create_dir_all(dir.join("refs")).unwrap();
        std::fs::write(dir.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(
            dir.join("config"),
            "[core]\n\trepositoryformatversion = 0\n\tbare = true\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("objects/info/alternates"),
            format!("{}\n", template.join("objects").display()),
        )
        .unwrap();
        let mut packed = String::from("# pack-refs with: peeled fully-peeled sorted\n");
        let mut lines = Vec::new();
        for r in refs {
            let id = next.next().unwrap();
            match TagVersion::parse(r) {
                Some(v) => {
                    lines.push(format!("{id} refs/tags/{r}"));
                    // A partial version also gets its most specific release.
                    let full = match v.parts.len() {
                        1 => Some(format!("{r}.4.2")),
                        2 => Some(format!("{r}.7")),
                        _ => None,
                    };
                    if let Some(f) = full.filter(|f| !refs.contains(f)) {
                        lines.push(format!("{id} refs/tags/{f}"));
                    }
                }
                None => lines.push(format!("{id} refs/heads/{r}")),
            }
        }
        lines.sort_by(|a, b| a.split(' ').nth(1).cmp(&b.split(' ').nth(1)));
        lines.dedup_by(|a, b| a.split(' ').nth(1) == b.split(' ').nth(1));
        packed.push_str(&lines.join("\n"));
        packed.push('\n');
        std::fs::write(dir.join("packed-refs"), packed).unwrap();
    }
}

/// Every changed line must be the same line with an action ref replaced by
/// a full SHA and a version comment, or with `@sha256:<digest>` added to an
/// image; nothing else may differ.
fn check_lines(original: &Path, fixed: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut odd = Vec::new();
    for e in walk(original) {
        let rel = e.strip_prefix(original).unwrap();
        let (Ok(a), Ok(b)) = (std::fs::read(&e), std::fs::read(fixed.join(rel))) else {
            continue;
        };
        if a == b {
            continue;
        }
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let diff = similar::TextDiff::from_lines(a.as_ref(), b.as_ref());
        for op in diff.ops() {
            let old: Vec<&str> = a
                .lines()
                .skip(op.old_range().start)
                .take(op.old_range().len())
                .collect();
            let new: Vec<&str> = b
                .lines()
                .skip(op.new_range().start)
                .take(op.new_range().len())
                .collect();
            match op.tag() {
                similar::DiffTag::Equal => {}
                similar::DiffTag::Insert => {
                    checked += new.len();
                    odd.extend(
                        new.iter()
                            .filter(|l| !is_permissions_line(l))
                            .map(|l| format!("{}: inserted {l:?}", rel.display())),
                    );
                }
                similar::DiffTag::Delete => odd.push(format!("{}: deleted {old:?}", rel.display())),
                similar::DiffTag::Replace => {
                    // Pins replace lines one for one; permission blocks may come along.
                    let mut new_iter = new.iter().filter(|l| !is_permissions_line(l));
                    for x in &old {
                        checked += 1;
                        match new_iter.next() {
                            Some(y) if is_pin(x, y) => {}
                            y => odd.push(format!("{}: {x:?} -> {y:?}", rel.display())),
                        }
                    }
                    odd.extend(new_iter.map(|y| format!("{}: inserted {y:?}", rel.display())));
                }
            }
        }
        if let Err(e) = valid_permissions(&a, &b) {
            odd.push(format!("{}: {e}", rel.display()));
        }
    }
    (checked, odd)
}

fn is_pin(x: &str, y: &str) -> bool {
    let sha = y
        .split(|c: char| !c.is_ascii_hexdigit())
        .any(|w| w.len() == 40);
    let action_pin = sha && y.contains(" # ") && x.contains('@') && y.len() > x.len();
    action_pin || strip_digests(y) == x
}

/// A line of an added `permissions:` block (or the blank line after one).
fn is_permissions_line(line: &str) -> bool {
    let t = line.trim().trim_end_matches('\r');
    if t.is_empty() || t == "permissions:" || t == "permissions: {}" {
        return true;
    }
    let body = t.split(" # ").next().unwrap_or_default();
    body.split_once(": ").is_some_and(|(scope, level)| {
        matches!(level, "read" | "write")
            && scope.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    })
}

/// Every `permissions:` map hardpin added names valid scopes and levels.
fn valid_permissions(before: &str, after: &str) -> Result<(), String> {
    use hardpin::transforms::permissions::scopes::{Level, validate};
    let load = |t: &str| {
        yaml_rust2::YamlLoader::load_from_str(t.trim_start_matches('\u{feff}'))
            .ok()
            .and_then(|d| d.into_iter().next())
    };
    let (Some(old), Some(new)) = (load(before), load(after)) else {
        return Ok(());
    };
    let mut added = Vec::new();
    if old["permissions"].is_badvalue() {
        added.push(new["permissions"].clone());
    }
    for (id, job) in new["jobs"].as_hash().into_iter().flatten() {
        if old["jobs"][id.as_str().unwrap_or_default()]["permissions"].is_badvalue() {
            added.push(job["permissions"].clone());
        }
    }
    for m in &added {
        for (k, v) in m.as_hash().into_iter().flatten() {
            let level = match v.as_str() {
                Some("read") => Level::Read,
                Some("write") => Level::Write,
                other => return Err(format!("bad level {other:?}")),
            };
            validate(k.as_str().unwrap_or_default(), level).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The line with every `@sha256:<64 hex>` removed.
fn strip_digests(line: &str) -> String {
    let mut out = line.to_string();
    while let Some(i) = out.find("@sha256:") {
        let end = (i + 8 + 64).min(out.len());
        out.replace_range(i..end, "");
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn run_git(dir: &Path, args: &[&str]) {
    assert!(
        Command::new("git")
            .current_dir(dir)
            .args(args)
            .status()
            .unwrap()
            .success()
    );
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_dir(&e.path(), &to);
        } else if ft.is_file() {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}
