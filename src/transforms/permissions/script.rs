//! What an `actions/github-script` script needs from the token, read with a
//! real JavaScript parser (tree-sitter): every `github.rest.<ns>.<method>()`,
//! `github.request('VERB /path')` and `github.paginate(…)` is mapped to the
//! REST endpoint it calls, and from there to a scope with the same table
//! `gh api` and `curl` use. Anything the parser shows but the rules cannot
//! follow (GraphQL, a computed method, `github` handed elsewhere, child
//! processes) makes the script unknown.

use tree_sitter::{Node, Parser};

use super::commands::api_scope;
use super::kb::Kb;
use super::scopes::ScopeSet;
use super::unexplained::Unexplained;

/// Identifiers that reach the token or run programs the script cannot be
/// followed into.
const OPAQUE: &[&str] = &["getOctokit", "exec", "fetch", "eval", "Function"];
/// Modules whose use hands the token, or a process, out of sight.
const OPAQUE_MODULES: &[&str] = &[
    "child_process",
    "@actions/exec",
    "@actions/github",
    "@octokit",
    "node:child_process",
];

/// The scopes `script` needs, or why that cannot be known.
pub fn analyze_script(script: &str, kb: &Kb) -> Result<ScopeSet, Unexplained> {
    // `${{ … }}` is substituted before the script runs: stand in a name.
    let source = replace_expressions(script);
    let mut parser = Parser::new();
    // Built together with the runtime: a mismatch fails every test.
    #[allow(clippy::expect_used)]
    parser
        .set_language(&tree_sitter_javascript::LANGUAGE.into())
        .expect("tree-sitter-javascript is ABI-compatible with tree-sitter");
    let tree = parser
        .parse(&source, None)
        .ok_or(Unexplained::ScriptNotParsed)?;
    if tree.root_node().has_error() {
        return Err(Unexplained::NotJavaScript);
    }
    let mut out = ScopeSet::default();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        stack.extend(node.children(&mut cursor));
        let text = &source[node.byte_range()];
        match node.kind() {
            "identifier" if text == "github" || text == "octokit" => {
                use_of_client(node, &source, kb, &mut out)?;
            }
            "identifier" if OPAQUE.contains(&text) => {
                return Err(Unexplained::OpaqueIdentifier(text.to_string()));
            }
            "string_fragment"
                if OPAQUE_MODULES.iter().any(|m| text.starts_with(m))
                    && is_module_name(node, &source) =>
            {
                return Err(Unexplained::OpaqueModule(text.to_string()));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn replace_expressions(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        match rest[i..].find("}}") {
            Some(j) => {
                out.push_str("__expr__");
                rest = &rest[i + j + 2..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Is this string the argument of `require(…)` or an `import … from`?
fn is_module_name(node: Node<'_>, source: &str) -> bool {
    let Some(string) = node.parent() else {
        return false;
    };
    match string.parent() {
        Some(p) if p.kind() == "import_statement" => true,
        Some(args) if args.kind() == "arguments" => args
            .parent()
            .and_then(|call| call.child_by_field_name("function"))
            .is_some_and(|f| matches!(&source[f.byte_range()], "require" | "import")),
        _ => false,
    }
}

/// A string literal's value, if `node` is one without substitutions.
fn literal(node: Node<'_>, source: &str) -> Option<String> {
    match node.kind() {
        "string" => {
            let raw = &source[node.byte_range()];
            Some(raw[1..raw.len() - 1].to_string())
        }
        "template_string" if node.named_child_count() <= 1 => {
            let raw = &source[node.byte_range()];
            (!raw.contains("${")).then(|| raw[1..raw.len() - 1].to_string())
        }
        _ => None,
    }
}

/// Read one use of the client object `github` and add what it needs.
fn use_of_client(
    ident: Node<'_>,
    source: &str,
    kb: &Kb,
    out: &mut ScopeSet,
) -> Result<(), Unexplained> {
    // Climb `github.a.b.c` as far as it is a plain member chain.
    let mut chain = Vec::new();
    let mut top = ident;
    while let Some(parent) = top.parent() {
        if parent.kind() != "member_expression" || parent.child_by_field_name("object") != Some(top)
        {
            break;
        }
        let prop = parent
            .child_by_field_name("property")
            .map(|p| source[p.byte_range()].to_string())
            .unwrap_or_default();
        chain.push(prop);
        top = parent;
    }
    let cannot = |what: &'static str| {
        Err(Unexplained::UntraceableClient {
            expr: source[top.byte_range()].to_string(),
            what,
        })
    };
    let call = top.parent().filter(|p| {
        p.kind() == "call_expression" && p.child_by_field_name("function") == Some(top)
    });
    let parts: Vec<&str> = chain.iter().map(String::as_str).collect();
    match (parts.as_slice(), call) {
        (["request"], Some(call)) | (["paginate"], Some(call)) => {
            let Some(arg) = call
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
            else {
                return cannot("no arguments");
            };
            if arg.kind() == "member_expression" {
                // `github.paginate(github.rest.x.y, …)`: that chain is read
                // on its own, as an argument of paginate.
                return Ok(());
            }
            let Some(route) = literal(arg, source) else {
                return cannot("a route built at run time");
            };
            let (verb, path) = route
                .split_once(' ')
                .map_or(("GET", route.as_str()), |(v, p)| (v, p.trim()));
            let path = path.replace("{owner}", "o").replace("{repo}", "r");
            api_scope(&format!("github.request('{route}')"), &path, verb, kb, out)
        }
        (["graphql"], _) => Err(Unexplained::Graphql),
        (["rest", ns, method] | [ns, method], _) if *ns != "rest" => {
            let in_paginate = top.parent().is_some_and(|args| {
                args.kind() == "arguments"
                    && args
                        .parent()
                        .and_then(|c| c.child_by_field_name("function"))
                        .is_some_and(|f| {
                            matches!(
                                &source[f.byte_range()],
                                "github.paginate" | "octokit.paginate"
                            )
                        })
            });
            if call.is_none() && !in_paginate {
                return cannot("not called");
            }
            octokit_method(ns, method, kb, out)
        }
        _ => cannot("not a REST call hardpin knows"),
    }
}

/// `github.rest.<ns>.<method>`: the endpoint's path segment from the
/// knowledge base's `[octokit]` table, its verb from the method's name.
fn octokit_method(ns: &str, method: &str, kb: &Kb, out: &mut ScopeSet) -> Result<(), Unexplained> {
    let who = format!("github.rest.{ns}.{method}");
    let segment = kb
        .octokit
        .get(&format!("{ns}.{method}"))
        .or_else(|| kb.octokit.get(&format!("{ns}.*")))
        .ok_or_else(|| Unexplained::UncoveredOctokit(who.clone()))?;
    if segment.is_empty() {
        // Repository metadata: every token can read it.
        return Ok(());
    }
    let reads = ["get", "list", "check", "compare", "download"]
        .iter()
        .any(|p| method.starts_with(p));
    let verb = if reads { "GET" } else { "POST" };
    api_scope(&who, &format!("repos/o/r/{segment}"), verb, kb, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::permissions::scopes::Level;

    fn run(script: &str) -> Result<Vec<(String, Level)>, Unexplained> {
        let kb = Kb::load(&[]).unwrap();
        analyze_script(script, &kb).map(|s| s.0.into_iter().map(|(k, g)| (k, g.level)).collect())
    }

    #[test]
    fn rest_calls_map_to_scopes() {
        assert_eq!(
            run("await github.rest.issues.createComment({ ...context.repo, issue_number: 1, body: '${{ steps.x.outputs.y }}' })").unwrap(),
            [("issues".into(), Level::Write)]
        );
        assert_eq!(
            run("const { data } = await github.rest.pulls.get({ owner, repo, pull_number: 1 });\nconsole.log(data.title)").unwrap(),
            [("pull-requests".into(), Level::Read)]
        );
        assert_eq!(
            run("github.issues.addLabels({owner, repo, issue_number: 2, labels: ['x']})").unwrap(),
            [("issues".into(), Level::Write)]
        );
        assert_eq!(
            run("const runs = await github.paginate(github.rest.actions.listWorkflowRuns, { owner, repo, workflow_id: 'ci.yml' })").unwrap(),
            [("actions".into(), Level::Read)]
        );
        assert_eq!(
            run(
                "await github.request('POST /repos/{owner}/{repo}/dispatches', { event_type: 'x' })"
            )
            .unwrap(),
            [("contents".into(), Level::Write)]
        );
        assert_eq!(
            run("await github.rest.repos.createRelease({ owner, repo, tag_name: 'v1' })").unwrap(),
            [("contents".into(), Level::Write)]
        );
        assert!(
            run("core.setOutput('x', context.payload.pull_request.number)")
                .unwrap()
                .is_empty()
        );
        assert!(
            run("const fs = require('fs'); fs.readFileSync('x')")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn what_cannot_be_followed_is_unknown() {
        for script in [
            "await github.graphql(`query { viewer { login } }`)",
            "const m = 'createComment'; await github.rest.issues[m]({})",
            "const gh = github; await gh.rest.issues.createComment({})",
            "await github.request(route)",
            "await github.rest.teams.addOrUpdateMembershipForUserInOrg({})",
            "const { execSync } = require('child_process'); execSync('gh pr merge')",
            "await exec.exec('gh', ['pr', 'merge'])",
            "const o = getOctokit(process.env.T)",
            "this is not javascript (",
        ] {
            assert!(run(script).is_err(), "{script}");
        }
    }
}
