//! The CODEOWNERS format, as GitHub reads it: which lines assign owners to
//! a path. Patterns follow gitignore's rules with GitHub's exceptions: no
//! `!` negation, no `[ ]` ranges (GitHub skips such lines), and `dir/*`
//! covers the files directly in `dir`, not deeper ones. The last matching
//! line decides, and a line without owners leaves the path unowned.

/// Whether `path` (relative to the repository root, `/`-separated) has an
/// owner in the CODEOWNERS `text`.
pub fn owned(text: &str, path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').collect();
    let mut owned = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        if pattern.starts_with('!') || pattern.contains(['[', ']', '\\']) {
            continue;
        }
        let owners = words.take_while(|w| !w.starts_with('#')).count();
        if matches(pattern, &segs) {
            owned = owners > 0;
        }
    }
    owned
}

/// Does `pattern` match the file `path` or a folder it is in?
fn matches(pattern: &str, path: &[&str]) -> bool {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    // A slash before the end anchors the pattern at the root.
    let anchored = trimmed.contains('/');
    let trimmed = trimmed.trim_start_matches('/');
    if trimmed.is_empty() {
        return false;
    }
    let mut segs: Vec<&str> = Vec::new();
    if !anchored {
        segs.push("**");
    }
    segs.extend(trimmed.split('/'));
    let last_is_glob = segs.last().is_some_and(|s| s.contains(['*', '?']));
    (1..=path.len()).any(|k| {
        let whole = k == path.len();
        // A folder matches by name (`apps`, `apps/`), not by a glob that
        // stands for the files in it (`docs/*`).
        let allowed = if whole {
            !dir_only
        } else {
            dir_only || !last_is_glob
        };
        allowed && glob_path(&segs, &path[..k])
    })
}

/// Segments against segments, `**` standing for any number of folders.
fn glob_path(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|i| glob_path(rest, &path[i..])),
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(head, tail)| glob(first, head) && glob_path(rest, tail)),
    }
}

/// One segment: `*` any characters, `?` one.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn patterns_that_cover_workflows() {
        for p in [
            "*",
            "**",
            "/.github/",
            ".github/",
            "/.github",
            "/.github/workflows/",
            ".github/workflows/*",
            "/.github/**",
            "*.yml",
            "workflows/",
            "/.github/workflows/ci.yml",
        ] {
            assert!(owned(&format!("{p} @org/team\n"), CI), "{p}");
        }
        for p in [
            "/.github/*",
            "/docs/",
            "*.yaml",
            ".github/workflows/*.yaml",
            "/workflows/",
            "!.github/",
            ".github/[w]orkflows/",
        ] {
            assert!(!owned(&format!("{p} @org/team\n"), CI), "{p}");
        }
    }

    #[test]
    fn the_last_match_decides() {
        assert!(!owned("* @all\n/.github/workflows/\n", CI));
        assert!(owned("/.github/workflows/\n* @all # fallback\n", CI));
        assert!(!owned("# * @all\n", CI));
        assert!(!owned("* # no owner\n", CI));
    }

    #[test]
    fn globs() {
        assert!(glob("c?.y*l", "ci.yml"));
        assert!(glob("*", ""));
        assert!(!glob("*.yml", "ci.yaml"));
        assert!(glob("*i*", "ci.yml"));
    }
}
