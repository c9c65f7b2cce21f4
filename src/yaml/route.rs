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
                if matches!(child.kind(), "block_mapping_pair" | "flow_pair") {
                    walk_pair(doc, child, path, out);
                }
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
                // `[k: v]` is `[{k: v}]`: a pair alone is a one-pair mapping.
                if item.kind() == "flow_pair" {
                    walk_pair(doc, item, path, out);
                } else {
                    walk(doc, item, path, out);
                }
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

/// One mapping pair: recorded with its path, then its value walked.
fn walk_pair<'t>(doc: &'t YamlDoc, pair: Node<'t>, path: &mut Vec<Seg>, out: &mut Vec<Pair<'t>>) {
    let Some(key) = pair.child_by_field_name("key") else {
        return;
    };
    let name = scalar(doc, key).map_or_else(|| doc.text_of(key).to_string(), |s| s.value);
    path.push(Seg::Key(name));
    let value = pair.child_by_field_name("value");
    out.push(Pair {
        path: path.clone(),
        node: pair,
        key,
        value,
    });
    if let Some(v) = value {
        walk(doc, v, path, out);
    }
    path.pop();
}

/// The first document of a file, whose top-level mapping routes start from.
pub fn document(doc: &YamlDoc) -> Option<Node<'_>> {
    let root = doc.root();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .find(|n| n.kind() == "document")
}

/// The content node under `node` (through `block_node`/`flow_node`, past
/// anchors and tags), or `None` for an alias or an empty node.
pub fn content(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind() {
        "block_node" | "flow_node" | "document" => {
            let mut cursor = node.walk();
            let found = node
                .named_children(&mut cursor)
                .find(|c| !matches!(c.kind(), "anchor" | "tag" | "comment"));
            found.and_then(content)
        }
        "alias" => None,
        _ => Some(node),
    }
}

/// The pairs of a mapping node: (key, pair node, value node).
pub fn entries<'t>(doc: &YamlDoc, node: Node<'t>) -> Vec<(String, Node<'t>, Option<Node<'t>>)> {
    let Some(map) = content(node).filter(|n| matches!(n.kind(), "block_mapping" | "flow_mapping"))
    else {
        return Vec::new();
    };
    let mut cursor = map.walk();
    map.named_children(&mut cursor)
        .filter(|c| matches!(c.kind(), "block_mapping_pair" | "flow_pair"))
        .filter_map(|p| {
            let key = p.child_by_field_name("key")?;
            let name = scalar(doc, key).map_or_else(|| doc.text_of(key).to_string(), |s| s.value);
            Some((name, p, p.child_by_field_name("value")))
        })
        .collect()
}

/// The value of key `name` in a mapping node.
pub fn get<'t>(doc: &YamlDoc, node: Node<'t>, name: &str) -> Option<Node<'t>> {
    entries(doc, node)
        .into_iter()
        .find(|(k, _, _)| k == name)
        .and_then(|(_, _, v)| v)
}

/// The items of a sequence node (`None` where an item is empty).
pub fn items(node: Node<'_>) -> Vec<Node<'_>> {
    let Some(seq) =
        content(node).filter(|n| matches!(n.kind(), "block_sequence" | "flow_sequence"))
    else {
        return Vec::new();
    };
    let mut cursor = seq.walk();
    seq.named_children(&mut cursor)
        .filter_map(|c| match c.kind() {
            "block_sequence_item" => {
                let mut c2 = c.walk();
                c.named_children(&mut c2).find(|n| n.kind() != "comment")
            }
            "flow_node" | "flow_pair" => Some(c),
            _ => None,
        })
        .collect()
}

/// A mapping of scalars (`with:`, `env:`) as strings; non-scalar values are
/// kept as their source text.
pub fn string_map(
    doc: &YamlDoc,
    node: Option<Node<'_>>,
) -> std::collections::BTreeMap<String, String> {
    node.map(|n| {
        entries(doc, n)
            .into_iter()
            .map(|(k, _, v)| {
                let text = v.map_or_else(String::new, |v| {
                    scalar(doc, v).map_or_else(|| doc.text_of(v).to_string(), |s| s.value)
                });
                (k, text)
            })
            .collect()
    })
    .unwrap_or_default()
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
