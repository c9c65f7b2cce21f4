//! The permissions knowledge base: what each action and command needs from
//! the token. The data lives in `transforms/permissions/*.toml`, embedded at
//! build time; users add entries from a file of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

use super::scopes::{Level, ScopeSet, validate};
use super::unexplained::Unexplained;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/permissions_kb.rs"));
}

/// One data file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KbFile {
    #[serde(default)]
    actions: BTreeMap<String, ActionEntry>,
    #[serde(default)]
    gh: Vec<GhRule>,
    #[serde(default)]
    api: BTreeMap<String, String>,
    #[serde(default)]
    command: Vec<CommandRule>,
    #[serde(default)]
    harmless: Vec<String>,
    #[serde(default)]
    harmless_unless: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    octokit: BTreeMap<String, String>,
}

/// What one action needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionEntry {
    pub source: String,
    /// The release of the action whose `action.yml` and README the facts
    /// were checked against (`v5.0.1`).
    pub checked: Option<String>,
    pub token_input: Option<String>,
    #[serde(default)]
    pub token_input_default: bool,
    pub token_env: Option<String>,
    pub unknown: Option<String>,
    /// The action runs commands the caller writes: like a `run:` step, it is
    /// understood while the token does not reach it (through `with:` or the
    /// step's `env:`), and unknown, for this reason, when it does.
    pub unknown_with_token: Option<String>,
    /// An input whose value is a shell script the action runs (like
    /// `run:`): analysed with the same command rules.
    pub run_input: Option<String>,
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub permissions: Vec<PermissionEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionEntry {
    pub scope: String,
    pub level: Level,
    pub reason: String,
    #[serde(default)]
    pub if_inputs_set: Vec<String>,
    #[serde(default)]
    pub unless_inputs_set: Vec<String>,
    pub if_input: Option<InputIs>,
    pub if_token_in: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputIs {
    pub name: String,
    pub values: Vec<String>,
}

/// A GitHub CLI sub-command.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GhRule {
    pub command: String,
    pub scopes: BTreeMap<String, Level>,
}

/// When a command rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// Always (the command brings its own credentials).
    Always,
    /// Only when the step can reach the workflow token.
    Token,
    /// Only when a target is on ghcr.io.
    Ghcr,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRule {
    pub words: Vec<String>,
    pub scopes: BTreeMap<String, Level>,
    pub when: When,
    #[serde(default)]
    pub if_flags: Vec<String>,
    #[serde(default)]
    pub unless_flags: Vec<String>,
}

/// A knowledge-base file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("permissions knowledge base {file}: {reason}")]
pub struct KbError {
    pub file: String,
    pub reason: String,
}

/// The whole knowledge base.
#[derive(Debug, Default)]
pub struct Kb {
    pub actions: BTreeMap<String, ActionEntry>,
    pub gh: Vec<GhRule>,
    pub api: BTreeMap<String, String>,
    pub commands: Vec<CommandRule>,
    pub harmless: BTreeSet<String>,
    /// Words that make a harmless program start another one.
    pub harmless_unless: BTreeMap<String, Vec<String>>,
    /// github-script's `<namespace>.<method>` (or `<namespace>.*`) → the
    /// REST path segment after `repos/{owner}/{repo}/` (empty: metadata).
    pub octokit: BTreeMap<String, String>,
}

impl Kb {
    /// The built-in knowledge base, plus `user` entries (which win).
    pub fn load(user: &[PathBuf]) -> Result<Self, KbError> {
        let mut kb = Kb::default();
        for (name, text) in embedded::FILES {
            kb.add_file(name, text, false)?;
        }
        for path in user {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| KbError {
                file: file.clone(),
                reason: e.to_string(),
            })?;
            kb.add_file(&file, &text, true)?;
        }
        Ok(kb)
    }

    /// Add one file's entries; a user's file may replace built-in entries,
    /// but two built-in files may not describe the same action.
    fn add_file(&mut self, file: &str, text: &str, replaces: bool) -> Result<(), KbError> {
        let err = |reason: String| KbError {
            file: file.to_string(),
            reason,
        };
        let parsed: KbFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (key, entry) in &parsed.actions {
            for p in &entry.permissions {
                validate(&p.scope, p.level).map_err(|e| err(format!("{key}: {e}")))?;
            }
        }
        let rule_scopes = parsed
            .gh
            .iter()
            .flat_map(|r| &r.scopes)
            .chain(parsed.command.iter().flat_map(|r| &r.scopes));
        for (scope, level) in rule_scopes {
            validate(scope, *level).map_err(|e| err(e.to_string()))?;
        }
        for scope in parsed.api.values() {
            validate(scope, Level::Read).map_err(|e| err(e.to_string()))?;
        }
        for (key, entry) in parsed.actions {
            let key = key.to_ascii_lowercase();
            if self.actions.insert(key.clone(), entry).is_some() && !replaces {
                return Err(err(format!("`{key}` is described twice")));
            }
        }
        self.gh.extend(parsed.gh);
        self.api.extend(parsed.api);
        if let Some(segment) = parsed
            .octokit
            .values()
            .find(|s| !s.is_empty() && !self.api.contains_key(*s))
        {
            return Err(err(format!(
                "[octokit] names `{segment}`, which [api] does not map"
            )));
        }
        self.commands.extend(parsed.command);
        self.harmless.extend(parsed.harmless);
        self.harmless_unless.extend(parsed.harmless_unless);
        self.octokit.extend(parsed.octokit);
        Ok(())
    }

    /// The entry for `owner/repo[/path]`: exact, else the longest `…/*`
    /// family. Where needs changed between major versions, entries are keyed
    /// `name@vN` (from major N on); see [`Kb::action_at`].
    pub fn action(&self, name: &str) -> Option<&ActionEntry> {
        let name = name.to_ascii_lowercase();
        if let Some(e) = self.actions.get(&name) {
            return Some(e);
        }
        self.actions
            .iter()
            .filter_map(|(k, e)| Some((k.strip_suffix('*')?, e)))
            .filter(|(prefix, _)| name.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, e)| e)
    }

    /// The entries that describe `name` at major version `major`: the one
    /// for the newest `name@vN` with N ≤ `major` (the unversioned entry
    /// counts as N = 0). With no known major (a bare commit, a branch), every
    /// version's entry, so the caller grants their union: granting what an
    /// older major needed is better than breaking the job.
    pub fn action_at(&self, name: &str, major: Option<u64>) -> Vec<&ActionEntry> {
        let name = name.to_ascii_lowercase();
        let prefix = format!("{name}@v");
        let mut versions: Vec<(u64, &ActionEntry)> = self
            .actions
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, e)| Some((k[prefix.len()..].parse().ok()?, e)))
            .collect();
        if let Some(base) = self.action(&name) {
            versions.push((0, base));
        }
        versions.sort_by_key(|(n, _)| *n);
        match major {
            Some(m) => versions
                .into_iter()
                .rev()
                .find(|(n, _)| *n <= m)
                .map(|(_, e)| vec![e])
                .unwrap_or_default(),
            None => versions.into_iter().map(|(_, e)| e).collect(),
        }
    }
}

/// Does a value hand over the workflow token?
pub fn is_token(value: &str) -> bool {
    let v = value.to_ascii_lowercase().replace(' ', "");
    v.contains("secrets.github_token") || v.contains("github.token")
}

/// Inputs given to a step, and the environment it runs in.
pub struct StepContext<'a> {
    pub with: &'a BTreeMap<String, String>,
    pub env: &'a BTreeMap<String, String>,
}

impl StepContext<'_> {
    /// The value given for `input`; GitHub matches input names without
    /// regard to case.
    fn input(&self, input: &str) -> Option<&String> {
        self.with.get(input).or_else(|| {
            self.with
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(input))
                .map(|(_, v)| v)
        })
    }

    fn set(&self, input: &str) -> bool {
        self.input(input).is_some_and(|v| !v.trim().is_empty())
    }
}

/// What `entry` (the action `name`) needs in `ctx`; `Err` is why it cannot
/// be known.
pub fn action_needs(
    name: &str,
    entry: &ActionEntry,
    ctx: &StepContext<'_>,
) -> Result<ScopeSet, Unexplained> {
    if let Some(why) = &entry.unknown {
        return Err(Unexplained::KnowledgeBase(why.clone()));
    }
    if let Some(why) = &entry.unknown_with_token
        && ctx
            .with
            .values()
            .chain(ctx.env.values())
            .any(|v| is_token(v))
    {
        return Err(Unexplained::KnowledgeBase(why.clone()));
    }
    let mut out = ScopeSet::default();
    if let Some(input) = &entry.token_input {
        let reaches = match ctx.input(input) {
            None => entry.token_input_default,
            Some(v) => is_token(v),
        };
        if !reaches {
            return Ok(out);
        }
    }
    if let Some(var) = &entry.token_env
        && !ctx.env.get(var).is_some_and(|v| is_token(v))
    {
        return Ok(out);
    }
    for p in &entry.permissions {
        let applies = p.if_inputs_set.iter().all(|i| ctx.set(i))
            && !p.unless_inputs_set.iter().any(|i| ctx.set(i))
            && p.if_token_in
                .as_ref()
                .is_none_or(|i| ctx.input(i).is_some_and(|v| is_token(v)))
            && p.if_input.as_ref().is_none_or(|c| {
                let value = ctx.input(&c.name).or_else(|| entry.inputs.get(&c.name));
                match value {
                    // Only known at run time: grant, so the job keeps working.
                    Some(v) if v.contains("${{") => true,
                    Some(v) => c.values.iter().any(|x| x.eq_ignore_ascii_case(v.trim())),
                    None => false,
                }
            });
        if applies {
            out.add(&p.scope, p.level, name, &p.reason);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_entries_pick_the_major() {
        let mut kb = Kb::default();
        let entry = |source: &str| ActionEntry {
            source: source.into(),
            checked: None,
            token_input: None,
            token_input_default: false,
            token_env: None,
            unknown: None,
            unknown_with_token: None,
            run_input: None,
            inputs: BTreeMap::new(),
            permissions: Vec::new(),
        };
        kb.actions.insert("o/a".into(), entry("old"));
        kb.actions.insert("o/a@v5".into(), entry("five"));
        kb.actions.insert("o/a@v7".into(), entry("seven"));
        let at = |m| {
            kb.action_at("O/a", m)
                .iter()
                .map(|e| e.source.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(at(Some(4)), ["old"]);
        assert_eq!(at(Some(5)), ["five"]);
        assert_eq!(at(Some(6)), ["five"]);
        assert_eq!(at(Some(9)), ["seven"]);
        assert_eq!(at(None), ["old", "five", "seven"]);
    }

    fn ctx<'a>(
        with: &'a BTreeMap<String, String>,
        env: &'a BTreeMap<String, String>,
    ) -> StepContext<'a> {
        StepContext { with, env }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn built_in_files_may_not_repeat_an_action() {
        let mut kb = Kb::default();
        let entry = "[actions.\"o/a\"]\nsource = \"s\"\n";
        kb.add_file("one.toml", entry, false).unwrap();
        assert!(
            kb.add_file("two.toml", &entry.replace("o/a", "O/A"), false)
                .is_err()
        );
        assert!(kb.add_file("mine.toml", entry, true).is_ok());
    }

    #[test]
    fn every_entry_is_valid_and_sourced() {
        let kb = Kb::load(&[]).unwrap();
        assert!(kb.actions.len() >= 500, "{}", kb.actions.len());
        for (key, e) in &kb.actions {
            assert!(!e.source.trim().is_empty(), "{key} has no source");
            assert!(
                e.checked.as_deref().is_some_and(|c| !c.trim().is_empty()),
                "{key} does not say which release it was checked at"
            );
            assert_eq!(key, &key.to_ascii_lowercase());
            for p in &e.permissions {
                assert!(
                    p.reason.starts_with("to "),
                    "{key}: reason must start with `to `"
                );
                validate(&p.scope, p.level).unwrap();
            }
        }
        assert!(!kb.gh.is_empty() && !kb.api.is_empty() && !kb.harmless.is_empty());
    }

    #[test]
    fn conditions() {
        let kb = Kb::load(&[]).unwrap();
        let empty = map(&[]);
        let aws = kb.action("aws-actions/configure-aws-credentials").unwrap();
        let oidc = map(&[("role-to-assume", "arn:aws:iam::1:role/x")]);
        let keys = map(&[
            ("role-to-assume", "arn"),
            ("aws-access-key-id", "${{ secrets.K }}"),
        ]);
        assert!(
            action_needs("aws", aws, &ctx(&oidc, &empty))
                .unwrap()
                .0
                .contains_key("id-token")
        );
        assert!(
            action_needs("aws", aws, &ctx(&keys, &empty))
                .unwrap()
                .is_empty()
        );

        let stale = kb.action("actions/stale").unwrap();
        let shouting = map(&[("Delete-Branch", "true")]);
        assert!(
            action_needs("s", stale, &ctx(&shouting, &empty))
                .unwrap()
                .0
                .get("contents")
                .is_some_and(|g| g.level == Level::Write),
            "input names match without regard to case"
        );

        let rel = kb.action("softprops/action-gh-release").unwrap();
        let plain = action_needs("r", rel, &ctx(&empty, &empty)).unwrap();
        assert_eq!(plain.0.keys().collect::<Vec<_>>(), ["contents"]);
        let disc = map(&[("discussion_category_name", "Announcements")]);
        assert!(
            action_needs("r", rel, &ctx(&disc, &empty))
                .unwrap()
                .0
                .contains_key("discussions")
        );
        let pat = map(&[("token", "${{ secrets.RELEASE_PAT }}")]);
        assert!(
            action_needs("r", rel, &ctx(&pat, &empty))
                .unwrap()
                .is_empty()
        );

        let dr = kb.action("actions/dependency-review-action").unwrap();
        assert!(
            !action_needs("d", dr, &ctx(&empty, &empty))
                .unwrap()
                .0
                .contains_key("pull-requests")
        );
        let always = map(&[("comment-summary-in-pr", "always")]);
        assert!(
            action_needs("d", dr, &ctx(&always, &empty))
                .unwrap()
                .0
                .contains_key("pull-requests")
        );

        assert!(kb.action("github/codeql-action/analyze").is_some());
        assert!(kb.action("reviewdog/action-eslint").is_some());
        assert!(kb.action("nobody/nothing").is_none());
        assert!(kb.action_at("nobody/nothing", None).is_empty());
        assert!(
            action_needs(
                "gs",
                kb.action("actions/github-script").unwrap(),
                &ctx(&empty, &empty)
            )
            .is_err()
        );
    }
}
