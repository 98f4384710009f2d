//! Sequence and sample alerts in every output format: each alert carries its events in
//! stage order (a missing-event stage is `null` in NDJSON and `-` elsewhere).
//!
//! - table and CSV: one row per alert with the first event's timeline columns, the kind in
//!   the event column, and the join key and every event (`file:line`) as what matched;
//! - NDJSON: one object with `sequence.events` the events themselves (JSON objects, in order),
//!   `sequence.at` where each came from, and `sequence.join_keys`;
//! - SARIF: one result, located at the first event, the others in its properties.

use std::io::{self, Write};

use serde_json::{json, Value};
use vigil_engine::SequenceAlert;
use vigil_ir::Rule;

use super::{rule_json, sarif_rule, AlertWriter, Format};
use crate::sarif::{self, Location};

/// `null` for a null key value, else the value.
fn key_text(alert: &SequenceAlert) -> Vec<String> {
    alert.key.iter().map(|k| k.clone().unwrap_or_else(|| "null".into())).collect()
}

/// `file:line` per stage, `-` at a missing stage.
fn places(alert: &SequenceAlert) -> Vec<String> {
    alert.events.iter().map(|e| e.as_ref().map_or_else(|| "-".to_string(), |e| format!("{}:{}", e.source, e.line))).collect()
}

impl<W: Write> AlertWriter<W> {
    /// A sequence or sample (`kind`) matched.
    pub fn sequence(&mut self, rule: &Rule, kind: &str, alert: &SequenceAlert) -> io::Result<()> {
        self.header()?;
        let techniques = rule.meta.techniques().collect::<Vec<_>>().join(" ");
        let keys = key_text(alert);
        let places = places(alert);
        let first = alert.events.iter().flatten().next();
        let (path, line) = first.map(|e| (&*e.source, e.line)).unwrap_or(("", 0));
        let key_part = if keys.is_empty() { String::new() } else { format!(" by {}", keys.join(",")) };
        match self.format {
            Format::Table | Format::Csv => {
                // The timeline columns of the first event; the event column names the kind.
                let mut columns = first.map(|e| self.columns.read(&e.text)).unwrap_or_default();
                columns.channel = Some(kind.to_string());
                columns.code = None;
                let detail = format!("{kind}{key_part}: {}", places.join(" "));
                if self.format == Format::Table {
                    self.table_row(&columns, rule, &detail)
                } else {
                    self.csv_row(&columns, rule, &detail, &techniques, path, line, &detail)
                }
            }
            Format::Sarif => {
                let id = rule.meta.handle();
                self.sarif.rule(id, || sarif_rule(rule));
                let message = format!("{}: {kind}{key_part} of {} events ({})", rule.meta.title, alert.events.len(), places.join(", "));
                let properties = json!({"sequence": kind, "join_keys": keys, "events": places});
                self.sarif.result(&mut self.out, id, sarif::level_of(rule.meta.level), message, &Location { path, line, column: 0 }, Some(properties))
            }
            Format::Ndjson => {
                // Written as `json!` would print it (same keys, same order), without building
                // a tree: the rule object is cached, and each event was validated when it was
                // read, so it is embedded as written when it is one line (as single alerts are).
                let key = rule as *const Rule as usize;
                let rule_text = self.rules.entry(key).or_insert_with(|| rule_json(rule).to_string());
                write!(self.out, "{{\"rule\":{rule_text},\"sequence\":{{\"type\":")?;
                serde_json::to_writer(&mut self.out, kind)?;
                self.out.write_all(b",\"join_keys\":")?;
                serde_json::to_writer(&mut self.out, &alert.key)?;
                self.out.write_all(b",\"events\":[")?;
                for (i, e) in alert.events.iter().enumerate() {
                    if i > 0 {
                        self.out.write_all(b",")?;
                    }
                    match e {
                        None => self.out.write_all(b"null")?,
                        Some(e) if !e.text.contains(['\n', '\r']) => self.out.write_all(e.text.trim().as_bytes())?,
                        Some(e) => {
                            let value: Value = serde_json::from_str(&e.text).unwrap_or_else(|_| Value::String(e.text.to_string()));
                            write!(self.out, "{value}")?;
                        }
                    }
                }
                self.out.write_all(b"],\"at\":[")?;
                for (i, e) in alert.events.iter().enumerate() {
                    if i > 0 {
                        self.out.write_all(b",")?;
                    }
                    match e {
                        None => self.out.write_all(b"null")?,
                        Some(e) => {
                            self.out.write_all(b"{\"path\":")?;
                            serde_json::to_writer(&mut self.out, &*e.source)?;
                            write!(self.out, ",\"line\":{}}}", e.line)?;
                        }
                    }
                }
                self.out.write_all(b"]},\"source\":{\"path\":")?;
                serde_json::to_writer(&mut self.out, &first.map(|e| &*e.source))?;
                self.out.write_all(b",\"line\":")?;
                serde_json::to_writer(&mut self.out, &first.map(|e| e.line))?;
                writeln!(self.out, "}}}}")
            }
        }
    }
}
