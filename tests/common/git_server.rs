//! A git smart-HTTP server on 127.0.0.1 for tests: the real `git http-backend`
//! (CGI) behind a tiny HTTP/1.1 front, over bare repositories the test makes.
//! Every request is logged so tests can assert what was (not) sent.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub target: String,
    pub headers: BTreeMap<String, String>,
}

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
}

pub struct GitServer {
    pub url: String,
    pub root: PathBuf,
    pub log: Arc<Mutex<Vec<Logged>>>,
    pub behaviour: Arc<Mutex<Behaviour>>,
    _dir: tempfile::TempDir,
}

impl GitServer {
    pub fn start() -> Self {
        Self::with(Behaviour::default())
    }

    pub fn with(behaviour: Behaviour) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (r, l, b) = (root.clone(), log.clone(), behaviour.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, l, b) = (r.clone(), l.clone(), b.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, &l, &b);
                });
            }
        });
        Self {
            url,
            root,
            log,
            behaviour,
            _dir: dir,
        }
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    /// The bare repository path for `owner/name`.
    pub fn repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.root.join(owner).join(format!("{name}.git"))
    }
}

fn serve(
    mut stream: TcpStream,
    root: &Path,
    log: &Mutex<Vec<Logged>>,
    behaviour: &Mutex<Behaviour>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let body = read_body(&mut reader, &headers)?;
    log.lock().unwrap().push(Logged {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
    });

    let mut b = behaviour.lock().unwrap();
    if b.fail_first > 0 {
        b.fail_first -= 1;
        return respond(&mut stream, "503 Service Unavailable", &[], b"try again");
    }
    if let Some(expected) = &b.require_auth {
        use base64::Engine;
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(expected)
        );
        if headers.get("authorization") != Some(&want) {
            return respond(
                &mut stream,
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"git\"")],
                b"auth required",
            );
        }
    }
    for (prefix, to) in &b.redirects {
        if let Some(rest) = target.strip_prefix(prefix.as_str()) {
            let loc = format!("{to}{rest}");
            return respond(
                &mut stream,
                "307 Temporary Redirect",
                &[("Location", &loc)],
                b"",
            );
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if b.receive_pack {
        cmd.env("REMOTE_USER", "tester")
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.receivepack")
            .env("GIT_CONFIG_VALUE_0", "true");
    }
    if let Some(ct) = headers.get("content-type") {
        cmd.env("CONTENT_TYPE", ct);
    }
    if let (Some(p), false) = (headers.get("git-protocol"), b.v0_only) {
        cmd.env("HTTP_GIT_PROTOCOL", p);
    }
    drop(b);
    let mut child = cmd.spawn()?;
    child.stdin.take().unwrap().write_all(&body)?;
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out)?;
    child.wait()?;
    // CGI output: headers, blank line, body.
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return respond(
            &mut stream,
            "500 Internal Server Error",
            &[],
            b"bad cgi output",
        );
    };
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let mut status = "200 OK".to_string();
    let mut extra = Vec::new();
    for h in head.lines() {
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("status") {
                status = v.trim().to_string();
            } else {
                extra.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    let extra: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    respond(&mut stream, &status, &extra, &out[end + sep..])
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    headers: &BTreeMap<String, String>,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(body)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
