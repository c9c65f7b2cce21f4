//! Table-driven cases for the permissions knowledge base
//! (`tests/cases/kb*.toml`): each names a `uses:` value (its ref gives the
//! major version), the step's `with:` and `env:`, and exactly the scopes the
//! step must get. Every corrected or added entry has a case that needs write
//! access and, where the action can run without it, one that needs none.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

use std::collections::BTreeMap;

use hardpin::transforms::permissions::analyze::kb_needs;
use hardpin::transforms::permissions::kb::{Kb, StepContext};
use hardpin::version::TagVersion;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    uses: String,
    #[serde(default)]
    with: BTreeMap<String, String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// `scope = "read" | "write"`; empty: the step needs nothing.
    #[serde(default)]
    expect: BTreeMap<String, String>,
    /// The step cannot be decided (`unknown` in the entry).
    #[serde(default)]
    unknown: bool,
    /// Why, with the source.
    why: String,
}

#[test]
fn knowledge_base_cases() {
    let kb = Kb::load(&[]).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("kb") && name.ends_with(".toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let cases: Cases = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            all.extend(cases.case);
        }
    }
    let mut failures = Vec::new();
    assert!(!all.is_empty());
    for c in &all {
        assert!(!c.why.trim().is_empty(), "{}: no why", c.uses);
        let (name, git_ref) = c.uses.rsplit_once('@').expect("uses has a ref");
        let major = TagVersion::parse(git_ref).and_then(|v| v.parts.first().copied());
        let ctx = StepContext {
            with: &c.with,
            env: &c.env,
        };
        let (got, unknown) = match kb_needs(&kb, &name.to_ascii_lowercase(), major, &ctx) {
            None => {
                failures.push(format!("{}: not in the knowledge base", c.uses));
                continue;
            }
            Some(Err(_)) => (BTreeMap::new(), true),
            Some(Ok(s)) => (
                s.0.into_iter()
                    .map(|(scope, g)| (scope, g.level.as_str().to_string()))
                    .collect::<BTreeMap<_, _>>(),
                false,
            ),
        };
        if unknown != c.unknown || (!unknown && got != c.expect) {
            failures.push(format!(
                "{} with {:?} env {:?}: got {got:?}{}, expected {:?}{} ({})",
                c.uses,
                c.with,
                c.env,
                if unknown { " (unknown)" } else { "" },
                c.expect,
                if c.unknown { " (unknown)" } else { "" },
                c.why
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
