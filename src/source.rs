//! A file read and parsed, ready for transforms.

use std::path::PathBuf;

use crate::discover::{FileKind, Target};
use crate::dockerfile::{self, Dockerfile};
use crate::yaml::{SyntaxKind, YamlDoc};

/// Files larger than this are refused rather than parsed.
pub const MAX_FILE: u64 = 8 << 20;

/// The parsed form of a file.
pub enum Syntax {
    Yaml(YamlDoc),
    Dockerfile(Dockerfile),
}

pub struct SourceFile {
    pub target: Target,
    pub syntax: Syntax,
}

/// Why a file could not be read or parsed; the file is left alone.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("larger than {} MiB; not a file hardpin edits", MAX_FILE >> 20)]
    TooLarge,
    #[error("{0}; the file was left untouched")]
    Yaml(#[from] crate::yaml::SyntaxError),
    #[error("{0}; the file was left untouched")]
    Dockerfile(#[from] dockerfile::DockerfileError),
    #[error("not {}: its top level is {found}, not a mapping; skipped", kind_name(*.kind))]
    NotAMapping { kind: FileKind, found: &'static str },
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Workflow => "a workflow",
        FileKind::Action => "action metadata",
        FileKind::Compose => "a compose file",
        FileKind::Dockerfile => "a Dockerfile",
    }
}

impl LoadError {
    /// 1-based line of the problem, where known.
    pub fn line(&self) -> usize {
        match self {
            LoadError::Yaml(e) => e.line,
            LoadError::Dockerfile(e) => e.line(),
            _ => 1,
        }
    }

    /// A file that is not what its name says (worth a warning), rather
    /// than one that cannot be read or parsed (an error).
    pub fn is_misnamed(&self) -> bool {
        matches!(self, LoadError::NotAMapping { .. })
    }

    pub fn hint(&self) -> &'static str {
        match self {
            LoadError::NotAMapping { .. } => {
                "GitHub and Compose read this file as a mapping of keys (`on:`, `jobs:`, `services:`…); rename it if it is something else"
            }
            LoadError::TooLarge
            | LoadError::Yaml(crate::yaml::SyntaxError {
                kind:
                    SyntaxKind::TooManyLines(_) | SyntaxKind::LineTooLong(_) | SyntaxKind::AliasBomb,
                ..
            }) => "hardpin leaves files like this alone; split the file, or pin it by hand",
            _ => "fix the file so that it parses, then run hardpin again",
        }
    }

    pub fn column(&self) -> usize {
        match self {
            LoadError::Yaml(e) => e.column,
            _ => 1,
        }
    }
}

impl SourceFile {
    pub fn load(target: Target) -> Result<Self, LoadError> {
        if std::fs::metadata(&target.path)?.len() > MAX_FILE {
            return Err(LoadError::TooLarge);
        }
        let bytes = std::fs::read(&target.path)?;
        let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8)?;
        let syntax = match target.kind {
            FileKind::Workflow | FileKind::Action | FileKind::Compose => {
                let doc = YamlDoc::parse(text)?;
                if let Some(found) = doc.top_level_not_mapping() {
                    return Err(LoadError::NotAMapping {
                        kind: target.kind,
                        found,
                    });
                }
                Syntax::Yaml(doc)
            }
            FileKind::Dockerfile => Syntax::Dockerfile(dockerfile::parse(text)?),
        };
        Ok(Self { target, syntax })
    }

    pub fn text(&self) -> &str {
        match &self.syntax {
            Syntax::Yaml(d) => &d.text,
            Syntax::Dockerfile(d) => &d.text,
        }
    }

    pub fn yaml(&self) -> Option<&YamlDoc> {
        match &self.syntax {
            Syntax::Yaml(d) => Some(d),
            Syntax::Dockerfile(_) => None,
        }
    }

    pub fn path(&self) -> &PathBuf {
        &self.target.path
    }
}
