//! What a run found and changed, and how it is shown: findings with a `help:`
//! line, unified diffs, the summary, and a stable JSON report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::diagnostics::{Change, Finding, Payload, Severity};

/// The outcome for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// The text before the fix, when it was fixed (empty otherwise).
    #[serde(skip)]
    pub original: String,
    /// The fixed text, when anything changed and every check passed.
    #[serde(skip)]
    pub fixed: Option<String>,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    /// What transforms report beyond changes (the permissions decisions),
    /// each list under its own key.
    #[serde(flatten, serialize_with = "payloads_by_key")]
    pub payloads: Vec<Arc<dyn Payload>>,
}

fn payloads_by_key<S: Serializer>(payloads: &[Arc<dyn Payload>], s: S) -> Result<S::Ok, S::Error> {
    let mut by_key: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for p in payloads {
        by_key.entry(p.key()).or_default().push(p.to_json());
    }
    let mut map = s.serialize_map(Some(by_key.len()))?;
    for (k, v) in by_key {
        map.serialize_entry(k, &v)?;
    }
    map.end()
}

impl FileReport {
    /// A report of `path` with nothing in it yet.
    pub fn empty(path: PathBuf) -> Self {
        Self {
            path,
            original: String::new(),
            fixed: None,
            changes: Vec::new(),
            findings: Vec::new(),
            payloads: Vec::new(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Counts for the closing line.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_changed: usize,
    pub changes: usize,
    pub errors: usize,
    pub warnings: usize,
    pub requests: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} file{} scanned, {} changed, {} reference{} pinned or added, {} error{}, {} warning{}",
            self.files_scanned,
            s(self.files_scanned),
            self.files_changed,
            self.changes,
            s(self.changes),
            self.errors,
            s(self.errors),
            self.warnings,
            s(self.warnings)
        )
    }
}
