//! Which files to look at, and what kind each one is.

use std::path::{Path, PathBuf};

/// What a file is, which decides the transforms and parser that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// `.github/workflows/*.yml`
    Workflow,
    /// `action.yml`: action metadata, possibly a composite action.
    Action,
    /// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`.
    Dockerfile,
    /// `compose.yml`, `docker-compose*.yml`.
    Compose,
}

/// A file to process and the tree it was found in (writes never leave it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub path: PathBuf,
    pub kind: FileKind,
    pub root: PathBuf,
}

/// A path given on the command line that could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DiscoverError {
    pub path: PathBuf,
    pub reason: String,
}

/// The kind of a file found while walking a tree, by its name and place.
pub fn kind_of(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name == "action.yml" || name == "action.yaml" {
        return Some(FileKind::Action);
    }
    let lower = name.to_ascii_lowercase();
    let is_yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    let dockerfile = ["dockerfile", "containerfile"].iter().any(|d| {
        lower == *d || lower.starts_with(&format!("{d}.")) || lower.ends_with(&format!(".{d}"))
    });
    if dockerfile && !is_yaml {
        return Some(FileKind::Dockerfile);
    }
    let stem = lower.rsplit_once('.').map_or(lower.as_str(), |(s, _)| s);
    if is_yaml
        && (stem == "compose" || stem.starts_with("compose.") || stem.starts_with("docker-compose"))
    {
        return Some(FileKind::Compose);
    }
    let parent = path.parent()?;
    let in_workflows = parent.file_name().is_some_and(|n| n == "workflows")
        && parent
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github");
    (is_yaml && in_workflows).then_some(FileKind::Workflow)
}

/// The kind of a file named explicitly: a YAML file that is not action
/// metadata is taken as a workflow (the user asked for it).
fn kind_of_explicit(path: &Path) -> Option<FileKind> {
    kind_of(path).or_else(|| {
        let name = path.file_name()?.to_str()?;
        (name.ends_with(".yml") || name.ends_with(".yaml")).then_some(FileKind::Workflow)
    })
}

/// Every target under `paths`, sorted, honouring `.gitignore`. A file named
/// explicitly is always processed.
pub fn discover(paths: &[PathBuf]) -> (Vec<Target>, Vec<DiscoverError>) {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(DiscoverError {
                    path: path.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if meta.is_file() {
            let root = path
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            match kind_of_explicit(path) {
                Some(kind) => targets.push(Target {
                    path: path.clone(),
                    kind,
                    root,
                }),
                None => errors.push(DiscoverError {
                    path: path.clone(),
                    reason: "not a file hardpin knows how to fix (workflow, action metadata, Dockerfile or compose file)"
                        .into(),
                }),
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let p = e.path();
                    if let Some(kind) = kind_of(p).filter(|_| p.is_file()) {
                        targets.push(Target {
                            path: p.to_path_buf(),
                            kind,
                            root: path.clone(),
                        });
                    }
                }
                Err(e) => errors.push(DiscoverError {
                    path: path.clone(),
                    reason: e.to_string(),
                }),
            }
        }
    }
    targets.sort();
    targets.dedup_by(|a, b| a.path == b.path);
    (targets, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_place() {
        assert_eq!(
            kind_of(Path::new("x/.github/workflows/ci.yml")),
            Some(FileKind::Workflow)
        );
        assert_eq!(
            kind_of(Path::new(".github/workflows/ci.yaml")),
            Some(FileKind::Workflow)
        );
        assert_eq!(kind_of(Path::new("workflows/ci.yml")), None);
        assert_eq!(kind_of(Path::new(".github/workflows/README.md")), None);
        assert_eq!(
            kind_of(Path::new("a/b/action.yaml")),
            Some(FileKind::Action)
        );
        for d in [
            "Dockerfile",
            "x/Dockerfile.dev",
            "api.Dockerfile",
            "a.dockerfile",
            "Containerfile",
        ] {
            assert_eq!(kind_of(Path::new(d)), Some(FileKind::Dockerfile), "{d}");
        }
        for c in [
            "compose.yml",
            "compose.override.yaml",
            "docker-compose.yml",
            "docker-compose.prod.yaml",
        ] {
            assert_eq!(kind_of(Path::new(c)), Some(FileKind::Compose), "{c}");
        }
        assert_eq!(kind_of(Path::new("composer.yml")), None);
    }
}
