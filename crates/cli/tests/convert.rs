#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! `vigil convert`: text and NDJSON output, refusals with their diagnostic and exit code,
//! `--table`, the `eql` target, `vigil list targets`, and usage errors.

use std::path::PathBuf;
use std::process::Command;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

/// A directory of rule files for one test.
fn rules_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-convert-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

const PLAIN: &str = "title: Plain\nid: 11111111-1111-1111-1111-111111111111\nlogsource: {product: windows}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n    EventID: 1\n  filter:\n    User: SYSTEM\n  condition: sel and not filter\n";
const REGEX: &str =
    "title: Regex\nid: 22222222-2222-2222-2222-222222222222\nlogsource: {product: windows}\ndetection:\n  sel:\n    CommandLine|re: 'a+b'\n  condition: sel\n";
const EXISTS: &str =
    "title: Exists\nid: 33333333-3333-3333-3333-333333333333\nlogsource: {product: windows}\ndetection:\n  sel:\n    SourceIp|exists: true\n  condition: sel\n";

#[test]
fn text_prints_one_statement_per_rule() {
    let dir = rules_dir("text", &[("a.yml", PLAIN)]);
    let out = vigil().args(["convert", "--target", "sql", "--table", "proc"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("SELECT * FROM \"proc\" WHERE "), "{stdout}");
    assert!(stdout.contains("\"Image\" LIKE '%\\\\cmd.exe' ESCAPE '\\'"), "{stdout}");
    assert!(stdout.contains("NOT (\"User\" IS NOT NULL AND \"User\" LIKE 'system')"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("converted: 1 of 1 rules to sql, 0 refused"));
}

#[test]
fn ndjson_carries_the_query_or_the_refusal() {
    let dir = rules_dir("ndjson", &[("a.yml", PLAIN), ("b.yml", EXISTS)]);
    let out = vigil().args(["convert", "-t", "sql", "-f", "ndjson"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a refused rule makes the run exit 1");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["rule"]["id"], "11111111-1111-1111-1111-111111111111");
    assert_eq!(lines[0]["rule"]["name"], "Plain");
    assert_eq!(lines[0]["target"], "sql");
    assert!(lines[0]["query"].as_str().unwrap().starts_with("SELECT * FROM \"events\""));
    assert!(lines[0].get("error").is_none());
    assert!(lines[1].get("query").is_none());
    assert!(lines[1]["error"].as_str().unwrap().starts_with("[emit::sql::exists]"), "{}", lines[1]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[emit::sql::exists]: rule `Exists`"), "{stderr}");
    assert!(stderr.contains("b.yml:6:"), "the diagnostic points at the detection item: {stderr}");
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let dir = rules_dir("usage", &[("a.yml", PLAIN)]);
    let out = vigil().args(["convert", "--target", "cobol"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown target `cobol`; targets: sql, duckdb, spark, eql, esql, lucene, kql, spl, sumo, sigma"));
}

#[test]
fn eql_prints_an_any_where_query_and_refuses_a_word_boundary() {
    let dir = rules_dir("eql", &[("a.yml", PLAIN), ("b.yml", &REGEX.replace("a+b", r"\ba+b"))]);
    let out = vigil().args(["convert", "--target", "eql"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a refused rule makes the run exit 1");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("any where Image : \"*\\\\cmd.exe\" and "), "{stdout}");
    assert!(stdout.contains("not (User : \"SYSTEM\")"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[emit::eql::regex]: rule `Regex`"), "{stderr}");
    assert!(stderr.contains("converted: 1 of 2 rules to eql, 1 refused"), "{stderr}");
}

#[test]
fn list_targets_names_every_target_and_each_name_works() {
    let out = vigil().args(["list", "targets"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, ["sql", "duckdb", "spark", "eql", "esql", "lucene", "kql", "spl", "sumo", "sigma"]);
    assert!(text.contains("(default pipeline: microsoft-xdr)"), "{text}");
    let dir = rules_dir("targets", &[("a.yml", PLAIN)]);
    for name in names {
        let out = vigil().args(["convert", "--target", name]).arg(&dir).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The query-language targets apply their own pipeline unless told otherwise: the table or
/// index comes from the log source, the fields from the target's schema; `--table` wins.
#[test]
fn targets_use_their_default_pipeline_and_table() {
    let process = PLAIN.replace("logsource: {product: windows}", "logsource: {product: windows, category: process_creation}");
    let dir = rules_dir("pipelines", &[("a.yml", process.as_str())]);
    let run = |args: &[&str]| {
        let out = vigil().arg("convert").args(args).arg(&dir).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let kql = run(&["--target", "kql"]);
    assert!(kql.starts_with("DeviceProcessEvents | where FolderPath endswith @\"\\cmd.exe\""), "{kql}");
    let sumo = run(&["--target", "sumo"]);
    assert!(sumo.starts_with("_index=sec_record_process | where matches(toLowerCase(baseImage), /\\\\cmd\\.exe\\z/)"), "{sumo}");
    let spl = run(&["--target", "spl", "--table", "index=win"]);
    assert!(spl.starts_with("index=win | where match(Image, "), "{spl}");
    let esql = run(&["--target", "esql"]);
    assert!(esql.starts_with("FROM logs-* | WHERE ") && esql.contains(r#"TO_LOWER(process.executable) LIKE "*\\\\cmd.exe""#), "{esql}");
    let none = run(&["--target", "kql", "--pipeline", "none"]);
    assert!(none.starts_with("union * | where Image endswith"), "{none}");
}

#[test]
fn sql_engines_spell_regex_their_own_way() {
    let dir = rules_dir("regex-engines", &[("b.yml", REGEX)]);
    for (target, expected) in
        [("sql", "\"CommandLine\" REGEXP 'a+b'"), ("duckdb", "regexp_matches(\"CommandLine\", 'a+b')"), ("spark", "`CommandLine` RLIKE 'a+b'")]
    {
        let out = vigil().args(["convert", "--target", target]).arg(&dir).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8(out.stdout).unwrap().contains(expected), "{target}");
    }
}

#[test]
fn rule_format_writes_an_elastic_rule_per_rule() {
    let dir = rules_dir("rule-format", &[("a.yml", &format!("{PLAIN}level: high\nstatus: stable\ntags:\n  - attack.t1059\nauthor: A, B\ndate: 2024-01-05\n"))]);
    let out_dir = dir.join("out");
    let out = vigil()
        .args(["convert", "--target", "eql", "--format", "rule", "--table", "logs-*", "--out-dir"])
        .arg(&out_dir)
        .arg(dir.join("a.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let path = out_dir.join("11111111-1111-1111-1111-111111111111.toml");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), path.display().to_string());
    let rule: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let text = vigil().args(["convert", "--target", "eql"]).arg(dir.join("a.yml")).output().unwrap();
    assert_eq!(rule["rule"]["query"].as_str().unwrap(), String::from_utf8(text.stdout).unwrap().trim_end());
    assert_eq!(rule["rule"]["rule_id"].as_str(), Some("11111111-1111-1111-1111-111111111111"));
    assert_eq!(rule["rule"]["type"].as_str(), Some("eql"));
    assert_eq!(rule["rule"]["language"].as_str(), Some("eql"));
    assert_eq!((rule["rule"]["severity"].as_str(), rule["rule"]["risk_score"].as_integer()), (Some("high"), Some(73)));
    assert_eq!(rule["rule"]["index"].as_array().unwrap()[0].as_str(), Some("logs-*"));
    assert_eq!(rule["rule"]["author"].as_array().unwrap().len(), 2);
    assert_eq!(rule["rule"]["tags"].as_array().unwrap()[0].as_str(), Some("attack.t1059"));
    assert_eq!(rule["metadata"]["maturity"].as_str(), Some("production"));
    assert_eq!(rule["metadata"]["creation_date"].as_str(), Some("2024/01/05"));
    // A target without a rule format, or no directory, is a usage error.
    let sql = vigil().args(["convert", "--target", "sql", "--format", "rule", "--out-dir"]).arg(&out_dir).arg(&dir).output().unwrap();
    assert_eq!(sql.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&sql.stderr).contains("target `sql` has no native rule file format"));
    let no_dir = vigil().args(["convert", "--target", "eql", "--format", "rule"]).arg(&dir).output().unwrap();
    assert_eq!(no_dir.status.code(), Some(2));
}

#[test]
fn rule_format_names_a_rule_the_format_cannot_hold() {
    // PLAIN has no date, which an Elastic rule file requires: no file, and the reason said.
    let dir = rules_dir("rule-format-undated", &[("a.yml", PLAIN)]);
    let out_dir = dir.join("out");
    let out = vigil().args(["convert", "--target", "eql", "--format", "rule", "--out-dir"]).arg(&out_dir).arg(dir.join("a.yml")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a.yml: no eql rule file: an Elastic rule file needs a creation date"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty() && !out_dir.join("11111111-1111-1111-1111-111111111111.toml").exists());
}
