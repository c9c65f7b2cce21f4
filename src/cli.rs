//! Command-line definitions (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "hardpin",
    version,
    about = "Harden CI/CD pipelines: pin actions and images to immutable digests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fix workflows, actions, Dockerfiles and compose files in place (or show the diff).
    Fix(FixArgs),
    /// Move existing pins to the newest release in their major version.
    Update(UpdateArgs),
    /// Fix on a branch, commit, push, and open or update one pull request.
    Pr(PrArgs),
    /// Report what is wrong, fixable or not, without writing anything.
    Audit(AuditArgs),
    /// Explain an audit rule (`hardpin explain HP005`), or list them all.
    Explain(ExplainArgs),
    /// Print the completion script for a shell.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of every command and option.
    Man,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Files or folders to audit. Folders are searched, honouring .gitignore.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = MinSeverity::Warning)]
    pub min_severity: MinSeverity,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub resolve: ResolveArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id (`HP001`…); none lists every rule.
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Error,
    Warning,
    Note,
}

#[derive(Debug, Args)]
pub struct PrArgs {
    /// The git working tree (the pull request is made from its remote's base).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Start even if tracked files have uncommitted changes (they are never touched).
    #[arg(long)]
    pub allow_dirty: bool,
    /// The branch to push and open the pull request from.
    #[arg(long, default_value = "hardpin/harden")]
    pub branch: String,
    /// The branch to fix and merge into (default: the remote's default branch, else the current one).
    #[arg(long)]
    pub base: Option<String>,
    /// The remote to push to.
    #[arg(long, default_value = "origin")]
    pub remote: String,
    /// Commit author, `Name <email>` (default: git config).
    #[arg(long)]
    pub author: Option<String>,
    /// Pull request title.
    #[arg(
        long,
        default_value = "Harden CI: pin actions and images, least-privilege permissions"
    )]
    pub title: String,
    /// Open the pull request as a draft.
    #[arg(long)]
    pub draft: bool,
    /// Labels for a new pull request (repeatable).
    #[arg(long)]
    pub label: Vec<String>,
    /// Also move existing pins to newer releases (as `hardpin update`).
    #[arg(long)]
    pub update: bool,
    /// With --update, cross major versions.
    #[arg(long)]
    pub major: bool,
    /// With --update: `all` puts every change in one pull request; `none`
    /// opens one per updated dependency, from its own branch
    /// (`hardpin/update/<owner>-<repo>`), and the fixes in --branch's.
    #[arg(long, value_enum, default_value_t = Group::All)]
    pub group: Group,
    /// A repository to fix without a local checkout, `OWNER/NAME` on the
    /// GitHub server (repeatable): cloned bare and shallow into a temporary
    /// folder, fixed, pushed, and its pull request opened or updated.
    #[arg(long = "repo", value_name = "OWNER/NAME", conflicts_with = "path")]
    pub repos: Vec<String>,
    /// A file of `OWNER/NAME` lines (blank lines and `#` comments skipped),
    /// as many `--repo`.
    #[arg(long, value_name = "FILE", conflicts_with = "path")]
    pub repos_file: Option<PathBuf>,
    /// Repositories worked on at the same time with `--repo`.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub resolve: ResolveArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How `pr --update` groups its changes into pull requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Group {
    /// One pull request for everything.
    All,
    /// One pull request per updated dependency, and one for the fixes.
    #[value(name = "none")]
    PerDependency,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub run: FixArgs,
    /// Also move to newer major versions.
    #[arg(long)]
    pub major: bool,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files or folders to fix. Folders are searched, honouring .gitignore.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Print a unified diff and write nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Print a unified diff, write nothing, and exit 1 if anything would change.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub resolve: ResolveArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct SelectArgs {
    /// Run only these transforms (comma-separated: pin-actions, pin-images,
    /// permissions; harden-runner, which runs only when named here).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<String>,
    /// Do not run these transforms (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub skip: Vec<String>,
    /// Extra permissions knowledge-base entries (TOML, the format of
    /// transforms/permissions/); they win over the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub permissions_kb: Option<PathBuf>,
    /// The configuration file (default: the nearest `hardpin.toml` at or
    /// above the first path, within its git repository).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also apply fixes that rest on a guess: pinning a branch (the workflow
    /// may mean to follow it) and permissions inferred from what an action
    /// does not show. Without it they are reported, not applied.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Also rewrite version comments that name another commit's tag to the
    /// tag of the pinned commit (`fix`).
    #[arg(long)]
    pub fix_comments: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ResolveArgs {
    /// GitHub server for action repositories (GitHub Enterprise Server too).
    #[arg(long, env = "GITHUB_SERVER_URL", value_name = "URL")]
    pub github_url: Option<String>,
    /// GitHub REST API base.
    #[arg(long, env = "GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,
    /// Cache folder (default: the user's cache folder, `hardpin` in it).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache.
    #[arg(long, conflicts_with = "offline")]
    pub no_cache: bool,
    /// Seconds a cached answer stays fresh.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub cache_ttl: u64,
    /// Make no requests: use only cached answers, of any age.
    #[arg(long)]
    pub offline: bool,
    /// Requests in flight at once (per resolver). Over HTTP/2 they share one
    /// connection, so 64 hides a slow network without opening 64 sockets.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Send requests for HOST's images to a mirror or pull-through cache
    /// (same repository paths). HOST may be `*`. Repeatable.
    #[arg(
        long,
        value_name = "HOST=URL",
        env = "HARDPIN_REGISTRY_MIRROR",
        value_delimiter = ','
    )]
    pub registry_mirror: Vec<String>,
    /// Allow plain http to this registry or mirror host (loopback always is).
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Where raw files of action repositories are served, as
    /// `{URL}/{owner}/{repo}/{commit}/{path}` (default: raw.githubusercontent.com
    /// for github.com, `{github-url}/raw` for GitHub Enterprise Server).
    #[arg(long, value_name = "URL", env = "HARDPIN_RAW_URL")]
    pub raw_url: Option<String>,
    /// Seconds before a request is given up, retries included.
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour the diff (never when NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// On stderr, only errors: no notes, warnings, progress or summary line
    /// (the diff or report asked for still goes to stdout).
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say what resolving cost: per kind (repositories, images,
    /// files), how many answers came from the cache, were fetched or
    /// failed, and the requests sent.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub workflow commands: annotations on a pull request.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
