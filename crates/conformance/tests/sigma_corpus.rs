#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Loads all of `../shared/corpus/sigma` (3,791 files) and compares the files vigil refuses,
//! with their first diagnostic code, against `testdata/sigma-corpus-refusals.tsv`.
//! A new refusal (or a refusal that disappeared) fails the test: update the expectation file
//! only with a reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::{files_with_extension, read_expectations, shared};
use vigil_sigma::{link, load_str, LoadOptions};

#[test]
fn corpus_refusals_match_the_expectation_file() {
    let corpus = shared().join("corpus/sigma");
    assert!(corpus.is_dir(), "{} is missing: CI must provide ../shared beside the project", corpus.display());
    let files = files_with_extension(&corpus, "yml");
    assert_eq!(files.len(), 3791, "the corpus changed");
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    for path in &files {
        let rel = path.strip_prefix(&corpus).unwrap().display().to_string();
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
    let expected = read_expectations("sigma-corpus-refusals.tsv", 1);
    let actual: Vec<String> = refused.iter().map(|(f, c)| format!("{f}\t{c}")).collect();
    let wanted: Vec<String> = expected.iter().map(|(f, c)| format!("{f}\t{c}")).collect();
    assert_eq!(actual, wanted, "refusals changed; actual list above");
    let loaded = files.len() - refused.len();
    let share = loaded as f64 / files.len() as f64;
    assert!(share >= 0.995, "only {loaded} of {} files load", files.len());
}
