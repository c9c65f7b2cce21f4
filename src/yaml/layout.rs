//! The layout of a YAML file that inserted lines must follow: its line
//! endings, and where a line starts (above the comments that belong to the
//! node below them). Transforms that add lines share it, so every insertion
//! reads as if written by the file's author.

use tree_sitter::Node;

/// `\r\n` when the file's first line ends that way.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The byte offset where lines inserted before `node` begin: the start of
/// its line, or of the comment lines directly above it at the same
/// indentation (they describe it). `None` when something precedes `node`
/// on its line.
pub fn line_start_before(text: &str, node: Node<'_>) -> Option<usize> {
    let start = node.start_byte();
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].chars().all(|c| c == ' ') {
        return None;
    }
    let col = start - line_start;
    let mut at = line_start;
    while at > 0 {
        let prev_start = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
        let prev = text[prev_start..at].trim_end_matches(['\n', '\r']);
        let indent = prev.len() - prev.trim_start_matches(' ').len();
        if prev.trim_start().starts_with('#') && indent == col {
            at = prev_start;
        } else {
            break;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{YamlDoc, pairs};

    #[test]
    fn line_endings() {
        assert_eq!(line_ending("a: 1\r\nb: 2\n"), "\r\n");
        assert_eq!(line_ending("a: 1\n"), "\n");
        assert_eq!(line_ending("a: 1"), "\n");
    }

    #[test]
    fn starts_above_own_comments_only() {
        let src = "a: 1\n# about b\nb: 2\n  # not b's\nc: 3\nd: {e: 4}\n";
        let doc = YamlDoc::parse(src.into()).unwrap();
        let ps = pairs(&doc);
        let at = |k: &str| {
            let p = ps.iter().find(|p| p.key_name() == k).unwrap();
            line_start_before(src, p.node)
        };
        assert_eq!(at("b"), src.find("# about"));
        assert_eq!(at("c"), src.find("c: 3"));
        assert_eq!(at("e"), None);
    }
}
