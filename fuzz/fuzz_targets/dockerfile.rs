//! The Dockerfile scanner: never panics, spans match their words, and a
//! scanned file verifies against itself.
#![no_main]

use hardpin::dockerfile;
use hardpin::image::ImageRef;
use hardpin::verify::{AllowedChanges, check_dockerfile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let Ok(d) = dockerfile::parse(text) else {
        return;
    };
    for ins in &d.instructions {
        assert!(!ins.words.is_empty());
        for w in &ins.words {
            assert_eq!(&d.text[w.span.clone()], w.text);
        }
        for w in ins.args() {
            let _ = ImageRef::parse(w.text.strip_prefix("--from=").unwrap_or(&w.text));
        }
    }
    check_dockerfile(&d, &d, &AllowedChanges::default()).unwrap();
});
