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

/// `pin-images` (tags to digests), or with `update` set `update-images`
/// (existing `name:tag@digest` pins moved to the tag's current digest).
pub struct PinImages {
    pub update: bool,
}

impl PinImages {
    /// Is this reference this transform's business?
    fn wants(&self, image: &ImageRef) -> bool {
        match self.update {
            false => image.digest.is_none(),
            true => image.digest.is_some() && image.tag.is_some(),
        }
    }
}

/// How a pinned reference is written back.
#[derive(Debug, Clone)]
enum Render {
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
enum Site {
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

impl Transform for PinImages {
    fn name(&self) -> &'static str {
        if self.update {
            "update-images"
        } else {
            "pin-images"
        }
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) {
        for site in sites(file) {
            if let Site::Pin { image, .. } = site
                && self.wants(&image)
            {
                needs.images.entry(image.key()).or_insert(image);
            }
        }
    }

    fn apply(&self, file: &SourceFile, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        let mut done: Vec<Range<usize>> = Vec::new();
        for site in sites(file) {
            match site {
                Site::Report {
                    at,
                    severity,
                    message,
                    hint,
                } => {
                    if !self.update {
                        out.finding(file, self.name(), at, severity, message, hint)
                    }
                }
                Site::Pin {
                    image,
                    span,
                    render,
                } => {
                    // Several `FROM $BASE` lines share one ARG default.
                    if !self.wants(&image) || done.contains(&span) {
                        continue;
                    }
                    done.push(span.clone());
                    match resolved.images.get(&image.key()) {
                        Some(Ok(digest)) if image.digest.as_deref() == Some(digest.as_str()) => {}
                        Some(Ok(digest)) => {
                            pin(file, self.name(), &mut out, &image, span, &render, digest)
                        }
                        Some(Err(e)) => out.finding(
                            file,
                            self.name(),
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
    let change = Change {
        transform: name,
        line: crate::yaml::line_col(file.text(), at).0,
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
