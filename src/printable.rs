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
    escape_where(s, is_unsafe)
}

/// [`escape`], and the backtick too: for outside text put inside a Markdown
/// code span, which a backtick would end.
pub fn escape_code(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| is_unsafe(c) || c == '`')
}

fn escape_where(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else if bad(c) {
            // Printable, so `escape_default` would leave it as it is.
            out.extend(c.escape_unicode());
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
        assert_eq!(escape("naïve ✓ `x`"), "naïve ✓ `x`");
        assert_eq!(escape_code("a`b\n"), "a\\u{60}b\\n");
    }
}
