//! SARIF 2.1.0, the format GitHub code scanning takes: one run, every rule
//! with its help, every finding of a rule as a result with its region and a
//! fingerprint that survives lines moving. Findings that are no rule's (a
//! reference that could not be resolved, a file that does not parse) are
//! the tool's own notifications.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::diagnostics::{Finding, Severity};
use crate::rules::RULES;

/// The SARIF log for `findings`; `source` gives a file's text, when it can
/// be read, for the fingerprints.
pub(super) fn sarif(
    findings: &[Finding],
    source: &dyn Fn(&std::path::Path) -> Option<String>,
) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let fix = r
                .fix_command()
                .map_or_else(|| "It needs a person.".into(), |c| format!("`{c}` fixes it."));
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.explanation },
                "help": {
                    "text": format!("{} {fix}", r.explanation),
                    "markdown": format!("**{}** ({})\n\n{}\n\n{fix}", r.name, r.id, r.explanation),
                },
                "helpUri": format!("https://github.com/hardpin/hardpin/blob/main/docs/findings.md#{}", r.id.to_ascii_lowercase()),
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": ["security", "supply-chain"],
                    "security-severity": security_severity(r.severity),
                },
            })
        })
        .collect();
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for f in findings {
        let uri = uri(&f.path);
        let Some(rule_id) = f.rule else {
            notifications.push(json!({
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location(&uri, f)],
            }));
            continue;
        };
        let index = RULES.iter().position(|r| r.id == rule_id).unwrap_or(0);
        // What the finding is about, not where: the rule, the file and the
        // text of its line, numbered when the same text repeats.
        let line_text = source(&f.path)
            .and_then(|t| {
                t.lines()
                    .nth(f.line.saturating_sub(1))
                    .map(|l| l.trim().to_string())
            })
            .unwrap_or_default();
        let base = format!("{rule_id}\0{uri}\0{line_text}");
        let n = seen.entry(base.clone()).or_default();
        *n += 1;
        let fingerprint = format!("{:x}:{n}", Sha256::digest(base.as_bytes()));
        let mut result = json!({
            "ruleId": rule_id,
            "ruleIndex": index,
            "level": level(f.severity),
            "message": { "text": match &f.hint {
                Some(h) => format!("{} ({h})", f.message),
                None => f.message.clone(),
            } },
            "locations": [location(&uri, f)],
            "partialFingerprints": { "hardpinFindingHash/v1": fingerprint },
        });
        if f.suppressed {
            result["suppressions"] = json!([{ "kind": "inSource" }]);
        }
        results.push(result);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "hardpin",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/hardpin/hardpin",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": !notifications.iter().any(|n| n["level"] == "error"),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn location(uri: &str, f: &Finding) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri },
            "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
        }
    })
}

/// A relative path with forward slashes, percent-encoded where a URI needs.
fn uri(path: &std::path::Path) -> String {
    let shown = path.to_string_lossy().replace('\\', "/");
    let shown = shown.strip_prefix("./").unwrap_or(&shown);
    let mut out = String::new();
    for b in shown.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub sorts code-scanning alerts by this score (0–10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}
