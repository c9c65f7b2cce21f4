//! Small network helpers shared by the resolvers.

use reqwest::Url;

/// Is the URL's host a loopback address (where plain http is acceptable)?
pub fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(is_loopback_host)
}

/// Is `host` (`name`, `name:port`, `[v6]:port`) a loopback address?
pub fn is_loopback_host(host: &str) -> bool {
    let h = host
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `text` with the userinfo of every URL in it (`https://bob:secret@host`)
/// replaced by `***`: remote URLs may embed a password or token, and every
/// message that shows a URL goes through here first.
///
/// ```
/// # use hardpin::net::redact_url;
/// assert_eq!(
///     redact_url("cannot push to https://bob:s3cret@example.com/o/r.git"),
///     "cannot push to https://***@example.com/o/r.git"
/// );
/// ```
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends where the path, query or fragment starts, or
        // where the URL ends in running text.
        let end = tail
            .find(|c: char| "/?#`'\"<>".contains(c) || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// An error with its causes, `a: b: c`, for messages that say what went wrong.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, is_loopback_host, redact_url};

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1:5000"));
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("[::1]:5000"));
        assert!(!is_loopback_host("registry.example.com:5000"));
        assert!(!is_loopback_host("127.0.0.1.example.com"));
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(is_loopback(&url("http://[::1]:9/x")));
        assert!(is_loopback(&url("http://127.0.0.2/")));
        assert!(!is_loopback(&url("http://localhost.evil.example/")));
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_url("`https://bob:SECRET@h.example/o/r` and ssh://git@h:22/o/r"),
            "`https://***@h.example/o/r` and ssh://***@h:22/o/r"
        );
        assert_eq!(
            redact_url("http://x-access-token:ghs_1@127.0.0.1:9"),
            "http://***@127.0.0.1:9"
        );
        assert_eq!(
            redact_url("no url, a@b, https://h/p@q"),
            "no url, a@b, https://h/p@q"
        );
    }
}
