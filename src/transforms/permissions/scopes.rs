//! Token scopes, their allowed levels on github.com, and sets of grants with
//! the reasons behind them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Read,
    Write,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
        }
    }
}

/// Scopes a github.com workflow may set, with the levels each accepts.
/// (`repository-projects` exists only on GHES; `metadata` cannot be set.)
pub const SCOPES: &[(&str, &[Level])] = &[
    ("actions", &[Level::Read, Level::Write]),
    ("artifact-metadata", &[Level::Read, Level::Write]),
    ("attestations", &[Level::Read, Level::Write]),
    ("checks", &[Level::Read, Level::Write]),
    ("code-quality", &[Level::Read, Level::Write]),
    ("contents", &[Level::Read, Level::Write]),
    ("deployments", &[Level::Read, Level::Write]),
    ("discussions", &[Level::Read, Level::Write]),
    ("id-token", &[Level::Write]),
    ("issues", &[Level::Read, Level::Write]),
    ("models", &[Level::Read]),
    ("packages", &[Level::Read, Level::Write]),
    ("pages", &[Level::Read, Level::Write]),
    ("pull-requests", &[Level::Read, Level::Write]),
    ("security-events", &[Level::Read, Level::Write]),
    ("statuses", &[Level::Read, Level::Write]),
    ("vulnerability-alerts", &[Level::Read]),
];

/// Why a `scope: level` pair is not valid on github.com; a typed value so a
/// knowledge-base file's error can say which entry and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Not one of [`SCOPES`].
    #[error("unknown scope `{0}`")]
    Unknown(String),
    /// A scope that does not accept this level (`id-token: read`).
    #[error("`{scope}` cannot be `{}`", .level.as_str())]
    Level { scope: String, level: Level },
}

/// `Err` says why `scope: level` is not valid on github.com.
pub fn validate(scope: &str, level: Level) -> Result<(), ScopeError> {
    match SCOPES.iter().find(|(s, _)| *s == scope) {
        None => Err(ScopeError::Unknown(scope.to_string())),
        Some((_, levels)) if !levels.contains(&level) => Err(ScopeError::Level {
            scope: scope.to_string(),
            level,
        }),
        Some(_) => Ok(()),
    }
}

/// One grant and who needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub level: Level,
    /// `(who, why)`: the action or command, and the reason.
    pub because: Vec<(String, String)>,
}

/// The scopes a job needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScopeSet(pub BTreeMap<String, Grant>);

impl ScopeSet {
    /// Add a need. Write wins over read; the reasons kept are those of the
    /// level granted (who needs write, not who would be happy with read).
    pub fn add(&mut self, scope: &str, level: Level, who: &str, why: &str) {
        let g = self.0.entry(scope.to_string()).or_insert(Grant {
            level,
            because: Vec::new(),
        });
        if level > g.level {
            g.level = level;
            g.because.clear();
        }
        let item = (who.to_string(), why.to_string());
        if level == g.level && !g.because.contains(&item) {
            g.because.push(item);
        }
    }

    pub fn extend(&mut self, other: &ScopeSet) {
        for (scope, g) in &other.0 {
            for (who, why) in &g.because {
                self.add(scope, g.level, who, why);
            }
            if g.because.is_empty() {
                self.add(scope, g.level, "", "");
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Exactly `contents: read` (what the top-level block grants).
    pub fn is_contents_read_only(&self) -> bool {
        self.0.len() == 1
            && self
                .0
                .get("contents")
                .is_some_and(|g| g.level == Level::Read)
    }

    /// The comment for a scope line: who needs it.
    pub fn comment(&self, scope: &str) -> String {
        let Some(g) = self.0.get(scope) else {
            return String::new();
        };
        let mut who: Vec<&str> = Vec::new();
        for (w, _) in &g.because {
            if !w.is_empty() && !who.contains(&w.as_str()) {
                who.push(w);
            }
        }
        match who.len() {
            0 => String::new(),
            1..=3 => format!("for {}", who.join(", ")),
            n => format!("for {} and {} more", who[..2].join(", "), n - 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_levels() {
        assert!(validate("contents", Level::Write).is_ok());
        assert!(validate("id-token", Level::Read).is_err());
        assert!(validate("models", Level::Write).is_err());
        assert!(validate("workflows", Level::Write).is_err());
        assert!(validate("repository-projects", Level::Read).is_err());
    }

    #[test]
    fn write_wins_and_comment_names_sources() {
        let mut s = ScopeSet::default();
        s.add("contents", Level::Read, "actions/checkout", "to fetch");
        s.add("contents", Level::Write, "git push", "to push");
        assert_eq!(s.0["contents"].level, Level::Write);
        assert_eq!(s.comment("contents"), "for git push");
        s.add("contents", Level::Read, "actions/checkout", "to fetch");
        assert_eq!(s.comment("contents"), "for git push");
    }
}
