//! The body's "Updates" section: per dependency, from and to, the compare
//! view and the releases page, ⚠ on a major move, then the releases in
//! between (or the digests of an image). Tags, names and URLs come from
//! files and servers: all escaped, names in code spans (no mention or
//! issue reference can ping anyone), links percent-encoded.

use std::fmt::Write;

use super::cell;
use crate::publish::updates::{ActionMove, Between, Detail, Source, Update, short_digest};

/// The section, after the body's introduction; nothing without updates.
pub(super) fn section(b: &mut String, updates: &[Update]) {
    if updates.is_empty() {
        return;
    }
    b.push_str("\n## Updates\n\n| dependency | from | to | links |\n|---|---|---|---|\n");
    for u in updates {
        let dependency = cell(&u.dependency.to_string());
        let _ = match &u.detail {
            Detail::Action(a) => writeln!(
                b,
                "| `{dependency}` | `{}` | `{}`{} | {} |",
                cell(&a.from),
                cell(&a.to),
                if a.major { " ⚠ major" } else { "" },
                links(a)
            ),
            Detail::Image(i) => writeln!(
                b,
                "| `{dependency}` | `{}` | `{}` | new digest |",
                cell(short_digest(&i.from)),
                cell(short_digest(&i.to)),
            ),
        };
    }
    for u in updates {
        let dependency = cell(&u.dependency.to_string());
        match &u.detail {
            Detail::Action(a) => {
                if let Some(between) = &a.between {
                    in_between(b, &dependency, a, between);
                }
            }
            Detail::Image(i) => {
                let _ = writeln!(
                    b,
                    "\n`{dependency}`: `{}` → `{}`",
                    cell(&i.from),
                    cell(&i.to)
                );
            }
        }
    }
}

/// `[compare](…) · [releases](…)`, the links the server URL allows.
fn links(a: &ActionMove) -> String {
    let mut out = Vec::new();
    if let Some(url) = &a.compare {
        out.push(format!("[compare]({})", href(url)));
    }
    if let Some(url) = &a.releases {
        out.push(format!("[releases]({})", href(url)));
    }
    out.join(" · ")
}

/// The releases (or tags) after `from` up to `to`, newest first.
fn in_between(b: &mut String, dependency: &str, a: &ActionMove, between: &Between) {
    let what = match between.source {
        Source::Releases => "Releases",
        Source::Tags => "Tags (no releases found)",
    };
    let _ = writeln!(
        b,
        "\n{what} of `{dependency}` after `{}` up to `{}`:\n",
        cell(&a.from),
        cell(&a.to)
    );
    for r in &between.shown {
        let tag = format!("`{}`", cell(&r.tag));
        let tag = match &r.url {
            Some(url) => format!("[{tag}]({})", href(url)),
            None => tag,
        };
        let name = r
            .name
            .as_deref()
            .filter(|n| *n != r.tag)
            .map(|n| format!(" `{}`", cell(n)))
            .unwrap_or_default();
        let _ = writeln!(b, "- {tag}{name}");
    }
    if between.more > 0 {
        let _ = writeln!(b, "- and {} more", between.more);
    }
}

/// A URL as a Markdown link destination inside a table: what would end
/// the link, the cell or a code span is percent-encoded (a URL has no
/// spaces or control characters left).
fn href(url: &reqwest::Url) -> String {
    let mut out = String::new();
    for c in url.as_str().chars() {
        match c {
            '(' | ')' | '[' | ']' | '<' | '>' | '|' | '`' | '\\' | '"' | '\'' | '*' | '_' => {
                let _ = write!(out, "%{:02X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::updates::{Dependency, ImageMove, Release};

    fn update(between: Option<Between>) -> Update {
        Update {
            dependency: Dependency::Action(crate::refs::parse_repo("actions/checkout").unwrap()),
            detail: Detail::Action(Box::new(ActionMove {
                from: "v4.1.0-x)|`@y".into(),
                to: "v5.0.0".into(),
                from_sha: "1".repeat(40),
                to_sha: "2".repeat(40),
                major: true,
                compare: reqwest::Url::parse(
                    "https://github.com/actions/checkout/compare/a)b|c...v5.0.0",
                )
                .ok(),
                releases: reqwest::Url::parse("https://github.com/actions/checkout/releases").ok(),
                between,
            })),
        }
    }

    #[test]
    fn rows_links_and_releases_stay_in_place() {
        let between = Between {
            source: Source::Releases,
            shown: vec![Release {
                tag: "v5.0.0".into(),
                name: Some("@octocat fixed #1 | `x`\n- injected".into()),
                url: reqwest::Url::parse("https://github.com/actions/checkout/releases/tag/v5.0.0")
                    .ok(),
            }],
            more: 3,
        };
        let mut b = String::new();
        section(&mut b, &[update(Some(between))]);
        let row = b
            .lines()
            .find(|l| l.starts_with("| `actions/checkout`"))
            .expect("a row");
        assert_eq!(row.matches(" | ").count(), 3, "{row}");
        assert!(row.contains("⚠ major"), "{row}");
        assert!(row.contains("`v4.1.0-x)\\|\\u{60}@y`"), "{row}");
        assert!(
            row.contains(
                "[compare](https://github.com/actions/checkout/compare/a%29b%7Cc...v5.0.0)"
            ),
            "{row}"
        );
        let items: Vec<&str> = b.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(items.len(), 2, "{b}");
        assert!(
            items[0].starts_with(
                "- [`v5.0.0`](https://github.com/actions/checkout/releases/tag/v5.0.0) `@octocat fixed #1 \\| \\u{60}x\\u{60}\\n- injected`"
            ),
            "{}",
            items[0]
        );
        assert_eq!(items[1], "- and 3 more");
    }

    #[test]
    fn images_show_both_digests() {
        let (from, to) = (
            format!("sha256:{}", "a".repeat(64)),
            format!("sha256:{}", "b".repeat(64)),
        );
        let mut b = String::new();
        section(
            &mut b,
            &[Update {
                dependency: Dependency::Image {
                    name: "node".into(),
                    tag: "20".into(),
                },
                detail: Detail::Image(ImageMove {
                    from: from.clone(),
                    to: to.clone(),
                }),
            }],
        );
        assert!(
            b.contains("| `node:20` | `sha256:aaaaaaaaaaaa` | `sha256:bbbbbbbbbbbb` |"),
            "{b}"
        );
        assert!(b.contains(&format!("`node:20`: `{from}` → `{to}`")), "{b}");
    }

    #[test]
    fn nothing_without_updates() {
        let mut b = String::new();
        section(&mut b, &[]);
        assert!(b.is_empty());
    }
}
