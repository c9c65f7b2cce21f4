//! Image digests from an OCI distribution registry.
//!
//! HEAD (falling back to GET) on `/v2/<repository>/manifests/<tag>` with every
//! manifest media type in `Accept`, so the answer is whatever the tag names:
//! the multi-arch index when there is one, never one platform's manifest.
//! Bearer-token challenges are answered anonymously or with the registry's
//! own credentials from Docker's config; the GitHub token is never used here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use sha2::{Digest, Sha256};

use super::docker_config::DockerCredentials;
use super::http::{Fetched, HttpClient, HttpError};
use crate::image::{DOCKER_HUB, ImageRef};
use crate::net::is_loopback_host;

/// Every manifest type a tag can name: index and list first.
pub const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// What a tag names: the digest of its manifest and, when that manifest is
/// a multi-platform index, the per-platform manifests it lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageIndex {
    pub digest: String,
    pub platforms: Vec<String>,
}

impl ImageIndex {
    /// Checked on everything loaded from the cache.
    pub fn is_valid(&self) -> bool {
        is_digest(&self.digest) && self.platforms.iter().all(|d| is_digest(d))
    }
}

/// Largest manifest accepted (registries cap them at 4 MiB).
const MAX_MANIFEST: usize = 4 << 20;
/// Largest token-service answer accepted (real ones are a few KiB).
const MAX_TOKEN_ANSWER: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OciError {
    #[error("{image} not found (no such repository or tag)")]
    NotFound { image: String },
    #[error("{registry} refused access to {image} (HTTP {status})")]
    Denied {
        image: String,
        registry: String,
        status: u16,
    },
    #[error("{registry} answered HTTP {status} for {image}")]
    Status {
        image: String,
        registry: String,
        status: u16,
    },
    #[error("could not reach {registry}: {reason}")]
    Network { registry: String, reason: String },
    #[error("unexpected answer from {registry} for {image}: {reason}")]
    Protocol {
        image: String,
        registry: String,
        reason: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("{0} is not in the cache (--offline)")]
    NotCached(String),
}

impl OciError {
    pub fn hint(&self) -> &'static str {
        match self {
            OciError::NotFound { .. } => "check the image name and tag",
            OciError::Denied { .. } => {
                "log in with `docker login` (hardpin reads the `auths` of Docker's config.json)"
            }
            OciError::Status { .. } | OciError::Network { .. } => {
                "check the network or use --registry-mirror; run again later"
            }
            OciError::Protocol { .. } => "is this an OCI distribution registry?",
            OciError::Config(_) => "use https, or name the host with --insecure-registry",
            OciError::NotCached(_) => "run once without --offline to fill the cache",
        }
    }
}

/// Where and how to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// Registry host (or `*`) → mirror base URL.
    pub mirrors: BTreeMap<String, Url>,
    /// Hosts that may be reached over plain http.
    pub insecure: BTreeSet<String>,
    pub credentials: DockerCredentials,
}

pub struct RegistryClient {
    http: Arc<HttpClient>,
    config: RegistryConfig,
    /// Bearer tokens by (registry, repository).
    tokens: Mutex<HashMap<(String, String), String>>,
}

impl RegistryClient {
    pub fn new(http: Arc<HttpClient>, config: RegistryConfig) -> Self {
        Self {
            http,
            config,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn request_count(&self) -> usize {
        self.http.request_count()
    }

    fn plain_http_ok(&self, host: &str) -> bool {
        is_loopback_host(host) || self.config.insecure.contains(&host.to_ascii_lowercase())
    }

    /// The base URL for a registry: its mirror, else the registry itself.
    pub fn endpoint(&self, registry: &str) -> Result<Url, OciError> {
        let mirror = self
            .config
            .mirrors
            .get(registry)
            .or_else(|| self.config.mirrors.get("*"));
        let url = match mirror {
            Some(m) => m.clone(),
            #[allow(clippy::expect_used)] // a constant that parses
            None if registry == DOCKER_HUB => {
                Url::parse("https://registry-1.docker.io").expect("valid URL")
            }
            None => {
                let scheme = if self.plain_http_ok(registry) {
                    "http"
                } else {
                    "https"
                };
                Url::parse(&format!("{scheme}://{registry}"))
                    .map_err(|e| OciError::Config(format!("registry `{registry}`: {e}")))?
            }
        };
        let host = url.host_str().unwrap_or_default();
        let host_port = url
            .port()
            .map_or_else(|| host.to_string(), |p| format!("{host}:{p}"));
        if url.scheme() != "https" && !self.plain_http_ok(&host_port) {
            return Err(OciError::Config(format!(
                "refusing plain http to {host_port}: only loopback addresses and --insecure-registry hosts"
            )));
        }
        Ok(url)
    }

    /// Where the manifest `image`'s tag names is.
    fn manifest_url(&self, image: &ImageRef) -> Result<String, OciError> {
        let base = self.endpoint(&image.registry)?;
        Ok(format!(
            "{}/v2/{}/manifests/{}",
            base.as_str().trim_end_matches('/'),
            image.repository,
            image.tag_or_latest()
        ))
    }

    /// The digest of what `image`'s tag names.
    pub async fn digest(&self, image: &ImageRef) -> Result<String, OciError> {
        let url = self.manifest_url(image)?;
        let resp = self.request(Method::HEAD, &url, image).await?;
        if resp.status.is_success()
            && let Some(d) = header_digest(&resp.headers)
        {
            return Ok(d);
        }
        // No digest header (or HEAD not allowed): fetch and hash the manifest.
        Ok(self.manifest(image).await?.0)
    }

    /// The manifest the tag names, read in full: its digest and, for a
    /// multi-platform index, the digests of the per-platform manifests it
    /// lists (what `hardpin audit` needs to tell a platform pin from an
    /// index pin).
    pub async fn index(&self, image: &ImageRef) -> Result<ImageIndex, OciError> {
        let (digest, media, body) = self.manifest(image).await?;
        let is_index = media.starts_with(MANIFEST_TYPES[0]) || media.starts_with(MANIFEST_TYPES[1]);
        let platforms = if is_index {
            #[derive(serde::Deserialize)]
            struct Index {
                #[serde(default)]
                manifests: Vec<Entry>,
            }
            #[derive(serde::Deserialize)]
            struct Entry {
                digest: String,
            }
            let index: Index = serde_json::from_slice(&body)
                .map_err(|e| self.protocol(image, &format!("the index is not valid JSON ({e})")))?;
            let digests: Vec<String> = index.manifests.into_iter().map(|m| m.digest).collect();
            if !digests.iter().all(|d| is_digest(d)) {
                return Err(self.protocol(image, "the index lists a malformed digest"));
            }
            digests
        } else {
            Vec::new()
        };
        Ok(ImageIndex { digest, platforms })
    }

    /// GET the manifest the tag names: its verified digest, media type and
    /// body.
    async fn manifest(&self, image: &ImageRef) -> Result<(String, String, Vec<u8>), OciError> {
        let url = self.manifest_url(image)?;
        let resp = self.request(Method::GET, &url, image).await?;
        self.check_status(image, resp.status)?;
        let claimed = header_digest(&resp.headers);
        let media = resp
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.body;
        if !MANIFEST_TYPES.iter().any(|t| media.starts_with(t)) {
            return Err(self.protocol(image, &format!("unexpected media type `{media}`")));
        }
        let computed = format!("sha256:{:x}", Sha256::digest(&body));
        match claimed {
            Some(c) if c != computed => Err(self.protocol(
                image,
                &format!("digest header {c} does not match the body ({computed})"),
            )),
            _ => Ok((computed, media, body)),
        }
    }

    /// Send with the cached token; on a challenge, authenticate and send again.
    async fn request(
        &self,
        method: Method,
        url: &str,
        image: &ImageRef,
    ) -> Result<Fetched, OciError> {
        let key = (image.registry.clone(), image.repository.clone());
        // A poisoned lock still holds valid tokens.
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        let resp = self
            .send(method.clone(), url, image, token.as_deref())
            .await?;
        if resp.status != StatusCode::UNAUTHORIZED {
            return self.checked(image, resp);
        }
        let challenge = resp
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let auth = self.authenticate(&challenge, image).await?;
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, auth.clone());
        let resp = self.send(method, url, image, Some(&auth)).await?;
        self.checked(image, resp)
    }

    fn checked(&self, image: &ImageRef, resp: Fetched) -> Result<Fetched, OciError> {
        // HEAD may be refused while GET works: let the caller fall back.
        if resp.status == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(resp);
        }
        self.check_status(image, resp.status)?;
        Ok(resp)
    }

    fn check_status(&self, image: &ImageRef, status: StatusCode) -> Result<(), OciError> {
        match status {
            s if s.is_success() || s == StatusCode::METHOD_NOT_ALLOWED => Ok(()),
            StatusCode::NOT_FOUND => Err(OciError::NotFound {
                image: image.to_string(),
            }),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(OciError::Denied {
                image: image.to_string(),
                registry: image.registry.clone(),
                status: status.as_u16(),
            }),
            s => Err(OciError::Status {
                image: image.to_string(),
                registry: image.registry.clone(),
                status: s.as_u16(),
            }),
        }
    }

    /// `auth` is a ready `Authorization` value.
    async fn send(
        &self,
        method: Method,
        url: &str,
        image: &ImageRef,
        auth: Option<&str>,
    ) -> Result<Fetched, OciError> {
        let accept = MANIFEST_TYPES.join(", ");
        self.http
            .fetch(
                |c| {
                    let req = c.request(method.clone(), url).header(ACCEPT, &accept);
                    match auth {
                        Some(a) => req.header(reqwest::header::AUTHORIZATION, a),
                        None => req,
                    }
                },
                MAX_MANIFEST,
            )
            .await
            .map_err(|e| self.network(image, &e))
    }

    /// Answer a `WWW-Authenticate` challenge; returns the `Authorization` value.
    async fn authenticate(&self, challenge: &str, image: &ImageRef) -> Result<String, OciError> {
        let cred = self.config.credentials.get(&image.registry);
        let (scheme, params) = parse_challenge(challenge);
        if scheme.eq_ignore_ascii_case("basic") {
            let c = cred.ok_or_else(|| OciError::Denied {
                image: image.to_string(),
                registry: image.registry.clone(),
                status: 401,
            })?;
            use base64::Engine;
            let raw = format!("{}:{}", c.username, c.password.expose());
            return Ok(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            ));
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.protocol(
                image,
                &format!("unsupported authentication challenge `{scheme}`"),
            ));
        }
        let realm = params
            .get("realm")
            .ok_or_else(|| self.protocol(image, "bearer challenge without realm"))?;
        let mut realm_url =
            Url::parse(realm).map_err(|_| self.protocol(image, "bearer realm is not a URL"))?;
        let realm_host = realm_url.host_str().unwrap_or_default().to_string();
        let realm_hp = realm_url
            .port()
            .map_or_else(|| realm_host.clone(), |p| format!("{realm_host}:{p}"));
        if realm_url.scheme() != "https" && !self.plain_http_ok(&realm_hp) {
            return Err(OciError::Config(format!(
                "refusing a plain-http token service at {realm_hp}"
            )));
        }
        {
            let mut q = realm_url.query_pairs_mut();
            if let Some(s) = params.get("service") {
                q.append_pair("service", s);
            }
            q.append_pair("scope", &format!("repository:{}:pull", image.repository));
        }
        let resp = self
            .http
            .fetch(
                |c| {
                    let req = c.get(realm_url.clone());
                    match cred {
                        Some(cr) => req.basic_auth(&cr.username, Some(cr.password.expose())),
                        None => req,
                    }
                },
                MAX_TOKEN_ANSWER,
            )
            .await
            .map_err(|e| self.network(image, &e))?;
        if !resp.status.is_success() {
            return Err(OciError::Denied {
                image: image.to_string(),
                registry: image.registry.clone(),
                status: resp.status.as_u16(),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: TokenResponse = serde_json::from_slice(&resp.body)
            .map_err(|_| self.protocol(image, "token service answer is not JSON"))?;
        let token = t
            .token
            .or(t.access_token)
            .ok_or_else(|| self.protocol(image, "token service gave no token"))?;
        Ok(format!("Bearer {token}"))
    }

    fn network(&self, image: &ImageRef, e: &HttpError) -> OciError {
        OciError::Network {
            registry: image.registry.clone(),
            reason: e.to_string(),
        }
    }

    fn protocol(&self, image: &ImageRef, reason: &str) -> OciError {
        OciError::Protocol {
            image: image.to_string(),
            registry: image.registry.clone(),
            reason: reason.to_string(),
        }
    }
}

fn header_digest(h: &HeaderMap) -> Option<String> {
    let d = h.get("docker-content-digest")?.to_str().ok()?.trim();
    is_digest(d).then(|| d.to_string())
}

/// `sha256:` and 64 lower-case hex digits: the only digest hardpin writes.
pub fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// `Bearer realm="…",service="…",scope="…"` → (`Bearer`, params).
pub fn parse_challenge(h: &str) -> (String, BTreeMap<String, String>) {
    let (scheme, rest) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    let mut params = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((k, after)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            // A quoted string (RFC 9110): `\` escapes the next character.
            let mut value = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.insert(k, v);
        rest = next.trim_start_matches([',', ' ']);
    }
    (scheme.to_string(), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_may_hold_escaped_quotes() {
        let (_, p) = parse_challenge(
            r#"Bearer realm="https://a.example/token?x=\"y\"",service="s\\1",scope="r""#,
        );
        assert_eq!(p["realm"], r#"https://a.example/token?x="y""#);
        assert_eq!(p["service"], r"s\1");
        assert_eq!(p["scope"], "r");
    }

    #[test]
    fn parses_bearer_challenge() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/node:pull");
    }

    #[test]
    fn plain_http_only_where_allowed() {
        let http = Arc::new(HttpClient::new(std::time::Duration::from_secs(1)).unwrap());
        let mut config = RegistryConfig::default();
        config.mirrors.insert(
            "docker.io".into(),
            Url::parse("http://mirror.internal:5000").unwrap(),
        );
        let c = RegistryClient::new(http.clone(), config.clone());
        assert!(c.endpoint("docker.io").is_err());
        assert_eq!(c.endpoint("127.0.0.1:5000").unwrap().scheme(), "http");
        assert_eq!(c.endpoint("ghcr.io").unwrap().as_str(), "https://ghcr.io/");
        config.insecure.insert("mirror.internal:5000".into());
        let c = RegistryClient::new(http, config);
        assert_eq!(
            c.endpoint("docker.io").unwrap().as_str(),
            "http://mirror.internal:5000/"
        );
    }
}
