//! The YAML side of hardpin: a tree-sitter concrete syntax tree kept beside the
//! text, so that every edit is a byte range taken from a node.
//!
//! Two views live side by side: the CST here (where things are) and the loaded
//! data in [`data`] (what they mean), which is used after editing to prove that
//! nothing but the intended values changed.

pub mod data;
pub mod layout;
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

/// Why a YAML file was refused, and where (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub kind: SyntaxKind,
}

impl std::error::Error for SyntaxError {}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SyntaxKind::TooManyLines(_) | SyntaxKind::LineTooLong(_) => write!(f, "{}", self.kind),
            _ => write!(
                f,
                "{} at line {}, column {}",
                self.kind, self.line, self.column
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxKind {
    #[error("YAML syntax error")]
    Syntax,
    #[error("the YAML parser failed")]
    ParserFailure,
    #[error("YAML nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("too large for the YAML parser ({0} lines; it handles at most {MAX_ROWS})")]
    TooManyLines(usize),
    #[error("a line too long for the YAML parser ({0} bytes; it handles at most {MAX_ROWS})")]
    LineTooLong(usize),
    #[error("aliases that expand to more than {MAX_EXPANDED} nodes (an alias bomb)")]
    AliasBomb,
}

/// More nodes than this once aliases are expanded is an attack, not a
/// workflow: real files stay in the tens of thousands.
pub const MAX_EXPANDED: u64 = 1_000_000;

/// The number of nodes the document would have with every alias replaced by
/// its anchor's node, counted without expanding anything (each anchor's size
/// is remembered); `None` past [`MAX_EXPANDED`].
fn expanded_size<'t>(
    doc: &'t str,
    node: Node<'t>,
    anchors: &mut std::collections::HashMap<&'t str, u64>,
) -> Option<u64> {
    if node.kind() == "alias" {
        let name = doc[node.byte_range()].trim_start_matches('*');
        return Some(anchors.get(name).copied().unwrap_or(1));
    }
    let mut size = 1u64;
    let mut anchor = None;
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if child.kind() == "anchor" {
            anchor = Some(doc[child.byte_range()].trim_start_matches('&'));
            continue;
        }
        size = size.saturating_add(expanded_size(doc, child, anchors)?);
        if size > MAX_EXPANDED {
            return None;
        }
    }
    if let Some(name) = anchor {
        anchors.insert(name, size);
    }
    Some(size)
}

/// tree-sitter-yaml's scanner keeps rows and columns in `int16_t`: past
/// 32,767 they wrap, and the parse goes wrong (at best an ERROR node far from
/// any mistake). Such files are refused up front with the real reason.
pub const MAX_ROWS: usize = i16::MAX as usize;

/// Check `text` against the scanner's row and column limits.
fn within_scanner_limits(text: &str) -> Result<(), SyntaxError> {
    let mut lines = 0;
    for (i, line) in text.split('\n').enumerate() {
        lines = i + 1;
        if line.len() >= MAX_ROWS {
            return Err(SyntaxError {
                line: i + 1,
                column: MAX_ROWS,
                kind: SyntaxKind::LineTooLong(line.len()),
            });
        }
    }
    if lines > MAX_ROWS {
        return Err(SyntaxError {
            line: MAX_ROWS + 1,
            column: 1,
            kind: SyntaxKind::TooManyLines(text.lines().count()),
        });
    }
    Ok(())
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
        within_scanner_limits(&text)?;
        let mut parser = Parser::new();
        // The grammar and the runtime are built together: a mismatch is a
        // build problem, found by every test.
        #[allow(clippy::expect_used)]
        parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .expect("tree-sitter-yaml is ABI-compatible with tree-sitter");
        let tree = parser.parse(&text, None).ok_or(SyntaxError {
            line: 1,
            column: 1,
            kind: SyntaxKind::ParserFailure,
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
                kind: SyntaxKind::Syntax,
            });
        }
        if let Some(deep) = too_deep(tree.root_node()) {
            let pos = deep.start_position();
            return Err(SyntaxError {
                line: pos.row + 1,
                column: pos.column + 1,
                kind: SyntaxKind::TooDeep,
            });
        }
        if expanded_size(&text, tree.root_node(), &mut Default::default()).is_none() {
            return Err(SyntaxError {
                line: 1,
                column: 1,
                kind: SyntaxKind::AliasBomb,
            });
        }
        Ok(Self { text, tree })
    }

    /// What the first document's top level is, for files that must be a
    /// mapping: `None` for a mapping (or an empty file).
    pub fn top_level_not_mapping(&self) -> Option<&'static str> {
        let root = self.root();
        let mut cursor = root.walk();
        let document = root
            .named_children(&mut cursor)
            .find(|n| n.kind() == "document")?;
        let mut node = document;
        loop {
            let mut c = node.walk();
            let content = node
                .named_children(&mut c)
                .find(|n| !matches!(n.kind(), "comment" | "anchor" | "tag"))?;
            match content.kind() {
                "block_node" | "flow_node" => node = content,
                "block_mapping" | "flow_mapping" => return None,
                "block_sequence" | "flow_sequence" => return Some("a sequence"),
                "alias" => return Some("an alias"),
                _ => return Some("a scalar"),
            }
        }
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// The text a node spans.
    pub fn text_of(&self, node: Node<'_>) -> &str {
        &self.text[node.byte_range()]
    }

    /// The scalar whose node spans exactly `span`: how a transform finds
    /// again, in the second pass, a value it recorded in the first.
    pub fn scalar_at(&self, span: std::ops::Range<usize>) -> Option<scalar::Scalar<'_>> {
        let mut node = self
            .root()
            .descendant_for_byte_range(span.start, span.end)?;
        while node.byte_range() == span {
            if let Some(s) = scalar::scalar(self, node).filter(|s| s.node.byte_range() == span) {
                return Some(s);
            }
            node = node.parent()?;
        }
        None
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
pub(crate) mod tests {
    use super::*;

    /// Eleven levels of nine aliases each: 9^11 leaves if expanded.
    pub(crate) fn alias_bomb() -> String {
        let mut bomb = String::from("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            bomb.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
        }
        bomb
    }

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
    fn refuses_what_the_scanner_cannot_count() {
        let long = "steps:\n  - run: echo hi\n".repeat(20_000);
        let err = YamlDoc::parse(long).err().unwrap();
        assert_eq!(err.kind, SyntaxKind::TooManyLines(40_000));
        assert!(
            err.to_string()
                .starts_with("too large for the YAML parser (40000 lines")
        );
        let wide = format!("a: {}\n", "x".repeat(40_000));
        assert!(matches!(
            YamlDoc::parse(wide).err().unwrap().kind,
            SyntaxKind::LineTooLong(_)
        ));
        let ok = "a: 1\n".repeat(30_000);
        assert!(YamlDoc::parse(ok).is_ok());
    }

    #[test]
    fn refuses_alias_bombs_without_expanding() {
        assert_eq!(
            YamlDoc::parse(alias_bomb()).err().unwrap().kind,
            SyntaxKind::AliasBomb
        );
        let fine = "d: &d {runs-on: x}\na: *d\nb: *d\n";
        assert!(YamlDoc::parse(fine.into()).is_ok());
    }

    #[test]
    fn tells_what_the_top_level_is() {
        let kind = |t: &str| YamlDoc::parse(t.into()).unwrap().top_level_not_mapping();
        assert_eq!(kind("on: push\njobs: {}\n"), None);
        assert_eq!(kind("# c\n--- &x\n{a: 1}\n"), None);
        assert_eq!(kind(""), None);
        assert_eq!(kind("- a\n- b\n"), Some("a sequence"));
        assert_eq!(kind("just text\n"), Some("a scalar"));
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
