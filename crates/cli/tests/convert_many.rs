#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! `vigil convert` to several targets in one run (`--target a,b`, `--target all`): each
//! target's part of the output is exactly what a run with that target alone prints, in
//! text (after its `# target: NAME` line) and NDJSON, over SigmaHQ rules of the project's
//! sample that exercise refusals, placeholders, correlations, CIDR and regexes (77 rules).

use std::path::PathBuf;
use std::process::{Command, Output};

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

/// SigmaHQ rule folders of the in-project sample (`testdata/sigmahq`).
fn rule_dirs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sigmahq/sigma");
    ["rules-threat-hunting", "rules-placeholder", "correlation-examples", "rules/linux"].iter().map(|d| root.join(d)).collect()
}

fn convert(targets: &str, format: &str) -> Output {
    vigil().args(["convert", "--target", targets, "--format", format]).args(rule_dirs()).output().unwrap()
}

const ALL: [&str; 10] = ["sql", "duckdb", "spark", "eql", "esql", "lucene", "kql", "spl", "sumo", "sigma"];

#[test]
fn each_targets_text_is_what_it_prints_alone() {
    let many = convert("all", "text");
    assert_eq!(many.status.code(), Some(1), "refusals and rejected rules make the run exit 1");
    let stdout = String::from_utf8(many.stdout).unwrap();
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in stdout.lines() {
        match line.strip_prefix("# target: ") {
            Some(name) => sections.push((name.to_string(), String::new())),
            None => {
                let (_, text) = sections.last_mut().expect("a header line comes first");
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ALL, "every target, in the order `all` names them");
    let stderr = String::from_utf8_lossy(&many.stderr);
    for (name, text) in &sections {
        let alone = convert(name, "text");
        assert_eq!(alone.status.code(), Some(1));
        assert!(text.lines().count() > 40, "{name}: {} queries", text.lines().count());
        assert_eq!(*text, String::from_utf8(alone.stdout).unwrap(), "{name}");
        // The summary line of each target, and each refusal's diagnostic, as alone.
        let alone_err = String::from_utf8_lossy(&alone.stderr);
        let summary = |err: &str| {
            err.lines().find(|l| l.starts_with("converted: ") && l.contains(&format!(" to {name}, "))).map(|l| l.split(" (").next().unwrap_or("").to_string())
        };
        assert_eq!(summary(&stderr), summary(&alone_err), "{name}");
        let refusals = alone_err.lines().filter(|l| l.starts_with(&format!("error[emit::{name}::"))).count();
        assert_eq!(stderr.lines().filter(|l| l.starts_with(&format!("error[emit::{name}::"))).count(), refusals, "{name}");
    }
    assert!(stderr.lines().last().unwrap().starts_with("converted: "), "{stderr}");
    assert!(stderr.lines().last().unwrap().contains(" rules to 10 targets ("), "{stderr}");
}

#[test]
fn each_targets_ndjson_is_what_it_prints_alone() {
    let many = convert("spl,sql,lucene,kql", "ndjson");
    let stdout = String::from_utf8(many.stdout).unwrap();
    let objects: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut order: Vec<&str> = objects.iter().map(|o| o["target"].as_str().unwrap()).collect();
    order.dedup();
    assert_eq!(order, ["spl", "sql", "lucene", "kql"], "grouped by target, in the order named");
    for name in order {
        let mine: String = stdout.lines().filter(|l| l.contains(&format!("\"target\":\"{name}\""))).map(|l| format!("{l}\n")).collect();
        let alone = String::from_utf8(convert(name, "ndjson").stdout).unwrap();
        assert!(alone.lines().count() > 70, "{name}: one object per rule, refused or not");
        assert_eq!(mine, alone, "{name}");
    }
}

#[test]
fn targets_are_named_once_and_a_rule_format_takes_one() {
    let twice = convert("eql,eql", "ndjson");
    let once = convert("eql", "ndjson");
    assert_eq!(twice.stdout, once.stdout, "a target named twice is converted once");
    let bad = convert("eql,cobol", "text");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown target `cobol`"));
    let out_dir = std::env::temp_dir().join(format!("vigil-convert-many-{}", std::process::id()));
    let rule = vigil().args(["convert", "--target", "eql,sql", "--format", "rule", "--out-dir"]).arg(&out_dir).args(rule_dirs()).output().unwrap();
    assert_eq!(rule.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&rule.stderr).contains("name one target"), "{}", String::from_utf8_lossy(&rule.stderr));
    assert!(!out_dir.exists(), "nothing written");
}
