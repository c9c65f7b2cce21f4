//! `hardpin pr`: the fix, as one pull request that later runs update (or,
//! `--group none`, one per updated dependency besides); in the local
//! checkout, or (`--repo`) in repositories it clones itself.

mod api;
mod propose;
mod sweep;

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{Group, PrArgs};
use crate::net::redact_url;
use crate::pipeline::{self, EXIT_ERROR, Output, Plan, Run};
use crate::progress::Progress;
use crate::publish::PrError;
use crate::publish::body::rel;
use crate::publish::git::{self, PushAuth};
use crate::publish::pulls::{self, Opened};
use crate::publish::remote::parse_remote;
use crate::publish::updates::{self, Update};
use crate::setup::{self, github_token};
use crate::transforms::Mode;
use api::Api;
use propose::{Destination, Proposal};

/// Run `hardpin pr`; every failure is printed with a hint, and with the
/// userinfo of any URL in it redacted.
pub fn pr(args: &PrArgs) -> ExitCode {
    let result = if args.repos.is_empty() && args.repos_file.is_none() {
        local(args)
    } else {
        sweep::sweep(args)
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "{}",
                crate::render::error(e.kind(), &e.to_string(), e.hint())
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The pull request's URL: on stdout, unless stdout carries the JSON report.
fn say(args: &PrArgs, line: &str) {
    if args.output.format == crate::cli::Format::Json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// What every repository of a run shares: where the API and the git server
/// are, and the token, checked before anything is sent anywhere.
struct Session {
    token: crate::secret::Secret,
    api_base: reqwest::Url,
    server: String,
}

impl Session {
    fn new(args: &PrArgs) -> Result<Self, PrError> {
        crate::refs::validate_ref(&args.branch)
            .map_err(|_| PrError::BranchName(args.branch.clone()))?;
        let token = github_token().ok_or(PrError::NoToken)?;
        // Before anything is sent anywhere: the API must be fit for the token.
        // `--github-api-url` / `GITHUB_API_URL` (clap reads the variable).
        let api_base = pulls::api_base(
            args.resolve
                .github_api_url
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or("https://api.github.com"),
        )?;
        let server = setup::server_url(&args.resolve).to_string();
        Ok(Self {
            token,
            api_base,
            server,
        })
    }

    fn push_auth(&self) -> PushAuth {
        PushAuth {
            token: Some(self.token.clone()),
            github: reqwest::Url::parse(&self.server).ok(),
        }
    }
}

/// The pull requests opened or updated in one repository; none when there
/// was nothing to change.
#[derive(Debug, Default)]
pub(crate) struct Published(Vec<Opened>);

impl Published {
    /// `created URL` or `updated URL` per pull request, credentials redacted.
    fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|o| match o {
                Opened::Created(url) => format!("created {}", redact_url(url)),
                Opened::Updated(url) => format!("updated {}", redact_url(url)),
            })
            .collect()
    }
}

/// `hardpin pr` in the local checkout.
fn local(args: &PrArgs) -> Result<ExitCode, PrError> {
    let session = Session::new(args)?;
    let repo = git::open(&args.path)?;
    if !args.allow_dirty && git::is_dirty(&repo)? {
        return Err(PrError::Dirty);
    }
    if git::current_branch(&repo).as_deref() == Some(args.branch.as_str()) {
        return Err(PrError::OnBranch(args.branch.clone()));
    }
    let remote_url = repo
        .find_remote(&args.remote)?
        .url()
        .unwrap_or_default()
        .to_string();
    let (owner, name) = match parse_remote(&remote_url) {
        Some((_, o, n)) => (o, n),
        None => std::env::var("GITHUB_REPOSITORY")
            .ok()
            .and_then(|r| {
                r.split_once('/')
                    .map(|(o, n)| (o.to_string(), n.to_string()))
            })
            .ok_or_else(|| PrError::RepoId(redact_url(&remote_url)))?,
    };
    let (published, code) = publish(&repo, &args.remote, &owner, &name, &session, args, true)?;
    for line in published.lines() {
        say(args, &line);
    }
    Ok(ExitCode::from(code))
}

/// Fix the base branch of `repo` (which `remote` is `owner/name` on the
/// server), commit, push, and open or update the pull request (one per
/// updated dependency and one for the fixes with `--group none`). `show`
/// prints the findings and notes (one repository at a time). Returns what
/// was published and the exit code of the fix.
fn publish(
    repo: &git2::Repository,
    remote: &str,
    owner: &str,
    name: &str,
    session: &Session,
    args: &PrArgs,
    show: bool,
) -> Result<(Published, u8), PrError> {
    let base = git::base(repo, remote, args.base.as_deref())?;
    let to = Destination {
        repo,
        remote,
        owner,
        name,
        base: &base,
    };
    // Before any work: the usual branch must be one hardpin may push.
    propose::guard(&to, &args.branch)?;
    // Fix a copy of the base tree; the user's files are not touched.
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_path_buf();
    for skipped in git::write_tree(repo, base.commit, &root)? {
        if args.output.quiet || !show {
            continue;
        }
        eprintln!(
            "warning[pr]: `{skipped}` in {} is not a safe file name; it was not checked and is left as it is",
            base.name
        );
    }
    let mode = if args.update {
        Mode::FixAndUpdate
    } else {
        Mode::Fix
    };
    // The configuration is the base tree's own (or `--config`): the copy
    // is not a git repository, so no walk up from it.
    let config = match &args.select.config {
        Some(_) => setup::config(&args.select, std::slice::from_ref(&root))?,
        None if root.join(crate::config::FILE_NAME).is_file() => {
            crate::config::Config::load(&root.join(crate::config::FILE_NAME))
                .map_err(crate::setup::SetupError::from)?
        }
        None => crate::config::Config::empty(&root),
    };
    let transforms = setup::transforms(mode, args.major, &args.select, &config)?;
    let resolver = setup::resolver(&args.resolve)?;
    let progress = Progress::start(
        resolver.tallies.clone(),
        show && crate::progress::wanted(&args.output),
    );
    let plan = Plan {
        paths: std::slice::from_ref(&root),
        transforms: &transforms,
        resolver: &resolver,
        level: setup::fix_level(&args.select),
        output: Output::Text,
        config: &config,
    };
    let prepared = pipeline::prepare(&plan);
    let fixed = relative(&root, prepared.fix(&plan, &|_| true));
    drop(progress);
    if show {
        crate::render::run(&fixed, &args.output);
    }
    let code = fixed.exit_code(false);
    if !fixed.reports.iter().any(|r| r.fixed.is_some()) {
        if show && !args.output.quiet {
            eprintln!(
                "hardpin: nothing to change on {}; no commit, no push, no pull request",
                base.name
            );
        }
        return Ok((Published::default(), code));
    }

    let api = Api::new(session, Duration::from_secs(args.resolve.timeout))?;
    let server = reqwest::Url::parse(&session.server).ok();
    let releases = api.releases(&updates::repositories(&fixed.reports));
    let moved = updates::collect(
        &fixed.reports,
        server.as_ref(),
        &prepared.resolved.listings,
        &releases,
    );
    let proposals = match args.group {
        Group::All => Vec::from_iter(Proposal::new(
            args.branch.clone(),
            args.title.clone(),
            &fixed.reports,
            &moved,
            &command(args, true, args.update),
        )),
        // The same files fixed again from what was resolved once, each
        // pass keeping one part of the changes: every commit holds exactly
        // its own, verified like any fix.
        Group::PerDependency => {
            let fixes = relative(&root, prepared.fix(&plan, &|c| !updates::is_update(c)));
            let mut all = Vec::from_iter(Proposal::new(
                args.branch.clone(),
                args.title.clone(),
                &fixes.reports,
                &[],
                &command(args, true, false),
            ));
            for dependency in updates::dependencies(&fixed.reports) {
                let mut run = relative(&root, prepared.fix(&plan, &|c| dependency.owns(c)));
                // What was left alone is the fixes' pull request's to say.
                for r in &mut run.reports {
                    r.findings.clear();
                }
                let own: Vec<Update> = moved
                    .iter()
                    .filter(|u| u.dependency == dependency)
                    .cloned()
                    .collect();
                all.extend(Proposal::new(
                    dependency.branch(),
                    updates::title(&dependency, &own),
                    &run.reports,
                    &own,
                    &command(args, false, true),
                ));
            }
            all
        }
    };
    let auth = session.push_auth();
    let mut opened = Vec::new();
    for p in &proposals {
        opened.push(propose::open(&to, p, args, &auth, &api)?);
    }
    Ok((Published(opened), code))
}

/// Report paths relative to the repository, as commits and bodies show them.
fn relative(root: &std::path::Path, mut run: Run) -> Run {
    for r in &mut run.reports {
        r.path = rel(root, &r.path).into();
        for f in &mut r.findings {
            f.path = r.path.clone();
        }
    }
    run
}

/// The commands that reproduce a pull request locally.
fn command(args: &PrArgs, fix: bool, update: bool) -> String {
    let mut options = String::new();
    if !args.select.only.is_empty() {
        options.push_str(&format!(" --only {}", args.select.only.join(",")));
    }
    if !args.select.skip.is_empty() {
        options.push_str(&format!(" --skip {}", args.select.skip.join(",")));
    }
    if args.select.unsafe_fixes {
        options.push_str(" --unsafe-fixes");
    }
    let mut commands = Vec::new();
    if fix {
        commands.push(format!("hardpin fix{options} ."));
    }
    if update {
        let major = if args.major { " --major" } else { "" };
        commands.push(format!("hardpin update{major}{options} ."));
    }
    commands.join(" && ")
}
