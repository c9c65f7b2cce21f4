//! Image references in a Dockerfile.

use super::{Render, Site, image_site};
use crate::diagnostics::Severity;
use crate::dockerfile::{Dockerfile, Word};

/// `$NAME` or `${NAME}` exactly.
fn whole_variable(text: &str) -> Option<&str> {
    let name = text
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| text.strip_prefix('$'))?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(name)
}

/// The text inside matching single or double quotes.
fn unquote(text: &str) -> Option<&str> {
    let q = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    (text.len() >= 2 && text.ends_with(q)).then(|| &text[1..text.len() - 1])
}

/// An `ARG NAME=default` declaration: the default's text and span (inside quotes).
struct ArgDefault {
    name: String,
    value: Option<(String, std::ops::Range<usize>)>,
}

fn arg_defaults(words: &[Word]) -> Vec<ArgDefault> {
    words
        .iter()
        .map(|w| match w.text.split_once('=') {
            Some((name, v)) => {
                let start = w.span.start + name.len() + 1;
                let (text, span) = match unquote(v) {
                    Some(inner) => (inner.to_string(), start + 1..w.span.end - 1),
                    None => (v.to_string(), start..w.span.end),
                };
                ArgDefault {
                    name: name.to_string(),
                    value: Some((text, span)),
                }
            }
            None => ArgDefault {
                name: w.text.clone(),
                value: None,
            },
        })
        .collect()
}

pub(super) fn sites(d: &Dockerfile) -> Vec<Site> {
    let mut out = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut args: Vec<ArgDefault> = Vec::new();
    for ins in &d.instructions {
        match ins.keyword.as_str() {
            "ARG" => args.extend(arg_defaults(ins.args())),
            "FROM" => {
                let mut rest = ins.args().iter().filter(|w| !w.text.starts_with("--"));
                if let Some(w) = rest.next() {
                    reference(&w.text, w.span.clone(), &stages, &args, &mut out);
                }
                if let (Some(as_kw), Some(alias)) = (rest.next(), rest.next())
                    && as_kw.text.eq_ignore_ascii_case("as")
                {
                    stages.push(alias.text.to_ascii_lowercase());
                }
            }
            "COPY" => {
                for w in ins.args().iter().take_while(|w| w.text.starts_with("--")) {
                    if let Some(v) = w.text.strip_prefix("--from=") {
                        let start = w.span.start + "--from=".len();
                        reference(v, start..w.span.end, &stages, &args, &mut out);
                    }
                }
            }
            "RUN" => {
                for w in ins.args().iter().take_while(|w| w.text.starts_with("--")) {
                    let Some(opts) = w.text.strip_prefix("--mount=") else {
                        continue;
                    };
                    let mut pos = w.span.start + "--mount=".len();
                    for opt in opts.split(',') {
                        if let Some(v) = opt.strip_prefix("from=") {
                            let start = pos + "from=".len();
                            reference(v, start..start + v.len(), &stages, &args, &mut out);
                        }
                        pos += opt.len() + 1;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// One image reference: a stage, `scratch`, a variable, or an image.
fn reference(
    text: &str,
    span: std::ops::Range<usize>,
    stages: &[String],
    args: &[ArgDefault],
    out: &mut Vec<Site>,
) {
    // BuildKit lexes these words like a shell: `FROM "image:tag"` is allowed.
    if let Some(inner) = unquote(text) {
        return reference(inner, span.start + 1..span.end - 1, stages, args, out);
    }
    let lower = text.to_ascii_lowercase();
    if lower == "scratch" || stages.contains(&lower) || text.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    if !text.contains('$') {
        out.extend(image_site(text, span.start, span, Render::Bare));
        return;
    }
    let report = |message: String| Site::Report {
        at: span.start,
        severity: Severity::Warning,
        message,
        hint: Some("give the ARG a literal default image, or pin the image where it is set"),
    };
    let Some(name) = whole_variable(text) else {
        out.push(report(format!(
            "cannot pin `{text}`: it is built from variables"
        )));
        return;
    };
    match args
        .iter()
        .rev()
        .find(|a| a.name == name)
        .and_then(|a| a.value.as_ref())
    {
        Some((value, vspan)) if !value.contains('$') => {
            if !stages.contains(&value.to_ascii_lowercase())
                && !value.eq_ignore_ascii_case("scratch")
            {
                out.extend(image_site(value, vspan.start, vspan.clone(), Render::Bare));
            }
        }
        Some((value, _)) => out.push(report(format!(
            "cannot pin `{text}`: ARG {name} defaults to `{value}`, built from variables"
        ))),
        None => out.push(report(format!(
            "cannot pin `{text}`: ARG {name} has no default"
        ))),
    }
}
