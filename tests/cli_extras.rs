//! Everyday conveniences: shell completions, the man page, the pre-commit
//! hooks, `--quiet`/`--verbose`, and no progress bar when stderr is not a
//! terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

mod common;

use common::*;
use yaml_rust2::{Yaml, YamlLoader};

/// A workflow with one tag to pin (a safe fix) and one branch (an unsafe
/// fix, withheld with a note).
const WORKFLOW: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@main\n      - uses: actions/checkout@v4\n";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// `hardpin fix --only pin-actions` of [`WORKFLOW`] against a fresh world,
/// with `args` added; the output and the fixed text.
fn fix_workflow(args: &[&str]) -> (std::process::Output, String) {
    let world = actions_world(GitServer::start());
    let dir = workflow_dir(&[("ci.yml", WORKFLOW)]);
    let out = hardpin(&world.server.url)
        .args(["fix", "--only", "pin-actions", "--no-cache"])
        .args(args)
        .arg(dir.path())
        .output()
        .unwrap();
    (out, read_workflow(dir.path(), "ci.yml"))
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = hardpin("http://127.0.0.1:9")
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains("hardpin"), "{shell}");
        assert!(script.contains("dry-run"), "{shell}: options are completed");
    }
    let bash = hardpin("http://127.0.0.1:9")
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = stdout(&bash);
    assert!(script.contains("_hardpin()"), "{script}");
    for sub in ["fix", "update", "pr", "completions", "man"] {
        assert!(script.contains(&format!("hardpin,{sub})")), "{sub}");
    }
}

#[test]
fn an_unknown_shell_is_refused() {
    hardpin("http://127.0.0.1:9")
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}

#[test]
fn man_page_covers_every_subcommand() {
    let out = hardpin("http://127.0.0.1:9").arg("man").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    // clap_mangen's two-line preamble (how groff draws `'`) comes first.
    let first_macro = page
        .lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap();
    assert!(first_macro.starts_with(".TH hardpin 1"), "{first_macro}");
    for section in ["FIX", "UPDATE", "PR", "COMPLETIONS", "MAN"] {
        assert!(
            page.contains(&format!(".SH \"HARDPIN {section}\"")),
            "{section}"
        );
    }
    assert!(page.contains("\\fBhardpin fix\\fR"), "fix's synopsis");
    assert!(page.contains("\\-\\-quiet"), "--quiet is documented");
}

#[test]
fn pre_commit_hooks_run_hardpin_over_the_whole_tree() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let hooks = docs[0].as_vec().unwrap();
    let field = |h: &Yaml, k: &str| h[k].as_str().map(str::to_string);
    let ids: Vec<_> = hooks.iter().map(|h| field(h, "id").unwrap()).collect();
    assert_eq!(ids, ["hardpin-check", "hardpin-audit"]);
    let entries: Vec<_> = hooks.iter().map(|h| field(h, "entry").unwrap()).collect();
    assert_eq!(entries, ["hardpin fix --check", "hardpin audit"]);
    for h in hooks {
        assert_eq!(field(h, "language").as_deref(), Some("rust"));
        assert_eq!(h["pass_filenames"].as_bool(), Some(false));
        let files = field(h, "files").unwrap();
        for kind in ["workflows", "action", "dockerfile", "compose"] {
            assert!(files.contains(kind), "{kind} in {files}");
        }
    }
    // The check hook's flags are the binary's: it must parse them.
    hardpin("http://127.0.0.1:9")
        .args(["fix", "--check", "--offline", "--help"])
        .assert()
        .success();
}

#[test]
fn quiet_prints_no_notes_and_no_summary() {
    let (plain, _) = fix_workflow(&[]);
    assert_eq!(plain.status.code(), Some(0));
    let text = stderr(&plain);
    assert!(text.contains("note[pin-actions]"), "{text}");
    assert!(text.contains("\nhardpin: "), "{text}");

    let (quiet, fixed) = fix_workflow(&["--quiet"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "");
    assert!(fixed.contains(" # v4.2.2"), "the run still fixes: {fixed}");
}

#[test]
fn quiet_still_prints_errors_and_the_diff_asked_for() {
    let world = actions_world(GitServer::start());
    let text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: nobody/missing@v1\n";
    let dir = workflow_dir(&[("ci.yml", text)]);
    let out = hardpin(&world.server.url)
        .args([
            "fix",
            "--only",
            "pin-actions",
            "--no-cache",
            "--check",
            "-q",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error[pin-actions]: "), "{err}");
    assert!(err.contains("nobody/missing"), "{err}");
    assert!(!err.contains("hardpin: "), "no summary: {err}");
    assert!(stdout(&out).contains("+      - uses: actions/checkout@"));
}

#[test]
fn verbose_says_what_resolving_cost() {
    let world = actions_world(GitServer::start());
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        let dir = workflow_dir(&[("ci.yml", WORKFLOW)]);
        let out = hardpin(&world.server.url)
            .args(["fix", "--only", "pin-actions", "--verbose", "--cache-dir"])
            .arg(cache.path())
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stderr(&out)
    };
    let first = run();
    assert!(
        first.contains(
            "note[resolve]: repositories: 1 resolved (0 from the cache, 1 fetched, 0 failed), "
        ),
        "{first}"
    );
    assert!(
        first.contains(
            "note[resolve]: images: 0 resolved (0 from the cache, 0 fetched, 0 failed), 0 requests"
        ),
        "{first}"
    );
    let second = run();
    assert!(
        second.contains(
            "note[resolve]: repositories: 1 resolved (1 from the cache, 0 fetched, 0 failed), 0 requests"
        ),
        "{second}"
    );
    // Before the summary, which stays the last line.
    assert!(
        second
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("hardpin: ")
    );
}

#[test]
fn quiet_and_verbose_cannot_be_combined() {
    hardpin("http://127.0.0.1:9")
        .args(["fix", "--quiet", "--verbose", "."])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
}

/// assert_cmd runs without a terminal: no bar, so no carriage return or
/// escape sequence on stderr, in text or JSON.
#[test]
fn no_progress_bar_without_a_terminal() {
    for format in ["text", "json"] {
        let (out, _) = fix_workflow(&["--format", format, "--verbose"]);
        assert_eq!(out.status.code(), Some(0));
        let err = stderr(&out);
        assert!(
            !err.contains('\r') && !err.contains('\u{1b}'),
            "{format}: {err:?}"
        );
        assert!(!err.contains("resolving references"), "{format}: {err}");
    }
}
