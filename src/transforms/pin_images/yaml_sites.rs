//! Image references in workflows, action metadata and compose files.

use super::{Render, Site, image_site};
use crate::diagnostics::Severity;
use crate::discover::FileKind;
use crate::yaml::{YamlDoc, pairs, scalar};

/// Where an image is named, and whether it carries `docker://`.
fn routes(kind: FileKind) -> &'static [(&'static [&'static str], bool)] {
    match kind {
        FileKind::Workflow => &[
            (&["jobs", "*", "container"], false),
            (&["jobs", "*", "container", "image"], false),
            (&["jobs", "*", "services", "*", "image"], false),
            (&["jobs", "*", "steps", "[]", "uses"], true),
        ],
        FileKind::Action => &[
            (&["runs", "image"], true),
            (&["runs", "steps", "[]", "uses"], true),
        ],
        FileKind::Compose => &[(&["services", "*", "image"], false)],
        FileKind::Dockerfile => &[],
    }
}

pub(super) fn sites(kind: FileKind, doc: &YamlDoc) -> Vec<Site> {
    let routes = routes(kind);
    let mut out = Vec::new();
    for p in pairs(doc) {
        let Some(&(_, docker_prefix)) = routes.iter().find(|(r, _)| p.path_matches(r)) else {
            continue;
        };
        let Some(s) = p.value.and_then(|v| scalar(doc, v)) else {
            continue;
        };
        let value = s.value.trim();
        let image = if docker_prefix {
            match value.strip_prefix("docker://") {
                Some(i) => i,
                None => continue,
            }
        } else {
            value
        };
        let at = s.node.start_byte();
        if image.contains("${{") || kind == FileKind::Compose && image.contains('$') {
            out.push(Site::Report {
                at,
                severity: Severity::Note,
                message: format!("`{value}` is only known at run time; not pinned"),
                hint: None,
            });
            continue;
        }
        if image.is_empty() || value != s.value {
            continue;
        }
        let render = Render::Yaml {
            style: s.style,
            prefix: if docker_prefix { "docker://" } else { "" },
            old_value: s.value.clone(),
        };
        out.extend(image_site(image, at, s.node.byte_range(), render));
    }
    out
}
