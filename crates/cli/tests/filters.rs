#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Rule filters end to end: `--min-level`, `--level`, `--status`, `--exclude-status`,
//! `--include-tag`, `--exclude-tag` and `--rule-id` on `hunt`, `check` and `list rules`,
//! over the built-in pack, rules written here, the SigmaHQ sample in testdata/ and, when
//! present, the whole shared corpus.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The NDJSON alerts of `vigil hunt` over the bundled samples with `extra` flags.
fn hunt_alerts(extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let mut args = vec!["hunt", "--format", "ndjson"];
    args.extend_from_slice(extra);
    let out = vigil(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect(), text(&out.stderr))
}

/// `vigil list rules` rows (id, level, status, title) for `paths` and `extra` flags.
fn list_rules(paths: &[&Path], extra: &[&str]) -> Vec<[String; 4]> {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).args(["list", "rules"]).args(paths).args(extra).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "{l}");
            [cols[0].to_string(), cols[1].to_string(), cols[2].to_string(), cols[3].to_string()]
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-filters-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn level_filters_keep_only_the_alerts_of_those_levels_and_the_summary_counts_the_rest() {
    let (all, _) = hunt_alerts(&[]);
    let (high, stderr) = hunt_alerts(&["--min-level", "high"]);
    let level = |a: &serde_json::Value| a["rule"]["level"].as_str().unwrap().to_string();
    let expected_high = all.iter().filter(|a| level(a) == "high").count();
    assert!(expected_high > 0 && expected_high < all.len());
    assert_eq!(high.len(), expected_high);
    assert!(high.iter().all(|a| level(a) == "high"));
    // The pack has 15 rules: 5 high and 10 medium.
    assert!(stderr.contains("rules: 5 loaded, 0 rejected, 0 not runnable with pipeline `ecs-windows`, 10 left out by filters"), "{stderr}");
    let (medium, _) = hunt_alerts(&["--level", "medium"]);
    assert_eq!(medium.len() + high.len(), all.len());
    let (both, _) = hunt_alerts(&["--level", "medium,HIGH"]);
    assert_eq!(both.len(), all.len());
    let (critical, _) = hunt_alerts(&["--level", "critical", "--level", "high"]);
    assert_eq!(critical.len(), high.len());
    // Without filters the summary says nothing about them.
    let (_, stderr) = hunt_alerts(&[]);
    assert!(!stderr.contains("left out by filters"), "{stderr}");
}

#[test]
fn tag_filters_match_attack_ids_tactics_and_sub_techniques() {
    let (all, _) = hunt_alerts(&[]);
    let has = |a: &serde_json::Value, t: &str| a["rule"]["attack"]["techniques"].as_array().unwrap().iter().any(|x| x == t);
    let (sub, _) = hunt_alerts(&["--include-tag", "t1553.004"]);
    assert_eq!(sub.len(), all.iter().filter(|a| has(a, "T1553.004")).count());
    assert!(!sub.is_empty());
    // The technique selects its sub-techniques; the `attack.` namespace is optional; case does not matter.
    let (parent, _) = hunt_alerts(&["--include-tag", "attack.T1553"]);
    assert_eq!(parent.len(), sub.len());
    // A tactic: every pack rule is resource-development or command-and-control / defense-impairment.
    let (tactic, _) = hunt_alerts(&["--include-tag", "resource_development"]);
    let tactic_of = |a: &serde_json::Value, t: &str| a["rule"]["attack"]["tactics"].as_array().unwrap().iter().any(|x| x == t);
    assert_eq!(tactic.len(), all.iter().filter(|a| tactic_of(a, "resource-development")).count());
    assert!(!tactic.is_empty() && tactic.len() < all.len());
    // Exclusion is the complement.
    let (rest, _) = hunt_alerts(&["--exclude-tag", "t1553"]);
    assert_eq!(rest.len() + sub.len(), all.len());
    assert!(rest.iter().all(|a| !has(a, "T1553.004")));
    // A prefix that is not a whole id selects nothing.
    let out = vigil(&["hunt", "--include-tag", "t155"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no rule left to run: the filters left out 15 rule(s)"), "{}", text(&out.stderr));
}

const RULES: &str = "\
title: stable one
id: 00000000-0000-0000-0000-000000000001
status: stable
level: low
tags: [attack.persistence, attack.t1543.003]
logsource: {product: test}
detection: {sel: {Image|endswith: a.exe}, condition: sel}
---
title: test one
id: 00000000-0000-0000-0000-00000000000A
name: test_one
status: test
level: critical
tags: [attack.execution]
logsource: {product: test}
detection: {sel: {Image|endswith: b.exe}, condition: sel}
---
title: no status
level: medium
logsource: {product: test}
detection: {sel: {Image|endswith: c.exe}, condition: sel}
---
title: deprecated one
status: deprecated
level: high
logsource: {product: test}
detection: {sel: {Image|endswith: d.exe}, condition: sel}
";

fn titles(rows: &[[String; 4]]) -> BTreeSet<String> {
    rows.iter().map(|r| r[3].clone()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn status_and_rule_id_filters_on_hunt_list_and_check() {
    let dir = scratch("status");
    let rules = dir.join("rules.yml");
    std::fs::write(&rules, RULES).unwrap();
    let all = list_rules(&[&rules], &[]);
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], ["00000000-0000-0000-0000-000000000001".to_string(), "low".into(), "stable".into(), "stable one".into()]);
    assert_eq!(all[2][2], "-");
    assert_eq!(titles(&list_rules(&[&rules], &["--status", "stable,test"])), set(&["stable one", "test one"]));
    // A rule without a status passes --exclude-status and fails --status.
    assert_eq!(titles(&list_rules(&[&rules], &["--exclude-status", "deprecated"])), set(&["stable one", "test one", "no status"]));
    assert_eq!(titles(&list_rules(&[&rules], &["--rule-id", "00000000-0000-0000-0000-00000000000a"])), set(&["test one"]));
    assert_eq!(titles(&list_rules(&[&rules], &["--rule-id", "test_one,00000000-0000-0000-0000-000000000001"])), set(&["stable one", "test one"]));
    assert_eq!(titles(&list_rules(&[&rules], &["--min-level", "medium", "--exclude-status", "deprecated"])), set(&["test one", "no status"]));
    assert_eq!(titles(&list_rules(&[&rules], &["--include-tag", "persistence", "--include-tag", "execution"])), set(&["stable one", "test one"]));
    // hunt selects the same way: one event per rule, each filter keeps its rules' alerts.
    let events = dir.join("e.ndjson");
    std::fs::write(&events, ["a", "b", "c", "d"].iter().map(|x| format!("{{\"Image\":\"C:\\\\{x}.exe\"}}\n")).collect::<String>()).unwrap();
    let hunt = |extra: &[&str]| -> BTreeSet<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("hunt")
            .arg(&events)
            .arg("--rules")
            .arg(&rules)
            .args(["--format", "ndjson"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"]["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(hunt(&[]), set(&["stable one", "test one", "no status", "deprecated one"]));
    assert_eq!(hunt(&["--rule-id", "test_one"]), set(&["test one"]));
    assert_eq!(hunt(&["--status", "stable"]), set(&["stable one"]));
    assert_eq!(hunt(&["--exclude-status", "deprecated,test"]), set(&["stable one", "no status"]));
    // check counts what the filters left out.
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(&rules).args(["--status", "stable"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).trim_end().ends_with("checked: 1 loaded, 0 rejected, 3 left out by filters"), "{}", text(&out.stdout));
    // A bad filter value is a usage error naming the choices.
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(&rules).args(["--min-level", "severe"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("informational, low, medium, high, critical"), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_selected_correlation_keeps_its_inputs_which_raise_no_alerts_of_their_own() {
    let dir = scratch("corr");
    let rules = dir.join("rules.yml");
    let base = "title: failed logon\nid: 11111111-0000-0000-0000-000000000001\nname: failed_logon\nlevel: low\nlogsource: {product: test}\ndetection: {sel: {EventID: 4625}, condition: sel}\n";
    let corr = "title: brute force\nlevel: high\ncorrelation: {type: event_count, rules: [failed_logon], group-by: [User], timespan: 5m, condition: {gte: 3}, generate: true}\n";
    std::fs::write(&rules, format!("{base}---\n{corr}")).unwrap();
    let events = dir.join("e.ndjson");
    let lines: String = (0..3).map(|i| format!("{{\"EventID\":4625,\"User\":\"bob\",\"@timestamp\":\"2024-01-01T00:00:0{i}Z\"}}\n")).collect();
    std::fs::write(&events, lines).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("hunt")
            .arg(&events)
            .arg("--rules")
            .arg(&rules)
            .args(["--format", "ndjson"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let alerts: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (alerts.iter().map(|a| a["rule"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>(), text(&out.stderr))
    };
    let (all, _) = run(&[]);
    assert_eq!(all.iter().filter(|t| *t == "failed logon").count(), 3);
    assert_eq!(all.iter().filter(|t| *t == "brute force").count(), 1);
    let (high, stderr) = run(&["--min-level", "high"]);
    assert_eq!(high, vec!["brute force".to_string()], "{stderr}");
    assert!(stderr.contains("1 left out by filters"), "{stderr}");
    // list rules shows only what was selected.
    assert_eq!(titles(&list_rules(&[&rules], &["--min-level", "high"])), set(&["brute force"]));
    let _ = std::fs::remove_dir_all(dir);
}

/// The rules of a SigmaHQ tree whose file states `level: <level>` at the top level, by
/// reading the files as text (one rule per file in SigmaHQ's rule folders).
fn files_with_level(dir: &Path, levels: &[&str]) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml") {
                let t = std::fs::read_to_string(&p).unwrap();
                if t.lines().any(|l| levels.iter().any(|lv| l.trim_end() == format!("level: {lv}"))) {
                    n += 1;
                }
            }
        }
    }
    n
}

fn check_sigma_tree(rules: &Path, min_files: usize) {
    let all = list_rules(&[rules], &[]);
    assert!(all.len() >= min_files, "{} rules listed from {}", all.len(), rules.display());
    let high = list_rules(&[rules], &["--min-level", "high"]);
    assert!(high.iter().all(|r| r[1] == "high" || r[1] == "critical"));
    assert_eq!(high.len(), files_with_level(rules, &["high", "critical"]), "{}", rules.display());
    assert_eq!(high.len(), all.iter().filter(|r| r[1] == "high" || r[1] == "critical").count());
    let medium = list_rules(&[rules], &["--level", "medium"]);
    assert_eq!(medium.len(), all.iter().filter(|r| r[1] == "medium").count());
    assert!(!medium.is_empty());
    let parent: BTreeSet<String> = list_rules(&[rules], &["--include-tag", "t1059"]).into_iter().map(|r| r[0].clone()).collect();
    let sub: BTreeSet<String> = list_rules(&[rules], &["--include-tag", "attack.t1059.001"]).into_iter().map(|r| r[0].clone()).collect();
    assert!(!sub.is_empty() && sub.len() < parent.len() && sub.is_subset(&parent));
    let without: BTreeSet<String> = list_rules(&[rules], &["--exclude-tag", "t1059"]).into_iter().map(|r| r[0].clone()).collect();
    assert!(without.is_disjoint(&parent));
    assert_eq!(without.len() + parent.len(), all.len());
}

#[test]
fn filters_over_the_sigmahq_sample_agree_with_the_rule_files() {
    check_sigma_tree(&vigil_conformance::sigma_testdata().rules.join("rules"), 300);
}

/// The whole shared corpus (about a minute in a debug build): `cargo test -- --ignored`.
#[test]
#[ignore]
fn filters_over_the_shared_sigmahq_corpus_agree_with_the_rule_files() {
    let corpus = vigil_conformance::sigma_data().into_iter().find(|d| d.files > 1000).expect("the shared corpus ($VIGIL_SHARED or ../shared)");
    check_sigma_tree(&corpus.rules.join("rules"), 2000);
}
