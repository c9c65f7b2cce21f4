//! A git smart-HTTP server on 127.0.0.1 for tests: the real `git http-backend`
//! (CGI) behind the test HTTP server, over bare repositories the test makes.
//! Every request is logged so tests can assert what was (not) sent.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::http::{Request, Response, Server};

#[derive(Default)]
pub struct Behaviour {
    /// Answer 503 to this many requests before serving normally.
    pub fail_first: usize,
    /// Ignore `Git-Protocol`, as a v0-only server would.
    pub v0_only: bool,
    /// Paths starting with the key are redirected to the value + rest.
    pub redirects: Vec<(String, String)>,
    /// Accept pushes (git-receive-pack).
    pub receive_pack: bool,
    /// Require this basic-auth `user:password` for every request.
    pub require_auth: Option<String>,
    /// Run once, just before the first push's ref advertisement is served:
    /// moves a ref between what a client checked and what it pushes.
    pub before_push: Option<Box<dyn FnOnce() + Send>>,
    /// Wait this long before answering each request (a slow network).
    pub latency: std::time::Duration,
}

pub struct GitServer {
    pub url: String,
    pub root: PathBuf,
    pub behaviour: Arc<Mutex<Behaviour>>,
    server: Server,
    _dir: tempfile::TempDir,
}

impl GitServer {
    pub fn start() -> Self {
        Self::with(Behaviour::default())
    }

    pub fn with(behaviour: Behaviour) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (r, b) = (root.clone(), behaviour.clone());
        let server = Server::start(Arc::new(move |req: &Request| serve(req, &r, &b)));
        Self {
            url: server.url.clone(),
            root,
            behaviour,
            server,
            _dir: dir,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// The bare repository path for `owner/name`.
    pub fn repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.root.join(owner).join(format!("{name}.git"))
    }
}

fn serve(req: &Request, root: &Path, behaviour: &Mutex<Behaviour>) -> Response {
    let latency = behaviour.lock().unwrap().latency;
    std::thread::sleep(latency);
    let mut b = behaviour.lock().unwrap();
    if b.fail_first > 0 {
        b.fail_first -= 1;
        return Response::new("503 Service Unavailable", "try again");
    }
    if let Some(expected) = &b.require_auth {
        use base64::Engine;
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(expected)
        );
        if req.headers.get("authorization") != Some(&want) {
            return Response::new("401 Unauthorized", "auth required")
                .header("WWW-Authenticate", "Basic realm=\"git\"");
        }
    }
    if req.query().contains("service=git-receive-pack")
        && let Some(hook) = b.before_push.take()
    {
        hook();
    }
    for (prefix, to) in &b.redirects {
        if let Some(rest) = req.target.strip_prefix(prefix.as_str()) {
            return Response::new("307 Temporary Redirect", "")
                .header("Location", &format!("{to}{rest}"));
        }
    }
    // GitHub's raw-file endpoint, as GHES serves it without subdomain
    // isolation: `/raw/{owner}/{repo}/{commit}/{path}`.
    if let Some(rest) = req.path().strip_prefix("/raw/") {
        return raw_file(root, rest);
    }
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &req.method)
        .env("PATH_INFO", req.path())
        .env("QUERY_STRING", req.query())
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if b.receive_pack {
        cmd.env("REMOTE_USER", "tester")
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.receivepack")
            .env("GIT_CONFIG_VALUE_0", "true");
    }
    if let Some(ct) = req.headers.get("content-type") {
        cmd.env("CONTENT_TYPE", ct);
    }
    if let (Some(p), false) = (req.headers.get("git-protocol"), b.v0_only) {
        cmd.env("HTTP_GIT_PROTOCOL", p);
    }
    drop(b);
    let Ok(mut child) = cmd.spawn() else {
        return Response::new("500 Internal Server Error", "cannot run git http-backend");
    };
    let _ = child.stdin.take().unwrap().write_all(&req.body);
    let mut out = Vec::new();
    let _ = child.stdout.take().unwrap().read_to_end(&mut out);
    let _ = child.wait();
    cgi_response(&out)
}

/// `{owner}/{repo}/{commit}/{path}` from the bare repository, or 404.
fn raw_file(root: &Path, rest: &str) -> Response {
    let mut parts = rest.splitn(4, '/');
    let (Some(owner), Some(repo), Some(commit), Some(path)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Response::new("404 Not Found", "");
    };
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(root.join(owner).join(format!("{repo}.git")))
        .args(["cat-file", "blob", &format!("{commit}:{path}")])
        .output();
    match out {
        Ok(o) if o.status.success() => Response::new("200 OK", o.stdout),
        _ => Response::new("404 Not Found", "404: Not Found"),
    }
}

/// CGI output: headers (with an optional `Status:`), a blank line, the body.
fn cgi_response(out: &[u8]) -> Response {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return Response::new("500 Internal Server Error", "bad cgi output");
    };
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let mut resp = Response::new("200 OK", out[end + sep..].to_vec());
    for h in head.lines() {
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("status") {
                resp.status = v.trim().to_string();
            } else {
                resp = resp.header(k.trim(), v.trim());
            }
        }
    }
    resp
}
