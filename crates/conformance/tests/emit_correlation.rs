#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Proof by meaning for correlations in the `sql` and `duckdb` targets: each correlation's
//! statement runs in SQLite and DuckDB over events generated around the window edges (just
//! inside and just outside `timespan`, threshold − 1 and threshold, a missing group-by or
//! value field, events without a usable time, ties), and must return exactly the alerts
//! vigil's own correlation engine raises over the same events: the same groups, window
//! start and end, and measure. The rule set covers every kind the SQL targets print
//! (sliding and tumbling windows, ranges, aliases, no group-by) plus SigmaHQ's
//! correlation examples; the kinds they refuse are checked to be refused by name.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vigil_conformance::emit_harness::flat_rows;
use vigil_conformance::rng::Rng;
use vigil_conformance::sql_engine::{Engine, Table};
use vigil_conformance::{correlate_through, pipeline, root, sql_rows};
use vigil_emit::{convert_all, Options, Target};
use vigil_ir::RuleBody;

const RULES: &str = r#"
title: A
name: rule_a
logsource: {product: test}
detection:
    sel: {EventID: 1}
    condition: sel
---
title: B
name: rule_b
logsource: {product: test}
detection:
    sel: {EventID: 2}
    condition: sel
---
title: count sliding
correlation: {type: event_count, rules: [rule_a], group-by: [User], timespan: 10s, condition: {gte: 3}}
---
title: count sliding no group
correlation: {type: event_count, rules: [rule_a, rule_b], timespan: 5s, condition: {gt: 3}}
---
title: count two keys
correlation: {type: event_count, rules: [rule_b], group-by: [User, Host], timespan: 10s, condition: {gte: 2}}
---
title: count tumbling lt
correlation: {type: event_count, rules: [rule_a], group-by: [User], timespan: 10s, condition: {lt: 3}}
---
title: count tumbling range
correlation: {type: event_count, rules: [rule_a, rule_b], group-by: [Host], timespan: 7s, condition: {gte: 2, lte: 4}}
---
title: count tumbling eq
correlation: {type: event_count, rules: [rule_b], group-by: [User], timespan: 10s, condition: {eq: 2}}
---
title: values sliding
correlation: {type: value_count, rules: [rule_a], group-by: [User], timespan: 10s, condition: {gte: 2, field: Host}}
---
title: values tumbling
correlation: {type: value_count, rules: [rule_a, rule_b], group-by: [User], timespan: 10s, condition: {lt: 2, field: Host}}
---
title: temporal
correlation: {type: temporal, rules: [rule_a, rule_b], group-by: [User], timespan: 10s}
---
title: temporal aliases
correlation:
    type: temporal
    rules: [rule_a, rule_b]
    aliases:
        who: {rule_a: User, rule_b: Target}
    group-by: [who]
    timespan: 10s
---
title: ordered
correlation: {type: temporal_ordered, rules: [rule_a, rule_b], group-by: [User], timespan: 10s}
---
title: ordered neq tumbling
correlation: {type: temporal_ordered, rules: [rule_b, rule_a], group-by: [User], timespan: 10s, condition: {neq: 2}}
---
title: sum refused
correlation: {type: value_sum, rules: [rule_a], group-by: [User], timespan: 10s, condition: {gte: 3, field: Bytes}}
"#;

const BASE_MS: i64 = 1_700_000_000_000;

/// RFC 3339 UTC text of epoch milliseconds, three fraction digits.
fn stamp(ms: i64) -> String {
    format!("{:.3}", jiff::Timestamp::from_millisecond(ms).unwrap())
}

/// Events in time order. Gaps are drawn from the window edges of the rules (5 s, 7 s, 10 s:
/// each exactly, one millisecond less and more), zero (ties) and small steps; a few events
/// have no time or one SQL and the engine both refuse.
fn events(seed: u64, n: usize, fields: &[(&str, &[&str])]) -> Vec<Value> {
    let mut rng = Rng(seed);
    let gaps: &[i64] = &[0, 0, 1, 400, 1000, 2500, 4999, 5000, 5001, 6999, 7000, 7001, 9999, 10_000, 10_001, 12_000];
    let mut t = BASE_MS;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        t += gaps[rng.below(gaps.len())];
        let mut e = serde_json::Map::new();
        match rng.next_u64() % 40 {
            0 => {}
            1 => drop(e.insert("@timestamp".into(), json!("2023-02-31T00:00:00Z"))),
            2 => drop(e.insert("@timestamp".into(), json!("not a time"))),
            // Six fraction digits (as EVTX writes them), truncated to milliseconds.
            3 | 4 => drop(e.insert("@timestamp".into(), json!(stamp(t).replace('Z', "987Z")))),
            5 => drop(e.insert("@timestamp".into(), json!(stamp(t).replace(".000Z", "Z")))),
            _ => drop(e.insert("@timestamp".into(), json!(stamp(t)))),
        }
        for (name, values) in fields {
            let v = rng.pick(values);
            if !v.is_empty() {
                e.insert((*name).into(), json!(v));
            }
        }
        out.push(Value::Object(e));
    }
    out
}

/// The events as a table with a column for every field they carry and every field `rules`
/// read (a column the statement names must exist).
fn table(events: &[Value], rules: &[vigil_ir::Rule]) -> Table {
    let rows = flat_rows(events);
    let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    for rule in rules {
        match &rule.body {
            RuleBody::Detection(e) => e.for_each_predicate(&mut |p| columns.extend(p.field.name().map(str::to_string))),
            RuleBody::Correlation(c) => {
                columns.extend(c.group_by.iter().flat_map(|g| std::iter::once(g.name.clone()).chain(g.per_rule.iter().map(|(_, f)| f.clone()))));
                columns.extend(c.value_fields());
            }
            RuleBody::Sequence(_) => {}
        }
    }
    columns.push("@timestamp".into());
    columns.sort();
    columns.dedup();
    // SQLite's column names ignore case: one column per spelling that differs in more.
    let mut seen = std::collections::BTreeSet::new();
    columns.retain(|c| seen.insert(c.to_lowercase()));
    let rows = rows.iter().map(|r| columns.iter().map(|c| r.get(c).cloned().flatten()).collect()).collect();
    Table { name: "events".into(), columns, rows }
}

/// An alert as both sides give it: group values, window start, window end, measure.
type Alert = (Vec<String>, i64, i64, i64);

/// Runs every correlation of `yaml` natively and in `engine`; returns (correlations
/// compared, alerts compared), after asserting they agree and the refusals are as `refused`.
fn compare(yaml: &str, events: &[Value], engine: Engine, refused: &[(&str, &str)]) -> (usize, usize) {
    let rules = vigil_conformance::rules(yaml);
    let none = pipeline("none");
    let target = if engine == Engine::Sqlite { Target::Sql } else { Target::Duckdb };
    let converted = convert_all(&rules, &none, target, &Options::default());
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (alerts, _) = correlate_through(yaml, &none, &refs, vigil_engine::Limits::default());
    let mut queries = Vec::new();
    let mut titles = Vec::new();
    for c in &converted {
        let RuleBody::Correlation(_) = c.rule.body else { continue };
        let title = c.rule.meta.title.clone();
        match (&c.query, refused.iter().find(|(t, _)| *t == title)) {
            (Ok(q), None) => {
                assert!(!q.contains('\n'), "{title}: `--format text` prints one statement per line");
                queries.push(q.clone());
                titles.push(title);
            }
            (Err(d), Some((_, code))) => assert_eq!(d.code, format!("emit::{}::{code}", target.name()), "{title}: {}", d.message),
            (Ok(_), Some(_)) => panic!("{title}: expected a refusal, got a statement"),
            (Err(d), None) => panic!("{title}: refused: {} {}", d.code, d.message),
        }
    }
    let answers = sql_rows::run(engine, &table(events, &rules), &queries);
    let mut total = 0;
    for (title, (query, got)) in titles.iter().zip(queries.iter().zip(&answers.results)) {
        let rows = got.as_ref().unwrap_or_else(|e| panic!("{title} fails in {} {}: {e}\n{query}", engine.name(), answers.version));
        let mut sql: Vec<Alert> = rows
            .iter()
            .map(|r| {
                let n = r.len();
                let num = |v: &Option<String>| v.as_deref().unwrap_or("?").parse::<f64>().unwrap_or(f64::NAN) as i64;
                (r[..n - 3].iter().map(|v| v.clone().unwrap_or_default()).collect(), num(&r[n - 3]), num(&r[n - 2]), num(&r[n - 1]))
            })
            .collect();
        let mut native: Vec<Alert> = alerts
            .iter()
            .filter(|(t, _)| t == title)
            .map(|(_, a)| (a.group.iter().map(|(_, v)| v.clone()).collect(), a.first_ts, a.last_ts, a.value as i64))
            .collect();
        sql.sort();
        native.sort();
        let only_sql: Vec<&Alert> = sql.iter().filter(|a| !native.contains(a)).collect();
        let only_native: Vec<&Alert> = native.iter().filter(|a| !sql.contains(a)).collect();
        assert!(
            sql == native,
            "{title}: {} {} disagrees with native correlation: {} alerts, {} native; only in SQL {only_sql:?}, only native {only_native:?}\n{query}",
            engine.name(),
            answers.version,
            sql.len(),
            native.len()
        );
        total += native.len();
    }
    (titles.len(), total)
}

fn fields() -> Vec<(&'static str, &'static [&'static str])> {
    vec![("EventID", &["1", "1", "2", "3"]), ("User", &["alice", "bob", "bob", ""]), ("Target", &["alice", "bob", ""]), ("Host", &["h1", "h2", "h3", ""])]
}

fn run_generated(engine: Engine) {
    let mut correlations = 0;
    let mut alerts = 0;
    let mut events_seen = 0;
    for seed in [1u64, 7, 42, 1234, 99_991] {
        let evs = events(seed, 240, &fields());
        events_seen += evs.len();
        let (c, a) = compare(RULES, &evs, engine, &[("sum refused", "correlation")]);
        correlations = c;
        alerts += a;
    }
    eprintln!("{}: {correlations} correlations, {events_seen} events, {alerts} alerts agree", engine.name());
    assert_eq!(correlations, 12, "every printable correlation was compared");
    // Not vacuous: the generated events set off alerts of every kind.
    assert!(alerts > 200, "only {alerts} alerts");
}

#[test]
fn stamps_are_rfc3339() {
    assert_eq!(stamp(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(stamp(BASE_MS), "2023-11-14T22:13:20.000Z");
    assert_eq!(stamp(951_825_600_001), "2000-02-29T12:00:00.001Z");
}

#[test]
fn correlations_agree_in_sqlite() {
    run_generated(Engine::Sqlite);
}

#[test]
fn correlations_agree_in_duckdb() {
    run_generated(Engine::Duckdb);
}

/// Hand-placed edges: threshold − 1 and threshold, exactly `timespan` apart (inside) and one
/// millisecond more (outside), the reset after firing.
#[test]
fn window_edges_agree() {
    let at = |ms: i64, user: &str| json!({"@timestamp": stamp(BASE_MS + ms), "EventID": 1, "User": user, "Host": format!("h{}", ms % 3)});
    let mut evs = vec![
        at(0, "alice"),
        at(5_000, "alice"),
        at(10_000, "alice"), // third within 10 s inclusive: fires
        at(10_000, "alice"), // reset: counts from one again
        at(20_001, "alice"), // 10 001 ms after the last: outside
        at(30_001, "alice"),
        at(40_001, "alice"), // exactly 10 s windows chained
        at(0, "bob"),
        at(10_001, "bob"),
        at(20_002, "bob"), // threshold − 1 in every window
        json!({"@timestamp": stamp(BASE_MS + 50_000), "EventID": 1}),
        json!({"@timestamp": stamp(BASE_MS + 50_001), "EventID": 1}),
        json!({"@timestamp": stamp(BASE_MS + 50_002), "EventID": 1}), // missing User: the group ''
        json!({"@timestamp": stamp(BASE_MS + 50_003), "EventID": 2, "Target": "alice", "User": "bob"}), // alias: A's User, B's Target
        json!({"@timestamp": stamp(BASE_MS + 60_003), "EventID": 2, "Target": "alice"}), // 10 s after alice's A: inside
        json!({"@timestamp": stamp(BASE_MS + 60_004), "EventID": 2, "Target": "bob"}),
    ];
    // In time order, as the engine is fed (ties keep their order).
    evs.sort_by_key(|e| e["@timestamp"].as_str().unwrap_or_default().to_string());
    for engine in [Engine::Sqlite, Engine::Duckdb] {
        let (_, alerts) = compare(RULES, &evs, engine, &[("sum refused", "correlation")]);
        assert!(alerts >= 4, "{}: {alerts} alerts", engine.name());
    }
}

/// SigmaHQ's correlation examples (testdata/sigmahq): the pysigma file's three
/// correlations run; the chained one (a correlation over a correlation) is refused.
#[test]
fn sigmahq_examples() {
    let dir = root().join("testdata/sigmahq/sigma/correlation-examples");
    let pysigma = std::fs::read_to_string(dir.join("pysigma/correlation_rule.yml")).unwrap();
    let fields: Vec<(&str, &[&str])> = vec![
        ("fieldA", &["value1", "value1", "value3", "x"]),
        ("fieldB", &["value2", "value2", "value4"]),
        ("fieldC", &["c1", "c2", ""]),
        ("fieldD", &["c1", "d1", "d2", ""]),
    ];
    for engine in [Engine::Sqlite, Engine::Duckdb] {
        let mut alerts = 0;
        for seed in [3u64, 5, 11] {
            // 15 minute windows: many events close together so `gte: 10` is reached.
            let evs: Vec<Value> = events(seed, 400, &fields);
            let (c, a) = compare(&pysigma, &evs, engine, &[]);
            assert_eq!(c, 3);
            alerts += a;
        }
        assert!(alerts > 20, "{}: {alerts} alerts", engine.name());
    }
    let chained = std::fs::read_to_string(dir.join("sigma-specification/spec_example_failed_logins_then_success.yml")).unwrap();
    let rules = vigil_conformance::rules(&chained);
    for target in [Target::Sql, Target::Duckdb] {
        let converted = convert_all(&rules, &pipeline("none"), target, &Options::default());
        let outer = converted.iter().find(|c| c.rule.meta.title.starts_with("Correlation - ")).unwrap();
        let d = outer.query.as_ref().unwrap_err();
        assert_eq!(d.code, format!("emit::{}::correlation", target.name()));
        assert!(d.message.contains("another correlation"), "{}", d.message);
        let inner = converted.iter().find(|c| c.rule.meta.title == "Multiple failed logons").unwrap();
        assert!(inner.query.as_ref().is_ok_and(|q| q.starts_with("WITH RECURSIVE")), "{:?}", inner.query);
    }
}

/// The regression events of SigmaHQ (testdata/sigmahq, and the shared directory's copy when
/// `$VIGIL_SHARED` is there), in time order with their `TimeCreated` as `@timestamp`, under
/// correlations over the SigmaHQ rules that match them most often: every kind, sliding and
/// tumbling, grouped by `Computer` or not.
#[test]
fn regression_events_agree() {
    for data in vigil_conformance::sigma_data() {
        let rules = vigil_conformance::emit_harness::load_rules(&data.rules);
        let records = vigil_conformance::emit_harness::read_events(&data.regression.join("regression_data"), "json");
        over_real_events(&data.name, &rules, &data.rules, &records, 10);
    }
}

/// The EVTX attack samples of the shared directory under SigmaHQ's Windows rules (run with
/// `$VIGIL_SHARED`; a few minutes).
#[test]
#[ignore]
fn evtx_attack_samples_agree() {
    let shared = vigil_conformance::shared();
    let dir = shared.join("corpus/sigma/rules/windows");
    let rules = vigil_conformance::emit_harness::load_rules(&dir);
    let mut records = Vec::new();
    for path in vigil_conformance::files_with_extension(&shared.join("datasets/evtx-attack-samples"), "evtx") {
        let bad = vigil_conformance::read_records(&path, &mut |json, _| records.push(serde_json::from_slice(json).unwrap())).unwrap();
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    }
    assert!(records.len() > 8000, "{} events", records.len());
    over_real_events("the EVTX attack samples", &rules, &dir, &records, 50);
}

/// EVTX records (as JSON) flattened as `emit_sql` flattens them, with `TimeCreated` as
/// `@timestamp`, in time order, under seven correlations (every kind, sliding and tumbling,
/// grouped by `Computer`, by `Channel` or not) over the four rules of `rules` (files under
/// `dir`) that match the most of them.
fn over_real_events(name: &str, rules: &[vigil_ir::Rule], dir: &std::path::Path, records: &[Value], min_alerts: usize) {
    let mut events: Vec<Value> = records
        .iter()
        .map(|record| {
            let mut row = vigil_conformance::emit_harness::sigma_row(record);
            if let Some(t) = record["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"].as_str() {
                row["@timestamp"] = json!(t);
            }
            row
        })
        .collect();
    events.sort_by_key(|e| e["@timestamp"].as_str().unwrap_or_default().to_string());
    // SQLite's column names ignore case: a field spelled in two cases (`ProcessId`,
    // `ProcessID`) keeps its first spelling, and the other is dropped from the event on both
    // sides.
    let mut canonical: BTreeMap<String, String> = BTreeMap::new();
    for e in &mut events {
        if let Some(map) = e.as_object_mut() {
            map.retain(|k, _| canonical.entry(k.to_lowercase()).or_insert_with(|| k.clone()) == k);
        }
    }
    // The detection rules (one document per file, an id) that match the most events.
    let program = vigil_conformance::compile_report(rules, &pipeline("none")).0;
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for titles in vigil_conformance::matches(&program, &refs) {
        for t in titles {
            *counts.entry(t).or_default() += 1;
        }
    }
    let mut ranked: Vec<(usize, &vigil_ir::Rule)> = rules
        .iter()
        .filter(|r| r.meta.id.is_some())
        // Keyword searches read the `_values` column, which `emit_sql` builds; not here.
        .filter(|r| {
            let mut keywords = false;
            r.detection().is_some_and(|e| {
                e.for_each_predicate(&mut |p| keywords |= p.field.name().is_none());
                !keywords
            })
        })
        .filter(|r| std::fs::read_to_string(dir.join(r.source.as_ref())).is_ok_and(|t| !t.contains("\n---")))
        .filter_map(|r| counts.get(&r.meta.title).map(|&n| (n, r)))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.meta.title.cmp(&b.1.meta.title)));
    let top: Vec<&vigil_ir::Rule> = ranked.iter().take(4).map(|(_, r)| *r).collect();
    assert_eq!(top.len(), 4, "{name}: too few matching rules");
    let id = |k: usize| top[k].meta.id.clone().unwrap();
    let all = (0..4).map(id).collect::<Vec<_>>().join(", ");
    let mut yaml: String = top.iter().map(|r| std::fs::read_to_string(dir.join(r.source.as_ref())).unwrap() + "\n---\n").collect();
    yaml.push_str(&format!(
        "title: c1\ncorrelation: {{type: event_count, rules: [{all}], group-by: [Computer], timespan: 1d, condition: {{gte: 2}}}}\n---\n\
         title: c2\ncorrelation: {{type: event_count, rules: [{all}], timespan: 30d, condition: {{gte: 3}}}}\n---\n\
         title: c3\ncorrelation: {{type: event_count, rules: [{all}], group-by: [Computer], timespan: 7d, condition: {{lt: 3}}}}\n---\n\
         title: c4\ncorrelation: {{type: value_count, rules: [{all}], group-by: [Computer], timespan: 30d, condition: {{gte: 2, field: EventID}}}}\n---\n\
         title: c5\ncorrelation: {{type: value_count, rules: [{all}], group-by: [Channel], timespan: 365d, condition: {{lte: 2, field: Computer}}}}\n---\n\
         title: c6\ncorrelation: {{type: temporal, rules: [{}, {}], group-by: [Computer], timespan: 3650d}}\n---\n\
         title: c7\ncorrelation: {{type: temporal_ordered, rules: [{}, {}], timespan: 3650d}}\n",
        id(0),
        id(1),
        id(1),
        id(0)
    ));
    for engine in [Engine::Sqlite, Engine::Duckdb] {
        let (c, alerts) = compare(&yaml, &events, engine, &[]);
        eprintln!("{} on {name}: {c} correlations, {} events, {alerts} alerts agree", engine.name(), events.len());
        assert_eq!(c, 7);
        assert!(alerts >= min_alerts, "{}: {alerts} alerts", engine.name());
    }
}
