//! A repository's releases from the GitHub REST API, for the releases an
//! update crosses. The token goes through the pull request's own client,
//! so only to the API base [`super::pulls::api_base`] accepted.

use octocrab::Octocrab;
use reqwest::Url;
use serde::Deserialize;

use super::PrError;
use super::pulls::api;
use super::updates::Release;
use crate::refs::RepoId;

/// The fields read from a release; GHES and github.com agree on these.
#[derive(Deserialize)]
struct ApiRelease {
    tag_name: String,
    name: Option<String>,
    html_url: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
}

/// The newest 100 published releases of `repo` (drafts and pre-releases
/// left out): one request, as many as an update is likely to cross.
pub async fn list(crab: &Octocrab, repo: &RepoId) -> Result<Vec<Release>, PrError> {
    let route = format!("/repos/{}/{}/releases", repo.owner, repo.name);
    let page: Vec<ApiRelease> = crab
        .get(route, Some(&[("per_page", "100")]))
        .await
        .map_err(api)?;
    Ok(page
        .into_iter()
        .filter(|r| !r.draft && !r.prerelease)
        .map(|r| Release {
            tag: r.tag_name,
            name: r.name.filter(|n| !n.trim().is_empty()),
            url: r.html_url.as_deref().and_then(web_page),
        })
        .collect())
}

/// A page to link to: http or https only (never `javascript:` and the like).
fn web_page(raw: &str) -> Option<Url> {
    Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
}

#[cfg(test)]
mod tests {
    use super::web_page;

    #[test]
    fn only_web_pages_are_linked() {
        assert!(web_page("https://github.com/a/b/releases/tag/v1").is_some());
        assert!(web_page("javascript:alert(1)").is_none());
        assert!(web_page("data:text/html,x").is_none());
        assert!(web_page("not a url").is_none());
    }
}
