//! A real OCI distribution registry (Debian's `docker-registry`) on 127.0.0.1
//! with storage in a temporary folder, and helpers that push images with
//! plain HTTP calls: an OCI index over two platforms, a Docker manifest list,
//! a single manifest.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

pub struct Registry {
    /// `127.0.0.1:PORT`
    pub host: String,
    auth: Option<(String, String)>,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Registry {
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// A registry that requires basic auth (htpasswd).
    pub fn with_auth(user: &str, password: &str) -> Self {
        Self::launch(Some((user.to_string(), password.to_string())))
    }

    fn launch(auth: Option<(String, String)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((u, p)) = &auth {
            let hash = bcrypt::hash_with_result(p, 4)
                .unwrap()
                .format_for_version(bcrypt::Version::TwoA);
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{u}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry is installed (apt-get install docker-registry; .ci/run does)");
        let reg = Self {
            host: format!("127.0.0.1:{port}"),
            auth,
            child,
            _dir: dir,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(&reg.host).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "registry did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        reg
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::new()
    }

    fn auth(&self, req: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        match &self.auth {
            Some((u, p)) => req.basic_auth(u, Some(p)),
            None => req,
        }
    }

    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let c = Self::client();
        let start = self
            .auth(c.post(format!("{}/v2/{repo}/blobs/uploads/", self.url())))
            .send()
            .unwrap();
        assert_eq!(start.status().as_u16(), 202, "blob upload start");
        let location = start.headers()["location"].to_str().unwrap().to_string();
        let location = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.url())
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self
            .auth(c.put(format!("{location}{sep}digest={digest}")))
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(
            put.status().as_u16(),
            201,
            "blob upload: {}",
            put.text().unwrap_or_default()
        );
        digest
    }

    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let resp = self
            .auth(Self::client().put(format!("{}/v2/{repo}/manifests/{reference}", self.url())))
            .header("Content-Type", media_type)
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            201,
            "manifest push: {}",
            resp.text().unwrap_or_default()
        );
        sha256(body)
    }

    /// An image manifest (config + one layer) for one platform; returns
    /// (digest, size) of the manifest.
    fn platform_manifest(
        &self,
        repo: &str,
        media_type: &str,
        arch: &str,
        seed: &str,
    ) -> (String, usize) {
        let (config_type, layer_type) = if media_type == OCI_MANIFEST {
            (
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            )
        } else {
            (
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar",
            )
        };
        let layer = format!("layer of {repo} {seed} {arch}").into_bytes();
        let layer_digest = self.push_blob(repo, &layer);
        let config = format!(
            r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
        )
        .into_bytes();
        let config_digest = self.push_blob(repo, &config);
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}","config":{{"mediaType":"{config_type}","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"{layer_type}","digest":"{layer_digest}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        )
        .into_bytes();
        let digest = self.push_manifest(repo, &sha256(&manifest), media_type, &manifest);
        (digest, manifest.len())
    }

    fn push_list(
        &self,
        repo: &str,
        tag: &str,
        list_type: &str,
        manifest_type: &str,
    ) -> (String, Vec<String>) {
        let mut entries = Vec::new();
        let mut digests = Vec::new();
        for arch in ["amd64", "arm64"] {
            let (d, size) = self.platform_manifest(repo, manifest_type, arch, tag);
            entries.push(format!(
                r#"{{"mediaType":"{manifest_type}","digest":"{d}","size":{size},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#
            ));
            digests.push(d);
        }
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{list_type}","manifests":[{}]}}"#,
            entries.join(",")
        );
        (
            self.push_manifest(repo, tag, list_type, index.as_bytes()),
            digests,
        )
    }

    /// An OCI index over amd64 and arm64 manifests; (index, [manifests]).
    pub fn push_oci_index(&self, repo: &str, tag: &str) -> (String, Vec<String>) {
        self.push_list(repo, tag, OCI_INDEX, OCI_MANIFEST)
    }

    /// A Docker manifest list over amd64 and arm64; (list, [manifests]).
    pub fn push_docker_list(&self, repo: &str, tag: &str) -> (String, Vec<String>) {
        self.push_list(repo, tag, DOCKER_LIST, DOCKER_MANIFEST)
    }

    /// A single Docker v2 manifest, no index.
    pub fn push_single(&self, repo: &str, tag: &str) -> String {
        let (d, _) = self.platform_manifest(repo, DOCKER_MANIFEST, "amd64", tag);
        let body = self
            .auth(Self::client().get(format!("{}/v2/{repo}/manifests/{d}", self.url())))
            .header("Accept", DOCKER_MANIFEST)
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        self.push_manifest(repo, tag, DOCKER_MANIFEST, &body)
    }
}
