//! Alerts and their formats: table (for people), NDJSON and CSV (for machines), SARIF 2.1.0
//! (for CI: one log, closed by [`AlertWriter::finish`] when the run ends).
//!
//! Every alert names the rule (id, title, level, author — the Detection Rule License asks
//! for the author — and ATT&CK ids), where the event came from (file and line/record) and
//! the event itself; correlation alerts carry their group and measured value instead.

use std::io::{self, Write};

use serde_json::{json, Value};
use vigil_engine::CorrelationAlert;
use vigil_ir::{AttackTag, Rule};

use crate::sarif::{self, Location, SarifLog};

mod sequence;

/// Output format of `vigil hunt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Ndjson,
    Csv,
    Sarif,
}

fn rule_json(rule: &Rule) -> Value {
    let techniques: Vec<&str> = rule.meta.techniques().collect();
    let tactics: Vec<&str> = rule
        .meta
        .attack
        .iter()
        .filter_map(|t| match t {
            AttackTag::Tactic(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    json!({
        "id": rule.meta.id,
        "name": rule.meta.title,
        "level": rule.meta.level.map(|l| l.as_str()),
        "author": rule.meta.author,
        "file": &*rule.source,
        "attack": {"techniques": techniques, "tactics": tactics},
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn fit(text: &str, width: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.chars().count() <= width {
        format!("{clean:<width$}")
    } else {
        let cut: String = clean.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Writes alerts in one format.
pub struct AlertWriter<W: Write> {
    out: W,
    format: Format,
    header_done: bool,
    /// Serialised `rule` objects, by rule address: a rule's part of an alert never changes.
    rules: std::collections::HashMap<usize, String>,
    /// The SARIF log being built (format `sarif` only).
    sarif: SarifLog,
}

/// A rule as a SARIF reporting descriptor.
fn sarif_rule(rule: &Rule) -> Value {
    let mut properties = json!({"tags": rule.meta.tags, "file": &*rule.source});
    if let Some(level) = rule.meta.level {
        properties["sigma-level"] = json!(level.as_str());
    }
    if let Some(author) = &rule.meta.author {
        properties["author"] = json!(author);
    }
    let mut descriptor = json!({
        "name": rule.meta.title,
        "shortDescription": {"text": rule.meta.title},
        "defaultConfiguration": {"level": sarif::level_of(rule.meta.level)},
        "properties": properties,
    });
    if let Some(description) = &rule.meta.description {
        descriptor["fullDescription"] = json!({"text": description});
    }
    descriptor
}

impl<W: Write> AlertWriter<W> {
    pub fn new(out: W, format: Format) -> AlertWriter<W> {
        AlertWriter { out, format, header_done: false, rules: std::collections::HashMap::new(), sarif: SarifLog::default() }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.format {
            Format::Table => writeln!(self.out, "{:<9} {:<12} {:<58} SOURCE", "LEVEL", "ATT&CK", "RULE"),
            Format::Csv => writeln!(self.out, "rule_id,rule_name,level,techniques,source,line,event"),
            Format::Ndjson | Format::Sarif => Ok(()),
        }
    }

    fn csv_row(&mut self, rule: &Rule, techniques: &str, source: &str, line: u64, detail: &str) -> io::Result<()> {
        let level = rule.meta.level.map(|l| l.as_str()).unwrap_or("-");
        let id = csv_field(rule.meta.id.as_deref().unwrap_or(""));
        writeln!(self.out, "{id},{},{level},{},{},{line},{}", csv_field(&rule.meta.title), csv_field(techniques), csv_field(source), csv_field(detail))
    }

    /// One event matched one rule.
    pub fn detection(&mut self, rule: &Rule, source: &str, line: u64, event: &str) -> io::Result<()> {
        self.header()?;
        let techniques = rule.meta.techniques().collect::<Vec<_>>().join(" ");
        let level = rule.meta.level.map(|l| l.as_str()).unwrap_or("-");
        match self.format {
            Format::Table => writeln!(self.out, "{:<9} {} {} {source}:{line}", level, fit(&techniques, 12), fit(&rule.meta.title, 58)),
            Format::Csv => self.csv_row(rule, &techniques, source, line, event),
            Format::Sarif => {
                let id = rule.meta.handle();
                self.sarif.rule(id, || sarif_rule(rule));
                let message = format!("{} ({source}:{line})", rule.meta.title);
                self.sarif.result(&mut self.out, id, sarif::level_of(rule.meta.level), message, &Location { path: source, line, column: 0 }, None)
            }
            Format::Ndjson => {
                // The event was validated when it was read, so it is embedded as written
                // (one line: NDJSON records are single lines; other records are compacted).
                let key = rule as *const Rule as usize;
                let rule_text = self.rules.entry(key).or_insert_with(|| rule_json(rule).to_string());
                write!(self.out, "{{\"rule\":{rule_text},\"source\":{{\"path\":")?;
                serde_json::to_writer(&mut self.out, source)?;
                write!(self.out, ",\"line\":{line}}},\"event\":")?;
                if event.contains('\n') {
                    let value: Value = serde_json::from_str(event).unwrap_or_else(|_| Value::String(event.to_string()));
                    write!(self.out, "{value}")?;
                } else {
                    self.out.write_all(event.as_bytes())?;
                }
                writeln!(self.out, "}}")
            }
        }
    }

    /// A correlation fired.
    pub fn correlation(&mut self, rule: &Rule, kind: &str, alert: &CorrelationAlert) -> io::Result<()> {
        self.header()?;
        let level = rule.meta.level.map(|l| l.as_str()).unwrap_or("-");
        let techniques = rule.meta.techniques().collect::<Vec<_>>().join(" ");
        let group: Vec<String> = alert.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let first = alert.events.first().map(|e| format!("{}:{}", e.source, e.line)).unwrap_or_default();
        match self.format {
            Format::Table => {
                writeln!(self.out, "{:<9} {} {} {first} [{kind} {} {}]", level, fit(&techniques, 12), fit(&rule.meta.title, 58), alert.value, group.join(" "))
            }
            Format::Csv => self.csv_row(
                rule,
                &techniques,
                alert.events.first().map(|e| &*e.source).unwrap_or(""),
                alert.events.first().map(|e| e.line).unwrap_or(0),
                &format!("{kind} value={} {}", alert.value, group.join(" ")),
            ),
            Format::Sarif => {
                let id = rule.meta.handle();
                self.sarif.rule(id, || sarif_rule(rule));
                let message = format!("{}: {kind} value {} for {}", rule.meta.title, alert.value, group.join(" "));
                let (path, line) = alert.events.first().map(|e| (&*e.source, e.line)).unwrap_or(("", 0));
                let events: Vec<String> = alert.events.iter().map(|e| format!("{}:{}", e.source, e.line)).collect();
                let properties = json!({"correlation": kind, "value": alert.value, "events": events});
                self.sarif.result(&mut self.out, id, sarif::level_of(rule.meta.level), message, &Location { path, line, column: 0 }, Some(properties))
            }
            Format::Ndjson => {
                let events: Vec<Value> = alert.events.iter().map(|e| json!({"path": &*e.source, "line": e.line})).collect();
                let group: serde_json::Map<String, Value> = alert.group.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
                let out = json!({
                    "rule": rule_json(rule),
                    "correlation": {"type": kind, "group": group, "value": alert.value,
                                    "first_ms": alert.first_ts, "last_ms": alert.last_ts, "events": events},
                    "source": {"path": alert.events.first().map(|e| &*e.source), "line": alert.events.first().map(|e| e.line)},
                });
                writeln!(self.out, "{out}")
            }
        }
    }

    /// Ends the output: closes the SARIF log (format `sarif`), then flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.format == Format::Sarif {
            self.sarif.finish(&mut self.out)?;
        }
        self.out.flush()
    }
}
