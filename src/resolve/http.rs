//! One HTTP client for every resolver: one deadline per request (retries
//! included), bounded retries with backoff on 429/5xx and network errors,
//! bodies read in chunks up to a cap, redirects only within the same origin
//! (so a credential is never carried to another host), proxies only for https
//! and never for loopback, and a request counter for the summary and the
//! benchmark.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, NoProxy, Proxy, RequestBuilder, Response, StatusCode, redirect};
use tokio::time::Instant;

/// Retries after the first attempt.
const RETRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A response read in full (within its cap).
#[derive(Debug)]
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why a request gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{}", crate::net::error_chain(.0))]
    Network(#[from] reqwest::Error),
    #[error("no answer within {} s (retries included)", .0.as_secs_f32())]
    Deadline(Duration),
    #[error("the answer is larger than {} MiB; refused", .0 >> 20)]
    TooLarge(usize),
}

pub struct HttpClient {
    client: Client,
    /// How long one request may take, every retry and the body included.
    deadline: Duration,
    requests: AtomicUsize,
}

/// The proxy for https requests from `HTTPS_PROXY`/`ALL_PROXY` (either case),
/// with `NO_PROXY` and every loopback address exempt. Plain-http requests
/// (loopback, `--insecure-registry` hosts) never go through a proxy: a proxy
/// would see their credentials in clear text. https requests are tunnelled
/// (CONNECT), so the proxy never sees what they carry.
fn https_proxy() -> Option<Proxy> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let url = var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])?;
    let exempt = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let no_proxy = NoProxy::from_string(&format!("{exempt},localhost,127.0.0.0/8,::1"));
    Some(Proxy::https(url).ok()?.no_proxy(no_proxy))
}

impl HttpClient {
    /// `deadline` bounds each request from its first byte sent to its last
    /// byte read, retries and backoff included, so a host that accepts
    /// connections and never answers costs `deadline`, not a multiple of it.
    pub fn new(deadline: Duration) -> Result<Self, reqwest::Error> {
        let same_origin = redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().cloned();
            if attempt.previous().len() > 5 {
                attempt.error("too many redirects")
            } else if first.is_some_and(|f| f.origin() != attempt.url().origin()) {
                attempt.error("redirect to another host refused (credentials are only sent to the host they belong to)")
            } else {
                attempt.follow()
            }
        });
        let mut builder = Client::builder()
            .user_agent(concat!("hardpin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(deadline.min(Duration::from_secs(10)))
            .timeout(deadline)
            .redirect(same_origin)
            .no_proxy();
        if let Some(p) = https_proxy() {
            builder = builder.proxy(p);
        }
        Ok(Self {
            client: builder.build()?,
            deadline,
            requests: AtomicUsize::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Send the request `build` makes, retrying transient failures, and read
    /// the body up to `cap` bytes, all within the client's deadline.
    pub async fn fetch(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
        cap: usize,
    ) -> Result<Fetched, HttpError> {
        let end = Instant::now() + self.deadline;
        match tokio::time::timeout_at(end, self.fetch_inner(&build, cap, end)).await {
            // The client's own timeout is the same deadline: one message.
            Ok(Err(HttpError::Network(e))) if e.is_timeout() => {
                Err(HttpError::Deadline(self.deadline))
            }
            Ok(result) => result,
            Err(_) => Err(HttpError::Deadline(self.deadline)),
        }
    }

    async fn fetch_inner(
        &self,
        build: &impl Fn(&Client) -> RequestBuilder,
        cap: usize,
        end: Instant,
    ) -> Result<Fetched, HttpError> {
        let mut attempt = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let result = build(&self.client).send().await;
            let wait = match &result {
                Ok(resp) if is_transient(resp.status()) => {
                    retry_after(resp).unwrap_or(backoff(attempt))
                }
                Err(e)
                    if e.is_timeout() || e.is_connect() || e.is_request() && !e.is_redirect() =>
                {
                    backoff(attempt)
                }
                _ => return read_capped(result?, cap).await,
            };
            let wait = wait.min(MAX_RETRY_AFTER);
            // No time left for another try: give the answer we have.
            if attempt >= RETRIES || Instant::now() + wait >= end {
                return read_capped(result?, cap).await;
            }
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }
}

/// Read a body in chunks, refusing it as soon as it passes `cap` (and before
/// reading anything when `Content-Length` already says so).
async fn read_capped(mut resp: Response, cap: usize) -> Result<Fetched, HttpError> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(HttpError::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Err(HttpError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status: resp.status(),
        headers: resp.headers().clone(),
        body,
    })
}

fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF * 2u32.pow(attempt)
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A 503 first, with `retry_after`; then 200.
    async fn flaky(retry_after: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", retry_after))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn retry_after_is_waited_for_then_the_request_retried() {
        let server = flaky("1").await;
        let client = HttpClient::new(Duration::from_secs(20)).unwrap();
        let start = Instant::now();
        let got = client.fetch(|c| c.get(server.uri()), 1024).await.unwrap();
        assert_eq!(
            (got.status, got.body.as_slice()),
            (StatusCode::OK, &b"ok"[..])
        );
        assert_eq!(client.request_count(), 2);
        assert!(start.elapsed() >= Duration::from_secs(1), "did not wait");
    }

    /// A wait that would pass the deadline is not taken: the answer at hand
    /// is returned at once instead of sleeping into the timeout.
    #[tokio::test]
    async fn retry_after_past_the_deadline_gives_the_answer_at_hand() {
        let server = flaky("3600").await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let got = client.fetch(|c| c.get(server.uri()), 1024).await.unwrap();
        assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(client.request_count(), 1);
    }
}
