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

/// Runs `vigil check` with `args`; returns the exit code and stdout.
fn check(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = vigil().arg("check").args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// A scratch directory for one test, removed and made anew.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const RULE: &str = "title: whoami\nid: 11111111-2222-3333-4444-555555555555\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";

#[test]
fn check_counts_rules_not_files() {
    let dir = scratch("check-count");
    // One file: a rule and a correlation over it (two rules), then a bad document.
    let correlation = "title: many\nname: many\ncorrelation: {type: event_count, rules: [11111111-2222-3333-4444-555555555555], group-by: [User], timespan: 5m, condition: {gte: 3}}\n";
    let bad = "title: bad\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswithh: x\n  condition: sel\n";
    std::fs::write(dir.join("a.yml"), format!("{RULE}---\n{correlation}---\n{bad}")).unwrap();
    let (code, stdout) = check(&[dir.join("a.yml").as_os_str()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("a.yml:17:"), "the bad document is reported at its line: {stdout}");
    assert!(stdout.trim_end().ends_with("checked: 2 loaded, 1 rejected"), "{stdout}");
    // Without the bad document everything loads and the exit code is 0.
    std::fs::write(dir.join("a.yml"), format!("{RULE}---\n{correlation}")).unwrap();
    let (code, stdout) = check(&[dir.join("a.yml").as_os_str()]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 2 loaded, 0 rejected"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_refuses_files_with_no_rule_and_text_that_is_not_yaml() {
    let dir = scratch("check-empty");
    std::fs::write(dir.join("empty.yml"), "").unwrap();
    std::fs::write(dir.join("comments.yml"), "# nothing here\n").unwrap();
    std::fs::write(dir.join("latin1.yml"), b"title: caf\xe9\n".as_slice()).unwrap();
    std::fs::write(dir.join("control.yml"), RULE.replace("whoami.exe", "who\u{7}ami.exe")).unwrap();
    let (code, stdout) = check(&[dir.as_os_str()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("empty.yml:1:1") && stdout.contains("comments.yml:1:1"), "{stdout}");
    assert!(stdout.contains("latin1.yml:1:11") && stdout.contains("not UTF-8"), "{stdout}");
    assert!(stdout.contains("control.yml:6:26") && stdout.contains("U+0007"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 0 loaded, 4 rejected"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_warns_about_a_duplicate_id_across_files_and_exits_0() {
    let dir = scratch("check-dup");
    std::fs::write(dir.join("a.yml"), RULE).unwrap();
    std::fs::write(dir.join("b.yml"), format!("# a copy\n{}", RULE.replace("title: whoami", "title: whoami copy"))).unwrap();
    let (code, stdout) = check(&[dir.as_os_str()]);
    assert_eq!(code, Some(0), "{stdout}");
    let warning = stdout.lines().position(|l| l.starts_with("warning[sigma::duplicate-id]")).expect(&stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[warning].contains("a.yml:2:5"), "{stdout}");
    assert!(lines[warning + 1].contains("b.yml:3:5"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 2 loaded, 0 rejected"), "{stdout}");
    let (_, quiet) = check(&[dir.as_os_str(), std::ffi::OsStr::new("--quiet")]);
    assert!(!quiet.contains("warning"), "{quiet}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_exits_2_on_a_path_it_cannot_read_and_on_usage_errors() {
    let (code, stdout) = check(&[std::ffi::OsStr::new("/nonexistent/vigil-rules")]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains("/nonexistent/vigil-rules"), "{stdout}");
    // A readable good file beside an unreadable path is still checked.
    let (code, stdout) = check(&[root().join("content/rules").as_os_str(), std::ffi::OsStr::new("/nonexistent/vigil-rules")]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 15 loaded, 0 rejected"), "{stdout}");
    let usage = vigil().arg("check").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let bad_pipeline = vigil().args(["check", "--pipeline", "no-such-pipeline"]).arg(root().join("content/rules")).output().unwrap();
    assert_eq!(bad_pipeline.status.code(), Some(2));
}

#[test]
fn check_and_hunt_agree_on_rules_the_engine_refuses() {
    let dir = scratch("check-engine");
    // A rule with a placeholder nothing resolves loads, but pipeline `none` cannot run it:
    // `check` warns and counts it as not runnable, `hunt` lists it as not run.
    // A regex the front end accepts but that compiles beyond the regex size limit is a defect
    // of the rule whatever the pipeline: both reject it.
    let placeholder = "title: admins\nlogsource: {product: test}\ndetection:\n  sel:\n    User|expand: '%Admins%'\n  condition: sel\n";
    let big_regex = "title: big\nlogsource: {product: test}\ndetection:\n  sel:\n    CommandLine|re: '(\\w{50}){50}x'\n  condition: sel\n";
    std::fs::write(dir.join("rules.yml"), format!("{RULE}---\n{placeholder}---\n{big_regex}")).unwrap();
    let (code, stdout) = check(&[dir.join("rules.yml").as_os_str()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("rules.yml:13:5") && stdout.contains("rules.yml:20:5") && stdout.contains("size limit"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checked: 1 loaded, 1 rejected, 1 not runnable with pipeline `none`"), "{stdout}");
    assert!(stdout.contains("warning[pipeline::unresolved-placeholder]"), "{stdout}");
    // With a pipeline that resolves the placeholder, only the regex is refused.
    std::fs::write(dir.join("vars.yml"), "name: vars\nvars:\n  Admins: [root]\ntransformations:\n  - type: value_placeholders\n").unwrap();
    let (_, stdout) = check(&[dir.join("rules.yml").as_os_str(), std::ffi::OsStr::new("--pipeline"), dir.join("vars.yml").as_os_str()]);
    assert!(stdout.trim_end().ends_with("checked: 2 loaded, 1 rejected"), "{stdout}");
    std::fs::write(dir.join("e.ndjson"), "{\"Image\":\"C:\\\\whoami.exe\"}\n").unwrap();
    let hunt = vigil().arg("hunt").arg(dir.join("e.ndjson")).arg("--rules").arg(dir.join("rules.yml")).output().unwrap();
    let stderr = String::from_utf8(hunt.stderr).unwrap();
    assert_eq!(stderr.matches("rule not run:").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("rule rejected:").count(), 1, "{stderr}");
    assert!(stderr.contains("rules: 1 loaded, 1 rejected, 1 not runnable"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hunt_exits_2_when_a_rule_path_cannot_be_read_and_still_runs_the_others() {
    let dir = scratch("hunt-rule-io");
    std::fs::write(dir.join("r.yml"), RULE).unwrap();
    std::fs::write(dir.join("e.ndjson"), "{\"Image\":\"C:\\\\whoami.exe\"}\n").unwrap();
    let out = vigil().arg("hunt").arg(dir.join("e.ndjson")).arg("--rules").arg(dir.join("r.yml")).arg("--rules").arg(dir.join("missing.yml")).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.yml:1:1: cannot read") && stderr.contains("rule paths: 1 could not be read"), "{stderr}");
    assert!(stderr.contains("alerts: 1"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_impossible_timestamp_is_a_reported_bad_value_not_a_time() {
    let dir = scratch("bad-time");
    let rules = "title: logon\nname: logon\nlogsource: {product: test}\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\ntitle: many failures\ncorrelation:\n  type: event_count\n  rules: [logon]\n  group-by: [User]\n  timespan: 1h\n  condition: {gte: 2}\n";
    std::fs::write(dir.join("r.yml"), rules).unwrap();
    let events = "{\"@timestamp\":\"2024-02-28T23:59:00Z\",\"EventID\":4625,\"User\":\"a\"}\n{\"@timestamp\":\"2024-02-31T00:00:00Z\",\"EventID\":4625,\"User\":\"a\"}\n";
    std::fs::write(dir.join("e.ndjson"), events).unwrap();
    let out = vigil().arg("hunt").arg(dir.join("e.ndjson")).arg("--rules").arg(dir.join("r.yml")).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // 31 February is not 2 March: the second failure is in no window, so the correlation
    // does not fire, and the value is reported where it is.
    assert!(stderr.contains("e.ndjson:2: timestamp `2024-02-31T00:00:00Z` is not a valid time"), "{stderr}");
    assert!(stderr.contains("events: 2 read, 0 skipped, 1 bad value(s)"), "{stderr}");
    assert!(stderr.contains("1 matches without a valid timestamp") && stderr.contains("alerts: 0"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
