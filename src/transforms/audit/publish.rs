//! Which steps publish: push an image, or release a package or a GitHub
//! release. Shared by the checks that ask what protects what is published
//! (signing, HP013; runtime monitoring, HP015).

use super::shell::{Command, commands};
use super::workflow::{Step, Value};

/// A step that publishes: what it runs, as shown in messages, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publishing<'s> {
    pub shown: String,
    pub at: &'s Value,
}

/// Actions whose only job is to publish a release or a package.
const RELEASE_ACTIONS: &[&str] = &[
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "actions/create-release",
    "pypa/gh-action-pypi-publish",
];

/// `docker/build-push-action` with `push: true`, or `push:` from an
/// expression (the documented `${{ github.event_name != 'pull_request' }}`
/// pushes on every run that matters).
fn build_push(step: &Step) -> Option<Publishing<'_>> {
    let uses = step.uses.as_ref()?;
    let push = step.input("push")?;
    let pushes = push.text.trim().eq_ignore_ascii_case("true") || push.text.contains("${{");
    (step.uses_action("docker/build-push-action") && pushes).then(|| Publishing {
        shown: format!(
            "`docker/build-push-action` with `push: {}`",
            push.text.trim()
        ),
        at: uses,
    })
}

/// A command that pushes an image to a registry.
fn pushes_image(c: &Command) -> bool {
    let words: Vec<&str> = c.args.iter().map(String::as_str).collect();
    let builds = |w: &[&str]| {
        matches!(w, ["build", ..] | ["buildx", "build" | "bake", ..])
            && c.args.iter().any(|a| a == "--push")
    };
    match c.program.as_str() {
        "docker" => {
            builds(&words)
                || matches!(
                    words.as_slice(),
                    ["push", ..] | ["image" | "manifest", "push", ..]
                )
        }
        "podman" | "buildah" => matches!(words.as_slice(), ["push", ..] | ["manifest", "push", ..]),
        _ => false,
    }
}

/// The first command of a `run:` that `matches`.
fn run_command<'s>(step: &'s Step, matches: impl Fn(&Command) -> bool) -> Option<Publishing<'s>> {
    let run = step.run.as_ref()?;
    commands(&run.text)
        .iter()
        .find(|c| matches(c))
        .map(|c| Publishing {
            shown: format!(
                "`{}`",
                c.shown(if c.program == "docker" && c.sub() == "buildx" {
                    3
                } else {
                    2
                })
            ),
            at: run,
        })
}

/// The step pushes an image.
pub fn image_push(step: &Step) -> Option<Publishing<'_>> {
    build_push(step).or_else(|| run_command(step, pushes_image))
}

/// A command that publishes a package or a release (a dry run does not).
fn publishes(c: &Command) -> bool {
    let dry = c.has_flag("--dry-run") || c.program == "cargo" && c.has_flag("-n");
    let publish = match (c.program.as_str(), c.sub()) {
        ("npm" | "pnpm" | "cargo", "publish") => true,
        ("yarn", "publish") => true,
        ("yarn", "npm") => c.args.get(1).is_some_and(|a| a == "publish"),
        ("gh", "release") => c.args.get(1).is_some_and(|a| a == "create"),
        ("twine", "upload") => true,
        _ => false,
    };
    publish && !dry
}

/// `goreleaser/goreleaser-action` running `release` (its default) for
/// real, not a `--snapshot` build.
fn goreleaser(step: &Step) -> Option<Publishing<'_>> {
    let uses = step.uses.as_ref()?;
    if !step.uses_action("goreleaser/goreleaser-action") {
        return None;
    }
    let args = step.input("args").map_or("", |a| a.text.as_str());
    let first = args.split_whitespace().find(|w| !w.starts_with('-'));
    let releases = matches!(first, None | Some("release"))
        && !args.contains("--snapshot")
        && !args.contains("--skip=publish")
        && !args.contains("--skip-publish");
    releases.then(|| Publishing {
        shown: "`goreleaser/goreleaser-action`".into(),
        at: uses,
    })
}

/// The step publishes a release, a package or an image.
pub fn release(step: &Step) -> Option<Publishing<'_>> {
    if let Some(uses) = &step.uses
        && let Some(action) = step
            .action()
            .filter(|a| RELEASE_ACTIONS.contains(&a.as_str()))
    {
        return Some(Publishing {
            shown: format!("`{action}`"),
            at: uses,
        });
    }
    goreleaser(step)
        .or_else(|| image_push(step))
        .or_else(|| run_command(step, publishes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str) -> Step {
        Step {
            run: Some(Value {
                text: script.into(),
                at: 0,
            }),
            ..Step::default()
        }
    }

    fn uses(action: &str, with: &[(&str, &str)]) -> Step {
        let value = |t: &str| Value {
            text: t.into(),
            at: 0,
        };
        Step {
            uses: Some(value(action)),
            with: with
                .iter()
                .map(|(k, v)| (k.to_string(), value(v)))
                .collect(),
            ..Step::default()
        }
    }

    #[test]
    fn image_pushes() {
        for s in [
            "docker push ghcr.io/o/i:1",
            "docker buildx build --push -t x .",
            "docker image push x",
            "podman push x",
        ] {
            assert!(image_push(&run(s)).is_some(), "{s}");
        }
        for s in ["docker build -t x .", "docker pull x", "echo docker push"] {
            assert!(image_push(&run(s)).is_none(), "{s}");
        }
        let bpa = |push: &str| uses("docker/build-push-action@v6", &[("push", push)]);
        assert!(image_push(&bpa("true")).is_some());
        assert!(image_push(&bpa("${{ github.event_name != 'pull_request' }}")).is_some());
        assert!(image_push(&bpa("false")).is_none());
    }

    #[test]
    fn releases() {
        for s in [
            "npm publish --provenance",
            "cargo publish -p x",
            "gh release create v1",
            "python -m twine upload dist/*",
        ] {
            assert!(release(&run(s)).is_some(), "{s}");
        }
        for s in [
            "npm publish --dry-run",
            "cargo publish -n",
            "gh release view",
        ] {
            assert!(release(&run(s)).is_none(), "{s}");
        }
        let gr = |args: &str| uses("goreleaser/goreleaser-action@v6", &[("args", args)]);
        assert!(release(&gr("release --clean")).is_some());
        assert!(release(&gr("release --snapshot --clean")).is_none());
        assert!(release(&gr("build")).is_none());
        assert!(release(&uses("softprops/action-gh-release@v2", &[])).is_some());
    }
}
