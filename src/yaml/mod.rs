//! The YAML side of hardpin: a tree-sitter concrete syntax tree kept beside the
//! text, so that every edit is a byte range taken from a node.
//!
//! Two views live side by side: the CST here (where things are) and the loaded
//! data in [`data`] (what they mean), which is used after editing to prove that
//! nothing but the intended values changed.

pub mod data;
pub mod route;
pub mod scalar;

use tree_sitter::{Node, Parser, Tree};

pub use route::{Pair, Seg, pairs};
pub use scalar::{Scalar, ScalarStyle, scalar};

/// A YAML file that parsed without ERROR or MISSING nodes.
pub struct YamlDoc {
    pub text: String,
    pub tree: Tree,
}

/// Where the parser gave up, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("YAML {reason} at line {line}, column {column}")]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub reason: &'static str,
}

/// Deeper trees are refused: hardpin walks trees recursively, and no real
/// workflow comes near this.
pub const MAX_DEPTH: usize = 200;

/// The depth of the deepest node, found without recursion.
fn too_deep(root: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        if depth > MAX_DEPTH {
            return Some(cursor.node());
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
            depth -= 1;
        }
    }
}

impl YamlDoc {
    /// Parse `text`; a tree with any ERROR or MISSING node is rejected, since
    /// editing a tree the parser only half understood could corrupt the file.
    pub fn parse(text: String) -> Result<Self, SyntaxError> {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .expect("tree-sitter-yaml is ABI-compatible with tree-sitter");
        let tree = parser.parse(&text, None).ok_or(SyntaxError {
            line: 1,
            column: 1,
            reason: "parser failure",
        })?;
        if let Some(bad) = first_error(tree.root_node()) {
            // An ERROR node spans what could not be placed, often from the
            // start of the file: where it ends is where the parser gave up.
            let pos = if bad.is_missing() {
                bad.start_position()
            } else {
                bad.end_position()
            };
            return Err(SyntaxError {
                line: pos.row + 1,
                column: pos.column + 1,
                reason: "syntax error",
            });
        }
        if let Some(deep) = too_deep(tree.root_node()) {
            let pos = deep.start_position();
            return Err(SyntaxError {
                line: pos.row + 1,
                column: pos.column + 1,
                reason: "nesting deeper than 200 levels",
            });
        }
        Ok(Self { text, tree })
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// The text a node spans.
    pub fn text_of(&self, node: Node<'_>) -> &str {
        &self.text[node.byte_range()]
    }

    /// The comment on the line of `value` that belongs to it: the trailing
    /// comment in block style; in flow style the comment ending that line
    /// (several flow values may share it).
    pub fn comment_for(&self, value: Node<'_>) -> Option<Node<'_>> {
        if !in_flow(value) {
            return self.trailing_comment(value.end_byte());
        }
        let text = &self.text;
        let eol = text[value.end_byte()..]
            .find('\n')
            .map_or(text.len(), |i| value.end_byte() + i);
        (value.end_byte()..eol)
            .filter(|&i| text.as_bytes()[i] == b'#')
            .find_map(|i| {
                self.root()
                    .descendant_for_byte_range(i, i + 1)
                    .filter(|n| n.kind() == "comment" && n.start_byte() == i)
            })
    }

    /// The comment that follows `end` on the same line with only blanks
    /// between, as a node of the tree.
    pub fn trailing_comment(&self, end: usize) -> Option<Node<'_>> {
        let rest = &self.text[end..];
        let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if !rest[gap..].starts_with('#') {
            return None;
        }
        let at = end + gap;
        self.root()
            .descendant_for_byte_range(at, at + 1)
            .filter(|n| n.kind() == "comment" && n.start_byte() == at)
    }
}

fn first_error(node: Node<'_>) -> Option<Node<'_>> {
    if !node.has_error() {
        return None;
    }
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error).or(Some(node))
}

/// Is `node` inside a flow mapping or sequence?
pub fn in_flow(node: Node<'_>) -> bool {
    std::iter::successors(node.parent(), Node::parent)
        .any(|n| matches!(n.kind(), "flow_mapping" | "flow_sequence"))
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_broken_yaml_with_position() {
        let err = YamlDoc::parse("a: 1\nb: \"x\\.y\"\nc: 2\n".into())
            .err()
            .unwrap();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn refuses_absurd_nesting() {
        let deep = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
        assert!(YamlDoc::parse(deep).is_err());
        let ok = format!("a: {}{}\n", "[".repeat(20), "]".repeat(20));
        assert!(YamlDoc::parse(ok).is_ok());
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let doc = YamlDoc::parse("\u{feff}a: 1\r\nb: 2\r\n".into()).unwrap();
        assert_eq!(pairs(&doc).len(), 2);
    }

    #[test]
    fn finds_trailing_comment() {
        let doc = YamlDoc::parse("a: x   # note\nb: y\n".into()).unwrap();
        let c = doc.trailing_comment(4).unwrap();
        assert_eq!(doc.text_of(c), "# note");
        assert!(doc.trailing_comment(17).is_none());
    }
}
