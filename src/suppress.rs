//! Inline suppressions: `# hardpin: ignore` comments in workflows, action
//! metadata, Compose files and Dockerfiles.
//!
//! ```yaml
//! - uses: my-org/tool@main  # hardpin: ignore[pin-actions] released from main
//! # hardpin: ignore[HP004]
//! - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4
//! ```
//!
//! A comment covers its own line and, when it is alone on its line, the
//! line below; never further, so a suppression cannot drift away from
//! what it was written for. `ignore` alone covers everything; with a list,
//! only the transforms (`pin-actions`) and audit rules (`HP004`) named,
//! in any case. Text after the directive is kept as the reason.
//!
//! Finding comments without a full YAML parse: a `#` starts a comment at
//! the start of a line or after whitespace, outside a quoted string that
//! opens on the same line (as YAML and Dockerfiles have it). The limits,
//! accepted because they fail towards "not suppressed" or towards what the
//! author wrote: a quoted string continued over several lines is not
//! followed, and a `# hardpin: ignore` line inside a block scalar (`run:
//! |`) is read as a suppression although YAML reads it as text.

use std::collections::BTreeMap;

use crate::config::is_transform;
use crate::rules::rule;

/// One `# hardpin: ignore` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// 1-based line of the comment.
    pub line: usize,
    /// What it covers, as written; empty for everything.
    pub names: Vec<String>,
    /// Text after the directive, if any.
    pub reason: Option<String>,
    /// The comment is alone on its line, so it also covers the next one.
    pub own_line: bool,
}

impl Suppression {
    fn names_any(&self, names: &[&str]) -> bool {
        self.names.is_empty()
            || self
                .names
                .iter()
                .any(|n| names.iter().any(|m| n.eq_ignore_ascii_case(m)))
    }
}

/// A `# hardpin:` comment that says something hardpin does not understand;
/// worth a warning, since the author meant to suppress something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuppressError {
    #[error("line {line}: `{text}` is not `hardpin: ignore` or `hardpin: ignore[name, …]`")]
    Malformed { line: usize, text: String },
    #[error("line {line}: `{name}` is neither a transform nor an audit rule")]
    UnknownName { line: usize, name: String },
}

impl SuppressError {
    pub fn line(&self) -> usize {
        match self {
            SuppressError::Malformed { line, .. } | SuppressError::UnknownName { line, .. } => {
                *line
            }
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            SuppressError::Malformed { .. } => {
                "write `# hardpin: ignore` or `# hardpin: ignore[pin-actions,HP004]`"
            }
            SuppressError::UnknownName { .. } => {
                "name a transform (`pin-actions`) or a rule id (`HP004`); `hardpin explain` lists the rules"
            }
        }
    }
}

/// The suppressions of one file.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    by_line: BTreeMap<usize, Suppression>,
    problems: Vec<SuppressError>,
}

impl Suppressions {
    /// Every `# hardpin: ignore` comment of `text` (YAML or a Dockerfile).
    pub fn scan(text: &str) -> Self {
        let mut out = Self::default();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let Some(start) = comment_start(line) else {
                continue;
            };
            let own_line = line[..start].trim().is_empty();
            match directive(&line[start + 1..]) {
                Directive::None => {}
                Directive::Malformed => out.problems.push(SuppressError::Malformed {
                    line: number,
                    text: line[start..].trim().to_string(),
                }),
                Directive::Ignore { names, reason } => {
                    for name in names.iter().filter(|n| !is_known(n)) {
                        out.problems.push(SuppressError::UnknownName {
                            line: number,
                            name: name.clone(),
                        });
                    }
                    out.by_line.insert(
                        number,
                        Suppression {
                            line: number,
                            names,
                            reason,
                            own_line,
                        },
                    );
                }
            }
        }
        out
    }

    /// The suppression covering `line` (1-based) for any of `names` (a
    /// transform's name and/or a rule id): one on the line itself, else
    /// one alone on the line above.
    pub fn find(&self, line: usize, names: &[&str]) -> Option<&Suppression> {
        let same = self.by_line.get(&line).filter(|s| s.names_any(names));
        let above = || {
            let above = line.checked_sub(1)?;
            self.by_line
                .get(&above)
                .filter(|s| s.own_line && s.names_any(names))
        };
        same.or_else(above)
    }

    /// Whether `line` is suppressed for any of `names`.
    pub fn covers(&self, line: usize, names: &[&str]) -> bool {
        self.find(line, names).is_some()
    }

    /// Comments that look like suppressions but are not understood.
    pub fn problems(&self) -> &[SuppressError] {
        &self.problems
    }

    pub fn is_empty(&self) -> bool {
        self.by_line.is_empty()
    }
}

fn is_known(name: &str) -> bool {
    rule(name).is_some() || is_transform(&name.to_ascii_lowercase())
}

/// The byte offset of the `#` that starts `line`'s comment: at the start
/// or after whitespace, outside a quoted string. A quote opens a string
/// only where a value can start (after whitespace or `:[{,`), so the `'`
/// of `don't` in a plain scalar opens nothing.
fn comment_start(line: &str) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let mut state = State::Plain;
    let mut prev: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let value_start = prev.is_none_or(|p| p.is_whitespace() || ":[{,".contains(p));
        match state {
            State::Plain => match c {
                '#' if prev.is_none_or(char::is_whitespace) => return Some(i),
                '\'' if value_start => state = State::Single,
                '"' if value_start => state = State::Double,
                _ => {}
            },
            State::Single => {
                // `''` is an escaped quote inside a single-quoted string.
                if c == '\'' {
                    if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                        chars.next();
                    } else {
                        state = State::Plain;
                    }
                }
            }
            State::Double => match c {
                '\\' => {
                    chars.next();
                }
                '"' => state = State::Plain,
                _ => {}
            },
        }
        prev = Some(c);
    }
    None
}

enum Directive {
    /// Not a `hardpin:` comment.
    None,
    Malformed,
    Ignore {
        names: Vec<String>,
        reason: Option<String>,
    },
}

/// Read a comment's text (after the `#`).
fn directive(comment: &str) -> Directive {
    let text = comment.trim_start();
    let Some(rest) = strip_prefix_ignore_case(text, "hardpin:") else {
        return Directive::None;
    };
    let Some(rest) = strip_prefix_ignore_case(rest.trim_start(), "ignore") else {
        return Directive::Malformed;
    };
    let (names, rest) = if let Some(list) = rest.strip_prefix('[') {
        let Some((list, after)) = list.split_once(']') else {
            return Directive::Malformed;
        };
        let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
        if names.iter().any(String::is_empty) {
            return Directive::Malformed;
        }
        (names, after)
    } else {
        (Vec::new(), rest)
    };
    if !rest.is_empty() && !rest.starts_with(|c: char| c.is_whitespace() || c == ':') {
        return Directive::Malformed;
    }
    let reason = rest.trim();
    let reason = reason
        .strip_prefix("--")
        .or_else(|| reason.strip_prefix(':'))
        .unwrap_or(reason)
        .trim();
    Directive::Ignore {
        names,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &[&str] = &["pin-actions", "HP001"];

    #[test]
    fn a_comment_on_the_line_covers_the_line() {
        let s = Suppressions::scan(
            "steps:\n  - uses: a/b@main # hardpin: ignore\n  - uses: c/d@main\n",
        );
        assert!(s.covers(2, PIN));
        assert!(!s.covers(1, PIN));
        // A trailing comment is not alone on its line: the next line is not covered.
        assert!(!s.covers(3, PIN));
    }

    #[test]
    fn a_comment_alone_covers_the_line_below_but_not_two_below() {
        let s = Suppressions::scan(
            "steps:\n  # hardpin: ignore\n  - uses: a/b@main\n  - uses: c/d@main\n",
        );
        assert!(s.covers(3, PIN));
        assert!(s.covers(2, PIN));
        assert!(!s.covers(4, PIN));
        assert!(!s.covers(1, PIN));
    }

    #[test]
    fn a_blank_line_breaks_the_link() {
        let s = Suppressions::scan("# hardpin: ignore\n\n- uses: a/b@main\n");
        assert!(!s.covers(3, PIN));
    }

    #[test]
    fn a_list_covers_only_what_it_names_in_any_case() {
        let s = Suppressions::scan(
            "- uses: a/b@main # hardpin: ignore[pin-actions,HP004]\n- uses: a/b@main # HARDPIN: Ignore[ hp004 ]\n",
        );
        assert!(s.covers(1, &["pin-actions"]));
        assert!(s.covers(1, &["HP004"]));
        assert!(s.covers(1, &["hp004"]));
        assert!(s.covers(1, &["PIN-ACTIONS", "HP001"]));
        assert!(!s.covers(1, &["pin-images", "HP002"]));
        assert!(s.covers(2, &["HP004"]));
        assert!(!s.covers(2, &["pin-actions", "HP001"]));
        assert_eq!(
            s.find(1, &["HP004"]).unwrap().names,
            ["pin-actions", "HP004"]
        );
        assert!(s.problems().is_empty());
    }

    #[test]
    fn the_line_itself_is_asked_before_the_line_above() {
        let s = Suppressions::scan(
            "# hardpin: ignore[HP004] above\nx: 1 # hardpin: ignore[HP001] here\n",
        );
        assert_eq!(s.find(2, &["HP001"]).unwrap().line, 2);
        assert_eq!(s.find(2, &["HP004"]).unwrap().line, 1);
        assert_eq!(s.find(2, &["HP001", "HP004"]).unwrap().line, 2);
    }

    #[test]
    fn text_after_the_directive_is_the_reason() {
        let s = Suppressions::scan(
            "a # hardpin: ignore released from main\nb # hardpin: ignore[HP001] -- ours\nc # hardpin: ignore\nd #hardpin:ignore: why\n",
        );
        let reason = |line| s.find(line, &["HP001"]).unwrap().reason.clone();
        assert_eq!(reason(1).as_deref(), Some("released from main"));
        assert_eq!(reason(2).as_deref(), Some("ours"));
        assert_eq!(reason(3), None);
        assert_eq!(reason(4).as_deref(), Some("why"));
    }

    #[test]
    fn not_inside_a_quoted_string() {
        let text = concat!(
            "run: echo \"# hardpin: ignore\"\n",
            "name: 'it''s # hardpin: ignore'\n",
            "name: \"a \\\" # hardpin: ignore\"\n",
            "name: '# hardpin: ignore'\n",
            "k: {a: \"# hardpin: ignore\"}\n",
        );
        let s = Suppressions::scan(text);
        assert!(s.is_empty(), "{s:?}");
    }

    #[test]
    fn after_a_quoted_string_it_is_a_comment() {
        let s = Suppressions::scan(
            "name: \"a # b\" # hardpin: ignore\nrun: echo don't # hardpin: ignore\n",
        );
        assert!(s.covers(1, PIN));
        // The `'` of `don't` does not open a string.
        assert!(s.covers(2, PIN));
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_comment() {
        let s = Suppressions::scan("url: http://x/#hardpin:ignore\nimage: a#hardpin: ignore\n");
        assert!(s.is_empty());
    }

    #[test]
    fn dockerfiles_use_a_comment_line_above_the_instruction() {
        let text =
            "FROM node:20 AS build\n# hardpin: ignore[pin-images]\nFROM postgres:16\nRUN echo hi\n";
        let s = Suppressions::scan(text);
        assert!(s.covers(3, &["pin-images", "HP002"]));
        assert!(!s.covers(1, &["pin-images", "HP002"]));
        assert!(!s.covers(4, &["pin-images", "HP002"]));
    }

    #[test]
    fn windows_line_endings() {
        let s = Suppressions::scan("# hardpin: ignore\r\n- uses: a/b@main\r\n");
        assert!(s.covers(2, PIN));
        assert_eq!(s.find(2, PIN).unwrap().reason, None);
    }

    #[test]
    fn other_comments_are_not_suppressions() {
        let s = Suppressions::scan("# v4.2.2\n# hardpins: ignore\n# ignore\n# hardpin ignore\n");
        assert!(s.is_empty());
        assert!(s.problems().is_empty());
    }

    #[test]
    fn malformed_directives_are_problems_not_suppressions() {
        let s = Suppressions::scan(
            "a # hardpin: ignroe\nb # hardpin: ignore[HP001\nc # hardpin: ignore[]\nd # hardpin: ignored\ne # hardpin: ignore[HP001,]\n",
        );
        assert!(s.is_empty());
        let lines: Vec<usize> = s.problems().iter().map(SuppressError::line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        assert!(s.problems().iter().all(|p| !p.hint().is_empty()));
        assert!(
            matches!(&s.problems()[0], SuppressError::Malformed { text, .. } if text == "# hardpin: ignroe")
        );
    }

    #[test]
    fn unknown_names_are_problems_and_known_names_still_apply() {
        let s = Suppressions::scan("a # hardpin: ignore[HP999, pin-actions, pin-everything]\n");
        assert!(s.covers(1, &["pin-actions"]));
        assert!(!s.covers(1, &["HP001"]));
        assert_eq!(
            s.problems(),
            [
                SuppressError::UnknownName {
                    line: 1,
                    name: "HP999".into()
                },
                SuppressError::UnknownName {
                    line: 1,
                    name: "pin-everything".into()
                },
            ]
        );
    }

    #[test]
    fn line_zero_and_past_the_end_are_not_covered() {
        let s = Suppressions::scan("# hardpin: ignore\n");
        assert!(!s.covers(0, PIN));
        assert!(s.covers(2, PIN));
        assert!(!s.covers(3, PIN));
    }
}
