//! Helpers the emitter suites share (`tests/emit_sql.rs`, `tests/emit_eql.rs`): loading the
//! rules and events they compare on, nesting generated events, and checked-in expectation
//! files (`VIGIL_BLESS=1` rewrites them).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // test harness: a failed expectation is a test failure

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use vigil_events::{read_source, Input};
use vigil_ir::{Expr, Rule};
use vigil_sigma::{link, load_str, LoadOptions};

use crate::generate::Assignment;
use crate::{files_with_extension, root};

/// Loads and links every rule file under `dir` (files that fail to load are skipped: the
/// corpus suite accounts for them).
pub fn load_rules(dir: &std::path::Path) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    for path in files_with_extension(dir, "yml") {
        let rel = path.strip_prefix(dir).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut loaded = load_str(Arc::from(rel.as_str()), &text, &LoadOptions::default());
        if loaded.errors.is_empty() {
            rules.append(&mut loaded.rules);
            filters.append(&mut loaded.filters);
        }
    }
    let _ = link(&mut rules, &filters);
    rules
}

/// Every record of the JSON files under `dir` (or the file `dir`).
pub fn read_events(path: &std::path::Path, extension: &str) -> Vec<Value> {
    let files = if path.is_dir() { files_with_extension(path, extension) } else { vec![path.to_path_buf()] };
    let mut out = Vec::new();
    for f in files {
        read_source(&Input::Path(f.clone()), &mut |chunk| {
            assert!(chunk.errors.is_empty(), "{}: {:?}", f.display(), chunk.errors);
            out.extend(chunk.records.iter().map(|s| serde_json::from_slice::<Value>(chunk.record(s)).unwrap()));
            true
        })
        .unwrap();
    }
    out
}

/// A generated assignment as a nested JSON event; `None` when two fields collide (`a` and
/// `a.b`).
pub fn nest(a: &Assignment) -> Option<Value> {
    let mut root = serde_json::Map::new();
    for (field, value) in a {
        let Some(value) = value else { continue };
        let parts: Vec<&str> = field.split('.').collect();
        let (last, path) = parts.split_last()?;
        let mut map = &mut root;
        for p in path {
            map = map.entry(p.to_string()).or_insert_with(|| Value::Object(Default::default())).as_object_mut()?;
        }
        if map.contains_key(*last) {
            return None;
        }
        map.insert(last.to_string(), Value::String(value.clone()));
    }
    Some(Value::Object(root))
}

/// Compares `actual` with the checked-in file, or rewrites it under `VIGIL_BLESS=1`.
pub fn expect_file(name: &str, actual: &str) {
    let path = root().join("testdata").join(name);
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let diff: Vec<String> = actual.lines().filter(|l| !expected.lines().any(|e| e == *l)).take(20).map(|l| format!("+ {l}")).collect();
        panic!("testdata/{name} differs (VIGIL_BLESS=1 rewrites it):\n{}", diff.join("\n"));
    }
}

/// An EVTX record (the `evtx` crate's JSON) as one flat row of Sigma field names, as a
/// table built for SQL holds it: `EventData` and `UserData` values by their names, and the
/// system fields rules use (`EventID`, `Channel`, `Provider_Name`, `Computer`, ...).
pub fn sigma_row(record: &Value) -> Value {
    let mut row = serde_json::Map::new();
    let system = &record["Event"]["System"];
    for key in ["EventID", "Channel", "Computer", "Level", "Task", "Keywords", "EventRecordID"] {
        if let Some(v) = system.get(key).filter(|v| !v.is_object()) {
            row.insert(key.to_string(), v.clone());
        }
    }
    if let Some(name) = system["Provider"]["#attributes"].get("Name") {
        row.insert("Provider_Name".into(), name.clone());
    }
    let mut data: Vec<(&String, &Value)> = Vec::new();
    if let Some(map) = record["Event"]["EventData"].as_object() {
        data.extend(map.iter());
    }
    if let Some(map) = record["Event"]["UserData"].as_object() {
        data.extend(map.values().filter_map(Value::as_object).flat_map(|m| m.iter()));
    }
    for (k, v) in data {
        if !k.starts_with('#') && !v.is_object() {
            row.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Value::Object(row)
}

pub fn walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|x| walk(x, f)),
        Expr::Not(inner) | Expr::Named { expr: inner, .. } => walk(inner, f),
        _ => {}
    }
}

/// Drops array values (the `sql` target's table has scalar columns only; native evaluation
/// sees the same event), counting them.
pub fn without_arrays(v: &mut Value, dropped: &mut usize) {
    if let Value::Object(map) = v {
        let before = map.len();
        map.retain(|_, x| !x.is_array());
        *dropped += before - map.len();
        map.values_mut().for_each(|x| without_arrays(x, dropped));
    }
}

/// The event as one row: nested keys joined with dots, values as text, null as NULL.
pub fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, Option<String>>) {
    match v {
        Value::Object(map) => map.iter().for_each(|(k, x)| flatten(x, &if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, out)),
        Value::Null => drop(out.insert(prefix.into(), None)),
        Value::String(s) => drop(out.insert(prefix.into(), Some(s.clone()))),
        other => drop(out.insert(prefix.into(), Some(other.to_string()))),
    }
}
