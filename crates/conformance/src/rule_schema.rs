//! The published schemas of the native rule files (`testdata/rule-file-schemas.tsv`: Elastic
//! detection rules, Splunk `savedsearches.conf`, Microsoft Sentinel analytic rules), and a
//! check of one file's keys against them: every key listed, every required key present, each
//! value of its type and inside its constraint. The file is read into [`Value`]s by the
//! caller's parser (TOML, the `.conf` reader, YAML) and flattened to `table.key` names.

use std::collections::BTreeMap;

/// A value as the file's own parser typed it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Float(f64),
    /// A list; its items typed the same way.
    List(Vec<Value>),
    /// A table (map).
    Object,
}

/// One key of a format's schema.
#[derive(Clone, Debug)]
pub struct Field {
    pub key: String,
    pub ty: String,
    pub required: bool,
    pub constraint: String,
}

/// The keys of `format` (`elastic`, `splunk` or `sentinel`) as the schema file lists them.
pub fn schema(format: &str) -> Vec<Field> {
    let path = crate::root().join("testdata/rule-file-schemas.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fields: Vec<Field> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let [f, key, ty, required, constraint] = cols.as_slice() else { panic!("{}: not five columns: {l:?}", path.display()) };
            (*f == format).then(|| Field { key: key.to_string(), ty: ty.to_string(), required: *required == "yes", constraint: constraint.to_string() })
        })
        .collect();
    assert!(!fields.is_empty(), "no schema for {format} in {}", path.display());
    fields
}

/// The problems of one file's keys against `schema`, each naming the key. `text` is true for
/// formats whose values are all text (`.conf`): an integer or boolean is then text that
/// reads as one.
pub fn check(schema: &[Field], doc: &BTreeMap<String, Value>, text: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for f in schema {
        if f.required && !doc.contains_key(&f.key) {
            problems.push(format!("{}: required, missing", f.key));
        }
    }
    for (key, value) in doc {
        let Some(f) = schema.iter().find(|f| &f.key == key) else {
            problems.push(format!("{key}: not a key of the format"));
            continue;
        };
        let items: Vec<&Value> = match (f.ty.as_str(), value) {
            ("strings" | "objects", Value::List(items)) => items.iter().collect(),
            ("strings" | "objects", _) => {
                problems.push(format!("{key}: a {} where a list is wanted", kind(value)));
                continue;
            }
            _ => vec![value],
        };
        for item in items {
            if let Some(p) = type_problem(&f.ty, item, text) {
                problems.push(format!("{key}: {p}"));
            } else if let Some(p) = constraint_problem(&f.constraint, item) {
                problems.push(format!("{key}: {p}"));
            }
        }
    }
    problems
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Int(_) => "integer",
        Value::Bool(_) => "boolean",
        Value::Float(_) => "float",
        Value::List(_) => "list",
        Value::Object => "table",
    }
}

fn type_problem(ty: &str, v: &Value, text: bool) -> Option<String> {
    let ok = match (ty, v) {
        ("string" | "strings", Value::Str(_)) => true,
        ("integer", Value::Int(_)) => true,
        ("integer", Value::Str(s)) if text => s.parse::<i64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::Str(_)) if text => true,
        ("object" | "objects", Value::Object) => true,
        _ => false,
    };
    (!ok).then(|| format!("a {} where the schema wants {ty}", kind(v)))
}

fn constraint_problem(constraint: &str, v: &Value) -> Option<String> {
    let text = match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let (name, arg) = constraint.split_once(':').unwrap_or((constraint, ""));
    let ok = match name {
        "-" => true,
        "enum" => arg.split('|').any(|a| a == text),
        "re" => regex::Regex::new(arg).unwrap_or_else(|e| panic!("schema regex {arg}: {e}")).is_match(&text),
        "max" => text.chars().count() <= arg.parse::<usize>().unwrap(),
        "range" => {
            let (lo, hi) = arg.split_once("..").unwrap();
            text.parse::<i64>().is_ok_and(|n| n >= lo.parse().unwrap() && n <= hi.parse().unwrap())
        }
        "duration" => {
            let (lo, hi) = arg.split_once("..").unwrap();
            matches!((minutes(&text), minutes(lo), minutes(hi)), (Some(n), Some(lo), Some(hi)) if n >= lo && n <= hi)
        }
        "json" => serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|j| j.is_object()),
        other => panic!("unknown constraint {other}"),
    };
    (!ok).then(|| format!("{text:.80?} is outside {constraint}"))
}

/// Sentinel's `<n>m`, `<n>h`, `<n>d`, in minutes.
fn minutes(text: &str) -> Option<u64> {
    let (n, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "m" => n,
        "h" => n * 60,
        "d" => n * 24 * 60,
        _ => return None,
    })
}

/// A TOML document's keys, `table.key` for the keys of each top-level table.
pub fn from_toml(doc: &toml::Table) -> BTreeMap<String, Value> {
    fn value(v: &toml::Value) -> Value {
        match v {
            toml::Value::String(s) => Value::Str(s.clone()),
            toml::Value::Integer(i) => Value::Int(*i),
            toml::Value::Float(f) => Value::Float(*f),
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Datetime(d) => Value::Str(d.to_string()),
            toml::Value::Array(items) => Value::List(items.iter().map(value).collect()),
            toml::Value::Table(_) => Value::Object,
        }
    }
    let mut out = BTreeMap::new();
    for (k, v) in doc {
        match v {
            toml::Value::Table(t) => out.extend(t.iter().map(|(k2, v2)| (format!("{k}.{k2}"), value(v2)))),
            other => drop(out.insert(k.clone(), value(other))),
        }
    }
    out
}

/// A YAML document's top-level keys, typed by the YAML 1.2 core schema.
pub fn from_yaml(root: &vigil_yaml::Node) -> BTreeMap<String, Value> {
    fn value(n: &vigil_yaml::Node) -> Value {
        if let Some(items) = n.as_seq() {
            return Value::List(items.iter().map(value).collect());
        }
        match n.scalar() {
            Some(vigil_yaml::ScalarValue::Str(s)) => Value::Str(s.to_string()),
            Some(vigil_yaml::ScalarValue::Int(i)) => Value::Int(i),
            Some(vigil_yaml::ScalarValue::Bool(b)) => Value::Bool(b),
            Some(vigil_yaml::ScalarValue::Float(f)) => Value::Float(f),
            Some(vigil_yaml::ScalarValue::Null) => Value::Str(String::new()),
            None => Value::Object,
        }
    }
    let map = root.as_map().expect("a YAML mapping at the top");
    map.iter().map(|(k, v)| (k.as_str().expect("a string key").to_string(), value(v))).collect()
}

/// A `.conf` stanza's keys: every value text.
pub fn from_conf(keys: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    keys.iter().map(|(k, v)| (k.clone(), Value::Str(v.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_problem_is_caught() {
        let schema = schema("sentinel");
        let good: BTreeMap<String, Value> = [
            ("id", Value::Str("5d8fd9da-6916-45ef-8d4d-3fa9d19d1a64".into())),
            ("name", Value::Str("n".into())),
            ("description", Value::Str("d".into())),
            ("kind", Value::Str("Scheduled".into())),
            ("severity", Value::Str("High".into())),
            ("requiredDataConnectors", Value::List(vec![])),
            ("queryFrequency", Value::Str("1h".into())),
            ("queryPeriod", Value::Str("14d".into())),
            ("triggerOperator", Value::Str("gt".into())),
            ("triggerThreshold", Value::Int(0)),
            ("query", Value::Str("T | take 1".into())),
            ("tactics", Value::List(vec![Value::Str("Execution".into())])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(check(&schema, &good, false), Vec::<String>::new());
        let broken = |key: &str, v: Option<Value>| {
            let mut doc = good.clone();
            match v {
                Some(v) => drop(doc.insert(key.to_string(), v)),
                None => drop(doc.remove(key)),
            }
            check(&schema, &doc, false)
        };
        assert_eq!(broken("query", None).len(), 1, "missing required key");
        assert_eq!(broken("severity", Some(Value::Str("Critical".into()))).len(), 1, "outside the enumeration");
        assert_eq!(broken("queryPeriod", Some(Value::Str("15d".into()))).len(), 1, "duration too long");
        assert_eq!(broken("queryFrequency", Some(Value::Str("1w".into()))).len(), 1, "no such unit");
        assert_eq!(broken("triggerThreshold", Some(Value::Str("0".into()))).len(), 1, "a string for an integer");
        assert_eq!(broken("query", Some(Value::Str("x".repeat(10_001)))).len(), 1, "too long");
        assert_eq!(broken("tactics", Some(Value::Str("Execution".into()))).len(), 1, "not a list");
        assert_eq!(broken("tactics", Some(Value::List(vec![Value::Str("execution".into())]))).len(), 1, "an item outside");
        assert_eq!(broken("queryfrequency", Some(Value::Str("1h".into()))).len(), 1, "unknown key");
        let splunk = super::schema("splunk");
        let conf: BTreeMap<String, Value> = [("quantity", "x"), ("alert.severity", "7"), ("action.correlationsearch.annotations", "[1]")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        let problems = check(&splunk, &conf, true);
        // search, enableSched, cron_schedule, both dispatch times, counttype and relation
        // missing; three bad values.
        assert_eq!(problems.len(), 7 + 3, "{problems:?}");
    }
}
