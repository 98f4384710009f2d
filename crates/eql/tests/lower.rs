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
fn what_elasticsearch_or_the_ir_cannot_run_is_refused_by_name() {
    for (query, code, named) in [
        ("any where a regex \"[\\\\d-z]\"", "eql::not-lowered", "range that starts at the class `\\d`"),
        ("any where a regex~ \"a~b\"", "eql::not-lowered", "operator `~`"),
        ("any where cidrMatch(a, b)", "eql::function", "string constant"),
        ("any where a == b", "eql::unsupported", "against fields"),
        ("any where a in (\"x\", b)", "eql::unsupported", "against fields"),
        ("any where 4", "eql::not-lowered", "a constant"),
        ("any where a : 4", "eql::function", "string constants"),
        ("any where number(1) == 1", "eql::function", "argument 1 of `number` must be a string"),
        ("any where startsWith(\"a\", 1)", "eql::function", "argument 2 of `startsWith` must be a string"),
        ("sequence [a where true] by length(x) [b where true] by y", "eql::not-lowered", "join key that is not a field"),
    ] {
        let d = lower_rule(&source(), "q", query, &LowerOptions::default()).unwrap_err();
        assert_eq!(d.code, code, "{query}: {d}");
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
fn every_elastic_rule_event_query_and_sequence_stage_lowers() {
    let text = std::fs::read_to_string(root().join("testdata/eql/elastic-rules.jsonl")).unwrap();
    let mut lowered = Vec::new();
    let (mut stages, mut computed) = (0, 0);
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (file, query) = (v["file"].as_str().unwrap(), v["query"].as_str().unwrap());
        let source: SourceId = Arc::from(file);
        let statement = vigil_eql::parse_checked(&source, query).unwrap();
        if matches!(statement.query, vigil_eql::ast::Query::Event(_)) && statement.pipes.is_empty() {
            match lower_rule(&source, file, query, &LowerOptions::default()) {
                Ok(rule) => lowered.push(rule),
                Err(d) => *refused.entry(format!("{}: {}", d.code, d.message)).or_default() += 1,
            }
            continue;
        }
        for filter in statement.query.filters() {
            match vigil_eql::lower::lower_filter(&source, filter, &LowerOptions::default()) {
                Ok(expr) => {
                    stages += 1;
                    let mut has_compute = false;
                    count_compute(&expr, &mut has_compute);
                    computed += usize::from(has_compute);
                }
                Err(d) => *refused.entry(format!("{}: {}", d.code, d.message)).or_default() += 1,
            }
        }
    }
    for rule in &lowered {
        let vigil_ir::RuleBody::Detection(expr) = &rule.body else { unreachable!() };
        let mut has_compute = false;
        count_compute(expr, &mut has_compute);
        computed += usize::from(has_compute);
    }
    // Every lowered rule compiles into one program with the rest, and runs over the QA
    // documents with the candidate index agreeing with exhaustive evaluation (`matches`).
    let program = compile(&lowered, &pipeline("none"));
    assert_eq!(program.rules.len(), lowered.len());
    let docs: Vec<String> =
        vigil_conformance::eql_qa::INDICES.iter().flat_map(|i| vigil_conformance::eql_qa::dataset(i.name).events).map(|e| e.json.to_string()).collect();
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    assert_eq!(docs.len(), 211);
    let hits: usize = matches(&program, &docs).iter().map(Vec::len).sum();
    eprintln!("{hits} rule hits over the QA documents");
    eprintln!(
        "event queries lowered: {} of 861; sequence/sample stages lowered: {stages}; with a computed expression: {computed}; refused: {refused:#?}",
        lowered.len()
    );
    assert!(refused.is_empty(), "{refused:#?}");
    assert_eq!((lowered.len(), stages, computed), (LOWERED, STAGES, COMPUTED));
}

fn count_compute(expr: &vigil_ir::Expr, found: &mut bool) {
    match expr {
        vigil_ir::Expr::Compute { .. } => *found = true,
        vigil_ir::Expr::And(items) | vigil_ir::Expr::Or(items) => items.iter().for_each(|e| count_compute(e, found)),
        vigil_ir::Expr::Not(inner) | vigil_ir::Expr::Named { expr: inner, .. } => count_compute(inner, found),
        vigil_ir::Expr::Pred(_) | vigil_ir::Expr::Const(_) => {}
    }
}

/// Elastic event queries lowered: all 861.
const LOWERED: usize = 861;
/// Stage queries of the 217 sequences and 3 samples lowered: all 447.
const STAGES: usize = 447;
/// Lowered event queries and stages that hold a computed expression (functions, …).
const COMPUTED: usize = 33;

/// For each event, whether the query lowered with `mapping` as schema matches it.
fn run_with(query: &str, mapping: &str, events: &[&str]) -> Vec<bool> {
    let options = LowerOptions { schema: vigil_eql::schema::Schema::from_mapping(mapping).unwrap(), ..LowerOptions::default() };
    let rule = lower_rule(&source(), "q", query, &options).unwrap_or_else(|d| panic!("{}", d.render(Some(query))));
    let program = compile(&[rule], &pipeline("none"));
    matches(&program, events).into_iter().map(|m| !m.is_empty()).collect()
}

#[test]
fn every_leaf_negates_two_valued_as_elasticsearch_translates_it() {
    let events = [r#"{"a":"xy"}"#, r#"{"a":"yx"}"#, r#"{}"#];
    assert_eq!(run("any where startsWith(a, \"x\")", &events), [true, false, false]);
    // A prefix query under `must_not`: a missing field satisfies the negation.
    assert_eq!(run("any where not startsWith(a, \"x\")", &events), [false, true, true]);
    assert_eq!(run("any where startsWith(a, \"x\") == false", &events), [false, true, true]);
    assert_eq!(run("any where startsWith(a, \"x\") != false", &events), [true, false, false]);
    // A script leaf (`multiValueDocValues(… nullSafeFilter(…))`) is false on a missing
    // field, so its negation holds there too.
    assert_eq!(run("any where length(a) == 2", &events), [true, true, false]);
    assert_eq!(run("any where not length(a) == 2", &events), [false, false, true]);
    assert_eq!(run("any where length(a) != 2", &events), [false, false, true]);
    assert_eq!(run("any where substring(a, 1) not in (\"y\")", &events), [false, true, true]);
    assert_eq!(run("any where not a : \"x*\"", &events), [false, true, true]);
    assert_eq!(run("any where a != \"xy\"", &events), [false, true, true]);
    assert_eq!(run("any where startsWith~(a, \"X\") or length(a) == 2", &events), [true, true, false]);
    // Inside one leaf, null propagates: `length(a) > 1 == false` is null on a missing field.
    assert_eq!(run("any where string(length(a) > 1) == \"false\"", &events), [false, false, false]);
}

#[test]
fn numbers_are_typed_integer_before_float_and_longs_stay_exact() {
    let ev = |v: &str| format!(r#"{{"a":{v}}}"#);
    let events = [ev("7"), ev("7.5"), ev("-10"), ev("10")];
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    assert_eq!(run("any where a / 3 == 2", &events), [true, false, false, false]);
    assert_eq!(run("any where a / 3.0 > 2.4", &events), [false, true, false, true]);
    // Java's remainder: the sign of the dividend.
    assert_eq!(run("any where modulo(a, -6) == 4", &events), [false, false, false, true]);
    assert_eq!(run("any where a % -6 == -4", &events), [false, false, true, false]);
    let wide = [r#"{"a":9007199254740993}"#, r#"{"a":9007199254740992}"#];
    assert_eq!(run("any where a == 9007199254740993", &wide), [true, false]);
    assert_eq!(run("any where a == 9007199254740992", &wide), [false, true]);
    assert_eq!(run("any where a > 9007199254740991", &wide), [true, true]);
    assert_eq!(run("any where a != 9007199254740992", &wide), [true, false]);
    assert_eq!(run("any where a + 1 == 9007199254740994", &wide), [true, false]);
}

#[test]
fn a_multi_valued_field_holds_when_one_element_does() {
    let events = [r#"{"a":["ab","abc"]}"#, r#"{"a":["ab"]}"#, r#"{"a":[]}"#];
    assert_eq!(run("any where length(a) == 3", &events), [true, false, false]);
    assert_eq!(run("any where endsWith(a, \"c\")", &events), [true, false, false]);
    // The negation of "one element ends with c" (an empty array is a missing field).
    assert_eq!(run("any where not endsWith(a, \"c\")", &events), [false, true, true]);
}

#[test]
fn regex_is_anchored_lucene_syntax() {
    let events = [r#"{"a":"abc"}"#, r#"{"a":"bcd"}"#, r#"{"a":"BCD"}"#, r#"{"a":"b12"}"#];
    assert_eq!(run("any where a regex \"b.*\"", &events), [false, true, false, true]);
    assert_eq!(run("any where a regex~ \"b.*\"", &events), [false, true, true, true]);
    assert_eq!(run("any where a regex \"b\\\\d+\"", &events), [false, false, false, true]);
    assert_eq!(run("any where string(a) regex \"b.*\"", &events), [false, true, false, true]);
}

#[test]
fn the_schema_types_dates_and_resolves_aliases() {
    let mapping =
        r#"{"properties": {"t": {"type": "date"}, "kind": {"type": "keyword"}, "event": {"properties": {"category": {"type": "alias", "path": "kind"}}}}}"#;
    let events = [r#"{"t":"2024-03-01T00:00:00Z"}"#, r#"{"t":"2023-12-31T23:00:00Z"}"#, r#"{"t":1704067200000}"#, r#"{"t":"not a date"}"#];
    assert_eq!(run_with("any where t >= \"2024-01-01T00:00:00Z\"", mapping, &events), [true, false, true, false]);
    assert_eq!(run_with("any where t == 1704067200000", mapping, &events), [false, false, true, false]);
    let events = [r#"{"kind":"x"}"#, r#"{"event":{"category":"x"}}"#];
    assert_eq!(run_with("any where event.category == \"x\"", mapping, &events), [true, false]);
    assert_eq!(run_with("any where stringContains(event.category, \"x\")", mapping, &events), [true, false]);
    let bad = lower_rule(
        &source(),
        "q",
        "any where t < \"yesterday\"",
        &LowerOptions { schema: vigil_eql::schema::Schema::from_mapping(mapping).unwrap(), ..LowerOptions::default() },
    );
    assert_eq!(bad.unwrap_err().code, "eql::number");
}

#[test]
fn a_field_alone_holds_where_it_is_true() {
    let events = [r#"{"b":true}"#, r#"{"b":false}"#, r#"{"b":"true"}"#, r#"{}"#];
    assert_eq!(run("any where b", &events), [true, false, false, false]);
    assert_eq!(run("any where not b", &events), [false, true, true, true]);
}

#[test]
fn every_elastic_rule_lowers_whole_and_compiles_into_one_program() {
    let text = std::fs::read_to_string(root().join("testdata/eql/elastic-rules.jsonl")).unwrap();
    let mut lowered = Vec::new();
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (file, query) = (v["file"].as_str().unwrap(), v["query"].as_str().unwrap());
        match lower_rule(&Arc::from(file), file, query, &LowerOptions::default()) {
            Ok(rule) => lowered.push(rule),
            Err(d) => *refused.entry(format!("{}: {}", d.code, d.message)).or_default() += 1,
        }
    }
    let program = compile(&lowered, &pipeline("none"));
    // Detections are one program rule each; a sequence one hidden rule per stage.
    let expected: usize = lowered.iter().map(|r| r.sequence().map_or(1, |s| s.all_stages().count())).sum();
    assert_eq!(program.rules.len(), expected);
    let sequences = lowered.iter().filter(|r| r.sequence().is_some()).count();
    assert_eq!(program.sequences.specs.len(), sequences);
    eprintln!("lowered {} of 1081 ({sequences} sequences and samples); refused: {refused:#?}", lowered.len());
    assert_eq!((lowered.len(), sequences), (LOWERED_WHOLE, LOWERED_SEQUENCES));
}

/// Elastic rules lowered whole (event queries, sequences and samples).
const LOWERED_WHOLE: usize = 1081;
/// Of which sequences and samples.
const LOWERED_SEQUENCES: usize = 220;

#[test]
fn an_optional_field_the_mapping_does_not_have_is_the_constant_null() {
    let mapping = r#"{"properties": {"k": {"type": "keyword"}}}"#;
    let events = [r#"{"k":"a"}"#, r#"{"k":"a","x":"a"}"#, r#"{}"#];
    // `?x == ?y` with neither mapped is `null == null`: true, as Elasticsearch folds it.
    assert_eq!(run_with("any where ?x == ?y", mapping, &events), [true, true, true]);
    // `?x` is null even where an event carries `x` (Elasticsearch did not map it).
    assert_eq!(run_with("any where ?x == \"a\"", mapping, &events), [false, false, false]);
    assert_eq!(run_with("any where ?k == ?x", mapping, &events), [false, false, true]);
    assert_eq!(run_with("any where ?k == \"a\"", mapping, &events), [true, true, false]);
    // Two mapped fields are still a field-to-field comparison, refused as Elasticsearch does.
    let options = LowerOptions { schema: vigil_eql::schema::Schema::from_mapping(mapping).unwrap(), ..LowerOptions::default() };
    assert_eq!(lower_rule(&source(), "q", "any where ?k == k", &options).unwrap_err().code, "eql::unsupported");
    // Without a schema nothing is known to be absent: the comparison stays refused.
    assert_eq!(lower_rule(&source(), "q", "any where ?x == ?y", &LowerOptions::default()).unwrap_err().code, "eql::unsupported");
}
