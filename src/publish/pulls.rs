//! Opening or updating the one pull request from hardpin's branch.

use std::time::Duration;

use octocrab::Octocrab;
use octocrab::params::State;

use super::PrError;
use crate::secret::Secret;

pub struct PullRequestSpec<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub branch: &'a str,
    pub base: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub draft: bool,
    pub labels: &'a [String],
}

/// What happened on GitHub.
#[derive(Debug)]
pub enum Opened {
    Created(String),
    Updated(String),
}

pub(super) fn api(e: octocrab::Error) -> PrError {
    PrError::Api(crate::net::redact_url(&crate::net::error_chain(&e)))
}

/// The API base, if the token may be sent to it: https, or plain http only
/// to a loopback address (a local stand-in), the same rule as for ref
/// listings. Checked before any request is made.
pub fn api_base(raw: &str) -> Result<reqwest::Url, PrError> {
    let refused = || PrError::InsecureApi(crate::net::redact_url(raw));
    let url = reqwest::Url::parse(raw).map_err(|_| refused())?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if crate::net::is_loopback(&url) => Ok(url),
        _ => Err(refused()),
    }
}

/// The API client: the token goes to `api_base` alone (checked by
/// [`api_base`]). Every connection, read and write gives up after
/// `timeout`, so a host that never answers cannot hang the run. Built
/// inside a Tokio runtime.
pub fn client(
    api_base: &reqwest::Url,
    token: &Secret,
    timeout: Duration,
) -> Result<Octocrab, PrError> {
    Octocrab::builder()
        .base_uri(api_base.as_str())
        .map_err(api)?
        .personal_token(token.expose().to_string())
        .set_connect_timeout(Some(timeout))
        .set_read_timeout(Some(timeout))
        .set_write_timeout(Some(timeout))
        .build()
        .map_err(api)
}

/// Update the open pull request from `branch` if there is one, else create it.
pub async fn open_or_update(
    crab: &Octocrab,
    spec: &PullRequestSpec<'_>,
) -> Result<Opened, PrError> {
    let pulls = crab.pulls(spec.owner, spec.repo);
    let open = pulls
        .list()
        .state(State::Open)
        .head(format!("{}:{}", spec.owner, spec.branch))
        .send()
        .await
        .map_err(api)?;
    let url = |pr: &octocrab::models::pulls::PullRequest| {
        pr.html_url
            .as_ref()
            .map_or_else(|| pr.url.clone(), ToString::to_string)
    };
    if let Some(existing) = open.items.first() {
        let pr = pulls
            .update(existing.number)
            .title(spec.title)
            .body(spec.body)
            .send()
            .await
            .map_err(api)?;
        return Ok(Opened::Updated(url(&pr)));
    }
    let pr = pulls
        .create(spec.title, spec.branch, spec.base)
        .body(spec.body)
        .draft(spec.draft)
        .send()
        .await
        .map_err(api)?;
    if !spec.labels.is_empty() {
        crab.issues(spec.owner, spec.repo)
            .add_labels(pr.number, spec.labels)
            .await
            .map_err(api)?;
    }
    Ok(Opened::Created(url(&pr)))
}

#[cfg(test)]
mod tests {
    use super::api_base;

    #[test]
    fn token_goes_only_over_https_or_to_loopback() {
        assert!(api_base("https://api.github.com").is_ok());
        assert!(api_base("https://ghe.example.com/api/v3").is_ok());
        assert!(api_base("http://127.0.0.1:8080").is_ok());
        assert!(api_base("http://localhost:8080/api").is_ok());
        for bad in [
            "http://example.invalid:1",
            "http://10.0.0.1",
            "ftp://api.github.com",
            "api.github.com",
            "",
        ] {
            assert!(api_base(bad).is_err(), "{bad}");
        }
        let e = api_base("http://bob:SECRET@10.0.0.1")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("SECRET") && e.contains("***@"), "{e}");
    }
}
