//! HP014: whether the repository's CODEOWNERS gives its workflow files an
//! owner. Checked once per repository: only the workflow whose name sorts
//! first in `.github/workflows/` reports it.

use std::io::Read;
use std::path::Path;

use super::Hit;
use super::codeowners::owned;

/// Where GitHub looks for CODEOWNERS, in its order: it uses the first file
/// it finds and ignores the others.
const PLACES: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// CODEOWNERS files are small; a larger one is not read.
const LIMIT: u64 = 64 * 1024;

/// A file of the repository, read safely.
#[derive(Debug, PartialEq, Eq)]
enum Contents {
    Missing,
    /// There, but outside the repository (a symbolic link), too large or
    /// not text: what it says is not known.
    Refused,
    Text(String),
}

/// Read `root/rel` if it stays inside `root` and is at most [`LIMIT`].
fn read_within(root: &Path, rel: &str) -> Contents {
    let path = root.join(rel);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Contents::Missing,
        Err(_) => return Contents::Refused,
        Ok(_) => {}
    }
    let (Ok(target), Ok(root)) = (std::fs::canonicalize(&path), std::fs::canonicalize(root)) else {
        return Contents::Refused;
    };
    if !target.starts_with(&root) || !target.is_file() {
        return Contents::Refused;
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&target).and_then(|f| f.take(LIMIT + 1).read_to_end(&mut bytes));
    match (read, bytes.len() as u64 > LIMIT) {
        (Ok(_), false) => String::from_utf8(bytes).map_or(Contents::Refused, Contents::Text),
        _ => Contents::Refused,
    }
}

/// The workflow files of a `.github/workflows` folder, sorted.
fn workflow_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

/// HP014 for the workflow at `path`, if it is the first of its folder.
pub fn check(path: &Path) -> Vec<Hit> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let in_workflows = dir.file_name().is_some_and(|n| n == "workflows")
        && dir
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github");
    let (Some(root), true) = (dir.parent().and_then(Path::parent), in_workflows) else {
        return Vec::new();
    };
    let names = workflow_names(dir);
    let first = names.first().map(String::as_str);
    if first.is_none() || first != path.file_name().and_then(|n| n.to_str()) {
        return Vec::new();
    }
    let found = PLACES
        .iter()
        .map(|p| (*p, read_within(root, p)))
        .find(|(_, r)| *r != Contents::Missing);
    let help = Some("add `/.github/workflows/ @owners` to CODEOWNERS and require review from code owners in the branch protection of the default branch".to_string());
    let message = match found {
        None => {
            "no CODEOWNERS file (`.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`) gives `.github/workflows/` an owner".to_string()
        }
        Some((_, Contents::Refused | Contents::Missing)) => return Vec::new(),
        Some((place, Contents::Text(text))) => {
            let unowned: Vec<&String> = names
                .iter()
                .filter(|n| !owned(&text, &format!(".github/workflows/{n}")))
                .collect();
            match unowned.as_slice() {
                [] => return Vec::new(),
                _ if unowned.len() == names.len() => {
                    format!("`{place}` gives the files of `.github/workflows/` no owner")
                }
                [one] => format!("`{place}` gives `.github/workflows/{one}` no owner"),
                [one, rest @ ..] => format!(
                    "`{place}` gives `.github/workflows/{one}` and {} other workflow{} no owner",
                    rest.len(),
                    if rest.len() == 1 { "" } else { "s" }
                ),
            }
        }
    };
    vec![Hit {
        rule: "HP014",
        at: 0,
        message,
        help,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let at = dir.path().join(p);
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::fs::write(at, text).unwrap();
        }
        dir
    }

    fn messages(dir: &tempfile::TempDir, file: &str) -> Vec<String> {
        check(&dir.path().join(".github/workflows").join(file))
            .into_iter()
            .map(|h| h.message)
            .collect()
    }

    #[test]
    fn reported_once_on_the_first_workflow() {
        let d = repo(&[
            (".github/workflows/b.yml", ""),
            (".github/workflows/a.yaml", ""),
        ]);
        assert_eq!(messages(&d, "a.yaml").len(), 1);
        assert!(messages(&d, "b.yml").is_empty());
    }

    #[test]
    fn the_first_codeowners_found_is_the_one_read() {
        let d = repo(&[
            (".github/workflows/a.yml", ""),
            (".github/workflows/b.yml", ""),
            (".github/CODEOWNERS", "/.github/workflows/a.yml @x\n"),
            ("CODEOWNERS", "* @everyone\n"),
        ]);
        assert_eq!(
            messages(&d, "a.yml"),
            ["`.github/CODEOWNERS` gives `.github/workflows/b.yml` no owner"]
        );
        let ok = repo(&[
            (".github/workflows/a.yml", ""),
            ("docs/CODEOWNERS", "* @x\n"),
        ]);
        assert!(messages(&ok, "a.yml").is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_repository_are_not_read() {
        let outside = repo(&[("CODEOWNERS", "")]);
        let d = repo(&[(".github/workflows/a.yml", "")]);
        std::os::unix::fs::symlink(
            outside.path().join("CODEOWNERS"),
            d.path().join("CODEOWNERS"),
        )
        .unwrap();
        assert_eq!(read_within(d.path(), "CODEOWNERS"), Contents::Refused);
        assert!(messages(&d, "a.yml").is_empty());
        std::fs::write(d.path().join(".github/CODEOWNERS"), "x".repeat(70_000)).unwrap();
        assert_eq!(
            read_within(d.path(), ".github/CODEOWNERS"),
            Contents::Refused
        );
    }
}
