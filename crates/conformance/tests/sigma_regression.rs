#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! SigmaHQ's regression data: every corpus rule with sample events must match them as the
//! suite states (at least `match_count` events, else at least one), reading the events in the
//! `evtx` crate's JSON layout through vigil's `evtx` pipeline, and the same records read
//! natively from the suite's `.evtx` files (which must give the same events and matches). The locally derived
//! `xcheck_match_count` is compared too, and differences are listed in
//! `testdata/sigma-regression-differences.tsv` (a new difference fails the test).
//! Runs on the project's copy (`testdata/sigmahq`) always, and on the shared directory's
//! when it is there.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::path::Path;

use vigil_conformance::{pipeline, read_expectations, read_records, sigma_data, SigmaData};
use vigil_engine::{Program, Scratch};
use vigil_sigma::{load_str, LoadOptions};

/// Events in `path` (JSON or EVTX) and how many of them rule `rule_id` matches.
fn count(program: &Program, rule_id: &str, path: &Path) -> (usize, usize) {
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    let (mut matched, mut events) = (0usize, 0usize);
    let bad = read_records(path, &mut |record, _| {
        view.clear();
        vigil_events::extract(record, &program.fields, &mut view).unwrap();
        events += 1;
        let mut out = Vec::new();
        program.matches(&view, None, &mut scratch, &mut out);
        if out.iter().any(|&r| program.rules[r as usize].rule.meta.id.as_deref() == Some(rule_id)) {
            matched += 1;
        }
    })
    .unwrap();
    assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    (matched, events)
}

/// Runs every case of one copy; returns the cases run (as JSON, as EVTX) and passed, and the
/// differences from the cross-check.
fn run(data: &SigmaData) -> (usize, usize, Vec<String>, BTreeMap<String, String>) {
    let cases = std::fs::read_to_string(data.regression.join("cases.tsv")).unwrap_or_else(|e| panic!("{}: cases.tsv: {e}", data.name));
    let evtx = pipeline("evtx");
    let mut failures = Vec::new();
    let mut differences: BTreeMap<String, String> = BTreeMap::new();
    let mut cases_run = 0;
    let mut evtx_cases = 0;
    for row in cases.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (rule_id, rule_path, expected, xcheck, json_path) = (cols[0], cols[1], cols[3], cols[5], cols[6]);
        cases_run += 1;
        let text = std::fs::read_to_string(data.rules.join(rule_path)).unwrap_or_else(|e| panic!("{}: {rule_path}: {e}", data.name));
        let loaded = load_str(Arc::from(rule_path), &text, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{rule_path}: {:?}", loaded.errors);
        let (program, report) = vigil_conformance::compile_report(&loaded.rules, &evtx);
        assert!(report.refused.is_empty(), "{rule_path}: {:?}", report.refused);
        let (matched, events) = count(&program, rule_id, &data.regression.join(json_path));
        // The same records read natively from the EVTX file, where the copy has it: the
        // same events, the same matches.
        let evtx = data.regression.join(cols[2]);
        if evtx.is_file() {
            evtx_cases += 1;
            let native = count(&program, rule_id, &evtx);
            assert_eq!(native, (matched, events), "{}: {}: (matched, events) read as EVTX differ from its JSON", data.name, cols[2]);
        }
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
    (cases_run, evtx_cases, failures, differences)
}

/// Regression cases whose `.evtx` file the project keeps.
const EVTX_IN_TESTDATA: usize = 21;

#[test]
fn regression_cases_match() {
    let expected = read_expectations("sigma-regression-differences.tsv", 2);
    for data in sigma_data() {
        let (count, evtx, failures, differences) = run(&data);
        assert_eq!(count, 202, "{}: the regression data changed", data.name);
        // The project keeps a sample of the `.evtx` files (see testdata/sigmahq/README.md);
        // the shared copy has them all.
        let evtx_expected = if data.name == "testdata/sigmahq" { EVTX_IN_TESTDATA } else { 202 };
        assert_eq!(evtx, evtx_expected, "{}: cases read natively as EVTX", data.name);
        assert!(failures.is_empty(), "{}: {} of {count} regression cases fail:\n{}", data.name, failures.len(), failures.join("\n"));
        assert_eq!(differences, expected, "{}: matches differing from the cross-check changed", data.name);
    }
}
