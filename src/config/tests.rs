use std::fs;

use super::*;
use crate::refs::{UsesTarget, classify};

const PATH: &str = "/repo/hardpin.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new(PATH))
}

/// The error's message and its `line:column`.
fn error(text: &str) -> (String, (usize, usize)) {
    let e = parse(text).unwrap_err();
    assert!(!e.hint().is_empty());
    let at = e.location().unwrap().position.unwrap();
    (e.to_string(), at)
}

fn action(text: &str) -> ActionRef {
    match classify(text).unwrap() {
        UsesTarget::Remote(a) => a,
        other => panic!("not remote: {other:?}"),
    }
}

fn image(text: &str) -> ImageRef {
    ImageRef::parse(text).unwrap()
}

const EXAMPLE: &str = r#"# hardpin.toml
only = ["pin-actions"]
skip = ["update-images"]
ignore = ["tests/fixtures/**", "vendor/**"]
disable = ["HP011", "hp004"]

[[allow]]
uses = "my-org/internal-action@main"
reason = "our own action, released from main"
[[allow]]
image = "postgres:16"
reason = "  the test database follows its tag  "

[[trust]]
uses = "actions/*"
reason = "GitHub's own actions"
"#;

#[test]
fn the_documented_example_is_read() {
    let c = parse(EXAMPLE).unwrap();
    assert_eq!(c.path.as_deref(), Some(Path::new(PATH)));
    assert_eq!(c.root, Path::new("/repo"));
    assert_eq!(c.only, ["pin-actions"]);
    assert_eq!(c.skip, ["update-images"]);
    assert_eq!(c.disable, ["HP011", "HP004"]);
    assert!(c.permissions_kb.is_empty());
    assert_eq!(
        c.allowed_uses(&action("my-org/internal-action@main")),
        Some("our own action, released from main")
    );
    assert_eq!(
        c.allowed_image(&image("postgres:16")),
        Some("the test database follows its tag")
    );
    assert_eq!(
        c.trusted(&action("actions/checkout@v4")),
        Some("GitHub's own actions")
    );
}

#[test]
fn an_empty_file_and_no_file_change_nothing() {
    for c in [parse("").unwrap(), Config::empty(Path::new("/repo"))] {
        assert_eq!(c.root, Path::new("/repo"));
        assert!(c.only.is_empty() && c.skip.is_empty() && c.disable.is_empty());
        assert!(!c.ignores(Path::new("/repo/a.yml")));
        assert!(!c.disabled("HP001"));
        assert!(c.allowed_uses(&action("a/b@main")).is_none());
        assert!(c.allowed_image(&image("node")).is_none());
        assert!(c.trusted(&action("a/b@v1")).is_none());
    }
    assert!(Config::empty(Path::new("/repo")).path.is_none());
}

#[test]
fn an_unknown_top_level_key_is_an_error_with_its_line() {
    let (message, at) = error("only = []\n\nfoo = 1\n");
    assert_eq!(at, (3, 1));
    assert!(
        message.starts_with("unknown key `foo` at /repo/hardpin.toml:3:1"),
        "{message}"
    );
    assert!(message.contains("`permissions-kb`"), "{message}");
}

#[test]
fn a_snake_case_key_is_unknown() {
    let (message, at) = error("permissions_kb = []\n");
    assert_eq!(at, (1, 1));
    assert!(
        message.starts_with("unknown key `permissions_kb`"),
        "{message}"
    );
}

#[test]
fn an_unknown_key_in_an_entry_is_an_error_with_its_line() {
    let text = "[[allow]]\nuses = \"a/b\"\nreason = \"x\"\n\n[[allow]]\nimage = \"node\"\n  resaon = \"typo\"\nreason = \"x\"\n";
    let (message, at) = error(text);
    assert_eq!(at, (7, 3));
    assert!(message.starts_with("unknown key `resaon`"), "{message}");
    let (message, at) = error("[[trust]]\nuses = \"a/*\"\nreason = \"x\"\nimage = \"node\"\n");
    assert_eq!(at, (4, 1));
    assert!(message.starts_with("unknown key `image`"), "{message}");
}

#[test]
fn a_value_of_the_wrong_type_is_an_error_with_its_line() {
    let (message, at) = error("skip = []\nonly = \"pin-actions\"\n");
    assert_eq!(at, (2, 8));
    assert!(message.contains("at /repo/hardpin.toml:2:8"), "{message}");
    let (_, at) = error("disable = [\"HP001\", 11]\n");
    assert_eq!(at, (1, 21));
}

#[test]
fn a_toml_syntax_error_has_its_line() {
    let (_, at) = error("only = [\"pin-actions\"]\nskip = [\n");
    assert_eq!(at.0, 2);
    let (_, at) = error("only = []\nonly = []\n");
    assert_eq!(at.0, 2);
}

#[test]
fn unknown_transform_names_are_errors_at_the_name() {
    let (message, at) = error("only = [\"pin-actions\", \"pin-everything\"]\n");
    assert_eq!(at, (1, 24));
    assert!(
        message.starts_with("unknown transform `pin-everything` at /repo/hardpin.toml:1:24"),
        "{message}"
    );
    assert!(message.contains("pin-images"), "{message}");
    let (_, at) = error("only = []\nskip = [\"Pin-Actions\"]\n");
    assert_eq!(at, (2, 9));
}

#[test]
fn unknown_rule_ids_are_errors_and_known_ones_are_canonical() {
    let (message, at) = error("disable = [\n  \"HP001\",\n  \"HP999\",\n]\n");
    assert_eq!(at, (3, 3));
    assert!(message.starts_with("unknown rule `HP999` at"), "{message}");
    let c = parse("disable = [\"hp011\"]").unwrap();
    assert_eq!(c.disable, ["HP011"]);
    assert!(c.disabled("HP011") && c.disabled("hp011"));
    assert!(!c.disabled("HP001"));
}

#[test]
fn invalid_globs_are_errors_at_the_glob() {
    let (message, at) = error("ignore = [\"ok/**\",\n          \"bad/[x\"]\n");
    assert_eq!(at, (2, 11));
    assert!(message.starts_with("invalid glob `bad/[x` at"), "{message}");
    let (message, _) = error("ignore = [\"/abs/**\"]\n");
    assert!(message.contains("relative"), "{message}");
}

#[test]
fn an_allow_needs_exactly_one_of_uses_and_image() {
    let (message, at) = error("only = []\n[[allow]]\nreason = \"why\"\n");
    assert_eq!(at.0, 2);
    assert!(
        message.starts_with("an [[allow]] entry needs exactly one"),
        "{message}"
    );
    let (_, at) = error(
        "[[allow]]\nuses = \"a/b\"\nreason = \"x\"\n[[allow]]\nuses = \"a/b\"\nimage = \"node\"\nreason = \"x\"\n",
    );
    assert_eq!(at.0, 4);
}

#[test]
fn a_reason_is_required_and_not_empty() {
    let (message, at) = error("[[allow]]\nuses = \"a/b\"\nreason = \"  \"\n");
    assert_eq!(at, (3, 10));
    assert!(message.starts_with("empty reason at"), "{message}");
    let (message, at) = error("[[trust]]\nuses = \"a/*\"\n");
    assert_eq!(at.0, 1);
    assert!(message.contains("reason"), "{message}");
    let (_, at) = error("[[trust]]\nuses = \"a/*\"\nreason = \"\"\n");
    assert_eq!(at, (3, 10));
}

#[test]
fn bad_patterns_are_errors_at_the_pattern() {
    let (message, at) = error("[[allow]]\nuses = \"checkout@v4\"\nreason = \"x\"\n");
    assert_eq!(at, (2, 8));
    assert!(
        message.starts_with("invalid `uses` pattern `checkout@v4`"),
        "{message}"
    );
    let (message, at) = error("[[trust]]\nreason = \"x\"\nuses = \"actions/*@v4\"\n");
    assert_eq!(at, (3, 8));
    assert!(message.contains("without `@ref`"), "{message}");
    let (message, at) = error(
        "[[allow]]\nimage = \"node@sha256:0123456789abcdef0123456789abcdef\"\nreason = \"x\"\n",
    );
    assert_eq!(at, (2, 9));
    assert!(message.starts_with("invalid `image` pattern"), "{message}");
}

#[test]
fn knowledge_base_files_are_relative_to_the_root_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("ci")).unwrap();
    fs::write(dir.path().join("ci/kb.toml"), "").unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, "permissions-kb = [\"ci/kb.toml\"]\n").unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(
        c.permissions_kb,
        [normalise(dir.path()).unwrap().join("ci/kb.toml")]
    );
    assert!(c.permissions_kb[0].is_absolute());

    fs::write(
        &path,
        "\npermissions-kb = [\"ci/kb.toml\", \"ci/nope.toml\"]\n",
    )
    .unwrap();
    let e = Config::load(&path).unwrap_err();
    assert!(matches!(e, ConfigError::MissingKb { .. }), "{e}");
    assert_eq!(e.location().unwrap().position, Some((2, 33)));
    assert!(e.to_string().contains("nope.toml"), "{e}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = Config::load(&dir.path().join("nope.toml")).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert!(e.location().is_none());
    assert!(e.to_string().contains("nope.toml"));
}

#[test]
fn ignore_globs_are_relative_to_the_configs_folder() {
    let c = parse("ignore = [\"tests/fixtures/**\", \"vendor\"]").unwrap();
    assert!(c.ignores(Path::new("/repo/tests/fixtures/bad.yml")));
    assert!(c.ignores(Path::new("/repo/vendor/a/action.yml")));
    assert!(c.ignores(Path::new("/repo/src/../vendor/a.yml")));
    assert!(!c.ignores(Path::new("/repo/.github/workflows/ci.yml")));
    assert!(!c.ignores(Path::new("/repo/sub/tests/fixtures/bad.yml")));
    assert!(!c.ignores(Path::new("/elsewhere/tests/fixtures/bad.yml")));
    assert!(!c.ignores(Path::new("/repo/vendor/../ci.yml")));
}

#[test]
fn a_relative_config_path_has_an_absolute_root() {
    let c = Config::parse("ignore = [\"vendor\"]", Path::new("hardpin.toml")).unwrap();
    assert!(c.root.is_absolute());
    assert_eq!(c.root, std::env::current_dir().unwrap());
    assert!(c.ignores(Path::new("vendor/x.yml")));
    assert!(!c.ignores(Path::new("x.yml")));
}

#[test]
fn allows_and_trusts_match_in_order_and_by_kind() {
    let c = parse(
        r#"
[[allow]]
uses = "my-org/*"
reason = "ours"
[[allow]]
uses = "third/party"
reason = "any ref"
[[allow]]
uses = "my-org/special@main"
reason = "never reached: the first match wins"
[[allow]]
image = "ghcr.io/my-org/*"
reason = "our images"
[[trust]]
uses = "actions/*"
reason = "GitHub"
[[trust]]
uses = "docker/build-push-action"
reason = "Docker"
"#,
    )
    .unwrap();
    assert_eq!(c.allowed_uses(&action("my-org/special@main")), Some("ours"));
    assert_eq!(c.allowed_uses(&action("My-Org/x/y@v1")), Some("ours"));
    assert_eq!(c.allowed_uses(&action("third/party@main")), Some("any ref"));
    assert_eq!(c.allowed_uses(&action("third/party@v2")), Some("any ref"));
    assert_eq!(c.allowed_uses(&action("third/party-2@v2")), None);
    assert_eq!(c.allowed_uses(&action("actions/checkout@v4")), None);
    assert_eq!(
        c.allowed_image(&image("ghcr.io/my-org/app:1")),
        Some("our images")
    );
    assert_eq!(c.allowed_image(&image("my-org/app:1")), None);
    assert_eq!(c.trusted(&action("actions/checkout@main")), Some("GitHub"));
    assert_eq!(
        c.trusted(&action("docker/build-push-action@v6")),
        Some("Docker")
    );
    assert_eq!(c.trusted(&action("docker/login-action@v3")), None);
    assert_eq!(c.trusted(&action("my-org/x@v1")), None);
}

/// A folder tree with a `.git` at its top, so the walk never leaves it.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    fs::write(dir.path().join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    dir
}

#[test]
fn find_walks_up_from_a_file_or_a_folder() {
    let dir = repo();
    fs::write(dir.path().join(FILE_NAME), "only = [\"pin-images\"]\n").unwrap();
    let top = normalise(dir.path()).unwrap();
    for start in [
        dir.path().join(".github/workflows/ci.yml"),
        dir.path().join(".github/workflows"),
        dir.path().to_path_buf(),
    ] {
        let c = Config::find(&start).unwrap().unwrap();
        assert_eq!(c.only, ["pin-images"]);
        assert_eq!(c.root, top);
        assert_eq!(c.path, Some(top.join(FILE_NAME)));
    }
}

#[test]
fn find_takes_the_nearest_file() {
    let dir = repo();
    fs::write(dir.path().join(FILE_NAME), "only = [\"pin-images\"]\n").unwrap();
    fs::write(
        dir.path().join(".github").join(FILE_NAME),
        "skip = [\"permissions\"]\n",
    )
    .unwrap();
    let c = Config::find(&dir.path().join(".github/workflows/ci.yml"))
        .unwrap()
        .unwrap();
    assert_eq!(c.skip, ["permissions"]);
    assert!(c.only.is_empty());
    assert!(c.root.ends_with(".github"));
}

#[test]
fn find_stops_at_the_top_of_the_repository() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join(FILE_NAME), "only = [\"pin-images\"]\n").unwrap();
    let inner = outer.path().join("clone");
    fs::create_dir_all(inner.join(".git")).unwrap();
    fs::create_dir_all(inner.join("src")).unwrap();
    assert!(Config::find(&inner.join("src")).unwrap().is_none());
    // Without the `.git`, the walk goes on and finds the outer file.
    fs::remove_dir(inner.join(".git")).unwrap();
    assert!(Config::find(&inner.join("src")).unwrap().is_some());
}

#[test]
fn find_reports_a_bad_file_it_finds() {
    let dir = repo();
    fs::write(dir.path().join(FILE_NAME), "\nonly = [\"nope\"]\n").unwrap();
    let e = Config::find(&dir.path().join(".github")).unwrap_err();
    assert!(matches!(e, ConfigError::UnknownTransform { .. }), "{e}");
    assert_eq!(e.location().unwrap().position, Some((2, 9)));
}

#[test]
fn find_accepts_a_start_that_does_not_exist_yet() {
    let dir = repo();
    fs::write(dir.path().join(FILE_NAME), "").unwrap();
    assert!(Config::find(&dir.path().join("new.yml")).unwrap().is_some());
}
