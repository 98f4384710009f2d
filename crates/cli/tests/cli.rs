#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! End-to-end tests of the `vigil` binary: what a user sees.

use std::io::Write;
use std::process::{Command, Stdio};

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn hunt_without_arguments_runs_the_pack_over_the_bundled_samples() {
    let out = vigil().args(["hunt", "--format", "ndjson"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let alerts: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(alerts.len(), 72);
    for a in &alerts {
        assert!(a["rule"]["id"].is_string() && a["rule"]["name"].is_string() && a["rule"]["level"].is_string());
        assert!(a["rule"]["attack"]["techniques"].as_array().is_some_and(|t| !t.is_empty()));
        assert!(a["source"]["path"].as_str().is_some_and(|p| p.starts_with("<builtin>/samples/")));
        assert!(a["source"]["line"].as_u64().is_some_and(|l| l > 0));
        assert!(a["event"].is_object());
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("events: 78 read, 0 skipped"), "{stderr}");
    assert!(stderr.contains("alerts: 72"), "{stderr}");
}

#[test]
fn malformed_events_are_reported_skipped_and_counted() {
    let dir = std::env::temp_dir().join(format!("vigil-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("r.yml");
    std::fs::write(&rule, "title: cmd\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n").unwrap();
    let events = dir.join("e.ndjson");
    std::fs::write(&events, "{\"Image\":\"C:\\\\cmd.exe\"}\n{\"Image\": \n{\"Image\":\"x\"}\n{\"Image\":\"D:\\\\CMD.EXE\"}\n").unwrap();
    let out = vigil().arg("hunt").arg(&events).arg("--rules").arg(&rule).args(["--format", "csv"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}"); // header + 2 alerts
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("e.ndjson:2:"), "{stderr}");
    assert!(stderr.contains("events: 3 read, 1 skipped"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hunt_reads_stdin_and_gzip() {
    let rule = root().join("content/rules");
    let mut child = vigil()
        .arg("hunt")
        .arg("-")
        .arg("--rules")
        .arg(&rule)
        .args(["--pipeline", "ecs-windows", "--format", "ndjson"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sample = std::fs::read(root().join("content/samples/linux_openssl.ndjson")).unwrap();
    child.stdin.take().unwrap().write_all(&sample).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let from_stdin = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!(from_stdin > 0);
    // The same events gzip-compressed give the same alerts.
    let dir = std::env::temp_dir().join(format!("vigil-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("e.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&sample).unwrap();
    enc.finish().unwrap();
    let out = vigil().arg("hunt").arg(&dir).arg("--rules").arg(&rule).args(["--pipeline", "ecs-windows", "--format", "ndjson"]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), from_stdin);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn one_and_many_threads_give_the_same_output() {
    let run = |threads: &str| vigil().args(["hunt", "--format", "ndjson", "--threads", threads]).output().unwrap().stdout;
    assert_eq!(run("1"), run("4"));
}

#[test]
fn check_reports_and_exits_nonzero_on_bad_rules() {
    let out = vigil().arg("check").arg(root().join("content/rules")).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().trim_end().ends_with("checked: 15 loaded, 0 rejected"));
    let bad = root().join("testdata/sigma-malformed/027_mod_endswithh.yml");
    let out = vigil().arg("check").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("unknown modifier"), "{stdout}");
    assert!(stdout.contains("^"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 0 loaded, 1 rejected"), "{stdout}");
}

#[test]
fn logsource_routing_keeps_only_fitting_rules() {
    let all = vigil().args(["hunt", "--format", "ndjson"]).output().unwrap().stdout;
    let linux = vigil().args(["hunt", "--format", "ndjson", "--logsource", "product=linux"]).output().unwrap();
    assert!(linux.status.success());
    let linux_alerts: Vec<serde_json::Value> = String::from_utf8(linux.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!linux_alerts.is_empty());
    assert!(linux_alerts.len() < String::from_utf8(all).unwrap().lines().count());
    for a in &linux_alerts {
        assert!(a["source"]["path"].as_str().unwrap().contains("linux"), "{a}");
    }
    let bad = vigil().args(["hunt", "--logsource", "flavour=x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn unreadable_inputs_and_ignored_files_are_reported() {
    let dir = std::env::temp_dir().join(format!("vigil-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "not events").unwrap();
    std::fs::write(dir.join("e.ndjson"), "{\"a\":1}\n").unwrap();
    let out = vigil().arg("hunt").arg(&dir).arg(dir.join("missing.ndjson")).arg("--rules").arg(root().join("content/rules")).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not read: 1 file(s)"), "{stderr}");
    assert!(stderr.contains("missing.ndjson"), "{stderr}");
    assert!(stderr.contains("events: 1 read"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
