#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! One test per correlation type: window edges, group-by, ordering, chaining, generate;
//! then the memory bounds (entries, groups, bytes, LRU order), conditions the bounds make
//! impossible, `value_percentile` as pySigma reads it, and where `generate` may be written.

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
    let (alerts, stats) =
        vigil_conformance::correlate_with(&yaml, &refs, vigil_engine::Limits { max_groups: 4, max_entries: 100, ..vigil_engine::Limits::default() });
    assert!(alerts.is_empty());
    assert_eq!(stats.evicted_groups, 6);
    // A window holding at most two events can never count three: each extra event evicts one.
    let bob: Vec<String> = (0..5).map(|i| ev(i, "fail", "bob", "")).collect();
    let refs: Vec<&str> = bob.iter().map(String::as_str).collect();
    let (alerts, stats) =
        vigil_conformance::correlate_with(&yaml, &refs, vigil_engine::Limits { max_groups: 10, max_entries: 2, ..vigil_engine::Limits::default() });
    assert!(alerts.is_empty());
    assert_eq!(stats.evicted_entries, 3);
}

fn limited(
    correlation: &str,
    events: &[String],
    limits: vigil_engine::Limits,
) -> (Vec<(String, vigil_engine::CorrelationAlert)>, vigil_engine::CorrelationStats) {
    let yaml = format!("{BASE}---\ntitle: corr\n{correlation}");
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    vigil_conformance::correlate_with(&yaml, &refs, limits)
}

#[test]
fn least_recently_used_group_is_evicted_first() {
    // Room for two groups: amy, bob, amy, carl evicts bob (least recently fed), not amy
    // (first created), so amy's third failure fires.
    let events = [ev(0, "fail", "amy", ""), ev(1, "fail", "bob", ""), ev(2, "fail", "amy", ""), ev(3, "fail", "carl", ""), ev(4, "fail", "amy", "")];
    let limits = vigil_engine::Limits { max_groups: 2, ..vigil_engine::Limits::default() };
    let (alerts, stats) = limited(COUNT3, &events, limits);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.group[0].1, "amy");
    assert_eq!(stats.evicted_groups, 1);
    // bob was the one evicted: two more failures of his do not reach three.
    let mut more = events.to_vec();
    more.extend([ev(5, "fail", "bob", ""), ev(6, "fail", "bob", "")]);
    let (alerts, _) = limited(COUNT3, &more, limits);
    assert_eq!(alerts.len(), 1);
}

#[test]
fn state_is_bounded_in_bytes() {
    // 200 users with 10 KB names under a 256 KB budget: the state stays within the budget,
    // the least recently used groups are evicted and counted, and a user who fails three
    // times in a row still fires.
    let long = |i: u32| format!("{i:04}{}", "x".repeat(10_000));
    let mut events: Vec<String> = (0..200).map(|i| ev(i, "fail", &long(i), "")).collect();
    events.extend((0..3).map(|t| ev(200 + t, "fail", &long(7), "")));
    let limits = vigil_engine::Limits { max_bytes: 256 << 10, ..vigil_engine::Limits::default() };
    let hour = COUNT3.replace("10s", "1h");
    let (alerts, stats) = limited(&hour, &events, limits);
    assert!(stats.peak_bytes <= 256 << 10, "peak {} bytes", stats.peak_bytes);
    assert!(stats.peak_bytes > 128 << 10, "the budget is used, peak {} bytes", stats.peak_bytes);
    assert!(stats.evicted_groups >= 200 - 26, "{} evictions", stats.evicted_groups);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.group[0].1, long(7));
    // Without the budget nothing is evicted.
    let (_, stats) = limited(&hour, &events, vigil_engine::Limits::default());
    assert_eq!(stats.evicted_groups, 0);
}

#[test]
fn the_byte_budget_is_shared_and_a_flood_evicts_its_own_groups() {
    // Two correlations share a 256 KB budget. A flood of 10 KB user names fills the one
    // grouped by user; it holds more than its share, so its own groups are evicted and the
    // other correlation's small group for host h1 survives to fire.
    let yaml = format!(
        "{BASE}---\ntitle: by user\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 1h\n  condition: {{gte: 3}}\n---\ntitle: by host\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [host]\n  timespan: 1h\n  condition: {{gte: 3}}\n"
    );
    let mut events = vec![ev(0, "fail", "amy", r#","host":"h1""#), ev(1, "fail", "bob", r#","host":"h1""#)];
    events.extend((0..200).map(|i| ev(2 + i, "fail", &format!("{i:04}{}", "x".repeat(10_000)), r#","host":"h2""#)));
    events.push(ev(300, "fail", "carl", r#","host":"h1""#));
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let limits = vigil_engine::Limits { max_bytes: 256 << 10, ..vigil_engine::Limits::default() };
    let (alerts, stats) = vigil_conformance::correlate_with(&yaml, &refs, limits);
    assert!(stats.peak_bytes <= 256 << 10, "peak {} bytes", stats.peak_bytes);
    assert!(stats.evicted_groups >= 170, "{} evictions", stats.evicted_groups);
    let h1: Vec<_> = alerts.iter().filter(|(t, a)| t == "by host" && a.group[0].1 == "h1").collect();
    assert_eq!(h1.len(), 1);
    assert_eq!(h1[0].1.value, 3.0);
}

#[test]
fn one_group_over_the_byte_budget_loses_its_oldest_values() {
    // value_count over 20 KB values with a 64 KB budget: a single group cannot keep them all,
    // so its oldest values go (counted), and the distinct count never reaches 10.
    let corr = "correlation:\n  type: value_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 10, field: blob}\n";
    let events: Vec<String> = (0..10).map(|i| ev(i, "fail", "bob", &format!(r#","blob":"{i}{}""#, "b".repeat(20_000)))).collect();
    let limits = vigil_engine::Limits { max_bytes: 64 << 10, ..vigil_engine::Limits::default() };
    let (alerts, stats) = limited(corr, &events, limits);
    assert!(alerts.is_empty());
    assert!(stats.evicted_entries >= 7, "{} window events evicted", stats.evicted_entries);
    assert!(stats.peak_bytes <= 64 << 10);
    let (alerts, _) = limited(corr, &events, vigil_engine::Limits::default());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.value, 10.0);
}

#[test]
fn expired_tumbling_windows_are_closed_not_lost_when_evicted() {
    // `lt: 2` is decided when a window closes. With room for one group, amy's window (over
    // by the time carl arrives) is closed by the eviction and fires; bob's is still open when
    // carl evicts it, so it is counted as evicted.
    let corr = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 10s\n  condition: {lt: 2}\n";
    let events = [ev(0, "fail", "amy", ""), ev(15, "fail", "bob", ""), ev(16, "fail", "carl", "")];
    let limits = vigil_engine::Limits { max_groups: 1, ..vigil_engine::Limits::default() };
    let (alerts, stats) = limited(corr, &events, limits);
    let users: Vec<&str> = alerts.iter().map(|(_, a)| a.group[0].1.as_str()).collect();
    assert_eq!(users, vec!["amy", "carl"]);
    assert_eq!(stats.evicted_groups, 1);
}

#[test]
fn many_groups_are_evicted_or_swept_one_at_a_time() {
    // 200,000 distinct users through a correlation that keeps 1,000 groups. All at the same
    // instant, nothing expires: every new group past 1,000 evicts the least recently used
    // one (O(1), no scan of the groups). One second apart, the 10 s windows expire and are
    // swept from the front, so about ten groups are held and nothing is evicted.
    let program = vigil_conformance::compile(&vigil_conformance::rules(&format!("{BASE}---\ntitle: corr\n{COUNT3}")), &vigil_conformance::pipeline("none"));
    let limits = vigil_engine::Limits { max_groups: 1_000, ..vigil_engine::Limits::default() };
    let source: std::sync::Arc<str> = std::sync::Arc::from("test");
    for (step_ms, evicted) in [(0i64, 199_000u64), (1_000, 0)] {
        let mut correlator = vigil_engine::Correlator::with_limits(&program.correlations, limits);
        let mut out = Vec::new();
        for i in 0..200_000u32 {
            let feed = vigil_engine::Feed { spec: 0, input: 0, group: vec![format!("u{i}")], value: None };
            correlator.feed(feed, Some(i64::from(i) * step_ms), vigil_engine::EventRef { source: source.clone(), line: u64::from(i) }, &mut out);
        }
        assert!(out.is_empty());
        assert_eq!(correlator.stats.evicted_groups, evicted, "step {step_ms} ms");
        if step_ms > 0 {
            assert!(correlator.bytes() < 16 << 10, "{} bytes held", correlator.bytes());
        }
    }
}

fn refusals(yaml: &str) -> Vec<vigil_ir::Diagnostic> {
    let (_, report) = vigil_conformance::compile_report(&vigil_conformance::rules(yaml), &vigil_conformance::pipeline("none"));
    report.refused
}

#[test]
fn thresholds_above_the_window_limit_are_refused_at_the_condition() {
    let count = format!(
        "{BASE}---\ntitle: corr\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 1h\n  condition:\n    gte: 10001\n"
    );
    let refused = refusals(&count);
    assert_eq!(refused.len(), 1);
    let d = &refused[0];
    assert_eq!(d.code, "engine::correlation-limit");
    // At the `condition` key: line 23, column 3.
    assert_eq!((d.span.line, d.span.col), (23, 3));
    assert!(d.message.contains("10000"), "{}", d.message);
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("max_entries")), "{:?}", d.hint);
    // At the limit it is accepted.
    assert!(refusals(&count.replace("10001", "10000")).is_empty());
    let value = format!("{BASE}---\ntitle: corr\ncorrelation:\n  type: value_count\n  rules: [failed]\n  group-by: [user]\n  timespan: 1h\n  condition: {{gte: 15000, field: src}}\n");
    assert_eq!(refusals(&value)[0].code, "engine::correlation-limit");
    assert!(refusals(&value.replace("gte: 15000", "gt: 9999")).is_empty());
    // Bounds that contradict each other: the hint is about the bounds, not the window limit.
    let contradiction = refusals(&value.replace("gte: 15000", "gte: 10, lt: 10"));
    assert_eq!(contradiction[0].code, "engine::correlation-limit");
    assert!(contradiction[0].message.contains("no count satisfies"), "{}", contradiction[0].message);
    assert!(contradiction[0].hint.as_deref().is_some_and(|h| !h.contains("max_entries")), "{:?}", contradiction[0].hint);
    // `temporal` counts distinct rules: three can never come from two.
    let temporal = format!(
        "{BASE}---\ntitle: corr\ncorrelation:\n  type: temporal\n  rules: [failed, success]\n  group-by: [user]\n  timespan: 1h\n  condition: {{gte: 3}}\n"
    );
    assert!(refusals(&temporal)[0].message.contains("references 2"), "{:?}", refusals(&temporal));
}

#[test]
fn the_limit_that_refuses_is_the_configured_one() {
    let rules = vigil_conformance::rules(&format!("{BASE}---\ntitle: corr\n{COUNT3}"));
    let small = vigil_engine::Limits { max_entries: 2, ..vigil_engine::Limits::default() };
    let mut kept = rules.clone();
    let refused = vigil_engine::correlate::limits::refuse_unreachable(&mut kept, &small);
    assert_eq!(refused.len(), 1);
    assert!(refused[0].message.contains("at most 2 events"), "{}", refused[0].message);
    assert_eq!(kept.len(), rules.len() - 1);
    let mut kept = rules.clone();
    assert!(vigil_engine::correlate::limits::refuse_unreachable(&mut kept, &vigil_engine::Limits::default()).is_empty());
}

const PERCENTILE: &str =
    "correlation:\n  type: value_percentile\n  rules: [failed]\n  group-by: [host]\n  timespan: 1h\n  condition: {field: ms, percentile: P, OP}\n";

fn percentile(p: &str, op: &str) -> Vec<f64> {
    // Ten events with ms = 10, 20, ..., 100, given out of order.
    let events: Vec<String> =
        [70, 10, 100, 40, 20, 90, 30, 60, 80, 50].iter().enumerate().map(|(t, ms)| ev(t as u32, "fail", "bob", &format!(r#","host":"h","ms":{ms}"#))).collect();
    run(&PERCENTILE.replace("P,", &format!("{p},")).replace("OP", op), &events).into_iter().map(|(_, a)| a.value).collect()
}

#[test]
fn value_percentile_compares_the_percentile_of_the_window() {
    // The P-th percentile of the group's values (pySigma: sorted[min(floor(n*P/100), n-1)]).
    assert_eq!(percentile("50", "gte: 60"), vec![60.0]);
    assert!(percentile("50", "gt: 60").is_empty());
    assert_eq!(percentile("95", "gt: 99"), vec![100.0]);
    assert_eq!(percentile("0", "lte: 10"), vec![10.0]);
    assert_eq!(percentile("100", "eq: 100"), vec![100.0]);
    assert_eq!(percentile("25", "eq: 30"), vec![30.0]);
    // Values that are not numbers are left out, as pySigma does.
    let mut events: Vec<String> = (0..4).map(|t| ev(t, "fail", "bob", r#","host":"h","ms":"n/a""#)).collect();
    events.push(ev(5, "fail", "bob", r#","host":"h","ms":7"#));
    assert_eq!(run(&PERCENTILE.replace("P,", "50,").replace("OP", "eq: 7"), &events).len(), 1);
}

#[test]
fn value_percentile_needs_a_percentile_from_0_to_100() {
    let doc = |condition: &str| {
        format!("{BASE}---\ntitle: corr\ncorrelation:\n  type: value_percentile\n  rules: [failed]\n  group-by: [host]\n  timespan: 1h\n  condition:\n    field: ms\n{condition}")
    };
    let missing = vigil_conformance::diagnostics(&doc("    lte: 1\n"));
    assert_eq!(missing.len(), 1);
    assert!(missing[0].message.contains("needs `percentile`"), "{}", missing[0].message);
    assert_eq!((missing[0].span.line, missing[0].span.col), (23, 3));
    let out_of_range = vigil_conformance::diagnostics(&doc("    percentile: 150\n    lte: 1\n"));
    assert_eq!((out_of_range[0].span.line, out_of_range[0].span.col), (25, 17));
    let not_a_number = vigil_conformance::diagnostics(&doc("    percentile: high\n    lte: 1\n"));
    assert_eq!((not_a_number[0].span.line, not_a_number[0].span.col), (25, 17));
    assert!(vigil_conformance::diagnostics(&doc("    percentile: 99\n    lte: 1\n")).is_empty());
    let elsewhere = vigil_conformance::diagnostics(&format!("{BASE}---\ntitle: corr\n{}", COUNT3.replace("{gte: 3}", "{gte: 3, percentile: 5}")));
    assert!(elsewhere[0].message.contains("does not apply"), "{}", elsewhere[0].message);
}

#[test]
fn generate_is_read_beside_and_inside_correlation() {
    let emits = |yaml: &str| {
        let program = vigil_conformance::compile(&vigil_conformance::rules(yaml), &vigil_conformance::pipeline("none"));
        program.rules.iter().find(|r| r.rule.meta.title == "failed login").unwrap().emits
    };
    // The specification's schema: `generate` at the top level, beside `correlation:`.
    assert!(emits(&format!("{BASE}---\ntitle: corr\ngenerate: true\n{COUNT3}")));
    assert!(emits(&format!("{BASE}---\ntitle: corr\n{COUNT3}generate: true\n")));
    // pySigma's place: inside `correlation:`.
    assert!(emits(&format!("{BASE}---\ntitle: corr\n{COUNT3}  generate: true\n")));
    assert!(!emits(&format!("{BASE}---\ntitle: corr\ngenerate: false\n{COUNT3}")));
    // Both, agreeing: fine.
    assert!(emits(&format!("{BASE}---\ntitle: corr\ngenerate: true\n{COUNT3}  generate: true\n")));
    // Both, disagreeing: an error at the second.
    let d = vigil_conformance::diagnostics(&format!("{BASE}---\ntitle: corr\ngenerate: true\n{COUNT3}  generate: false\n"));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].span.line, d[0].span.col), (25, 13));
    assert!(d[0].message.contains("line 18"), "{}", d[0].message);
    let d = vigil_conformance::diagnostics(&format!("{BASE}---\ntitle: corr\n{COUNT3}  generate: false\ngenerate: yes please\n"));
    assert_eq!(d[0].code, "sigma::wrong-type");
}

#[test]
fn a_correlation_referring_to_itself_is_diagnosed_at_the_reference() {
    let yaml = format!(
        "{BASE}---\ntitle: corr\nname: loop\ncorrelation:\n  type: event_count\n  rules:\n    - failed\n    - loop\n  timespan: 1h\n  condition: {{gte: 3}}\n"
    );
    let d = vigil_conformance::diagnostics(&yaml);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "sigma::correlation-cycle");
    assert!(d[0].message.contains("itself"), "{}", d[0].message);
    assert_eq!((d[0].span.line, d[0].span.col), (23, 7));
    // A two-step cycle points at the reference that closes it.
    let cycle = format!("{BASE}---\ntitle: a\nname: a\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 1h\n  condition: {{gte: 1}}\n---\ntitle: b\nname: b\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {{gte: 1}}\n");
    let d = vigil_conformance::diagnostics(&cycle);
    assert_eq!(d[0].code, "sigma::correlation-cycle");
    assert_eq!((d[0].span.line, d[0].span.col), (21, 11));
    // The other member of the cycle is refused too, saying why: its reference was refused,
    // not missing.
    assert_eq!(d.len(), 2);
    assert_eq!((d[1].span.line, d[1].span.col), (29, 11));
    assert!(d[1].message.contains("`a`, which was refused"), "{}", d[1].message);
}

#[test]
fn deep_shared_correlation_chains_load_without_exponential_work() {
    // 40 levels of two correlations, each referring to both of the level below: 2^40 paths
    // down, 80 rules. Cycle detection must visit each rule once, not each path.
    let mut docs = vec!["title: a\nname: l0a\nlogsource: {product: test}\ndetection:\n  sel:\n    action: a\n  condition: sel\n".to_string()];
    docs.push("title: b\nname: l0b\nlogsource: {product: test}\ndetection:\n  sel:\n    action: b\n  condition: sel\n".to_string());
    for level in 1..40 {
        for side in ["a", "b"] {
            let below = level - 1;
            docs.push(format!(
                "title: c{level}{side}\nname: l{level}{side}\ncorrelation:\n  type: event_count\n  rules: [l{below}a, l{below}b]\n  group-by: [user]\n  timespan: 1h\n  condition: {{gte: 1}}\n"
            ));
        }
    }
    let rules = vigil_conformance::rules(&docs.join("---\n"));
    assert_eq!(rules.len(), 80);
}

#[test]
fn a_long_chain_of_correlations_fires_level_by_level_without_deep_recursion() {
    // Each correlation fires on one alert of the one below: one event sets off the whole
    // chain. Feeding an alert downstream must not take stack per level.
    let levels = 3000;
    let mut yaml = BASE.to_string();
    for level in 1..=levels {
        let below = if level == 1 { "failed".to_string() } else { format!("c{}", level - 1) };
        yaml.push_str(&format!(
            "---\ntitle: c{level}\nname: c{level}\ncorrelation:\n  type: event_count\n  rules: [{below}]\n  group-by: [user]\n  timespan: 1h\n  condition: {{gte: 1}}\n"
        ));
    }
    let alerts = correlate(&yaml, &[&ev(0, "fail", "bob", "")]);
    assert_eq!(alerts.len(), levels);
    let mut titles: Vec<String> = alerts.into_iter().map(|(t, _)| t).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), levels);
}
