//! Ref listings over git's smart-HTTP protocol: one request per repository.
//!
//! Protocol v2 `ls-refs` with `peel` gives every tag already peeled to its
//! commit in a single POST, with no REST API rate limit. Servers that do not
//! speak v2 get the v0 advertisement (`info/refs`) instead.

use std::sync::Arc;

use reqwest::{StatusCode, Url};

use super::RefListing;
use super::http::{Fetched, HttpClient, HttpError};
use super::pktline::{self, Packet, PktLineError};
use crate::printable::escape;
use crate::refs::{RepoId, is_object_id, is_safe_listed_ref};
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

/// The largest ref listing read. The biggest public repositories list tens
/// of thousands of tags in a few MiB; this leaves ample room and still bounds
/// what a hostile server can make hardpin hold.
pub const MAX_LISTING: usize = 32 << 20;

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

    /// `scheme://host[:port][/path]` of the server, without credentials: what
    /// cached answers from it are keyed by.
    pub fn cache_origin(&self) -> String {
        let mut url = self.base.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        url.as_str().trim_end_matches('/').to_string()
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
            .fetch(
                |c| {
                    self.authorize(c.post(&url))
                        .header("Git-Protocol", "version=2")
                        .header("Content-Type", "application/x-git-upload-pack-request")
                        .header("Accept", "application/x-git-upload-pack-result")
                        .body(body.clone())
                },
                MAX_LISTING,
            )
            .await
            .map_err(|e| self.network(e))?;
        let bytes = self.ok_body(repo, resp)?;
        // A v0-only server answers the POST with something else: fall back.
        // A v2 answer that is malformed is an error, not a reason to retry.
        match parse_ls_refs(&bytes) {
            Ok(listing) => Ok(Some(listing)),
            Err(LsRefsError::NotV2) => Ok(None),
            Err(LsRefsError::Bad(e)) => Err(FetchError::Protocol {
                repo: repo.to_string(),
                host: self.host(),
                reason: e.to_string(),
            }),
        }
    }

    async fn advertisement_v0(&self, repo: &RepoId) -> Result<RefListing, FetchError> {
        let url = self.repo_url(repo, "info/refs?service=git-upload-pack");
        let resp = self
            .http
            .fetch(|c| self.authorize(c.get(&url)), MAX_LISTING)
            .await
            .map_err(|e| self.network(e))?;
        let bytes = self.ok_body(repo, resp)?;
        parse_advertisement(&bytes).map_err(|e| FetchError::Protocol {
            repo: repo.to_string(),
            host: self.host(),
            reason: e.to_string(),
        })
    }

    fn ok_body(&self, repo: &RepoId, resp: Fetched) -> Result<Vec<u8>, FetchError> {
        let status = resp.status;
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
        Ok(resp.body)
    }

    fn network(&self, e: HttpError) -> FetchError {
        FetchError::Network {
            host: self.host(),
            reason: e.to_string(),
        }
    }
}

/// Why a `ls-refs` answer was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LsRefsError {
    /// Not a protocol-v2 answer at all: try the v0 advertisement.
    NotV2,
    /// A v2 answer with a malformed line: the listing is refused.
    Bad(AdvertisementError),
}

/// Why a ref listing (a v0 `info/refs` advertisement or a v2 `ls-refs`
/// answer) was refused: a typed value, so tests and callers can tell the
/// cases apart; [`FetchError::Protocol`] carries its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvertisementError {
    /// The pkt-line framing is broken.
    #[error(transparent)]
    PktLine(#[from] PktLineError),
    /// A v2 answer with a delimiter or end packet among the refs.
    #[error("unexpected control packet in ls-refs answer")]
    ControlPacket,
    /// A ref line that is not UTF-8.
    #[error("ref line is not UTF-8")]
    NotUtf8,
    /// A line that is not `<oid> <name>…` (the line as sent).
    #[error("malformed ref line \"{}\"", escape(.0))]
    MalformedLine(String),
    /// An object id that is not 40 lower-case hex (as sent), for a ref.
    #[error("malformed object id `{}` for {}", escape(.oid), escape(.name))]
    MalformedObjectId { oid: String, name: String },
    /// A v0 answer without the `# service=` line.
    #[error("not a git smart-HTTP advertisement")]
    NotSmartHttp,
}

/// At most this many refs with unsafe names are remembered for the warning.
const MAX_SKIPPED: usize = 100;

/// Build a listing from `(oid, name, peeled)` lines. Every object id must be
/// 40 lower-case hex, or the whole listing is refused: a server that sends
/// `peeled:main` must not get `main` written where a commit belongs. Refs
/// whose names are not safe to write anywhere are left out and counted.
fn listing_from<'a>(
    lines: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Result<RefListing, AdvertisementError> {
    let mut listing = RefListing::default();
    for (oid, name, peeled) in lines {
        let commit = peeled.unwrap_or(oid);
        if let Some(bad) = [oid, commit].into_iter().find(|id| !is_object_id(id)) {
            return Err(AdvertisementError::MalformedObjectId {
                oid: bad.to_string(),
                name: name.to_string(),
            });
        }
        let (map, short) = if let Some(tag) = name.strip_prefix("refs/tags/") {
            (&mut listing.tags, tag)
        } else if let Some(head) = name.strip_prefix("refs/heads/") {
            (&mut listing.heads, head)
        } else {
            continue;
        };
        if is_safe_listed_ref(short) {
            map.insert(short.to_string(), commit.to_string());
        } else if listing.skipped.len() < MAX_SKIPPED {
            listing.skipped.push(escape(short).into_owned());
        }
    }
    Ok(listing)
}

/// Parse a v2 `ls-refs` answer: `<oid> <name>[ peeled:<oid>]…` lines, then a flush.
pub fn parse_ls_refs(body: &[u8]) -> Result<RefListing, LsRefsError> {
    let packets = pktline::decode(body).map_err(|_| LsRefsError::NotV2)?;
    if !matches!(packets.last(), Some(Packet::Flush)) {
        return Err(LsRefsError::NotV2);
    }
    let bad = LsRefsError::Bad;
    let mut lines = Vec::new();
    for p in &packets[..packets.len() - 1] {
        let Packet::Data(d) = p else {
            return Err(bad(AdvertisementError::ControlPacket));
        };
        let line = std::str::from_utf8(d)
            .map_err(|_| bad(AdvertisementError::NotUtf8))?
            .trim_end_matches('\n');
        if line.starts_with("ERR ") {
            return Err(LsRefsError::NotV2);
        }
        let mut parts = line.split(' ');
        let (Some(oid), Some(name)) = (parts.next(), parts.next()) else {
            return Err(bad(AdvertisementError::MalformedLine(line.to_string())));
        };
        let peeled = parts.find_map(|a| a.strip_prefix("peeled:"));
        lines.push((oid, name, peeled));
    }
    listing_from(lines.into_iter()).map_err(bad)
}

/// Parse a v0 `info/refs` advertisement; peeled tags come as `<name>^{}`.
pub fn parse_advertisement(body: &[u8]) -> Result<RefListing, AdvertisementError> {
    let packets = pktline::decode(body)?;
    let mut direct = Vec::new();
    let mut peeled = std::collections::HashMap::new();
    let mut seen_service = false;
    for p in packets {
        let Packet::Data(d) = p else { continue };
        let line = std::str::from_utf8(d).map_err(|_| AdvertisementError::NotUtf8)?;
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
            return Err(AdvertisementError::MalformedLine(line.to_string()));
        };
        match name.strip_suffix("^{}") {
            Some(base) => {
                peeled.insert(base, oid);
            }
            None => direct.push((oid, name)),
        }
    }
    if !seen_service {
        return Err(AdvertisementError::NotSmartHttp);
    }
    if let Some((name, oid)) = peeled.iter().find(|(_, oid)| !is_object_id(oid)) {
        return Err(AdvertisementError::MalformedObjectId {
            oid: oid.to_string(),
            name: name.to_string(),
        });
    }
    listing_from(
        direct
            .into_iter()
            .map(|(oid, name)| (oid, name, peeled.get(name).copied())),
    )
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
        assert_eq!(parse_ls_refs(b"<html>"), Err(LsRefsError::NotV2));
        assert_eq!(
            parse_ls_refs(&pkt(&["ERR no such repository\n", "0000"])),
            Err(LsRefsError::NotV2)
        );
    }

    #[test]
    fn every_object_id_is_checked() {
        let a = "a".repeat(40);
        for line in [
            format!("{a} refs/tags/v4 peeled:main\n"),
            format!("{a} refs/tags/v4 peeled:{}\n", "B".repeat(40)),
            format!("{} refs/tags/v4\n", "a".repeat(64)),
            "main refs/heads/main\n".to_string(),
        ] {
            let err = parse_ls_refs(&pkt(&[&line, "0000"])).unwrap_err();
            assert!(
                matches!(
                    err,
                    LsRefsError::Bad(AdvertisementError::MalformedObjectId { .. })
                ),
                "{line}: {err:?}"
            );
        }
        let v0 = pkt(&[
            "# service=git-upload-pack\n",
            "0000",
            &format!("{a} refs/tags/v1\n"),
            "main refs/tags/v1^{}\n",
            "0000",
        ]);
        let err = parse_advertisement(&v0).unwrap_err();
        assert!(
            matches!(err, AdvertisementError::MalformedObjectId { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("malformed object id"));
    }

    #[test]
    fn unsafe_ref_names_are_left_out() {
        let a = "a".repeat(40);
        let body = pkt(&[
            &format!("{a} refs/tags/v4.2.2\n"),
            &format!("{a} refs/tags/v4.2.3\u{1b}[2K\n"),
            &format!("{a} refs/tags/v4.\u{202e}9\n"),
            &format!("{a} refs/heads/x`y\n"),
            "0000",
        ]);
        let l = parse_ls_refs(&body).unwrap();
        assert_eq!(l.tags.keys().collect::<Vec<_>>(), ["v4.2.2"]);
        assert!(l.heads.is_empty());
        assert_eq!(l.skipped, ["v4.2.3\\u{1b}[2K", "v4.\\u{202e}9", "x`y"]);
    }
}
