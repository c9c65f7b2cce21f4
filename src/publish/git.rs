//! The git side of `hardpin pr`, done so that the user's branch, index and
//! working tree are never touched: the base tree is written to a temporary
//! folder, the commit is built from blobs and trees directly, and it is
//! pushed from a temporary ref that is deleted afterwards.

use std::cell::RefCell;
use std::path::Path;

use git2::{
    Cred, CredentialType, FileMode, ObjectType, Oid, PushOptions, RemoteCallbacks, Repository,
    Signature, TreeWalkMode, TreeWalkResult,
};

use super::PrError;
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
    let remote_head = repo
        .find_reference(&format!("refs/remotes/{remote}/HEAD"))
        .ok()
        .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
        .and_then(|t| {
            t.strip_prefix(&format!("refs/remotes/{remote}/"))
                .map(str::to_string)
        });
    remote_head
        .or_else(|| current_branch(repo))
        .and_then(|n| resolve(&n))
        .ok_or_else(|| {
            PrError::NoBase("the remote has no default branch and no branch is checked out".into())
        })
}

/// Write the files of `commit`'s tree under `dir` (regular files only).
pub fn write_tree(repo: &Repository, commit: Oid, dir: &Path) -> Result<(), PrError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == i32::from(FileMode::Link) {
            return TreeWalkResult::Ok;
        }
        let Ok(name) = entry.name() else {
            return TreeWalkResult::Ok;
        };
        let path = dir.join(parent).join(name);
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
    failure.map_or(Ok(()), Err)
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

/// How to authenticate a push.
pub struct PushAuth {
    /// The token, used only for https remotes on `github_host`.
    pub token: Option<Secret>,
    pub github_host: String,
}

/// Force-push `commit` to `branch` on `remote_name`, through a temporary ref
/// that is removed whatever happens.
pub fn push(
    repo: &Repository,
    remote_name: &str,
    commit: Oid,
    branch: &str,
    auth: &PushAuth,
) -> Result<(), PrError> {
    const TMP: &str = "refs/hardpin/push";
    repo.reference(TMP, commit, true, "hardpin pr")?;
    let result = push_ref(repo, remote_name, TMP, branch, auth);
    if let Ok(mut r) = repo.find_reference(TMP) {
        let _ = r.delete();
    }
    result
}

fn push_ref(
    repo: &Repository,
    remote_name: &str,
    src: &str,
    branch: &str,
    auth: &PushAuth,
) -> Result<(), PrError> {
    let mut remote = repo.find_remote(remote_name)?;
    let url = remote.url().unwrap_or_default().to_string();
    let host = super::remote::parse_remote(&url).map(|(h, _, _)| h);
    let token_ok = url.starts_with("https://") || url.starts_with("http://");
    let token = auth
        .token
        .as_ref()
        .filter(|_| token_ok && host.as_deref() == Some(auth.github_host.as_str()));
    let tried = RefCell::new(0);
    let rejected = RefCell::new(None::<String>);
    let server_says = RefCell::new(String::new());
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(|_url, username, allowed| {
        *tried.borrow_mut() += 1;
        if *tried.borrow() > 2 {
            return Err(git2::Error::from_str("authentication failed"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && let Some(t) = token
        {
            return Cred::userpass_plaintext("x-access-token", t.expose());
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        Err(git2::Error::from_str(
            "no credentials for this remote (set GITHUB_TOKEN for https, or use an SSH agent)",
        ))
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
    opts.remote_callbacks(callbacks);
    let outcome = remote.push(&[format!("+{src}:refs/heads/{branch}")], Some(&mut opts));
    let rejected = rejected.borrow().clone();
    let message = match (outcome, rejected) {
        (Ok(()), None) => return Ok(()),
        (Err(e), _) => e.message().to_string(),
        (Ok(()), Some(m)) => m,
    };
    let full = format!("{message} {}", server_says.borrow());
    let redacted = match token {
        Some(t) => full.replace(t.expose(), "***"),
        None => full,
    };
    if redacted.contains("workflow")
        && (redacted.contains("permission") || redacted.contains("scope"))
    {
        return Err(PrError::WorkflowScope(redacted.trim().to_string()));
    }
    Err(PrError::Push {
        remote: remote_name.to_string(),
        message: redacted.trim().to_string(),
    })
}
