//! Opening or updating the one pull request from hardpin's branch.

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

fn api(e: octocrab::Error) -> PrError {
    PrError::Api(crate::net::error_chain(&e))
}

/// Update the open pull request from `branch` if there is one, else create it.
pub async fn open_or_update(
    api_base: &str,
    token: &Secret,
    spec: &PullRequestSpec<'_>,
) -> Result<Opened, PrError> {
    let crab = Octocrab::builder()
        .base_uri(api_base)
        .map_err(api)?
        .personal_token(token.expose().to_string())
        .build()
        .map_err(api)?;
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
