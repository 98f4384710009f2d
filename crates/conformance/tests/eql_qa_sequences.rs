#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elasticsearch's EQL QA suites, for the statements the sequence engine runs: every
//! `sequence`, `sample` and piped (`head`/`tail`) case of `test_queries.toml`,
//! `additional_test_queries.toml`, `test_extra.toml`, `test_missing_events.toml`,
//! `test_sample.toml` and `test_sample_multi.toml`, over their datasets with the harness
//! parameters of `eql_qa.rs` (category field `event_type`, events ordered by `@timestamp`
//! then the index's tiebreaker). A case passes when the flattened event ids (with -1 at a
//! missing stage) equal one of the acceptable answers and, when the case gives them, the
//! flattened join keys are equal too. Every failure must be listed in
//! `testdata/eql/es-qa/known-failures-sequences.tsv` with its reason, and every listed case
//! must still fail (so the list cannot go stale); the counts are printed.

use std::collections::BTreeMap;

use vigil_conformance::eql_qa::{self, CATEGORY_FIELD};
use vigil_conformance::eql_run::{run_eql, RunEvent};
use vigil_engine::Ordinal;
use vigil_eql::ast::Query;
use vigil_eql::lower::LowerOptions;

/// The suites this test runs, with the cases each must have here.
const FILES: [&str; 6] =
    ["test_queries.toml", "additional_test_queries.toml", "test_extra.toml", "test_missing_events.toml", "test_sample.toml", "test_sample_multi.toml"];

/// Size of a response when the case gives none (the harness's request size).
const DEFAULT_SIZE: usize = 50;

fn known_failures() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(eql_qa::dir().join("known-failures-sequences.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (file, name, reason) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(""));
            assert!(!reason.trim().is_empty(), "known failure without a reason: {l}");
            ((file.to_string(), name.to_string()), reason.to_string())
        })
        .collect()
}

/// True when the statement is one this suite covers: a sequence, a sample, or piped.
fn stateful(query: &str) -> bool {
    let source = std::sync::Arc::from("case.eql");
    match vigil_eql::parse(&source, query) {
        Ok(s) => !matches!(s.query, Query::Event(_)) || !s.pipes.is_empty(),
        Err(_) => false,
    }
}

#[test]
fn elasticsearch_qa_sequence_sample_and_pipe_cases_pass_or_are_known_failures() {
    let known = known_failures();
    let (mut passed, mut failed, mut unexpected, mut total) = (0usize, Vec::new(), Vec::new(), 0usize);
    let mut per_file = BTreeMap::new();
    for file in FILES {
        let suite = eql_qa::suite(file);
        let datasets: Vec<eql_qa::Dataset> = suite.indices.iter().map(|i| eql_qa::dataset(i)).collect();
        // Every index's mapping, merged, with the fields the documents carry (see `eql_qa::schema`).
        let schema = eql_qa::schema(&datasets);
        let data: Vec<eql_qa::QaEvent> = datasets.into_iter().flat_map(|d| d.events).collect();
        let events: Vec<RunEvent> = data
            .iter()
            .map(|e| RunEvent { json: e.json.to_string(), ordinal: e.timestamp.map(|ts| Ordinal { ts, tie: e.tiebreaker.unwrap_or(e.id) as u64 }) })
            .collect();
        let (mut file_pass, mut file_total) = (0usize, 0usize);
        for case in eql_qa::cases(file) {
            if !stateful(&case.query) {
                continue;
            }
            total += 1;
            file_total += 1;
            let options =
                LowerOptions { category_field: CATEGORY_FIELD.into(), schema: schema.clone(), max_samples_per_key: case.max_samples_per_key.unwrap_or(1) };
            let outcome = match run_eql(&case.query, &options, &events) {
                Err(d) => Err(format!("not run: {}", d.message)),
                Ok(run) => {
                    let size = case.size.unwrap_or(DEFAULT_SIZE);
                    let results = &run.results[..run.results.len().min(size)];
                    let ids: Vec<i64> = results.iter().flat_map(|r| r.events.iter().map(|e| e.map_or(-1, |i| data[i].id))).collect();
                    let keys: Vec<String> = results.iter().flat_map(|r| r.key.iter().map(|k| k.clone().unwrap_or_else(|| "null".into()))).collect();
                    if !case.expected.contains(&ids) {
                        Err(format!("ids {ids:?}, expected {:?}", case.expected))
                    } else if case.join_keys.as_ref().is_some_and(|want| *want != keys) {
                        Err(format!("join keys {keys:?}, expected {:?}", case.join_keys))
                    } else {
                        Ok(())
                    }
                }
            };
            let listed = known.get(&(file.to_string(), case.name.clone()));
            match (outcome, listed) {
                (Ok(()), None) => {
                    passed += 1;
                    file_pass += 1;
                }
                (Ok(()), Some(_)) => unexpected.push(format!("{file} {}: passes but is listed as a known failure", case.name)),
                (Err(why), Some(_)) => failed.push(format!("{file} {}: {why}", case.name)),
                (Err(why), None) => unexpected.push(format!("{file} {}: {why}\n  {}", case.name, case.query.trim())),
            }
        }
        per_file.insert(file, (file_pass, file_total));
    }
    eprintln!("ES QA sequence/sample/pipe cases: {passed} of {total} pass, {} known failures", failed.len());
    for f in &failed {
        eprintln!("  known failure: {f}");
    }
    for (file, (p, t)) in &per_file {
        eprintln!("  {file}: {p} of {t}");
    }
    assert!(unexpected.is_empty(), "{} unexpected outcome(s):\n{}", unexpected.len(), unexpected.join("\n"));
    assert_eq!(failed.len(), known.len(), "every known failure is a case of these suites");
    assert_eq!((passed, total), (PASSED, TOTAL));
}

/// Cases of the six suites this test runs, and how many pass today.
const TOTAL: usize = 144;
const PASSED: usize = 144;
