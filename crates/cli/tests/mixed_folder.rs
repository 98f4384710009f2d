#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! A folder holding an EVTX file, an auditd log and an NDJSON file: with no `--pipeline`,
//! each file is evaluated with its own format's pipeline (`evtx`, `ecs-linux`, `none`), so
//! a rule of each fires on its own file; `--pipeline` applies one pipeline to all (then
//! the EVTX rule finds no fields). Output and
//! summary do not depend on the thread count.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hunt(args: &[&str], rules: &Path, dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("hunt").arg("--rules").arg(rules).args(args).arg(dir).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Alerts as (rule file name, event file name) in NDJSON output.
fn alerts(stdout: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let file = v["source"]["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (v["rule"]["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(), file)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_file_is_read_with_its_own_pipeline() {
    let base = std::env::temp_dir().join(format!("vigil-mixed-{}", std::process::id()));
    let (dir, rules) = (base.join("logs"), base.join("rules"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&rules).unwrap();
    let cve = "rules-emerging-threats/2025/Exploits/CVE-2025-55182/proc_creation_win_exploit_cve_2025_55182_susp_nodejs_server_child_process";
    std::fs::copy(root().join(format!("testdata/sigmahq/regression/regression_data/{cve}/271de298-cc0e-4842-acd8-079a0a99ea65.evtx")), dir.join("a.evtx"))
        .unwrap();
    std::fs::copy(root().join("testdata/auditd/sh_binary_padding_dd_2020-11-10081941.log"), dir.join("b.log")).unwrap();
    std::fs::copy(root().join("testdata/otrf/windows-flat-sample.ndjson"), dir.join("c.ndjson")).unwrap();
    std::fs::copy(root().join(format!("testdata/sigmahq/sigma/{cve}.yml")), rules.join("cve.yml")).unwrap();
    std::fs::copy(root().join("testdata/auditd/sigma/rules/linux/auditd/execve/lnx_auditd_binary_padding.yml"), rules.join("padding.yml")).unwrap();
    std::fs::copy(
        root().join("testdata/sigmahq/sigma/rules-threat-hunting/windows/image_load/image_load_wmi_module_load_by_uncommon_process.yml"),
        rules.join("wmi.yml"),
    )
    .unwrap();

    let (code, one, summary) = hunt(&["--format", "ndjson", "-j", "1"], &rules, &dir);
    assert_eq!(code, Some(0), "{summary}");
    let got = alerts(&one);
    // The EVTX rule through `evtx`, the auditd rule through `ecs-linux`, the image-load rule
    // on the flat JSON through `none`.
    let pair = |r: &str, f: &str| (r.to_string(), f.to_string());
    assert_eq!(
        got,
        [pair("cve.yml", "a.evtx"), pair("padding.yml", "b.log"), pair("wmi.yml", "c.ndjson"), pair("wmi.yml", "c.ndjson"), pair("wmi.yml", "c.ndjson")],
        "{summary}"
    );
    assert!(summary.contains("with pipeline `evtx`, `ecs-linux`, `none`"), "{summary}");
    // Output and summary do not depend on the thread count.
    let (_, four, summary4) = hunt(&["--format", "ndjson", "-j", "4"], &rules, &dir);
    assert_eq!(one, four);
    let counts = |s: &str| {
        s.lines().filter(|l| l.starts_with("events:") || l.starts_with("alerts:")).map(|l| l.split(';').next().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(counts(&summary), counts(&summary4));
    // One pipeline for all: the EVTX rule no longer finds its fields (the auditd rule reads
    // raw auditd names, which `none` leaves as they are).
    let (_, forced, forced_summary) = hunt(&["--format", "ndjson", "--pipeline", "none"], &rules, &dir);
    let forced = alerts(&forced);
    assert_eq!(forced, [pair("padding.yml", "b.log"), pair("wmi.yml", "c.ndjson"), pair("wmi.yml", "c.ndjson"), pair("wmi.yml", "c.ndjson")]);
    assert!(forced_summary.contains("with pipeline `none`"), "{forced_summary}");
    std::fs::remove_dir_all(&base).unwrap();
}
