//! Scalar values of the CST: their decoded value and how they were written,
//! so a replacement can be written back in the same quote style.

use tree_sitter::Node;

use super::YamlDoc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` or `>`: never rewritten by hardpin.
    Block,
}

/// A scalar node (without its tag or anchor) and its decoded value.
#[derive(Debug, Clone)]
pub struct Scalar<'t> {
    pub node: Node<'t>,
    pub style: ScalarStyle,
    pub value: String,
}

impl Scalar<'_> {
    /// Write `value` in this scalar's quote style. Only called with values that
    /// need no escaping in any style (refs validated by hardpin).
    pub fn requote(&self, value: &str) -> String {
        requote_as(self.style, value)
    }
}

/// Write `value` as a scalar of `style` (block styles are written plain).
pub fn requote_as(style: ScalarStyle, value: &str) -> String {
    {
        match style {
            ScalarStyle::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
            ScalarStyle::DoubleQuoted => {
                format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
            }
            ScalarStyle::Plain | ScalarStyle::Block => value.to_string(),
        }
    }
}

/// The scalar held by `node` (a `flow_node`/`block_node` or a scalar itself).
pub fn scalar<'t>(doc: &YamlDoc, node: Node<'t>) -> Option<Scalar<'t>> {
    let found = find_scalar(node)?;
    let raw = doc.text_of(found);
    let (style, value) = match found.kind() {
        "plain_scalar" => (ScalarStyle::Plain, fold_lines(raw)),
        "single_quote_scalar" => (
            ScalarStyle::SingleQuoted,
            fold_lines(&raw[1..raw.len() - 1]).replace("''", "'"),
        ),
        "double_quote_scalar" => (
            ScalarStyle::DoubleQuoted,
            unescape_double(&raw[1..raw.len() - 1]),
        ),
        "block_scalar" => (ScalarStyle::Block, block_content(raw)),
        _ => return None,
    };
    Some(Scalar {
        node: found,
        style,
        value,
    })
}

fn find_scalar(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind() {
        "plain_scalar" | "single_quote_scalar" | "double_quote_scalar" | "block_scalar" => {
            Some(node)
        }
        "flow_node" | "block_node" => {
            let mut cursor = node.walk();
            node.named_children(&mut cursor).find_map(find_scalar)
        }
        _ => None,
    }
}

/// Multi-line flow scalars fold line breaks into spaces (blank lines into `\n`).
fn fold_lines(raw: &str) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    let mut out = String::new();
    let mut pending_space = false;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if i > 0 && line.is_empty() {
            out.push('\n');
            pending_space = false;
            continue;
        }
        if pending_space {
            out.push(' ');
        }
        out.push_str(line);
        pending_space = !line.is_empty();
    }
    out
}

/// A backslash at the end of a line joins the next line to it, without the
/// space folding would put there and without the next line's indentation.
fn join_escaped_breaks(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('\r' | '\n') => {
                chars.next_if_eq(&'\r');
                chars.next_if_eq(&'\n');
                while chars.next_if(|c| matches!(c, ' ' | '\t')).is_some() {}
            }
            Some(_) => {
                out.push(c);
                out.extend(chars.next());
            }
            None => out.push(c),
        }
    }
    out
}

fn unescape_double(raw: &str) -> String {
    let folded = fold_lines(&join_escaped_breaks(raw));
    let mut out = String::with_capacity(folded.len());
    let mut chars = folded.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(' ') => out.push(' '),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('e') => out.push('\u{1b}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('N') => out.push('\u{85}'),
            Some('_') => out.push('\u{a0}'),
            Some('L') => out.push('\u{2028}'),
            Some('P') => out.push('\u{2029}'),
            Some(h @ ('x' | 'u' | 'U')) => {
                let width = match h {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(width).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The content of a `|`/`>` block scalar, with its indentation removed and
/// line breaks kept (hardpin only reads block scalars, e.g. `run:` scripts).
fn block_content(raw: &str) -> String {
    let mut lines = raw.split('\n');
    let header = lines.next().unwrap_or_default(); // `|`, `>-`, `|2`…
    let body: Vec<&str> = lines.map(|l| l.trim_end_matches('\r')).collect();
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<&str> = body.iter().map(|l| l.get(indent..).unwrap_or("")).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let mut s = if header.trim_start().starts_with('>') {
        fold(&out)
    } else {
        out.join("\n")
    };
    s.push('\n');
    s
}

/// The lines of a folded (`>`) block scalar as one value: a line break
/// between two lines of text becomes a space, each empty line a newline,
/// and breaks around more-indented lines stay (YAML 1.2, 8.1.3). A folded
/// `run: >-` script is one command line, not several.
fn fold(lines: &[&str]) -> String {
    let more_indented = |l: &str| l.starts_with([' ', '\t']);
    let mut s = String::new();
    let mut empties = 0;
    let mut prev_more = false;
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            empties += 1;
            continue;
        }
        let more = more_indented(line);
        if i > 0 {
            let kept_break = prev_more || more;
            match (empties, kept_break) {
                (0, false) => s.push(' '),
                (0, true) => s.push('\n'),
                (n, false) => s.push_str(&"\n".repeat(n)),
                (n, true) => s.push_str(&"\n".repeat(n + 1)),
            }
        }
        s.push_str(line);
        empties = 0;
        prev_more = more;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::pairs;

    fn value_of(src: &str) -> (ScalarStyle, String) {
        let doc = YamlDoc::parse(src.into()).unwrap();
        let p = &pairs(&doc)[0];
        let s = scalar(&doc, p.value.unwrap()).unwrap();
        (s.style, s.value)
    }

    #[test]
    fn folded_block_scalars_join_their_lines() {
        let (_, v) =
            value_of("run: >-\n  gh release create\n  --title x\n\n  next\n    kept\n  end\n");
        assert_eq!(v, "gh release create --title x\nnext\n  kept\nend\n");
        let (_, v) = value_of("run: |\n  a\n  b\n");
        assert_eq!(v, "a\nb\n");
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(value_of("q: \"a\\\n  b\"\n").1, "ab");
        assert_eq!(value_of("q: \"a\n  b\"\n").1, "a b");
        assert_eq!(
            value_of("q: \"\\e\\N\\L\\_\"\n").1,
            "\u{1b}\u{85}\u{2028}\u{a0}"
        );
        assert_eq!(value_of("q: \"\\\\\"\n").1, "\\");
    }

    #[test]
    fn decodes_styles() {
        assert_eq!(
            value_of("a: x/y@v1\n"),
            (ScalarStyle::Plain, "x/y@v1".into())
        );
        assert_eq!(
            value_of("a: 'it''s'\n"),
            (ScalarStyle::SingleQuoted, "it's".into())
        );
        assert_eq!(
            value_of("a: \"x\\u0041\\\"\"\n"),
            (ScalarStyle::DoubleQuoted, "xA\"".into())
        );
        assert_eq!(value_of("a: !!str x\n"), (ScalarStyle::Plain, "x".into()));
        assert_eq!(
            value_of("a: |\n  one\n  two\n"),
            (ScalarStyle::Block, "one\ntwo\n".into())
        );
    }

    #[test]
    fn folds_multiline_plain() {
        assert_eq!(value_of("a: one\n  two\n").1, "one two");
    }
}
