//! One HTTP client for every resolver: timeouts, bounded retries with backoff
//! on 429/5xx and network errors, redirects only within the same origin (so a
//! credential is never carried to another host), and a request counter for
//! the summary and the benchmark.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response, StatusCode, redirect};

/// Retries after the first attempt.
const RETRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

pub struct HttpClient {
    client: Client,
    requests: AtomicUsize,
}

impl HttpClient {
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
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
        let client = Client::builder()
            .user_agent(concat!("hardpin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .redirect(same_origin)
            .build()?;
        Ok(Self {
            client,
            requests: AtomicUsize::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Send the request `build` makes, retrying transient failures.
    pub async fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, reqwest::Error> {
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
                _ => return result,
            };
            if attempt >= RETRIES {
                return result;
            }
            attempt += 1;
            tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
        }
    }
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
