//! A Dockerfile instruction scanner with exact byte spans.
//!
//! Our own, rather than a tree-sitter grammar, because pinning needs the
//! details grammars get wrong: the `escape` parser directive, comments between
//! continued lines, heredocs (whose bodies are not instructions), CRLF, and
//! image references with a registry port.

use std::ops::Range;

/// One whitespace-separated word of an instruction, within one physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Range<usize>,
}

/// An instruction: its keyword (upper-cased) and words, the keyword first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: String,
    pub words: Vec<Word>,
}

impl Instruction {
    /// The arguments, after the keyword.
    pub fn args(&self) -> &[Word] {
        &self.words[1..]
    }
}

/// A scanned Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub text: String,
    pub instructions: Vec<Instruction>,
}

/// A Dockerfile that cannot be scanned safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerfileError {
    #[error("unsupported escape directive `{0}` (only `\\` and `` ` ``)")]
    Escape(String),
    #[error("heredoc `{0}` starting at line {1} is never closed")]
    Heredoc(String, usize),
}

impl DockerfileError {
    pub fn line(&self) -> usize {
        match self {
            DockerfileError::Heredoc(_, l) => *l,
            DockerfileError::Escape(_) => 1,
        }
    }
}

/// Physical lines with their start offsets; content excludes `\n` and `\r`.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        out.push((pos, raw.trim_end_matches('\n').trim_end_matches('\r')));
        pos += raw.len();
    }
    out
}

fn words_of(line: &str, offset: usize, out: &mut Vec<Word>) {
    let mut start = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(Word {
                    text: line[s..i].to_string(),
                    span: offset + s..offset + i,
                });
                start = None;
            }
            _ => {}
        }
    }
}

/// `# key=value` at the top of the file, before anything else.
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim().strip_prefix('#')?;
    let (k, v) = body.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| (k.to_ascii_lowercase(), v.trim().to_string()))
}

/// Heredoc delimiters opened by an instruction's words (`<<EOF`, `<<-"EOF"`).
fn heredocs(words: &[Word]) -> Vec<(String, bool)> {
    words
        .iter()
        .filter_map(|w| {
            let i = w.text.find("<<")?;
            let rest = &w.text[i + 2..];
            let (strip_tabs, rest) = rest.strip_prefix('-').map_or((false, rest), |r| (true, r));
            let name = rest.trim_matches(['"', '\'']);
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some((name, strip_tabs))
        })
        .collect()
}

pub fn parse(text: String) -> Result<Dockerfile, DockerfileError> {
    let all = lines(&text);
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only before any comment, blank line or instruction.
    while let Some(&(_, line)) = all.get(i) {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let Some((key, value)) = directive(line) else {
            break;
        };
        if key == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => return Err(DockerfileError::Escape(other.to_string())),
            };
        }
        i += 1;
    }
    let continues = |line: &str| line.trim_end().ends_with(escape);
    let mut instructions = Vec::new();
    while i < all.len() {
        let (off, line) = all[i];
        let content = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let off = off + (line.len() - content.len());
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let mut words = Vec::new();
        let mut cur = (off, content);
        loop {
            let (o, l) = cur;
            let more = continues(l);
            let body = if more {
                &l[..l.trim_end().len() - escape.len_utf8()]
            } else {
                l
            };
            words_of(body, o, &mut words);
            i += 1;
            if !more {
                break;
            }
            // Comment and blank lines inside a continued instruction are skipped.
            while let Some(&(_, l2)) = all.get(i) {
                let t = l2.trim_start();
                if t.starts_with('#') || t.is_empty() {
                    i += 1;
                } else {
                    break;
                }
            }
            match all.get(i) {
                Some(&next) => cur = next,
                None => break,
            }
        }
        // A line that is nothing but the escape character continues into
        // nothing: no instruction.
        let Some(first) = words.first() else {
            continue;
        };
        let keyword = first.text.to_ascii_uppercase();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            let start_line = i;
            for (name, strip_tabs) in heredocs(&words) {
                loop {
                    let Some(&(_, l)) = all.get(i) else {
                        return Err(DockerfileError::Heredoc(name, start_line));
                    };
                    i += 1;
                    let l = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if l == name {
                        break;
                    }
                }
            }
        }
        instructions.push(Instruction { keyword, words });
    }
    Ok(Dockerfile { text, instructions })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(d: &Dockerfile) -> Vec<String> {
        d.instructions
            .iter()
            .map(|i| {
                i.words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn continuations_comments_and_heredocs() {
        let src = "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM \\\n  # a comment\n  node:20 AS build\r\nRUN <<EOF\nFROM not-an-instruction\nEOF\nCOPY --from=build /a /b\n";
        let d = parse(src.into()).unwrap();
        assert_eq!(
            kw(&d),
            [
                "FROM --platform=$BUILDPLATFORM node:20 AS build",
                "RUN <<EOF",
                "COPY --from=build /a /b"
            ]
        );
        let w = &d.instructions[0].words[2];
        assert_eq!(&d.text[w.span.clone()], "node:20");
    }

    #[test]
    fn escape_directive() {
        let src = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\nRUN dir c:\\\n";
        let d = parse(src.into()).unwrap();
        assert_eq!(
            kw(&d),
            [
                "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS base",
                "RUN dir c:\\"
            ]
        );
    }

    #[test]
    fn unclosed_heredoc_is_an_error() {
        assert!(parse("FROM a\nRUN <<EOF\necho\n".into()).is_err());
    }

    #[test]
    fn lone_escape_is_no_instruction() {
        for src in ["\\\n", "FROM a\n\\\n", "FROM a\n\\", "  \\\n\\\n# c\n"] {
            let d = parse(src.into()).unwrap();
            assert!(
                d.instructions.iter().all(|i| !i.words.is_empty()),
                "{src:?}"
            );
        }
    }

    #[test]
    fn bom_and_crlf() {
        let d = parse("\u{feff}FROM node:20\r\nRUN x\r\n".into()).unwrap();
        let w = &d.instructions[0].words[1];
        assert_eq!(&d.text[w.span.clone()], "node:20");
    }
}
