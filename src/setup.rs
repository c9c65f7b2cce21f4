//! Turning the command line and the environment into what a run needs:
//! the transforms, the resolver, the fix level. Every problem found here
//! stops the run before any file is read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{ResolveArgs, SelectArgs};
use crate::config::Config;
use crate::diagnostics::Applicability;
use crate::resolve::actions::ActionResolver;
use crate::resolve::cache::DiskCache;
use crate::resolve::commits::CommitResolver;
use crate::resolve::docker_config::DockerCredentials;
use crate::resolve::files::{FileResolver, default_raw_url, token_allowed};
use crate::resolve::github::GitHubRefs;
use crate::resolve::http::HttpClient;
use crate::resolve::images::ImageResolver;
use crate::resolve::network::NetworkResolver;
use crate::resolve::oci::{RegistryClient, RegistryConfig};
use crate::resolve::tally::Tallies;
use crate::secret::Secret;
use crate::transforms::permissions::kb::Kb;
use crate::transforms::{DynTransform, Mode, select};

/// A problem with the invocation itself, before any file is looked at.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Transform(#[from] crate::transforms::UnknownTransform),
    #[error(transparent)]
    Kb(#[from] crate::transforms::permissions::kb::KbError),
    #[error("invalid URL `{url}` for {what}: {reason}")]
    Url {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error("cannot start the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("cannot read Docker's config.json: {0}")]
    DockerConfig(#[from] crate::resolve::docker_config::DockerConfigError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

impl SetupError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            SetupError::Transform(_) => "see `hardpin --help` for the transforms' names",
            SetupError::Kb(_) => {
                "fix the knowledge-base file; its format is in transforms/permissions/README.md"
            }
            SetupError::Url { .. } => "give an http(s) URL with a host and no credentials",
            SetupError::Http(_) | SetupError::Runtime(_) => {
                "this machine could not start what hardpin needs; run again"
            }
            SetupError::Config(e) => e.hint(),
            SetupError::DockerConfig(_) => {
                "fix Docker's config.json, or point DOCKER_CONFIG elsewhere"
            }
        }
    }
}

/// The GitHub token from the environment (`GITHUB_TOKEN`, then `GH_TOKEN`).
pub fn github_token() -> Option<Secret> {
    ["GITHUB_TOKEN", "GH_TOKEN"]
        .iter()
        .find_map(|v| std::env::var(v).ok().and_then(Secret::new))
}

fn parse_url(what: &'static str, raw: &str) -> Result<reqwest::Url, SetupError> {
    let err = |reason: &str| SetupError::Url {
        what,
        url: crate::net::redact_url(raw),
        reason: reason.to_string(),
    };
    let url = reqwest::Url::parse(raw).map_err(|e| err(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(err("expected an http(s) URL with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            "credentials do not belong in the URL; use GITHUB_TOKEN",
        ));
    }
    Ok(url)
}

/// The GitHub server: `--github-url` / `GITHUB_SERVER_URL` (clap reads
/// the variable), else github.com.
pub fn server_url(args: &ResolveArgs) -> &str {
    args.github_url
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("https://github.com")
}

/// The REST API of the GitHub host: `--github-api-url`/`GITHUB_API_URL`,
/// else `https://api.github.com` for github.com and `{server}/api/v3` for
/// GitHub Enterprise Server.
pub fn api_url(args: &ResolveArgs, server: &reqwest::Url) -> Result<reqwest::Url, SetupError> {
    match args
        .github_api_url
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(raw) => parse_url("--github-api-url", raw),
        None if server.host_str() == Some("github.com") => {
            parse_url("--github-api-url", "https://api.github.com")
        }
        None => parse_url(
            "--github-api-url",
            &format!("{}/api/v3", server.as_str().trim_end_matches('/')),
        ),
    }
}

/// A token goes to an API only over https, or to a loopback stand-in.
pub fn may_carry_token(url: &reqwest::Url) -> bool {
    url.scheme() == "https" || url.scheme() == "http" && crate::net::is_loopback(url)
}

/// The network resolver the flags and environment describe.
pub fn resolver(args: &ResolveArgs) -> Result<NetworkResolver, SetupError> {
    let base = parse_url("--github-url", server_url(args))?;
    let timeout = Duration::from_secs(args.timeout);
    let client = || {
        HttpClient::new(timeout)
            .map(Arc::new)
            .map_err(SetupError::Http)
    };
    let cache = if args.no_cache {
        DiskCache::disabled()
    } else {
        let dir = args
            .cache_dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("hardpin")));
        DiskCache::new(dir, Duration::from_secs(args.cache_ttl))
    };
    let mut registries = RegistryConfig {
        insecure: args
            .insecure_registry
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        credentials: DockerCredentials::load()?,
        ..RegistryConfig::default()
    };
    for m in &args.registry_mirror {
        let (host, url) = m.split_once('=').ok_or_else(|| SetupError::Url {
            what: "--registry-mirror",
            url: m.clone(),
            reason: "expected HOST=URL".into(),
        })?;
        registries.mirrors.insert(
            host.to_ascii_lowercase(),
            parse_url("--registry-mirror", url)?,
        );
    }
    let concurrency = usize::from(args.concurrency);
    let token = github_token();
    let tallies = Arc::new(Tallies::default());
    let raw = match args.raw_url.as_deref() {
        Some(r) => parse_url("--raw-url", r)?,
        None => default_raw_url(&base),
    };
    let api = api_url(args, &base)?;
    let commits = CommitResolver {
        http: client()?,
        token: token.clone().filter(|_| may_carry_token(&api)),
        api,
        cache: cache.clone(),
        offline: args.offline,
        concurrency,
        tally: tallies.commits.clone(),
    };
    let files = FileResolver {
        http: client()?,
        token: token.clone().filter(|_| token_allowed(&raw, &base)),
        raw,
        cache: cache.clone(),
        offline: args.offline,
        concurrency,
        tally: tallies.files.clone(),
    };
    Ok(NetworkResolver {
        files,
        commits,
        actions: ActionResolver {
            github: GitHubRefs::new(client()?, base, token),
            cache: cache.clone(),
            offline: args.offline,
            concurrency,
            tally: tallies.repos.clone(),
        },
        // A client of its own: the GitHub token can never reach a registry.
        images: ImageResolver {
            registry: RegistryClient::new(client()?, registries),
            cache,
            offline: args.offline,
            concurrency,
            tally: tallies.images.clone(),
        },
        runtime: NetworkResolver::runtime()?,
        tallies,
    })
}

/// The configuration: `--config FILE`, else the nearest `hardpin.toml` at or
/// above the first path, else none (an empty one).
pub fn config(sel: &SelectArgs, paths: &[PathBuf]) -> Result<Config, SetupError> {
    let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
    Ok(match &sel.config {
        Some(file) => Config::load(file)?,
        None => match Config::find(first)? {
            Some(c) => c,
            None => Config::empty(first),
        },
    })
}

/// The transforms `mode` runs, narrowed by `--only`/`--skip` (else the
/// configuration's), with the knowledge base they read: the built-in one,
/// the configuration's additions, then `--permissions-kb`.
pub fn transforms(
    mode: Mode,
    major: bool,
    sel: &SelectArgs,
    config: &Config,
) -> Result<Vec<Box<dyn DynTransform>>, SetupError> {
    let mut kb_files = config.permissions_kb.clone();
    kb_files.extend(sel.permissions_kb.clone());
    let kb = Kb::load(&kb_files)?;
    let also: &[&str] = if sel.fix_comments && mode != Mode::Audit {
        &["fix-comments"]
    } else {
        &[]
    };
    // The configuration's lists name transforms of every command; each
    // command takes those it has. Flags are checked strictly.
    let known = crate::transforms::names(mode);
    let of_mode = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|n| known.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    let only = if sel.only.is_empty() {
        of_mode(&config.only)
    } else {
        sel.only.clone()
    };
    let skip = if sel.skip.is_empty() {
        of_mode(&config.skip)
    } else {
        sel.skip.clone()
    };
    Ok(select(mode, &only, &skip, also, Arc::new(kb), major)?)
}

/// The least certain fixes `--unsafe-fixes` lets through.
pub fn fix_level(sel: &SelectArgs) -> Applicability {
    if sel.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    }
}
