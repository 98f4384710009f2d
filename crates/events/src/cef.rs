//! One CEF (ArcSight Common Event Format) line — as ArcSight connectors and Microsoft
//! Sentinel's CommonSecurityLog forwarders send it, bare or after an RFC 3164 / RFC 5424
//! syslog header — parsed and rendered as a JSON document.
//!
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
//! Header fields escape `|` and `\` with a backslash; any other escape there, a version that is
//! not a number, or fewer than seven header fields make the line bad (reported, skipped).
//! The extension is `key=value` pairs separated by spaces; values may hold spaces (a value
//! runs to the space before the next `key=`), and escape `=`, `\`, newline (`\n`) and CR
//! (`\r`). An `=` whose left side is no key name (`request=http://h/?a=b`) stays in the
//! value, and an unknown escape keeps its backslash, as ArcSight's own parsers read them.
//!
//! The document carries the raw CEF names and ECS names as Filebeat's CEF module writes them:
//! `cef.version`, `cef.device.{vendor,product,version,event_class_id}`, `cef.name`,
//! `cef.severity`, `cef.extensions.<full name>` (short keys such as `dst` are spelled out:
//! `destinationAddress`), and from those `observer.*`, `event.*`, `source.*`,
//! `destination.*`, `network.*`, `url.original`, `http.request.*`, `file.*`, `process.*`,
//! `host.*`, `message`, `@timestamp` ([`ECS`]). A custom field with its label (`cs1Label=Policy
//! cs1=Block`) is also `labels.Policy`. A syslog header gives `log.syslog.*`.
//!
//! No key is mapped to `tls.*`: the CEF specification's key dictionary (revision 25) has no
//! TLS key, and neither Filebeat's `decode_cef` ECS table nor Elastic's CEF integration
//! pipelines (its Check Point and Forcepoint ones) map any key there. Where a vendor sends
//! TLS details, it is in a labelled custom field, read as `labels.<label>` (and
//! `cef.extensions.*`) like any other.

use serde_json::{Map, Value};

use crate::zeek_ecs::put;

/// Full CEF key ← short key (the CEF specification's key names).
const SHORT: &[(&str, &str)] = &[
    ("act", "deviceAction"),
    ("agt", "agentAddress"),
    ("ahost", "agentHostName"),
    ("aid", "agentId"),
    ("amac", "agentMacAddress"),
    ("app", "applicationProtocol"),
    ("art", "agentReceiptTime"),
    ("at", "agentType"),
    ("atz", "agentTimeZone"),
    ("av", "agentVersion"),
    ("cat", "deviceEventCategory"),
    ("cnt", "baseEventCount"),
    ("dhost", "destinationHostName"),
    ("dlat", "destinationGeoLatitude"),
    ("dlong", "destinationGeoLongitude"),
    ("dmac", "destinationMacAddress"),
    ("dntdom", "destinationNtDomain"),
    ("dpid", "destinationProcessId"),
    ("dpriv", "destinationUserPrivileges"),
    ("dproc", "destinationProcessName"),
    ("dpt", "destinationPort"),
    ("dst", "destinationAddress"),
    ("dtz", "deviceTimeZone"),
    ("duid", "destinationUserId"),
    ("duser", "destinationUserName"),
    ("dvc", "deviceAddress"),
    ("dvchost", "deviceHostName"),
    ("dvcmac", "deviceMacAddress"),
    ("dvcpid", "deviceProcessId"),
    ("end", "endTime"),
    ("fname", "filename"),
    ("fsize", "fileSize"),
    ("in", "bytesIn"),
    ("msg", "message"),
    ("out", "bytesOut"),
    ("outcome", "eventOutcome"),
    ("proto", "transportProtocol"),
    ("request", "requestUrl"),
    ("rt", "deviceReceiptTime"),
    ("shost", "sourceHostName"),
    ("slat", "sourceGeoLatitude"),
    ("slong", "sourceGeoLongitude"),
    ("smac", "sourceMacAddress"),
    ("sntdom", "sourceNtDomain"),
    ("spid", "sourceProcessId"),
    ("spriv", "sourceUserPrivileges"),
    ("sproc", "sourceProcessName"),
    ("spt", "sourcePort"),
    ("src", "sourceAddress"),
    ("start", "startTime"),
    ("suid", "sourceUserId"),
    ("suser", "sourceUserName"),
];

/// How an ECS value is written: as text, or as a number when the text is one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Number,
}

/// ECS name ← full CEF key (Filebeat's CEF mapping).
const ECS: &[(&str, &str, Ty)] = &[
    ("agentAddress", "observer.ip", Ty::Text),
    ("agentHostName", "observer.hostname", Ty::Text),
    ("agentId", "observer.serial_number", Ty::Text),
    ("agentMacAddress", "observer.mac", Ty::Text),
    ("agentType", "observer.type", Ty::Text),
    ("agentVersion", "observer.version", Ty::Text),
    ("applicationProtocol", "network.application", Ty::Text),
    ("bytesIn", "source.bytes", Ty::Number),
    ("bytesOut", "destination.bytes", Ty::Number),
    ("destinationAddress", "destination.ip", Ty::Text),
    ("destinationDnsDomain", "destination.domain", Ty::Text),
    ("destinationHostName", "destination.domain", Ty::Text),
    ("destinationMacAddress", "destination.mac", Ty::Text),
    ("destinationPort", "destination.port", Ty::Number),
    ("destinationProcessId", "process.pid", Ty::Number),
    ("destinationProcessName", "destination.process.name", Ty::Text),
    ("destinationServiceName", "service.name", Ty::Text),
    ("destinationTranslatedAddress", "destination.nat.ip", Ty::Text),
    ("destinationTranslatedPort", "destination.nat.port", Ty::Number),
    ("destinationUserId", "destination.user.id", Ty::Text),
    ("destinationUserName", "destination.user.name", Ty::Text),
    ("destinationUserPrivileges", "destination.user.group", Ty::Text),
    ("deviceAction", "event.action", Ty::Text),
    ("deviceAddress", "host.ip", Ty::Text),
    ("deviceDirection", "network.direction", Ty::Text),
    ("deviceEventCategory", "event.category", Ty::Text),
    ("deviceExternalId", "host.id", Ty::Text),
    ("deviceHostName", "host.hostname", Ty::Text),
    ("deviceMacAddress", "host.mac", Ty::Text),
    ("deviceProcessId", "process.pid", Ty::Number),
    ("deviceProcessName", "process.name", Ty::Text),
    ("deviceTimeZone", "event.timezone", Ty::Text),
    ("eventId", "event.id", Ty::Text),
    ("eventOutcome", "event.outcome", Ty::Text),
    ("filePath", "file.path", Ty::Text),
    ("fileSize", "file.size", Ty::Number),
    ("fileType", "file.type", Ty::Text),
    ("filename", "file.name", Ty::Text),
    ("message", "message", Ty::Text),
    ("requestClientApplication", "user_agent.original", Ty::Text),
    ("requestContext", "http.request.referrer", Ty::Text),
    ("requestMethod", "http.request.method", Ty::Text),
    ("requestUrl", "url.original", Ty::Text),
    ("sourceAddress", "source.ip", Ty::Text),
    ("sourceDnsDomain", "source.domain", Ty::Text),
    ("sourceHostName", "source.domain", Ty::Text),
    ("sourceMacAddress", "source.mac", Ty::Text),
    ("sourcePort", "source.port", Ty::Number),
    ("sourceProcessId", "source.process.pid", Ty::Number),
    ("sourceProcessName", "source.process.name", Ty::Text),
    ("sourceTranslatedAddress", "source.nat.ip", Ty::Text),
    ("sourceTranslatedPort", "source.nat.port", Ty::Number),
    ("sourceUserId", "source.user.id", Ty::Text),
    ("sourceUserName", "source.user.name", Ty::Text),
    ("sourceUserPrivileges", "source.user.group", Ty::Text),
    ("transportProtocol", "network.transport", Ty::Text),
];

/// Custom-field families: value key prefix and full name prefix (`cs1` is
/// `deviceCustomString1`, labelled by `cs1Label`).
const CUSTOM: &[(&str, &str)] = &[
    ("cs", "deviceCustomString"),
    ("cn", "deviceCustomNumber"),
    ("cfp", "deviceCustomFloatingPoint"),
    ("c6a", "deviceCustomIPv6Address"),
    ("deviceCustomDate", "deviceCustomDate"),
    ("flexString", "flexString"),
    ("flexNumber", "flexNumber"),
    ("flexDate", "flexDate"),
];

/// True when `line` holds a CEF message (`CEF:` and a version, after any syslog header).
pub fn is_cef(line: &str) -> bool {
    line.find("CEF:").is_some_and(|at| line.get(at + 4..).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains('|')))
}

/// One CEF line rendered as a document, or why it is not a CEF line.
pub fn parse_line(line: &str) -> Result<Value, String> {
    let at = line.find("CEF:").ok_or("no `CEF:` in the line")?;
    let (prefix, body) = (line.get(..at).unwrap_or(""), line.get(at + 4..).unwrap_or(""));
    let (header, extension) = split_header(body)?;
    let [version, vendor, product, device_version, class_id, name, severity] = header;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("CEF version `{version}` is not a number"));
    }
    let mut doc = Map::new();
    put(&mut doc, "event.module", "cef".into());
    put(&mut doc, "event.dataset", "cef.log".into());
    put(&mut doc, "cef.version", version.clone().into());
    put(&mut doc, "cef.device.vendor", vendor.clone().into());
    put(&mut doc, "cef.device.product", product.clone().into());
    put(&mut doc, "cef.device.version", device_version.clone().into());
    put(&mut doc, "cef.device.event_class_id", class_id.clone().into());
    put(&mut doc, "cef.name", name.clone().into());
    put(&mut doc, "cef.severity", severity.clone().into());
    put(&mut doc, "observer.vendor", vendor.into());
    put(&mut doc, "observer.product", product.into());
    put(&mut doc, "observer.version", device_version.into());
    put(&mut doc, "event.code", class_id.into());
    put(&mut doc, "message", name.into());
    if let Ok(n) = severity.trim().parse::<i64>() {
        put(&mut doc, "event.severity", n.into());
    }
    let syslog_time = syslog(prefix.trim(), &mut doc);
    let pairs = extension_pairs(extension);
    let mut extensions = Map::new();
    for (key, value) in &pairs {
        extensions.insert(full_name(key), Value::String(value.clone()));
    }
    for (full, value) in &extensions {
        let Some(text) = value.as_str() else { continue };
        for &(_, ecs, ty) in ECS.iter().filter(|(k, _, _)| k == full) {
            let v = match ty {
                Ty::Number => text.trim().parse::<i64>().map_or_else(|_| Value::String(text.to_string()), Value::from),
                Ty::Text => Value::String(text.to_string()),
            };
            put(&mut doc, ecs, v);
        }
    }
    let labels = custom_labels(&pairs);
    if !labels.is_empty() {
        doc.insert("labels".into(), Value::Object(labels));
    }
    let rt = extensions.get("deviceReceiptTime").and_then(Value::as_str).and_then(cef_time);
    if let Some(t) = rt.or(syslog_time) {
        put(&mut doc, "@timestamp", t.into());
    }
    put(&mut doc, "cef.extensions", Value::Object(extensions));
    Ok(Value::Object(doc))
}

/// The seven header fields (unescaped) and the extension text.
fn split_header(body: &str) -> Result<([String; 7], &str), String> {
    let mut fields: [String; 7] = Default::default();
    let mut chars = body.char_indices();
    for (i, field) in fields.iter_mut().enumerate() {
        loop {
            match chars.next() {
                None => return Err(format!("CEF header has {} of its 7 `|`-separated fields", i + usize::from(!field.is_empty()))),
                Some((_, '|')) => break,
                Some((_, '\\')) => match chars.next() {
                    Some((_, c @ ('|' | '\\'))) => field.push(c),
                    Some((_, c)) => return Err(format!("CEF header field {} has the escape `\\{c}` (only `\\|` and `\\\\` are allowed)", i + 1)),
                    None => return Err("CEF header ends in a lone `\\`".into()),
                },
                Some((_, c)) => field.push(c),
            }
        }
    }
    let rest = chars.next().map_or("", |(at, _)| body.get(at..).unwrap_or(""));
    Ok((fields, rest))
}

/// The extension's `key=value` pairs in order, values unescaped.
fn extension_pairs(text: &str) -> Vec<(String, String)> {
    // Unescaped `=` signs whose left side, back to a space, is a key name.
    let bytes = text.as_bytes();
    let mut keys: Vec<(usize, usize)> = Vec::new(); // (key start, `=` index)
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' => escaped = true,
            b'=' => {
                let start = bytes.get(..i).and_then(|left| left.iter().rposition(|&c| c == b' ')).map_or(0, |s| s + 1);
                let key = bytes.get(start..i).unwrap_or_default();
                let after_value = keys.last().is_none_or(|&(_, eq)| start > eq);
                if !key.is_empty() && key.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.') && after_value {
                    keys.push((start, i));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(text.len(), |&(next, _)| next);
        let key = text.get(start..eq).unwrap_or("");
        let raw = text.get(eq + 1..end).unwrap_or("");
        let raw = if n + 1 < keys.len() { raw.strip_suffix(' ').unwrap_or(raw) } else { raw.trim_end() };
        out.push((key.to_string(), unescape_value(raw)));
    }
    out
}

/// An extension value with its escapes resolved; an unknown escape keeps its backslash.
fn unescape_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('|') => out.push('|'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The full CEF name of an extension key (`dst` → `destinationAddress`, `cs1` →
/// `deviceCustomString1`, `cs1Label` → `deviceCustomString1Label`); other keys as written.
fn full_name(key: &str) -> String {
    if let Some(&(_, full)) = SHORT.iter().find(|(short, _)| *short == key) {
        return full.to_string();
    }
    for &(short, full) in CUSTOM {
        if let Some(rest) = key.strip_prefix(short) {
            let digits = rest.trim_end_matches("Label");
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return format!("{full}{rest}");
            }
        }
    }
    key.to_string()
}

/// `labels.<label>` for every custom field given with its label (`cs1Label=Policy cs1=Block`).
fn custom_labels(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut labels = Map::new();
    for (key, label) in pairs {
        let Some(field) = key.strip_suffix("Label") else { continue };
        if full_name(key) == *key || label.is_empty() {
            continue;
        }
        if let Some((_, value)) = pairs.iter().find(|(k, _)| k == field || full_name(k) == full_name(field)) {
            labels.insert(label.clone(), Value::String(value.clone()));
        }
    }
    labels
}

/// Parses a syslog header before `CEF:` into `log.syslog.*`; returns its time when it has a
/// year (RFC 5424), as ECS `@timestamp` text.
fn syslog(prefix: &str, doc: &mut Map<String, Value>) -> Option<String> {
    let rest = prefix.strip_prefix('<')?;
    let (pri, rest) = rest.split_once('>')?;
    let pri: u32 = pri.parse().ok()?;
    put(doc, "log.syslog.priority", pri.into());
    put(doc, "log.syslog.facility.code", (pri / 8).into());
    put(doc, "log.syslog.severity.code", (pri % 8).into());
    let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
    if let Some(after_version) = rest.strip_prefix("1 ") {
        // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA
        let parts: Vec<&str> = after_version.split(' ').collect();
        let time = parts.first().filter(|t| **t != "-").map(|t| t.to_string());
        for (i, name) in [(1, "log.syslog.hostname"), (2, "log.syslog.appname"), (3, "log.syslog.procid"), (4, "log.syslog.msgid")] {
            if let Some(v) = parts.get(i).filter(|v| **v != "-" && !v.is_empty()) {
                put(doc, name, (*v).into());
            }
        }
        return time;
    }
    // RFC 3164: Mmm dd hh:mm:ss HOSTNAME [TAG:]
    if let (Some(m), Some(d), Some(t)) = (words.first(), words.get(1), words.get(2)) {
        put(doc, "log.syslog.timestamp", format!("{m} {d} {t}").into());
    }
    if let Some(host) = words.get(3) {
        put(doc, "log.syslog.hostname", (*host).into());
    }
    if let Some(tag) = words.get(4) {
        put(doc, "log.syslog.appname", tag.trim_end_matches(':').into());
    }
    None
}

/// A CEF time value (`rt`, `start`, `end`): epoch milliseconds, or `MMM dd yyyy
/// HH:mm:ss[.SSS]` (UTC), as RFC 3339 text.
fn cef_time(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
        let (y, mo, d) = crate::civil::date_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400);
        return Some(format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z", s / 3600, s % 3600 / 60, s % 60));
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let words: Vec<&str> = text.split_whitespace().collect();
    let [month, day, year, time] = words.get(..4)?.try_into().ok()?;
    let zone = words.get(4).copied();
    if zone.is_some_and(|z| !matches!(z, "UTC" | "GMT" | "Z")) {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? + 1;
    let day: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: u32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if h > 23 || m > 59 || s > 60 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:0<3}Z", frac.get(..3).unwrap_or(frac)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(line: &str) -> Value {
        parse_line(line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    #[test]
    fn header_escapes_and_extension_values_with_spaces() {
        let d = doc(
            r"CEF:0|Sec\|Corp|Proxy \\ 1|2.0|100|Blocked|7|src=10.0.0.1 spt=1234 msg=Detected a threat. No action needed cs1Label=Policy Name cs1=Block all",
        );
        assert_eq!(d["cef"]["device"]["vendor"], "Sec|Corp");
        assert_eq!(d["cef"]["device"]["product"], "Proxy \\ 1");
        assert_eq!(d["source"]["ip"], "10.0.0.1");
        assert_eq!(d["source"]["port"], 1234);
        assert_eq!(d["message"], "Detected a threat. No action needed");
        assert_eq!(d["labels"]["Policy Name"], "Block all");
        assert_eq!(d["cef"]["extensions"]["deviceCustomString1Label"], "Policy Name");
        assert_eq!(d["event"]["severity"], 7);
    }

    #[test]
    fn extension_escapes_and_bare_equals_in_urls() {
        let d = doc(r"CEF:0|V|P|1|1|n|3|request=http://h/a?x=1&y=2 fname=C:\\tmp\\a b.exe act=a\=b\nc filePath=C:\Windows");
        assert_eq!(d["url"]["original"], "http://h/a?x=1&y=2");
        assert_eq!(d["file"]["name"], "C:\\tmp\\a b.exe");
        assert_eq!(d["event"]["action"], "a=b\nc");
        assert_eq!(d["file"]["path"], "C:\\Windows");
    }

    #[test]
    fn syslog_headers_and_times() {
        let d = doc("<134>1 2024-03-01T10:00:00.000Z fw01 CEF - - - CEF:0|V|P|1|1|n|3|dst=1.2.3.4");
        assert_eq!(d["log"]["syslog"]["hostname"], "fw01");
        assert_eq!(d["@timestamp"], "2024-03-01T10:00:00.000Z");
        assert_eq!(d["log"]["syslog"]["severity"]["code"], 6);
        let d = doc("<13>Mar  1 10:00:00 proxy01 CEF:0|V|P|1|1|n|3|rt=1709287200123");
        assert_eq!(d["log"]["syslog"]["hostname"], "proxy01");
        assert_eq!(d["@timestamp"], "2024-03-01T10:00:00.123Z");
        assert_eq!(cef_time("Mar 01 2024 10:00:00"), Some("2024-03-01T10:00:00.000Z".into()));
        assert_eq!(cef_time("Mar 01 2024 10:00:00 CET"), None);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_line("CEF:0|V|P|1").unwrap_err().contains("7"));
        assert!(parse_line(r"CEF:0|V\x|P|1|1|n|3|").unwrap_err().contains("escape"));
        assert!(parse_line("CEF:x|V|P|1|1|n|3|").unwrap_err().contains("version"));
        assert!(parse_line("no cef here").is_err());
        assert!(is_cef("<13>Mar  1 10:00:00 h CEF:0|a|b"));
        assert!(!is_cef("CEF:x|a") && !is_cef("CEF:0 no pipe"));
    }
}
