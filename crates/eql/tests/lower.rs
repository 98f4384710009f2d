#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! EQL event queries lowered into the IR and run by the engine beside nothing else: each
//! case checks Elasticsearch's meaning on events that separate it from the near misses
//! (case, wildcards, backslashes, multi-valued fields, missing fields), and every construct
//! the IR cannot express yet is refused by name.

use std::sync::Arc;

use vigil_conformance::{compile, matches, pipeline, root};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_ir::SourceId;

fn source() -> SourceId {
    Arc::from("test.eql")
}

/// For each event, whether the query matches it.
fn run(query: &str, events: &[&str]) -> Vec<bool> {
    let rule = lower_rule(&source(), "q", query, &LowerOptions::default()).unwrap_or_else(|d| panic!("{}", d.render(Some(query))));
    let program = compile(&[rule], &pipeline("none"));
    matches(&program, events).into_iter().map(|m| !m.is_empty()).collect()
}

#[test]
fn category_is_an_exact_case_sensitive_test_of_event_category_on_any_element() {
    let events = [
        r#"{"event":{"category":"process"},"process":{"name":"cmd.exe"}}"#,
        r#"{"event":{"category":["network","process"]},"process":{"name":"cmd.exe"}}"#,
        r#"{"event":{"category":"Process"},"process":{"name":"cmd.exe"}}"#,
        r#"{"event":{"category":"file"},"process":{"name":"cmd.exe"}}"#,
        r#"{"process":{"name":"cmd.exe"}}"#,
    ];
    assert_eq!(run("process where process.name == \"cmd.exe\"", &events), [true, true, false, false, false]);
    assert_eq!(run("any where process.name == \"cmd.exe\"", &events), [true; 5]);
}

#[test]
fn double_equals_is_case_sensitive_and_has_no_wildcards() {
    let ev = |v: &str| format!(r#"{{"a":"{v}"}}"#);
    let events = [ev("x*"), ev("xy"), ev("X*")];
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    assert_eq!(run("any where a == \"x*\"", &events), [true, false, false]);
    assert_eq!(run("any where \"x*\" == a", &events), [true, false, false]);
}

#[test]
fn colon_is_case_insensitive_with_anchored_wildcards_and_a_literal_backslash() {
    let ev = |v: &str| format!(r#"{{"p":"{v}"}}"#);
    let events = [ev("CMD.exe"), ev("cmd.exe"), ev("cmd.exe2"), ev("cd.exe"), ev("cXd.exe")];
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    assert_eq!(run("any where p : \"c*d.EXE\"", &events), [true, true, false, true, true]);
    assert_eq!(run("any where p : \"c?d.exe\"", &events), [true, true, false, false, true]);
    assert_eq!(run("any where p like \"c?d.exe\"", &events), [false, true, false, false, true]);
    assert_eq!(run("any where p like~ (\"nothing\", \"C?D.EXE\")", &events), [true, true, false, false, true]);
    // `"C:\\Windows\\*"` is the value `C:\Windows\*`: a prefix, the backslash literal.
    let paths = [r#"{"p":"c:\\windows\\system32"}"#, r#"{"p":"c:\\windowsx"}"#, r#"{"p":"c:\\windows*"}"#];
    assert_eq!(run(r#"any where p : "C:\\Windows\\*""#, &paths), [true, false, false]);
}

#[test]
fn multi_valued_fields_match_when_any_element_matches() {
    let events = [r#"{"process":{"args":["cmd","/c","WHOAMI"]}}"#, r#"{"process":{"args":["cmd","/c","id"]}}"#];
    assert_eq!(run("any where process.args : \"whoami\"", &events), [true, false]);
    assert_eq!(run("any where process.args == \"whoami\"", &events), [false, false]);
}

#[test]
fn in_lists_strings_numbers_and_case() {
    let events = [r#"{"a":"A","port":443}"#, r#"{"a":"a","port":8080}"#, r#"{"port":"80"}"#];
    assert_eq!(run("any where a in (\"A\", \"b\")", &events), [true, false, false]);
    assert_eq!(run("any where a in~ (\"A\", \"b\")", &events), [true, true, false]);
    assert_eq!(run("any where port in (80, 443)", &events), [true, false, true]);
    assert_eq!(run("any where port not in (80, 443)", &events), [false, true, false]);
}

#[test]
fn negations_hold_for_events_without_the_field() {
    let events = [r#"{"a":"x"}"#, r#"{"a":"y"}"#, r#"{"b":1}"#, r#"{"a":null}"#];
    assert_eq!(run("any where a != \"x\"", &events), [false, true, true, true]);
    assert_eq!(run("any where not a : \"x\"", &events), [false, true, true, true]);
    assert_eq!(run("any where a == null", &events), [false, false, true, true]);
    assert_eq!(run("any where a != null", &events), [true, true, false, false]);
}

#[test]
fn numeric_comparisons_either_way_round() {
    let events = [r#"{"pid":4}"#, r#"{"pid":5}"#, r#"{"pid":"5"}"#, r#"{"pid":"five"}"#];
    assert_eq!(run("any where pid > 4", &events), [false, true, true, false]);
    assert_eq!(run("any where 4 < pid", &events), [false, true, true, false]);
    assert_eq!(run("any where pid <= 4.5 or pid == 5 and false", &events), [true, false, false, false]);
    assert_eq!(run("any where pid != 4", &events), [false, true, true, true]);
}

#[test]
fn cidr_match_tests_ip_values_and_negates_like_a_field_test() {
    let events = [r#"{"ip":"10.1.2.3"}"#, r#"{"ip":"192.168.0.1"}"#, r#"{"ip":["8.8.8.8","172.16.5.4"]}"#, r#"{"ip":"::1"}"#, r#"{"other":1}"#];
    assert_eq!(run("any where cidrMatch(ip, \"10.0.0.0/8\", \"172.16.0.0/12\", \"::1\")", &events), [true, false, true, true, false]);
    assert_eq!(run("any where not cidrmatch(ip, \"10.0.0.0/8\")", &events), [false, true, true, true, true]);
    let d = lower_rule(&source(), "q", "any where cidrMatch(ip, \"10.0.0.0/33\")", &LowerOptions::default()).unwrap_err();
    assert_eq!((d.code, d.span.col), ("eql::function", 25));
}

#[test]
fn constructs_the_ir_cannot_express_are_refused_by_name() {
    for (query, named) in [
        ("any where a regex \"x.*\"", "`regex`"),
        ("any where startsWith(a, \"x\")", "`startsWith`"),
        ("any where cidrMatch(a, b)", "network that is not a string"),
        ("any where a + 1 == 2", "a comparison of something other than a field"),
        ("any where -a == 2", "a comparison of something other than a field"),
        ("any where a == b", "two fields"),
        ("any where a < \"m\"", "ordering comparison of strings"),
        ("any where a == 9007199254740993", "beyond ±2^53"),
        ("any where a", "a field as a condition"),
        ("any where a : 4", "not a string"),
        ("any where a in (b)", "`in` list entry"),
        ("sequence [a where true] by length(x) [b where true] by y", "join key that is not a field"),
        ("sequence [a where b regex \"x\"] [b where true]", "`regex`"),
    ] {
        let d = lower_rule(&source(), "q", query, &LowerOptions::default()).unwrap_err();
        assert_eq!(d.code, "eql::not-lowered", "{query}: {d}");
        assert!(d.message.contains(named), "{query}: {}", d.message);
        assert!(d.span.end <= query.len() && d.hint.is_some());
    }
}

#[test]
fn the_seed_queries_lower_and_run() {
    let dir = root().join("testdata/eql/seeds");
    let text = std::fs::read_to_string(dir.join("root_ca_registry.eql")).unwrap();
    let hit = r#"{"event":{"category":"registry","type":"change"},"registry":{"path":"HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\AB12"},"process":{"name":"evil.exe"}}"#;
    let benign = r#"{"event":{"category":"registry","type":"change"},"registry":{"path":"HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\AB12"},"process":{"name":"SVCHOST.EXE"}}"#;
    let deletion = r#"{"event":{"category":"registry","type":"deletion"},"registry":{"path":"HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\AB12"},"process":{"name":"evil.exe"}}"#;
    assert_eq!(run(&text, &[hit, benign, deletion]), [true, false, false]);
    for name in ["t1608_003.eql", "t1587_003.eql"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        lower_rule(&source(), name, &text, &LowerOptions::default()).unwrap();
    }
    let curl = r#"{"process":{"name":"curl","command_line":"curl http://x/a.EXE"}}"#;
    let text = std::fs::read_to_string(dir.join("t1608_003.eql")).unwrap();
    assert_eq!(run(&text, &[curl, r#"{"process":{"name":"curl","command_line":"curl http://x/"}}"#]), [true, false]);
}

#[test]
fn how_many_elastic_rules_lower_today() {
    let text = std::fs::read_to_string(root().join("testdata/eql/elastic-rules.jsonl")).unwrap();
    let mut lowered = Vec::new();
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (file, query) = (v["file"].as_str().unwrap(), v["query"].as_str().unwrap());
        match lower_rule(&Arc::from(file), file, query, &LowerOptions::default()) {
            Ok(rule) => lowered.push(rule),
            Err(d) => {
                assert_eq!(d.code, "eql::not-lowered", "{file}: {d}");
                let what = d.message.split(" cannot be lowered").next().unwrap_or("").to_string();
                *refused.entry(what).or_default() += 1;
            }
        }
    }
    // Every lowered rule compiles into one program with the rest.
    let program = compile(&lowered, &pipeline("none"));
    // Detections are one program rule each; a sequence one hidden rule per stage.
    let expected: usize = lowered.iter().map(|r| r.sequence().map_or(1, |s| s.all_stages().count())).sum();
    assert_eq!(program.rules.len(), expected);
    let sequences = lowered.iter().filter(|r| r.sequence().is_some()).count();
    assert_eq!(program.sequences.specs.len(), sequences);
    assert_eq!(sequences, LOWERED_SEQUENCES);
    let total: usize = refused.values().sum();
    eprintln!("lowered {} of 1081; refused: {refused:#?}", lowered.len());
    assert_eq!((lowered.len(), total), (LOWERED, 1081 - LOWERED));
}

/// Elastic rules lowered today (event queries and sequences whose every construct the IR
/// expresses).
const LOWERED: usize = 985;
/// Of which sequences and samples.
const LOWERED_SEQUENCES: usize = 208;
