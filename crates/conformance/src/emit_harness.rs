//! What the emitter suites (`tests/emit_sql.rs`, `emit_eql.rs`, `emit_sumo.rs`,
//! `emit_targets.rs`) share: one [`EmitSuite`] per target states only what differs (its
//! target, the words that mark a feature of its text, the titles of its files); the
//! snapshot pick, the refusal table, the generated events, native evaluation and the
//! agreement [`Report`] are written once here. Also loading the rules and events they
//! compare on, nesting generated events, and checked-in expectation files
//! (`VIGIL_BLESS=1` rewrites them).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // test harness: a failed expectation is a test failure

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use serde_json::Value;
use vigil_emit::{Converted, Target};
use vigil_engine::{Program, Scratch};
use vigil_events::{read_source, Input};
use vigil_ir::{Expr, Rule};
use vigil_pipeline::Pipeline;
use vigil_sigma::{link, load_str, LoadOptions};

use crate::generate::{events_for, Assignment};
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

/// At most this many generated events per rule (evenly spread), to keep the suites fast.
pub const PER_RULE: usize = 40;

/// What one target's suite states; the checked-in snapshot and refusal files are written
/// from it the same way for every target.
pub trait EmitSuite {
    fn target(&self) -> Target;
    /// Substrings whose presence in emitted text is a feature, for picking snapshot rules.
    fn feature_words(&self) -> &[&str];
    /// The snapshot file's first line, with its line feed.
    fn snapshot_title(&self) -> String;
    /// The refusal table's comment lines for the rules of `name` (`corpus`: the whole
    /// corpus, from an ignored test), each with its line feed.
    fn refusal_title(&self, name: &str, corpus: bool) -> String;

    /// The features of a rule's emitted text (or its refusal's code) and of its detection.
    fn features(&self, c: &Converted) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        match &c.query {
            Err(d) => drop(out.insert(d.code.to_string())),
            Ok(q) => out.extend(self.feature_words().iter().filter(|w| q.contains(*w)).map(|w| w.to_string())),
        }
        if let Some(e) = c.rule.detection() {
            let (mut has_not, mut has_field_ref) = (false, false);
            walk(e, &mut |x| {
                has_not |= matches!(x, Expr::Not(_));
                has_field_ref |= matches!(x, Expr::Compute { value, .. } if value.as_field_ref().is_some());
            });
            if has_not {
                out.insert("not".into());
            }
            // Sigma's `|fieldref` (a computed field comparison; it was a predicate kind).
            if has_field_ref {
                out.insert("FieldRef".into());
            }
            e.for_each_predicate(&mut |p| {
                let kind = format!("{:?}", p.test);
                out.insert(kind.split([' ', '(', '{']).next().unwrap_or_default().to_string());
            });
        }
        out
    }

    /// About 50 rules: first those that bring a feature no earlier pick has, then evenly
    /// spread; each with its text or its refusal.
    fn snapshots(&self, converted: &[Converted]) -> String {
        let mut out = self.snapshot_title();
        for i in representative(converted.iter().map(|c| self.features(c))) {
            let c = &converted[i];
            let text = match &c.query {
                Ok(q) => q.clone(),
                Err(d) => format!("refused [{}]: {}", d.code, d.message),
            };
            out.push_str(&format!("\n== {} ({})\n{text}\n", c.rule.source, c.rule.meta.handle()));
        }
        out
    }

    /// The refused rules of `converted`, one row each (file, handle, code), sorted.
    fn refusal_table(&self, name: &str, converted: &[Converted], corpus: bool) -> String {
        let mut table = self.refusal_title(name, corpus);
        table.push_str("file\thandle\tcode\n");
        let mut rows: Vec<String> =
            converted.iter().filter_map(|c| c.query.as_ref().err().map(|d| format!("{}\t{}\t{}\n", c.rule.source, c.rule.meta.handle(), d.code))).collect();
        rows.sort();
        table.extend(rows);
        table
    }
}

/// About 50 positions: first those whose features (one set per item, in order) bring one no
/// earlier pick has, then evenly spread; sorted. How snapshot files choose their rules.
pub fn representative(features: impl ExactSizeIterator<Item = BTreeSet<String>>) -> Vec<usize> {
    let len = features.len();
    let mut picked: Vec<usize> = Vec::new();
    let mut covered = BTreeSet::new();
    for (i, f) in features.enumerate() {
        if !f.is_subset(&covered) {
            covered.extend(f);
            picked.push(i);
        }
    }
    let stride = (len / 50).max(1);
    for i in (0..len).step_by(stride) {
        if picked.len() >= 50 {
            break;
        }
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    picked
}

/// The rules' events: `real` (every rule sees them) followed, when `generated`, by up to
/// [`PER_RULE`] events generated from each rule's IR; with the range of each rule's own.
pub fn with_generated<'a>(rules: impl IntoIterator<Item = &'a Rule>, real: Vec<Value>, generated: bool) -> (Vec<Value>, Vec<Range<usize>>) {
    let mut events = real;
    let mut own = Vec::new();
    for rule in rules {
        let start = events.len();
        if generated {
            let all: Vec<Value> = events_for(rule.detection().unwrap()).iter().filter_map(nest).collect();
            let stride = all.len().div_ceil(PER_RULE).max(1);
            events.extend(all.into_iter().step_by(stride));
        }
        own.push(start..events.len());
    }
    (events, own)
}

/// The rows each rule matches natively among `texts` (the rules compiled once into one
/// program), counting only the rows `sees(rule, row)` gives it.
pub fn native_matches(rules: &[Rule], pipeline: &Pipeline, texts: &[String], sees: &dyn Fn(usize, usize) -> bool) -> Vec<Vec<usize>> {
    // Each rule's position is its title (ids dropped), so results map back to positions.
    let numbered: Vec<Rule> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.meta.title = i.to_string();
            r.meta.id = None;
            r
        })
        .collect();
    let (program, compiled) = Program::compile(numbered, &pipeline.timestamp_fields);
    assert!(compiled.refused.is_empty(), "{:?}", compiled.refused);
    let mut out = vec![Vec::new(); rules.len()];
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    for (row, text) in texts.iter().enumerate() {
        view.clear();
        vigil_events::extract(text.as_bytes(), &program.fields, &mut view).unwrap();
        let mut found = Vec::new();
        program.matches(&view, None, &mut scratch, &mut found);
        for r in found {
            let i: usize = program.rules[r as usize].rule.meta.title.parse().unwrap();
            if sees(i, row) {
                out[i].push(row);
            }
        }
    }
    out
}

/// The outcome of one differential run: what was emitted and refused, and per compared
/// rule whether the target's answer is exactly native evaluation's.
#[derive(Debug, Default)]
pub struct Report {
    pub emitted: usize,
    /// Emitted rules with value lists (unresolved placeholders), proven apart
    /// (`tests/emit_lists.rs`), not compared here.
    pub lists: usize,
    /// Emitted correlation statements (sql, duckdb), proven apart against the native
    /// correlation engine (`tests/emit_correlation.rs`), not compared here.
    pub correlations: usize,
    pub refused: usize,
    pub compared: usize,
    pub with_matches: usize,
    pub agreements: usize,
    pub events: usize,
    pub mismatches: Vec<String>,
}

impl Report {
    /// Counts what `converted` emitted and refused.
    pub fn count(&mut self, converted: &[Converted]) {
        self.emitted += converted.iter().filter(|c| c.query.is_ok()).count();
        self.refused += converted.iter().filter(|c| c.query.is_err()).count();
    }

    /// Compares one rule's answer (`got`, or the engine's error) on the target called
    /// `engine` with the rows native evaluation matched.
    pub fn compare(&mut self, rule: &Rule, query: &str, engine: &str, got: Result<&[usize], String>, native: &[usize], texts: &[String]) {
        self.compared += 1;
        match got {
            Err(e) => self.mismatches.push(format!("{} ({}): {engine} error {e}\n  {query}", rule.source, rule.meta.handle())),
            Ok(got) if got == native => {
                self.agreements += 1;
                self.with_matches += usize::from(!got.is_empty());
            }
            Ok(got) => {
                let only_target: Vec<&usize> = got.iter().filter(|r| !native.contains(r)).collect();
                let only_native: Vec<&usize> = native.iter().filter(|r| !got.contains(r)).collect();
                let first = only_target.first().or(only_native.first()).map(|&&r| texts[r].as_str()).unwrap_or("");
                self.mismatches.push(format!(
                    "{} ({}): {} events only in {engine}, {} only native; first: {first}\n  {query}",
                    rule.source,
                    rule.meta.handle(),
                    only_target.len(),
                    only_native.len()
                ));
            }
        }
    }

    /// One line on stderr.
    pub fn summary(&self, name: &str) {
        eprintln!(
            "{name}: {} rules emitted ({} with value lists and {} correlations, proven apart), {} refused; {} events; {} rules compared, {} with at least one matching event, {} agree",
            self.emitted, self.lists, self.correlations, self.refused, self.events, self.compared, self.with_matches, self.agreements
        );
    }

    /// Fails the test on any disagreement, listing the first ones.
    pub fn assert_agree(&self) {
        assert!(
            self.mismatches.is_empty(),
            "{} of {} rules disagree:\n{}",
            self.mismatches.len(),
            self.compared,
            self.mismatches.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        );
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

/// Each event as one row ([`flatten`]).
pub fn flat_rows(events: &[Value]) -> Vec<BTreeMap<String, Option<String>>> {
    events
        .iter()
        .map(|e| {
            let mut row = BTreeMap::new();
            flatten(e, "", &mut row);
            row
        })
        .collect()
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
