//! The timeline columns of an alert — when, which host, which channel and event ID — read
//! from whichever layout the event has, and the table row that shows them.
//!
//! Layouts, tried in this order for each column: ECS (Winlogbeat, Elastic Agent, the Zeek
//! and auditd readers' renderings: `@timestamp`, `host.name`, `winlog.channel` or
//! `event.dataset`, `event.code`), the EVTX layout (`Event.System.*`), and flattened Windows
//! exports (`TimeCreated`, `Hostname`/`Computer`, `Channel`, `EventID`). A path matches nested
//! objects or dotted keys (`{"host.name": …}`), as the readers do. Timestamps that parse are
//! written in one form (RFC 3339, UTC, milliseconds); others as they were.

use vigil_engine::{EventView, FieldTrie, Kind, Slot};

/// Where each column is looked for, first found wins.
const TIMESTAMP: &[&str] = &["@timestamp", "Event.System.TimeCreated.#attributes.SystemTime", "TimeCreated", "EventTime", "UtcTime", "timestamp", "ts"];
const HOST: &[&str] = &["host.name", "host.hostname", "winlog.computer_name", "Event.System.Computer", "Hostname", "Computer", "agent.hostname"];
const CHANNEL: &[&str] = &["winlog.channel", "Event.System.Channel", "Channel", "event.dataset", "event.module"];
const CODE: &[&str] = &["event.code", "winlog.event_id", "Event.System.EventID", "EventID", "event.action"];

/// The timeline columns of one event; None where the event has no such field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub timestamp: Option<String>,
    pub host: Option<String>,
    pub channel: Option<String>,
    pub code: Option<String>,
}

impl Columns {
    /// Channel and event ID in one short column: `Sysmon 1`, `Security 4688`, `zeek.ssl`.
    pub fn event_label(&self) -> String {
        let channel = self.channel.as_deref().map(short_channel);
        match (channel, self.code.as_deref()) {
            (Some(c), Some(code)) => format!("{c} {code}"),
            (Some(c), None) => c.to_string(),
            (None, Some(code)) => code.to_string(),
            (None, None) => String::new(),
        }
    }
}

/// Reads the columns of events with vigil's own JSON scanner along a trie of the paths
/// above: nothing else of the event is decoded (alerts can be many: a fifth of the events
/// with broad rule sets).
pub struct ColumnReader {
    trie: FieldTrie,
    view: EventView,
    /// The slots of each column's paths, in order of preference.
    columns: [Vec<Slot>; 4],
}

impl Default for ColumnReader {
    fn default() -> Self {
        let mut trie = FieldTrie::default();
        let mut slots = |paths: &[&str]| -> Vec<Slot> {
            // An EVTX element with attributes holds its value under `#text`.
            paths.iter().flat_map(|p| [trie.slot(p), trie.slot(&format!("{p}.#text"))]).collect()
        };
        let columns = [slots(TIMESTAMP), slots(HOST), slots(CHANNEL), slots(CODE)];
        let view = EventView::new(trie.slot_count());
        ColumnReader { trie, view, columns }
    }
}

impl ColumnReader {
    /// The columns of an event given as JSON text (an event that is not JSON has none).
    pub fn read(&mut self, event: &str) -> Columns {
        self.view.clear();
        if vigil_events::extract(event.as_bytes(), &self.trie, &mut self.view).is_err() {
            return Columns::default();
        }
        let view = &self.view;
        let first = |slots: &[Slot]| {
            slots.iter().find_map(|&slot| {
                view.values(slot).find(|v| matches!(v.kind, Kind::Str | Kind::Num | Kind::Bool) && !v.text.is_empty()).map(|v| v.text.to_string())
            })
        };
        let [time, host, channel, code] = &self.columns;
        Columns { timestamp: first(time).map(|t| normal_time(&t)), host: first(host), channel: first(channel), code: first(code) }
    }
}

/// A timestamp in one form (`2026-11-20T09:12:03.114Z`) when it parses, else as written.
pub fn normal_time(text: &str) -> String {
    vigil_engine::time::parse_timestamp(text).and_then(ms_time).unwrap_or_else(|| text.to_string())
}

/// Milliseconds since the epoch as RFC 3339 UTC with milliseconds.
pub fn ms_time(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms).ok().map(|t| format!("{t:.3}"))
}

/// A Windows channel without its common prefix and suffix (`Microsoft-Windows-Sysmon/Operational`
/// → `Sysmon`); other channels as they are.
pub fn short_channel(channel: &str) -> &str {
    let c = channel.strip_prefix("Microsoft-Windows-").unwrap_or(channel);
    c.strip_suffix("/Operational").unwrap_or(c)
}

/// The matched values as one text: `Image=C:\x.exe; CommandLine=x -y`.
pub fn matched_text(matched: &[(String, String)]) -> String {
    matched.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join("; ")
}

/// The level as the table shows it (Hayabusa's abbreviations).
pub fn short_level(level: Option<vigil_ir::Level>) -> &'static str {
    match level {
        Some(vigil_ir::Level::Critical) => "crit",
        Some(vigil_ir::Level::High) => "high",
        Some(vigil_ir::Level::Medium) => "med",
        Some(vigil_ir::Level::Low) => "low",
        Some(vigil_ir::Level::Informational) => "info",
        None => "-",
    }
}

/// Column widths of the table. With a terminal width, the rule title and the matched values
/// share what the fixed columns leave and every cell is cut to its column; without one
/// (output to a file or a pipe), nothing is cut and the widths are only minimums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths {
    pub cut: bool,
    pub host: usize,
    pub event: usize,
    pub rule: usize,
    pub matched: usize,
}

const TIME_WIDTH: usize = 24;
const LEVEL_WIDTH: usize = 5;

impl Widths {
    /// Widths for a terminal of `width` columns, or for output that is not a terminal.
    pub fn for_terminal(width: Option<usize>) -> Widths {
        match width {
            None => Widths { cut: false, host: 16, event: 14, rule: 40, matched: 0 },
            Some(w) => {
                // Six columns, five single spaces between them; host and event shrink on
                // narrow terminals, the rule title and the matched values share the rest.
                let free = w.saturating_sub(TIME_WIDTH + LEVEL_WIDTH + 5);
                let host = (free * 12 / 100).clamp(8, 20);
                let event = (free * 10 / 100).clamp(8, 16);
                let rest = free.saturating_sub(host + event);
                let rule = rest * 45 / 100;
                Widths { cut: true, host, event, rule, matched: rest - rule }
            }
        }
    }

    /// The header line.
    pub fn header(&self) -> String {
        self.row(["TIMESTAMP", "HOST", "EVENT", "LEVEL", "RULE", "MATCHED"], |s| s.to_string())
    }

    /// One row of cells in column order (timestamp, host, event, level, rule, matched);
    /// `paint_level` styles the level cell (after it was padded).
    pub fn row(&self, cells: [&str; 6], paint_level: impl Fn(&str) -> String) -> String {
        let [time, host, event, level, rule, matched] = cells;
        let level_cell = paint_level(&self.cell(level, LEVEL_WIDTH));
        let line = format!(
            "{} {} {} {level_cell} {} {}",
            self.cell(time, TIME_WIDTH),
            self.cell(host, self.host),
            self.cell(event, self.event),
            self.cell(rule, self.rule),
            if self.cut { fit(matched, self.matched, false) } else { clean(matched) },
        );
        line.trim_end().to_string()
    }

    fn cell(&self, text: &str, width: usize) -> String {
        fit(text, width, !self.cut)
    }
}

/// `text` without control characters, padded to `width`; cut with `…` unless `keep`.
fn fit(text: &str, width: usize, keep: bool) -> String {
    let text = clean(text);
    let count = text.chars().count();
    if count <= width || keep {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_come_from_each_layout() {
        let mut reader = ColumnReader::default();
        let ecs = reader.read(
            r#"{"@timestamp":"2026-11-20T09:12:03.114Z","event":{"code":"1"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational"},"host":{"name":"WKS-1"}}"#,
        );
        assert_eq!(ecs.timestamp.as_deref(), Some("2026-11-20T09:12:03.114Z"));
        assert_eq!((ecs.host.as_deref(), ecs.event_label().as_str()), (Some("WKS-1"), "Sysmon 1"));
        let evtx = reader.read(
            r##"{"Event":{"System":{"EventID":{"#text":4688,"#attributes":{"Qualifiers":0}},"Channel":"Security","Computer":"DC01","TimeCreated":{"#attributes":{"SystemTime":"2019-05-14T03:48:12.345678Z"}}}}}"##,
        );
        assert_eq!(evtx.timestamp.as_deref(), Some("2019-05-14T03:48:12.345Z"));
        assert_eq!((evtx.host.as_deref(), evtx.event_label().as_str()), (Some("DC01"), "Security 4688"));
        let flat =
            reader.read(r#"{"EventID":10,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WORKSTATION5","@timestamp":"2020-05-02T03:00:00.000Z"}"#);
        assert_eq!((flat.host.as_deref(), flat.event_label().as_str()), (Some("WORKSTATION5"), "Sysmon 10"));
        let dotted = reader.read(r#"{"host.name":"h","event.code":"4624","ts":1600000000.5}"#);
        assert_eq!((dotted.host.as_deref(), dotted.code.as_deref()), (Some("h"), Some("4624")));
        assert_eq!(dotted.timestamp.as_deref(), Some("2020-09-13T12:26:40.500Z"));
        assert_eq!(reader.read("not json"), Columns::default());
    }

    #[test]
    fn rows_follow_the_terminal_width_and_are_not_cut_without_one() {
        let long = "x".repeat(300);
        for width in [80, 120, 200] {
            let w = Widths::for_terminal(Some(width));
            let row = w.row(["2026-11-20T09:12:03.114Z", "host", "Sysmon 1", "high", &long, &long], |s| s.to_string());
            assert_eq!(row.chars().count(), width, "{row}");
            assert!(row.contains('…'));
        }
        let row = Widths::for_terminal(None).row(["t", "h", "e", "low", &long, &long], |s| s.to_string());
        assert_eq!(row.matches(&long).count(), 2, "nothing cut: {row}");
    }
}
