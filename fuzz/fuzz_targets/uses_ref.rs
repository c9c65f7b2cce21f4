//! `uses:` values: never panic, and an accepted ref is a valid git ref that
//! parses again to the same thing.
#![no_main]

use hardpin::refs::{UsesTarget, classify, validate_ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = validate_ref(&text);
    if let Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) = classify(&text) {
        assert!(validate_ref(&a.git_ref).is_ok());
        let again = classify(&a.to_string()).unwrap();
        assert!(matches!(again, UsesTarget::Remote(b) | UsesTarget::Pinned(b) if b == a));
    }
});
