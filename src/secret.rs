//! A credential that cannot end up in output by accident.

use std::fmt;

/// A token or password. `Debug` and `Display` never show it; only
/// [`Secret::expose`] does, at the one place a request header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let v = value.into();
        let v = v.trim();
        (!v.is_empty()).then(|| Self(v.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_printed() {
        let s = super::Secret::new("ghp_abc").unwrap();
        assert!(!format!("{s:?} {s}").contains("ghp_abc"));
        assert!(super::Secret::new("  ").is_none());
    }
}
