//! The one-way pipeline: load → collect needs → resolve all at once → edits →
//! apply → verify. Nothing here writes files; callers decide what to do with
//! the verified result.
//!
//! Files are parsed twice: once to collect what must be resolved, once to
//! fix them. A parsed tree is many times the size of its text, so holding
//! every file's tree across resolution would make memory grow with the
//! number of files; parsing again costs a little time and keeps it flat.

use rayon::prelude::*;

use crate::discover::Target;
use crate::edit::apply_edits;
use crate::report::{FileReport, Finding, Severity};
use crate::source::{SourceFile, Syntax};
use crate::transforms::{Needs, Outcome, Resolved, Transform};
use crate::yaml::YamlDoc;
use crate::yaml::data::check_changes;

/// The hint on every error that means hardpin itself went wrong.
pub const BUG_HINT: &str = "this is a bug in hardpin; the file was left untouched. Please report it with the file attached";

/// A load failure as a report.
fn load_failure(path: std::path::PathBuf, e: &crate::source::LoadError) -> FileReport {
    FileReport {
        findings: vec![Finding {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            severity: if e.is_misnamed() {
                Severity::Warning
            } else {
                Severity::Error
            },
            transform: "parse",
            message: e.to_string(),
            hint: Some(e.hint().into()),
        }],
        path,
        original: String::new(),
        fixed: None,
        changes: Vec::new(),
        permissions: Vec::new(),
    }
}

/// Load every target (in parallel: parsing is most of a warm run's time);
/// files that cannot be loaded become reports with an error.
pub fn load_all(targets: Vec<Target>) -> (Vec<SourceFile>, Vec<FileReport>) {
    let loaded: Vec<(std::path::PathBuf, Result<SourceFile, _>)> = targets
        .into_par_iter()
        .map(|t| (t.path.clone(), SourceFile::load(t)))
        .collect();
    let mut files = Vec::new();
    let mut failed = Vec::new();
    for (path, result) in loaded {
        match result {
            Ok(f) => files.push(f),
            Err(e) => failed.push(load_failure(path, &e)),
        }
    }
    (files, failed)
}

/// What every transform needs for these files.
pub fn collect_needs(files: &[SourceFile], transforms: &[Box<dyn Transform>]) -> Needs {
    let mut needs = Needs::default();
    for f in files {
        for t in transforms {
            t.collect(f, &mut needs);
        }
    }
    needs
}

/// The first pass: load each target, record what the transforms need, and
/// let the file go. Returns the needs, the targets that loaded, and reports
/// for those that did not.
pub fn collect_all(
    targets: Vec<Target>,
    transforms: &[Box<dyn Transform>],
) -> (Needs, Vec<Target>, Vec<FileReport>) {
    let results: Vec<Result<(Needs, Target), Box<FileReport>>> = targets
        .into_par_iter()
        .map(|t| {
            let path = t.path.clone();
            let file = SourceFile::load(t).map_err(|e| Box::new(load_failure(path, &e)))?;
            let needs = collect_needs(std::slice::from_ref(&file), transforms);
            Ok((needs, file.target))
        })
        .collect();
    let mut needs = Needs::default();
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok((n, t)) => {
                needs.merge(n);
                loaded.push(t);
            }
            Err(report) => failed.push(*report),
        }
    }
    (needs, loaded, failed)
}

/// The second pass: load each target again and fix it, in parallel, holding
/// only the files being worked on.
pub fn fix_targets(
    targets: Vec<Target>,
    transforms: &[Box<dyn Transform>],
    resolved: &Resolved,
) -> Vec<FileReport> {
    targets
        .into_par_iter()
        .map(|t| {
            let path = t.path.clone();
            match SourceFile::load(t) {
                Ok(file) => fix_file(&file, transforms, resolved),
                Err(e) => load_failure(path, &e),
            }
        })
        .collect()
}

/// Run every transform over one file and verify the result.
pub fn fix_file(
    file: &SourceFile,
    transforms: &[Box<dyn Transform>],
    resolved: &Resolved,
) -> FileReport {
    let mut all = Outcome::default();
    for t in transforms {
        all.merge(t.apply(file, resolved));
    }
    let mut report = FileReport {
        path: file.path().clone(),
        fixed: None,
        changes: Vec::new(),
        findings: std::mem::take(&mut all.findings),
        permissions: std::mem::take(&mut all.jobs),
        // Kept only for files that change (for their diff).
        original: String::new(),
    };
    if all.edits.is_empty() {
        report.findings.sort();
        return report;
    }
    match apply_edits(file.text(), &all.edits)
        .map_err(|e| e.to_string())
        .and_then(|new| {
            verify(file, &new, &all)?;
            Ok(new)
        }) {
        Ok(new) => {
            if new != file.text() {
                report.original = file.text().to_string();
                report.fixed = Some(new);
                report.changes = std::mem::take(&mut all.changes);
            }
        }
        Err(reason) => report.findings.push(Finding {
            path: file.path().clone(),
            line: 1,
            column: 1,
            severity: Severity::Error,
            transform: "verify",
            message: format!("the edited file failed verification: {reason}"),
            hint: Some(BUG_HINT.into()),
        }),
    }
    report.findings.sort();
    report
}

/// The edited text must parse cleanly and mean the same as the original
/// except for the intended changes.
fn verify(file: &SourceFile, after: &str, outcome: &Outcome) -> Result<(), String> {
    match &file.syntax {
        Syntax::Yaml(before) => {
            let after = YamlDoc::parse(after.to_string())
                .map_err(|e| format!("the result does not parse ({e})"))?;
            check_changes(before, &after, &outcome.allowed)
        }
        Syntax::Dockerfile(before) => {
            let after = crate::dockerfile::parse(after.to_string())
                .map_err(|e| format!("the result does not parse ({e})"))?;
            crate::verify::check_dockerfile(before, &after, &outcome.allowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;
    use crate::edit::Edit;
    use crate::transforms::Needs;

    /// A transform with a bug: it renames a key it was never allowed to touch.
    struct Rogue;

    impl Transform for Rogue {
        fn name(&self) -> &'static str {
            "rogue"
        }

        fn collect(&self, _file: &SourceFile, _needs: &mut Needs) {}

        fn apply(&self, file: &SourceFile, _resolved: &Resolved) -> Outcome {
            let at = file.text().find("runs-on").expect("the fixture has it");
            Outcome {
                edits: vec![Edit::replace(at..at + 7, "run-on")],
                ..Outcome::default()
            }
        }
    }

    #[test]
    fn a_failed_verification_leaves_the_file_untouched_and_says_it_is_a_bug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci.yml");
        let text = "on: push\njobs:\n  a:\n    runs-on: x\n";
        std::fs::write(&path, text).unwrap();
        let file = SourceFile::load(Target {
            path: path.clone(),
            kind: FileKind::Workflow,
            root: dir.path().to_path_buf(),
        })
        .unwrap();
        let transforms: Vec<Box<dyn Transform>> = vec![Box::new(Rogue)];
        let report = fix_file(&file, &transforms, &Resolved::default());
        assert!(report.fixed.is_none());
        let f = &report.findings[0];
        assert_eq!((f.severity, f.transform), (Severity::Error, "verify"));
        assert!(
            f.message.contains("the edited file failed verification"),
            "{}",
            f.message
        );
        assert_eq!(f.hint.as_deref(), Some(BUG_HINT));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
