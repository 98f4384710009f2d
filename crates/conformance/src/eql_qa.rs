//! Elasticsearch's EQL QA suites as data: the indices (documents, mapping, harness
//! parameters), the TOML case files, and the suite → indices table. Everything lives in
//! `testdata/eql/es-qa` (ELv2, see its README), so the suites run on a fresh clone.
//!
//! The harness parameters are those of Elasticsearch's Java test harness, as the shared
//! conformance README gives them: the Endgame documents get `@timestamp = timestamp / 10000
//! - 11644473600000` (FILETIME → epoch milliseconds) and are ordered by `serial_event_id`;
//! `extra` and `missing-events` carry `@timestamp` as epoch-millisecond strings (or ISO dates) and order by
//! `sequence`; the sample indices have no tiebreaker and are identified by `id`.
//!
//! ```ignore
//! use vigil_conformance::eql_qa::{self, SUITES};
//! for suite in SUITES {
//!     let events: Vec<eql_qa::QaEvent> = suite.indices.iter().flat_map(|i| eql_qa::dataset(i).events).collect();
//!     for case in eql_qa::cases(suite.file) { /* run case.query over events */ }
//! }
//! ```

use std::path::PathBuf;

use serde_json::Value;

/// The directory of the vendored QA data.
pub fn dir() -> PathBuf {
    crate::root().join("testdata/eql/es-qa")
}

/// One QA index: where its documents and mapping are and how the harness reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// The index name the TOML suites query.
    pub name: &'static str,
    /// The documents, below `dir()/data` (a JSON array, `//` comment lines allowed).
    pub data: &'static str,
    /// The mapping, below `dir()/data` (JSON, `#` comment lines allowed).
    pub mapping: &'static str,
    /// The field holding the id the suites expect (`expected_event_ids`).
    pub id_field: &'static str,
    /// The tiebreaker field (orders events with the same timestamp), if the index has one.
    pub tiebreaker: Option<&'static str>,
    /// The documents carry an Endgame FILETIME `timestamp`, from which `@timestamp` (epoch
    /// milliseconds) is computed as the Elasticsearch loader does.
    pub endgame_timestamp: bool,
    /// How many documents the data file holds (a shrunken copy fails loudly).
    pub documents: usize,
}

/// The field every QA mapping aliases `event.category` to: the EQL category field.
pub const CATEGORY_FIELD: &str = "event_type";

/// Every QA index.
pub const INDICES: [Index; 7] = [
    Index {
        name: "endgame-140",
        data: "test_data.json",
        mapping: "endgame-140.mapping",
        id_field: "serial_event_id",
        tiebreaker: Some("serial_event_id"),
        endgame_timestamp: true,
        documents: 102,
    },
    Index {
        name: "extra",
        data: "extra.data",
        mapping: "extra.mapping",
        id_field: "sequence",
        tiebreaker: Some("sequence"),
        endgame_timestamp: false,
        documents: 23,
    },
    Index {
        name: "missing-events",
        data: "missing-events.data",
        mapping: "missing-events.mapping",
        id_field: "sequence",
        tiebreaker: Some("sequence"),
        endgame_timestamp: false,
        documents: 48,
    },
    Index { name: "sample1", data: "sample1.data", mapping: "sample1.mapping", id_field: "id", tiebreaker: None, endgame_timestamp: false, documents: 10 },
    Index { name: "sample2", data: "sample2.data", mapping: "sample2.mapping", id_field: "id", tiebreaker: None, endgame_timestamp: false, documents: 9 },
    Index { name: "sample3", data: "sample3.data", mapping: "sample3.mapping", id_field: "id", tiebreaker: None, endgame_timestamp: false, documents: 9 },
    Index {
        name: "sample-multi",
        data: "sample-multi.data",
        mapping: "sample-multi.mapping",
        id_field: "id",
        tiebreaker: None,
        endgame_timestamp: false,
        documents: 10,
    },
];

/// One TOML case file and the indices its queries run over (in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    /// The file name below `dir()`.
    pub file: &'static str,
    /// The indices the harness queries (a multi-index pattern for the sample suite).
    pub indices: &'static [&'static str],
    /// How many `[[queries]]` the file holds.
    pub cases: usize,
}

/// Every QA suite.
pub const SUITES: [Suite; 7] = [
    Suite { file: "test_queries.toml", indices: &["endgame-140"], cases: 133 },
    Suite { file: "additional_test_queries.toml", indices: &["endgame-140"], cases: 61 },
    Suite { file: "test_queries_date.toml", indices: &["endgame-140"], cases: 4 },
    Suite { file: "test_extra.toml", indices: &["extra"], cases: 40 },
    Suite { file: "test_missing_events.toml", indices: &["missing-events"], cases: 26 },
    Suite { file: "test_sample.toml", indices: &["sample1", "sample2", "sample3"], cases: 25 },
    Suite { file: "test_sample_multi.toml", indices: &["sample-multi"], cases: 9 },
];

/// The index called `name`; panics on an unknown name.
pub fn index(name: &str) -> Index {
    *INDICES.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no QA index {name}"))
}

/// The suite in `file`; panics on an unknown file.
pub fn suite(file: &str) -> Suite {
    *SUITES.iter().find(|s| s.file == file).unwrap_or_else(|| panic!("no QA suite {file}"))
}

/// One document of a QA index, with what the harness derives from it.
#[derive(Debug, Clone)]
pub struct QaEvent {
    /// The index it came from.
    pub index: &'static str,
    /// The document as indexed (Endgame documents with `@timestamp` added).
    pub json: Value,
    /// The value of the index's id field.
    pub id: i64,
    /// `@timestamp` in epoch milliseconds, when the document has one.
    pub timestamp: Option<i64>,
    /// The tiebreaker value, when the index has a tiebreaker.
    pub tiebreaker: Option<i64>,
}

/// A loaded index: its documents (in file order) and its mapping text.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The index.
    pub index: Index,
    /// The documents, in file order.
    pub events: Vec<QaEvent>,
    /// The mapping JSON with `#` comment lines removed and the harness placeholder
    /// `[runtime_random_keyword_type]` replaced by `keyword`.
    pub mapping: String,
}

/// Loads the index `name`: documents (count checked), derived timestamps and ids, mapping.
pub fn dataset(name: &str) -> Dataset {
    let index = index(name);
    let data_dir = dir().join("data");
    let raw = read(&data_dir.join(index.data));
    let docs: Vec<Value> = parse_data(&raw).unwrap_or_else(|e| panic!("{}: {e}", index.data));
    assert_eq!(docs.len(), index.documents, "{}: document count", index.data);
    let events = docs.into_iter().map(|doc| qa_event(&index, doc)).collect();
    let mapping = mapping_text(&read(&data_dir.join(index.mapping)));
    Dataset { index, events, mapping }
}

/// The schema Elasticsearch searches `datasets` with: every index's mapping merged (a
/// `date` field's formats per index all tried), and the fields the documents carry that no
/// mapping names added as dynamic (Elasticsearch maps them when it indexes the data). One
/// harness correction: the `extra` index's `version` is typed `version`. The vendored
/// `extra.mapping` (commit `b30f439`) predates Elasticsearch's `version` support in EQL
/// (elastic/elasticsearch#87590), whose QA mapping types it so; the expected answers of
/// `sequenceWithVersionRangeCheck*` (`"1.11.3" > "1.5.0"`, `"bad"` after every version)
/// hold only under that type.
pub fn schema(datasets: &[Dataset]) -> vigil_eql::schema::Schema {
    let mut schema = vigil_eql::schema::Schema::default();
    for d in datasets {
        let mut one = vigil_eql::schema::Schema::from_mapping(&d.mapping).unwrap_or_else(|e| panic!("{}: {e}", d.index.mapping));
        if d.index.name == "extra" {
            one.insert("version", vigil_ir::FieldType::Version);
        }
        schema.merge(one);
    }
    for d in datasets {
        for e in &d.events {
            add_fields(&mut schema, "", &e.json);
        }
    }
    schema
}

/// Adds every leaf field path of `json` (objects walked, dotted names kept whole).
fn add_fields(schema: &mut vigil_eql::schema::Schema, prefix: &str, json: &Value) {
    match json {
        Value::Object(map) => {
            for (name, value) in map {
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                add_fields(schema, &path, value);
            }
        }
        _ if !prefix.is_empty() => schema.add_dynamic(prefix),
        _ => {}
    }
}

/// The documents of a `.data` file: a JSON array whose lines may be `//` comments.
pub fn parse_data(text: &str) -> Result<Vec<Value>, String> {
    let json: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).flat_map(|l| [l, "\n"]).collect();
    serde_json::from_str(&json).map_err(|e| e.to_string())
}

/// A `.mapping` file as strict JSON text: `#` comment lines dropped, the random keyword
/// type placeholder replaced by `keyword`.
pub fn mapping_text(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).flat_map(|l| [l, "\n"]).collect::<String>().replace("[runtime_random_keyword_type]", "keyword")
}

fn qa_event(index: &Index, mut json: Value) -> QaEvent {
    let int = |v: &Value| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    if index.endgame_timestamp {
        let filetime = json.get("timestamp").and_then(Value::as_i64).unwrap_or_else(|| panic!("{}: Endgame document without timestamp: {json}", index.name));
        if let Some(object) = json.as_object_mut() {
            object.insert("@timestamp".into(), Value::from(filetime / 10_000 - 11_644_473_600_000));
        }
    }
    let id = json.get(index.id_field).and_then(int).unwrap_or_else(|| panic!("{}: document without {}: {json}", index.name, index.id_field));
    // Elasticsearch's default date format: an ISO date-time, or epoch milliseconds (as a
    // number or a string of digits; never seconds).
    let timestamp = json.get("@timestamp").and_then(|t| int(t).or_else(|| t.as_str().and_then(vigil_engine::time::parse_timestamp)));
    let tiebreaker = index.tiebreaker.and_then(|t| json.get(t)).and_then(int);
    QaEvent { index: index.name, json, id, timestamp, tiebreaker }
}

/// One `[[queries]]` entry of a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The suite file it came from.
    pub file: &'static str,
    /// `name`.
    pub name: String,
    /// `query`, as written.
    pub query: String,
    /// `expected_event_ids`: the acceptable answers (one list, or several when the result is
    /// not deterministic). Each answer is the flattened ids of the returned events, in order.
    pub expected: Vec<Vec<i64>>,
    /// `join_keys`: the flattened join-key values of every returned sequence/sample, as
    /// strings (`"null"` for a null key), when the case gives them.
    pub join_keys: Option<Vec<String>>,
    /// `size` (a request parameter), when given.
    pub size: Option<usize>,
    /// `max_samples_per_key` (a request parameter), when given.
    pub max_samples_per_key: Option<usize>,
}

/// The cases of a suite file (count checked against [`SUITES`]).
pub fn cases(file: &str) -> Vec<Case> {
    let suite = suite(file);
    let text = read(&dir().join(suite.file));
    let out = parse_cases(suite.file, &text).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(out.len(), suite.cases, "{file}: case count");
    out
}

/// Parses a suite file's text. Bare `null` in `join_keys` (accepted by Elasticsearch's
/// lenient TOML reader, not by TOML 1.0) is read as the string `"null"`.
pub fn parse_cases(file: &'static str, text: &str) -> Result<Vec<Case>, String> {
    let text = quote_bare_nulls(text);
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let Some(queries) = table.get("queries").and_then(toml::Value::as_array) else { return Ok(Vec::new()) };
    queries.iter().map(|q| parse_case(file, q)).collect()
}

fn parse_case(file: &'static str, q: &toml::Value) -> Result<Case, String> {
    let name = q.get("name").and_then(toml::Value::as_str).ok_or("a case without `name`")?.to_string();
    let query = q.get("query").and_then(toml::Value::as_str).ok_or_else(|| format!("{name}: no `query`"))?.to_string();
    let ids = q.get("expected_event_ids").and_then(toml::Value::as_array).ok_or_else(|| format!("{name}: no `expected_event_ids`"))?;
    let id_list =
        |v: &[toml::Value]| v.iter().map(|i| i.as_integer().ok_or_else(|| format!("{name}: id {i} is not an integer"))).collect::<Result<Vec<i64>, String>>();
    let expected = if ids.iter().all(toml::Value::is_array) && !ids.is_empty() {
        ids.iter().map(|a| id_list(a.as_array().map(Vec::as_slice).unwrap_or_default())).collect::<Result<_, _>>()?
    } else {
        vec![id_list(ids)?]
    };
    let join_keys = match q.get("join_keys").and_then(toml::Value::as_array) {
        None => None,
        Some(keys) => {
            Some(keys.iter().map(|k| k.as_str().map(String::from).ok_or_else(|| format!("{name}: join key {k} is not a string"))).collect::<Result<_, _>>()?)
        }
    };
    let count = |key: &str| q.get(key).and_then(toml::Value::as_integer).and_then(|n| usize::try_from(n).ok());
    Ok(Case { file, name, query, expected, join_keys, size: count("size"), max_samples_per_key: count("max_samples_per_key") })
}

/// `join_keys = [null, "x"]` → `join_keys = ["null", "x"]` (only on `join_keys` lines and
/// their continuation lines, and only outside strings).
fn quote_bare_nulls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_keys = false;
    for line in text.lines() {
        if line.trim_start().starts_with("join_keys") {
            in_keys = true;
        }
        if in_keys {
            out.push_str(&quote_nulls_outside_strings(line));
            if line.contains(']') {
                in_keys = false;
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn quote_nulls_outside_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_string = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            in_string = !in_string;
        }
        let bare_null = !in_string
            && rest.starts_with("null")
            && !out.ends_with(|p: char| p.is_alphanumeric() || p == '_')
            && !rest[4..].starts_with(|n: char| n.is_alphanumeric() || n == '_');
        if bare_null {
            out.push_str("\"null\"");
            rest = &rest[4..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A known-failures file of `testdata/` (tab-separated `file`, case, reason; `#` comments,
/// one header line) as `"file\tcase"` → reason.
pub fn known_failures(name: &str) -> std::collections::BTreeMap<String, String> {
    let text = read(&crate::root().join("testdata").join(name));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (file, case, reason) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""), cols.next().unwrap_or(""));
            assert!(!reason.trim().is_empty(), "{name}: `{l}` gives no reason");
            (format!("{file}\t{case}"), reason.to_string())
        })
        .collect()
}
