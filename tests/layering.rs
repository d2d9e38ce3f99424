//! The module layering of `docs/internals.md`, checked on the source: a lower layer never
//! names a higher one (network above commands, commands and ACL rules above state, state above
//! the store and the RDB format).

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push((path.display().to_string(), text));
        }
    }
    out
}

/// The lines of the files under `src/<dir>` that name any of `higher` in code (comments and
/// doc comments aside).
fn offending(dir: &str, higher: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    for (file, text) in sources(&root) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for module in higher {
                if code.contains(&format!("crate::{module}::"))
                    || code.contains(&format!("crate::{module};"))
                    || code.contains(&format!("crate::{module}::{{"))
                {
                    found.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn state_names_neither_commands_acl_nor_network() {
    let found = offending("state", &["cmd", "acl", "net"]);
    assert!(
        found.is_empty(),
        "state reaches upwards:\n{}",
        found.join("\n")
    );
}

#[test]
fn store_persist_and_helpers_name_no_higher_layer() {
    for dir in ["store", "persist", "config", "resp", "util"] {
        let found = offending(dir, &["cmd", "acl", "net", "state"]);
        assert!(
            found.is_empty(),
            "{dir} reaches upwards:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn commands_and_acl_never_name_the_network_layer() {
    for dir in ["cmd", "acl"] {
        let found = offending(dir, &["net"]);
        assert!(
            found.is_empty(),
            "{dir} reaches upwards:\n{}",
            found.join("\n")
        );
    }
}
