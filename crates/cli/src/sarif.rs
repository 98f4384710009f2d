//! SARIF 2.1.0 logs (for GitHub code scanning and other CI): `check --format sarif` (one
//! result per diagnostic) and `hunt --format sarif` (one result per alert).
//!
//! A log holds one run of the tool `vigil`: `tool.driver.rules` describes each rule (a
//! diagnostic code for `check`, a Sigma rule for `hunt`) once, and every result points at
//! its rule by id and index, with the file (a URI reference: the path as given, with
//! characters URIs do not allow percent-encoded) and line where it was found. The whole log
//! is one JSON document, so it is written when the command ends.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use vigil_ir::Level;

/// The schema the log declares (the OASIS schema, as SchemaStore serves it).
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF level of a Sigma level: critical and high are errors, medium a warning, the rest notes.
pub fn level_of(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Critical | Level::High) => "error",
        Some(Level::Medium) => "warning",
        Some(Level::Low | Level::Informational) | None => "note",
    }
}

/// A path as a URI reference: unreserved characters and `/` `:` `@` `!` `$` `&` `'` `(` `)`
/// `*` `+` `,` `;` `=` as they are, every other byte percent-encoded (`\` becomes `/`, so
/// Windows paths read as paths).
pub fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        match b {
            b'\\' => out.push('/'),
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'=' => out.push(b as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Where a result was found.
pub struct Location<'a> {
    pub path: &'a str,
    /// 1-based; 0 when unknown (no region is written then).
    pub line: u64,
    /// 1-based; 0 when unknown.
    pub column: u64,
}

/// A SARIF log being built.
#[derive(Default)]
pub struct SarifLog {
    rules: Vec<Value>,
    index: HashMap<String, usize>,
    results: Vec<Value>,
}

impl SarifLog {
    /// The index of the rule `id`, describing it with `describe` the first time it is seen.
    pub fn rule(&mut self, id: &str, describe: impl FnOnce() -> Value) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let mut descriptor = describe();
        if let Some(object) = descriptor.as_object_mut() {
            object.insert("id".into(), Value::String(id.to_string()));
        }
        self.rules.push(descriptor);
        self.index.insert(id.to_string(), self.rules.len() - 1);
        self.rules.len() - 1
    }

    /// Adds a result of rule `id` (already described with [`SarifLog::rule`]).
    pub fn result(&mut self, id: &str, level: &str, message: String, at: &Location, properties: Option<Value>) {
        let index = self.index.get(id).copied().unwrap_or(0);
        let mut physical = json!({"artifactLocation": {"uri": uri_of(at.path)}});
        if at.line > 0 {
            let mut region = json!({"startLine": at.line});
            if at.column > 0 {
                region["startColumn"] = json!(at.column);
            }
            physical["region"] = region;
        }
        let mut result = json!({
            "ruleId": id,
            "ruleIndex": index,
            "level": level,
            "message": {"text": message},
            "locations": [{"physicalLocation": physical}],
        });
        if let Some(p) = properties {
            result["properties"] = p;
        }
        self.results.push(result);
    }

    /// Writes the log as one JSON document and a newline.
    pub fn write(&mut self, out: &mut impl Write) -> io::Result<()> {
        let log = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "vigil",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": std::mem::take(&mut self.rules),
                }},
                "results": std::mem::take(&mut self.results),
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_of("rules/a b.yml"), "rules/a%20b.yml");
        assert_eq!(uri_of("<builtin>/rules/x.yml"), "%3Cbuiltin%3E/rules/x.yml");
        assert_eq!(uri_of("C:\\logs\\é.json"), "C:/logs/%C3%A9.json");
    }

    #[test]
    fn rules_are_described_once_and_results_point_at_them() {
        let mut log = SarifLog::default();
        assert_eq!(log.rule("a", || json!({"name": "A"})), 0);
        assert_eq!(log.rule("b", || json!({})), 1);
        assert_eq!(log.rule("a", || json!({"name": "changed"})), 0);
        log.result("b", "note", "m".into(), &Location { path: "f", line: 0, column: 0 }, None);
        let mut out = Vec::new();
        log.write(&mut out).unwrap_or_default();
        let value: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(value["runs"][0]["tool"]["driver"]["rules"][0]["name"], "A");
        assert_eq!(value["runs"][0]["results"][0]["ruleIndex"], 1);
        assert!(value["runs"][0]["results"][0]["locations"][0]["physicalLocation"].get("region").is_none());
    }
}
