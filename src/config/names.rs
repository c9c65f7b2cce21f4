//! The transform names that `only`, `skip` and inline suppressions accept.
//!
//! Kept here rather than read from the transform registry so that the
//! configuration (a leaf the commands build on) does not depend on the
//! transforms; a unit test checks the registry against this list.

/// Every transform name, in the registry's order.
pub const TRANSFORM_NAMES: &[&str] = &[
    "pin-actions",
    "pin-images",
    "permissions",
    "update-actions",
    "update-images",
    "harden-runner",
    "audit-workflows",
    "verify-pins",
    "fix-comments",
];

/// Whether `name` is a transform's name (exactly: names are kebab-case).
pub fn is_transform(name: &str) -> bool {
    TRANSFORM_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::transforms::permissions::kb::Kb;
    use crate::transforms::registry;

    #[test]
    fn every_registered_transform_is_known() {
        let kb = Arc::new(Kb::load(&[]).unwrap());
        for entry in registry(kb, false, false) {
            let name = entry.transform.name();
            assert!(is_transform(name), "{name} is missing from TRANSFORM_NAMES");
        }
    }
}
