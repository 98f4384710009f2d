//! SARIF 2.1.0 logs (for GitHub code scanning and other CI): `check --format sarif` (one
//! result per diagnostic) and `hunt --format sarif` (one result per alert).
//!
//! A log holds one run of the tool `vigil`: `tool.driver.rules` describes each rule (a
//! diagnostic code for `check`, a Sigma rule for `hunt`) once, and every result points at
//! its rule by id and index, with the file (a URI reference: the path as given, with
//! characters URIs do not allow percent-encoded) and line where it was found. Results are
//! written as they come (one per line, so a run with millions of alerts holds only its rule
//! descriptors); the `tool` object, which lists the rules seen, closes the log at the end.

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

/// A SARIF log being written.
#[derive(Default)]
pub struct SarifLog {
    rules: Vec<Value>,
    index: HashMap<String, usize>,
    /// True once the opening of the log and the `results` array are written.
    started: bool,
    /// Results written so far.
    results: usize,
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

    /// Writes the opening of the log, once.
    fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            self.started = true;
            write!(out, "{{\"$schema\":\"{SCHEMA}\",\"version\":\"2.1.0\",\"runs\":[{{\"results\":[")?;
        }
        Ok(())
    }

    /// Writes a result of rule `id` (already described with [`SarifLog::rule`]).
    pub fn result(&mut self, out: &mut impl Write, id: &str, level: &str, message: String, at: &Location, properties: Option<Value>) -> io::Result<()> {
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
        self.start(out)?;
        out.write_all(if self.results == 0 { b"\n" } else { b",\n" })?;
        self.results += 1;
        serde_json::to_writer(&mut *out, &result)?;
        Ok(())
    }

    /// Ends the log: the `tool` object with every rule seen, and a newline.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.start(out)?;
        let tool = json!({"driver": {"name": "vigil", "version": env!("CARGO_PKG_VERSION"), "rules": std::mem::take(&mut self.rules)}});
        write!(out, "\n],\"tool\":")?;
        serde_json::to_writer(&mut *out, &tool)?;
        writeln!(out, "}}]}}")
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
        let mut out = Vec::new();
        log.result(&mut out, "b", "note", "m".into(), &Location { path: "f", line: 0, column: 0 }, None).unwrap_or_default();
        log.result(&mut out, "a", "note", "n".into(), &Location { path: "f", line: 3, column: 0 }, None).unwrap_or_default();
        log.finish(&mut out).unwrap_or_default();
        let value: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(value["runs"][0]["tool"]["driver"]["rules"][0]["name"], "A");
        assert_eq!(value["runs"][0]["results"][0]["ruleIndex"], 1);
        assert!(value["runs"][0]["results"][0]["locations"][0]["physicalLocation"].get("region").is_none());
        assert_eq!(value["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
        assert_eq!(value["version"], "2.1.0");
        // An empty log is a log.
        let mut empty = Vec::new();
        SarifLog::default().finish(&mut empty).unwrap_or_default();
        let value: Value = serde_json::from_slice(&empty).unwrap_or_default();
        assert_eq!(value["runs"][0]["results"].as_array().map(Vec::len), Some(0));
    }
}
