//! The meaning of a YAML file, loaded by an independent parser (yaml-rust2),
//! and the check that an edit changed only what it meant to change.
//!
//! A second parser guards against hardpin's own mistakes: if the edited text
//! loads to different data anywhere but the intended values, the edit is
//! thrown away and reported as a bug instead of written.

use tree_sitter::Node;
use yaml_rust2::parser::{Event, EventReceiver, Parser};

use super::{ScalarStyle, YamlDoc, scalar};
use crate::diagnostics::{AllowedChanges, VerifyError};

/// A parser-neutral view of YAML data: what both parsers are reduced to
/// before comparison.
#[derive(Debug, Clone, PartialEq)]
enum Data {
    Map(Vec<(String, Data)>),
    Seq(Vec<Data>),
    /// A value, and whether it was plain: quoting makes `1` a string.
    Scalar(String, bool),
    Alias(String),
    /// A node with an anchor (an alias's value depends on where it is) or a
    /// tag (which changes its type).
    Marked(String, Box<Data>),
    Null,
}

/// `data` under its anchor and tag, if any.
fn marked(anchor: Option<String>, tag: Option<String>, data: Data) -> Data {
    let data = match tag {
        Some(t) => Data::Marked(format!("!{t}"), Box::new(data)),
        None => data,
    };
    match anchor {
        Some(a) => Data::Marked(format!("&{a}"), Box::new(data)),
        None => data,
    }
}

/// Load every document with yaml-rust2's event parser into [`Data`].
///
/// yaml-rust2's own loader copies an anchor's node at every alias, so a few
/// hundred bytes of nested aliases (a "billion laughs" file) grow without
/// bound; here an alias stays a reference to its anchor, and memory is linear
/// in the file.
fn load(text: &str) -> Result<Vec<Data>, yaml_rust2::ScanError> {
    let mut sink = Loader::default();
    Parser::new_from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).load(&mut sink, true)?;
    Ok(sink.docs)
}

/// Builds [`Data`] from parser events with an explicit stack (no recursion).
#[derive(Default)]
struct Loader {
    docs: Vec<Data>,
    /// Open collections; a mapping collects keys and values alternately.
    stack: Vec<Open>,
    /// `docs.len()` when the current document started.
    doc_start: usize,
}

enum Open {
    Seq(Vec<Data>, Marks),
    Map(Vec<(String, Data)>, Option<String>, Marks),
}

/// The anchor id and tag of a collection being read.
type Marks = (Option<String>, Option<String>);

fn marks(aid: usize, tag: Option<yaml_rust2::parser::Tag>) -> Marks {
    (
        (aid > 0).then(|| format!("#{aid}")),
        tag.map(|t| format!("{}{}", t.handle, t.suffix)),
    )
}

impl Loader {
    fn insert(&mut self, node: Data) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Open::Seq(items, _)) => items.push(node),
            Some(Open::Map(pairs, key, _)) => match key.take() {
                None => *key = Some(key_text(&node)),
                Some(k) => pairs.push((k, node)),
            },
        }
    }
}

impl EventReceiver for Loader {
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::DocumentStart => self.doc_start = self.docs.len(),
            Event::DocumentEnd if self.docs.len() == self.doc_start => self.docs.push(Data::Null),
            Event::Alias(id) => self.insert(Data::Alias(format!("#{id}"))),
            Event::Scalar(value, style, aid, tag) => {
                let (anchor, tag) = marks(aid, tag);
                let plain = style == yaml_rust2::scanner::TScalarStyle::Plain;
                self.insert(marked(anchor, tag, Data::Scalar(value, plain)));
            }
            Event::SequenceStart(aid, tag) => {
                self.stack.push(Open::Seq(Vec::new(), marks(aid, tag)))
            }
            Event::MappingStart(aid, tag) => {
                self.stack
                    .push(Open::Map(Vec::new(), None, marks(aid, tag)));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Seq(items, (a, t))) => self.insert(marked(a, t, Data::Seq(items))),
                Some(Open::Map(pairs, _, (a, t))) => self.insert(marked(a, t, Data::Map(pairs))),
                None => {}
            },
            _ => {}
        }
    }
}

/// Compare `before` and `after`; `Err` names the first path where they differ
/// in a way `allowed` does not cover.
///
/// Both CSTs are reduced to data and compared. When the independent parser
/// (yaml-rust2) can load the original, it must load the result too and agree.
/// It rejects some files GitHub accepts (flow sequences closed at a lower
/// indentation), so it is a second check, not a gate.
pub fn check_changes(
    before: &YamlDoc,
    after: &YamlDoc,
    allowed: &AllowedChanges,
) -> Result<(), VerifyError> {
    let (a, b) = (cst_data(before), cst_data(after));
    compare_docs(&a, &b, allowed)?;
    if let Ok(old) = load(&before.text) {
        let new = load(&after.text).map_err(|e| VerifyError::Unloadable(Box::new(e)))?;
        compare_docs(&old, &new, allowed)?;
    }
    Ok(())
}

fn compare_docs(a: &[Data], b: &[Data], allowed: &AllowedChanges) -> Result<(), VerifyError> {
    if a.len() != b.len() {
        return Err(VerifyError::Documents);
    }
    a.iter()
        .zip(b)
        .try_for_each(|(x, y)| compare(x, y, &mut Vec::new(), allowed))
}

fn compare(
    a: &Data,
    b: &Data,
    path: &mut Vec<String>,
    allowed: &AllowedChanges,
) -> Result<(), VerifyError> {
    match (a, b) {
        (Data::Map(x), Data::Map(y)) => {
            // Keys may repeat (later ones win in most loaders): the n-th
            // `k` of one side is compared with the n-th `k` of the other.
            let count = |m: &[(String, Data)], k: &str| m.iter().filter(|(k2, _)| k2 == k).count();
            for (i, (k, v)) in x.iter().enumerate() {
                let n = count(&x[..i], k);
                let Some(w) = y.iter().filter(|(k2, _)| k2 == k).nth(n).map(|(_, w)| w) else {
                    return Err(VerifyError::KeyRemoved {
                        key: k.clone(),
                        at: here(path),
                    });
                };
                path.push(k.clone());
                compare(v, w, path, allowed)?;
                path.pop();
            }
            for (i, (k, _)) in y.iter().enumerate() {
                if count(&y[..i], k) < count(x, k) {
                    continue;
                }
                // A key new to this mapping, allowed only once.
                path.push(k.clone());
                let ok =
                    count(x, k) == 0 && count(&y[..i], k) == 0 && allowed.added_keys.contains(path);
                path.pop();
                if !ok {
                    return Err(VerifyError::KeyAdded {
                        key: k.clone(),
                        at: here(path),
                    });
                }
            }
            Ok(())
        }
        (Data::Marked(m, v), Data::Marked(n, w)) if m == n => compare(v, w, path, allowed),
        (Data::Seq(x), Data::Seq(y)) => {
            let inserted = inserted_here(y, path, allowed)?;
            if x.len() + inserted.len() != y.len() {
                return Err(VerifyError::SequenceLength { at: here(path) });
            }
            let kept = y
                .iter()
                .enumerate()
                .filter(|(i, _)| !inserted.contains(i))
                .map(|(_, w)| w);
            for (i, (v, w)) in x.iter().zip(kept).enumerate() {
                path.push(i.to_string());
                compare(v, w, path, allowed)?;
                path.pop();
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        (Data::Scalar(x, p), Data::Scalar(y, q))
            if p == q && allowed.scalars.contains(&(x.clone(), y.clone())) =>
        {
            Ok(())
        }
        _ => Err(VerifyError::Value { at: here(path) }),
    }
}

/// The indices of `y` (the edited sequence at `path`) that hold items
/// `allowed` lets an edit insert there. Each must be present and load to
/// the data of its allowed text; anything else is refused, so an allowance
/// never covers an item it does not describe.
fn inserted_here(
    y: &[Data],
    path: &[String],
    allowed: &AllowedChanges,
) -> Result<std::collections::BTreeSet<usize>, VerifyError> {
    let mut found = std::collections::BTreeSet::new();
    for ins in allowed.inserted_items.iter().filter(|i| i.seq == path) {
        let wanted = load(&ins.item).ok().and_then(|mut docs| match docs.len() {
            1 => docs.pop(),
            _ => None,
        });
        let ok = wanted.is_some_and(|w| y.get(ins.index) == Some(&w));
        if !ok || !found.insert(ins.index) {
            return Err(VerifyError::InsertedItem {
                at: here(path),
                index: ins.index,
            });
        }
    }
    Ok(found)
}

/// Reduce a CST to data, reading scalars the way hardpin's routes do.
fn cst_data(doc: &YamlDoc) -> Vec<Data> {
    let root = doc.root();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|n| n.kind() == "document")
        .map(|d| node_data(doc, d))
        .collect()
}

fn node_data(doc: &YamlDoc, node: Node<'_>) -> Data {
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect();
    match node.kind() {
        "block_mapping" | "flow_mapping" => Data::Map(
            children
                .iter()
                .filter_map(|c| match c.kind() {
                    "block_mapping_pair" | "flow_pair" => Some(pair_data(doc, *c)),
                    // `{b}`: a key with a null value.
                    "flow_node" => Some((key_string(doc, *c), Data::Null)),
                    _ => None,
                })
                .collect(),
        ),
        "block_sequence" | "flow_sequence" => Data::Seq(
            children
                .iter()
                .map(|c| {
                    if c.kind() == "flow_pair" {
                        // `[b: 1]` is `[{b: 1}]`.
                        Data::Map(vec![pair_data(doc, *c)])
                    } else if c.kind() == "block_sequence_item" {
                        let mut c2 = c.walk();
                        let inner = c.named_children(&mut c2).find(|n| n.kind() != "comment");
                        inner.map_or(Data::Null, |n| node_data(doc, n))
                    } else {
                        node_data(doc, *c)
                    }
                })
                .collect(),
        ),
        "alias" => Data::Alias(doc.text_of(node).to_string()),
        "block_scalar" => {
            // hardpin reads the content only; the header's style, chomping
            // and indentation indicators change the value too.
            let header: String = doc
                .text_of(node)
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '#')
                .collect();
            // An explicit indentation indicator makes indentation content,
            // which hardpin's reading strips: compare the text itself.
            let value = if header.chars().any(|c| c.is_ascii_digit()) {
                Data::Scalar(doc.text_of(node).to_string(), false)
            } else {
                scalar(doc, node).map_or(Data::Null, |s| Data::Scalar(s.value, false))
            };
            Data::Marked(header, Box::new(value))
        }
        "plain_scalar" | "single_quote_scalar" | "double_quote_scalar" => scalar(doc, node)
            .map_or(Data::Null, |s| {
                Data::Scalar(s.value, s.style == ScalarStyle::Plain)
            }),
        _ => {
            // document, block_node, flow_node: the content is the child that
            // is not an anchor or a tag, which mark it.
            let mark = |kind: &str, sigil: char| {
                children
                    .iter()
                    .find(|c| c.kind() == kind)
                    .map(|c| doc.text_of(*c).trim_start_matches(sigil).to_string())
            };
            let content: Vec<&Node<'_>> = children
                .iter()
                .filter(|c| !matches!(c.kind(), "anchor" | "tag"))
                .collect();
            let data = match content.as_slice() {
                [] => Data::Null,
                [one] => node_data(doc, **one),
                many => Data::Seq(many.iter().map(|n| node_data(doc, **n)).collect()),
            };
            marked(mark("anchor", '&'), mark("tag", '!'), data)
        }
    }
}

/// A mapping key as hardpin's routes read it.
fn key_string(doc: &YamlDoc, k: Node<'_>) -> String {
    scalar(doc, k).map_or_else(|| doc.text_of(k).to_string(), |s| s.value)
}

fn pair_data(doc: &YamlDoc, pair: Node<'_>) -> (String, Data) {
    let key = pair
        .child_by_field_name("key")
        .map_or_else(String::new, |k| key_string(doc, k));
    let value = pair
        .child_by_field_name("value")
        .map_or(Data::Null, |v| node_data(doc, v));
    (key, value)
}

fn here(path: &[String]) -> String {
    if path.is_empty() {
        "the document root".into()
    } else {
        format!("`{}`", path.join("."))
    }
}

/// A mapping key as text; a collection as a key (rare, legal) by its shape.
fn key_text(k: &Data) -> String {
    match k {
        Data::Scalar(s, _) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(pairs: &[(&str, &str)]) -> AllowedChanges {
        AllowedChanges {
            scalars: pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn check(a: &str, b: &str, allowed: &AllowedChanges) -> Result<(), VerifyError> {
        check_changes(
            &YamlDoc::parse(a.into()).unwrap(),
            &YamlDoc::parse(b.into()).unwrap(),
            allowed,
        )
    }

    #[test]
    fn allowed_scalar_change_passes() {
        let a = "steps:\n  - uses: a/b@v1\n";
        let b = "steps:\n  - uses: a/b@0123 # v1.0.0\n";
        assert!(check(a, b, &allow(&[("a/b@v1", "a/b@0123")])).is_ok());
        assert!(check(a, b, &allow(&[])).is_err());
    }

    #[test]
    fn other_changes_fail() {
        let a = "x: 1\ny: a/b@v1\n";
        let b = "x: 2\ny: a/b@0123\n";
        let err = check(a, b, &allow(&[("a/b@v1", "a/b@0123")])).unwrap_err();
        assert!(err.to_string().contains("`x`"), "{err}");
    }

    #[test]
    fn flow_sequence_closed_at_lower_indentation() {
        // yaml-rust2 rejects this; GitHub and the CST check accept it.
        let a = "jobs:\n  a:\n    strategy:\n      matrix:\n        x: [\n          1,\n        ]\n    steps:\n      - uses: a/b@v1\n";
        let b = a.replace("a/b@v1", "a/b@0123");
        assert!(check(a, &b, &allow(&[("a/b@v1", "a/b@0123")])).is_ok());
        let c = b.replace("1,", "2,");
        assert!(check(a, &c, &allow(&[("a/b@v1", "a/b@0123")])).is_err());
    }

    #[test]
    fn alias_and_anchor_changes_are_seen() {
        let a = "x: &a a/b@v1\ny: *a\n";
        assert!(check(a, "x: &a a/b@v2\ny: *a\n", &allow(&[("a/b@v1", "a/b@v2")])).is_ok());
        assert!(check(a, "x: &b a/b@v1\ny: *b\n", &allow(&[])).is_err());
    }

    #[test]
    fn aliases_load_as_references() {
        let docs = load(&crate::yaml::tests::alias_bomb()).unwrap();
        let Data::Map(top) = &docs[0] else {
            panic!("{docs:?}")
        };
        assert_eq!(top.len(), 12);
        assert!(matches!(&top[11].1, Data::Marked(a, inner)
            if a == "&#12" && **inner == Data::Seq(vec![Data::Alias("#11".into()); 9])));
    }

    #[test]
    fn duplicate_keys_types_and_anchors_are_seen() {
        let none = allow(&[]);
        for (a, b) in [
            ("a: 1\n", "a: 1\na: 2\n"),
            (
                "steps:\n  - uses: a/b@v1\n",
                "steps:\n  - uses: a/b@v1\n    uses: evil/x@v1\n",
            ),
            ("n: 1\n", "n: '1'\n"),
            ("b: true\n", "b: \"true\"\n"),
            ("n: 1\n", "n: !!str 1\n"),
            ("x: &a 1\ny: 2\nz: *a\n", "x: 1\ny: &a 2\nz: *a\n"),
        ] {
            assert!(check(a, b, &none).is_err(), "{a:?} -> {b:?}");
        }
        // A file with a duplicate key is still itself.
        assert!(check("a: 1\na: 2\n", "a: 1\na: 2\n", &none).is_ok());
        let mut ok = AllowedChanges::default();
        ok.added_keys.insert(vec!["permissions".into()]);
        assert!(
            check(
                "jobs: {}\n",
                "permissions: {}\npermissions: {}\njobs: {}\n",
                &ok
            )
            .is_err()
        );
    }

    #[test]
    fn empty_documents_count() {
        assert!(check("---\n---\na: 1\n", "---\n---\na: 1\n", &allow(&[])).is_ok());
    }

    fn insert_first_step() -> AllowedChanges {
        let mut ok = AllowedChanges::default();
        ok.inserted_items.insert(crate::diagnostics::InsertedItem {
            seq: vec!["jobs".into(), "a".into(), "steps".into()],
            index: 0,
            item: "uses: h/r@0123\nwith:\n  egress-policy: audit\n".into(),
        });
        ok
    }

    #[test]
    fn allowed_item_insertion_passes() {
        let a = "jobs:\n  a:\n    steps:\n      - run: hi\n";
        let b = "jobs:\n  a:\n    steps:\n      - uses: h/r@0123 # v1.0.0\n        with:\n          egress-policy: audit\n      - run: hi\n";
        assert!(check(a, b, &AllowedChanges::default()).is_err());
        assert!(check(a, b, &insert_first_step()).is_ok());
        let crlf = |t: &str| t.replace('\n', "\r\n");
        assert!(check(&crlf(a), &crlf(b), &insert_first_step()).is_ok());
    }

    #[test]
    fn other_insertions_and_changes_still_fail() {
        let ok = insert_first_step();
        let a = "jobs:\n  a:\n    steps:\n      - run: hi\n  b:\n    steps:\n      - run: ho\n";
        let item = "      - uses: h/r@0123\n        with:\n          egress-policy: audit\n";
        let first_a = a.replacen("      - run: hi\n", &format!("{item}      - run: hi\n"), 1);
        assert!(check(a, &first_a, &ok).is_ok());
        for (what, b) in [
            (
                "at another index",
                a.replacen("      - run: hi\n", &format!("      - run: hi\n{item}"), 1),
            ),
            (
                "in another job",
                a.replacen("      - run: ho\n", &format!("{item}      - run: ho\n"), 1),
            ),
            ("with other content", first_a.replace("audit", "block")),
            (
                "with an item changed",
                first_a.replace("run: hi", "run: evil"),
            ),
            (
                "twice",
                a.replacen(
                    "      - run: hi\n",
                    &format!("{item}{item}      - run: hi\n"),
                    1,
                ),
            ),
            (
                "with an item replaced",
                a.replacen("      - run: hi\n", item, 1),
            ),
            ("not at all", a.to_string()),
        ] {
            assert!(check(a, &b, &ok).is_err(), "inserted {what}: {b}");
        }
    }

    #[test]
    fn added_key_needs_permission() {
        let a = "jobs: {}\n";
        let b = "permissions: {}\njobs: {}\n";
        assert!(check(a, b, &AllowedChanges::default()).is_err());
        let mut ok = AllowedChanges::default();
        ok.added_keys.insert(vec!["permissions".into()]);
        assert!(check(a, b, &ok).is_ok());
    }
}
