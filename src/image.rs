//! Container image references, parsed with the distribution reference rules
//! (`[host[:port]/]path[:tag][@digest]`), and their normalised form for the
//! registry API. The text in the file is never normalised: `node:20` stays
//! `node:20@sha256:…`, not `docker.io/library/node:20@…`.

use std::fmt;

/// An image reference as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// `name` exactly as written (host and path, no tag or digest).
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Normalised registry host (`docker.io` for Docker Hub).
    pub registry: String,
    /// Normalised repository path (`library/node`).
    pub repository: String,
}

/// Why an image reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("`{0}` is not a valid image reference: {1}")]
    Invalid(String, &'static str),
}

pub const DOCKER_HUB: &str = "docker.io";

impl ImageRef {
    pub fn parse(text: &str) -> Result<Self, ImageRefError> {
        let bad = |why| ImageRefError::Invalid(text.to_string(), why);
        if text.is_empty() || text.len() > 4096 {
            return Err(bad("it is empty or too long"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                let (alg, hex) = d
                    .split_once(':')
                    .ok_or_else(|| bad("the digest has no algorithm"))?;
                let ok_alg = !alg.is_empty()
                    && alg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b)
                    });
                let ok_hex = hex.len() >= 32
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                if !(ok_alg && ok_hex) {
                    return Err(bad("the digest is malformed"));
                }
                (r, Some(d.to_string()))
            }
            None => (text, None),
        };
        // A tag follows the last `:` that comes after the last `/`.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return Err(bad("the tag is malformed"));
            }
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        let first = parts[0];
        let has_host = parts.len() > 1
            && (first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()));
        let host = if has_host {
            let h = parts.remove(0);
            let ok = h
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
            if !ok {
                return Err(bad("the registry host is malformed"));
            }
            Some(h)
        } else {
            None
        };
        if parts.is_empty() || parts.iter().any(|p| !is_path_component(p)) {
            return Err(bad(
                "a path component is malformed (lower-case letters, digits and separators)",
            ));
        }
        let path = parts.join("/");
        let registry = match host {
            None | Some("index.docker.io" | "registry-1.docker.io" | "docker.io") => {
                DOCKER_HUB.to_string()
            }
            Some(h) => h.to_ascii_lowercase(),
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Ok(Self {
            name: name.to_string(),
            tag: tag.map(str::to_string),
            digest,
            registry,
            repository,
        })
    }

    /// The tag to resolve (`latest` when none is written).
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// `registry/repository:tag`: the identity of what is resolved.
    pub fn key(&self) -> ImageKey {
        ImageKey(format!(
            "{}/{}:{}",
            self.registry,
            self.repository,
            self.tag_or_latest()
        ))
    }

    /// The text to write: the name and tag as written, plus the digest.
    pub fn pinned(&self, digest: &str) -> String {
        match &self.tag {
            Some(t) => format!("{}:{t}@{digest}", self.name),
            None => format!("{}@{digest}", self.name),
        }
    }
}

/// What an image's digest is filed under: `registry/repository:tag`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageKey(String);

impl fmt::Display for ImageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(p: &str) -> bool {
    let b = p.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            i += 1;
            continue;
        }
        let sep_start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &p[sep_start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok || sep.is_empty() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_short_names() {
        let r = ImageRef::parse("node:20-alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/node", Some("20-alpine"))
        );
        assert_eq!(r.name, "node");
        let u = ImageRef::parse("bitnami/redis").unwrap();
        assert_eq!(
            (u.repository.as_str(), u.tag_or_latest()),
            ("bitnami/redis", "latest")
        );
        let i = ImageRef::parse("index.docker.io/library/node:20").unwrap();
        assert_eq!(i.key().to_string(), "docker.io/library/node:20");
    }

    #[test]
    fn hosts_with_ports() {
        let r = ImageRef::parse("localhost:5000/foo/bar:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "foo/bar", Some("1.0"))
        );
        let g = ImageRef::parse("ghcr.io/owner/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").unwrap();
        assert!(g.digest.is_some() && g.tag.is_none());
        let p = ImageRef::parse("127.0.0.1:5000/app").unwrap();
        assert_eq!(p.pinned("sha256:ab"), "127.0.0.1:5000/app@sha256:ab");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "Node:20",
            "node:",
            "node:-x",
            "a//b",
            "node@sha256:xyz",
            "ex ample/x",
            "$(id)",
            "node:20;rm",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pinned_keeps_name_as_written() {
        let r = ImageRef::parse("node:20").unwrap();
        assert_eq!(r.pinned("sha256:abc"), "node:20@sha256:abc");
    }
}
