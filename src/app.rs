//! The commands: wire discovery, resolution, the pipeline and output
//! together, and decide the exit code. This is where the world is touched.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{ColorChoice, FixArgs, Format, OutputArgs, ResolveArgs, SelectArgs};
use crate::discover::{DiscoverError, discover};
use crate::pipeline::{collect_all, fix_targets};
use crate::report::{
    FileReport, Finding, Severity, Summary, format_finding, print_diff, unified_diff,
};
use crate::resolve::actions::ActionResolver;
use crate::resolve::cache::DiskCache;
use crate::resolve::docker_config::DockerCredentials;
use crate::resolve::files::{FileResolver, default_raw_url, token_allowed};
use crate::resolve::github::GitHubRefs;
use crate::resolve::http::HttpClient;
use crate::resolve::images::ImageResolver;
use crate::resolve::oci::{RegistryClient, RegistryConfig};
use crate::secret::Secret;
use crate::transforms::permissions::kb::Kb;
use crate::transforms::{Mode, Needs, Resolved, select};
use crate::write::write_atomic;

/// Exit codes: everything done / clean.
pub const EXIT_OK: u8 = 0;
/// `--check` found something to change.
pub const EXIT_CHANGES: u8 = 1;
/// Any error.
pub const EXIT_ERROR: u8 = 2;

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
    Http(String),
    #[error("cannot read Docker's config.json: {0}")]
    DockerConfig(String),
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
            SetupError::DockerConfig(_) => {
                "fix Docker's config.json, or point DOCKER_CONFIG elsewhere"
            }
        }
    }

    /// Print the error the way every error of hardpin is printed.
    pub fn report(&self) {
        eprintln!(
            "error[setup]: {}\n  help: {}",
            crate::printable::escape(&self.to_string()),
            self.hint()
        );
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

/// Everything that fetches: action ref listings, image digests, and files
/// of other repositories.
pub struct Resolvers {
    pub actions: ActionResolver,
    pub images: ImageResolver,
    pub files: FileResolver,
}

/// Rounds of remote files: a workflow calls an action that calls another…
/// Real chains are two or three deep.
const MAX_ROUNDS: usize = 5;

impl Resolvers {
    /// The resolvers described by the flags and environment.
    pub fn from_args(args: &ResolveArgs) -> Result<Self, SetupError> {
        let server = args
            .github_url
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("https://github.com");
        let base = parse_url("--github-url", server)?;
        let timeout = Duration::from_secs(args.timeout);
        let client = || {
            HttpClient::new(timeout)
                .map(Arc::new)
                .map_err(|e| SetupError::Http(e.to_string()))
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
            credentials: DockerCredentials::load().map_err(|e| SetupError::DockerConfig(e.to_string()))?,
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
        let raw = match args.raw_url.as_deref() {
            Some(r) => parse_url("--raw-url", r)?,
            None => default_raw_url(&base),
        };
        let files = FileResolver {
            http: client()?,
            token: token.clone().filter(|_| token_allowed(&raw, &base)),
            raw,
            cache: cache.clone(),
            offline: args.offline,
            concurrency,
        };
        Ok(Self {
            files,
            actions: ActionResolver {
                github: GitHubRefs::new(client()?, base, token),
                cache: cache.clone(),
                offline: args.offline,
                concurrency,
            },
            // A client of its own: the GitHub token can never reach a registry.
            images: ImageResolver {
                registry: RegistryClient::new(client()?, registries),
                cache,
                offline: args.offline,
                concurrency,
            },
        })
    }

    /// Resolve every need, actions and images at the same time.
    pub fn resolve(&self, needs: &Needs) -> Result<Resolved, SetupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (listings, images, files) = runtime.block_on(async {
            tokio::join!(
                self.actions.resolve(&needs.repos),
                self.images.resolve(&needs.images),
                self.files.resolve(&needs.files)
            )
        });
        Ok(Resolved {
            listings,
            images,
            files,
        })
    }

    /// Resolve `needs`, then what the transforms find they need next, in
    /// rounds, until nothing new is asked for.
    pub fn resolve_all(
        &self,
        needs: &Needs,
        transforms: &[Box<dyn crate::transforms::Transform>],
    ) -> Result<Resolved, SetupError> {
        let mut resolved = self.resolve(needs)?;
        for _ in 0..MAX_ROUNDS {
            let mut more = Needs::default();
            for t in transforms {
                t.more_needs(needs, &resolved, &mut more);
            }
            more.retain_unresolved(&resolved);
            if more.is_empty() {
                break;
            }
            resolved.merge(self.resolve(&more)?);
        }
        Ok(resolved)
    }

    /// Requests sent so far, retries included.
    pub fn request_count(&self) -> usize {
        self.actions.github.request_count()
            + self.images.registry.request_count()
            + self.files.request_count()
    }
}

fn use_color(choice: ColorChoice) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Transforms run over paths; nothing written yet.
pub struct Run {
    pub reports: Vec<FileReport>,
    /// The tree each file was found in (writes never leave it).
    pub roots: BTreeMap<PathBuf, PathBuf>,
    pub discover_errors: Vec<DiscoverError>,
    pub requests: usize,
}

/// Discover, load, resolve and transform: the whole pipeline but the writes.
pub fn run_transforms(
    mode: Mode,
    major: bool,
    paths: &[PathBuf],
    sel: &SelectArgs,
    resolve: &ResolveArgs,
) -> Result<Run, SetupError> {
    let kb = Kb::load(sel.permissions_kb.as_deref())?;
    let transforms = select(mode, &sel.only, &sel.skip, Arc::new(kb), major)?;
    let resolvers = Resolvers::from_args(resolve)?;
    let (targets, discover_errors) = discover(paths);
    let (needs, loaded, mut reports) = collect_all(targets, &transforms);
    let resolved = resolvers.resolve_all(&needs, &transforms)?;
    let roots = loaded
        .iter()
        .map(|t| (t.path.clone(), t.root.clone()))
        .collect();
    reports.extend(fix_targets(loaded, &transforms, &resolved));
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Run {
        reports,
        roots,
        discover_errors,
        requests: resolvers.request_count(),
    })
}

impl Run {
    /// Write every fixed file; a failed write becomes an error finding.
    pub fn write(&mut self) {
        for report in self.reports.iter_mut().filter(|r| r.fixed.is_some()) {
            let (Some(text), Some(root)) = (&report.fixed, self.roots.get(&report.path)) else {
                continue;
            };
            if let Err(e) = write_atomic(&report.path, root, text) {
                report.findings.push(Finding {
                    path: report.path.clone(),
                    line: 1,
                    column: 1,
                    severity: Severity::Error,
                    transform: "write",
                    message: e.to_string(),
                    hint: Some("the file was left as it was".into()),
                });
                report.fixed = None;
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            files_scanned: self.reports.len(),
            requests: self.requests,
            errors: self.discover_errors.len(),
            ..Summary::default()
        };
        for r in &self.reports {
            let count = |sev| r.findings.iter().filter(|f| f.severity == sev).count();
            summary.files_changed += usize::from(r.fixed.is_some());
            summary.changes += if r.fixed.is_some() {
                r.changes.len()
            } else {
                0
            };
            summary.errors += count(Severity::Error);
            summary.warnings += count(Severity::Warning);
        }
        summary
    }

    /// Findings and the summary on stderr; diffs (when `diffs`) or the JSON
    /// report on stdout.
    pub fn print(&self, output: &OutputArgs, diffs: bool) -> Summary {
        let summary = self.summary();
        let color = use_color(output.color);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut err = std::io::stderr().lock();
        for e in &self.discover_errors {
            let _ = writeln!(
                err,
                "error[discover]: {}\n  help: give a file or folder that exists and can be read",
                crate::printable::escape(&e.to_string())
            );
        }
        match output.format {
            Format::Text => {
                for r in &self.reports {
                    if let (Some(fixed), true) = (&r.fixed, diffs) {
                        let _ = print_diff(
                            &mut out,
                            &unified_diff(&display_path(&r.path), &r.original, fixed),
                            color,
                        );
                    }
                    for f in &r.findings {
                        let _ = writeln!(err, "{}", format_finding(f));
                    }
                }
            }
            Format::Json => {
                let _ = writeln!(out, "{}", json_report(&self.reports, &summary, diffs));
            }
        }
        let _ = writeln!(err, "hardpin: {summary}");
        summary
    }
}

/// `hardpin fix` (and `hardpin update`, with `Mode::Update`).
pub fn fix(args: &FixArgs, mode: Mode, major: bool) -> Result<ExitCode, SetupError> {
    let mut run = run_transforms(mode, major, &args.paths, &args.select, &args.resolve)?;
    let write = !args.dry_run && !args.check;
    if write {
        run.write();
    }
    let summary = run.print(&args.output, !write);
    let code = if summary.errors > 0 {
        EXIT_ERROR
    } else if args.check && summary.files_changed > 0 {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    Ok(ExitCode::from(code))
}

fn json_report(reports: &[FileReport], summary: &Summary, with_diff: bool) -> String {
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["changed"] = r.fixed.is_some().into();
            if let (true, Some(fixed)) = (with_diff, &r.fixed) {
                v["diff"] = unified_diff(&display_path(&r.path), &r.original, fixed).into();
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "files": files, "summary": summary }))
        .unwrap_or_default()
}
