//! HP008: long-lived cloud keys handed to steps from secrets, where the
//! cloud's OIDC federation would give a job a credential that expires in
//! minutes.

use super::Hit;
use super::workflow::{Job, Step, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cloud {
    Aws,
    Google,
    Azure,
}

impl Cloud {
    fn name(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Google => "Google Cloud",
            Cloud::Azure => "Azure",
        }
    }

    /// The OIDC way to the same access.
    fn help(self) -> &'static str {
        match self {
            Cloud::Aws => {
                "use `aws-actions/configure-aws-credentials` with `role-to-assume` (OIDC) instead of a stored key; the job needs `permissions: id-token: write`"
            }
            Cloud::Google => {
                "use `google-github-actions/auth` with `workload_identity_provider` (workload identity federation) instead of a key file; the job needs `permissions: id-token: write`"
            }
            Cloud::Azure => {
                "use `azure/login` with `client-id`, `tenant-id` and `subscription-id` and a federated credential instead of a client secret; the job needs `permissions: id-token: write`"
            }
        }
    }
}

/// Names (of variables, inputs or secrets) that hold a static key, in the
/// form [`normal`] gives them.
const KEYS: &[(&str, Cloud)] = &[
    ("aws_access_key_id", Cloud::Aws),
    ("aws_secret_access_key", Cloud::Aws),
    ("google_credentials", Cloud::Google),
    ("google_application_credentials", Cloud::Google),
    ("gcp_sa_key", Cloud::Google),
    ("azure_credentials", Cloud::Azure),
    ("azure_client_secret", Cloud::Azure),
    ("arm_client_secret", Cloud::Azure),
];

/// Inputs that take a static key only for one action: `creds` means
/// nothing elsewhere.
const INPUTS: &[(&str, &str, Cloud)] = &[
    (
        "google-github-actions/auth",
        "credentials_json",
        Cloud::Google,
    ),
    ("azure/login", "creds", Cloud::Azure),
];

/// `AWS-Access-Key-Id` and `aws_access_key_id` are the same name here.
fn normal(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

fn known(name: &str) -> Option<Cloud> {
    let n = normal(name);
    KEYS.iter().find(|(k, _)| *k == n).map(|(_, c)| *c)
}

/// The names of the secrets `text` reads: `secrets.X`, `secrets['X']`.
fn secrets(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for (i, _) in lower.match_indices("secrets") {
        let rest = &text[i + "secrets".len()..];
        let name_start = if let Some(r) = rest.strip_prefix('.') {
            r
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            r
        } else {
            continue;
        };
        let name: String = name_start
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

/// Entries of one map that take a cloud key from secrets, by cloud.
fn keys_in<'v>(
    vars: &'v [(String, Value)],
    step: Option<&Step>,
) -> Vec<(Cloud, &'v Value, Vec<String>)> {
    let action = step.and_then(Step::action);
    let mut found: Vec<(Cloud, &'v Value, Vec<String>)> = Vec::new();
    for (key, value) in vars {
        let names = secrets(&value.text);
        if names.is_empty() || !value.text.contains("${{") {
            continue;
        }
        let by_input = INPUTS.iter().find_map(|(a, input, cloud)| {
            (action.as_deref() == Some(a) && normal(key) == *input).then_some(*cloud)
        });
        let Some(cloud) = known(key)
            .or(by_input)
            .or_else(|| names.iter().find_map(|n| known(n)))
        else {
            continue;
        };
        match found.iter_mut().find(|(c, _, _)| *c == cloud) {
            Some((_, _, all)) => all.extend(names),
            None => found.push((cloud, value, names)),
        }
    }
    found
}

fn hits_for(vars: &[(String, Value)], step: Option<&Step>, place: &str, out: &mut Vec<Hit>) {
    for (cloud, value, names) in keys_in(vars, step) {
        let mut shown: Vec<String> = Vec::new();
        for n in names.iter().map(|n| format!("`secrets.{n}`")) {
            if !shown.contains(&n) {
                shown.push(n);
            }
        }
        out.push(Hit {
            rule: "HP008",
            at: value.at,
            message: format!(
                "{place} takes static {} credentials from {}",
                cloud.name(),
                shown.join(", ")
            ),
            help: Some(cloud.help().into()),
        });
    }
}

/// HP008 in the workflow's, each job's and each step's `env:`, and in
/// each step's `with:`.
pub fn check(workflow_env: &[(String, Value)], jobs: &[Job]) -> Vec<Hit> {
    let mut out = Vec::new();
    hits_for(workflow_env, None, "the workflow's `env:`", &mut out);
    for job in jobs {
        hits_for(
            &job.env,
            None,
            &format!("the `env:` of job `{}`", job.id),
            &mut out,
        );
        for step in &job.steps {
            let place = job.place(step);
            hits_for(
                &step.env,
                Some(step),
                &format!("{place} (`env:`)"),
                &mut out,
            );
            hits_for(
                &step.with,
                Some(step),
                &format!("{place} (`with:`)"),
                &mut out,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::workflow::workflow;
    use super::*;
    use crate::yaml::YamlDoc;

    fn hits(text: &str) -> Vec<Hit> {
        let w = workflow(&YamlDoc::parse(text.into()).unwrap());
        check(&w.env, &w.jobs)
    }

    #[test]
    fn names_and_clouds() {
        assert_eq!(
            secrets("${{ secrets.AWS_KEY }} ${{secrets['GCP-x']}}"),
            ["AWS_KEY", "GCP-x"]
        );
        let h = hits(
            "env:\n  TOKEN: ${{ secrets.GCP_SA_KEY }}\njobs:\n  a:\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-access-key-id: ${{ secrets.KEY_ID }}\n          aws-secret-access-key: ${{ secrets.SECRET }}\n      - uses: azure/login@v2\n        with: {creds: '${{ secrets.AZ }}'}\n      - uses: other/login@v1\n        with: {creds: '${{ secrets.AZ }}'}\n",
        );
        let msgs: Vec<&str> = h.iter().map(|h| h.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("Google Cloud"));
        assert!(msgs[1].ends_with("`secrets.KEY_ID`, `secrets.SECRET`"));
        assert!(msgs[2].contains("Azure"));
    }

    #[test]
    fn not_from_secrets_or_not_a_key() {
        assert!(
            hits(
                "jobs:\n  a:\n    env:\n      AWS_ACCESS_KEY_ID: ${{ steps.x.outputs.id }}\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n      AWS_REGION: ${{ secrets.REGION }}\n"
            )
            .is_empty()
        );
    }
}
