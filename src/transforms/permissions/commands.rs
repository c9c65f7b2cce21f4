//! What a `run:` script needs from the token, by the commands it runs.

use super::kb::{Kb, When, is_token};
use super::scopes::{Level, ScopeSet};
use super::unexplained::Unexplained;

/// What a script can reach.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// Names of environment variables that hold the workflow token.
    pub token_vars: Vec<String>,
}

impl RunContext {
    /// The variables of `env` that hold the workflow token.
    pub fn from_env(env: &std::collections::BTreeMap<String, String>) -> Self {
        Self {
            token_vars: env
                .iter()
                .filter(|(_, v)| is_token(v))
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }

    /// `gh` reads GH_TOKEN or GITHUB_TOKEN.
    fn gh_has_token(&self) -> bool {
        self.token_vars
            .iter()
            .any(|v| v == "GH_TOKEN" || v == "GITHUB_TOKEN")
    }
}

/// Split a script into simple commands: continuations joined, then split at
/// line ends, `;`, `&&`, `||`, `|` and the start of a command substitution
/// (`$(`, a backtick, `<(`, `>(`), so a program run inside one is seen as a
/// command of its own. Quoting is not honoured: a separator inside quotes
/// only makes a command look like two. The audit checks read scripts
/// through it too, so both see the same commands.
pub fn simple_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script
        .replace("\\\r\n", " ")
        .replace("\\\n", " ")
        .replace("$(", ";")
        .replace("<(", ";")
        .replace(">(", ";")
        .replace('`', ";");
    let mut out = Vec::new();
    for line in joined.lines() {
        for part in line
            .split("&&")
            .flat_map(|p| p.split("||"))
            .flat_map(|p| p.split([';', '|']))
        {
            let mut words = Vec::new();
            for w in part.split_whitespace() {
                if w.starts_with('#') {
                    break;
                }
                words.push(w.trim_matches(['"', '\'']).to_string());
            }
            strip_wrappers(&mut words);
            if !words.is_empty() {
                out.push(words);
            }
        }
    }
    out
}

/// Leading assignments, shell keywords and wrappers that start the program
/// after them (`sudo`, `env VAR=x`, `command prog`) do not name the program:
/// drop them so the program itself is judged.
fn strip_wrappers(words: &mut Vec<String>) {
    loop {
        let Some(first) = words.first().map(String::as_str) else {
            return;
        };
        let wrapper = is_assignment(first)
            || matches!(
                first,
                "sudo"
                    | "time"
                    | "exec"
                    | "nohup"
                    | "then"
                    | "do"
                    | "else"
                    | "if"
                    | "elif"
                    | "while"
                    | "until"
                    | "!"
                    | "{"
                    | "("
            )
            // `command -v x` looks x up; `command x` runs it.
            || first == "command" && !words.get(1).is_some_and(|w| w.starts_with("-v") || w.starts_with("-V"));
        if wrapper {
            words.remove(0);
        } else if first == "env" {
            // `env [-i] [-u NAME] [VAR=x]… prog`: what follows the flags and
            // assignments is the program (a flag's value is taken for it,
            // which only makes the command look unknown).
            words.remove(0);
            while words
                .first()
                .is_some_and(|w| w.starts_with('-') || is_assignment(w))
            {
                words.remove(0);
            }
        } else {
            return;
        }
    }
}

fn is_assignment(w: &str) -> bool {
    w.split_once('=').is_some_and(|(k, _)| {
        !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The program a simple command runs: its file name, or a `./` path as
/// written. Empty for no words.
pub fn program(words: &[String]) -> &str {
    let w = words.first().map_or("", String::as_str);
    if w.starts_with("./") {
        w
    } else {
        w.rsplit('/').next().unwrap_or(w)
    }
}

/// Does this command line name the token (inline or through a variable)?
fn mentions_token(words: &[String], ctx: &RunContext) -> bool {
    words.iter().any(|w| {
        is_token(w)
            || ctx
                .token_vars
                .iter()
                .any(|v| w.contains(&format!("${v}")) || w.contains(&format!("${{{v}}}")))
    })
}

/// The scopes `script` needs, or why that cannot be known.
pub fn analyze_run(script: &str, kb: &Kb, ctx: &RunContext) -> Result<ScopeSet, Unexplained> {
    let mut out = ScopeSet::default();
    let env_token = !ctx.token_vars.is_empty();
    for words in simple_commands(script) {
        let prog = program(&words);
        let uses_token = env_token || mentions_token(&words, ctx);
        if prog == "gh" {
            gh(&words, kb, ctx, &mut out)?;
            continue;
        }
        if matches!(prog, "curl" | "wget") && words.iter().any(|w| w.contains("api.github.com")) {
            if mentions_token(&words, ctx) {
                curl(&words, kb, &mut out)?;
            }
            continue;
        }
        let plain: Vec<&str> = words.iter().map(String::as_str).collect();
        if let Some(rule) = kb.commands.iter().find(|r| {
            plain.len() >= r.words.len()
                && r.words.iter().zip(&plain).all(|(a, b)| a == b)
                && (r.if_flags.is_empty()
                    || r.if_flags.iter().any(|f| {
                        plain
                            .iter()
                            .any(|w| w == f || w.starts_with(&format!("{f}=")))
                    }))
                && !r.unless_flags.iter().any(|f| {
                    plain
                        .iter()
                        .any(|w| w == f || w.starts_with(&format!("{f}=")))
                })
        }) {
            let applies = match rule.when {
                When::Always => true,
                When::Token => uses_token,
                When::Ghcr => plain.iter().any(|w| w.starts_with("ghcr.io/")),
            };
            if applies {
                let who = rule.words.join(" ");
                for (scope, level) in &rule.scopes {
                    out.add(scope, *level, &who, &format!("to run `{who}`"));
                }
            }
            continue;
        }
        if uses_token && !is_harmless(prog, &words, kb) {
            return Err(Unexplained::TokenReaches(prog.to_string()));
        }
    }
    Ok(out)
}

/// A program that cannot use the token, run in a way that starts no other.
fn is_harmless(prog: &str, words: &[String], kb: &Kb) -> bool {
    kb.harmless.contains(prog)
        && !kb.harmless_unless.get(prog).is_some_and(|markers| {
            words[1..]
                .iter()
                .any(|w| markers.iter().any(|m| w.contains(m.as_str())))
        })
}

fn is_flag_with_value(w: &str) -> bool {
    matches!(
        w,
        "-R" | "--repo"
            | "-X"
            | "--method"
            | "-H"
            | "--header"
            | "-f"
            | "-F"
            | "--field"
            | "--raw-field"
            | "--input"
            | "-q"
            | "--jq"
            | "-t"
            | "--template"
            | "--hostname"
            | "-b"
            | "--body"
            | "--title"
            | "-l"
            | "--label"
    )
}

/// Non-flag words after `skip` words, dropping the values of known flags.
fn positional(words: &[String], skip: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut it = words.iter().skip(skip);
    while let Some(w) = it.next() {
        if w.starts_with('-') {
            if is_flag_with_value(w) && !w.contains('=') {
                it.next();
            }
        } else {
            out.push(w.as_str());
        }
    }
    out
}

fn gh(words: &[String], kb: &Kb, ctx: &RunContext, out: &mut ScopeSet) -> Result<(), Unexplained> {
    let args = positional(words, 1);
    if !ctx.gh_has_token() {
        // gh has no token here: it cannot use the workflow token.
        return Ok(());
    }
    match args.first().copied() {
        Some("api") => {
            let endpoint = args.get(1).copied().unwrap_or_default();
            let explicit = flag_value(words, &["-X", "--method"]);
            let writes_body = words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "-f" | "-F" | "--field" | "--raw-field" | "--input"
                )
            });
            let method = explicit.unwrap_or(if writes_body { "POST" } else { "GET" });
            api_scope(&format!("gh api {endpoint}"), endpoint, method, kb, out)
        }
        Some(sub @ ("secret" | "variable")) => Err(Unexplained::GhNeedsOtherToken(sub.to_string())),
        _ => {
            let rule = kb.gh.iter().find(|r| {
                let want: Vec<&str> = r.command.split(' ').collect();
                args.len() >= want.len() && want.iter().zip(&args).all(|(a, b)| a == b)
            });
            let Some(rule) = rule else {
                return Err(Unexplained::GhNotInRules(
                    args.iter().take(2).copied().collect::<Vec<_>>().join(" "),
                ));
            };
            let who = format!("gh {}", rule.command);
            for (scope, level) in &rule.scopes {
                out.add(scope, *level, &who, &format!("to run `{who}`"));
            }
            Ok(())
        }
    }
}

fn flag_value<'a>(words: &'a [String], names: &[&str]) -> Option<&'a str> {
    words.iter().enumerate().find_map(|(i, w)| {
        names.iter().find_map(|n| {
            if w == n {
                words.get(i + 1).map(String::as_str)
            } else {
                w.strip_prefix(&format!("{n}="))
            }
        })
    })
}

fn curl(words: &[String], kb: &Kb, out: &mut ScopeSet) -> Result<(), Unexplained> {
    let url = words
        .iter()
        .find(|w| w.contains("api.github.com"))
        .map(String::as_str)
        .unwrap_or_default();
    let endpoint = url.split("api.github.com").nth(1).unwrap_or_default();
    let data = words
        .iter()
        .any(|w| w.starts_with("-d") || w.starts_with("--data") || w == "-F" || w == "--form");
    let method =
        flag_value(words, &["-X", "--request"]).unwrap_or(if data { "POST" } else { "GET" });
    api_scope(&format!("curl {endpoint}"), endpoint, method, kb, out)
}

/// A REST call: `repos/{owner}/{repo}/<segment>/…` names the scope.
/// The scope a REST call needs: the path segment after
/// `repos/{owner}/{repo}/` names it (`[api]` in the knowledge base); GET
/// reads, any other verb writes.
pub fn api_scope(
    who: &str,
    endpoint: &str,
    method: &str,
    kb: &Kb,
    out: &mut ScopeSet,
) -> Result<(), Unexplained> {
    let path = endpoint
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let unknown = || Err(Unexplained::UncoveredEndpoint(who.to_string()));
    if parts.first() != Some(&"repos") || parts.len() < 4 {
        return unknown();
    }
    let level = if method.eq_ignore_ascii_case("GET") {
        Level::Read
    } else {
        Level::Write
    };
    if parts[3] == "dependabot" && parts.get(4) == Some(&"alerts") && level == Level::Read {
        out.add(
            "vulnerability-alerts",
            Level::Read,
            who,
            "to read Dependabot alerts",
        );
        return Ok(());
    }
    match kb.api.get(parts[3]) {
        Some(scope) => {
            let verb = if level == Level::Read {
                "read"
            } else {
                "change"
            };
            out.add(scope, level, who, &format!("to {verb} {}", parts[3]));
            Ok(())
        }
        None => unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str, vars: &[&str]) -> Result<Vec<(String, Level)>, Unexplained> {
        let kb = Kb::load(&[]).unwrap();
        let ctx = RunContext {
            token_vars: vars.iter().map(|v| v.to_string()).collect(),
        };
        analyze_run(script, &kb, &ctx).map(|s| s.0.into_iter().map(|(k, g)| (k, g.level)).collect())
    }

    #[test]
    fn gh_commands() {
        assert_eq!(
            run("gh pr comment 1 --body hi", &["GH_TOKEN"]).unwrap(),
            [("pull-requests".into(), Level::Write)]
        );
        assert_eq!(
            run("gh release create v1 dist/* --title x", &["GITHUB_TOKEN"]).unwrap(),
            [("contents".into(), Level::Write)]
        );
        assert!(
            run("gh pr comment 1", &[]).unwrap().is_empty(),
            "no token: gh cannot use it"
        );
        assert!(run("gh secret set X", &["GH_TOKEN"]).is_err());
        assert!(run("gh repo clone x", &["GH_TOKEN"]).is_err());
    }

    #[test]
    fn gh_api_methods() {
        assert_eq!(
            run(
                "gh api repos/{owner}/{repo}/issues/1/comments -f body=x",
                &["GH_TOKEN"]
            )
            .unwrap(),
            [("issues".into(), Level::Write)]
        );
        assert_eq!(
            run("gh api /repos/o/r/pulls/1", &["GH_TOKEN"]).unwrap(),
            [("pull-requests".into(), Level::Read)]
        );
        assert!(run("gh api graphql -f query=x", &["GH_TOKEN"]).is_err());
    }

    #[test]
    fn git_push_docker_and_unknown_programs() {
        assert_eq!(
            run("git add .\ngit commit -m x && git push", &[]).unwrap(),
            [("contents".into(), Level::Write)]
        );
        assert_eq!(
            run(
                "echo $T | docker login ghcr.io -u x --password-stdin\ndocker push ghcr.io/o/i:1",
                &["T"]
            )
            .unwrap(),
            [("packages".into(), Level::Write)]
        );
        assert!(run("make release", &["GITHUB_TOKEN"]).is_err());
        assert!(run("make test", &[]).unwrap().is_empty());
        assert!(run("./release.sh ${{ secrets.GITHUB_TOKEN }}", &[]).is_err());
        assert_eq!(
            run("npm publish --provenance --access public", &[]).unwrap(),
            [("id-token".into(), Level::Write)]
        );
        assert!(
            run("cosign sign --key env://K img", &[])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn programs_that_run_programs_are_not_harmless() {
        let t = &["GITHUB_TOKEN"];
        for script in [
            "env FOO=1 ./deploy.sh",
            "env -i ./deploy.sh",
            "ls | xargs ./publish",
            "find . -name '*.sh' -exec {} \\;",
            "source ./release.sh",
            ". ./release.sh",
            "command ./release.sh",
            "if ./release.sh; then echo ok; fi",
            "while ./poll.sh; do sleep 1; done",
            "echo \"$(./release.sh)\"",
            "echo `./release.sh`",
            "git submodule foreach ./release.sh",
            "git -c core.sshCommand=./x push",
            "awk 'BEGIN { system(\"./release.sh\") }'",
            "tar --to-command=./x -xf a.tar",
            "eval \"$CMD\"",
            "bash -c ./release.sh",
            "timeout 60 ./release.sh",
        ] {
            assert!(run(script, t).is_err(), "{script}");
        }
        for script in [
            "env",
            "env | sort",
            "command -v gh",
            "find . -name '*.yml'",
            "echo \"v=$(cat VERSION)\" >> $GITHUB_OUTPUT",
            "if [ -f x ]; then echo y; fi",
            "git status",
        ] {
            assert!(run(script, t).is_ok(), "{script}");
        }
        assert_eq!(
            run("env GH_TOKEN=x gh pr comment 1 --body hi", t).unwrap(),
            [("pull-requests".into(), Level::Write)]
        );
    }

    #[test]
    fn curl_to_the_api() {
        assert_eq!(
            run("curl -X POST -H \"Authorization: Bearer ${{ secrets.GITHUB_TOKEN }}\" https://api.github.com/repos/o/r/dispatches", &[]).unwrap(),
            [("contents".into(), Level::Write)]
        );
    }
}
