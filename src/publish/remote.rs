//! Which GitHub repository a remote URL names.

/// `(host, owner, name)` from `https://host/owner/name(.git)`,
/// `git@host:owner/name(.git)` or `ssh://git@host[:port]/owner/name(.git)`.
pub fn parse_remote(url: &str) -> Option<(String, String, String)> {
    let (host, path) = if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (host, path) = rest.split_once('/')?;
        (host.split(':').next()?.to_string(), path)
    } else {
        let (user_host, path) = url.split_once(':')?;
        if user_host.contains('/') {
            return None; // a local path
        }
        (
            user_host
                .rsplit_once('@')
                .map_or(user_host, |(_, h)| h)
                .to_string(),
            path,
        )
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplit('/');
    let name = parts.next()?.to_string();
    let owner = parts.next()?.to_string();
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    (ok(&owner) && ok(&name) && !host.is_empty()).then_some((host, owner, name))
}

#[cfg(test)]
mod tests {
    use super::parse_remote;

    #[test]
    fn forms() {
        let want = |h: &str| Some((h.to_string(), "octo".to_string(), "app".to_string()));
        assert_eq!(
            parse_remote("https://github.com/octo/app.git"),
            want("github.com")
        );
        assert_eq!(
            parse_remote("https://x-access-token:t@github.com/octo/app"),
            want("github.com")
        );
        assert_eq!(
            parse_remote("git@github.com:octo/app.git"),
            want("github.com")
        );
        assert_eq!(
            parse_remote("ssh://git@ghe.example.com:2222/octo/app.git"),
            want("ghe.example.com")
        );
        assert_eq!(
            parse_remote("https://ghe.example.com/octo/app/"),
            want("ghe.example.com")
        );
        assert_eq!(parse_remote("/srv/git/app.git"), None);
    }
}
