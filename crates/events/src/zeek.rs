//! Zeek logs (`ssl`, `x509`, `conn`, `notice`, and any other path), TSV and JSON.
//!
//! TSV logs carry their own layout in `#` header lines (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`); a header may come again
//! mid-file (concatenated logs) and replaces the one before. JSON logs are NDJSON with one
//! object per line, their path in `_path` (json-streaming-logs) or given by the file name.
//! Either way a line becomes a [`ZeekRecord`] (its path and its fields, typed), which
//! [`crate::zeek_ecs`] renders as JSON under ECS names and the original Zeek names.
//!
//! A line with the wrong number of columns, a bad `\x` escape or a value that does not fit
//! its type is reported with its line and skipped; a data line before any `#fields` header
//! too. The lines around it are still read.

use serde_json::{Map, Value};

/// One Zeek log line: its log path (`ssl`, `x509`, …) and its fields, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ZeekRecord {
    pub path: String,
    pub fields: Vec<(String, Value)>,
}

impl ZeekRecord {
    /// The value of field `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of field `name` as text, if it is a string.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
}

/// The layout a TSV log declares in its header.
#[derive(Clone, Debug)]
pub struct TsvHeader {
    pub separator: u8,
    pub set_separator: String,
    pub empty_field: String,
    pub unset_field: String,
    pub path: String,
    pub fields: Vec<String>,
    pub types: Vec<String>,
}

impl Default for TsvHeader {
    fn default() -> TsvHeader {
        TsvHeader {
            separator: b'\t',
            set_separator: ",".into(),
            empty_field: "(empty)".into(),
            unset_field: "-".into(),
            path: String::new(),
            fields: Vec::new(),
            types: Vec::new(),
        }
    }
}

impl TsvHeader {
    /// Takes in one `#` header line. `#separator` is written escaped (`\x09`); the other
    /// lines are split by the separator. Unknown directives (`#open`, `#close`) are passed
    /// over. An unreadable `#separator` is an error.
    pub fn directive(&mut self, line: &str) -> Result<(), String> {
        if let Some(rest) = line.strip_prefix("#separator") {
            let sep = unescape(rest.trim_start_matches([' ', '\t']))?;
            return match sep.as_bytes() {
                [b] => {
                    self.separator = *b;
                    Ok(())
                }
                _ => Err(format!("`#separator` must be one character, found `{}`", rest.trim())),
            };
        }
        let mut parts = line.split(self.separator as char);
        let key = parts.next().unwrap_or_default();
        let values: Vec<String> = parts.map(str::to_string).collect();
        let first = || values.first().cloned().unwrap_or_default();
        match key {
            "#set_separator" => self.set_separator = unescape(&first())?,
            "#empty_field" => self.empty_field = first(),
            "#unset_field" => self.unset_field = first(),
            "#path" => self.path = first(),
            "#fields" => {
                self.fields = values;
                self.types.clear();
            }
            "#types" => self.types = values,
            _ => {}
        }
        Ok(())
    }

    /// One data line, typed by the header.
    pub fn record(&self, line: &str) -> Result<ZeekRecord, String> {
        if self.fields.is_empty() {
            return Err("a Zeek data line before any `#fields` header".into());
        }
        let columns: Vec<&str> = line.split(self.separator as char).collect();
        if columns.len() != self.fields.len() {
            return Err(format!("{} columns where the `#fields` header names {}", columns.len(), self.fields.len()));
        }
        let mut fields = Vec::with_capacity(columns.len());
        for (i, (name, column)) in self.fields.iter().zip(columns).enumerate() {
            if column == self.unset_field {
                continue;
            }
            let ty = self.types.get(i).map(String::as_str).unwrap_or("string");
            let value = self.value(ty, column).map_err(|e| format!("field `{name}`: {e}"))?;
            fields.push((name.clone(), value));
        }
        Ok(ZeekRecord { path: self.path.clone(), fields })
    }

    fn value(&self, ty: &str, column: &str) -> Result<Value, String> {
        let container = ty.starts_with("vector[") || ty.starts_with("set[");
        if container {
            if column == self.empty_field {
                return Ok(Value::Array(Vec::new()));
            }
            let inner = ty.split_once('[').map(|(_, t)| t.trim_end_matches(']')).unwrap_or("string");
            let items: Result<Vec<Value>, String> = column.split(self.set_separator.as_str()).map(|item| scalar(inner, item)).collect();
            return items.map(Value::Array);
        }
        let numeric = matches!(ty, "bool" | "count" | "port" | "int" | "double" | "time" | "interval");
        if column == self.empty_field && !numeric {
            return Ok(Value::String(String::new()));
        }
        scalar(ty, column)
    }
}

/// One scalar value of Zeek type `ty`, from its TSV text.
fn scalar(ty: &str, text: &str) -> Result<Value, String> {
    let bad = || format!("`{}` is not a valid {ty}", shorten(text));
    match ty {
        "bool" => match text {
            "T" => Ok(Value::Bool(true)),
            "F" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        "count" | "port" => text.parse::<u64>().map(Value::from).map_err(|_| bad()),
        "int" => text.parse::<i64>().map(Value::from).map_err(|_| bad()),
        "double" | "time" | "interval" => {
            let n: f64 = text.parse().map_err(|_| bad())?;
            serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(bad)
        }
        _ => unescape(text).map(Value::String),
    }
}

/// Undoes Zeek's TSV escaping: `\xHH` is the byte HH and `\\` a backslash. Any other
/// backslash sequence, or bytes that are not UTF-8 once unescaped, is an error.
pub fn unescape(text: &str) -> Result<String, String> {
    if !text.contains('\\') {
        return Ok(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'x') => {
                let hex = bytes.get(i + 2..i + 4).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => out.push(v),
                    None => return Err(format!("bad escape `{}` at byte {i}", shorten(text.get(i..).unwrap_or("")))),
                }
                i += 4;
            }
            _ => return Err(format!("bad escape `{}` at byte {i}", shorten(text.get(i..).unwrap_or("")))),
        }
    }
    // Zeek escapes bytes that are not printable; what they spell need not be UTF-8.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// One Zeek JSON line. Its path is `_path` when present, else `path` (from the file name).
/// Keys are kept as written (`id.orig_h`), `_path` and `_write_ts` dropped.
pub fn json_record(line: &str, path: &str) -> Result<ZeekRecord, String> {
    let object: Map<String, Value> = match serde_json::from_str(line) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Err("a Zeek JSON line that is not an object".into()),
        Err(e) => return Err(format!("not valid JSON: {e}")),
    };
    let path = object.get("_path").and_then(Value::as_str).unwrap_or(path).to_string();
    let fields = object.into_iter().filter(|(k, _)| k != "_path" && k != "_write_ts").collect();
    Ok(ZeekRecord { path, fields })
}

/// The Zeek log path a file name stands for: `ssl.log`, `ssl.json.gz`,
/// `ssl.09:00:00-10:00:00.log.gz` → `ssl`.
pub fn path_from_file_name(name: &str) -> &str {
    name.split('.').next().unwrap_or_default()
}

/// At most 60 characters of `text`.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> TsvHeader {
        let mut h = TsvHeader::default();
        for line in [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tssl",
            "#fields\tts\tname\tn\tok\tlist",
            "#types\ttime\tstring\tcount\tbool\tvector[string]",
        ] {
            h.directive(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        h
    }

    #[test]
    fn lines_are_typed_by_the_header() {
        let r = header().record("1521911720.5\ta\\x09b\\\\c\t7\tT\tx,y").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.path, "ssl");
        assert_eq!(r.get("ts"), Some(&Value::from(1521911720.5)));
        assert_eq!(r.text("name"), Some("a\tb\\c"));
        assert_eq!(r.get("n"), Some(&Value::from(7u64)));
        assert_eq!(r.get("ok"), Some(&Value::Bool(true)));
        assert_eq!(r.get("list"), Some(&serde_json::json!(["x", "y"])));
        let r = header().record("1\t-\t(empty)\tF\t(empty)");
        assert!(r.is_err(), "an empty count is not a count");
        let r = header().record("1\t-\t0\tF\t(empty)").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.get("name"), r.get("list")), (None, Some(&serde_json::json!([]))));
    }

    #[test]
    fn damage_is_named() {
        let e = header().record("1\ta\t7\tT").unwrap_err();
        assert!(e.contains("4 columns where the `#fields` header names 5"), "{e}");
        let e = header().record("1\ta\\q\t7\tT\tx").unwrap_err();
        assert!(e.contains("bad escape"), "{e}");
        let e = header().record("1\ta\\x4\t7\tT\tx").unwrap_err();
        assert!(e.contains("bad escape"), "{e}");
        let e = header().record("1\ta\t7\tmaybe\tx").unwrap_err();
        assert!(e.contains("field `ok`") && e.contains("not a valid bool"), "{e}");
        assert!(TsvHeader::default().record("1\t2").is_err());
        assert!(TsvHeader::default().directive("#separator ab").is_err());
    }

    #[test]
    fn json_lines_keep_their_names() {
        let r = json_record(r#"{"_path":"x509","_write_ts":"t","fingerprint":"ab","san.dns":["a"]}"#, "ssl").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.path, "x509");
        assert_eq!(r.fields.len(), 2);
        assert_eq!(json_record(r#"{"uid":"C1"}"#, "conn").map(|r| r.path), Ok("conn".to_string()));
        assert!(json_record("[1]", "conn").is_err());
        assert!(json_record("{\"a\":", "conn").is_err());
        assert_eq!(path_from_file_name("ssl.09:00:00-10:00:00.log.gz"), "ssl");
    }
}
