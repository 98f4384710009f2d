#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! `vigil hunt` over raw audit logs: recognised by content, the `ecs-linux` pipeline by
//! default, SigmaHQ's Linux rules (`service: auditd` on raw names, `process_creation` on ECS
//! names) alerting on the samples with per-rule counts pinned, the same output whatever the
//! thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hunt(rules: &Path, threads: &str) -> (String, String) {
    let logs = root().join("testdata/auditd");
    let out =
        Command::new(env!("CARGO_BIN_EXE_vigil")).args(["hunt", "--format", "ndjson", "--threads", threads, "--rules"]).arg(rules).arg(&logs).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// Alerts per (rule title, file name, line).
fn counts(stdout: &str) -> BTreeMap<(String, String, u64), u32> {
    let mut out = BTreeMap::new();
    for line in stdout.lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = Path::new(a["source"]["path"].as_str().unwrap()).file_name().unwrap().to_str().unwrap().to_string();
        let key = (a["rule"]["name"].as_str().unwrap().to_string(), file, a["source"]["line"].as_u64().unwrap());
        *out.entry(key).or_insert(0) += 1;
        // The alert quotes the event as its document, ECS and raw names together.
        assert_eq!(a["event"]["event.module"], "auditd", "{a}");
    }
    out
}

fn pinned(rows: &[(&str, &str, u64)]) -> BTreeMap<(String, String, u64), u32> {
    rows.iter().map(|(r, f, l)| ((r.to_string(), f.to_string(), *l), 1)).collect()
}

const PROJECT: &[(&str, &str, u64)] = &[
    ("Binary Padding - Linux", "sh_binary_padding_dd_2020-11-10081941.log", 1),
    ("Creation Of An User Account", "beats-useradd.log", 4),
    ("Linux Keylogging with Pam.d", "beats-test.log", 5),
    ("Overwriting the File with Dev Zero or Null", "sh_binary_padding_dd_2020-11-10081941.log", 1),
];

#[test]
fn sigmahq_auditd_rules_run_on_the_samples() {
    let rules = root().join("testdata/auditd/sigma");
    let (stdout, stderr) = hunt(&rules, "2");
    assert!(stderr.contains("events: 27 read, 0 skipped"), "{stderr}");
    assert!(stderr.contains("rules: 53 loaded, 0 rejected, 0 not runnable with pipeline `ecs-linux`"), "{stderr}");
    assert_eq!(counts(&stdout), pinned(PROJECT));
    let (one, _) = hunt(&rules, "1");
    assert_eq!(one, stdout);
}

#[test]
fn all_sigmahq_linux_rules_on_the_samples_when_the_shared_corpus_is_there() {
    let rules = vigil_conformance::shared().join("corpus/sigma/rules/linux");
    if !rules.is_dir() {
        // The in-project test above covers the auditd rules; this one needs the corpus.
        return;
    }
    let (stdout, stderr) = hunt(&rules, "2");
    assert!(stderr.contains("rules: 210 loaded, 0 rejected"), "{stderr}");
    let mut want: Vec<(&str, &str, u64)> = PROJECT.to_vec();
    // process_creation (ECS names, execve events).
    want.push(("Linux Remote System Discovery", "sh_arp_cache_2020-11-10074812.log", 1));
    assert_eq!(counts(&stdout), pinned(&want));
}
