//! Alerts and their formats: a timeline table (for people), NDJSON and CSV (for machines),
//! SARIF 2.1.0 (for CI: one log, closed by [`AlertWriter::finish`] when the run ends).
//!
//! The table and CSV carry the timeline columns (timestamp, host, channel and event ID, from
//! whichever layout the event has: `timeline.rs`), the level, the rule title and the matched
//! values (the values the rule's true predicates read); NDJSON carries the same as
//! `@timestamp`, `host.name`, `event.code` and `matched` beside the rule, the source and the
//! event. Every machine format names the rule (id, title, level, author — the Detection Rule
//! License asks for the author — and ATT&CK ids), where the event came from (file and
//! line/record) and the event itself; correlation alerts carry their group and measured
//! value instead.

use std::io::{self, Write};

use serde_json::{json, Value};
use vigil_engine::CorrelationAlert;
use vigil_ir::{AttackTag, Rule};

use crate::color::Paint;
use crate::sarif::{self, Location, SarifLog};
use crate::timeline::{matched_text, ms_time, short_level, ColumnReader, Columns, Widths};

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

/// The CSV header: the table's columns (channel and event ID apart), then the rule's and the
/// source's, then the event.
const CSV_HEADER: &str = "timestamp,host,channel,event_id,level,rule_name,matched,rule_id,techniques,source,line,event";

/// Writes alerts in one format.
pub struct AlertWriter<W: Write> {
    out: W,
    format: Format,
    header_done: bool,
    /// Serialised `rule` objects, by rule address: a rule's part of an alert never changes.
    rules: std::collections::HashMap<usize, String>,
    /// The SARIF log being built (format `sarif` only).
    sarif: SarifLog,
    /// Table column widths (from the terminal's width, when output goes to one).
    widths: Widths,
    /// Colour of the table's level column.
    paint: Paint,
    columns: ColumnReader,
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

/// The matched values as a JSON object: field → value, or → array of values when the event
/// gave several.
fn matched_json(matched: &[(String, String)]) -> Value {
    let mut out = serde_json::Map::new();
    for (field, value) in matched {
        match out.get_mut(field) {
            None => {
                out.insert(field.clone(), Value::String(value.clone()));
            }
            Some(Value::Array(values)) => values.push(Value::String(value.clone())),
            Some(first) => *first = Value::Array(vec![first.take(), Value::String(value.clone())]),
        }
    }
    Value::Object(out)
}

/// The alert's timeline fields for NDJSON (ECS names, flat): those the event has.
fn timeline_json(columns: &Columns) -> String {
    let mut out = String::new();
    for (key, value) in [("@timestamp", &columns.timestamp), ("host.name", &columns.host), ("event.code", &columns.code)] {
        if let Some(value) = value {
            out.push_str(&format!("{}:{},", Value::from(key), Value::from(value.as_str())));
        }
    }
    out
}

impl<W: Write> AlertWriter<W> {
    /// A writer with the table laid out by `widths`, its levels painted by `paint`.
    pub fn styled(out: W, format: Format, widths: Widths, paint: Paint) -> AlertWriter<W> {
        AlertWriter {
            out,
            format,
            header_done: false,
            rules: std::collections::HashMap::new(),
            sarif: SarifLog::default(),
            widths,
            paint,
            columns: ColumnReader::default(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.format {
            Format::Table => writeln!(self.out, "{}", self.widths.header()),
            Format::Csv => writeln!(self.out, "{CSV_HEADER}"),
            Format::Ndjson | Format::Sarif => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)] // one CSV row: each argument is a column group
    fn csv_row(&mut self, columns: &Columns, rule: &Rule, matched: &str, techniques: &str, source: &str, line: u64, detail: &str) -> io::Result<()> {
        let level = rule.meta.level.map(|l| l.as_str()).unwrap_or("-");
        let id = csv_field(rule.meta.id.as_deref().unwrap_or(""));
        let cell = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
        writeln!(
            self.out,
            "{},{},{},{},{level},{},{},{id},{},{},{line},{}",
            cell(&columns.timestamp),
            cell(&columns.host),
            cell(&columns.channel),
            cell(&columns.code),
            csv_field(&rule.meta.title),
            csv_field(matched),
            csv_field(techniques),
            csv_field(source),
            csv_field(detail)
        )
    }

    fn table_row(&mut self, columns: &Columns, rule: &Rule, matched: &str) -> io::Result<()> {
        let level = rule.meta.level;
        let paint = self.paint;
        let event = columns.event_label();
        let cells =
            [columns.timestamp.as_deref().unwrap_or("-"), columns.host.as_deref().unwrap_or("-"), &event, short_level(level), &rule.meta.title, matched];
        let row = self.widths.row(cells, |cell| paint.level(level, cell));
        writeln!(self.out, "{row}")
    }

    /// One event matched one rule; `matched` holds the (field, value) pairs that made it match.
    pub fn detection(&mut self, rule: &Rule, source: &str, line: u64, event: &str, matched: &[(String, String)]) -> io::Result<()> {
        self.header()?;
        let techniques = rule.meta.techniques().collect::<Vec<_>>().join(" ");
        match self.format {
            Format::Table => {
                let columns = self.columns.read(event);
                self.table_row(&columns, rule, &matched_text(matched))
            }
            Format::Csv => {
                let columns = self.columns.read(event);
                self.csv_row(&columns, rule, &matched_text(matched), &techniques, source, line, event)
            }
            Format::Sarif => {
                let id = rule.meta.handle();
                self.sarif.rule(id, || sarif_rule(rule));
                let message = format!("{} ({source}:{line})", rule.meta.title);
                let properties = (!matched.is_empty()).then(|| json!({"matched": matched_json(matched)}));
                self.sarif.result(&mut self.out, id, sarif::level_of(rule.meta.level), message, &Location { path: source, line, column: 0 }, properties)
            }
            Format::Ndjson => {
                // The event was validated when it was read, so it is embedded as written
                // (one line: NDJSON records are single lines; other records are compacted).
                let columns = self.columns.read(event);
                let key = rule as *const Rule as usize;
                let rule_text = self.rules.entry(key).or_insert_with(|| rule_json(rule).to_string());
                write!(self.out, "{{{}\"rule\":{rule_text},\"matched\":{},\"source\":{{\"path\":", timeline_json(&columns), matched_json(matched))?;
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
        let techniques = rule.meta.techniques().collect::<Vec<_>>().join(" ");
        let group: Vec<String> = alert.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let columns = Columns { timestamp: ms_time(alert.last_ts), channel: Some("correlation".into()), code: Some(kind.to_string()), host: None };
        let detail = format!("value={} {}", alert.value, group.join(" "));
        match self.format {
            Format::Table => self.table_row(&columns, rule, &detail),
            Format::Csv => self.csv_row(
                &columns,
                rule,
                &detail,
                &techniques,
                alert.events.first().map(|e| &*e.source).unwrap_or(""),
                alert.events.first().map(|e| e.line).unwrap_or(0),
                &format!("{kind} {detail}"),
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
                let mut out = json!({
                    "rule": rule_json(rule),
                    "correlation": {"type": kind, "group": group, "value": alert.value,
                                    "first_ms": alert.first_ts, "last_ms": alert.last_ts, "events": events},
                    "source": {"path": alert.events.first().map(|e| &*e.source), "line": alert.events.first().map(|e| e.line)},
                });
                if let Some(ts) = &columns.timestamp {
                    out["@timestamp"] = json!(ts);
                }
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
