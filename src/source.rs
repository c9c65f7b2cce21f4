//! A file read and parsed, ready for transforms.

use std::path::PathBuf;

use crate::discover::{FileKind, Target};
use crate::dockerfile::{self, Dockerfile};
use crate::yaml::YamlDoc;

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
                Syntax::Yaml(YamlDoc::parse(text)?)
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
