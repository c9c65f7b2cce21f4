//! Text from outside (file names, ref names, server messages) made safe to
//! show: a control character can forge lines in a terminal, a diff header or
//! a commit trailer, and a bidi override can make a reader see other text
//! than what is there.

use std::borrow::Cow;

/// Characters that change how surrounding text is displayed or read: C0/C1
/// controls (newline and escape included), bidi embeddings, overrides,
/// isolates and marks, zero-width characters and line/paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` with every unsafe character written as a Rust-style escape
/// (`\n`, `\u{1b}`, `\u{202e}`); borrowed when nothing needed escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_forge_or_hide_text() {
        assert_eq!(escape("ci.yml"), "ci.yml");
        assert_eq!(
            escape("x\nCo-authored-by: M\r\u{1b}[31m\u{202e}lmy.yml"),
            "x\\nCo-authored-by: M\\r\\u{1b}[31m\\u{202e}lmy.yml"
        );
        assert_eq!(escape("naïve ✓"), "naïve ✓");
    }
}
