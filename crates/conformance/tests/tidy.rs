#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Tidy checks that run as ordinary tests: every source file says what it owns, no file
//! grows into a grab-bag, and the `ir` crate stays free of parsers and serialisation.

use vigil_conformance::{files_with_extension, root};

#[test]
fn every_source_file_starts_with_a_module_doc_and_stays_small() {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).unwrap() {
        files.extend(files_with_extension(&krate.unwrap().path().join("src"), "rs"));
    }
    assert!(files.len() > 30);
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if !text.starts_with("//!") {
            problems.push(format!("{}: does not start with a `//!` module doc", f.display()));
        }
        let lines = text.lines().count();
        if lines > 600 {
            problems.push(format!("{}: {lines} lines; split it by concept", f.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_ir_depends_on_no_parser_and_no_serialisation_crate() {
    let manifest = std::fs::read_to_string(root().join("crates/ir/Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or("");
    let deps = deps.split("\n[").next().unwrap_or("");
    assert!(deps.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')), "vigil-ir must have no dependencies:\n{deps}");
}

/// The names a crate's `[dependencies]` section lists.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or("");
    let deps = deps.split("\n[").next().unwrap_or("");
    deps.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|l| l.split(['.', ' ', '=']).next()).map(String::from).collect()
}

#[test]
fn emit_depends_only_on_the_ir_and_the_pipeline_layer() {
    // Outside crates are allowed (`regex-syntax` parses regexes as the engine does).
    let vigil: Vec<String> = dependencies("emit").into_iter().filter(|d| d.starts_with("vigil-")).collect();
    assert_eq!(vigil, ["vigil-ir", "vigil-pipeline"], "vigil-emit may depend on vigil-ir and vigil-pipeline only (of vigil's crates)");
}

#[test]
fn readers_depend_on_the_view_not_on_the_engine_and_the_engine_not_on_pipelines() {
    let view = dependencies("view");
    assert!(view.iter().all(|d| !d.starts_with("vigil-") && d != "regex" && d != "aho-corasick"), "vigil-view must stay small: {view:?}");
    let events = dependencies("events");
    assert!(events.contains(&"vigil-view".to_string()) && !events.contains(&"vigil-engine".to_string()), "vigil-events reads through vigil-view: {events:?}");
    let engine = dependencies("engine");
    assert!(!engine.contains(&"vigil-pipeline".to_string()), "the engine compiles mapped rules; it must not depend on vigil-pipeline: {engine:?}");
}
