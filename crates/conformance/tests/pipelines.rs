#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Processing pipelines in pySigma's YAML format: each supported transformation, applied by
//! the engine to a rule and checked on events; and the built-in pipelines' mappings.

use std::sync::Arc;

use vigil_conformance::{compile, matches, pipeline, rules};
use vigil_pipeline::parse_pipeline;

const RULE: &str = "title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: whoami\n    Noise: x\n  condition: sel\n";

fn hits(pipeline_yaml: &str, rule: &str, events: &[&str]) -> Vec<bool> {
    let p = parse_pipeline(Arc::from("p.yml"), pipeline_yaml).unwrap();
    let program = compile(&rules(rule), &p);
    matches(&program, events).into_iter().map(|m| !m.is_empty()).collect()
}

const PIPELINE: &str = r#"
name: test
transformations:
  - id: cond
    type: add_condition
    conditions: {EventID: 1}
    rule_conditions: [{type: logsource, category: process_creation}]
  - id: drop
    type: drop_detection_item
    field_name_conditions: [{type: include_fields, fields: [Noise]}]
  - id: map
    type: field_name_mapping
    mapping:
      Image: [proc.path, proc.exe]
      CommandLine: proc.cmd
  - id: prefix
    type: field_name_prefix
    prefix: data.
    only_unmapped: true
  - id: ls
    type: change_logsource
    product: linux
"#;

#[test]
fn every_transformation_takes_effect() {
    let events = [
        // EventID is prefixed (unmapped), Image maps to either of two names, Noise was dropped.
        r#"{"data":{"EventID":1},"proc":{"path":"C:\\cmd.exe","cmd":"whoami /all"}}"#,
        r#"{"data":{"EventID":1},"proc":{"exe":"C:\\cmd.exe","cmd":"whoami"}}"#,
        // The added condition fails.
        r#"{"data":{"EventID":3},"proc":{"path":"C:\\cmd.exe","cmd":"whoami"}}"#,
        // The original names no longer count.
        r#"{"EventID":1,"Image":"C:\\cmd.exe","CommandLine":"whoami"}"#,
    ];
    assert_eq!(hits(PIPELINE, RULE, &events), vec![true, true, false, false]);
    let p = parse_pipeline(Arc::from("p.yml"), PIPELINE).unwrap();
    let mapped = vigil_pipeline::apply(&p, &rules(RULE)[0]);
    assert_eq!(mapped.rule.logsource.product.as_deref(), Some("linux"));
}

#[test]
fn rule_conditions_restrict_items() {
    let other = RULE.replace("process_creation", "file_event");
    // No added EventID condition for a file_event rule.
    let events = [r#"{"proc":{"path":"C:\\cmd.exe","cmd":"whoami"}}"#];
    assert_eq!(hits(PIPELINE, &other, &events), vec![true]);
}

#[test]
fn unsupported_transformations_are_errors_with_positions() {
    let bad = "name: x\ntransformations:\n  - type: replace_string\n    regex: a\n";
    let err = parse_pipeline(Arc::from("p.yml"), bad).unwrap_err();
    assert_eq!(err[0].span.line, 3);
    assert!(err[0].message.contains("replace_string"));
}

#[test]
fn ecs_windows_maps_sigma_names_and_logsource() {
    let program = compile(&rules(RULE), &pipeline("ecs-windows"));
    let ok = r#"{"event":{"category":["process"],"type":["start"]},"process":{"executable":"C:\\Windows\\cmd.exe","command_line":"whoami"},"winlog":{"event_data":{"Noise":"x"}}}"#;
    let wrong_category = ok.replace("\"process\"]", "\"file\"]");
    let m = matches(&program, &[ok, &wrong_category]);
    assert_eq!(m.iter().map(|v| v.len()).collect::<Vec<_>>(), vec![1, 0]);
}

#[test]
fn evtx_maps_system_and_event_data() {
    let program = compile(&rules(RULE), &pipeline("evtx"));
    let event = r##"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\cmd.exe","CommandLine":"whoami","Noise":"x"}}}"##;
    let other_channel = event.replace("Sysmon/Operational", "Other");
    let m = matches(&program, &[event, &other_channel]);
    assert_eq!(m.iter().map(|v| v.len()).collect::<Vec<_>>(), vec![1, 0]);
}

#[test]
fn evtx_process_creation_covers_security_4688() {
    let program = compile(&rules(RULE), &pipeline("evtx"));
    let security = r##"{"Event":{"System":{"EventID":4688,"Channel":"Security"},"EventData":{"NewProcessName":"C:\\Windows\\cmd.exe","CommandLine":"cmd /c whoami","Noise":"x"}}}"##;
    let sysmon_other_id = security.replace("4688", "3").replace("\"Security\"", "\"Microsoft-Windows-Sysmon/Operational\"");
    let m = matches(&program, &[security, &sysmon_other_id]);
    assert_eq!(m.iter().map(|v| v.len()).collect::<Vec<_>>(), vec![1, 0]);
}
