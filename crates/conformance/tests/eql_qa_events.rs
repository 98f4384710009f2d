#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elasticsearch's EQL QA suites, event queries: every case of `test_queries.toml`,
//! `additional_test_queries.toml`, `test_queries_date.toml` and `test_extra.toml` whose
//! query is an event query without pipes is lowered with the index's mapping as schema and
//! run through the compiled program over the index's documents (vendored in
//! `testdata/eql/es-qa`), results in Elasticsearch's order (`@timestamp`, then the
//! tiebreaker). Sequences, samples and `head`/`tail` cases belong to the sequence/sample
//! engine and are skipped by construct, counted. A case that does not give exactly the
//! expected events must be listed in `testdata/eql/es-qa-known-failures.tsv` with its
//! reason, and a listed case that passes fails the test (the list stays true).

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::eql_qa::{self, CATEGORY_FIELD};
use vigil_conformance::{compile_report, pipeline};
use vigil_eql::ast::Query;
use vigil_eql::lower::{lower_event_query, LowerOptions};
use vigil_ir::{LogSource, Rule, RuleBody, RuleMeta};

/// The suites with event queries, and how many of their cases are skipped by construct
/// (sequence, sample, pipes).
const SUITES: [(&str, usize); 4] = [("test_queries.toml", 45), ("additional_test_queries.toml", 6), ("test_queries_date.toml", 0), ("test_extra.toml", 34)];

#[derive(Default)]
struct Tally {
    pass: Vec<String>,
    fail: BTreeMap<String, String>,
    skipped: usize,
    /// Cases whose lowered query holds a computed expression.
    computed: usize,
}

fn run_suite(file: &'static str, tally: &mut Tally) -> usize {
    let suite = eql_qa::suite(file);
    let datasets: Vec<_> = suite.indices.iter().map(|i| eql_qa::dataset(i)).collect();
    assert_eq!(datasets.len(), 1, "{file}: event-query suites run on one index");
    let data = &datasets[0];
    let schema = eql_qa::schema(&datasets);
    // The harness's `event_category_field` is `event.category`; every QA mapping aliases it.
    assert_eq!(schema.resolve("event.category"), CATEGORY_FIELD);
    let options = LowerOptions { schema, ..LowerOptions::default() };
    let mut events: Vec<&eql_qa::QaEvent> = data.events.iter().collect();
    // Elasticsearch's order: timestamp, then tiebreaker (events without one last).
    events.sort_by_key(|e| (e.timestamp, e.tiebreaker.is_none(), e.tiebreaker));
    let texts: Vec<String> = events.iter().map(|e| e.json.to_string()).collect();
    let mut skipped = 0;
    for case in eql_qa::cases(file) {
        let key = format!("{file}\t{}", case.name);
        let source: vigil_ir::SourceId = Arc::from(format!("{file}:{}", case.name).as_str());
        let statement = match vigil_eql::parse_checked(&source, &case.query) {
            Ok(s) => s,
            Err(d) => {
                tally.fail.insert(key, format!("parse: {}", d.message));
                continue;
            }
        };
        if !matches!(statement.query, Query::Event(_)) || !statement.pipes.is_empty() {
            skipped += 1;
            continue;
        }
        let expr = match lower_event_query(&source, &statement, &options) {
            Ok(e) => e,
            Err(d) => {
                tally.fail.insert(key, format!("refused: {} {}", d.code, d.message));
                continue;
            }
        };
        let mut has_compute = false;
        let mut stack = vec![&expr];
        while let Some(x) = stack.pop() {
            match x {
                vigil_ir::Expr::Compute { .. } => has_compute = true,
                vigil_ir::Expr::And(items) | vigil_ir::Expr::Or(items) => stack.extend(items),
                vigil_ir::Expr::Not(inner) | vigil_ir::Expr::Named { expr: inner, .. } => stack.push(inner),
                vigil_ir::Expr::Pred(_) | vigil_ir::Expr::Const(_) => {}
            }
        }
        tally.computed += usize::from(has_compute);
        let rule = Rule {
            meta: RuleMeta { title: case.name.clone(), ..RuleMeta::default() },
            logsource: LogSource::default(),
            body: RuleBody::Detection(expr),
            source: source.clone(),
            span: statement.span.0,
            warnings: Vec::new(),
        };
        let (program, report) = compile_report(&[rule], &pipeline("none"));
        if let Some(d) = report.refused.first() {
            tally.fail.insert(key, format!("compile: {}", d.message));
            continue;
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let hits = vigil_conformance::matches(&program, &refs);
        let mut got: Vec<i64> = hits.iter().zip(&events).filter(|(m, _)| !m.is_empty()).map(|(_, e)| e.id).collect();
        if let Some(size) = case.size {
            got.truncate(size);
        }
        if case.expected.contains(&got) {
            tally.pass.push(key);
        } else {
            tally.fail.insert(key, format!("{}\n    expected {:?}\n    got      {got:?}", case.query.trim(), case.expected));
        }
    }
    tally.skipped += skipped;
    skipped
}

#[test]
fn elasticsearch_qa_event_queries_give_exactly_the_expected_events_in_order() {
    let mut tally = Tally::default();
    let skips: Vec<(&str, usize)> = SUITES.iter().map(|(file, _)| (*file, run_suite(file, &mut tally))).collect();
    assert_eq!(skips, SUITES, "cases skipped by construct (sequence, sample, pipes)");
    for (k, why) in &tally.fail {
        eprintln!("FAIL {k}: {why}");
    }
    let known = vigil_conformance::eql_qa::known_failures("eql/es-qa-known-failures.tsv");
    let unexpected: Vec<String> = tally.fail.iter().filter(|(k, _)| !known.contains_key(*k)).map(|(k, why)| format!("{k}: {why}")).collect();
    let fixed: Vec<&String> = known.keys().filter(|k| !tally.fail.contains_key(*k)).collect();
    eprintln!(
        "ES QA event queries: {} pass ({} with a computed expression), {} fail ({} known), {} skipped (sequence/sample/pipes)",
        tally.pass.len(),
        tally.computed,
        tally.fail.len(),
        known.len(),
        tally.skipped
    );
    assert!(unexpected.is_empty(), "failures not in es-qa-known-failures.tsv:\n{}", unexpected.join("\n"));
    assert!(fixed.is_empty(), "listed as known failures but passing (remove them): {fixed:?}");
    assert_eq!((tally.pass.len(), tally.computed), (PASSED, COMPUTED));
}

/// Event-query cases that give exactly Elasticsearch's answer.
const PASSED: usize = 153;
/// Of the lowered cases, those that hold a computed expression (functions, arithmetic, dates).
const COMPUTED: usize = 92;
