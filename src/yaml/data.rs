//! The meaning of a YAML file, loaded by an independent parser (yaml-rust2),
//! and the check that an edit changed only what it meant to change.
//!
//! A second parser guards against hardpin's own mistakes: if the edited text
//! loads to different data anywhere but the intended values, the edit is
//! thrown away and reported as a bug instead of written.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

/// The differences an edit is allowed to make.
#[derive(Debug, Default, Clone)]
pub struct AllowedChanges {
    /// A scalar may change from `.0` to `.1` wherever it appears (aliases of
    /// an edited anchor change with it).
    pub scalars: BTreeSet<(String, String)>,
    /// Keys that may be added, as the path of the new key.
    pub added_keys: BTreeSet<Vec<String>>,
}

impl AllowedChanges {
    pub fn merge(&mut self, other: AllowedChanges) {
        self.scalars.extend(other.scalars);
        self.added_keys.extend(other.added_keys);
    }
}

/// Load every document of `text`.
pub fn load(text: &str) -> Result<Vec<Yaml>, String> {
    YamlLoader::load_from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|e| e.to_string())
}

/// Compare `before` and `after`; `Err` names the first path where they
/// differ in a way `allowed` does not cover.
pub fn check_changes(before: &str, after: &str, allowed: &AllowedChanges) -> Result<(), String> {
    let old = load(before).map_err(|e| format!("original does not load: {e}"))?;
    let new = load(after).map_err(|e| format!("edited text does not load: {e}"))?;
    if old.len() != new.len() {
        return Err("number of documents changed".into());
    }
    for (a, b) in old.iter().zip(&new) {
        compare(a, b, &mut Vec::new(), allowed)?;
    }
    Ok(())
}

fn compare(a: &Yaml, b: &Yaml, path: &mut Vec<String>, allowed: &AllowedChanges) -> Result<(), String> {
    match (a, b) {
        (Yaml::Hash(x), Yaml::Hash(y)) => {
            for (k, v) in x {
                let Some(w) = y.get(k) else {
                    return Err(format!("key {} removed under {}", key_text(k), here(path)));
                };
                path.push(key_text(k));
                compare(v, w, path, allowed)?;
                path.pop();
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                path.push(key_text(k));
                let ok = allowed.added_keys.contains(path);
                path.pop();
                if !ok {
                    return Err(format!("key {} added under {}", key_text(k), here(path)));
                }
            }
            Ok(())
        }
        (Yaml::Array(x), Yaml::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("sequence length changed at {}", here(path)));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                path.push(i.to_string());
                compare(v, w, path, allowed)?;
                path.pop();
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        (Yaml::String(x), Yaml::String(y)) if allowed.scalars.contains(&(x.clone(), y.clone())) => Ok(()),
        _ => Err(format!("value changed at {}", here(path))),
    }
}

fn here(path: &[String]) -> String {
    if path.is_empty() {
        "the document root".into()
    } else {
        format!("`{}`", path.join("."))
    }
}

fn key_text(k: &Yaml) -> String {
    match k {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(pairs: &[(&str, &str)]) -> AllowedChanges {
        AllowedChanges {
            scalars: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn allowed_scalar_change_passes() {
        let a = "steps:\n  - uses: a/b@v1\n";
        let b = "steps:\n  - uses: a/b@0123 # v1.0.0\n";
        assert!(check_changes(a, b, &allow(&[("a/b@v1", "a/b@0123")])).is_ok());
        assert!(check_changes(a, b, &allow(&[])).is_err());
    }

    #[test]
    fn other_changes_fail() {
        let a = "x: 1\ny: a/b@v1\n";
        let b = "x: 2\ny: a/b@0123\n";
        let err = check_changes(a, b, &allow(&[("a/b@v1", "a/b@0123")])).unwrap_err();
        assert!(err.contains("`x`"), "{err}");
    }

    #[test]
    fn added_key_needs_permission() {
        let a = "jobs: {}\n";
        let b = "permissions: {}\njobs: {}\n";
        assert!(check_changes(a, b, &AllowedChanges::default()).is_err());
        let mut ok = AllowedChanges::default();
        ok.added_keys.insert(vec!["permissions".into()]);
        assert!(check_changes(a, b, &ok).is_ok());
    }
}
