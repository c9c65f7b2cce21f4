//! The vocabulary every part of hardpin speaks: edits, fixes, what a fix is
//! allowed to change, findings and their severity.
//!
//! This module depends on nothing else in the crate, so the edit engine,
//! the transforms, verification and the renderers can all use it without
//! depending on one another (ruff's `ruff_diagnostics` is the model).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

/// The hint on every error that means hardpin itself went wrong.
pub const BUG_HINT: &str = "this is a bug in hardpin; the file was left untouched. Please report it with the file attached";

/// Replace `range` of the original text with `replacement`.
///
/// An insertion is an empty range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, replacement: impl Into<String>) -> Self {
        Self {
            range,
            replacement: replacement.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Self::replace(at..at, text)
    }
}

/// How certain a fix is to keep the pipeline working as it did.
///
/// Ordered from most to least certain, so a level selects itself and every
/// level above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps behaviour exactly: a tag pinned to the commit it names today, a
    /// permissions block from what the knowledge base knows.
    Safe,
    /// Very likely right, but rests on a guess: a branch pinned (the workflow
    /// meant to follow it), permissions inferred from what an action's
    /// metadata does not show.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// The data-level differences an edit is allowed to make; verification
/// refuses every other difference.
#[derive(Debug, Default, Clone)]
pub struct AllowedChanges {
    /// A YAML scalar may change from `.0` to `.1` wherever it appears
    /// (aliases of an edited anchor change with it).
    pub scalars: BTreeSet<(String, String)>,
    /// Keys that may be added, as the path of the new key.
    pub added_keys: BTreeSet<Vec<String>>,
    /// Within a Dockerfile word, `.0` may become `.1` (an image reference
    /// inside `--from=`, `ARG X=` and the like).
    pub words: BTreeSet<(String, String)>,
    /// Items that may be inserted into a sequence (a step put first in a
    /// job), each at one index of one sequence and with known content.
    pub inserted_items: BTreeSet<InsertedItem>,
}

/// One sequence item an edit may insert. The place and the content are
/// both fixed, so an item inserted anywhere else, a different item, or an
/// existing item changed on the way is still refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InsertedItem {
    /// The path of the sequence: its keys, and indices as decimal text
    /// (`["jobs", "build", "steps"]`).
    pub seq: Vec<String>,
    /// The item's index in the edited sequence.
    pub index: usize,
    /// The item as a YAML document; what was inserted must load to the
    /// same data (comments and layout aside).
    pub item: String,
}

impl AllowedChanges {
    pub fn merge(&mut self, other: AllowedChanges) {
        self.scalars.extend(other.scalars);
        self.added_keys.extend(other.added_keys);
        self.words.extend(other.words);
        self.inserted_items.extend(other.inserted_items);
    }
}

/// One change made to a file, for reports and pull-request bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub transform: &'static str,
    pub line: usize,
    pub column: usize,
    pub before: String,
    pub after: String,
    pub why: String,
    pub applicability: Applicability,
}

/// One fix: the edits that make one [`Change`], what they may change, and
/// how certain they are. Fixes are applied whole or not at all.
#[derive(Debug, Clone)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub change: Change,
    pub allowed: AllowedChanges,
}

impl Fix {
    pub fn applicability(&self) -> Applicability {
        self.change.applicability
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// Something a transform wants the user to know, at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub transform: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The audit rule (`HP001`…) this finding is an instance of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// Silenced by a `# hardpin: ignore` comment or the configuration:
    /// shown, but it fails nothing and its fix is not applied.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// What a transform reports beyond changes and findings (the permissions
/// transform's per-job decisions). The report carries it without knowing
/// its type; renderers show it under [`Payload::key`].
pub trait Payload: Debug + Send + Sync {
    /// The JSON key its entries are listed under, per file.
    fn key(&self) -> &'static str;
    fn to_json(&self) -> serde_json::Value;
}

/// Why an edited file was refused: the edits changed more than they were
/// allowed to. Any of these is a bug in a transform.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("overlapping edits at bytes {first:?} and {second:?}")]
    Overlap {
        first: Range<usize>,
        second: Range<usize>,
    },
    #[error("the result does not parse ({0})")]
    Unparsable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("edited text does not load: {0}")]
    Unloadable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the number of documents changed")]
    Documents,
    #[error("key `{key}` removed under {at}")]
    KeyRemoved { key: String, at: String },
    #[error("key `{key}` added under {at}")]
    KeyAdded { key: String, at: String },
    #[error("sequence length changed at {at}")]
    SequenceLength { at: String },
    #[error("item {index} inserted at {at} is not the one allowed")]
    InsertedItem { at: String, index: usize },
    #[error("value changed at {at}")]
    Value { at: String },
    #[error("the number of instructions changed")]
    Instructions,
    #[error("text outside the instructions' words changed")]
    OutsideWords,
    #[error("instruction at line {line} changed shape")]
    Shape { line: usize },
    #[error("`{before}` at line {line} changed to `{after}`")]
    Word {
        before: String,
        after: String,
        line: usize,
    },
}
