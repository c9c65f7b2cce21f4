//! Ref listings over git's smart-HTTP protocol: one request per repository.
//!
//! Protocol v2 `ls-refs` with `peel` gives every tag already peeled to its
//! commit in a single POST, with no REST API rate limit. Servers that do not
//! speak v2 get the v0 advertisement (`info/refs`) instead.

use std::sync::Arc;

use reqwest::{StatusCode, Url};

use super::RefListing;
use super::http::HttpClient;
use super::pktline::{self, Packet};
use crate::refs::RepoId;
use crate::secret::Secret;

/// Why a repository's refs could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("repository {0} not found")]
    NotFound(String),
    #[error("access to {repo} was refused (HTTP {status})")]
    Denied { repo: String, status: u16 },
    #[error("{host} answered HTTP {status} for {repo}")]
    Status {
        repo: String,
        host: String,
        status: u16,
    },
    #[error("could not reach {host}: {reason}")]
    Network { host: String, reason: String },
    #[error("unexpected answer from {host} for {repo}: {reason}")]
    Protocol {
        repo: String,
        host: String,
        reason: String,
    },
    #[error("{0} is not in the cache (--offline)")]
    NotCached(String),
}

impl FetchError {
    pub fn hint(&self) -> &'static str {
        match self {
            FetchError::NotFound(_) => {
                "check the owner and name; for a private repository set GITHUB_TOKEN or GH_TOKEN"
            }
            FetchError::Denied { .. } => {
                "set GITHUB_TOKEN or GH_TOKEN to a token that can read the repository"
            }
            FetchError::Status { .. } | FetchError::Network { .. } => {
                "check the network, or --github-url / GITHUB_SERVER_URL; run again later"
            }
            FetchError::Protocol { .. } => {
                "is --github-url / GITHUB_SERVER_URL a GitHub (Enterprise) server?"
            }
            FetchError::NotCached(_) => "run once without --offline to fill the cache",
        }
    }
}

/// Lists refs of repositories on one GitHub host.
pub struct GitHubRefs {
    http: Arc<HttpClient>,
    base: Url,
    token: Option<Secret>,
}

impl GitHubRefs {
    /// `base` is the server (`https://github.com`, a GHES host). The token is
    /// only used over https or to a loopback address: never in clear text
    /// across a network.
    pub fn new(http: Arc<HttpClient>, base: Url, token: Option<Secret>) -> Self {
        let safe = base.scheme() == "https" || crate::net::is_loopback(&base);
        Self {
            http,
            token: token.filter(|_| safe),
            base,
        }
    }

    /// Requests sent so far (for the summary and the benchmark).
    pub fn request_count(&self) -> usize {
        self.http.request_count()
    }

    pub fn host(&self) -> String {
        self.base.host_str().unwrap_or_default().to_string()
    }

    fn repo_url(&self, repo: &RepoId, suffix: &str) -> String {
        // Owner and name were validated to [A-Za-z0-9._-]: safe in a path.
        // GitHub names are case-insensitive; one spelling serves all.
        format!(
            "{}/{}.git/{suffix}",
            self.base.as_str().trim_end_matches('/'),
            repo.key()
        )
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.basic_auth("x-access-token", Some(t.expose())),
            None => req,
        }
    }

    pub async fn list_refs(&self, repo: &RepoId) -> Result<RefListing, FetchError> {
        match self.ls_refs_v2(repo).await? {
            Some(listing) => Ok(listing),
            None => self.advertisement_v0(repo).await,
        }
    }

    /// `Ok(None)` when the server did not answer in protocol v2.
    async fn ls_refs_v2(&self, repo: &RepoId) -> Result<Option<RefListing>, FetchError> {
        let mut body = Vec::new();
        pktline::push_line(&mut body, "command=ls-refs\n");
        pktline::push_line(
            &mut body,
            concat!("agent=hardpin/", env!("CARGO_PKG_VERSION"), "\n"),
        );
        body.extend_from_slice(pktline::DELIM);
        pktline::push_line(&mut body, "peel\n");
        pktline::push_line(&mut body, "ref-prefix refs/tags/\n");
        pktline::push_line(&mut body, "ref-prefix refs/heads/\n");
        body.extend_from_slice(pktline::FLUSH);
        let url = self.repo_url(repo, "git-upload-pack");
        let resp = self
            .http
            .send(|c| {
                self.authorize(c.post(&url))
                    .header("Git-Protocol", "version=2")
                    .header("Content-Type", "application/x-git-upload-pack-request")
                    .header("Accept", "application/x-git-upload-pack-result")
                    .body(body.clone())
            })
            .await
            .map_err(|e| self.network(e))?;
        let bytes = self.ok_body(repo, resp).await?;
        Ok(parse_ls_refs(&bytes).ok())
    }

    async fn advertisement_v0(&self, repo: &RepoId) -> Result<RefListing, FetchError> {
        let url = self.repo_url(repo, "info/refs?service=git-upload-pack");
        let resp = self
            .http
            .send(|c| self.authorize(c.get(&url)))
            .await
            .map_err(|e| self.network(e))?;
        let bytes = self.ok_body(repo, resp).await?;
        parse_advertisement(&bytes).map_err(|reason| FetchError::Protocol {
            repo: repo.to_string(),
            host: self.host(),
            reason,
        })
    }

    async fn ok_body(&self, repo: &RepoId, resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let status = resp.status();
        match status {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => return Err(FetchError::NotFound(repo.to_string())),
            // GitHub answers 401 for a repository that does not exist or is private.
            StatusCode::UNAUTHORIZED if self.token.is_none() => {
                return Err(FetchError::NotFound(repo.to_string()));
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(FetchError::Denied {
                    repo: repo.to_string(),
                    status: status.as_u16(),
                });
            }
            _ => {
                return Err(FetchError::Status {
                    repo: repo.to_string(),
                    host: self.host(),
                    status: status.as_u16(),
                });
            }
        }
        resp.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| self.network(e))
    }

    fn network(&self, e: reqwest::Error) -> FetchError {
        FetchError::Network {
            host: self.host(),
            reason: crate::net::error_chain(&e),
        }
    }
}

fn listing_from<'a>(
    lines: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> RefListing {
    let mut listing = RefListing::default();
    for (oid, name, peeled) in lines {
        let commit = peeled.unwrap_or(oid).to_ascii_lowercase();
        if let Some(tag) = name.strip_prefix("refs/tags/") {
            listing.tags.insert(tag.to_string(), commit);
        } else if let Some(head) = name.strip_prefix("refs/heads/") {
            listing.heads.insert(head.to_string(), commit);
        }
    }
    listing
}

/// Parse a v2 `ls-refs` answer: `<oid> <name>[ peeled:<oid>]…` lines, then a flush.
pub fn parse_ls_refs(body: &[u8]) -> Result<RefListing, String> {
    let packets = pktline::decode(body)?;
    if !matches!(packets.last(), Some(Packet::Flush)) {
        return Err("ls-refs answer does not end with a flush packet".into());
    }
    let mut lines = Vec::new();
    for p in &packets[..packets.len() - 1] {
        let Packet::Data(d) = p else {
            return Err("unexpected control packet in ls-refs answer".into());
        };
        let line = std::str::from_utf8(d)
            .map_err(|_| "ref line is not UTF-8")?
            .trim_end_matches('\n');
        if let Some(msg) = line.strip_prefix("ERR ") {
            return Err(format!("server error: {msg}"));
        }
        let mut parts = line.split(' ');
        let (Some(oid), Some(name)) = (parts.next(), parts.next()) else {
            return Err(format!("malformed ref line {line:?}"));
        };
        if !crate::refs::is_full_sha(oid) {
            return Err(format!("malformed object id in {line:?}"));
        }
        let peeled = parts.find_map(|a| a.strip_prefix("peeled:"));
        lines.push((oid, name, peeled));
    }
    Ok(listing_from(lines.into_iter()))
}

/// Parse a v0 `info/refs` advertisement; peeled tags come as `<name>^{}`.
pub fn parse_advertisement(body: &[u8]) -> Result<RefListing, String> {
    let packets = pktline::decode(body)?;
    let mut direct = Vec::new();
    let mut peeled = std::collections::HashMap::new();
    let mut seen_service = false;
    for p in packets {
        let Packet::Data(d) = p else { continue };
        let line = std::str::from_utf8(d).map_err(|_| "ref line is not UTF-8")?;
        let line = line
            .split('\0')
            .next()
            .unwrap_or_default()
            .trim_end_matches('\n');
        if line.starts_with("# service=") {
            seen_service = true;
            continue;
        }
        let Some((oid, name)) = line.split_once(' ') else {
            return Err(format!("malformed ref line {line:?}"));
        };
        if !crate::refs::is_full_sha(oid) {
            return Err(format!("malformed object id in {line:?}"));
        }
        match name.strip_suffix("^{}") {
            Some(base) => {
                peeled.insert(base.to_string(), oid.to_string());
            }
            None => direct.push((oid.to_string(), name.to_string())),
        }
    }
    if !seen_service {
        return Err("not a git smart-HTTP advertisement".into());
    }
    Ok(listing_from(direct.iter().map(|(oid, name)| {
        (
            oid.as_str(),
            name.as_str(),
            peeled.get(name).map(String::as_str),
        )
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(lines: &[&str]) -> Vec<u8> {
        let mut b = Vec::new();
        for l in lines {
            if *l == "0000" {
                b.extend_from_slice(b"0000");
            } else {
                pktline::push_line(&mut b, l);
            }
        }
        b
    }

    #[test]
    fn parses_v2_with_peeled_tags() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let body = pkt(&[
            &format!("{a} refs/heads/main\n"),
            &format!("{a} refs/tags/v1 peeled:{b}\n"),
            &format!("{b} refs/tags/v1.0.0\n"),
            "0000",
        ]);
        let l = parse_ls_refs(&body).unwrap();
        assert_eq!(l.heads["main"], a);
        assert_eq!(l.tags["v1"], b);
        assert_eq!(l.tags["v1.0.0"], b);
    }

    #[test]
    fn parses_v0_advertisement() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let body = pkt(&[
            "# service=git-upload-pack\n",
            "0000",
            &format!("{a} HEAD\0multi_ack symref=HEAD:refs/heads/main\n"),
            &format!("{a} refs/heads/main\n"),
            &format!("{a} refs/tags/v1\n"),
            &format!("{b} refs/tags/v1^{{}}\n"),
            "0000",
        ]);
        let l = parse_advertisement(&body).unwrap();
        assert_eq!(l.tags["v1"], b);
        assert_eq!(l.heads["main"], a);
    }

    #[test]
    fn v2_parser_refuses_v0_and_errors() {
        assert!(parse_ls_refs(b"<html>").is_err());
        assert!(parse_ls_refs(&pkt(&["ERR no such repository\n", "0000"])).is_err());
    }
}
