#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! `vigil convert --format rule` for `spl` (a Splunk `savedsearches.conf` stanza) and `kql`
//! (a Microsoft Sentinel scheduled analytic rule, YAML): every rule of the project's
//! SigmaHQ sample each target emits is written as its rule file and read back, by a
//! `.conf` reader written here from Splunk's spec (a stanza, `key = value` lines, values
//! continued by a trailing backslash) and by vigil's YAML parser, and must hold exactly the
//! query the target printed, with the fields each format requires, of the types and in the
//! vocabularies its schema allows. The files of a few rules are compared with
//! `testdata/emit-rule-files-snapshots.txt` (`VIGIL_BLESS=1` rewrites it).

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::emit_harness::{expect_file, load_rules};
use vigil_conformance::{pipeline, sigma_testdata};
use vigil_emit::rule_file::{has_rule_file, rule_file};
use vigil_emit::{convert_all, Converted, Options, Target};
use vigil_ir::Level;

fn converted(target: Target) -> Vec<Converted> {
    let data = sigma_testdata();
    convert_all(&load_rules(&data.rules), &pipeline(target.default_pipeline()), target, &Options::default())
}

/// A `savedsearches.conf` file read as the spec says: `[name]` opens a stanza; `key =
/// value` sets a key (spaces around `=` dropped); a line ending in `\` continues on the next.
fn read_conf(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut stanzas: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut logical = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push('\n');
        } else {
            pending.push_str(line);
            logical.push(std::mem::take(&mut pending));
        }
    }
    for line in logical {
        if line.starts_with('[') && line.ends_with(']') && !line.contains('\n') {
            stanzas.push((line[1..line.len() - 1].to_string(), BTreeMap::new()));
        } else if let Some((k, v)) = line.split_once('=') {
            let stanza = stanzas.last_mut().expect("a key before any stanza");
            assert!(stanza.1.insert(k.trim().to_string(), v.trim().to_string()).is_none(), "key {k} set twice");
        } else {
            assert!(line.trim().is_empty(), "not a conf line: {line:?}");
        }
    }
    stanzas
}

#[test]
fn splunk_savedsearch_stanzas_hold_the_query_and_read_back() {
    assert!(has_rule_file(Target::Spl));
    let all = converted(Target::Spl);
    let mut written = 0;
    let mut with_attack = 0;
    for c in &all {
        let Ok(query) = &c.query else { continue };
        let (text, extension) = rule_file(Target::Spl, &c.rule, query, &Options::default()).unwrap();
        assert_eq!(extension, "conf");
        let stanzas = read_conf(&text);
        assert_eq!(stanzas.len(), 1, "{text}");
        let (name, keys) = &stanzas[0];
        assert_eq!(name.trim(), c.rule.meta.title.replace(']', ")").trim(), "{text}");
        // Values are trimmed by the reader, as Splunk trims them.
        assert_eq!(keys["search"], query.trim(), "{text}");
        assert_eq!(keys["enableSched"], "1");
        assert_eq!(keys["cron_schedule"].split(' ').count(), 5);
        let severity: u8 = keys["alert.severity"].parse().unwrap();
        let expected = match c.rule.meta.level {
            Some(Level::Informational) => 2,
            Some(Level::Low) => 3,
            Some(Level::Medium) | None => 4,
            Some(Level::High) => 5,
            Some(Level::Critical) => 6,
        };
        assert_eq!(severity, expected);
        // A line that ends in a backslash is written with a space after it (else it would
        // continue the value).
        let description = c.rule.meta.description.as_deref().unwrap_or(&c.rule.meta.title);
        let description: Vec<String> = description.lines().map(|l| if l.ends_with('\\') { format!("{l} ") } else { l.to_string() }).collect();
        assert!(keys["description"].starts_with(description.join("\n").trim()), "{text}");
        if let Some(annotations) = keys.get("action.correlationsearch.annotations") {
            let json: serde_json::Value = serde_json::from_str(annotations).unwrap();
            let techniques: Vec<&str> = c.rule.meta.techniques().collect();
            let listed: Vec<&str> = json["mitre_attack"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
            assert_eq!(listed, techniques);
            with_attack += 1;
        }
        written += 1;
    }
    eprintln!("spl: {written} stanzas written and read back, {with_attack} with ATT&CK annotations");
    assert!(written >= 570 && with_attack >= 300, "{written} {with_attack}");
}

const TACTICS: &[&str] = &[
    "Reconnaissance",
    "ResourceDevelopment",
    "InitialAccess",
    "Execution",
    "Persistence",
    "PrivilegeEscalation",
    "DefenseEvasion",
    "CredentialAccess",
    "Discovery",
    "LateralMovement",
    "Collection",
    "CommandAndControl",
    "Exfiltration",
    "Impact",
];

#[test]
fn sentinel_analytic_rules_hold_the_query_and_follow_the_schema() {
    assert!(has_rule_file(Target::Kql));
    let all = converted(Target::Kql);
    let (mut written, mut with_tactics) = (0, 0);
    for c in &all {
        let Ok(query) = &c.query else { continue };
        let (text, extension) = rule_file(Target::Kql, &c.rule, query, &Options::default()).unwrap();
        assert_eq!(extension, "yaml");
        let docs = vigil_yaml::parse_documents(&Arc::from("rule.yaml"), &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(docs.len(), 1);
        let root = &docs[0].root;
        let s = |key: &str| root.get(key).and_then(|n| n.as_str()).unwrap_or_else(|| panic!("`{key}` is not a string:\n{text}")).to_string();
        assert_eq!(s("query"), *query);
        assert_eq!(s("name"), c.rule.meta.title);
        let id = s("id");
        assert!(id.len() == 36 && id.chars().filter(|&ch| ch == '-').count() == 4, "{id}");
        if let Some(sigma) = &c.rule.meta.id {
            if sigma.len() == 36 {
                assert_eq!(&id, sigma);
            }
        }
        assert!(["Informational", "Low", "Medium", "High"].contains(&s("severity").as_str()));
        assert_eq!(s("kind"), "Scheduled");
        for key in ["queryFrequency", "queryPeriod"] {
            let v = s(key);
            assert!(v.len() >= 2 && v[..v.len() - 1].bytes().all(|b| b.is_ascii_digit()) && "mhd".contains(&v[v.len() - 1..]), "{key}: {v}");
        }
        assert!(["gt", "lt", "eq", "ne"].contains(&s("triggerOperator").as_str()));
        assert!(matches!(root.get("triggerThreshold").and_then(|n| n.scalar()), Some(vigil_yaml::ScalarValue::Int(0))));
        assert!(root.get("requiredDataConnectors").and_then(|n| n.as_seq()).is_some());
        let strings = |key: &str| -> Vec<String> { root.get(key).and_then(|n| n.as_seq()).unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect() };
        let tactics = strings("tactics");
        assert!(tactics.iter().all(|t| TACTICS.contains(&t.as_str())), "{tactics:?}");
        let techniques = strings("relevantTechniques");
        assert!(techniques.iter().all(|t| t.len() == 5 && t.starts_with('T') && t[1..].bytes().all(|b| b.is_ascii_digit())), "{techniques:?}");
        let mut expected: Vec<String> = c.rule.meta.techniques().map(|t| t.split('.').next().unwrap().to_string()).collect();
        expected.dedup();
        assert!(expected.iter().all(|t| techniques.contains(t)), "{expected:?} {techniques:?}");
        with_tactics += usize::from(!tactics.is_empty());
        written += 1;
    }
    eprintln!("kql: {written} analytic rules written and read back, {with_tactics} with tactics");
    assert!(written >= 570 && with_tactics >= 300, "{written} {with_tactics}");
}

/// The rule files of a few rules with ATT&CK tags, a description and a level, per target.
#[test]
fn rule_file_snapshots() {
    let mut out = String::from("# `vigil convert --format rule` for a few rules of testdata/sigmahq, per target (VIGIL_BLESS=1 rewrites it).\n");
    for target in [Target::Eql, Target::Spl, Target::Kql] {
        let all = converted(target);
        let picked = all.iter().filter(|c| c.query.is_ok() && !c.rule.meta.attack.is_empty() && c.rule.meta.description.is_some()).step_by(97).take(4);
        for c in picked {
            let (text, extension) = rule_file(target, &c.rule, c.query.as_ref().unwrap(), &Options::default()).unwrap();
            out.push_str(&format!("\n== {} ({}) as {extension}\n{text}", c.rule.source, target.name()));
        }
    }
    expect_file("emit-rule-files-snapshots.txt", &out);
}
