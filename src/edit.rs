//! Byte-range edits and their application.
//!
//! Every transform expresses its change as a set of [`Edit`]s over the original
//! text. Applying them copies the untouched text between edits verbatim, which
//! is what keeps every other byte of the file (line endings, BOM, comments,
//! quoting) exactly as it was.

use std::ops::Range;

use crate::diagnostics::Edit;

/// Two edits claimed the same bytes. This is always a bug in a transform:
/// silently dropping one of them could leave a half-pinned file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("overlapping edits at bytes {first:?} and {second:?}")]
pub struct OverlapError {
    pub first: Range<usize>,
    pub second: Range<usize>,
}

/// Apply `edits` to `text`, returning the new text.
///
/// Edits may come in any order. Two insertions at the same offset are applied
/// in the order given; any other overlap is an [`OverlapError`]. Ranges must lie
/// on character boundaries of `text` (they come from parser nodes, so they do).
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, OverlapError> {
    let mut order: Vec<&Edit> = edits.iter().collect();
    // Stable sort keeps the given order of insertions at the same offset.
    order.sort_by_key(|e| (e.range.start, e.range.end));
    for pair in order.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let touches_same_bytes = b.range.start < a.range.end;
        let both_replace_at_same_start =
            a.range.start == b.range.start && !a.range.is_empty() && !b.range.is_empty();
        if touches_same_bytes || both_replace_at_same_start {
            return Err(OverlapError {
                first: a.range.clone(),
                second: b.range.clone(),
            });
        }
    }
    let mut out = String::with_capacity(text.len() + 64 * edits.len());
    let mut cursor = 0;
    for edit in order {
        out.push_str(&text[cursor..edit.range.start]);
        out.push_str(&edit.replacement);
        cursor = edit.range.end;
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_any_order() {
        let edits = [Edit::replace(6..11, "there"), Edit::replace(0..5, "HELLO")];
        assert_eq!(apply_edits("hello world", &edits).unwrap(), "HELLO there");
    }

    #[test]
    fn insertions_at_same_offset_keep_order() {
        let edits = [Edit::insert(5, "A"), Edit::insert(5, "B")];
        assert_eq!(apply_edits("hello world", &edits).unwrap(), "helloAB world");
    }

    #[test]
    fn insertion_before_replacement_at_same_start() {
        let edits = [Edit::replace(0..5, "X"), Edit::insert(0, ">")];
        assert_eq!(apply_edits("hello", &edits).unwrap(), ">X");
    }

    #[test]
    fn overlap_is_an_error() {
        let edits = [Edit::replace(0..5, "a"), Edit::replace(3..8, "b")];
        assert!(apply_edits("hello world", &edits).is_err());
        let same = [Edit::replace(0..5, "a"), Edit::replace(0..2, "b")];
        assert!(apply_edits("hello world", &same).is_err());
    }

    #[test]
    fn adjacent_edits_are_fine() {
        let edits = [Edit::replace(0..5, "a"), Edit::replace(5..6, "b")];
        assert_eq!(apply_edits("hello world", &edits).unwrap(), "abworld");
    }
}
