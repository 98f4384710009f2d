#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The Endgame EQL suite (`test_queries.toml` of endgameinc/eql, in
//! `../shared/conformance/eql`) run through vigil, which follows Elasticsearch's semantics.
//! The suite's queries and answers are AGPL and are not copied into the project: this test
//! reads them from the shared data and is shared-gated as the project's other shared-only
//! suites are: without `../shared` (or `$VIGIL_SHARED`) it prints that it did not run and
//! asserts nothing; with `$VIGIL_SHARED` set the data must be there. The documents are the
//! ELv2 copy vendored in `testdata/eql/es-qa/data/test_data.json` (identical to the Endgame
//! file, checked by `eql_qa_data.rs`), with Elasticsearch's harness parameters (category
//! field `event_type`, event order `@timestamp` then `serial_event_id`, the `endgame-140`
//! mapping).
//!
//! A case passes when vigil gives exactly its expected event ids (sequences flattened).
//! Every other case is listed in `testdata/eql/endgame-classified.tsv` by its position in
//! the file, as `endgame-only` (it holds only under Endgame's semantics or syntax, which
//! Elasticsearch does not have either: case-insensitive `==` with wildcards, `=`, single
//! quotes, Endgame pipes, `join`, lineage, array indexes, …) or `failing` (a vigil gap),
//! each with its reason. A listed case that passes fails the test, and the counts are
//! pinned, so the list stays true.

use std::collections::BTreeMap;

use vigil_conformance::endgame::respell;
use vigil_conformance::eql_qa::{self, CATEGORY_FIELD};
use vigil_conformance::eql_run::{run_eql, RunEvent};
use vigil_engine::Ordinal;
use vigil_eql::lower::LowerOptions;

/// One `[[queries]]` entry of the Endgame file.
struct EndgameCase {
    /// 1-based position in the file.
    number: usize,
    query: String,
    expected: Vec<i64>,
    /// `case_sensitive = true` / `case_insensitive = true` (neither: both modes).
    sensitive: bool,
    insensitive: bool,
}

fn endgame_cases(text: &str) -> Vec<EndgameCase> {
    let table: toml::Table = text.parse().unwrap();
    let queries = table["queries"].as_array().unwrap();
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| EndgameCase {
            number: i + 1,
            query: q["query"].as_str().unwrap().to_string(),
            expected: q["expected_event_ids"].as_array().unwrap().iter().map(|v| v.as_integer().unwrap()).collect(),
            sensitive: q.get("case_sensitive").and_then(toml::Value::as_bool).unwrap_or(false),
            insensitive: q.get("case_insensitive").and_then(toml::Value::as_bool).unwrap_or(false),
        })
        .collect()
}

/// The classification file: case number → (class, reason).
fn classified() -> BTreeMap<usize, (String, String)> {
    let text = std::fs::read_to_string(vigil_conformance::root().join("testdata/eql/endgame-classified.tsv")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut parts = line.splitn(3, '\t');
        let (number, class, reason) = (parts.next().unwrap(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        assert!(matches!(class, "endgame-only" | "failing"), "unknown class in: {line}");
        assert!(!reason.trim().is_empty(), "a classified case without a reason: {line}");
        assert!(out.insert(number.parse::<usize>().unwrap(), (class.to_string(), reason.to_string())).is_none(), "listed twice: {line}");
    }
    out
}

/// What vigil gives for one case: `Ok` when it is the expected answer.
fn outcome(case: &EndgameCase, options: &LowerOptions, events: &[RunEvent], ids: &[i64]) -> Result<(), String> {
    let run = run_eql(&case.query, options, events).map_err(|d| format!("{}: {}", d.code, d.message))?;
    let got: Vec<i64> = run.results.iter().flat_map(|r| r.events.iter().map(|e| e.map_or(-1, |i| ids[i]))).collect();
    if got == case.expected {
        Ok(())
    } else {
        Err(format!("ids {got:?}, expected {:?}", case.expected))
    }
}

#[test]
fn endgame_queries_pass_or_are_classified_as_endgame_only_or_failing() {
    let file = vigil_conformance::shared().join("conformance/eql/test_queries.toml");
    if !file.is_file() {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", file.display());
        eprintln!("eql_endgame: DID NOT RUN: the Endgame suite (AGPL) is read from ../shared only, and {} is absent", file.display());
        return;
    }
    let cases = endgame_cases(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(cases.len(), CASES);
    assert_eq!((cases.iter().filter(|c| c.sensitive).count(), cases.iter().filter(|c| c.insensitive).count()), (11, 47));
    let data = eql_qa::dataset("endgame-140");
    let schema = eql_qa::schema(std::slice::from_ref(&data));
    let options = LowerOptions { category_field: CATEGORY_FIELD.into(), schema, max_samples_per_key: 1 };
    let events: Vec<RunEvent> = data
        .events
        .iter()
        .map(|e| RunEvent { json: e.json.to_string(), ordinal: e.timestamp.map(|ts| Ordinal { ts, tie: e.tiebreaker.unwrap_or(e.id) as u64 }) })
        .collect();
    let ids: Vec<i64> = data.events.iter().map(|e| e.id).collect();
    let listed = classified();
    let dump = std::env::var_os("VIGIL_ENDGAME_DUMP").is_some();
    let (mut passed, mut respelled, mut endgame_only, mut failing, mut wrong) = (0usize, 0usize, 0usize, 0usize, Vec::new());
    for case in &cases {
        let mut result = outcome(case, &options, &events, &ids);
        let mut was_respelled = false;
        if result.is_err() {
            if let Some(query) = respell(&case.query) {
                let respelled = EndgameCase { query, expected: case.expected.clone(), ..*case };
                result = outcome(&respelled, &options, &events, &ids).map_err(|why| format!("respelled: {why}"));
                was_respelled = true;
            }
        }
        if dump {
            let mode = if case.sensitive {
                "cs"
            } else if case.insensitive {
                "ci"
            } else {
                "both"
            };
            eprintln!("#{} [{mode}] {:?}\n  => {result:?}", case.number, case.query.trim());
        }
        match (result, listed.get(&case.number)) {
            (Ok(()), None) if was_respelled => respelled += 1,
            (Ok(()), None) => passed += 1,
            (Ok(()), Some((class, _))) => wrong.push(format!("case {} passes but is listed as {class}", case.number)),
            (Err(_), Some((class, _))) if class == "endgame-only" => endgame_only += 1,
            (Err(_), Some(_)) => failing += 1,
            (Err(why), None) => wrong.push(format!("case {} fails and is not classified: {why}\n  {}", case.number, case.query.trim())),
        }
    }
    eprintln!(
        "Endgame EQL suite: {} cases: {passed} pass as written, {respelled} pass with Endgame-only spellings respelled, {endgame_only} Endgame-only, {failing} failing",
        cases.len()
    );
    assert!(wrong.is_empty(), "{} case(s) not as listed:\n{}", wrong.len(), wrong.join("\n"));
    assert!(listed.keys().all(|n| *n >= 1 && *n <= cases.len()), "a classified case number is not in the file");
    assert_eq!((passed, respelled, endgame_only, failing), (PASSED, RESPELLED, ENDGAME_ONLY, FAILING));
}

/// Cases of the Endgame file (endgameinc/eql `etc/test_queries.toml` at `4f3d739`).
const CASES: usize = 241;
const PASSED: usize = 75;
const RESPELLED: usize = 40;
const ENDGAME_ONLY: usize = 126;
const FAILING: usize = 0;
