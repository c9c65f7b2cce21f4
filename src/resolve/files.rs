//! Files of other repositories at a fixed commit: the `action.yml` of a
//! remote action and the workflow file a `jobs.<id>.uses` calls, so the
//! permissions transform can read them like local ones.
//!
//! Fetched from the GitHub host's raw-file endpoint: one small GET per file,
//! no token needed for public repositories, and none of the REST API's
//! 60-requests-an-hour limit for anonymous callers. git's own protocol would
//! need a pack of the whole tree (libgit2 has no partial clone) to read one
//! file. A commit never changes, so answers are cached forever.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use reqwest::{StatusCode, Url};

use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::github::FetchError;
use super::http::HttpClient;
use super::tally::Tally;
use crate::refs::{RepoId, is_object_id};
use crate::secret::Secret;

/// The largest action or workflow file read (real ones are a few KiB).
const MAX_FILE: usize = 1 << 20;

/// A file wanted from another repository at one commit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RemoteFile {
    pub repo: RepoId,
    /// 40 lower-case hex digits.
    pub commit: String,
    /// For an action, its folder (`""` for the root) and `action.yml` then
    /// `action.yaml` are tried; for a workflow, the file itself.
    pub path: String,
    pub action: bool,
}

impl RemoteFile {
    /// The key a transform looks the answer up by.
    pub fn key(&self) -> FileKey {
        let kind = if self.action { "action" } else { "file" };
        FileKey(format!(
            "{kind}:{}@{}:{}",
            self.repo.key(),
            self.commit,
            self.path
        ))
    }

    fn candidates(&self) -> Vec<String> {
        if !self.action {
            return vec![self.path.clone()];
        }
        let dir = self.path.trim_matches('/');
        ["action.yml", "action.yaml"]
            .iter()
            .map(|f| match dir {
                "" => f.to_string(),
                d => format!("{d}/{f}"),
            })
            .collect()
    }
}

/// Fetched files by [`RemoteFile::key`].
pub type Files = BTreeMap<FileKey, Result<Arc<String>, FetchError>>;

/// What a fetched file is filed under: kind, repository, commit and path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileKey(String);

impl std::fmt::Display for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct FileResolver {
    pub http: Arc<HttpClient>,
    /// `{raw}/{owner}/{repo}/{commit}/{path}` serves a file.
    pub raw: Url,
    /// Sent only when `raw` is the GitHub host or its raw-file host.
    pub token: Option<Secret>,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
    /// Counts what this resolver answers (shared with the progress bar).
    pub tally: Arc<Tally>,
}

/// Where raw files of `server` are served: `raw.githubusercontent.com` for
/// github.com, `{server}/raw` for GitHub Enterprise Server (its layout
/// without subdomain isolation; `--raw-url` names another).
pub fn default_raw_url(server: &Url) -> Url {
    if server.host_str() == Some("github.com") {
        #[allow(clippy::expect_used)] // a constant that parses
        return Url::parse("https://raw.githubusercontent.com").expect("valid URL");
    }
    let mut raw = server.clone();
    let path = format!("{}/raw", server.path().trim_end_matches('/'));
    raw.set_path(&path);
    raw
}

impl FileResolver {
    pub fn request_count(&self) -> usize {
        self.http.request_count()
    }

    /// Every wanted file, once, concurrently; cached forever.
    pub async fn resolve(&self, wanted: &BTreeSet<RemoteFile>) -> Files {
        let origin = self.raw.as_str().trim_end_matches('/').to_string();
        let items: BTreeMap<FileKey, RemoteFile> =
            wanted.iter().map(|f| (f.key(), f.clone())).collect();
        let policy = CachePolicy {
            cache: &self.cache,
            namespace: "files-v1",
            offline: self.offline,
            forever: true,
            tally: &self.tally,
        };
        resolve_all(
            items,
            policy,
            self.concurrency,
            |key, _| format!("{origin} {key}"),
            |f| FetchError::NotCached(format!("{}@{}:{}", f.repo, f.commit, f.path)),
            |text: &String| text.len() <= MAX_FILE,
            |f| async move { self.fetch(&f).await },
        )
        .await
        .into_iter()
        .map(|(key, v)| (key, v.map(Arc::new)))
        .collect()
    }

    async fn fetch(&self, file: &RemoteFile) -> Result<String, FetchError> {
        let host = self.raw.host_str().unwrap_or_default().to_string();
        if !is_object_id(&file.commit) {
            return Err(FetchError::Protocol {
                repo: file.repo.to_string(),
                host,
                reason: format!("`{}` is not a commit id", file.commit),
            });
        }
        let candidates = file.candidates();
        for (i, path) in candidates.iter().enumerate() {
            let url = format!(
                "{}/{}/{}/{}",
                self.raw.as_str().trim_end_matches('/'),
                file.repo.key(),
                file.commit,
                path
            );
            let resp = self
                .http
                .fetch(
                    |c| match &self.token {
                        Some(t) => c.get(&url).header(
                            reqwest::header::AUTHORIZATION,
                            format!("token {}", t.expose()),
                        ),
                        None => c.get(&url),
                    },
                    MAX_FILE,
                )
                .await
                .map_err(|e| FetchError::Network {
                    host: host.clone(),
                    reason: e.to_string(),
                })?;
            match resp.status {
                s if s.is_success() => {
                    return String::from_utf8(resp.body).map_err(|_| FetchError::Protocol {
                        repo: file.repo.to_string(),
                        host: host.clone(),
                        reason: format!("{path} is not UTF-8 text"),
                    });
                }
                StatusCode::NOT_FOUND if i + 1 < candidates.len() => continue,
                StatusCode::NOT_FOUND => {
                    return Err(FetchError::NotFound(format!(
                        "{}@{}:{}",
                        file.repo,
                        &file.commit[..12],
                        candidates.join(" or ")
                    )));
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(FetchError::Denied {
                        repo: file.repo.to_string(),
                        status: resp.status.as_u16(),
                    });
                }
                s => {
                    return Err(FetchError::Status {
                        repo: file.repo.to_string(),
                        host,
                        status: s.as_u16(),
                    });
                }
            }
        }
        Err(FetchError::NotFound(file.key().to_string()))
    }
}

/// May the GitHub token go to `raw`? Only over https (or to loopback), and
/// only to the GitHub host itself, a subdomain of it (`raw.<host>` on GHES),
/// or github.com's raw-file host.
pub fn token_allowed(raw: &Url, server: &Url) -> bool {
    let secure = raw.scheme() == "https" || crate::net::is_loopback(raw);
    let (Some(host), Some(github)) = (raw.host_str(), server.host_str()) else {
        return false;
    };
    let same = host == github && raw.port_or_known_default() == server.port_or_known_default();
    let sub = host.ends_with(&format!(".{github}"));
    let dotcom_raw = github == "github.com" && host == "raw.githubusercontent.com";
    secure && (same || sub || dotcom_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn raw_hosts() {
        assert_eq!(
            default_raw_url(&url("https://github.com")).as_str(),
            "https://raw.githubusercontent.com/"
        );
        assert_eq!(
            default_raw_url(&url("https://ghe.example.com/")).as_str(),
            "https://ghe.example.com/raw"
        );
        let gh = url("https://github.com");
        assert!(token_allowed(
            &url("https://raw.githubusercontent.com"),
            &gh
        ));
        assert!(!token_allowed(&url("https://evil.example"), &gh));
        let ghe = url("https://ghe.example.com");
        assert!(token_allowed(&url("https://raw.ghe.example.com"), &ghe));
        assert!(!token_allowed(&url("http://ghe.example.com/raw"), &ghe));
        let local = url("http://127.0.0.1:9");
        assert!(token_allowed(&url("http://127.0.0.1:9/raw"), &local));
        assert!(!token_allowed(&url("http://127.0.0.1:10/raw"), &local));
    }

    #[test]
    fn action_files_are_tried_in_order() {
        let f = RemoteFile {
            repo: RepoId {
                owner: "o".into(),
                name: "r".into(),
            },
            commit: "a".repeat(40),
            path: "sub/dir".into(),
            action: true,
        };
        assert_eq!(
            f.candidates(),
            ["sub/dir/action.yml", "sub/dir/action.yaml"]
        );
        assert!(f.key().to_string().starts_with("action:o/r@aaaa"));
    }
}
