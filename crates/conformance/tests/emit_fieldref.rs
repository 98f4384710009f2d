#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Proof by meaning for `|fieldref|cased` in the `sql` and `duckdb` targets: each rule runs
//! in SQLite and DuckDB over pairs of values chosen around each comparison's edges (equal,
//! one character more or less, a prefix, a suffix, an inner part, empty, case differing,
//! non-ASCII, numbers, either side missing or null) and must return exactly the events
//! native evaluation matches, also under `not`. Case-insensitive field references are
//! refused by name.

use serde_json::{json, Value};
use vigil_conformance::emit_harness::flat_rows;
use vigil_conformance::sql_engine::{self, Engine, Table};
use vigil_conformance::{compile, matches, pipeline, rules};
use vigil_emit::{convert_all, Options, Target};

const RULES: &str = r#"
title: equals
logsource: {product: test}
detection: {sel: {a|fieldref|cased: b}, condition: sel}
---
title: startswith
logsource: {product: test}
detection: {sel: {a|fieldref|cased|startswith: b}, condition: sel}
---
title: endswith
logsource: {product: test}
detection: {sel: {a|fieldref|cased|endswith: b}, condition: sel}
---
title: contains
logsource: {product: test}
detection: {sel: {a|fieldref|cased|contains: b}, condition: sel}
---
title: not equals
logsource: {product: test}
detection: {sel: {a|fieldref|cased: b}, condition: not sel}
---
title: not contains
logsource: {product: test}
detection: {sel: {a|fieldref|cased|contains: b}, condition: not sel}
---
title: insensitive
logsource: {product: test}
detection: {sel: {a|fieldref: b}, condition: sel}
"#;

fn events() -> Vec<Value> {
    let values: &[Option<Value>] = &[
        None,
        Some(Value::Null),
        Some(json!("")),
        Some(json!("abc")),
        Some(json!("ab")),
        Some(json!("bc")),
        Some(json!("b")),
        Some(json!("abcd")),
        Some(json!("ABC")),
        Some(json!("héllo")),
        Some(json!("llo")),
        Some(json!("HÉLLO")),
        Some(json!(12)),
        Some(json!("12")),
        Some(json!("1")),
        Some(json!(true)),
        Some(json!("true")),
    ];
    let mut out = Vec::new();
    for a in values {
        for b in values {
            let mut e = serde_json::Map::new();
            e.insert("x".into(), json!(1));
            if let Some(a) = a {
                e.insert("a".into(), a.clone());
            }
            if let Some(b) = b {
                e.insert("b".into(), b.clone());
            }
            out.push(Value::Object(e));
        }
    }
    out
}

#[test]
fn cased_fieldref_agrees_in_sqlite_and_duckdb() {
    let rules = rules(RULES);
    let events = events();
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let program = compile(&rules, &pipeline("none"));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let hits = matches(&program, &refs);
    let rows = flat_rows(&events);
    let columns = vec!["a".to_string(), "b".to_string(), "x".to_string()];
    let table = Table {
        name: "events".into(),
        columns: columns.clone(),
        rows: rows.iter().map(|r| columns.iter().map(|c| r.get(c).cloned().flatten()).collect()).collect(),
    };
    for (engine, target) in [(Engine::Sqlite, Target::Sql), (Engine::Duckdb, Target::Duckdb)] {
        let converted = convert_all(&rules, &pipeline("none"), target, &Options::default());
        let mut queries = Vec::new();
        let mut natives = Vec::new();
        for c in &converted {
            let title = c.rule.meta.title.as_str();
            if title == "insensitive" {
                let d = c.query.as_ref().unwrap_err();
                assert_eq!(d.code, format!("emit::{}::fieldref", target.name()));
                continue;
            }
            queries.push((c.query.clone().unwrap_or_else(|d| panic!("{title}: {}", d.message)), Vec::new()));
            natives.push((title, hits.iter().enumerate().filter(|(_, h)| h.iter().any(|t| t == title)).map(|(i, _)| i).collect::<Vec<_>>()));
        }
        let answers = sql_engine::run(engine, &table, table.rows.len(), &queries);
        for ((title, native), (got, (query, _))) in natives.iter().zip(answers.results.iter().zip(&queries)) {
            let got = got.as_ref().unwrap_or_else(|e| panic!("{title} fails in {}: {e}\n{query}", engine.name()));
            assert_eq!(got, native, "{title}: {} {} disagrees\n{query}", engine.name(), answers.version);
            assert!(!native.is_empty() && native.len() < events.len(), "{title}: {} of {} events match", native.len(), events.len());
        }
    }
}
