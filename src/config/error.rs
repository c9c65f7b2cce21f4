//! Why a configuration file was refused, and where in it.
//!
//! Every error that comes from the file's text carries the file, line and
//! column, so the message can be followed straight to the mistake; a
//! configuration that is half understood is never used.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A place in the configuration file: `hardpin.toml:3:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based line and column (in characters); `None` when the parser
    /// could not say where (the file is still named).
    pub position: Option<(usize, usize)>,
}

impl Location {
    /// The location of the byte range `span` of `text`, the contents of `file`.
    pub(super) fn of(file: &Path, text: &str, span: Option<Range<usize>>) -> Self {
        Self {
            file: file.to_path_buf(),
            position: span.map(|s| line_column(text, s.start)),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        Ok(())
    }
}

/// 1-based line and column of byte `offset` in `text`; an offset past the
/// end or inside a character is moved back to the nearest character start.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unknown key `{key}` at {at} (expected one of {expected})")]
    UnknownKey {
        key: String,
        expected: String,
        at: Location,
    },
    /// Not TOML, a value of the wrong type, or a required key missing.
    #[error("{message} at {at}")]
    Invalid { message: String, at: Location },
    #[error("unknown transform `{name}` at {at} (known: {known})")]
    UnknownTransform {
        name: String,
        known: String,
        at: Location,
    },
    #[error("unknown rule `{id}` at {at}")]
    UnknownRule { id: String, at: Location },
    #[error("invalid glob `{glob}` at {at}: {reason}")]
    Glob {
        glob: String,
        reason: String,
        at: Location,
    },
    #[error("invalid `uses` pattern `{pattern}` at {at}: {reason}")]
    UsesPattern {
        pattern: String,
        reason: &'static str,
        at: Location,
    },
    #[error("invalid `image` pattern `{pattern}` at {at}: {reason}")]
    ImagePattern {
        pattern: String,
        reason: &'static str,
        at: Location,
    },
    #[error("an [[allow]] entry needs exactly one of `uses` and `image`, at {at}")]
    AllowTarget { at: Location },
    #[error("empty reason at {at}")]
    EmptyReason { at: Location },
    #[error("knowledge-base file {} not found, at {at}", file.display())]
    MissingKb { file: PathBuf, at: Location },
}

impl ConfigError {
    /// Where in the file the problem is (`None` when the file could not be read).
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::UnknownKey { at, .. }
            | ConfigError::Invalid { at, .. }
            | ConfigError::UnknownTransform { at, .. }
            | ConfigError::UnknownRule { at, .. }
            | ConfigError::Glob { at, .. }
            | ConfigError::UsesPattern { at, .. }
            | ConfigError::ImagePattern { at, .. }
            | ConfigError::AllowTarget { at }
            | ConfigError::EmptyReason { at }
            | ConfigError::MissingKb { at, .. } => Some(at),
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => {
                "check the path given to --config, or the file's permissions"
            }
            ConfigError::UnknownKey { .. } => {
                "keys are kebab-case; check the spelling against the documented format, or remove the key"
            }
            ConfigError::Invalid { .. } => {
                "fix the value at the position shown; lists are written `[\"a\", \"b\"]`, entries `[[allow]]` with `reason = \"…\"`"
            }
            ConfigError::UnknownTransform { .. } => {
                "`only` and `skip` take transform names, as `--only` and `--skip` do"
            }
            ConfigError::UnknownRule { .. } => {
                "`disable` takes audit rule ids such as `HP011`; `hardpin explain` lists them"
            }
            ConfigError::Glob { .. } => {
                "globs are relative to the configuration's folder: `*` stays within one folder, `**` crosses folders"
            }
            ConfigError::UsesPattern { .. } => {
                "write `owner/repo[/path][@ref]`, `*` matching anything: `my-org/*`, `actions/checkout@v4`"
            }
            ConfigError::ImagePattern { .. } => {
                "write `name[:tag]` as in the file, `*` matching anything: `postgres:16`, `ghcr.io/my-org/*`"
            }
            ConfigError::AllowTarget { .. } => {
                "write one [[allow]] entry per action (`uses = …`) or image (`image = …`)"
            }
            ConfigError::EmptyReason { .. } => {
                "say why: the reason is shown in reports next to what was left alone"
            }
            ConfigError::MissingKb { .. } => {
                "knowledge-base paths are relative to the configuration's folder"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` after the two-byte `é`: third character.
        assert_eq!(line_column(text, 10), (2, 4));
        // Inside `é`, and past the end: clamped.
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 99), (3, 1));
    }

    #[test]
    fn a_location_without_position_names_the_file() {
        let at = Location::of(Path::new("hardpin.toml"), "", None);
        assert_eq!(at.to_string(), "hardpin.toml");
        let at = Location::of(Path::new("hardpin.toml"), "x\ny", Some(2..3));
        assert_eq!(at.to_string(), "hardpin.toml:2:1");
    }
}
