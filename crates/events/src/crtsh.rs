//! crt.sh (Certificate Transparency search) JSON: the array `https://crt.sh/?q=…&output=json`
//! returns, one object per logged certificate (`id`, `issuer_ca_id`, `issuer_name`,
//! `common_name`, `name_value` (the names, newline-separated), `entry_timestamp`,
//! `not_before`, `not_after`, `serial_number`, `result_count`).
//!
//! The array is split into records by the JSON splitter ([`crate::split`], streaming); each
//! record is rendered again with the ECS x509 fields added (`x509.subject.common_name`,
//! `x509.alternative_names`, `x509.issuer.*`, `x509.serial_number`, `x509.not_before`/
//! `not_after`, `@timestamp` from `entry_timestamp`) and its own fields kept. A record that
//! is not an object is reported with its line and skipped.

use serde_json::{Map, Value};

use crate::reader::{BadRecord, Chunk, RecordSpan};
use crate::zeek_ecs::{dn_values, put};

/// True when decoded text starting with `head` is crt.sh output: a JSON array whose first
/// object has `issuer_ca_id`.
pub fn looks_like_crtsh(head: &[u8]) -> bool {
    let text = head.trim_ascii_start();
    text.starts_with(b"[") && memchr::memmem::find(text.get(..4096).unwrap_or(text), b"\"issuer_ca_id\"").is_some()
}

/// The chunk with every record rendered under ECS x509 names.
pub fn convert(chunk: Chunk) -> Chunk {
    let mut out = Chunk { source: chunk.source.clone(), errors: chunk.errors.clone(), ..Chunk::default() };
    for span in &chunk.records {
        let bad = |message: String| BadRecord { source: chunk.source.clone(), line: span.line, message };
        let object = match serde_json::from_slice::<Value>(chunk.record(span)) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                out.errors.push(bad("crt.sh record skipped: not an object".into()));
                continue;
            }
            Err(e) => {
                out.errors.push(bad(format!("crt.sh record skipped: not valid JSON: {e}")));
                continue;
            }
        };
        let start = out.data.len();
        if serde_json::to_writer(&mut out.data, &render(object)).is_err() {
            out.data.truncate(start);
            out.errors.push(bad("crt.sh record could not be rendered".into()));
            continue;
        }
        out.records.push(RecordSpan { start, end: out.data.len(), line: span.line });
    }
    out
}

/// One crt.sh object with its ECS fields.
pub fn render(object: Map<String, Value>) -> Value {
    let mut doc = object.clone();
    let text = |name: &str| object.get(name).and_then(Value::as_str);
    put(&mut doc, "event.module", "crtsh".into());
    put(&mut doc, "event.dataset", "crtsh.certificate".into());
    put(&mut doc, "event.kind", "event".into());
    if let Some(t) = text("entry_timestamp") {
        put(&mut doc, "@timestamp", utc(t).into());
    }
    if let Some(issuer) = text("issuer_name") {
        put(&mut doc, "x509.issuer.distinguished_name", issuer.into());
        for (key, name) in [("CN", "common_name"), ("O", "organization"), ("OU", "organizational_unit"), ("C", "country")] {
            let values = dn_values(issuer, key);
            if !values.is_empty() {
                put(&mut doc, &format!("x509.issuer.{name}"), values.into());
            }
        }
    }
    if let Some(cn) = text("common_name") {
        put(&mut doc, "x509.subject.common_name", Value::Array(vec![cn.into()]));
    }
    if let Some(names) = text("name_value") {
        let names: Vec<Value> = names.split('\n').map(str::trim).filter(|n| !n.is_empty()).map(Value::from).collect();
        put(&mut doc, "x509.alternative_names", Value::Array(names));
    }
    if let Some(serial) = text("serial_number") {
        put(&mut doc, "x509.serial_number", serial.to_ascii_uppercase().into());
    }
    for (from, to) in [("not_before", "x509.not_before"), ("not_after", "x509.not_after")] {
        if let Some(t) = text(from) {
            put(&mut doc, to, utc(t).into());
        }
    }
    Value::Object(doc)
}

/// crt.sh times are UTC without a zone (`2023-01-01T00:00:00`): `Z` is added.
fn utc(t: &str) -> String {
    if t.ends_with('Z') || t.contains('+') {
        t.to_string()
    } else {
        format!("{t}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crtsh_object_gets_ecs_x509_fields() {
        let object = serde_json::json!({
            "issuer_ca_id": 183267, "issuer_name": "C=US, O=Let's Encrypt, CN=R3", "common_name": "example.com",
            "name_value": "example.com\nwww.example.com", "id": 8_000_000_001u64, "entry_timestamp": "2026-10-01T08:00:01.123",
            "not_before": "2026-10-01T07:00:00", "not_after": "2026-12-30T07:00:00", "serial_number": "04ab", "result_count": 2
        });
        let Value::Object(object) = object else { unreachable!() };
        let doc = render(object);
        assert_eq!(doc["x509"]["issuer"]["common_name"], serde_json::json!(["R3"]));
        assert_eq!(doc["x509"]["issuer"]["organization"], serde_json::json!(["Let's Encrypt"]));
        assert_eq!(doc["x509"]["subject"]["common_name"], serde_json::json!(["example.com"]));
        assert_eq!(doc["x509"]["alternative_names"], serde_json::json!(["example.com", "www.example.com"]));
        assert_eq!(doc["x509"]["serial_number"], "04AB");
        assert_eq!(doc["x509"]["not_after"], "2026-12-30T07:00:00Z");
        assert_eq!(doc["@timestamp"], "2026-10-01T08:00:01.123Z");
        assert_eq!(doc["issuer_ca_id"], 183267);
        assert!(looks_like_crtsh(b" [{\"issuer_ca_id\":1}]"));
        assert!(!looks_like_crtsh(b"[{\"a\":1}]"));
    }
}
