#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The CI contract: the documented exit codes of every command (0 ok, 1 findings, 2 usage
//! or I/O, an I/O error winning over findings), `hunt --fail-on-detection`, and
//! `check --format json`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-exit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const RULE: &str = "title: cmd\nlevel: high\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n";

#[test]
fn hunt_fails_on_detection_only_when_asked_and_an_alert_was_raised() {
    let dir = scratch("hunt");
    std::fs::write(dir.join("r.yml"), RULE).unwrap();
    std::fs::write(dir.join("hit.ndjson"), "{\"Image\":\"C:\\\\cmd.exe\"}\n").unwrap();
    std::fs::write(dir.join("miss.ndjson"), "{\"Image\":\"C:\\\\calc.exe\"}\n").unwrap();
    let hunt = |events: &str, extra: &[&str]| vigil().arg("hunt").arg(dir.join(events)).arg("--rules").arg(dir.join("r.yml")).args(extra).output().unwrap();
    assert_eq!(code(&hunt("hit.ndjson", &[])), Some(0), "alerts alone do not fail a run");
    let failed = hunt("hit.ndjson", &["--fail-on-detection"]);
    assert_eq!(code(&failed), Some(1));
    assert!(String::from_utf8(failed.stderr).unwrap().contains("alerts: 1"));
    assert_eq!(code(&hunt("miss.ndjson", &["--fail-on-detection"])), Some(0));
    // Every format keeps the contract.
    for format in ["table", "ndjson", "csv", "sarif"] {
        assert_eq!(code(&hunt("hit.ndjson", &["--fail-on-detection", "--format", format])), Some(1), "{format}");
    }
    // Filters that leave the alerting rule out: no detection.
    assert_eq!(code(&hunt("miss.ndjson", &["--fail-on-detection", "--min-level", "high"])), Some(0));
    // An unreadable input is an I/O error and wins over findings.
    let both = vigil()
        .arg("hunt")
        .arg(dir.join("hit.ndjson"))
        .arg(dir.join("missing.ndjson"))
        .arg("--rules")
        .arg(dir.join("r.yml"))
        .arg("--fail-on-detection")
        .output()
        .unwrap();
    assert_eq!(code(&both), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_errors_exit_2_for_every_command() {
    for args in [
        &["hunt", "--no-such-flag"][..],
        &["hunt", "--format", "xml"],
        &["hunt", "--min-level", "severe"],
        &["hunt", "--pipeline", "no-such-pipeline"],
        &["check"],
        &["check", "x.yml", "--format", "xml"],
        &["check", "x.yml", "--status", "finished"],
        &["list"],
        &["list", "no-such-list"],
        &["list", "rules", "--level", "huge"],
        &["completions"],
        &["completions", "tcsh"],
        &["man", "extra"],
        &["no-such-command"],
        &["--color", "sometimes", "list", "pipelines"],
    ] {
        let out = vigil().args(args).output().unwrap();
        assert_eq!(code(&out), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty(), "{args:?}: a usage error says why");
    }
}

#[test]
fn commands_that_succeed_exit_0() {
    for args in
        [&["list", "pipelines"][..], &["list", "targets"], &["list", "rules"], &["completions", "bash"], &["man"], &["hunt"], &["--help"], &["--version"]]
    {
        let out = vigil().args(args).output().unwrap();
        assert_eq!(code(&out), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let check = vigil().arg("check").arg(root().join("content/rules")).output().unwrap();
    assert_eq!(code(&check), Some(0));
}

#[test]
fn list_rules_exits_2_on_a_path_it_cannot_read() {
    let out = vigil().args(["list", "rules", "/nonexistent/vigil-rules"]).output().unwrap();
    assert_eq!(code(&out), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("1 unreadable path(s)"));
}

#[test]
fn check_json_carries_the_diagnostics_and_the_counts_with_the_same_exit_codes() {
    let dir = scratch("json");
    std::fs::write(dir.join("good.yml"), RULE).unwrap();
    std::fs::write(dir.join("bad.yml"), RULE.replace("endswith", "endswithh")).unwrap();
    let out = vigil().arg("check").arg(&dir).args(["--format", "json"]).output().unwrap();
    assert_eq!(code(&out), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["loaded"], 1);
    assert_eq!(report["summary"]["rejected"], 1);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(
        (d["severity"].as_str(), d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("error"), Some("sigma::unknown-modifier"), Some(6), Some(11))
    );
    assert!(d["file"].as_str().unwrap().ends_with("bad.yml"));
    assert!(d["hint"].is_string());
    // An unreadable path: exit 2, counted.
    let out = vigil().arg("check").arg(&dir).arg("/nonexistent/vigil-rules").args(["--format", "json"]).output().unwrap();
    assert_eq!(code(&out), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["unreadable_paths"], 1);
    // Filters are counted too.
    let out = vigil().arg("check").arg(dir.join("good.yml")).args(["--format", "json", "--min-level", "critical"]).output().unwrap();
    assert_eq!(code(&out), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["summary"]["loaded"].as_u64(), report["summary"]["left_out_by_filters"].as_u64()), (Some(0), Some(1)));
    let _ = std::fs::remove_dir_all(dir);
}
