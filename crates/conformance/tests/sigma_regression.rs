#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! SigmaHQ's regression data: every corpus rule with sample events must match them as the
//! suite states (at least `match_count` events, else at least one), reading the events in the
//! `evtx` crate's JSON layout through vigil's `evtx` pipeline. The locally derived
//! `xcheck_match_count` is compared too, and differences are listed in
//! `testdata/sigma-regression-differences.tsv` (a new difference fails the test).
//! Runs on the project's copy (`testdata/sigmahq`) always, and on the shared directory's
//! when it is there.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::{pipeline, read_expectations, sigma_data, SigmaData};
use vigil_engine::Scratch;
use vigil_events::{read_source, Input};
use vigil_sigma::{load_str, LoadOptions};

/// Runs every case of one copy; returns the cases run and passed, and the differences from
/// the cross-check.
fn run(data: &SigmaData) -> (usize, Vec<String>, BTreeMap<String, String>) {
    let cases = std::fs::read_to_string(data.regression.join("cases.tsv")).unwrap_or_else(|e| panic!("{}: cases.tsv: {e}", data.name));
    let evtx = pipeline("evtx");
    let mut failures = Vec::new();
    let mut differences: BTreeMap<String, String> = BTreeMap::new();
    let mut count = 0;
    for row in cases.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (rule_id, rule_path, expected, xcheck, json_path) = (cols[0], cols[1], cols[3], cols[5], cols[6]);
        count += 1;
        let text = std::fs::read_to_string(data.rules.join(rule_path)).unwrap_or_else(|e| panic!("{}: {rule_path}: {e}", data.name));
        let loaded = load_str(Arc::from(rule_path), &text, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{rule_path}: {:?}", loaded.errors);
        let (program, report) = vigil_conformance::compile_report(&loaded.rules, &evtx);
        assert!(report.refused.is_empty(), "{rule_path}: {:?}", report.refused);
        let mut view = program.new_view();
        let mut scratch = Scratch::default();
        let mut matched = 0usize;
        let mut events = 0usize;
        read_source(&Input::Path(data.regression.join(json_path)), &mut |chunk| {
            assert!(chunk.errors.is_empty(), "{json_path}: {:?}", chunk.errors);
            for span in &chunk.records {
                view.clear();
                vigil_events::extract(chunk.record(span), &program.fields, &mut view).unwrap();
                events += 1;
                let mut out = Vec::new();
                program.matches(&view, None, &mut scratch, &mut out);
                if out.iter().any(|&r| program.rules[r as usize].rule.meta.id.as_deref() == Some(rule_id)) {
                    matched += 1;
                }
            }
            true
        })
        .unwrap_or_else(|e| panic!("{}: {json_path}: {e:?}", data.name));
        assert!(events > 0, "{json_path}: no events");
        let needed: usize = expected.parse().unwrap_or(1);
        if matched < needed {
            failures.push(format!("{rule_path}: {matched} of {events} events match, suite needs {needed}"));
        }
        if let Ok(x) = xcheck.parse::<usize>() {
            if x != matched {
                differences.insert(rule_path.to_string(), format!("{matched}\t{x}"));
            }
        }
    }
    (count, failures, differences)
}

#[test]
fn regression_cases_match() {
    let expected = read_expectations("sigma-regression-differences.tsv", 2);
    for data in sigma_data() {
        let (count, failures, differences) = run(&data);
        assert_eq!(count, 202, "{}: the regression data changed", data.name);
        assert!(failures.is_empty(), "{}: {} of {count} regression cases fail:\n{}", data.name, failures.len(), failures.join("\n"));
        assert_eq!(differences, expected, "{}: matches differing from the cross-check changed", data.name);
    }
}
