//! YAML: parse, decode every scalar node, walk every pair, and check the
//! document against itself.
#![no_main]

use hardpin::verify::AllowedChanges;
use hardpin::yaml::data::check_changes;
use hardpin::yaml::{self, YamlDoc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let Ok(doc) = YamlDoc::parse(text) else {
        return;
    };
    let mut cursor = doc.root().walk();
    'walk: loop {
        let node = cursor.node();
        if let Some(s) = yaml::scalar(&doc, node) {
            let _ = s.requote(&s.value);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    for p in yaml::pairs(&doc) {
        let _ = yaml::scalar(&doc, p.key);
        if let Some(v) = p.value {
            let _ = yaml::scalar(&doc, v);
            let _ = doc.comment_for(v);
        }
    }
    // A document never differs from itself.
    check_changes(&doc, &doc, &AllowedChanges::default()).unwrap();
});
