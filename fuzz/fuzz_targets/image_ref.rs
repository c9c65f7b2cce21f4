//! Image references: never panic, and what parses prints back as written.
#![no_main]

use hardpin::image::ImageRef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = ImageRef::parse(&text) {
        assert_eq!(r.to_string(), text);
        let _ = (r.key(), r.pinned(&format!("sha256:{}", "0".repeat(64))));
    }
});
