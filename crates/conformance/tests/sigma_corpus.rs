#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Loads SigmaHQ rule trees and compares the files vigil refuses, with their first diagnostic
//! code, against `testdata/sigma-corpus-refusals.tsv`: the project's sample
//! (`testdata/sigmahq/sigma`, 647 files, which holds every refused file) always, and the whole
//! corpus (3,791 files) when the shared directory is there.
//! A new refusal (or a refusal that disappeared) fails the test: update the expectation file
//! only with a reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::{files_with_extension, read_expectations, sigma_data, SigmaData};
use vigil_sigma::{link, load_str, LoadOptions};

/// The refused files of one rule tree (relative path → code of the first error), and how
/// many files it holds.
fn refusals(data: &SigmaData) -> (BTreeMap<String, String>, usize) {
    let files = files_with_extension(&data.rules, "yml");
    assert_eq!(files.len(), data.files, "{}: the rule tree changed", data.name);
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    for path in &files {
        let rel = path.strip_prefix(&data.rules).unwrap().display().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let mut loaded = load_str(Arc::from(rel.as_str()), &text, &LoadOptions::default());
        if let Some(d) = loaded.errors.first() {
            refused.insert(rel, d.code.to_string());
        }
        rules.append(&mut loaded.rules);
        filters.append(&mut loaded.filters);
    }
    for d in link(&mut rules, &filters) {
        if d.severity == vigil_ir::Severity::Error {
            refused.entry(d.source.to_string()).or_insert_with(|| d.code.to_string());
        }
    }
    (refused, files.len())
}

#[test]
fn corpus_refusals_match_the_expectation_file() {
    let expected = read_expectations("sigma-corpus-refusals.tsv", 1);
    assert_eq!(expected.len(), 9);
    let wanted: Vec<String> = expected.iter().map(|(f, c)| format!("{f}\t{c}")).collect();
    for data in sigma_data() {
        let (refused, files) = refusals(&data);
        let actual: Vec<String> = refused.iter().map(|(f, c)| format!("{f}\t{c}")).collect();
        assert_eq!(actual, wanted, "{}: refusals changed; actual list above", data.name);
        eprintln!("{}: {} of {files} files load", data.name, files - refused.len());
    }
}
