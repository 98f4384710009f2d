#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elastic detection-rule TOML: read into the IR's metadata, and written back byte for byte
//! except what was changed.

use std::sync::Arc;

use vigil_conformance::root;
use vigil_eql::lower::LowerOptions;
use vigil_eql::toml_rule::TomlRule;
use vigil_ir::{AttackTag, Level, SequenceKind, Status};

fn sample() -> String {
    std::fs::read_to_string(root().join("testdata/eql/elastic-toml/defense_evasion_mshta_beacon.toml")).unwrap()
}

#[test]
fn an_elastic_rule_file_reads_into_the_ir_with_its_metadata() {
    let text = sample();
    let source = Arc::from("mshta.toml");
    let rule = TomlRule::parse(&source, &text).unwrap().to_rule(&source, &LowerOptions::default()).unwrap();
    let m = &rule.meta;
    assert_eq!(m.title, "Mshta Making Network Connections");
    assert_eq!(m.id.as_deref(), Some("c2d90150-0133-451c-a783-533e736c12d7"));
    assert_eq!((m.level, m.risk_score, m.status), (Some(Level::Medium), Some(47), Some(Status::Stable)));
    assert_eq!(m.author.as_deref(), Some("Elastic"));
    assert_eq!((m.date.as_deref(), m.modified.as_deref()), (Some("2020/09/02"), Some("2024/05/21")));
    assert!(m.description.as_deref().unwrap().starts_with("Identifies Mshta.exe"));
    assert_eq!(m.tags.len(), 6);
    assert_eq!(m.attack, [AttackTag::Tactic("defense-evasion".into()), AttackTag::Technique("T1218".into()), AttackTag::Technique("T1218.005".into())]);
    let seq = rule.sequence().expect("a sequence rule");
    assert_eq!(seq.stages.len(), 2);
    assert_eq!(seq.stages[0].keys[0].field, "process.entity_id");
    assert!(matches!(seq.kind, SequenceKind::Ordered { maxspan_ms: Some(600_000), until: None }));
    // The rule's span is its query's place in the file.
    assert_eq!(rule.span.line, 36);
}

#[test]
fn writing_back_gives_the_same_bytes_and_a_change_touches_only_its_value() {
    let text = sample();
    let source = Arc::from("mshta.toml");
    let mut rule = TomlRule::parse(&source, &text).unwrap();
    assert_eq!(rule.to_text(), text);
    let query =
        "sequence by process.entity_id with maxspan=5m\n  [process where process.name : \"mshta.exe\"]\n  [network where process.name : \"mshta.exe\"]\n";
    rule.set_query(query);
    rule.set_severity(Level::High);
    let written = rule.to_text();
    let (old_query, new_query) = (format!("query = '''\n{}'''", TomlRule::parse(&source, &text).unwrap().query().unwrap()), format!("query = '''{query}'''"));
    assert!(written.contains(&new_query), "{written}");
    let expected = text.replacen(&old_query, &new_query, 1).replacen("severity = \"medium\"", "severity = \"high\"", 1);
    assert_eq!(written, expected);
    // And it reads back with the new values.
    let back = TomlRule::parse(&source, &written).unwrap().to_rule(&source, &LowerOptions::default()).unwrap();
    assert_eq!(back.meta.level, Some(Level::High));
    assert!(matches!(back.sequence().unwrap().kind, SequenceKind::Ordered { maxspan_ms: Some(300_000), .. }));
}

#[test]
fn bad_files_are_located_diagnostics() {
    let source = Arc::from("bad.toml");
    let d = TomlRule::parse(&source, "[rule]\nname = \"x\"\nquery = '''oops\n").unwrap_err();
    // The unterminated string is found at the end of the input.
    assert_eq!((d.code, d.span.line), ("eql::toml", 4));
    let kql = "[rule]\nlanguage = \"kuery\"\nquery = \"a:b\"\n";
    let d = TomlRule::parse(&source, kql).unwrap().to_rule(&source, &LowerOptions::default()).unwrap_err();
    assert!(d.message.contains("language `kuery`"), "{d}");
    let broken = "[rule]\nlanguage = \"eql\"\nname = \"x\"\nquery = '''\nprocess where (\n'''\n";
    let d = TomlRule::parse(&source, broken).unwrap().to_rule(&source, &LowerOptions::default()).unwrap_err();
    assert_eq!(d.span.line, 4, "{d}");
}
