//! Registry credentials from Docker's `config.json` (`auths` entries), for
//! private images. Credential helpers (`credsStore`, `credHelpers`) are not
//! run: hardpin never executes programs named in a config file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine;

use crate::image::DOCKER_HUB;
use crate::secret::Secret;

/// Why Docker's `config.json` could not be used: a typed value, so the
/// caller sees the JSON error itself and which file it came from.
#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    /// The text is not valid JSON, or not the shape of a `config.json`.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The file at `path` is malformed.
    #[error("{}: {source}", .path.display())]
    File {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// A user name and password for one registry.
#[derive(Debug, Clone)]
pub struct Credential {
    pub username: String,
    pub password: Secret,
}

/// Credentials by registry host (`docker.io` for Docker Hub).
#[derive(Debug, Clone, Default)]
pub struct DockerCredentials(BTreeMap<String, Credential>);

#[derive(serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(serde::Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// `https://index.docker.io/v1/` → `docker.io`; `http://reg:5000/x` → `reg:5000`.
fn normalise_host(key: &str) -> String {
    let no_scheme = key.split_once("://").map_or(key, |(_, r)| r);
    let host = no_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

impl DockerCredentials {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. A missing
    /// file means no credentials; a malformed one is an error.
    pub fn load() -> Result<Self, DockerConfigError> {
        let path = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| dirs::home_dir().map(|h| h.join(".docker")))
            .map(|d| d.join("config.json"));
        let Some(path) = path else {
            return Ok(Self::default());
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                Self::parse(&bytes).map_err(|source| DockerConfigError::File { path, source })
            }
            Err(_) => Ok(Self::default()),
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, DockerConfigError> {
        Ok(Self::parse(bytes)?)
    }

    fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let file: ConfigFile = serde_json::from_slice(bytes)?;
        let mut out = BTreeMap::new();
        for (key, entry) in file.auths {
            let pair = match (entry.username, entry.password, entry.auth) {
                (Some(u), Some(p), _) => Some((u, p)),
                (_, _, Some(a)) => base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| {
                        s.split_once(':')
                            .map(|(u, p)| (u.to_string(), p.to_string()))
                    }),
                _ => None,
            };
            if let Some((username, password)) = pair
                && let Some(password) = Secret::new(password)
            {
                out.insert(normalise_host(&key), Credential { username, password });
            }
        }
        Ok(Self(out))
    }

    pub fn get(&self, registry: &str) -> Option<&Credential> {
        self.0.get(&registry.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auth_and_user_password() {
        let json = br#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"127.0.0.1:5000":{"username":"a","password":"b"}},"credsStore":"desktop"}"#;
        let c = DockerCredentials::from_json(json).unwrap();
        let hub = c.get("docker.io").unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.expose()),
            ("user", "pass")
        );
        assert_eq!(c.get("127.0.0.1:5000").unwrap().username, "a");
        assert!(c.get("ghcr.io").is_none());
    }
}
