#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The `windows-flat` pipeline (OTRF/Mordor exports: EventData at the top level beside
//! `EventID`, `Channel`, `SourceName`, `Hostname`) gives, rule by rule, the alerts the `evtx`
//! pipeline gives on the same records in the EVTX layout.
//!
//! The EVTX layout is made here from the flat record ([`to_evtx_layout`]): the header fields
//! go under `Event.System` with the names and nesting the `evtx` crate writes
//! (`Provider.#attributes.Name`, `TimeCreated.#attributes.SystemTime`), everything else under
//! `Event.EventData`. On the in-project sample (testdata/otrf) with the in-project SigmaHQ
//! rules; on the full OTRF Windows datasets with the whole SigmaHQ corpus when ../shared is
//! there (ignored by default: it runs 78,807 events through 3,000 rules twice).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The flat record's header field names (first found wins) and where the `evtx` crate puts
/// each under `Event.System`.
const SYSTEM: &[(&[&str], &[&str])] = &[
    (&["EventID"], &["EventID"]),
    (&["Channel"], &["Channel"]),
    (&["Hostname", "Computer"], &["Computer"]),
    (&["SourceName", "Provider_Name"], &["Provider", "#attributes", "Name"]),
    (&["Level"], &["Level"]),
    (&["Task"], &["Task"]),
    (&["Keywords"], &["Keywords"]),
    (&["Version"], &["Version"]),
    (&["RecordNumber", "EventRecordID"], &["EventRecordID"]),
    (&["@timestamp", "TimeCreated"], &["TimeCreated", "#attributes", "SystemTime"]),
];

/// One flat record rewritten to the nested layout of `evtx_dump -o json`.
fn to_evtx_layout(flat: &Value) -> Value {
    let mut data: Map<String, Value> = flat.as_object().unwrap().clone();
    let mut system = Map::new();
    for (names, path) in SYSTEM {
        let Some(value) = names.iter().find_map(|n| data.get(*n).cloned()) else { continue };
        for n in *names {
            data.remove(*n);
        }
        let mut at = &mut system;
        for key in &path[..path.len() - 1] {
            at = at.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new())).as_object_mut().unwrap();
        }
        at.insert(path[path.len() - 1].to_string(), value);
    }
    serde_json::json!({"Event": {"System": system, "EventData": data}})
}

/// Alerts by rule id, with the summary line on events read.
fn per_rule(pipeline: &str, rules: &Path, input: &Path) -> (BTreeMap<String, usize>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("hunt")
        .arg("--rules")
        .arg(rules)
        .args(["--pipeline", pipeline, "--format", "ndjson"])
        .arg(input)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{pipeline}: {stderr}");
    let mut counts = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let alert: Value = serde_json::from_str(line).unwrap();
        *counts.entry(alert["rule"]["id"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    let events = stderr.lines().find(|l| l.starts_with("events:")).unwrap_or_default().to_string();
    (counts, events)
}

/// Writes `lines` (flat records) as they are and in the EVTX layout; returns both paths.
fn write_both(name: &str, lines: &[String]) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("vigil-windows-flat-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (flat, nested) = (dir.join("flat.ndjson"), dir.join("evtx-layout.ndjson"));
    let mut text = String::new();
    for line in lines {
        let record: Value = serde_json::from_str(line).unwrap();
        text.push_str(&to_evtx_layout(&record).to_string());
        text.push('\n');
    }
    std::fs::write(&nested, text).unwrap();
    std::fs::write(&flat, lines.join("\n") + "\n").unwrap();
    (flat, nested)
}

/// The same per-rule counts through both pipelines, except for the rules `outside` (ids);
/// returns the counts.
fn same_alerts(name: &str, lines: &[String], rules: &Path, outside: &BTreeSet<String>) -> BTreeMap<String, usize> {
    let (flat, nested) = write_both(name, lines);
    let (by_flat, read_flat) = per_rule("windows-flat", rules, &flat);
    let (by_evtx, read_evtx) = per_rule("evtx", rules, &nested);
    let expected_read = format!("events: {} read, 0 skipped", lines.len());
    assert!(read_flat.starts_with(&expected_read), "{read_flat}");
    assert!(read_evtx.starts_with(&expected_read), "{read_evtx}");
    let differ: Vec<_> = by_flat
        .keys()
        .chain(by_evtx.keys())
        .filter(|id| by_flat.get(*id) != by_evtx.get(*id) && !outside.contains(*id))
        .map(|id| format!("{id}: windows-flat {:?}, evtx {:?}", by_flat.get(id), by_evtx.get(id)))
        .collect();
    assert!(differ.is_empty(), "{} rule(s) differ:\n{}", differ.len(), differ.join("\n"));
    std::fs::remove_dir_all(flat.parent().unwrap()).unwrap();
    by_flat
}

#[test]
fn the_layout_rewrite_moves_the_header_under_system() {
    let flat: Value = serde_json::from_str(
        r#"{"EventID":13,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WS5","SourceName":"Microsoft-Windows-Sysmon","@timestamp":"2020-10-09T22:30:01.952Z","TargetObject":"HKLM\\x","EventType":"SetValue"}"#,
    )
    .unwrap();
    let nested = to_evtx_layout(&flat);
    assert_eq!(nested["Event"]["System"]["EventID"], 13);
    assert_eq!(nested["Event"]["System"]["Computer"], "WS5");
    assert_eq!(nested["Event"]["System"]["Provider"]["#attributes"]["Name"], "Microsoft-Windows-Sysmon");
    assert_eq!(nested["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"], "2020-10-09T22:30:01.952Z");
    assert_eq!(nested["Event"]["EventData"], serde_json::json!({"TargetObject": "HKLM\\x", "EventType": "SetValue"}));
}

#[test]
fn windows_flat_alerts_as_evtx_does_on_the_sample() {
    let text = std::fs::read_to_string(root().join("testdata/otrf/windows-flat-sample.ndjson")).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 80);
    let rules = root().join("testdata/sigmahq/sigma");
    let counts = same_alerts("sample", &lines, &rules, &BTreeSet::new());
    // Real alerts, from rules of several log sources (not only the match-all rule).
    let alerting = counts.iter().filter(|(_, n)| **n > 0 && **n < lines.len()).count();
    assert!(alerting >= 9, "{counts:?}");
    // Records are routed by their own label (Channel and EventID make them Windows records):
    // rules of other products no longer match them, such as Zeek's RDP listener rule,
    // whose only condition every record met.
    assert!(!counts.contains_key("1fc0809e-06bf-4de3-ad52-25e5263b7623"), "{counts:?}");
    assert!(!counts.contains_key("5e51acb2-bcbe-435b-99c6-0e3cd5e2aa59"), "{counts:?}");
    // The log-source conditions matter: without them (`none`) more rules alert.
    let (flat, _) = write_both("none", &lines);
    let (unconditioned, _) = per_rule("none", &rules, &flat);
    std::fs::remove_dir_all(flat.parent().unwrap()).unwrap();
    // (RunMRU Registry Key Deletion: two Sysmon 12 CreateKey records meet its detection, not
    // its registry_delete condition on EventType.)
    let excluded = unconditioned.keys().filter(|id| !counts.contains_key(*id)).count();
    assert!(excluded >= 1, "none {unconditioned:?}\nwindows-flat {counts:?}");
}

/// The full OTRF Windows datasets (three zips, 78,807 records) with the whole SigmaHQ corpus.
/// Needs ../shared and `unzip`; run with `cargo test -p vigil-cli --test windows_flat -- --ignored`.
#[test]
#[ignore = "long: 78,807 events through the whole SigmaHQ corpus twice (needs ../shared)"]
fn windows_flat_alerts_as_evtx_does_on_the_otrf_datasets() {
    let shared = vigil_conformance::shared();
    let base = shared.join("datasets/otrf-security-datasets/datasets/atomic/windows");
    assert!(base.is_dir(), "no OTRF datasets at {}", base.display());
    let zips = [
        "defense_evasion/host/cmd_bitsadmin_download_psh_script.zip",
        "lateral_movement/host/covenant_dcom_iertutil_dll_hijack.zip",
        "persistence/host/empire_persistence_registry_modification_run_keys_standard_user.zip",
    ];
    let mut lines = Vec::new();
    for zip in zips {
        let out = Command::new("unzip").arg("-p").arg(base.join(zip)).output().expect("`unzip` is needed for this test");
        assert!(out.status.success(), "{zip}");
        lines.extend(String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    assert_eq!(lines.len(), 78_807);
    // Rules for another product (linux, macos) are outside both pipelines: `evtx` never
    // matches them (their fields are not prefixed, and EVTX records nest every field), while
    // `windows-flat` lets them read the flat fields (on these records, two: a Linux
    // file_event rule on TargetFilename and a macOS process_creation rule on Image).
    let corpus = shared.join("corpus/sigma");
    let outside = non_windows_rule_ids(&corpus);
    assert!(outside.len() > 300, "{}", outside.len());
    let counts = same_alerts("otrf", &lines, &corpus, &outside);
    let total: usize = counts.values().sum();
    eprintln!("windows-flat = evtx on {} records: {} alert(s) from {} rule(s)", lines.len(), total, counts.len());
    assert!(counts.len() >= 20, "{counts:?}");
}

/// Ids of the rules under `dir` whose log source names a product other than windows.
fn non_windows_rule_ids(dir: &Path) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let product = text.lines().find_map(|l| l.trim().strip_prefix("product:")).map(str::trim);
                let id = text.lines().find_map(|l| l.strip_prefix("id:")).map(str::trim);
                if let (Some(product), Some(id)) = (product, id) {
                    if product != "windows" {
                        ids.insert(id.to_string());
                    }
                }
            }
        }
    }
    ids
}
