//! Routes through a YAML CST: every mapping pair with the path of keys and
//! sequence indices that leads to it, so transforms select nodes by meaning
//! (`jobs.*.steps[*].uses`) instead of by searching text.

use std::fmt;

use tree_sitter::Node;

use super::{YamlDoc, scalar};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Key(k) => write!(f, ".{k}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A mapping pair: its path (ending in its own key), the pair node, and the
/// key and value nodes.
#[derive(Debug, Clone)]
pub struct Pair<'t> {
    pub path: Vec<Seg>,
    pub node: Node<'t>,
    pub key: Node<'t>,
    pub value: Option<Node<'t>>,
}

impl Pair<'_> {
    /// The key, as a string.
    pub fn key_name(&self) -> &str {
        match self.path.last() {
            Some(Seg::Key(k)) => k,
            _ => "",
        }
    }

    /// Does the path match `pattern`, where `*` matches any key and `[]` any index?
    pub fn path_matches(&self, pattern: &[&str]) -> bool {
        self.path.len() == pattern.len()
            && self.path.iter().zip(pattern).all(|(seg, pat)| match seg {
                Seg::Key(k) => *pat == "*" || *pat == k,
                Seg::Index(_) => *pat == "[]",
            })
    }
}

/// Render a path as `jobs.build.steps[0].uses`.
pub fn path_string(path: &[Seg]) -> String {
    let s: String = path.iter().map(ToString::to_string).collect();
    s.trim_start_matches('.').to_string()
}

/// Every mapping pair of every document, in document order.
pub fn pairs(doc: &YamlDoc) -> Vec<Pair<'_>> {
    let mut out = Vec::new();
    walk(doc, doc.root(), &mut Vec::new(), &mut out);
    out
}

fn walk<'t>(doc: &'t YamlDoc, node: Node<'t>, path: &mut Vec<Seg>, out: &mut Vec<Pair<'t>>) {
    let mut cursor = node.walk();
    match node.kind() {
        "block_mapping" | "flow_mapping" => {
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            for child in children {
                if !matches!(child.kind(), "block_mapping_pair" | "flow_pair") {
                    continue;
                }
                let Some(key) = child.child_by_field_name("key") else {
                    continue;
                };
                let name =
                    scalar(doc, key).map_or_else(|| doc.text_of(key).to_string(), |s| s.value);
                path.push(Seg::Key(name));
                let value = child.child_by_field_name("value");
                out.push(Pair {
                    path: path.clone(),
                    node: child,
                    key,
                    value,
                });
                if let Some(v) = value {
                    walk(doc, v, path, out);
                }
                path.pop();
            }
        }
        "block_sequence" => {
            let items: Vec<Node<'t>> = node
                .named_children(&mut cursor)
                .filter(|c| c.kind() == "block_sequence_item")
                .collect();
            for (i, item) in items.into_iter().enumerate() {
                path.push(Seg::Index(i));
                let mut c2 = item.walk();
                let inner: Vec<Node<'t>> = item.named_children(&mut c2).collect();
                for n in inner {
                    walk(doc, n, path, out);
                }
                path.pop();
            }
        }
        "flow_sequence" => {
            let items: Vec<Node<'t>> = node
                .named_children(&mut cursor)
                .filter(|c| matches!(c.kind(), "flow_node" | "flow_pair"))
                .collect();
            for (i, item) in items.into_iter().enumerate() {
                path.push(Seg::Index(i));
                walk(doc, item, path, out);
                path.pop();
            }
        }
        "comment" => {}
        _ => {
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            for child in children {
                walk(doc, child, path, out);
            }
        }
    }
}

/// The first pair whose path is exactly `path`.
pub fn find<'t>(pairs: &[Pair<'t>], path: &[&str]) -> Option<Pair<'t>> {
    pairs.iter().find(|p| p.path_matches(path)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_through_block_and_flow() {
        let doc = YamlDoc::parse(
            "jobs:\n  a:\n    steps:\n      - uses: x/y@v1\n  b: {steps: [{uses: p/q@v2}, {run: hi}]}\n"
                .into(),
        )
        .unwrap();
        let ps = pairs(&doc);
        let uses: Vec<String> = ps
            .iter()
            .filter(|p| p.path_matches(&["jobs", "*", "steps", "[]", "uses"]))
            .map(|p| path_string(&p.path))
            .collect();
        assert_eq!(uses, ["jobs.a.steps[0].uses", "jobs.b.steps[0].uses"]);
    }

    #[test]
    fn quoted_keys_are_decoded() {
        let doc = YamlDoc::parse("'jobs':\n  \"a\": {uses: o/r@v1}\n".into()).unwrap();
        let ps = pairs(&doc);
        assert!(ps.iter().any(|p| p.path_matches(&["jobs", "a", "uses"])));
    }
}
