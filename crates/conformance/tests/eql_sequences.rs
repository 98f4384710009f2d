#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elasticsearch's 25 sequence scenarios (`testdata/eql/es-unit/sequences.series-spec`, ELv2)
//! run end to end: each scenario becomes a `sequence by key` query with one stage per line,
//! its events JSON records fed through the compiled program and the sequencer, and the
//! sequences found must be exactly the expected ones, in the expected order.

use vigil_conformance::eql_run::{run_eql, RunEvent};
use vigil_conformance::root;
use vigil_engine::Ordinal;
use vigil_eql::lower::LowerOptions;

/// One scenario: per stage line, its events (key, name, number); the expected sequences as
/// lists of event names.
struct Scenario {
    name: String,
    stages: Vec<Vec<(Option<String>, String, i64)>>,
    expected: Vec<Vec<String>>,
}

fn parse_token(token: &str) -> (Option<String>, String, i64) {
    let (key, name) = match token.split_once('|') {
        Some((k, n)) => (Some(k.to_string()), n.to_string()),
        None => (None, token.to_string()),
    };
    let number: i64 = name.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse().unwrap_or_else(|_| panic!("no number in {token}"));
    (key, name, number)
}

fn scenarios(text: &str) -> Vec<Scenario> {
    let lines: Vec<&str> = text.lines().map(|l| l.split("//").next().unwrap().trim_end()).filter(|l| !l.trim().is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let name = lines[i].trim().to_string();
        i += 1;
        let mut stages = Vec::new();
        while lines[i].trim() != ";" {
            stages.push(lines[i].split_whitespace().map(parse_token).collect());
            i += 1;
        }
        i += 1;
        let mut expected = Vec::new();
        while lines[i].trim() != ";" {
            expected.push(lines[i].split_whitespace().map(|t| parse_token(t).1).collect());
            i += 1;
        }
        i += 1;
        out.push(Scenario { name, stages, expected });
    }
    out
}

#[test]
fn the_25_elasticsearch_sequence_scenarios_give_exactly_the_expected_sequences() {
    let text = std::fs::read_to_string(root().join("testdata/eql/es-unit/sequences.series-spec")).unwrap();
    let all = scenarios(&text);
    assert_eq!(all.len(), 25);
    let mut failures = Vec::new();
    for s in &all {
        let terms: Vec<String> = (0..s.stages.len()).map(|i| format!("[any where stage == {i}]")).collect();
        // `?key`: scenarios without keys join on the null key.
        let query = format!("sequence by ?key {}", terms.join(" "));
        // One event per token; events arrive in file order, not time order (the reorder
        // buffer puts them in order).
        let mut events = Vec::new();
        let mut names = Vec::new();
        for (stage, line) in s.stages.iter().enumerate() {
            for (key, name, number) in line {
                let key = key.as_ref().map(|k| format!(",\"key\":\"{k}\"")).unwrap_or_default();
                events.push(RunEvent {
                    json: format!("{{\"stage\":{stage},\"name\":\"{name}\"{key}}}"),
                    ordinal: Some(Ordinal { ts: *number, tie: *number as u64 }),
                });
                names.push(name.clone());
            }
        }
        let run = run_eql(&query, &LowerOptions::default(), &events).unwrap();
        assert!(run.sequence);
        let got: Vec<Vec<String>> = run.results.iter().map(|r| r.events.iter().map(|e| names[e.unwrap()].clone()).collect()).collect();
        if got != s.expected {
            failures.push(format!("{}: expected {:?}, got {:?}", s.name, s.expected, got));
        }
    }
    assert!(failures.is_empty(), "{} of 25 scenarios fail:\n{}", failures.len(), failures.join("\n"));
}

fn event(ts: i64, stage: u32, key: &str) -> RunEvent {
    RunEvent { json: format!("{{\"stage\":{stage},\"key\":\"{key}\"}}"), ordinal: Some(Ordinal { ts, tie: ts as u64 }) }
}

#[test]
fn join_keys_are_bounded_least_recently_fed_first_and_every_eviction_is_counted() {
    // 1,000 keys start a sequence; only 10 may be tracked: the 990 oldest are evicted, so
    // only the last 10 keys can complete.
    let query = "sequence by key [any where stage == 0] [any where stage == 1]";
    let mut events: Vec<RunEvent> = (0..1000).map(|i| event(i, 0, &format!("k{i}"))).collect();
    events.extend((0..1000).map(|i| event(2000 + i, 1, &format!("k{i}"))));
    let run = vigil_conformance::eql_run::run_eql_with(query, &LowerOptions::default(), &events, 64, 10).unwrap();
    assert_eq!(run.results.len(), 10);
    assert_eq!(run.results[0].key, [Some("k990".to_string())]);
    assert!(run.keys_at_end <= 10);
    assert_eq!(run.stats.evicted_keys, 990);
    // Without the bound, all 1,000 complete.
    assert_eq!(run_eql(query, &LowerOptions::default(), &events).unwrap().results.len(), 1000);
}

#[test]
fn maxspan_drops_sequences_and_idle_keys_are_swept() {
    let query = "sequence by key with maxspan=10ms [any where stage == 0] [any where stage == 1]";
    // k0 completes within 10 ms, k1 does not; 200 later keys sweep the idle ones.
    let mut events = vec![event(0, 0, "k0"), event(1, 0, "k1"), event(5, 1, "k0"), event(20, 1, "k1")];
    events.extend((0..200).map(|i| event(100 + i, 0, &format!("x{i}"))));
    let run = run_eql(query, &LowerOptions::default(), &events).unwrap();
    assert_eq!(run.results.iter().map(|r| r.key.clone()).collect::<Vec<_>>(), [vec![Some("k0".to_string())]]);
    assert_eq!(run.stats.maxspan, 1);
    // Keys idle for more than 10 ms are swept while events arrive: far fewer than 202 remain.
    assert!(run.keys_at_end < 20, "{} keys tracked at the end", run.keys_at_end);
}
