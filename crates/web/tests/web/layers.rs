//! The layers hold by construction, and this checks what construction cannot: no SQL text and no raw
//! connection outside `crates/store`. The web layer and the binary call the store's typed functions
//! (`store.cases()`, `store.inbox()`, …); only tests reach a connection, through onego-test-support.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// What SQL or a raw connection looks like in Rust source.
const FORBIDDEN: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "raw_read",
    "raw_write",
    "&mut dyn Conn",
    "query_one(",
    ".execute(\"",
];

#[test]
fn no_sql_and_no_connection_outside_the_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["web/src", "onego/src"] {
        sources(&root.join(krate), &mut files);
    }
    assert!(files.len() > 10, "found the sources: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    found.push(format!("{}:{}: {word:?} in {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL or a raw connection outside crates/store; add a typed function to the store instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    // A check that cannot fail proves nothing: the words it looks for do appear in the store.
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src/case/lists.rs");
    let text = std::fs::read_to_string(store).expect("read");
    assert!(text.contains("SELECT ") && text.contains("&mut dyn Conn"));
}
