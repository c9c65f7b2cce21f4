//! git pkt-line framing and the two ref listing parsers built on it.
#![no_main]

use hardpin::resolve::github::{parse_advertisement, parse_ls_refs};
use hardpin::resolve::pktline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pktline::decode(data);
    for listing in [parse_ls_refs(data).ok(), parse_advertisement(data).ok()]
        .into_iter()
        .flatten()
    {
        for git_ref in listing.tags.keys().chain(listing.heads.keys()) {
            let _ = listing.pin(git_ref);
        }
    }
});
