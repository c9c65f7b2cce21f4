//! The git side of `hardpin pr`, done so that the user's branch, index and
//! working tree are never touched: the base tree is written to a temporary
//! folder, the commit is built from blobs and trees directly, and it is
//! pushed from a temporary ref that is deleted afterwards.

use std::cell::{Cell, RefCell};
use std::path::{Component, Path, PathBuf};

use git2::{
    AutotagOption, Cred, CredentialType, FetchOptions, FileMode, ObjectType, Oid, PushOptions,
    RemoteCallbacks, RemoteRedirect, Repository, Signature, TreeWalkMode, TreeWalkResult,
};
use reqwest::Url;

use super::PrError;
use super::body::{escape, made_by_hardpin};
use crate::net::is_loopback;
use crate::net::redact_url;
use crate::secret::Secret;

/// The branch a pull request goes into, and its commit.
#[derive(Debug, Clone)]
pub struct Base {
    pub name: String,
    pub commit: Oid,
}

pub fn open(path: &Path) -> Result<Repository, PrError> {
    Repository::discover(path).map_err(|_| PrError::NotARepo(path.display().to_string()))
}

/// Tracked files with changes, staged or not (untracked files are not work
/// hardpin could lose).
pub fn is_dirty(repo: &Repository) -> Result<bool, PrError> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    Ok(repo
        .statuses(Some(&mut opts))?
        .iter()
        .any(|s| s.status() != git2::Status::CURRENT))
}

/// The branch checked out, if any.
pub fn current_branch(repo: &Repository) -> Option<String> {
    let head = repo.head().ok()?;
    head.is_branch()
        .then(|| head.shorthand().ok().map(str::to_string))
        .flatten()
}

/// The remote's default branch as this clone knows it
/// (`refs/remotes/<remote>/HEAD`).
pub fn default_branch(repo: &Repository, remote: &str) -> Option<String> {
    repo.find_reference(&format!("refs/remotes/{remote}/HEAD"))
        .ok()?
        .symbolic_target()
        .ok()
        .flatten()?
        .strip_prefix(&format!("refs/remotes/{remote}/"))
        .map(str::to_string)
}

/// `--base`, else the remote's default branch, else the current branch.
pub fn base(repo: &Repository, remote: &str, explicit: Option<&str>) -> Result<Base, PrError> {
    let resolve = |name: &str| -> Option<Base> {
        [
            format!("refs/remotes/{remote}/{name}"),
            format!("refs/heads/{name}"),
        ]
        .iter()
        .find_map(|r| repo.find_reference(r).ok()?.peel_to_commit().ok())
        .map(|c| Base {
            name: name.to_string(),
            commit: c.id(),
        })
    };
    if let Some(name) = explicit {
        return resolve(name)
            .ok_or_else(|| PrError::NoBase(format!("no branch `{name}` here or on {remote}")));
    }
    default_branch(repo, remote)
        .or_else(|| current_branch(repo))
        .and_then(|n| resolve(&n))
        .ok_or_else(|| {
            PrError::NoBase("the remote has no default branch and no branch is checked out".into())
        })
}

/// Whether a tree entry name may become a path component under the work
/// folder. libgit2 reads trees as they are, and a crafted commit can name an
/// entry `../x`, `/etc/x`, `..`, `.`, `a\\b` or `.git`: joined onto a path,
/// these write anywhere the user can, or into a repository's own `.git`.
fn safe_component(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.eq_ignore_ascii_case(".git")
        && !name.contains(['/', '\\', '\0'])
}

/// `dir/parent/name`, only if every component is safe and the result is
/// still under `dir`.
fn under(dir: &Path, parent: &str, name: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in parent.split('/').filter(|p| !p.is_empty()).chain([name]) {
        if !safe_component(part) {
            return None;
        }
        path.push(part);
    }
    path.strip_prefix(dir)
        .ok()?
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(path)
}

/// Write the files of `commit`'s tree under `dir` (regular files only, so no
/// symlink can lead out of it) and return the entries it skipped, escaped
/// for printing.
///
/// An entry whose name is not a safe path component ([`safe_component`]) is
/// skipped with everything under it rather than failing the run: the commit
/// hardpin makes is built from the base tree, not from `dir`, so the entry
/// stays in it as it was, and one odd name (a backslash is a legal file name
/// on Unix) should not keep the rest of the repository from being fixed.
pub fn write_tree(repo: &Repository, commit: Oid, dir: &Path) -> Result<Vec<String>, PrError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut failure = None;
    let mut skipped = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let path = entry.name().ok().and_then(|name| under(dir, parent, name));
        let Some(path) = path else {
            let name = String::from_utf8_lossy(entry.name_bytes());
            skipped.push(escape(&format!("{parent}{name}")));
            return TreeWalkResult::Skip;
        };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == i32::from(FileMode::Link) {
            return TreeWalkResult::Ok;
        }
        let blob = match repo.find_blob(entry.id()) {
            Ok(b) => b,
            Err(e) => {
                failure = Some(PrError::Git(e));
                return TreeWalkResult::Abort;
            }
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, blob.content()));
        if let Err(e) = written {
            failure = Some(PrError::Io(e));
            return TreeWalkResult::Abort;
        }
        TreeWalkResult::Ok
    })?;
    failure.map_or(Ok(skipped), Err)
}

/// `Name <email>`, else git config, else hardpin's own identity.
pub fn signature(repo: &Repository, author: Option<&str>) -> Result<Signature<'static>, PrError> {
    if let Some(a) = author {
        let (name, rest) = a
            .split_once('<')
            .ok_or_else(|| PrError::Author(a.to_string()))?;
        let email = rest
            .strip_suffix('>')
            .ok_or_else(|| PrError::Author(a.to_string()))?;
        return Signature::now(name.trim(), email.trim())
            .map_err(|_| PrError::Author(a.to_string()));
    }
    Ok(repo
        .signature()
        .or_else(|_| Signature::now("hardpin", "hardpin@users.noreply.github.com"))?)
}

/// A commit on top of `base` with `files` (path relative to the repository,
/// new contents) changed. No ref is moved.
pub fn commit(
    repo: &Repository,
    base: &Base,
    files: &[(String, String)],
    sig: &Signature<'_>,
    message: &str,
) -> Result<Oid, PrError> {
    let parent = repo.find_commit(base.commit)?;
    let base_tree = parent.tree()?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (path, text) in files {
        let blob = repo.blob(text.as_bytes())?;
        let mode = base_tree
            .get_path(Path::new(path))
            .map_or(FileMode::Blob, |e| {
                if e.filemode() == i32::from(FileMode::BlobExecutable) {
                    FileMode::BlobExecutable
                } else {
                    FileMode::Blob
                }
            });
        update.upsert(path, blob, mode);
    }
    let tree = repo.find_tree(update.create_updated(repo, &base_tree)?)?;
    Ok(repo.commit(None, sig, sig, message, &tree, &[&parent])?)
}

/// A bare clone of `url` in `dir` holding only the tip of its default
/// branch (a shallow fetch of depth 1), as `refs/remotes/origin/<branch>`
/// with `refs/remotes/origin/HEAD` pointing at it: what `pr --repo` fixes
/// and pushes from, with no checkout anywhere.
pub fn clone_bare(url: &str, dir: &Path, auth: &PushAuth) -> Result<Repository, PrError> {
    let repo = Repository::init_bare(dir)?;
    let withheld = RefCell::new(None);
    let fail = |e: git2::Error, withheld: &RefCell<Option<String>>| {
        auth.failure("origin", e.message(), withheld)
    };
    let mut remote = repo.remote("origin", url)?;
    let branch = {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(credentials(auth, &withheld));
        let connection = remote
            .connect_auth(git2::Direction::Fetch, Some(callbacks), None)
            .map_err(|e| fail(e, &withheld))?;
        let head = connection
            .default_branch()
            .map_err(|e| fail(e, &withheld))?;
        let head = head.as_str().unwrap_or_default().to_string();
        match head.strip_prefix("refs/heads/") {
            Some(b) if crate::refs::validate_ref(b).is_ok() => b.to_string(),
            _ => {
                return Err(PrError::NoBase(format!(
                    "{} has no default branch",
                    redact_url(url)
                )));
            }
        }
    };
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(credentials(auth, &withheld));
    let mut opts = FetchOptions::new();
    opts.remote_callbacks(callbacks)
        .download_tags(AutotagOption::None)
        .follow_redirects(RemoteRedirect::None)
        .depth(1);
    let refspec = format!("+refs/heads/{branch}:refs/remotes/origin/{branch}");
    remote
        .fetch(&[refspec.as_str()], Some(&mut opts), None)
        .map_err(|e| fail(e, &withheld))?;
    repo.reference_symbolic(
        "refs/remotes/origin/HEAD",
        &format!("refs/remotes/origin/{branch}"),
        true,
        "hardpin pr --repo",
    )?;
    drop(remote);
    Ok(repo)
}

/// How to authenticate a push.
pub struct PushAuth {
    /// The token, sent only where [`PushAuth::token_for`] allows.
    pub token: Option<Secret>,
    /// The GitHub server (`--github-url`): its scheme, host and port.
    pub github: Option<Url>,
}

impl PushAuth {
    /// The token, if it may be sent to `url`: the URL libgit2 is about to
    /// authenticate to. That is where the bytes go, after `pushurl`,
    /// `url.<base>.insteadOf` / `pushInsteadOf` and redirects, none of which
    /// `remote.url()` shows. It must be on the GitHub server's host and port,
    /// over https (plain http only to a loopback address, for local
    /// stand-ins).
    fn token_for(&self, url: &str) -> Option<&Secret> {
        let url = Url::parse(url).ok()?;
        let github = self.github.as_ref()?;
        let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
        let same_server = url.host_str() == github.host_str()
            && url.port_or_known_default() == github.port_or_known_default();
        self.token.as_ref().filter(|_| secure && same_server)
    }

    /// The error for a push or lease that failed with `message`, with the
    /// token and any URL userinfo taken out.
    fn failure(&self, remote: &str, message: &str, withheld: &RefCell<Option<String>>) -> PrError {
        if let Some(url) = withheld.borrow().as_deref() {
            return PrError::TokenWithheld {
                url: redact_url(url),
                github: self
                    .github
                    .as_ref()
                    .map_or_else(|| "(none)".into(), |u| redact_url(u.as_str())),
            };
        }
        let message = match &self.token {
            Some(t) => message.replace(t.expose(), "***"),
            None => message.to_string(),
        };
        let message = redact_url(message.trim());
        if message.contains("workflow")
            && (message.contains("permission") || message.contains("scope"))
        {
            return PrError::WorkflowScope(message);
        }
        PrError::Push {
            remote: remote.to_string(),
            message,
        }
    }
}

/// The credentials callback for every connection `pr` makes: the token where
/// [`PushAuth::token_for`] allows it, else the SSH agent for ssh URLs, else
/// nothing. A URL the token was kept from is recorded in `withheld`, so the
/// error can say why the server refused.
fn credentials<'a>(
    auth: &'a PushAuth,
    withheld: &'a RefCell<Option<String>>,
) -> impl FnMut(&str, Option<&str>, CredentialType) -> Result<Cred, git2::Error> + 'a {
    let mut tried = 0;
    move |url, username, allowed| {
        tried += 1;
        if tried > 2 {
            return Err(git2::Error::from_str("authentication failed"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            match auth.token_for(url) {
                Some(t) => return Cred::userpass_plaintext("x-access-token", t.expose()),
                None if auth.token.is_some() => *withheld.borrow_mut() = Some(url.to_string()),
                None => {}
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        Err(git2::Error::from_str(
            "no credentials for this remote (set GITHUB_TOKEN for https, or use an SSH agent)",
        ))
    }
}

/// Push `commit` to `branch` on `remote_name`, through a temporary ref that
/// is removed whatever happens, overwriting only what hardpin made.
///
/// The lease: first the branch's tip where the push goes is fetched (objects
/// only), and the push stops with [`PrError::BranchNotOurs`] unless the
/// branch is absent or its tip carries hardpin's trailer
/// ([`made_by_hardpin`]). The push itself then closes the gap between that
/// check and the update, as `git push --force-with-lease` does: its
/// `push_negotiation` callback aborts unless the tip the push connection
/// advertises is still the one checked, and libgit2 sends that advertised
/// tip as the old value of the update command, which the server compares
/// under its ref lock. A commit landing at any point is never overwritten.
pub fn push(
    repo: &Repository,
    remote_name: &str,
    commit: Oid,
    branch: &str,
    auth: &PushAuth,
) -> Result<(), PrError> {
    const TMP: &str = "refs/hardpin/push";
    repo.reference(TMP, commit, true, "hardpin pr")?;
    let result = lease_and_push(repo, remote_name, TMP, branch, auth);
    if let Ok(mut r) = repo.find_reference(TMP) {
        let _ = r.delete();
    }
    result
}

fn lease_and_push(
    repo: &Repository,
    remote_name: &str,
    src: &str,
    branch: &str,
    auth: &PushAuth,
) -> Result<(), PrError> {
    let remote = repo.find_remote(remote_name)?;
    // Where libgit2 pushes: `pushurl`, else `url`, both already rewritten by
    // insteadOf / pushInsteadOf when the remote was loaded.
    let push_url = match remote.pushurl()? {
        Some(u) => u.to_string(),
        None => remote.url()?.to_string(),
    };
    let withheld = RefCell::new(None);
    let tip = remote_tip(repo, &push_url, branch, auth, &withheld)
        .map_err(|e| auth.failure(remote_name, e.message(), &withheld))?;
    if let Some(tip) = tip {
        let ours = repo
            .find_commit(tip)
            .is_ok_and(|c| made_by_hardpin(&String::from_utf8_lossy(c.message_bytes())));
        if !ours {
            return Err(PrError::BranchNotOurs {
                branch: branch.to_string(),
                commit: tip.to_string(),
            });
        }
    }
    push_ref(remote, remote_name, src, branch, tip, auth)
}

/// The commit at `refs/heads/<branch>` where the push goes, if the branch
/// exists, its objects downloaded into `repo` so its message can be read.
/// Only objects: no ref, no tag, no FETCH_HEAD is written.
fn remote_tip(
    repo: &Repository,
    push_url: &str,
    branch: &str,
    auth: &PushAuth,
    withheld: &RefCell<Option<String>>,
) -> Result<Option<Oid>, git2::Error> {
    let want = format!("refs/heads/{branch}");
    let mut remote = repo.remote_anonymous(push_url)?;
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(credentials(auth, withheld));
    let mut opts = FetchOptions::new();
    opts.remote_callbacks(callbacks)
        .download_tags(AutotagOption::None)
        .follow_redirects(RemoteRedirect::None);
    // `download`, not `fetch`: libgit2's fetch truncates FETCH_HEAD even when
    // told not to update it.
    remote.download(&[want.as_str()], Some(&mut opts))?;
    Ok(remote
        .list()?
        .iter()
        .find(|h| h.name() == want)
        .map(|h| h.oid()))
}

/// Force-push `src` to `branch`, only if the remote's tip is still `expected`
/// (`None`: the branch does not exist), and never across a redirect.
fn push_ref(
    mut remote: git2::Remote<'_>,
    remote_name: &str,
    src: &str,
    branch: &str,
    expected: Option<Oid>,
    auth: &PushAuth,
) -> Result<(), PrError> {
    let withheld = RefCell::new(None);
    let rejected = RefCell::new(None::<String>);
    let moved = Cell::new(None::<Oid>);
    let server_says = RefCell::new(String::new());
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(credentials(auth, &withheld));
    callbacks.push_negotiation(|updates| {
        // `src` is the remote's current tip, zero when the branch is absent.
        let moved_on = |u: &&git2::PushUpdate<'_>| match expected {
            Some(tip) => u.src() != tip,
            None => !u.src().is_zero(),
        };
        if let Some(u) = updates.iter().find(moved_on) {
            moved.set(Some(u.src()));
            return Err(git2::Error::from_str(
                "the branch moved since hardpin checked it",
            ));
        }
        Ok(())
    });
    callbacks.push_update_reference(|_, status| {
        if let Some(s) = status {
            *rejected.borrow_mut() = Some(s.to_string());
        }
        Ok(())
    });
    callbacks.sideband_progress(|data| {
        server_says
            .borrow_mut()
            .push_str(&String::from_utf8_lossy(data));
        true
    });
    let mut opts = PushOptions::new();
    opts.remote_callbacks(callbacks)
        .follow_redirects(RemoteRedirect::None);
    let outcome = remote.push(&[format!("+{src}:refs/heads/{branch}")], Some(&mut opts));
    if let Some(now) = moved.get() {
        return Err(PrError::BranchNotOurs {
            branch: branch.to_string(),
            commit: now.to_string(),
        });
    }
    let rejected = rejected.borrow().clone();
    let message = match (outcome, rejected) {
        (Ok(()), None) => return Ok(()),
        (Err(e), _) => e.message().to_string(),
        (Ok(()), Some(m)) => m,
    };
    let full = format!("{message} {}", server_says.borrow());
    Err(auth.failure(remote_name, &full, &withheld))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{PushAuth, safe_component, under};
    use crate::secret::Secret;

    #[test]
    fn only_plain_names_become_paths() {
        for bad in [
            "", ".", "..", ".git", ".GIT", ".Git", "a/b", "../x", "/etc/x", "a\\b", "a\0b",
        ] {
            assert!(!safe_component(bad), "{bad:?}");
        }
        for good in ["ci.yml", ".github", "..x", "x..", ".gitignore", "a b"] {
            assert!(safe_component(good), "{good:?}");
        }
        let dir = Path::new("/tmp/work");
        assert_eq!(
            under(dir, ".github/workflows/", "ci.yml").unwrap(),
            dir.join(".github/workflows/ci.yml")
        );
        assert_eq!(under(dir, "a/../", "x"), None);
        assert_eq!(under(dir, "", "/etc/passwd"), None);
        assert_eq!(under(dir, ".git/", "config"), None);
    }

    #[test]
    fn token_only_to_the_github_server() {
        let auth = |github: &str| PushAuth {
            token: Secret::new("t"),
            github: reqwest::Url::parse(github).ok(),
        };
        let gh = auth("https://github.com");
        assert!(gh.token_for("https://github.com/o/r.git").is_some());
        assert!(gh.token_for("https://GitHub.com:443/o/r").is_some());
        for other in [
            "http://github.com/o/r",
            "https://github.com.evil.example/o/r",
            "https://github.com:8443/o/r",
            "https://gitlab.com/o/r",
            "ssh://git@github.com/o/r",
            "git@github.com:o/r",
        ] {
            assert!(gh.token_for(other).is_none(), "{other}");
        }
        let local = auth("http://127.0.0.1:8080");
        assert!(local.token_for("http://127.0.0.1:8080/o/r").is_some());
        assert!(local.token_for("http://127.0.0.1:8081/o/r").is_none());
        let plain = auth("http://ghe.example.com");
        assert!(plain.token_for("http://ghe.example.com/o/r").is_none());
    }
}
