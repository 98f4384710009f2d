#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! One test per correlation type: window edges, group-by, ordering, chaining, generate.

use vigil_conformance::correlate;

const BASE: &str = "title: failed login\nname: failed\nlogsource: {product: test}\ndetection:\n  sel:\n    action: fail\n  condition: sel\n---\ntitle: ok login\nname: success\nlogsource: {product: test}\ndetection:\n  sel:\n    action: ok\n  condition: sel\n";

fn ev(t: u32, action: &str, user: &str, extra: &str) -> String {
    format!(r#"{{"@timestamp":"2024-01-01T00:{:02}:{:02}Z","action":"{action}","user":"{user}"{extra}}}"#, t / 60, t % 60)
}

fn run(correlation: &str, events: &[String]) -> Vec<(String, vigil_engine::CorrelationAlert)> {
    let yaml = format!("{BASE}---\ntitle: corr\n{correlation}");
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    correlate(&yaml, &refs)
}

const COUNT3: &str = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 10s\n  condition: {gte: 3}\n";

#[test]
fn event_count_fires_inside_the_window() {
    let alerts = run(COUNT3, &[ev(0, "fail", "bob", ""), ev(5, "fail", "bob", ""), ev(10, "fail", "bob", "")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.value, 3.0);
    assert_eq!(alerts[0].1.group, vec![("user".to_string(), "bob".to_string())]);
}

#[test]
fn event_count_window_edge_is_exclusive_past_timespan() {
    // 0 s, 5 s, 11 s: the first event is 11 s old when the third arrives (> 10 s).
    assert!(run(COUNT3, &[ev(0, "fail", "bob", ""), ev(5, "fail", "bob", ""), ev(11, "fail", "bob", "")]).is_empty());
}

#[test]
fn event_count_groups_are_separate() {
    let events = [ev(0, "fail", "bob", ""), ev(1, "fail", "amy", ""), ev(2, "fail", "bob", ""), ev(3, "fail", "amy", "")];
    assert!(run(COUNT3, &events).is_empty());
    let mut more = events.to_vec();
    more.push(ev(4, "fail", "amy", ""));
    let alerts = run(COUNT3, &more);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.group[0].1, "amy");
}

#[test]
fn event_count_upper_bound_is_decided_when_the_window_closes() {
    let corr = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 10s\n  condition: {lt: 2}\n";
    // bob fails once in his window, amy twice: only bob's window satisfies `lt: 2`.
    let alerts = run(corr, &[ev(0, "fail", "bob", ""), ev(1, "fail", "amy", ""), ev(2, "fail", "amy", "")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.group[0].1, "bob");
}

#[test]
fn value_count() {
    let corr = "correlation:\n  type: value_count\n  rules: [failed]\n  group-by: [src]\n  timespan: 1m\n  condition: {gte: 3, field: user}\n";
    let e = |t, u| ev(t, "fail", u, r#","src":"10.0.0.1""#);
    assert!(run(corr, &[e(0, "a"), e(1, "a"), e(2, "b"), e(3, "b")]).is_empty());
    let alerts = run(corr, &[e(0, "a"), e(1, "b"), e(2, "a"), e(3, "c")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.value, 3.0);
}

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let corr = "correlation:\n  type: temporal\n  rules: [failed, success]\n  group-by: [user]\n  timespan: 30s\n";
    assert_eq!(run(corr, &[ev(0, "ok", "bob", ""), ev(10, "fail", "bob", "")]).len(), 1);
    assert!(run(corr, &[ev(0, "ok", "bob", ""), ev(40, "fail", "bob", "")]).is_empty());
    assert!(run(corr, &[ev(0, "ok", "bob", ""), ev(10, "fail", "amy", "")]).is_empty());
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let corr = "correlation:\n  type: temporal_ordered\n  rules: [failed, success]\n  group-by: [user]\n  timespan: 30s\n";
    assert_eq!(run(corr, &[ev(0, "fail", "bob", ""), ev(10, "ok", "bob", "")]).len(), 1);
    assert!(run(corr, &[ev(0, "ok", "bob", ""), ev(10, "fail", "bob", "")]).is_empty());
    assert!(run(corr, &[ev(0, "fail", "bob", ""), ev(31, "ok", "bob", "")]).is_empty());
}

#[test]
fn value_sum_avg_median() {
    let e = |t, n: u32| ev(t, "fail", "bob", &format!(r#","bytes":{n}"#));
    let events = [e(0, 100), e(1, 200), e(2, 600)];
    let sum = "correlation:\n  type: value_sum\n  rules: [failed]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 900, field: bytes}\n";
    assert_eq!(run(sum, &events)[0].1.value, 900.0);
    let avg = "correlation:\n  type: value_avg\n  rules: [failed]\n  group-by: [user]\n  timespan: 1m\n  condition: {gt: 299, field: bytes}\n";
    assert_eq!(run(avg, &events)[0].1.value, 300.0);
    let median = "correlation:\n  type: value_median\n  rules: [failed]\n  group-by: [user]\n  timespan: 1m\n  condition: {eq: 200, field: bytes}\n";
    assert_eq!(run(median, &events)[0].1.value, 200.0);
    let too_high = "correlation:\n  type: value_sum\n  rules: [failed]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 901, field: bytes}\n";
    assert!(run(too_high, &events).is_empty());
}

#[test]
fn value_percentile_finds_rare_values() {
    let corr = "correlation:\n  type: value_percentile\n  rules: [failed]\n  group-by: [host]\n  timespan: 1h\n  condition: {lte: 10, field: proc}\n";
    let mut events: Vec<String> = (0..19).map(|i| ev(i, "fail", "bob", r#","host":"h","proc":"svchost.exe""#)).collect();
    events.push(ev(30, "fail", "bob", r#","host":"h","proc":"rare.exe""#));
    let alerts = run(corr, &events);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.subject.as_deref(), Some("rare.exe"));
    assert_eq!(alerts[0].1.value, 5.0);
}

#[test]
fn aliases_map_group_fields_per_rule() {
    let corr = "correlation:\n  type: temporal\n  rules: [failed, success]\n  group-by: [who]\n  timespan: 30s\n  aliases:\n    who:\n      failed: user\n      success: target\n";
    let alerts = run(corr, &[ev(0, "fail", "bob", ""), ev(5, "ok", "x", r#","target":"bob""#)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.group, vec![("who".to_string(), "bob".to_string())]);
}

#[test]
fn chained_correlations() {
    // Three failures, then a success, for the same user (the specification's example).
    let yaml = format!(
        "{BASE}---\ntitle: many failures\nname: many_failed\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 1m\n  condition: {{gte: 3}}\n---\ntitle: brute force then success\ncorrelation:\n  type: temporal_ordered\n  rules: [many_failed, success]\n  group-by: [user]\n  timespan: 5m\n"
    );
    let events = [ev(0, "fail", "bob", ""), ev(1, "fail", "bob", ""), ev(2, "fail", "bob", ""), ev(30, "ok", "bob", "")];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let alerts = correlate(&yaml, &refs);
    let titles: Vec<&str> = alerts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles, vec!["many failures", "brute force then success"]);
    let ok_first = [ev(0, "ok", "bob", ""), ev(1, "fail", "bob", ""), ev(2, "fail", "bob", ""), ev(3, "fail", "bob", "")];
    let refs: Vec<&str> = ok_first.iter().map(String::as_str).collect();
    let titles: Vec<String> = correlate(&yaml, &refs).into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, vec!["many failures".to_string()]);
}

#[test]
fn generate_false_silences_base_rules() {
    let yaml = format!("{BASE}---\ntitle: corr\n{COUNT3}");
    let program = vigil_conformance::compile(&vigil_conformance::rules(&yaml), &vigil_conformance::pipeline("none"));
    let failed = program.rules.iter().find(|r| r.rule.meta.title == "failed login").unwrap();
    let success = program.rules.iter().find(|r| r.rule.meta.title == "ok login").unwrap();
    assert!(!failed.emits);
    assert!(success.emits);
    let with_generate = format!("{BASE}---\ntitle: corr\n{COUNT3}  generate: true\n");
    let program = vigil_conformance::compile(&vigil_conformance::rules(&with_generate), &vigil_conformance::pipeline("none"));
    assert!(program.rules.iter().all(|r| r.emits));
}

#[test]
fn events_without_timestamps_are_counted_not_placed() {
    let events = [r#"{"action":"fail","user":"bob"}"#; 3];
    let yaml = format!("{BASE}---\ntitle: corr\n{COUNT3}");
    assert!(correlate(&yaml, &events).is_empty());
}

#[test]
fn memory_bounds_evict_and_count() {
    let yaml = format!("{BASE}---\ntitle: corr\n{COUNT3}");
    // Ten users, room for four groups: six evictions, and nobody reaches three failures.
    let events: Vec<String> = (0..10).map(|i| ev(i, "fail", &format!("u{i}"), "")).collect();
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (alerts, stats) = vigil_conformance::correlate_with(&yaml, &refs, vigil_engine::Limits { max_groups: 4, max_entries: 100 });
    assert!(alerts.is_empty());
    assert_eq!(stats.evicted_groups, 6);
    // A window holding at most two events can never count three: each extra event evicts one.
    let bob: Vec<String> = (0..5).map(|i| ev(i, "fail", "bob", "")).collect();
    let refs: Vec<&str> = bob.iter().map(String::as_str).collect();
    let (alerts, stats) = vigil_conformance::correlate_with(&yaml, &refs, vigil_engine::Limits { max_groups: 10, max_entries: 2 });
    assert!(alerts.is_empty());
    assert_eq!(stats.evicted_entries, 3);
}
