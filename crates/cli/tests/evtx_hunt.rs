#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! `vigil hunt` over EVTX files: recognised by content, the `evtx` pipeline by default,
//! alerts quoting each record as JSON under its record number, the same output whatever the
//! thread count; `--format-in` overrides detection.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The regression cases whose `.evtx` file the project keeps: (rule id, path).
fn cases() -> Vec<(String, PathBuf)> {
    let dir = root().join("testdata/sigmahq/regression");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    cases
        .lines()
        .skip(1)
        .map(|row| row.split('\t').collect::<Vec<_>>())
        .map(|cols| (cols[0].to_string(), dir.join(cols[2])))
        .filter(|(_, path)| path.is_file())
        .collect()
}

fn hunt(args: &[&str], paths: &[PathBuf]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("hunt").args(args).args(paths).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn hunt_over_evtx_files_just_works() {
    let cases = cases();
    assert_eq!(cases.len(), 21);
    let paths: Vec<PathBuf> = cases.iter().map(|c| c.1.clone()).collect();
    let rules = root().join("testdata/sigmahq/sigma");
    let rules = rules.to_str().unwrap();
    let (code, stdout, stderr) = hunt(&["--rules", rules, "--format", "ndjson", "--threads", "2"], &paths);
    assert_eq!(code, Some(0), "{stderr}");
    // Every record of the 21 files (pinned in testdata/evtx-datasets.tsv: 1 to 4 each).
    assert!(stderr.contains("events: 25 read, 0 skipped, 0 bad value(s), from 21 source(s)"), "{stderr}");
    let alerts: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Each case's own rule alerts on its own file (the `evtx` pipeline was picked).
    for (id, path) in &cases {
        let hit = alerts.iter().any(|a| a["rule"]["id"] == id.as_str() && a["source"]["path"] == path.to_str().unwrap());
        assert!(hit, "{id} on {}", path.display());
    }
    for a in &alerts {
        // The record as JSON, under its record number (the record header's, which an
        // exported log numbers from 1).
        assert!(a["event"]["Event"]["System"]["Channel"].is_string(), "{a}");
        assert!(a["source"]["line"].as_u64().is_some_and(|n| (1..=4).contains(&n)), "{a}");
    }
    // The same output on one thread.
    let (code, one, _) = hunt(&["--rules", rules, "--format", "ndjson", "--threads", "1"], &paths);
    assert_eq!((code, one), (Some(0), stdout));
}

#[test]
fn format_in_overrides_detection() {
    let cases = cases();
    let path = cases[0].1.clone();
    let rules = root().join("testdata/sigmahq/sigma/rules/windows");
    let rules = rules.to_str().unwrap();
    let (code, _, stderr) = hunt(&["--rules", rules, "--format-in", "json"], std::slice::from_ref(&path));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("EVTX (Windows event log) where JSON text was expected"), "{stderr}");
    let (code, _, stderr) = hunt(&["--rules", rules, "--format-in", "EVTX"], std::slice::from_ref(&path));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("events: 1 read"), "{stderr}");
    let (code, _, stderr) = hunt(&["--rules", rules, "--format-in", "xml"], &[path]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown format `xml` (use json, evtx") && stderr.contains("zeek") && stderr.contains("auditd"), "{stderr}");
}

/// (rule id, file, record) of every alert.
fn alert_keys(stdout: &str) -> std::collections::BTreeSet<(String, String, u64)> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|a| (a["rule"]["id"].as_str().unwrap().to_string(), a["source"]["path"].as_str().unwrap().to_string(), a["source"]["line"].as_u64().unwrap()))
        .collect()
}

#[test]
fn evtx_records_also_carry_ecs_names() {
    // The same Windows rules through the `ecs-windows` pipeline (Winlogbeat's names, event
    // categories) alert on the same records as through the `evtx` pipeline.
    let paths: Vec<PathBuf> = cases().into_iter().map(|c| c.1).collect();
    let rules = root().join("testdata/sigmahq/sigma/rules/windows");
    let rules = rules.to_str().unwrap();
    let (code, evtx, stderr) = hunt(&["--rules", rules, "--format", "ndjson", "--pipeline", "evtx"], &paths);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, ecs, stderr) = hunt(&["--rules", rules, "--format", "ndjson", "--pipeline", "ecs-windows"], &paths);
    assert_eq!(code, Some(0), "{stderr}");
    let (evtx, ecs) = (alert_keys(&evtx), alert_keys(&ecs));
    assert_eq!(evtx.len(), 24);
    assert_eq!(evtx, ecs);
}
