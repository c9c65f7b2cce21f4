//! Parsing and validation of `uses:` values.
//!
//! Everything here runs before any request is made: a ref that is not a valid
//! GitHub owner/repo/ref never reaches a URL.

use std::fmt;

/// A remote action or reusable workflow: `owner/repo[/path]@ref`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionRef {
    pub repo: RepoId,
    /// Sub-path inside the repository (`init` in `github/codeql-action/init`).
    pub path: Option<String>,
    pub git_ref: String,
}

impl ActionRef {
    /// `owner/repo[/path]` without the ref.
    pub fn name(&self) -> String {
        match &self.path {
            Some(p) => format!("{}/{p}", self.repo),
            None => self.repo.to_string(),
        }
    }
}

impl fmt::Display for ActionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name(), self.git_ref)
    }
}

/// A GitHub repository, `owner/name`. Compared case-insensitively, as GitHub does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoId {
    pub owner: String,
    pub name: String,
}

impl RepoId {
    /// Lower-cased key, so `Actions/Checkout` and `actions/checkout` share a request.
    pub fn key(&self) -> RepoKey {
        RepoKey(format!("{}/{}", self.owner, self.name).to_ascii_lowercase())
    }
}

/// What a repository's answers are filed under: `owner/name` in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoKey(String);

impl fmt::Display for RepoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// What a `uses:` value points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsesTarget {
    /// `./path`: a local action or workflow, versioned with the repository.
    Local,
    /// `docker://image`: handled by pin-images.
    Docker(String),
    /// Contains `${{ }}`: only known at run time.
    Expression,
    /// Already pinned to a full commit SHA.
    Pinned(ActionRef),
    /// A tag or branch to pin.
    Remote(ActionRef),
}

/// Why a `uses:` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`{0}` has no `@ref`")]
    MissingRef(String),
    #[error("`{0}` is not of the form owner/repo[/path]@ref")]
    Shape(String),
    #[error("invalid owner `{0}`")]
    Owner(String),
    #[error("invalid repository name `{0}`")]
    Repo(String),
    #[error("invalid path `{0}`")]
    Path(String),
    #[error("invalid ref `{0}`: {1}")]
    Ref(String, &'static str),
}

impl RefError {
    pub fn hint(&self) -> &'static str {
        match self {
            RefError::MissingRef(_) => {
                "add a tag, branch or commit after `@`, e.g. `actions/checkout@v4`"
            }
            _ => {
                "GitHub names use letters, digits, `-`, `_` and `.`; refs follow git's ref-name rules"
            }
        }
    }
}

/// Classify a `uses:` value.
pub fn classify(value: &str) -> Result<UsesTarget, RefError> {
    let v = value.trim();
    if v.starts_with("./")
        || v.starts_with("../")
        || v == "."
        || v.starts_with('$') && !v.contains("${{")
    {
        return Ok(UsesTarget::Local);
    }
    if let Some(image) = v.strip_prefix("docker://") {
        return Ok(UsesTarget::Docker(image.to_string()));
    }
    if v.contains("${{") {
        return Ok(UsesTarget::Expression);
    }
    let (name, git_ref) = v
        .rsplit_once('@')
        .ok_or_else(|| RefError::MissingRef(v.to_string()))?;
    let mut segs = name.split('/');
    let (Some(owner), Some(repo)) = (segs.next(), segs.next()) else {
        return Err(RefError::Shape(v.to_string()));
    };
    validate_owner(owner)?;
    validate_repo(repo)?;
    let rest: Vec<&str> = segs.collect();
    let path = if rest.is_empty() {
        None
    } else {
        if rest.iter().any(|s| !is_path_segment(s)) {
            return Err(RefError::Path(rest.join("/")));
        }
        Some(rest.join("/"))
    };
    validate_ref(git_ref)?;
    let action = ActionRef {
        repo: RepoId {
            owner: owner.to_string(),
            name: repo.to_string(),
        },
        path,
        git_ref: git_ref.to_string(),
    };
    Ok(if is_full_sha(git_ref) {
        UsesTarget::Pinned(action)
    } else {
        UsesTarget::Remote(action)
    })
}

/// A git object id as servers must send it: 40 lower-case hex digits.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A ref name from a server that is safe to keep and later write into a
/// comment, a terminal or a pull request: [`validate_ref`]'s rules, plus `@`
/// for monorepo tags such as `pkg@1.2.0` (never `@{` or a lone `@`).
pub fn is_safe_listed_ref(name: &str) -> bool {
    name != "@" && validate_ref(&name.replace('@', "_")).is_ok()
}

/// A full SHA-1 (or SHA-256) commit id.
pub fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `OWNER/NAME` as a repository, when both parts are valid GitHub names.
pub fn parse_repo(s: &str) -> Option<RepoId> {
    let (owner, name) = s.trim().split_once('/')?;
    validate_owner(owner).ok()?;
    validate_repo(name).ok()?;
    Some(RepoId {
        owner: owner.to_string(),
        name: name.to_string(),
    })
}

fn validate_owner(owner: &str) -> Result<(), RefError> {
    let ok = !owner.is_empty()
        && owner.len() <= 100
        && !owner.starts_with('-')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(())
        .ok_or_else(|| RefError::Owner(owner.to_string()))
}

fn validate_repo(repo: &str) -> Result<(), RefError> {
    let ok = is_path_segment(repo) && repo.len() <= 100;
    ok.then_some(())
        .ok_or_else(|| RefError::Repo(repo.to_string()))
}

fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// git's ref-name rules, narrowed to characters that are safe everywhere a
/// ref ends up (URLs, comments, shells of users who copy them).
pub fn validate_ref(r: &str) -> Result<(), RefError> {
    let err = |why| Err(RefError::Ref(r.to_string(), why));
    if r.is_empty() {
        return err("it is empty");
    }
    if r.len() > 255 {
        return err("it is longer than 255 characters");
    }
    if let Some(c) = r
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+')))
    {
        return if c.is_whitespace() || c.is_control() {
            err("it contains whitespace or a control character")
        } else {
            err("it contains a character git refs or GitHub do not allow here")
        };
    }
    if r.starts_with('-') {
        return err("it starts with `-`");
    }
    if r.starts_with('/') || r.ends_with('/') || r.contains("//") {
        return err("it has an empty path component");
    }
    if r.contains("..") {
        return err("it contains `..`");
    }
    if r.split('/')
        .any(|c| c.starts_with('.') || c.ends_with(".lock"))
    {
        return err("a component starts with `.` or ends with `.lock`");
    }
    if r.ends_with('.') {
        return err("it ends with `.`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(v: &str) -> ActionRef {
        match classify(v).unwrap() {
            UsesTarget::Remote(a) => a,
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn server_ref_names_and_ids() {
        for ok in ["v4.2.2", "releases/v1", "pkg@1.2.0", "v1+build"] {
            assert!(is_safe_listed_ref(ok), "{ok}");
        }
        for bad in [
            "v4\n",
            "v4\u{1b}[31m",
            "v\u{202e}4",
            "a`b",
            "a b",
            "@",
            "a@{1}",
            "..",
            "x.lock",
            "-x",
            "ü",
        ] {
            assert!(!is_safe_listed_ref(bad), "{bad:?}");
        }
        assert!(is_object_id(&"a".repeat(40)));
        assert!(!is_object_id(&"A".repeat(40)));
        assert!(!is_object_id(&"a".repeat(64)));
        assert!(!is_object_id("main"));
    }

    #[test]
    fn parses_plain_and_path_refs() {
        let a = remote("actions/checkout@v4");
        assert_eq!(
            (a.repo.to_string(), a.path, a.git_ref.as_str()),
            ("actions/checkout".into(), None, "v4")
        );
        let b = remote("github/codeql-action/init@v3");
        assert_eq!(b.path.as_deref(), Some("init"));
        let c = remote("octo/wf/.github/workflows/ci.yml@release/1.x");
        assert_eq!(c.path.as_deref(), Some(".github/workflows/ci.yml"));
        assert_eq!(c.git_ref, "release/1.x");
    }

    #[test]
    fn leaves_local_docker_and_expressions() {
        assert_eq!(classify("./.github/actions/x").unwrap(), UsesTarget::Local);
        assert_eq!(
            classify("docker://alpine:3").unwrap(),
            UsesTarget::Docker("alpine:3".into())
        );
        assert_eq!(
            classify("a/b@${{ matrix.v }}").unwrap(),
            UsesTarget::Expression
        );
        assert!(matches!(
            classify("a/b@0123456789abcdef0123456789abcdef01234567").unwrap(),
            UsesTarget::Pinned(_)
        ));
    }

    #[test]
    fn rejects_hostile_refs() {
        for bad in [
            "a/b@v1;curl x",
            "a/b@v 1",
            "a/b@-x",
            "a/b@../../x",
            "a/b@v1$(id)",
            "a/b@`id`",
            "a/b@v1|sh",
            "-a/b@v1",
            "a/../b@v1",
            "a/b/../../c@v1",
            "a@v1",
            "a/b",
            "a/b@",
            "a/b@x.lock",
            "a/b@%2e%2e",
            "a b/c@v1",
        ] {
            assert!(classify(bad).is_err(), "{bad} accepted");
        }
    }
}
