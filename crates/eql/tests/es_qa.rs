#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elasticsearch's own EQL QA expectations (`qa/test_queries.toml`,
//! `qa/additional_test_queries.toml`) for the event queries vigil lowers today, run over the
//! Endgame dataset with the harness parameters of the conformance README (category field
//! `event_type`, ids `serial_event_id`). The dataset is AGPL and stays out of the project,
//! so this suite runs only where the shared data is (`$VIGIL_SHARED` or `../shared`).

use std::sync::Arc;

use vigil_conformance::{compile, matches, pipeline, shared};
use vigil_eql::lower::{lower_rule, LowerOptions};

#[test]
fn elasticsearch_qa_event_queries_that_lower_give_the_expected_events() {
    let dir = shared().join("conformance");
    let data = dir.join("eql/test_data.json");
    if !data.is_file() {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", data.display());
        eprintln!("skipped: {} is not here", data.display());
        return;
    }
    let events: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
    assert_eq!(events.len(), 102);
    let texts: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let options = LowerOptions { category_field: "event_type".into(), ..LowerOptions::default() };

    let (mut passed, mut not_lowered, mut failed) = (Vec::new(), 0, Vec::new());
    for file in ["test_queries.toml", "additional_test_queries.toml"] {
        let spec: toml::Table = std::fs::read_to_string(dir.join("eql-es/qa").join(file)).unwrap().parse().unwrap();
        for case in spec["queries"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let query = case["query"].as_str().unwrap();
            let expected: Vec<i64> = case["expected_event_ids"].as_array().unwrap().iter().map(|v| v.as_integer().unwrap()).collect();
            // Sequences and piped queries run through the sequence engine (another suite).
            let Some(rule) = lower_rule(&Arc::from(name), name, query, &options).ok().filter(|r| r.sequence().is_none()) else {
                not_lowered += 1;
                continue;
            };
            let program = compile(&[rule], &pipeline("none"));
            let mut got: Vec<i64> =
                matches(&program, &texts).iter().zip(&events).filter(|(m, _)| !m.is_empty()).map(|(_, e)| e["serial_event_id"].as_i64().unwrap()).collect();
            got.sort_unstable();
            let mut want = expected.clone();
            want.sort_unstable();
            if got == want {
                passed.push(name.to_string());
            } else {
                failed.push(format!("{file} {name}: {query}\n  expected {want:?}\n  got      {got:?}"));
            }
        }
    }
    eprintln!("ES QA event queries: {} pass, {} fail, {} not lowered yet", passed.len(), failed.len(), not_lowered);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert_eq!((passed.len(), not_lowered), (PASSED, 194 - PASSED));
}

/// ES QA event queries vigil lowers today; every one of them gives exactly the expected events.
const PASSED: usize = 40;
