//! HP009, the declared half: `permissions: write-all`, which gives the
//! token every scope whatever the job does. (The half that compares what
//! is granted with what is needed belongs to the permissions analysis.)

use super::Hit;
use super::workflow::{Value, Workflow};

fn is_write_all(v: &Value) -> bool {
    v.text.trim() == "write-all"
}

/// One hit for the workflow's `write-all` and one for each job's.
pub fn write_all(w: &Workflow) -> Vec<Hit> {
    let help = || {
        Some("grant only the scopes the jobs use: remove the block and run `hardpin fix` to compute them, or write them by hand".to_string())
    };
    let top = w
        .permissions
        .as_ref()
        .filter(|p| is_write_all(p))
        .map(|p| Hit {
            rule: "HP009",
            at: p.at,
            message: "the workflow grants `write-all` to the token of every job".into(),
            help: help(),
        });
    let jobs = w.jobs.iter().filter_map(|job| {
        let p = job.permissions.as_ref().filter(|p| is_write_all(p))?;
        Some(Hit {
            rule: "HP009",
            at: p.at,
            message: format!("job `{}` grants `write-all` to its token", job.id),
            help: help(),
        })
    });
    top.into_iter().chain(jobs).collect()
}

#[cfg(test)]
mod tests {
    use super::super::workflow::workflow;
    use super::*;
    use crate::yaml::YamlDoc;

    #[test]
    fn workflow_and_jobs() {
        let text = "permissions: write-all\njobs:\n  a: {permissions: write-all}\n  b: {permissions: read-all}\n  c:\n    permissions: {contents: write}\n";
        let hits = write_all(&workflow(&YamlDoc::parse(text.into()).unwrap()));
        let at: Vec<usize> = hits.iter().map(|h| h.at).collect();
        assert_eq!(at, [13, text.find("write-all}").unwrap()]);
    }
}
