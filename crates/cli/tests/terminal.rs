#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Terminal behaviour: colour with `--color always`, under a pseudo-terminal (`script`) and
//! never when piped or when `NO_COLOR` is set; and a run that stops at the first broken
//! pipe (`vigil hunt … | head -3`) instead of reading all its input.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ESC: &str = "\u{1b}[";

fn vigil() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-term-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BAD_RULE: &str = "title: bad\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswithh: x\n  condition: sel\n";

/// Removes ANSI escape sequences (`ESC [ … m`).
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(ESC) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = rest.find('m').map_or("", |m| &rest[m + 1..]);
    }
    out.push_str(rest);
    out
}

/// True when `text` holds a colour or style sequence (SGR: `ESC [ digits;… m`).
fn has_colour(text: &str) -> bool {
    text.match_indices(ESC).any(|(i, _)| {
        let rest = &text[i + ESC.len()..];
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(rest.len());
        rest[end..].starts_with('m')
    })
}

#[test]
fn check_colours_diagnostics_only_when_asked_or_on_a_terminal() {
    let dir = scratch("check");
    let bad = dir.join("bad.yml");
    std::fs::write(&bad, BAD_RULE).unwrap();
    let run = |color: &str, no_color: bool| {
        let mut cmd = vigil();
        cmd.arg("check").arg(&bad).args(["--color", color]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let plain = run("auto", false);
    assert!(!plain.contains(ESC), "piped output has no colour: {plain:?}");
    assert!(!run("never", false).contains(ESC));
    let coloured = run("always", false);
    assert!(coloured.contains(&format!("{ESC}1m{ESC}31m")) || coloured.contains(ESC), "{coloured:?}");
    // `always` wins over NO_COLOR; the text under the colour is the plain text.
    assert!(run("always", true).contains(ESC));
    assert_eq!(strip(&coloured), plain);
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `command` (a shell command line) under a pseudo-terminal with `script`; returns
/// what the terminal showed.
fn under_pty(command: &str, no_color: bool) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", command, "/dev/null"]).stdin(Stdio::null()).env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().expect("`script` (util-linux) runs commands under a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn under_a_pseudo_terminal_check_and_the_hunt_summary_are_coloured_unless_no_color() {
    let dir = scratch("pty");
    let bad = dir.join("bad.yml");
    std::fs::write(&bad, BAD_RULE).unwrap();
    let check = format!("{} check {}", env!("CARGO_BIN_EXE_vigil"), bad.display());
    let shown = under_pty(&check, false);
    assert!(shown.contains("unknown modifier"), "{shown}");
    assert!(shown.contains(ESC), "a terminal gets colour: {shown:?}");
    assert!(!under_pty(&check, true).contains(ESC), "NO_COLOR turns it off");
    let hunt = format!("{} hunt --format csv", env!("CARGO_BIN_EXE_vigil"));
    let shown = under_pty(&hunt, false);
    assert!(shown.contains("by level:"), "{shown}");
    let high = shown.lines().find(|l| l.contains("high") && l.contains("alert(s) from")).unwrap();
    assert!(high.contains(ESC), "{high:?}");
    let plain = under_pty(&hunt, true);
    // NO_COLOR: no colour (the progress bar's cursor moves are not colour).
    assert!(plain.contains("by level:") && !has_colour(&plain), "{plain:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_hunt_summary_by_level_counts_alerts_and_rules_and_is_coloured_with_always() {
    let out = vigil().args(["hunt", "--format", "ndjson", "--color", "always"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let alerts: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!alerts.is_empty());
    let plain = strip(&stderr);
    for level in ["critical", "high", "medium", "low", "informational"] {
        let of_level: Vec<_> = alerts.iter().filter(|a| a["rule"]["level"] == level).collect();
        let rules: std::collections::BTreeSet<_> = of_level.iter().map(|a| a["rule"]["id"].as_str().unwrap()).collect();
        let line = format!("  {level:<13} {:>7} alert(s) from {} rule(s)", of_level.len(), rules.len());
        assert!(plain.lines().any(|l| l == line), "missing `{line}` in\n{plain}");
    }
    assert!(stderr.contains(ESC));
    let piped = vigil().args(["hunt", "--format", "ndjson"]).output().unwrap();
    assert!(!String::from_utf8(piped.stderr).unwrap().contains(ESC));
}

/// Events that every one match the test rule, `count` of them.
fn matching_events(count: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(count * 64);
    for i in 0..count {
        writeln!(data, "{{\"Image\":\"C:\\\\Windows\\\\cmd.exe\",\"n\":{i},\"pad\":\"xxxxxxxxxxxxxxxx\"}}").unwrap();
    }
    data
}

/// `vigil hunt - … | head -3`: reads three alerts, closes the pipe, and checks that vigil
/// stops reading its input (it exits while the writer of its input still has most to write).
fn stops_at_a_broken_pipe(threads: &str) {
    let dir = scratch(&format!("pipe-{threads}"));
    std::fs::write(
        dir.join("r.yml"),
        "title: cmd\nlevel: low\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n",
    )
    .unwrap();
    const TOTAL: usize = 2_000_000;
    let events = matching_events(TOTAL);
    let total_bytes = events.len();
    let mut child = vigil()
        .args(["hunt", "-", "--format", "csv", "--threads", threads])
        .arg("--rules")
        .arg(dir.join("r.yml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut written = 0usize;
        for block in events.chunks(1 << 16) {
            if stdin.write_all(block).is_err() {
                break;
            }
            written += block.len();
        }
        written
    });
    let mut err_pipe = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        err_pipe.read_to_string(&mut s).unwrap();
        s
    });
    // `head -3`: three lines, then the pipe is closed.
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..3 {
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert!(!line.is_empty());
    }
    drop(lines);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "vigil went on after its output closed");
        std::thread::sleep(Duration::from_millis(20));
    };
    let written = writer.join().unwrap();
    let stderr = err_thread.join().unwrap();
    assert_eq!(status.code(), Some(0), "a closed output is not an error: {stderr}");
    assert!(stderr.contains("stopped early: the output was closed"), "{stderr}");
    let read: usize = stderr.split("events: ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(read < TOTAL / 2, "read {read} of {TOTAL} events after the pipe closed");
    assert!(written < total_bytes, "the input was not consumed to its end ({written} of {total_bytes} bytes)");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hunt_stops_at_the_first_broken_pipe_on_one_thread() {
    stops_at_a_broken_pipe("1");
}

#[test]
fn hunt_stops_at_the_first_broken_pipe_on_many_threads() {
    stops_at_a_broken_pipe("4");
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_stderr_only_and_never_on_stdout() {
    let dir = scratch("progress");
    let bin = env!("CARGO_BIN_EXE_vigil");
    let file = dir.join("alerts.csv");
    // stderr on the terminal, stdout to a file: the bar (bytes of the known total, events,
    // rates, ETA) is drawn on the terminal, and the file holds only alerts.
    let shown = under_pty(&format!("{bin} hunt --format csv > {}", file.display()), false);
    assert!(shown.contains("ETA") && shown.contains("KiB") && shown.contains(" events ("), "{shown:?}");
    assert!(shown.contains("by level:"), "the summary follows: {shown:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("timestamp,host,") && !written.contains("ETA") && !written.contains(ESC), "{written}");
    assert_eq!(written.lines().filter(|l| l.starts_with("2026-")).count(), 72, "72 alerts (rows start with their timestamp)");
    // Input of unknown size (stdin): bytes read, events and rates, no ETA.
    let sample = root().join("content/samples/windows_cert_develop.ndjson");
    let shown = under_pty(&format!("{bin} hunt - --format csv < {} > {}", sample.display(), file.display()), false);
    assert!(shown.contains(" read (") && shown.contains(" events (") && !shown.contains("ETA"), "{shown:?}");
    // --no-progress: none.
    let shown = under_pty(&format!("{bin} hunt --format csv --no-progress > {}", file.display()), false);
    assert!(shown.contains("by level:") && !shown.contains("ETA") && !shown.contains(" events ("), "{shown:?}");
    // stderr not a terminal: none, and no escape sequence at all.
    let piped = vigil().args(["hunt", "--format", "csv"]).output().unwrap();
    let stderr = String::from_utf8(piped.stderr).unwrap();
    assert!(stderr.contains("by level:") && !stderr.contains("ETA") && !stderr.contains('\u{1b}'), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The table's rows (they start with a timestamp) as the terminal showed them, without
/// escape sequences and carriage returns.
fn table_rows(shown: &str) -> Vec<String> {
    strip(shown).lines().map(|l| l.trim_end_matches('\r').to_string()).filter(|l| l.starts_with("20") && l.contains('T')).collect()
}

#[test]
fn the_table_follows_the_terminal_width_and_colours_levels_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_vigil");
    for cols in [80, 132] {
        let shown = under_pty(&format!("stty cols {cols} rows 50; {bin} hunt --no-progress"), false);
        let rows = table_rows(&shown);
        assert_eq!(rows.len(), 72, "{shown:?}");
        assert!(rows.iter().all(|r| r.chars().count() <= cols), "wider than {cols}: {rows:#?}");
        assert!(rows.iter().any(|r| r.chars().count() == cols && r.ends_with('…')), "long rows are cut at the width: {rows:#?}");
        // The level cell is coloured: a high row carries the level's colour.
        let raw_high = shown.lines().find(|l| l.contains("high ") && l.starts_with("20")).unwrap();
        assert!(raw_high.contains(ESC), "{raw_high:?}");
    }
    // NO_COLOR: the same rows, no colour.
    let shown = under_pty(&format!("stty cols 100 rows 50; {bin} hunt --no-progress"), true);
    assert_eq!(table_rows(&shown).len(), 72);
    assert!(!has_colour(&shown), "{shown:?}");
    // Piped: nothing cut (the full matched values are there), no colour.
    let piped = String::from_utf8(vigil().args(["hunt", "--no-progress"]).output().unwrap().stdout).unwrap();
    assert!(!piped.contains('…') && !piped.contains(ESC));
    assert!(piped.lines().skip(1).any(|l| l.chars().count() > 200), "long rows are whole");
}
