//! `pin-images`: image tags become `name:tag@sha256:<digest>`.
//!
//! ```dockerfile
//! FROM node:20-alpine                      # before
//! FROM node:20-alpine@sha256:8c9a…         # after: the multi-arch index digest
//! ```
//! Sites: Dockerfile `FROM`, `COPY --from=`, `RUN --mount=…,from=`, and `ARG`
//! defaults behind `FROM $BASE`; workflow `container:`/`services.*.image`/
//! `docker://` steps; action `runs.image`; compose `services.*.image`.

mod docker_sites;
mod yaml_sites;

use std::ops::Range;

use super::{Outcome, Transform};
use crate::diagnostics::Edit;
use crate::diagnostics::{AllowedChanges, Applicability, Change, Severity};
use crate::image::ImageRef;
use crate::resolve::{Needs, Resolved};
use crate::source::{SourceFile, Syntax};
use crate::yaml::ScalarStyle;

/// `pin-images`: tags become tags with digests.
pub struct PinImages;

/// `update-images`: existing `name:tag@digest` pins move to the digest the
/// tag names today.
pub struct UpdateImages;

/// The name of [`UpdateImages`], which marks its changes in a report.
pub const UPDATE_NAME: &str = "update-images";

/// What tells the two apart; they find, resolve and write images alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Pin,
    Update,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Pin => "pin-images",
            Task::Update => UPDATE_NAME,
        }
    }

    /// Is this reference this transform's business?
    fn wants(self, image: &ImageRef) -> bool {
        match self {
            Task::Pin => image.digest.is_none(),
            Task::Update => image.digest.is_some() && image.tag.is_some(),
        }
    }
}

impl Transform for PinImages {
    type Found = Vec<Site>;

    fn name(&self) -> &'static str {
        Task::Pin.name()
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Vec<Site> {
        collect(Task::Pin, file, needs)
    }

    fn apply(&self, file: &SourceFile, found: &Vec<Site>, resolved: &Resolved) -> Outcome {
        apply(Task::Pin, file, found, resolved)
    }
}

impl Transform for UpdateImages {
    type Found = Vec<Site>;

    fn name(&self) -> &'static str {
        Task::Update.name()
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Vec<Site> {
        collect(Task::Update, file, needs)
    }

    fn apply(&self, file: &SourceFile, found: &Vec<Site>, resolved: &Resolved) -> Outcome {
        apply(Task::Update, file, found, resolved)
    }
}

/// How a pinned reference is written back.
#[derive(Debug, Clone)]
pub enum Render {
    /// Dockerfile text: as is.
    Bare,
    /// A YAML scalar: in its quote style, with `docker://` when it had one.
    Yaml {
        style: ScalarStyle,
        prefix: &'static str,
        old_value: String,
    },
}

/// What was found at one place in a file.
#[derive(Debug, Clone)]
pub enum Site {
    /// An image to pin: the reference and the bytes it occupies.
    Pin {
        image: ImageRef,
        span: Range<usize>,
        render: Render,
    },
    /// Something the user should know (variables, expressions, bad refs).
    Report {
        at: usize,
        severity: Severity,
        message: String,
        hint: Option<&'static str>,
    },
}

/// Every image reference pinned by digest under a tag (`name:tag@sha256:…`),
/// with its place: what `hardpin audit` checks against the tag's index.
pub(crate) fn pinned_images(file: &SourceFile) -> Vec<(Range<usize>, ImageRef)> {
    sites(file)
        .into_iter()
        .filter_map(|site| match site {
            Site::Pin { image, span, .. } if image.tag.is_some() && image.digest.is_some() => {
                Some((span, image))
            }
            _ => None,
        })
        .collect()
}

fn sites(file: &SourceFile) -> Vec<Site> {
    match &file.syntax {
        Syntax::Yaml(doc) => yaml_sites::sites(file.target.kind, doc),
        Syntax::Dockerfile(d) => docker_sites::sites(d),
    }
}

/// Parse an image reference found in a file into a site.
fn image_site(text: &str, at: usize, span: Range<usize>, render: Render) -> Option<Site> {
    match ImageRef::parse(text) {
        Ok(image) => Some(Site::Pin {
            image,
            span,
            render,
        }),
        Err(e) => Some(Site::Report {
            at,
            severity: Severity::Error,
            message: e.to_string(),
            hint: Some(
                "image references are [host[:port]/]path[:tag][@digest], path in lower case",
            ),
        }),
    }
}

/// The sites `task` works on (and, for pin-images, what to report), with
/// their images recorded in `needs`.
fn collect(task: Task, file: &SourceFile, needs: &mut Needs) -> Vec<Site> {
    let mut kept = Vec::new();
    for site in sites(file) {
        match &site {
            Site::Pin { image, .. } if task.wants(image) => {
                needs
                    .images
                    .entry(image.key())
                    .or_insert_with(|| image.clone());
            }
            // update-images would say it a second time.
            Site::Report { .. } if task == Task::Pin => {}
            _ => continue,
        }
        kept.push(site);
    }
    kept
}

fn apply(task: Task, file: &SourceFile, found: &[Site], resolved: &Resolved) -> Outcome {
    let name = task.name();
    let mut out = Outcome::default();
    let mut done: Vec<Range<usize>> = Vec::new();
    for site in found {
        match site {
            Site::Report {
                at,
                severity,
                message,
                hint,
            } => out.finding(file, name, *at, *severity, message.clone(), *hint),
            Site::Pin {
                image,
                span,
                render,
            } => {
                // Several `FROM $BASE` lines share one ARG default.
                if done.contains(span) {
                    continue;
                }
                done.push(span.clone());
                match resolved.images.get(&image.key()) {
                    Some(Ok(digest)) if image.digest.as_deref() == Some(digest.as_str()) => {}
                    Some(Ok(digest)) => {
                        pin(file, name, &mut out, image, span.clone(), render, digest)
                    }
                    Some(Err(e)) => out.finding(
                        file,
                        name,
                        span.start,
                        Severity::Error,
                        format!("cannot resolve {image}: {e}"),
                        Some(e.hint()),
                    ),
                    None => {}
                }
            }
        }
    }
    out
}

fn pin(
    file: &SourceFile,
    name: &'static str,
    out: &mut Outcome,
    image: &ImageRef,
    span: Range<usize>,
    render: &Render,
    digest: &str,
) {
    let pinned = image.pinned(digest);
    let mut allowed = AllowedChanges::default();
    let replacement = match render {
        Render::Bare => pinned.clone(),
        Render::Yaml {
            style,
            prefix,
            old_value,
        } => {
            let new_value = format!("{prefix}{pinned}");
            allowed
                .scalars
                .insert((old_value.clone(), new_value.clone()));
            crate::yaml::scalar::requote_as(*style, &new_value)
        }
    };
    allowed.words.insert((image.to_string(), pinned.clone()));
    let at = span.start;
    let (line, column) = crate::yaml::line_col(file.text(), at);
    let change = Change {
        transform: name,
        line,
        column,
        before: image.to_string(),
        after: pinned,
        why: match image.digest {
            Some(_) => format!("`{}` now names a newer image", image.tag_or_latest()),
            None => format!(
                "the tag `{}` can be moved; the digest cannot",
                image.tag_or_latest()
            ),
        },
        applicability: Applicability::Safe,
    };
    out.fix(vec![Edit::replace(span, replacement)], change, allowed);
    if image.tag.is_none() {
        out.finding(
            file,
            name,
            at,
            Severity::Note,
            format!("{image} has no tag: pinned what `latest` names today"),
            Some("write the tag you mean, so that updates stay within it"),
        );
    }
}
