//! What a run found and changed, and how it is shown: findings with a `help:`
//! line, unified diffs, the summary, and a stable JSON report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use similar::TextDiff;

use crate::diagnostics::{Change, Finding, Payload, Severity};
use crate::printable::escape;

/// The outcome for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// Whether the fix changed the file (written, or to be written).
    pub changed: bool,
    /// The fixed text, kept only when the caller asked for it (`pr`).
    #[serde(skip)]
    pub fixed: Option<String>,
    /// The unified diff, kept only when the caller asked for it (`--dry-run`,
    /// `--check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
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
            changed: false,
            fixed: None,
            diff: None,
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

/// A unified diff of one file, `a/` and `b/` prefixed like git's. The path
/// is escaped: a file name with a newline could otherwise forge diff lines.
pub fn unified_diff(path: &Path, before: &str, after: &str) -> String {
    let shown = path.to_string_lossy();
    let path = escape(shown.strip_prefix("./").unwrap_or(&shown));
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
