//! On-disk cache of resolved data (ref listings, image digests), so a second
//! run, or a run over many repositories on one machine, makes no requests.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A cache folder (or none, with `--no-cache`) and how long entries stay fresh.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: Option<PathBuf>,
    ttl: Duration,
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    key: String,
    fetched_at: u64,
    value: T,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl DiskCache {
    pub fn new(dir: Option<PathBuf>, ttl: Duration) -> Self {
        Self { dir, ttl }
    }

    pub fn disabled() -> Self {
        Self::new(None, Duration::ZERO)
    }

    fn file(&self, namespace: &str, key: &str) -> Option<PathBuf> {
        // Keys hold user-controlled names: hash them rather than build paths.
        let digest = Sha256::digest(key.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Some(
            self.dir
                .as_ref()?
                .join(namespace)
                .join(format!("{name}.json")),
        )
    }

    /// A fresh entry, or with `any_age` (offline) an entry of any age.
    pub fn get<T: DeserializeOwned>(&self, namespace: &str, key: &str, any_age: bool) -> Option<T> {
        let bytes = std::fs::read(self.file(namespace, key)?).ok()?;
        let entry: Entry<T> = serde_json::from_slice(&bytes).ok()?;
        let fresh = now().saturating_sub(entry.fetched_at) < self.ttl.as_secs();
        (entry.key == key && (fresh || any_age)).then_some(entry.value)
    }

    /// Store an entry; a cache that cannot be written only costs speed, so
    /// failures are ignored.
    pub fn put<T: Serialize>(&self, namespace: &str, key: &str, value: &T) {
        let Some(path) = self.file(namespace, key) else {
            return;
        };
        let entry = Entry {
            key: key.to_string(),
            fetched_at: now(),
            value,
        };
        let Ok(json) = serde_json::to_vec(&entry) else {
            return;
        };
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(parent) {
            use std::io::Write;
            if tmp.write_all(&json).is_ok() {
                let _ = tmp.persist(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiskCache::new(Some(dir.path().into()), Duration::from_secs(60));
        c.put("refs", "github.com/a/b", &vec![1, 2]);
        assert_eq!(
            c.get::<Vec<i32>>("refs", "github.com/a/b", false),
            Some(vec![1, 2])
        );
        assert_eq!(c.get::<Vec<i32>>("refs", "github.com/a/c", false), None);
        let stale = DiskCache::new(Some(dir.path().into()), Duration::ZERO);
        assert_eq!(stale.get::<Vec<i32>>("refs", "github.com/a/b", false), None);
        assert_eq!(
            stale.get::<Vec<i32>>("refs", "github.com/a/b", true),
            Some(vec![1, 2])
        );
    }
}
