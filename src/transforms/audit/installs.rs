//! HP011: dependency installs that do not hold to the lock file, so a
//! release published today lands in the build unreviewed.

use super::Hit;
use super::shell::{Command, commands};
use super::workflow::Job;

/// What is wrong with one install command, and the locked way to run it.
struct Unlocked {
    shown: String,
    why: &'static str,
    instead: &'static str,
}

/// The install commands of a script that do not hold to a lock file.
fn unlocked(c: &Command) -> Option<Unlocked> {
    let only_flags = c.operands().next().is_none();
    match c.program.as_str() {
        // With packages named it adds dependencies (a developer's command,
        // not a CI install); `-g` installs a tool, outside any lock file.
        "npm"
            if matches!(c.sub(), "install" | "i")
                && only_flags
                && !c.has_flag("-g")
                && !c.has_flag("--global") =>
        {
            Some(Unlocked {
                shown: format!("npm {}", c.sub()),
                why: "may update the lock file instead of installing what it records",
                instead: "`npm ci`",
            })
        }
        "yarn"
            if (c.sub() == "install" && only_flags || c.args.is_empty())
                && !c.has_flag("--frozen-lockfile")
                && !c.has_flag("--immutable") =>
        {
            Some(Unlocked {
                shown: if c.args.is_empty() {
                    "yarn".into()
                } else {
                    "yarn install".into()
                },
                why: "may update the lock file instead of failing when it is out of date",
                instead: "`yarn install --frozen-lockfile` (Yarn 1) or `yarn install --immutable` (Yarn 2+)",
            })
        }
        // pnpm installs frozen by default when `CI` is set, as it is on
        // GitHub's runners: only turning that off is unlocked.
        "pnpm" if matches!(c.sub(), "install" | "i") && c.has_flag("--no-frozen-lockfile") => {
            Some(Unlocked {
                shown: format!("pnpm {} --no-frozen-lockfile", c.sub()),
                why: "may update the lock file instead of failing when it is out of date",
                instead: "`pnpm install --frozen-lockfile` (the default on CI)",
            })
        }
        "pip"
            if c.sub() == "install"
                && requirement_file(c).is_some()
                && !c.has_flag("--require-hashes") =>
        {
            Some(Unlocked {
                shown: format!("pip install -r {}", requirement_file(c).unwrap_or_default()),
                why: "takes whatever the index serves unless every requirement carries a `--hash`",
                instead: "`pip install --require-hashes -r` with hashed requirements (`pip-compile --generate-hashes`)",
            })
        }
        _ => None,
    }
}

/// The file of `-r FILE`, `-rFILE`, `--requirement FILE` or `--requirement=FILE`.
fn requirement_file(c: &Command) -> Option<&str> {
    let mut args = c.args.iter().map(String::as_str);
    while let Some(a) = args.next() {
        if a == "-r" || a == "--requirement" {
            return args.next();
        }
        if let Some(f) = a.strip_prefix("--requirement=") {
            return Some(f);
        }
        if let Some(f) = a
            .strip_prefix("-r")
            .filter(|f| !f.is_empty() && !a.starts_with("--"))
        {
            return Some(f);
        }
    }
    None
}

/// HP011 for every `run:` of these jobs (or of a composite action), one
/// hit per install command, at the script.
pub fn check(jobs: &[Job]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for job in jobs {
        for step in &job.steps {
            let Some(run) = &step.run else { continue };
            let mut seen: Vec<String> = Vec::new();
            for u in commands(&run.text).iter().filter_map(unlocked) {
                if seen.contains(&u.shown) {
                    continue;
                }
                hits.push(Hit {
                    rule: "HP011",
                    at: run.at,
                    message: format!(
                        "{} runs `{}`, which {}; {} holds to the lock file",
                        job.place(step),
                        u.shown,
                        u.why,
                        u.instead
                    ),
                    help: Some(format!("use {}", u.instead)),
                });
                seen.push(u.shown);
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(script: &str) -> Vec<String> {
        commands(script)
            .iter()
            .filter_map(unlocked)
            .map(|u| u.shown)
            .collect()
    }

    #[test]
    fn unlocked_installs() {
        assert_eq!(
            shown(
                "npm install\nnpm i --no-audit\nyarn\nyarn install --check-files\npnpm i --no-frozen-lockfile\npython -m pip install -r requirements/dev.txt\npip3 install --requirement=r.txt"
            ),
            [
                "npm install",
                "npm i",
                "yarn",
                "yarn install",
                "pnpm i --no-frozen-lockfile",
                "pip install -r requirements/dev.txt",
                "pip install -r r.txt",
            ]
        );
    }

    #[test]
    fn locked_or_not_an_install() {
        assert!(
            shown(
                "npm ci\nnpm install -g pnpm\nnpm install left-pad\nyarn install --frozen-lockfile\nyarn install --immutable\nyarn build\nyarn --version\npnpm install\npip install --require-hashes -r r.txt\npip install black\nbundle install\npoetry install"
            )
            .is_empty()
        );
    }
}
