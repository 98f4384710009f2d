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
use vigil_conformance::rule_schema::{self, from_conf, from_toml, from_yaml};
use vigil_conformance::{pipeline, sigma_data, sigma_testdata, SigmaData};
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
        let (text, extension) = rule_file(Target::Spl, &c.rule, query, &Options::default()).unwrap().unwrap();
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
    let (mut written, mut with_tactics, mut too_long) = (0, 0, 0);
    for c in &all {
        let Ok(query) = &c.query else { continue };
        let (text, extension) = match rule_file(Target::Kql, &c.rule, query, &Options::default()).unwrap() {
            Ok(file) => file,
            Err(why) => {
                // Only Sentinel's limits keep a rule from its file; the query is over it.
                assert!(query.chars().count() > 10_000 && why.contains("query"), "{why}");
                too_long += 1;
                continue;
            }
        };
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
                assert_eq!(id, sigma.to_ascii_lowercase());
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
    eprintln!("kql: {written} analytic rules written and read back, {with_tactics} with tactics, {too_long} with a query over Sentinel's 10,000 characters");
    assert!(too_long <= 10, "{too_long}");
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
            let (text, extension) = rule_file(target, &c.rule, c.query.as_ref().unwrap(), &Options::default()).unwrap().unwrap();
            out.push_str(&format!("\n== {} ({}) as {extension}\n{text}", c.rule.source, target.name()));
        }
    }
    expect_file("emit-rule-files-snapshots.txt", &out);
}

/// Every rule file of every emitted rule of the project's sample against the published
/// schema of its format (`testdata/rule-file-schemas.tsv`): no key the format lacks, no
/// required key missing, each value of its type and inside its constraint.
#[test]
fn rule_files_follow_the_published_schemas() {
    follow_the_published_schemas(&sigma_testdata());
}

/// The same on the whole SigmaHQ corpus of the shared directory (about 5 minutes in a debug
/// build): `VIGIL_SHARED=… cargo test -p vigil-conformance --test emit_rule_files --
/// --ignored`.
#[test]
#[ignore]
fn rule_files_follow_the_published_schemas_on_the_whole_corpus() {
    let all = sigma_data();
    let data = all.iter().find(|d| d.name != "testdata/sigmahq").expect("the shared directory with the SigmaHQ corpus (set VIGIL_SHARED)");
    follow_the_published_schemas(data);
}

fn follow_the_published_schemas(data: &SigmaData) {
    let rules = load_rules(&data.rules);
    for (target, format) in [(Target::Eql, "elastic"), (Target::Spl, "splunk"), (Target::Kql, "sentinel")] {
        let schema = rule_schema::schema(format);
        let all = convert_all(&rules, &pipeline(target.default_pipeline()), target, &Options::default());
        let (mut written, mut problems, mut without) = (0, Vec::new(), Vec::new());
        for c in &all {
            let Ok(query) = &c.query else { continue };
            let (text, _) = match rule_file(target, &c.rule, query, &Options::default()).unwrap() {
                Ok(file) => file,
                Err(why) => {
                    without.push(format!("{}: {why}", c.rule.source));
                    continue;
                }
            };
            let (doc, all_text) = match format {
                "elastic" => (from_toml(&text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{e}\n{text}"))), false),
                "splunk" => {
                    let stanzas = read_conf(&text);
                    assert_eq!(stanzas.len(), 1, "{text}");
                    (from_conf(&stanzas[0].1), true)
                }
                _ => {
                    let docs = vigil_yaml::parse_documents(&Arc::from("rule.yaml"), &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
                    (from_yaml(&docs[0].root), false)
                }
            };
            problems.extend(rule_schema::check(&schema, &doc, all_text).into_iter().map(|p| format!("{}: {p}", c.rule.source)));
            written += 1;
        }
        eprintln!("{format} on {}: {written} rule files, {} problems, {} rules with no file", data.name, problems.len(), without.len());
        for w in &without {
            eprintln!("  no file: {w}");
        }
        assert!(problems.is_empty(), "{format} on {}: {} problems, the first:\n{}", data.name, problems.len(), problems[..problems.len().min(20)].join("\n"));
        assert!(written >= 570, "{written}");
        // A rule gets no file only for what the format cannot hold (no date for Elastic, a
        // query over Sentinel's 10,000 characters): a few.
        assert!(without.len() * 50 <= written, "{} of {written} rules with no file", without.len());
    }
}
