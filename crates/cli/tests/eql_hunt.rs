#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! EQL through `vigil hunt` and `vigil check`: `.eql` files and Elastic `.toml` rules load
//! beside Sigma YAML; the seed queries run unchanged on the built-in samples; a sequence or
//! sample alert carries its events, in order, in every output format; events out of time
//! order are reordered, and one too late is counted in the summary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-eql-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A process start, then its network connection, by entity id; the events of two
/// processes interleave, and one line arrives out of time order.
const EVENTS: &str = r#"{"@timestamp":"2024-05-01T10:00:00Z","event":{"category":"process","type":"start"},"process":{"entity_id":"p1","name":"mshta.exe"},"n":1}
{"@timestamp":"2024-05-01T10:00:05Z","event":{"category":"process","type":"start"},"process":{"entity_id":"p2","name":"mshta.exe"},"n":2}
{"@timestamp":"2024-05-01T10:00:30Z","event":{"category":"network"},"process":{"entity_id":"p2","name":"mshta.exe"},"n":4}
{"@timestamp":"2024-05-01T10:00:20Z","event":{"category":"network"},"process":{"entity_id":"p1","name":"mshta.exe"},"n":3}
{"@timestamp":"2024-05-01T11:00:00Z","event":{"category":"network"},"process":{"entity_id":"p3","name":"mshta.exe"},"n":5}
"#;

const SEQUENCE: &str = "// title: mshta then network\n// level: high\n// id: 6d3f4a3e-0000-4000-8000-000000000001\nsequence by process.entity_id with maxspan=1m\n  [process where process.name : \"mshta.exe\"]\n  [network where process.name : \"mshta.exe\"]\n";

fn setup(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("events.ndjson"), EVENTS).unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/seq.eql"), SEQUENCE).unwrap();
    dir
}

fn hunt(dir: &Path, format: &str) -> (String, String) {
    let out =
        vigil().arg("hunt").arg(dir.join("events.ndjson")).arg("--rules").arg(dir.join("rules")).args(["--format", format, "--threads", "2"]).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    text(&out)
}

#[test]
fn a_sequence_alert_carries_its_events_in_order_in_ndjson() {
    let dir = setup("ndjson");
    let (out, err) = hunt(&dir, "ndjson");
    let alerts: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // p1 (1 → 3, reordered by time) and p2 (2 → 4), ordered by their last event.
    assert_eq!(alerts.len(), 2, "{out}\n{err}");
    let ns: Vec<Vec<i64>> = alerts.iter().map(|a| a["sequence"]["events"].as_array().unwrap().iter().map(|e| e["n"].as_i64().unwrap()).collect()).collect();
    assert_eq!(ns, [[1, 3], [2, 4]]);
    assert_eq!(alerts[0]["sequence"]["join_keys"], serde_json::json!(["p1"]));
    assert_eq!(alerts[0]["sequence"]["at"][1]["line"], 4);
    assert_eq!(alerts[0]["rule"]["name"], "mshta then network");
    assert_eq!(alerts[0]["rule"]["level"], "high");
    assert!(err.contains("alerts: 2"), "{err}");
    assert!(err.contains("0 arrived too late"), "{err}");
}

#[test]
fn table_csv_and_sarif_name_every_event_of_a_sequence() {
    let dir = setup("formats");
    let (table, _) = hunt(&dir, "table");
    let lines: Vec<&str> = table.lines().filter(|l| l.contains("mshta then network")).collect();
    assert_eq!(lines.len(), 2, "{table}");
    // The timeline row: the first event's time, the kind in the event column, and the join
    // key and every event (file:line) where a detection shows what matched.
    assert!(lines[0].starts_with("2024-05-01T10:00:00.000Z "), "{}", lines[0]);
    assert!(
        lines[0].contains(" sequence ")
            && lines[0].contains("sequence by p1: ")
            && lines[0].contains("events.ndjson:1 ")
            && lines[0].ends_with("events.ndjson:4"),
        "{}",
        lines[0]
    );
    let (csv, _) = hunt(&dir, "csv");
    assert_eq!(csv.lines().filter(|l| l.contains("sequence by p2: ")).count(), 1, "{csv}");
    let (sarif, _) = hunt(&dir, "sarif");
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["properties"]["events"].as_array().unwrap().len(), 2);
}

#[test]
fn an_event_later_than_the_reorder_buffer_is_counted_not_matched() {
    // 5,000 unrelated stage matches between an event and its late partner push the early
    // event out of the buffer (4,096 matches) before the late one arrives.
    let dir = scratch("late");
    let mut events = String::from(
        "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"entity_id\":\"a\",\"name\":\"mshta.exe\"}}\n",
    );
    for i in 0..5000 {
        events.push_str(&format!("{{\"@timestamp\":\"2024-05-01T10:00:10Z\",\"event\":{{\"category\":\"process\"}},\"process\":{{\"entity_id\":\"x{i}\",\"name\":\"mshta.exe\"}}}}\n"));
    }
    events
        .push_str("{\"@timestamp\":\"2024-05-01T10:00:01Z\",\"event\":{\"category\":\"network\"},\"process\":{\"entity_id\":\"a\",\"name\":\"mshta.exe\"}}\n");
    std::fs::write(dir.join("events.ndjson"), events).unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/seq.eql"), SEQUENCE).unwrap();
    let (out, err) = hunt(&dir, "ndjson");
    assert_eq!(out.lines().count(), 0, "{out}");
    assert!(err.contains("1 arrived too late for the reorder buffer"), "{err}");
}

#[test]
fn the_seed_eql_queries_run_unchanged_on_the_built_in_samples() {
    let out = vigil().arg("hunt").arg(root().join("content/samples")).arg("--rules").arg(root().join("testdata/eql/seeds")).output().unwrap();
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("rules: 3 loaded, 0 rejected"), "{err}");
    // Per seed, the alerts on the four built-in samples.
    for (n, title) in [(19, "t1587_003"), (11, "root_ca_registry"), (6, "t1608_003")] {
        assert!(err.lines().any(|l| l.trim() == format!("{n}  {title}")), "{title}: {err}");
    }
}

#[test]
fn elastic_toml_rules_and_eql_files_load_beside_sigma_in_check_and_hunt() {
    let dir = setup("toml");
    std::fs::copy(root().join("testdata/eql/elastic-toml/defense_evasion_mshta_beacon.toml"), dir.join("rules/mshta.toml")).unwrap();
    std::fs::write(
        dir.join("rules/sigma.yml"),
        "title: any mshta\nlogsource: {product: windows}\ndetection:\n  sel:\n    process.name: mshta.exe\n  condition: sel\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/bad.eql"), "process where process.name ==\n").unwrap();
    let check = vigil().arg("check").arg(dir.join("rules")).output().unwrap();
    let (cout, cerr) = text(&check);
    let report = format!("{cout}{cerr}");
    assert!(report.contains("error[eql::syntax]") && report.contains("bad.eql:2:1") && report.contains("checked: 3 loaded, 1 rejected"), "{report}");
    // The Elastic rule reads `host.os.type` and `event.type`: events that carry them.
    let events = EVENTS
        .replace(
            "\"event\":{\"category\":\"process\",\"type\":\"start\"}",
            "\"event\":{\"category\":\"process\",\"type\":\"start\"},\"host\":{\"os\":{\"type\":\"windows\"}}",
        )
        .replace("\"event\":{\"category\":\"network\"}", "\"event\":{\"category\":\"network\"},\"host\":{\"os\":{\"type\":\"windows\"}}");
    std::fs::write(dir.join("events.ndjson"), events).unwrap();
    let out = vigil().arg("hunt").arg(dir.join("events.ndjson")).arg("--rules").arg(dir.join("rules")).args(["--format", "ndjson"]).output().unwrap();
    let (out, err) = text(&out);
    assert!(err.contains("rules: 3 loaded, 1 rejected"), "{err}");
    let alerts: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let by = |name: &str| alerts.iter().filter(|a| a["rule"]["name"] == name).count();
    assert_eq!((by("Mshta Making Network Connections"), by("mshta then network"), by("any mshta")), (2, 2, 5), "{out}");
    let elastic = alerts.iter().find(|a| a["rule"]["name"] == "Mshta Making Network Connections").unwrap();
    assert_eq!(elastic["rule"]["attack"]["techniques"], serde_json::json!(["T1218", "T1218.005"]));
}
