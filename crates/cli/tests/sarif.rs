#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! SARIF 2.1.0 output (`check --format sarif`, `hunt --format sarif`) validated against the
//! OASIS JSON schema vendored in testdata/sarif/ (see its README for source and licence),
//! and checked against what the text and NDJSON formats say about the same run.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(root().join("testdata/sarif/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    jsonschema::draft4::options().should_validate_formats(true).build(&schema).unwrap()
}

/// Asserts that `log` is valid SARIF 2.1.0, listing every violation otherwise.
fn assert_valid(validator: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = validator.iter_errors(log).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-sarif-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_validator_refuses_what_is_not_sarif() {
    let v = validator();
    assert!(!v.is_valid(&serde_json::json!({"version": "2.1.0"})));
    assert!(!v.is_valid(&serde_json::json!({"version": "2.0.0", "runs": []})));
    let no_message = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a"}]}]});
    assert!(!v.is_valid(&no_message));
    let region_line_0 = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]});
    assert!(!v.is_valid(&region_line_0));
}

#[test]
fn check_writes_valid_sarif_with_one_result_per_diagnostic() {
    let dir = scratch("check");
    // One error (unknown modifier) and one warning (duplicate id), in a path with a space.
    let rule = "title: whoami\nid: 11111111-2222-3333-4444-555555555555\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";
    std::fs::create_dir_all(dir.join("my rules")).unwrap();
    std::fs::write(dir.join("my rules/a.yml"), rule).unwrap();
    std::fs::write(dir.join("my rules/b.yml"), rule.replace("title: whoami", "title: copy")).unwrap();
    std::fs::write(dir.join("my rules/bad.yml"), rule.replace("endswith", "endswithh").replace("1111", "9999")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(dir.join("my rules")).args(["--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a rejected rule exits 1 in every format");
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator(), &log);
    // The text format of the same check, for comparison.
    let text = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(dir.join("my rules")).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let headers = text.lines().filter(|l| l.starts_with("error[") || l.starts_with("warning[")).count();
    assert_eq!(results.len(), headers, "{text}");
    let error = results.iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(error["ruleId"], "sigma::unknown-modifier");
    assert!(error["message"]["text"].as_str().unwrap().contains("unknown modifier"), "{error}");
    let location = &error["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("my%20rules/bad.yml"), "{location}");
    assert_eq!(location["region"]["startLine"], 6);
    assert!(results.iter().any(|r| r["level"] == "warning" && r["ruleId"] == "sigma::duplicate-id"));
    // Every result's rule is described in the driver, at its index.
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], r["ruleId"]);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_writes_valid_sarif_with_no_results_for_good_rules() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(root().join("content/rules")).args(["--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator(), &log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn hunt_writes_valid_sarif_with_one_result_per_alert() {
    let sarif = Command::new(env!("CARGO_BIN_EXE_vigil")).args(["hunt", "--format", "sarif"]).output().unwrap();
    assert!(sarif.status.success());
    let log: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_valid(&validator(), &log);
    let ndjson = Command::new(env!("CARGO_BIN_EXE_vigil")).args(["hunt", "--format", "ndjson"]).output().unwrap();
    let alerts: Vec<Value> = String::from_utf8(ndjson.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), alerts.len());
    for (r, a) in results.iter().zip(&alerts) {
        assert_eq!(r["ruleId"], a["rule"]["id"]);
        let expected = match a["rule"]["level"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], expected);
        assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], a["source"]["line"]);
    }
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let distinct: std::collections::BTreeSet<&str> = alerts.iter().map(|a| a["rule"]["id"].as_str().unwrap()).collect();
    assert_eq!(rules.len(), distinct.len());
}

#[test]
fn hunt_sarif_carries_correlation_alerts() {
    let dir = scratch("corr");
    let rules = "title: failed logon\nname: failed_logon\nlevel: low\nlogsource: {product: test}\ndetection: {sel: {EventID: 4625}, condition: sel}\n---\n\
                 title: brute force\nlevel: critical\ncorrelation: {type: event_count, rules: [failed_logon], group-by: [User], timespan: 5m, condition: {gte: 3}}\n";
    std::fs::write(dir.join("r.yml"), rules).unwrap();
    let events: String = (0..4).map(|i| format!("{{\"EventID\":4625,\"User\":\"bob\",\"@timestamp\":\"2024-01-01T00:00:0{i}Z\"}}\n")).collect();
    std::fs::write(dir.join("e.ndjson"), events).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("hunt")
        .arg(dir.join("e.ndjson"))
        .arg("--rules")
        .arg(dir.join("r.yml"))
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator(), &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "generate: false silences the inputs: {results:?}");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[0]["properties"]["correlation"], "event_count");
    assert_eq!(results[0]["properties"]["events"].as_array().unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(dir);
}
