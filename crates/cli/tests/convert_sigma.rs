#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! `vigil convert --target sigma`: rules printed as written (modifiers, not expansions) in
//! one YAML stream that `vigil check` loads and that converts to itself again; `--format
//! rule` writes one `.yml` per rule; with `-p ecs-windows` fields carry the mapped names.

use std::path::PathBuf;
use std::process::Command;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-convert-sigma-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const RULES: &str = "title: Encoded
id: 11111111-1111-1111-1111-111111111111
name: encoded
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|base64offset|contains: 'IEX ('
    Image|endswith: ['\\powershell.exe', '\\pwsh.exe']
  dash:
    CommandLine|windash|contains: ' -enc '
  net:
    DestinationIp|cidr: '10.0.0.0/8'
  condition: sel and (dash or not net)
level: high
---
title: Many encoded
id: 22222222-2222-2222-2222-222222222222
correlation:
  type: event_count
  rules: [encoded]
  group-by: [User]
  timespan: 1h
  condition: {gte: 3}
level: medium
";

#[test]
fn sigma_target_prints_modifiers_as_written_and_reads_back() {
    let dir = temp_dir("text");
    std::fs::write(dir.join("rules.yml"), RULES).unwrap();
    let out = vigil().args(["convert", "--target", "sigma"]).arg(dir.join("rules.yml")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CommandLine|base64offset|contains: 'IEX ('"), "{text}");
    assert!(text.contains("CommandLine|windash|contains: ' -enc '"), "{text}");
    assert!(text.contains("DestinationIp|cidr: '10.0.0.0/8'"), "{text}");
    assert!(text.contains("condition: sel and (dash or not net)"), "{text}");
    assert!(text.contains("\n---\ntitle: Many encoded\n") && text.contains("type: event_count") && text.contains("timespan: 1h"), "{text}");
    // No expansion leaked into the output.
    assert!(!text.contains("SUVYICg"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("converted: 2 of 2 rules to sigma, 0 refused"));
    // The printed stream loads, and converts to itself.
    std::fs::write(dir.join("printed.yml"), &text).unwrap();
    let check = vigil().args(["check"]).arg(dir.join("printed.yml")).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    let again = vigil().args(["convert", "--target", "sigma"]).arg(dir.join("printed.yml")).output().unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rule_format_writes_one_yml_per_rule_and_a_pipeline_maps_the_names() {
    let dir = temp_dir("rule");
    std::fs::write(dir.join("rules.yml"), RULES).unwrap();
    let out_dir = dir.join("out");
    let out = vigil().args(["convert", "--target", "sigma", "--format", "rule", "--out-dir"]).arg(&out_dir).arg(dir.join("rules.yml")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(written.len(), 2, "{written:?}");
    for id in ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"] {
        let path = out_dir.join(format!("{id}.yml"));
        assert!(written.contains(&path.display().to_string().as_str()), "{written:?}");
        assert!(std::fs::read_to_string(&path).unwrap().contains(&format!("id: '{id}'")));
    }
    // A second rule with the same id gets a file of its own.
    std::fs::write(dir.join("again.yml"), RULES.split("---").next().unwrap().replace("title: Encoded", "title: Encoded again")).unwrap();
    let both = vigil()
        .args(["convert", "--target", "sigma", "--format", "rule", "--out-dir"])
        .arg(dir.join("out2"))
        .arg(dir.join("rules.yml"))
        .arg(dir.join("again.yml"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(both.stdout).unwrap().lines().count(), 3);
    let second = std::fs::read_to_string(dir.join("out2/11111111-1111-1111-1111-111111111111-2.yml")).unwrap();
    assert!(second.starts_with("title: Encoded again\n"), "{second}");
    // Each file is a whole rule: the detection loads on its own.
    let check = vigil().args(["check"]).arg(out_dir.join("11111111-1111-1111-1111-111111111111.yml")).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    // With ECS names: the fields are mapped, the modifiers kept, the pipeline's log-source
    // conditions added as an identifier of their own.
    let ecs = vigil().args(["convert", "--target", "sigma", "-p", "ecs-windows"]).arg(dir.join("rules.yml")).output().unwrap();
    let text = String::from_utf8(ecs.stdout).unwrap();
    assert!(text.contains("process.command_line|base64offset|contains: 'IEX ('"), "{text}");
    assert!(text.contains("destination.ip|cidr: '10.0.0.0/8'"), "{text}");
    assert!(text.contains("pipeline_condition_1:") && text.contains("condition: pipeline_condition_1 and (sel and (dash or not net))"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
