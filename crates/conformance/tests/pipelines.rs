#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Processing pipelines in pySigma's YAML format: each supported transformation, applied by
//! the engine to a rule and checked on events; and the built-in pipelines' mappings.

use std::sync::Arc;

use vigil_conformance::{compile, compile_report, correlate_through, matches, pipeline, root, rules};
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

/// pySigma applies a pipeline's items in order over the rule as the earlier items left it
/// (`ProcessingPipeline.apply` runs each item's rule conditions against the current rule;
/// its own sysmon pipeline puts `add_condition` before `change_logsource` for that reason).
const CHANGE_THEN_MAP: &str = r#"
name: change then map
transformations:
  - type: change_logsource
    product: windows
    service: sysmon
    rule_conditions: [{type: logsource, category: process_creation}]
  - type: add_condition
    conditions: {EventID: 1}
    rule_conditions: [{type: logsource, service: sysmon}]
  - type: field_name_mapping
    mapping: {Image: proc.exe, CommandLine: proc.cmd, user: usr.name}
    rule_conditions: [{type: logsource, product: windows, service: sysmon}]
  - type: field_name_mapping
    mapping: {Image: never.used}
    rule_conditions: [{type: logsource, service: security}]
"#;

#[test]
fn items_after_change_logsource_see_the_new_logsource() {
    let rule = RULE.replace("    Noise: x\n", "");
    let events = [
        r#"{"EventID":1,"proc":{"exe":"C:\\cmd.exe","cmd":"whoami"}}"#,
        // The condition added for the new log source holds only with EventID 1.
        r#"{"EventID":3,"proc":{"exe":"C:\\cmd.exe","cmd":"whoami"}}"#,
        // The mapping for the new log source replaced the logical names.
        r#"{"EventID":1,"Image":"C:\\cmd.exe","CommandLine":"whoami"}"#,
        r#"{"EventID":1,"never":{"used":"C:\\cmd.exe"},"proc":{"cmd":"whoami"}}"#,
    ];
    assert_eq!(hits(CHANGE_THEN_MAP, &rule, &events), vec![true, false, false, false]);
    let p = parse_pipeline(Arc::from("p.yml"), CHANGE_THEN_MAP).unwrap();
    let mapped = vigil_pipeline::apply(&p, &rules(&rule)[0]);
    assert_eq!(mapped.rule.logsource.service.as_deref(), Some("sysmon"));
    assert_eq!(mapped.rule.logsource.category.as_deref(), Some("process_creation"));
}

#[test]
fn items_after_change_logsource_no_longer_see_the_old_logsource() {
    let pipeline = r#"
name: change then old
transformations:
  - type: change_logsource
    category: sysmon_process
  - type: field_name_mapping
    mapping: {Image: proc.exe}
    rule_conditions: [{type: logsource, category: process_creation}]
"#;
    let rule = RULE.replace("    Noise: x\n", "");
    let events = [r#"{"Image":"C:\\cmd.exe","CommandLine":"whoami"}"#, r#"{"proc":{"exe":"C:\\cmd.exe"},"CommandLine":"whoami"}"#];
    assert_eq!(hits(pipeline, &rule, &events), vec![true, false]);
}

#[test]
fn correlation_group_by_is_mapped_like_the_rule_it_reads() {
    let yaml = "title: proc\nname: proc\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n---\ntitle: corr\ncorrelation:\n  type: value_count\n  rules: [proc]\n  group-by: [user]\n  timespan: 1m\n  condition: {field: CommandLine, gte: 2}\n";
    let p = parse_pipeline(Arc::from("p.yml"), CHANGE_THEN_MAP).unwrap();
    let ev = |s: u32, user: &str, cmd: &str| {
        format!(r#"{{"@timestamp":"2024-01-01T00:00:{s:02}Z","EventID":1,"proc":{{"exe":"C:\\cmd.exe","cmd":"{cmd}"}},"usr":{{"name":"{user}"}}}}"#)
    };
    let events = [ev(0, "bob", "a"), ev(1, "amy", "b"), ev(2, "bob", "c")];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (alerts, _) = correlate_through(yaml, &p, &refs, vigil_engine::Limits::default());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].1.group, vec![("user".to_string(), "bob".to_string())]);
    assert_eq!(alerts[0].1.value, 2.0);
    // The pipeline stage wrote the data-source names into the correlation itself.
    let mapped = vigil_pipeline::apply_all(&rules(yaml), &p);
    let c = mapped.rules[1].correlation().unwrap();
    assert_eq!(c.mapped.len(), 1);
    assert_eq!(c.mapped[0].group_by, vec![vec!["usr.name".to_string()]]);
    assert_eq!(c.mapped[0].values, vec![vec!["proc.cmd".to_string()]]);
}

#[test]
fn the_engine_compiles_mapped_rules_and_does_not_know_pipelines() {
    let manifest = std::fs::read_to_string(root().join("crates/engine/Cargo.toml")).unwrap();
    assert!(!manifest.contains("vigil-pipeline"), "vigil-engine must not depend on vigil-pipeline");
}

/// A rule at the IR depth bound: 63 nested `not`s over one predicate (depth 64).
fn deepest_rule() -> String {
    format!(
        "title: deep\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  sel:\n    Image: x\n  condition: {}sel\n",
        "not ".repeat(63)
    )
}

#[test]
fn the_ir_depth_bound_holds_after_pipelines_and_filters() {
    let rule = deepest_rule();
    let (program, report) = compile_report(&rules(&rule), &pipeline("none"));
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(program.rules.len(), 1);
    // A field mapped to two names becomes an `or`: one level more than the bound.
    let two_names = "name: two\ntransformations:\n  - type: field_name_mapping\n    mapping: {Image: [a, b]}\n";
    let p = parse_pipeline(Arc::from("p.yml"), two_names).unwrap();
    let (program, report) = compile_report(&rules(&rule), &p);
    assert!(program.rules.is_empty());
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].code, "ir::too-deep");
    assert_eq!(report.refused[0].span.line, 1);
    // A filter adds a level too.
    let filtered = format!(
        "{rule}id: 6f3ad1c0-5b1e-4f7a-9a43-8f1c2f7d0a11\n---\ntitle: f\nlogsource: {{product: windows, category: process_creation}}\nfilter:\n  rules: [6f3ad1c0-5b1e-4f7a-9a43-8f1c2f7d0a11]\n  sel:\n    User: y\n  condition: not sel\n"
    );
    let (program, report) = compile_report(&rules(&filtered), &pipeline("none"));
    assert!(program.rules.is_empty());
    assert_eq!(report.refused.iter().map(|d| d.code).collect::<Vec<_>>(), vec!["ir::too-deep"]);
}

#[test]
fn correlation_aliases_are_mapped_per_referenced_rule() {
    // Two rules of different log sources feed one correlation from different fields; the
    // pipeline maps each by its own rule's log source.
    let yaml = "title: a\nname: a\nlogsource: {category: process_creation}\ndetection:\n  sel:\n    Image: x\n  condition: sel\n---\ntitle: b\nname: b\nlogsource: {category: network_connection}\ndetection:\n  sel:\n    Port: 22\n  condition: sel\n---\ntitle: both\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [u]\n  aliases:\n    u: {a: User, b: SourceUser}\n  timespan: 1m\n";
    let pipeline = "name: per source\ntransformations:\n  - type: field_name_mapping\n    mapping: {User: proc.user, Image: proc.image}\n    rule_conditions: [{type: logsource, category: process_creation}]\n  - type: field_name_mapping\n    mapping: {SourceUser: [net.src_user, net.user], Port: net.port}\n    rule_conditions: [{type: logsource, category: network_connection}]\n";
    let p = parse_pipeline(Arc::from("p.yml"), pipeline).unwrap();
    let events = [
        r#"{"@timestamp":"2024-01-01T00:00:00Z","proc":{"image":"x","user":"bob"}}"#,
        r#"{"@timestamp":"2024-01-01T00:00:05Z","net":{"port":22,"user":"amy"}}"#,
        r#"{"@timestamp":"2024-01-01T00:00:09Z","net":{"port":22,"user":"bob"}}"#,
    ];
    let (alerts, _) = correlate_through(yaml, &p, &events, vigil_engine::Limits::default());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].1.group, vec![("u".to_string(), "bob".to_string())]);
    let mapped = vigil_pipeline::apply_all(&rules(yaml), &p);
    let c = mapped.rules[2].correlation().unwrap();
    let per_rule: Vec<(&str, &Vec<Vec<String>>)> = c.mapped.iter().map(|m| (m.rule.as_str(), &m.group_by)).collect();
    assert_eq!(per_rule, vec![("a", &vec![vec!["proc.user".to_string()]]), ("b", &vec![vec!["net.src_user".to_string(), "net.user".to_string()]])]);
}

#[test]
fn fieldref_fields_are_mapped_its_field_to_every_candidate_the_other_to_the_first() {
    let pipeline = "name: m\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      A: [a1, a2]\n      B: [b1, b2]\n";
    let rule = "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    A|fieldref: B\n  condition: sel\n";
    let events = [
        r#"{"a1":"x","b1":"x"}"#,
        // The rule's field is whichever candidate the event carries ...
        r#"{"a2":"x","b1":"X"}"#,
        // ... the referenced field its first name only, and the original names no longer count.
        r#"{"a1":"x","b2":"x"}"#,
        r#"{"A":"x","B":"x"}"#,
    ];
    assert_eq!(hits(pipeline, rule, &events), vec![true, true, false, false]);
}
