//! Table-driven transform tests. Every `tests/cases/<transform>/<name>.toml`
//! is one file run through the whole pipeline with only that transform,
//! against the in-memory resolver (no server): the case gives the input and
//! the answers, and the diff, the changes and the findings (with the audit
//! rule of each, if it has one) are an insta snapshot in
//! `snapshots/cases/`. Adding a case is adding a file.
//!
//! A case:
//! ```toml
//! about = "what it shows"
//! path = ".github/workflows/ci.yml"   # where the input lives in the tree
//! input = '''…'''
//! unsafe-fixes = false                # apply unsafe fixes too
//! major = false                       # update-actions: cross majors
//! config = '''…'''                      # a hardpin.toml at the tree's root
//! audit = false                       # run as `hardpin audit` does
//! [files]                             # more files of the tree
//! "tools/action.yml" = '''…'''
//! [refs."actions/checkout"]           # ref listings by repository
//! tags = { "v4" = "<sha>" }
//! heads = { main = "<sha>" }
//! [images]                            # index digests by image as written
//! "node:20" = "sha256:…"
//! [[remote]]                          # files of other repositories
//! repo = "octo-org/tool"
//! commit = "<sha>"
//! path = ""                           # an action's folder, or a workflow file
//! action = true
//! text = '''…'''
//! [commits]                           # audit: where a pinned commit is found
//! "octo-org/tool@<sha>" = { kind = "unreachable", checked = 3, of = 3 }
//! [indexes."node:20"]                 # audit: the whole index a tag names
//! digest = "sha256:…"
//! platforms = ["sha256:…"]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hardpin::config::Config;
use hardpin::config::TRANSFORM_NAMES;
use hardpin::diagnostics::Applicability;
use hardpin::image::ImageRef;
use hardpin::pipeline::{Output, Plan, run};
use hardpin::refs::parse_repo;
use hardpin::render::format_finding;
use hardpin::report::unified_diff;
use hardpin::resolve::RefListing;
use hardpin::resolve::commits::{CommitKey, Reachability};
use hardpin::resolve::files::RemoteFile;
use hardpin::resolve::memory::MemoryResolver;
use hardpin::resolve::oci::ImageIndex;
use hardpin::transforms::permissions::kb::Kb;
use hardpin::transforms::{Mode, Phase, registry, select};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Case {
    about: String,
    path: String,
    input: String,
    #[serde(default)]
    unsafe_fixes: bool,
    #[serde(default)]
    major: bool,
    /// A `hardpin.toml` at the tree's root.
    config: Option<String>,
    /// Run as `hardpin audit` does.
    #[serde(default)]
    audit: bool,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    refs: BTreeMap<String, Listing>,
    #[serde(default)]
    images: BTreeMap<String, String>,
    #[serde(default)]
    remote: Vec<Remote>,
    /// Where pinned commits are found, by `owner/repo@sha`.
    #[serde(default)]
    commits: BTreeMap<String, Reachability>,
    /// Whole manifests (digest and platforms) by image as written.
    #[serde(default)]
    indexes: BTreeMap<String, ImageIndex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Listing {
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    heads: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Remote {
    repo: String,
    commit: String,
    path: String,
    action: bool,
    text: String,
}

fn resolver(case: &Case) -> MemoryResolver {
    let mut r = MemoryResolver::default();
    let repo = |name: &str| parse_repo(name).expect("a valid owner/name");
    for (name, l) in &case.refs {
        r.listings.insert(
            repo(name).key(),
            RefListing {
                tags: l.tags.clone(),
                heads: l.heads.clone(),
                skipped: Vec::new(),
            },
        );
    }
    for (image, digest) in &case.images {
        let key = ImageRef::parse(image).expect("a valid image").key();
        r.images.insert(key, digest.clone());
    }
    for (image, index) in &case.indexes {
        let key = ImageRef::parse(image).expect("a valid image").key();
        r.indexes.insert(key, index.clone());
    }
    for (pinned, reachability) in &case.commits {
        let (name, sha) = pinned.split_once('@').expect("commits are owner/repo@sha");
        r.commits
            .insert(CommitKey::new(&repo(name), sha), reachability.clone());
    }
    for f in &case.remote {
        let file = RemoteFile {
            repo: repo(&f.repo),
            commit: f.commit.clone(),
            path: f.path.clone(),
            action: f.action,
        };
        r.files.insert(file.key(), f.text.clone());
    }
    r
}

/// The mode that runs `transform`: `audit` for the audit-only checks and
/// cases that say `audit = true` (`--only` narrows it to the one named),
/// else fix and update together.
fn mode_for(transform: &str, case: &Case, kb: &Arc<Kb>) -> Mode {
    let audit_only = registry(kb.clone(), false, false)
        .iter()
        .any(|e| e.transform.name() == transform && e.phase == Phase::Audit);
    if audit_only || case.audit {
        Mode::Audit
    } else {
        Mode::FixAndUpdate
    }
}

/// What the snapshot shows: the diff, each change with its certainty, and
/// every finding, with paths relative to the tree.
fn outcome(case: &Case, transform: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in std::iter::once((&case.path, &case.input)).chain(&case.files) {
        let at = dir.path().join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    let kb = Arc::new(Kb::load(&[]).unwrap());
    let transforms = select(
        mode_for(transform, case, &kb),
        &[transform.to_string()],
        &[],
        &[],
        kb,
        case.major,
    )
    .unwrap();
    let resolver = resolver(case);
    let config = match &case.config {
        Some(text) => {
            let path = dir.path().join("hardpin.toml");
            std::fs::write(&path, text).unwrap();
            Config::load(&path).unwrap()
        }
        None => Config::empty(dir.path()),
    };
    let level = if case.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let result = run(&Plan {
        paths: &[dir.path().to_path_buf()],
        transforms: &transforms,
        resolver: &resolver,
        level,
        output: Output::Text,
        config: &config,
    });
    assert!(result.discover_errors.is_empty());
    let mut out = format!("{}\n", case.about);
    for r in &result.reports {
        let rel = r.path.strip_prefix(dir.path()).unwrap().to_string_lossy();
        if let Some(fixed) = &r.fixed {
            let original = std::fs::read_to_string(&r.path).unwrap();
            out.push_str(&unified_diff(Path::new(rel.as_ref()), &original, fixed));
        }
        for c in &r.changes {
            let before = if c.before.is_empty() {
                "+".to_string()
            } else {
                format!("{} ->", c.before)
            };
            out.push_str(&format!(
                "change {rel}:{} [{}] {before} {} ({})\n",
                c.line,
                c.applicability.as_str(),
                c.after,
                c.why
            ));
        }
        for f in &r.findings {
            let mut f = f.clone();
            f.path = PathBuf::from(rel.as_ref());
            out.push_str(&format_finding(&f));
            out.push('\n');
            if let Some(rule) = f.rule {
                out.push_str(&format!("  rule: {rule}\n"));
            }
        }
    }
    out
}

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
        if !dir.is_dir() {
            continue;
        }
        let transform = dir.file_name().unwrap().to_string_lossy().to_string();
        for case in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if case.extension().is_some_and(|e| e == "toml") {
                found.push((transform.clone(), case));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_transform_has_cases_and_they_hold() {
    let all = cases();
    for name in TRANSFORM_NAMES {
        assert!(
            all.iter().filter(|(t, _)| t == name).count() >= 3,
            "{name} needs at least three cases in tests/cases/{name}/"
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/cases"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (transform, path) in all {
        let case: Case = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = format!(
            "{transform}__{}",
            path.file_stem().unwrap().to_string_lossy()
        );
        settings.set_input_file(&path);
        settings.bind(|| insta::assert_snapshot!(name, outcome(&case, &transform)));
    }
}
