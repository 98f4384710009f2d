#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! `vigil list pipelines|rules`, shell completions and the man page: each generated from the
//! definitions the binary runs with, so they cannot fall behind them.

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(vigil(args).stdout).unwrap()
}

/// The names in the `Commands:` section of a `--help` text, `help` excepted.
fn commands_in_help(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// The long flags a `--help` text lists.
fn flags_in_help(help: &str) -> BTreeSet<String> {
    help.split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches([',', '.', ']']).split(['=', '<']).next().unwrap_or("").to_string())
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect()
}

#[test]
fn list_pipelines_names_every_builtin_on_one_line_and_each_name_works() {
    let text = stdout(&["list", "pipelines"]);
    let names: Vec<&str> = text.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(names, vigil_pipeline::BUILTIN_NAMES);
    for line in text.lines() {
        assert!(line.len() > 30, "each pipeline has a description: {line}");
    }
    let rules = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../content/rules");
    for name in names {
        let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(&rules).args(["--pipeline", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
    }
}

#[test]
fn list_rules_shows_the_rules_hunt_runs() {
    let text = stdout(&["list", "rules"]);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 15);
    // Every rule that raises an alert over the samples is listed with its level and title.
    let alerts = stdout(&["hunt", "--format", "ndjson"]);
    let mut fired = 0;
    for line in alerts.lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let row = rows.iter().find(|r| r[0] == a["rule"]["id"]).unwrap_or_else(|| panic!("{} not listed", a["rule"]["id"]));
        assert_eq!(row[1], a["rule"]["level"]);
        assert_eq!(row[3], a["rule"]["name"]);
        fired += 1;
    }
    assert!(fired > 0);
}

#[test]
fn completions_cover_every_command_and_flag_in_every_shell() {
    let help = stdout(&["--help"]);
    let commands = commands_in_help(&help);
    assert_eq!(commands, ["hunt", "check", "convert", "list", "completions", "man"]);
    let hunt_flags = flags_in_help(&stdout(&["hunt", "--help"]));
    assert!(hunt_flags.contains("min-level") && hunt_flags.contains("fail-on-detection") && hunt_flags.contains("include-tag"), "{hunt_flags:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell}: {c}");
        }
        for f in &hunt_flags {
            assert!(script.contains(&format!("--{f}")) || script.contains(&format!("-l {f}")), "{shell}: --{f}");
        }
    }
    // The bash script loads and registers a completion for `vigil`.
    let bash = Command::new("bash").args(["-c", &format!("source <({} completions bash) && complete -p vigil", env!("CARGO_BIN_EXE_vigil"))]).output().unwrap();
    assert!(bash.status.success(), "{}", String::from_utf8_lossy(&bash.stderr));
    assert!(String::from_utf8(bash.stdout).unwrap().contains("vigil"));
}

#[test]
fn the_man_pages_mention_every_command_and_every_flag() {
    let main = stdout(&["man"]);
    assert!(main.starts_with(".ie") || main.contains(".TH vigil 1"), "roff: {}", &main[..80.min(main.len())]);
    for c in commands_in_help(&stdout(&["--help"])) {
        assert!(main.contains(&format!("vigil\\-{c}(1)")), "{c}");
        // Each command has its own page, which mentions each of its flags.
        let page = stdout(&["man", &c]);
        assert!(page.contains(&format!(".TH vigil-{c} 1")), "{c}: {}", &page[..200.min(page.len())]);
        for f in flags_in_help(&stdout(&[&c, "--help"])) {
            assert!(page.contains(&format!("\\-\\-{}", f.replace('-', "\\-"))), "vigil-{c}(1) lacks --{f}");
        }
    }
    assert!(main.contains("Exit codes: 0 success; 1 findings"));
    let unknown = Command::new(env!("CARGO_BIN_EXE_vigil")).args(["man", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
