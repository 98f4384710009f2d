//! Zeek records rendered as JSON under ECS names (as Filebeat's Zeek module writes them)
//! and under their original Zeek names, so rules written for either match.
//!
//! Every record keeps its Zeek fields (dotted names nested: `id.orig_h` is `id` → `orig_h`)
//! and gains `@timestamp`, `event.module: zeek`, `event.dataset: zeek.<path>` and the ECS
//! fields of its path: `source.*`/`destination.*` from `id.*`; ssl → `tls.*` (with the
//! joined certificate under `tls.server.x509.*`, `tls.server.hash.sha256`,
//! `tls.server.subject`/`issuer`, `tls.server.not_before`/`not_after`); x509 → `x509.*`;
//! conn → `network.*`, bytes and packets; notice → `rule.name`, `message`.

use serde_json::{Map, Value};

use crate::zeek::ZeekRecord;

/// What became of an ssl record's certificate join, written to `vigil.x509`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Join<'a> {
    /// Not an ssl record, or one without a certificate chain.
    None,
    Found(&'a ZeekRecord),
    /// The chain names a certificate that the x509 log beside it does not hold.
    NotFound,
    /// No x509 log was found beside the ssl log.
    NoX509Log,
    /// The x509 log held more certificates than are kept ([`crate::zeek_join::MAX_CERTIFICATES`]).
    Dropped,
}

/// The document for `record`.
pub fn render(record: &ZeekRecord, join: Join<'_>) -> Value {
    let mut doc = Map::new();
    for (name, value) in &record.fields {
        put(&mut doc, name, value.clone());
    }
    let get = |name: &str| record.get(name).cloned();
    if let Some(ts) = get("ts") {
        put(&mut doc, "@timestamp", timestamp(&ts));
    }
    put(&mut doc, "event.module", "zeek".into());
    put(&mut doc, "event.dataset", format!("zeek.{}", record.path).into());
    put(&mut doc, "event.kind", if record.path == "notice" { "alert" } else { "event" }.into());
    let copies: &[(&str, &str)] = &[
        ("uid", "zeek.session_id"),
        ("id.orig_h", "source.ip"),
        ("id.orig_p", "source.port"),
        ("id.resp_h", "destination.ip"),
        ("id.resp_p", "destination.port"),
    ];
    copy(record, &mut doc, copies);
    match record.path.as_str() {
        "ssl" => ssl(record, join, &mut doc),
        "x509" => {
            put(&mut doc, "event.category", Value::Array(vec!["network".into()]));
            certificate(record, "x509", &mut doc);
        }
        "conn" => {
            put(&mut doc, "event.category", Value::Array(vec!["network".into()]));
            copy(
                record,
                &mut doc,
                &[
                    ("proto", "network.transport"),
                    ("service", "network.protocol"),
                    ("orig_bytes", "source.bytes"),
                    ("resp_bytes", "destination.bytes"),
                    ("orig_pkts", "source.packets"),
                    ("resp_pkts", "destination.packets"),
                ],
            );
            if let Some(d) = get("duration").and_then(|d| d.as_f64()) {
                put(&mut doc, "event.duration", Value::from((d * 1e9).round() as i64));
            }
        }
        "notice" => {
            put(&mut doc, "event.category", Value::Array(vec!["network".into()]));
            copy(record, &mut doc, &[("note", "rule.name"), ("msg", "message"), ("src", "source.ip"), ("dst", "destination.ip"), ("p", "destination.port")]);
        }
        _ => {}
    }
    Value::Object(doc)
}

fn ssl(record: &ZeekRecord, join: Join<'_>, doc: &mut Map<String, Value>) {
    put(doc, "event.category", Value::Array(vec!["network".into()]));
    put(doc, "network.transport", "tcp".into());
    copy(
        record,
        doc,
        &[
            ("cipher", "tls.cipher"),
            ("curve", "tls.curve"),
            ("server_name", "tls.client.server_name"),
            ("resumed", "tls.resumed"),
            ("established", "tls.established"),
            ("next_protocol", "tls.next_protocol"),
            ("subject", "tls.server.subject"),
            ("issuer", "tls.server.issuer"),
        ],
    );
    if let Some(version) = record.text("version") {
        // `TLSv12` → `tls` `1.2`; `SSLv3` → `ssl` `3.0`; DTLS likewise.
        let lower = version.to_ascii_lowercase();
        if let Some((protocol, digits)) = lower.split_once('v') {
            let number = match digits.as_bytes() {
                [major, minor] => format!("{}.{}", *major as char, *minor as char),
                [major] => format!("{}.0", *major as char),
                _ => digits.to_string(),
            };
            put(doc, "tls.version_protocol", protocol.into());
            put(doc, "tls.version", number.into());
        }
    }
    // Zeek ≥ 4.2 names the chain by SHA-256 fingerprints; the first is the server's own.
    if let Some(Value::String(fp)) = record.get("cert_chain_fps").and_then(|v| v.get(0)) {
        put(doc, "tls.server.hash.sha256", fp.to_ascii_lowercase().into());
    }
    let note = match join {
        Join::None => return,
        Join::Found(cert) => {
            certificate(cert, "tls.server.x509", doc);
            for (from, to) in [("certificate.subject", "tls.server.subject"), ("certificate.issuer", "tls.server.issuer")] {
                if let (Some(v), None) = (cert.get(from), record.get(to.rsplit('.').next().unwrap_or(to))) {
                    put(doc, to, v.clone());
                }
            }
            if let Some(v) = cert.get("certificate.not_valid_before") {
                put(doc, "tls.server.not_before", timestamp(v));
            }
            if let Some(v) = cert.get("certificate.not_valid_after") {
                put(doc, "tls.server.not_after", timestamp(v));
            }
            if let Some(Value::String(fp)) = cert.get("fingerprint") {
                put(doc, "tls.server.hash.sha256", fp.to_ascii_lowercase().into());
            }
            "found"
        }
        Join::NotFound => "not found in the x509 log",
        Join::NoX509Log => "no x509 log beside this ssl log",
        Join::Dropped => "not kept: the x509 log holds more certificates than the limit",
    };
    put(doc, "vigil.x509", note.into());
}

/// A certificate's ECS x509 fields under `prefix` (`x509`, `tls.server.x509`).
pub fn certificate(cert: &ZeekRecord, prefix: &str, doc: &mut Map<String, Value>) {
    let pairs: &[(&str, &str)] = &[
        ("certificate.version", "version_number"),
        ("certificate.serial", "serial_number"),
        ("certificate.subject", "subject.distinguished_name"),
        ("certificate.issuer", "issuer.distinguished_name"),
        ("certificate.key_alg", "public_key_algorithm"),
        ("certificate.sig_alg", "signature_algorithm"),
        ("certificate.key_length", "public_key_size"),
        ("certificate.exponent", "public_key_exponent"),
        ("certificate.curve", "public_key_curve"),
        ("san.dns", "alternative_names"),
    ];
    for (from, to) in pairs {
        if let Some(v) = cert.get(from) {
            let v = if *to == "version_number" { Value::String(v.to_string().trim_matches('"').to_string()) } else { v.clone() };
            put(doc, &format!("{prefix}.{to}"), v);
        }
    }
    for (from, to) in [("certificate.not_valid_before", "not_before"), ("certificate.not_valid_after", "not_after")] {
        if let Some(v) = cert.get(from) {
            put(doc, &format!("{prefix}.{to}"), timestamp(v));
        }
    }
    for (from, part) in [("certificate.subject", "subject"), ("certificate.issuer", "issuer")] {
        if let Some(dn) = cert.text(from) {
            for (key, name) in
                [("CN", "common_name"), ("O", "organization"), ("OU", "organizational_unit"), ("C", "country"), ("L", "locality"), ("ST", "state_or_province")]
            {
                let values: Vec<Value> = dn_values(dn, key).into_iter().map(Value::String).collect();
                if !values.is_empty() {
                    put(doc, &format!("{prefix}.{part}.{name}"), Value::Array(values));
                }
            }
        }
    }
}

/// The values of attribute `key` in an RFC 2253 distinguished name (`\,` escapes a comma).
pub fn dn_values(dn: &str, key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts.iter().filter_map(|p| p.split_once('=')).filter(|(k, _)| k.trim().eq_ignore_ascii_case(key)).map(|(_, v)| v.trim().to_string()).collect()
}

fn copy(record: &ZeekRecord, doc: &mut Map<String, Value>, pairs: &[(&str, &str)]) {
    for (from, to) in pairs {
        if let Some(v) = record.get(from) {
            put(doc, to, v.clone());
        }
    }
}

/// A Zeek time (epoch seconds, or already an ISO-8601 string) as ISO-8601 UTC.
pub fn timestamp(value: &Value) -> Value {
    match value.as_f64() {
        Some(secs) => Value::String(iso8601(secs)),
        None => value.clone(),
    }
}

/// Epoch seconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (proleptic Gregorian, UTC).
pub fn iso8601(secs: f64) -> String {
    let micros = (secs * 1e6).round() as i64;
    let (days, rem) = (micros.div_euclid(86_400_000_000), micros.rem_euclid(86_400_000_000));
    let (year, month, day) = crate::civil::date_from_days(days);
    let (h, m, s, us) = (rem / 3_600_000_000, rem / 60_000_000 % 60, rem / 1_000_000 % 60, rem % 1_000_000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{us:06}Z")
}

/// Sets `doc[a][b][c] = value` for the dotted name `a.b.c`, making objects on the way. A
/// name whose prefix is already a non-object value is stored under its full dotted name.
pub fn put(doc: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            doc.insert(name.to_string(), value);
        }
        Some((head, rest)) => {
            let clash = doc.get(head).is_some_and(|v| !v.is_object());
            if clash {
                doc.insert(name.to_string(), value);
                return;
            }
            if let Value::Object(next) = doc.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new())) {
                put(next, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_become_iso_dates() {
        assert_eq!(iso8601(1521911720.615923), "2018-03-24T17:15:20.615923Z");
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso8601(951782400.0), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn distinguished_names_are_split_with_escapes() {
        let dn = "CN=localhost.localdomain,O=VMware\\, Inc,L=Palo Alto,C=US";
        assert_eq!(dn_values(dn, "O"), vec!["VMware, Inc"]);
        assert_eq!(dn_values(dn, "CN"), vec!["localhost.localdomain"]);
        assert!(dn_values(dn, "OU").is_empty());
    }

    #[test]
    fn dotted_names_nest_and_clashes_stay_flat() {
        let mut doc = Map::new();
        put(&mut doc, "a.b", 1.into());
        put(&mut doc, "a.c", 2.into());
        put(&mut doc, "a.b.d", 3.into());
        assert_eq!(Value::Object(doc), serde_json::json!({"a": {"b": 1, "c": 2, "b.d": 3}}));
    }
}
