#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The vendored Elasticsearch EQL QA data loads as the harness reads it: every index with
//! its document count, derived timestamps and ids, every suite with its case count; and it
//! is the same as the shared conformance copy when that is present.

use vigil_conformance::eql_qa::{self, INDICES, SUITES};

#[test]
fn every_index_loads_with_ids_timestamps_and_a_strict_json_mapping() {
    for index in INDICES {
        let data = eql_qa::dataset(index.name);
        assert_eq!(data.events.len(), index.documents);
        let mapping: serde_json::Value = serde_json::from_str(&data.mapping).unwrap_or_else(|e| panic!("{}: {e}", index.name));
        assert!(mapping["properties"].is_object(), "{}", index.name);
        let mut ids: Vec<i64> = data.events.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        // missing-events reuses its ids across scenarios (the suites tell them apart by category and tag).
        let distinct = if index.name == "missing-events" { 18 } else { index.documents };
        assert_eq!(ids.len(), distinct, "{}: distinct ids", index.name);
        if index.tiebreaker.is_some() {
            assert!(data.events.iter().all(|e| e.timestamp.is_some() && e.tiebreaker.is_some()), "{}", index.name);
        }
    }
}

#[test]
fn endgame_timestamps_are_filetime_converted_to_epoch_milliseconds() {
    let data = eql_qa::dataset("endgame-140");
    let first = &data.events[0];
    // FILETIME 116444736000000000 is the Unix epoch.
    assert_eq!((first.id, first.timestamp), (1, Some(0)));
    let e97 = data.events.iter().find(|e| e.id == 97).unwrap();
    // test_queries_date.toml: `@timestamp == 1516116808349` matches event 97.
    assert_eq!(e97.timestamp, Some(1_516_116_808_349));
    assert_eq!(e97.json["@timestamp"], 1_516_116_808_349_i64);
}

#[test]
fn every_suite_parses_with_its_case_count_and_list_of_lists_answers() {
    let mut total = 0;
    for suite in SUITES {
        let cases = eql_qa::cases(suite.file);
        total += cases.len();
        assert!(cases.iter().all(|c| !c.query.trim().is_empty() && !c.expected.is_empty()), "{}", suite.file);
        for index in suite.indices {
            eql_qa::index(index);
        }
    }
    assert_eq!(total, 298);
    let extra = eql_qa::cases("test_extra.toml");
    let bare =
        extra.iter().find(|c| c.join_keys.as_deref() == Some(&["tag1".to_string(), "null".to_string()][..])).expect("bare null join key read as \"null\"");
    assert!(bare.query.contains("sample") || bare.query.contains("sequence"), "{}", bare.query);
    let sample = eql_qa::cases("test_sample.toml");
    assert!(sample.iter().any(|c| c.size == Some(2)));
    assert!(eql_qa::cases("test_sample_multi.toml").iter().any(|c| c.max_samples_per_key == Some(1)));
    let all: Vec<_> = SUITES.iter().flat_map(|s| eql_qa::cases(s.file)).collect();
    assert!(all.iter().any(|c| c.expected.len() > 1), "some case accepts several answers");
}

#[test]
fn the_parser_quotes_only_bare_nulls_in_join_keys() {
    let text =
        "[[queries]]\nname = \"n\"\nquery = 'any where x == null'\nexpected_event_ids = [[1, 2], [3]]\njoin_keys = [null, \"null\", \"a null b\",\n  null]\n";
    let cases = eql_qa::parse_cases("t.toml", text).unwrap();
    assert_eq!(cases[0].query, "any where x == null");
    assert_eq!(cases[0].expected, vec![vec![1, 2], vec![3]]);
    assert_eq!(cases[0].join_keys.as_deref().unwrap(), ["null", "null", "a null b", "null"]);
}

#[test]
fn the_vendored_copy_equals_the_shared_conformance_data() {
    let shared = vigil_conformance::shared().join("conformance");
    if !shared.join("eql-es").is_dir() {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but has no conformance/eql-es");
        return;
    }
    let mut compared = 0;
    for suite in SUITES {
        assert_eq!(std::fs::read(eql_qa::dir().join(suite.file)).unwrap(), std::fs::read(shared.join("eql-es/qa").join(suite.file)).unwrap(), "{}", suite.file);
        compared += 1;
    }
    for index in INDICES {
        let theirs = if index.name == "endgame-140" { shared.join("eql/test_data.json") } else { shared.join("eql-es/qa/data").join(index.data) };
        assert_eq!(std::fs::read(eql_qa::dir().join("data").join(index.data)).unwrap(), std::fs::read(theirs).unwrap(), "{}", index.data);
        compared += 1;
    }
    assert_eq!(compared, 14);
}
