//! The file's format, as serde reads it, and its checks: everything the
//! format cannot say (names that must exist, one of two keys, a reason that
//! says something) is checked here, each with the value's position.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Location};
use super::names::{TRANSFORM_NAMES, is_transform};
use super::paths::{IgnoreBuilder, normalise};
use super::pattern::{ImagePattern, UsesPattern};
use super::{Allow, Config, Target, Trust};
use crate::rules::rule;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    only: Vec<Spanned<String>>,
    #[serde(default)]
    skip: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    permissions_kb: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
    #[serde(default)]
    trust: Vec<Spanned<RawTrust>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAllow {
    uses: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    reason: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTrust {
    uses: Spanned<String>,
    reason: Spanned<String>,
}

/// Read `text`, the contents of `path`, into a checked [`Config`] whose
/// root is `path`'s folder. Knowledge-base files must exist (checked here,
/// so a typo is reported with its line rather than when the file is read).
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let at = |span: std::ops::Range<usize>| Location::of(path, text, Some(span));
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    let root = normalise(path)
        .map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();

    let transforms = |list: Vec<Spanned<String>>| -> Result<Vec<String>, ConfigError> {
        list.into_iter()
            .map(|name| {
                if is_transform(name.get_ref()) {
                    Ok(name.into_inner())
                } else {
                    Err(ConfigError::UnknownTransform {
                        at: at(name.span()),
                        name: name.into_inner(),
                        known: TRANSFORM_NAMES.join(", "),
                    })
                }
            })
            .collect()
    };
    let only = transforms(raw.only)?;
    let skip = transforms(raw.skip)?;

    let disable = raw
        .disable
        .into_iter()
        .map(|id| match rule(id.get_ref()) {
            Some(r) => Ok(r.id),
            None => Err(ConfigError::UnknownRule {
                at: at(id.span()),
                id: id.into_inner(),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut ignore = IgnoreBuilder::default();
    for glob in &raw.ignore {
        ignore
            .add(glob.get_ref())
            .map_err(|reason| ConfigError::Glob {
                glob: glob.get_ref().clone(),
                reason,
                at: at(glob.span()),
            })?;
    }
    let ignore = ignore.build().map_err(|reason| ConfigError::Glob {
        glob: String::new(),
        reason,
        at: Location::of(path, text, None),
    })?;

    let permissions_kb = raw
        .permissions_kb
        .into_iter()
        .map(|file| {
            let full = root.join(file.get_ref());
            if full.is_file() {
                Ok(full)
            } else {
                Err(ConfigError::MissingKb {
                    file: full,
                    at: at(file.span()),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;

    let allow = raw
        .allow
        .into_iter()
        .map(|entry| {
            let span = entry.span();
            let entry = entry.into_inner();
            let target = match (entry.uses, entry.image) {
                (Some(uses), None) => Target::Uses(uses_pattern(&uses, true, &at)?),
                (None, Some(image)) => {
                    Target::Image(ImagePattern::parse(image.get_ref()).map_err(|reason| {
                        ConfigError::ImagePattern {
                            pattern: image.get_ref().clone(),
                            reason,
                            at: at(image.span()),
                        }
                    })?)
                }
                _ => return Err(ConfigError::AllowTarget { at: at(span) }),
            };
            Ok(Allow {
                target,
                reason: reason(entry.reason, &at)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let trust = raw
        .trust
        .into_iter()
        .map(|entry| {
            let entry = entry.into_inner();
            Ok(Trust {
                pattern: uses_pattern(&entry.uses, false, &at)?,
                reason: reason(entry.reason, &at)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Config {
        path: Some(path.to_path_buf()),
        root,
        only,
        skip,
        disable,
        permissions_kb,
        allow,
        trust,
        ignore,
    })
}

fn uses_pattern(
    uses: &Spanned<String>,
    with_ref: bool,
    at: &impl Fn(std::ops::Range<usize>) -> Location,
) -> Result<UsesPattern, ConfigError> {
    UsesPattern::parse(uses.get_ref(), with_ref).map_err(|reason| ConfigError::UsesPattern {
        pattern: uses.get_ref().clone(),
        reason,
        at: at(uses.span()),
    })
}

fn reason(
    reason: Spanned<String>,
    at: &impl Fn(std::ops::Range<usize>) -> Location,
) -> Result<String, ConfigError> {
    let text = reason.get_ref().trim();
    if text.is_empty() {
        return Err(ConfigError::EmptyReason {
            at: at(reason.span()),
        });
    }
    Ok(text.to_string())
}

/// A TOML or serde error with its position; an unknown key gets its own
/// error, since it is the likeliest mistake (a misspelt key would
/// otherwise be silently ignored).
fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let at = Location::of(path, text, e.span());
    let message = e.message().trim();
    // serde's wording: "unknown field `foo`, expected one of `a`, `b`"
    // (or "expected `a`" when there is one).
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, tail)) = rest.split_once('`')
    {
        let expected = tail
            .trim_start_matches(',')
            .trim()
            .trim_start_matches("expected one of")
            .trim_start_matches("expected")
            .trim();
        return ConfigError::UnknownKey {
            key: key.to_string(),
            expected: expected.to_string(),
            at,
        };
    }
    ConfigError::Invalid {
        message: message.to_string(),
        at,
    }
}
