//! `hardpin pr`: the fix, as one pull request that later runs update; in
//! the local checkout, or (`--repo`) in repositories it clones itself.

mod sweep;

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::PrArgs;
use crate::net::redact_url;
use crate::pipeline::{EXIT_ERROR, Output, Plan};
use crate::progress::Progress;
use crate::publish::PrError;
use crate::publish::body::{commit_message, pr_body, rel};
use crate::publish::git::{self, PushAuth};
use crate::publish::pulls::{self, Opened, PullRequestSpec, open_or_update};
use crate::publish::remote::parse_remote;
use crate::setup::{self, github_token};
use crate::transforms::Mode;

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

fn setting(flag: Option<&str>, env: &str, default: &str) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var(env).ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
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
        let api_base = pulls::api_base(&setting(
            args.resolve.github_api_url.as_deref(),
            "GITHUB_API_URL",
            "https://api.github.com",
        ))?;
        let server = setting(
            args.resolve.github_url.as_deref(),
            "GITHUB_SERVER_URL",
            "https://github.com",
        );
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

/// What became of one repository.
pub(crate) enum Published {
    Nothing,
    Created(String),
    Updated(String),
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
    match published {
        // With `--format json`, stdout holds the report alone.
        Published::Created(url) => say(args, &format!("created {}", redact_url(&url))),
        Published::Updated(url) => say(args, &format!("updated {}", redact_url(&url))),
        Published::Nothing => {}
    }
    Ok(ExitCode::from(code))
}

/// Fix the base branch of `repo` (which `remote` is `owner/name` on the
/// server), commit, push, and open or update the pull request. `show`
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
    // hardpin force-pushes its branch: never onto what the pull request goes
    // into, nor onto the branch everyone works from.
    if args.branch == base.name
        || git::default_branch(repo, remote).as_deref() == Some(args.branch.as_str())
    {
        return Err(PrError::BranchIsBase(args.branch.clone()));
    }
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
    let mut fixed = crate::pipeline::run(&Plan {
        paths: std::slice::from_ref(&root),
        transforms: &transforms,
        resolver: &resolver,
        level: setup::fix_level(&args.select),
        output: Output::Text,
        config: &config,
    });
    drop(progress);
    // From here on, paths are relative to the repository.
    for r in &mut fixed.reports {
        r.path = rel(&root, &r.path).into();
        for f in &mut r.findings {
            f.path = r.path.clone();
        }
    }
    if show {
        crate::render::run(&fixed, &args.output);
    }
    let files: Vec<(String, String)> = fixed
        .reports
        .iter()
        .filter_map(|r| Some((r.path.to_string_lossy().to_string(), r.fixed.clone()?)))
        .collect();
    let code = fixed.exit_code(false);
    if files.is_empty() {
        if show && !args.output.quiet {
            eprintln!(
                "hardpin: nothing to change on {}; no commit, no push, no pull request",
                base.name
            );
        }
        return Ok((Published::Nothing, code));
    }

    let sig = git::signature(repo, args.author.as_deref())?;
    let commit = git::commit(
        repo,
        &base,
        &files,
        &sig,
        &commit_message(&args.title, &fixed.reports),
    )?;
    git::push(repo, remote, commit, &args.branch, &session.push_auth())?;

    let mut command = String::from(if args.update {
        "hardpin fix . && hardpin update"
    } else {
        "hardpin fix"
    });
    if !args.select.only.is_empty() {
        command.push_str(&format!(" --only {}", args.select.only.join(",")));
    }
    if !args.select.skip.is_empty() {
        command.push_str(&format!(" --skip {}", args.select.skip.join(",")));
    }
    if args.select.unsafe_fixes {
        command.push_str(" --unsafe-fixes");
    }
    command.push_str(" .");
    let body = pr_body(&fixed.reports, &command);
    let spec = PullRequestSpec {
        owner,
        repo: name,
        branch: &args.branch,
        base: &base.name,
        title: &args.title,
        body: &body,
        draft: args.draft,
        labels: &args.label,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let timeout = Duration::from_secs(args.resolve.timeout);
    let opened = runtime.block_on(open_or_update(
        &session.api_base,
        &session.token,
        timeout,
        &spec,
    ))?;
    let published = match opened {
        Opened::Created(url) => Published::Created(url),
        Opened::Updated(url) => Published::Updated(url),
    };
    Ok((published, code))
}
