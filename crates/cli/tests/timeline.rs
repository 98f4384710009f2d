#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The alert timeline: NDJSON alerts carry `@timestamp`, `host.name`, `event.code` and
//! `matched` taken from the event, whatever its layout (ECS, EVTX, windows-flat, auditd,
//! Zeek); CSV and the table carry the same columns; `-o FILE` writes exactly what stdout
//! would get, in every format; and the warning for rules that read fields no event carried
//! names the layout the events have.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).output().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-timeline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn alerts(out: &Output) -> Vec<Value> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The value at a dotted path of an event: nested objects or dotted keys.
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    if let Some(v) = map.get(path) {
        return Some(v);
    }
    path.match_indices('.').find_map(|(i, _)| at(map.get(&path[..i])?, &path[i + 1..]))
}

/// The texts of a value: a scalar's, each element's of an array, an EVTX `#text`.
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(texts).collect(),
        Value::Object(map) => map.get("#text").map(texts).unwrap_or_default(),
        other => vec![other.to_string()],
    }
}

/// Every string the event holds (where keyword searches look).
fn all_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| all_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| all_strings(v, out)),
        _ => {}
    }
}

/// Checks an alert's `matched`: every value is one the event holds at that field (keyword
/// matches: one of its strings); returns how many values there were.
fn check_matched(alert: &Value) -> usize {
    let event = &alert["event"];
    let matched = alert["matched"].as_object().unwrap_or_else(|| panic!("no matched object: {alert}"));
    let mut n = 0;
    for (field, values) in matched {
        let values: Vec<String> = texts(values);
        let held = if field == "keywords" {
            let mut all = Vec::new();
            all_strings(event, &mut all);
            all
        } else {
            at(event, field).map(texts).unwrap_or_else(|| panic!("matched field {field} not in the event: {alert}"))
        };
        for v in values {
            assert!(held.contains(&v), "matched {field}={v} is not a value of the event ({held:?})");
            n += 1;
        }
    }
    n
}

/// Checks the timeline fields of NDJSON alerts against the event, with `host`, `code` and
/// `time` giving where this layout keeps them.
fn check_layout(alerts: &[Value], host: &str, code: &str, time: &str) {
    assert!(!alerts.is_empty());
    let mut matched = 0;
    for a in alerts {
        let event = &a["event"];
        assert_eq!(a["host.name"].as_str().map(String::from), at(event, host).map(|v| texts(v)[0].clone()), "{a}");
        assert_eq!(a["event.code"].as_str().map(String::from), at(event, code).map(|v| texts(v)[0].clone()), "{a}");
        // The timestamp is the event's, in one form: same instant (milliseconds), RFC 3339 UTC.
        let ts = a["@timestamp"].as_str().unwrap_or_else(|| panic!("no @timestamp: {a}"));
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
        let raw = texts(at(event, time).unwrap())[0].clone();
        assert_eq!(&raw[..19].replace(' ', "T"), &ts[..19], "{a}");
        matched += check_matched(a);
    }
    // A rule that matches by absence only (`not` of a field the event lacks) would name no
    // value; these runs have none.
    let named = alerts.iter().filter(|a| !a["matched"].as_object().unwrap().is_empty()).count();
    assert!(named == alerts.len() && matched >= named, "every alert names matched values: {named} of {}", alerts.len());
}

#[test]
fn ndjson_alerts_carry_the_timeline_fields_of_each_layout() {
    // ECS (the bundled samples): Windows records keep the code in event.code; the Linux
    // ones have none, so event.action stands in.
    let bundled = alerts(&vigil(&["hunt", "--format", "ndjson"]));
    let (windows, linux): (Vec<Value>, Vec<Value>) = bundled.into_iter().partition(|a| at(&a["event"], "event.code").is_some());
    check_layout(&windows, "host.name", "event.code", "@timestamp");
    check_layout(&linux, "host.name", "event.action", "@timestamp");
    assert!(windows.iter().all(|a| a["event.code"].is_string()) && !linux.is_empty());

    // windows-flat (OTRF layout), with SigmaHQ's Windows rules.
    let sigma = root().join("testdata/sigmahq/sigma/rules/windows");
    let otrf = root().join("testdata/otrf/windows-flat-sample.ndjson");
    let flat = alerts(&vigil(&["hunt", "-f", "ndjson", "-p", "windows-flat", "-r", path(&sigma), path(&otrf)]));
    check_layout(&flat, "Hostname", "EventID", "@timestamp");

    // EVTX: the record rendered as JSON.
    let evtx_dir = root().join("testdata/sigmahq/regression/regression_data/rules/windows/process_creation");
    let evtx = alerts(&vigil(&["hunt", "-f", "ndjson", "-p", "evtx", "-r", path(&sigma), path(&evtx_dir)]));
    check_layout(&evtx, "Event.System.Computer", "Event.System.EventID", "Event.System.TimeCreated.#attributes.SystemTime");

    // auditd (ECS rendering by the reader): no host in these samples, the action as the code.
    let auditd = alerts(&vigil(&["hunt", "-f", "ndjson", "-r", path(&root().join("testdata/auditd/sigma/rules")), path(&root().join("testdata/auditd"))]));
    check_layout(&auditd, "host.name", "event.action", "@timestamp");
}

/// Splits CSV text into rows of fields (quotes, doubled quotes, newlines in quotes).
fn csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

fn matched_text(alert: &Value) -> String {
    let mut parts = Vec::new();
    for (field, values) in alert["matched"].as_object().unwrap() {
        parts.extend(texts(values).into_iter().map(|v| format!("{field}={v}")));
    }
    parts.join("; ")
}

#[test]
fn csv_and_the_table_carry_the_same_columns_as_ndjson_and_nothing_is_cut_without_a_terminal() {
    let ndjson = alerts(&vigil(&["hunt", "--format", "ndjson", "-j", "1"]));
    let out = vigil(&["hunt", "--format", "csv", "-j", "1"]);
    let rows = csv(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0].join(","), "timestamp,host,channel,event_id,level,rule_name,matched,rule_id,techniques,source,line,event");
    assert_eq!(rows.len() - 1, ndjson.len());
    for (row, a) in rows[1..].iter().zip(&ndjson) {
        assert_eq!(row[0], a["@timestamp"].as_str().unwrap());
        assert_eq!(row[1], a["host.name"].as_str().unwrap_or(""));
        assert_eq!(row[3], a["event.code"].as_str().unwrap_or(""));
        assert_eq!(
            (row[4].as_str(), row[5].as_str(), row[7].as_str()),
            (a["rule"]["level"].as_str().unwrap(), a["rule"]["name"].as_str().unwrap(), a["rule"]["id"].as_str().unwrap())
        );
        assert_eq!(row[6], matched_text(a));
        assert_eq!(serde_json::from_str::<Value>(&row[11]).unwrap(), a["event"]);
    }
    // The table, not on a terminal: the same alerts in the same order, nothing cut.
    let table = String::from_utf8(vigil(&["hunt", "-j", "1"]).stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("TIMESTAMP") && lines[0].ends_with("MATCHED"), "{}", lines[0]);
    assert_eq!(lines.len() - 1, ndjson.len());
    for (line, a) in lines[1..].iter().zip(&ndjson) {
        assert!(line.starts_with(a["@timestamp"].as_str().unwrap()), "{line}");
        // Control characters (newlines of a command line) show as spaces.
        let matched: String = matched_text(a).chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        assert!(line.contains(a["rule"]["name"].as_str().unwrap()) && line.ends_with(&matched), "{line}\n{a}");
        assert!(!line.contains('…'), "{line}");
    }
}

#[test]
fn output_file_gets_exactly_what_stdout_would_in_every_format() {
    let dir = scratch("out");
    for format in ["table", "ndjson", "csv", "sarif"] {
        let file = dir.join(format!("alerts.{format}"));
        let to_stdout = vigil(&["hunt", "--format", format, "-j", "1"]);
        for flag in ["-o", "--output"] {
            let _ = std::fs::remove_file(&file);
            let to_file = vigil(&["hunt", "--format", format, "-j", "1", flag, path(&file)]);
            assert_eq!(to_file.status.code(), Some(0));
            assert!(to_file.stdout.is_empty(), "{format}: nothing on stdout");
            let written = std::fs::read(&file).unwrap();
            assert!(!written.is_empty());
            assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(to_stdout.stdout.clone()).unwrap(), "{format}");
            assert!(String::from_utf8_lossy(&to_file.stderr).contains("alerts: 72"));
        }
    }
    // A file that cannot be created: a usage/I/O error, said plainly.
    let out = vigil(&["hunt", "-o", path(&dir.join("missing/dir/alerts.csv"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output: cannot create"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

fn warnings(args: &[&str]) -> Vec<String> {
    let out = vigil(args);
    String::from_utf8(out.stderr).unwrap().lines().filter(|l| l.starts_with("warning: ")).map(String::from).collect()
}

#[test]
fn rules_reading_fields_no_event_carried_are_warned_of_with_the_layout_the_events_have() {
    let sigma = root().join("testdata/sigmahq/sigma/rules/windows");
    let otrf = root().join("testdata/otrf/windows-flat-sample.ndjson");
    let evtx = root().join("testdata/sigmahq/regression/regression_data/rules/windows/process_creation");
    // OTRF layout hunted with the EVTX layout's pipeline: not one field the rules read
    // (Event.System.*, Event.EventData.*) is there, and windows-flat fits.
    let w = warnings(&["hunt", "-f", "csv", "-p", "evtx", "-r", path(&sigma), path(&otrf)]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("warning: no event carried any of the ") && w[0].contains("the rules read (Event.System.Channel, "), "{}", w[0]);
    assert!(w[0].ends_with("try --pipeline windows-flat"), "{}", w[0]);
    // With rules of every product, some fields the rules read are carried (Linux and cloud
    // rules' names are not mapped by evtx); the fields most rules read are not, and it says so.
    let all = root().join("testdata/sigmahq/sigma");
    let w = warnings(&["hunt", "-f", "csv", "-p", "evtx", "-r", path(&all), path(&otrf)]);
    assert!(
        w.len() == 1 && w[0].contains("most rules read with pipeline `evtx`: Event.System.EventID (") && w[0].ends_with("try --pipeline windows-flat"),
        "{w:?}"
    );
    // The other way round: EVTX records hunted as if flat.
    let w = warnings(&["hunt", "-f", "csv", "-p", "windows-flat", "-r", path(&sigma), path(&evtx)]);
    assert!(w.len() == 1 && w[0].ends_with("try --pipeline evtx"), "{w:?}");
    // ECS samples with the evtx pipeline and the built-in rules: not one field read was
    // carried; the ECS layout is named.
    let w = warnings(&["hunt", "-p", "evtx"]);
    assert!(w.len() == 1 && w[0].starts_with("warning: no event carried any of the ") && w[0].ends_with("try --pipeline ecs-windows"), "{w:?}");
    // The right pipelines: no warning.
    assert!(warnings(&["hunt", "-f", "csv", "-p", "windows-flat", "-r", path(&sigma), path(&otrf)]).is_empty());
    assert!(warnings(&["hunt", "-f", "csv", "-p", "evtx", "-r", path(&sigma), path(&evtx)]).is_empty());
    // That directory mixes .evtx files and their records as JSON: each file is read with its
    // format's pipeline, `evtx` for the .evtx files (no warning) and `none` for the JSON
    // records, which carry none of the fields the rules read under `none`: the warning says
    // those records are in the EVTX layout.
    let w = warnings(&["hunt", "-f", "csv", "-r", path(&sigma), path(&evtx)]);
    assert!(
        w.len() == 1 && w[0].starts_with("warning: inputs read with pipeline `none`: no event carried any of the ") && w[0].ends_with("try --pipeline evtx"),
        "{w:?}"
    );
    assert!(warnings(&["hunt"]).is_empty());
}
