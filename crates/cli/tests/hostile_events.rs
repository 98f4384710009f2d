#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The hostile-event corpus, end to end through the `vigil` binary.
//!
//! For every file (testdata/hostile-events/, made by its make.py; large and special inputs
//! made here) the test pins which lines alert, which bad records are reported at which
//! line, the counts and the exit code, and checks that each alert is exactly what its
//! record gives when read alone. Every run has a deadline: no input may hang the reader.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    root().join("testdata/hostile-events")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What one run of `vigil hunt` showed.
#[derive(Debug, Default)]
struct Run {
    code: Option<i32>,
    /// (line, raw event text) of each alert, in output order.
    alerts: Vec<(u64, String)>,
    /// (line, message) of each skipped record.
    bad: Vec<(u64, String)>,
    source_errors: Vec<String>,
    not_read: Vec<String>,
    read: u64,
    skipped: u64,
    stderr: String,
}

const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `vigil hunt PATHS --rules rule.yml --format ndjson`, killing it past the deadline.
fn hunt(paths: &[&Path], stdin: Option<Vec<u8>>, extra: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("hunt").args(paths).arg("--rules").arg(corpus().join("rule.yml")).args(extra);
    if !extra.contains(&"--format") {
        cmd.args(["--format", "ndjson"]);
    }
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let writer = stdin.map(|data| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        out_pipe.read_to_end(&mut s).unwrap();
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        err_pipe.read_to_end(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            panic!("vigil hunt {paths:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let stdout = String::from_utf8(out_thread.join().unwrap()).unwrap();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap()).to_string();
    let mut run = Run { code: status.code(), stderr: stderr.clone(), ..Run::default() };
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let alert: serde_json::Value = serde_json::from_str(line).unwrap();
        let raw = line.split_once(",\"event\":").unwrap().1.strip_suffix('}').unwrap().to_string();
        run.alerts.push((alert["source"]["line"].as_u64().unwrap(), raw));
    }
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("skipped event: ") {
            // `PATH:LINE: MESSAGE`; the path may hold `:` itself, the line does not.
            let (head, message) = rest.split_once(": ").unwrap();
            let number = head.rsplit(':').next().unwrap().parse().unwrap();
            run.bad.push((number, message.to_string()));
        } else if let Some(rest) = line.strip_prefix("source error: ") {
            run.source_errors.push(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("not read: ") {
            run.not_read.push(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("events: ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            run.read = words[0].parse().unwrap();
            run.skipped = words[2].parse().unwrap();
        }
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    run
}

/// Each alert's record, read alone from a file of its own, gives the same alert.
fn alerts_match_records_read_alone(name: &str, run: &Run) {
    if run.alerts.is_empty() {
        return;
    }
    let dir = scratch(&format!("alone-{name}"));
    for (i, (_, raw)) in run.alerts.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:05}.ndjson")), format!("{raw}\n")).unwrap();
    }
    let alone = hunt(&[&dir], None, &[]);
    let count = |alerts: &[(u64, String)]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for (_, raw) in alerts {
            *m.entry(raw.clone()).or_default() += 1;
        }
        m
    };
    assert_eq!(count(&alone.alerts), count(&run.alerts), "{name}: alerts differ from the records read alone");
    assert_eq!(alone.skipped, 0, "{name}: {}", alone.stderr);
    let _ = std::fs::remove_dir_all(dir);
}

/// Expectations for one file of the corpus.
struct Case {
    file: &'static str,
    /// Lines that alert, in order.
    alerts: Vec<u64>,
    /// Lines of the reported bad records, sorted, each with a fragment of its message.
    bad: Vec<(u64, &'static str)>,
    read: u64,
    /// A fragment of the source error (the run then exits 2).
    source_error: Option<&'static str>,
}

fn case(file: &'static str, alerts: &[u64], bad: &[(u64, &'static str)], read: u64, source_error: Option<&'static str>) -> Case {
    Case { file, alerts: alerts.to_vec(), bad: bad.to_vec(), read, source_error }
}

fn check(c: &Case, run: &Run) {
    let name = c.file;
    let lines: Vec<u64> = run.alerts.iter().map(|a| a.0).collect();
    assert_eq!(lines, c.alerts, "{name}: alert lines\n{}", run.stderr);
    for (_, raw) in &run.alerts {
        assert!(raw.contains("good-"), "{name}: a record without a good marker alerted: {raw}");
    }
    let mut bad = run.bad.clone();
    bad.sort();
    assert_eq!(bad.len(), c.bad.len(), "{name}: bad records {bad:?}");
    for ((line, message), (want_line, fragment)) in bad.iter().zip(&c.bad) {
        assert_eq!(line, want_line, "{name}: {bad:?}");
        assert!(message.contains(fragment), "{name}: line {line}: `{message}` does not say `{fragment}`");
    }
    assert_eq!(run.skipped, c.bad.len() as u64, "{name}: skipped count\n{}", run.stderr);
    assert_eq!(run.read, c.read, "{name}: events read\n{}", run.stderr);
    match c.source_error {
        Some(fragment) => {
            assert_eq!(run.code, Some(2), "{name}: exit code");
            assert!(run.source_errors.len() == 1 && run.source_errors[0].contains(fragment), "{name}: {:?}", run.source_errors);
        }
        None => {
            assert_eq!(run.code, Some(0), "{name}: exit code\n{}", run.stderr);
            assert!(run.source_errors.is_empty(), "{name}: {:?}", run.source_errors);
        }
    }
}

const NOT_OBJECT: &str = "not a JSON object";

fn checked_in_cases() -> Vec<Case> {
    let truncated: Vec<u64> = (1..=197).collect();
    let mut corrupted: Vec<u64> = (1..=238).collect();
    corrupted.extend([245, 246, 253, 266, 287, 292, 299, 350]);
    vec![
        case(
            "scalars-and-arrays-as-lines.ndjson",
            &[1, 8],
            &[(2, "(an array)"), (3, "(a number)"), (4, "(a string)"), (5, "(a boolean)"), (6, "(null)"), (7, "(an array)")],
            2,
            None,
        ),
        case("utf8-bom.ndjson", &[1, 2], &[], 2, None),
        case("utf16le-bom.ndjson", &[1, 2], &[], 2, None),
        case("utf16be-bom.ndjson", &[1, 2], &[], 2, None),
        case("utf16le-no-bom.ndjson", &[1, 2], &[], 2, None),
        case("utf16le-lone-surrogate.ndjson", &[1, 3], &[(2, "invalid UTF-8")], 2, None),
        case("powershell-utf16le-array.json", &[2, 6], &[], 2, None),
        case("cr-only.ndjson", &[1, 2, 4], &[(3, "not closed before line 4")], 3, None),
        case("crlf.ndjson", &[1, 3], &[(2, "expected a string key")], 2, None),
        case("truncated.ndjson.gz", &truncated, &[(198, "the input ends inside this record")], 197, Some("ends before its end marker")),
        case("trailing-garbage.ndjson.gz", &[1, 2, 3], &[], 3, Some("trailing data that is not gzip")),
        case("trailing-zeros.ndjson.gz", &[1, 2], &[], 2, Some("trailing zero bytes")),
        case("multi-member.ndjson.gz", &[1, 2, 3, 4], &[], 4, None),
        case("array-bad-element.json", &[2, 4, 6], &[(3, "expected a JSON value"), (5, "expected `,` or `}`")], 3, None),
        case("array-syntax-errors.json", &[2, 3, 5, 6], &[(3, "a `,` is missing"), (4, "closes a bracket"), (5, "an empty element")], 4, None),
        case("array-truncated.json", &[2, 3], &[(1, "array opened on this line is not closed"), (4, "the input ends inside this record")], 2, None),
        case("array-one-line.json", &[1, 1, 1], &[], 3, None),
        case("array-of-arrays.json", &[1], &[(1, NOT_OBJECT), (1, NOT_OBJECT), (1, NOT_OBJECT)], 1, None),
        case("concatenated-bad-records.json", &[1, 13, 24], &[(9, "not closed before line 13"), (21, "a line break inside a string")], 3, None),
        case("concatenated-one-line.json", &[1, 1, 1], &[], 3, None),
        case("stray-text-between-records.json", &[2, 6], &[(1, "expected a JSON value"), (5, "expected a JSON value")], 2, None),
        case("nul-bytes.ndjson", &[1, 4, 6], &[(2, "control character"), (3, "expected a JSON value"), (5, "expected a JSON value")], 3, None),
        case("invalid-utf8-in-strings.ndjson", &[1, 4], &[(2, "invalid UTF-8"), (3, "invalid UTF-8"), (5, "invalid UTF-8")], 2, None),
        case("deep-nesting.ndjson", &[1, 3], &[(2, "nesting deeper than 128")], 2, None),
        case("blank-first-line.ndjson", &[4, 5], &[], 2, None),
        case("empty.ndjson", &[], &[], 0, None),
        case("only-whitespace.ndjson", &[], &[], 0, None),
        case("no-newline-at-end.ndjson", &[1, 2], &[], 2, None),
        // Dates do not decide detections; the engine's handling of impossible dates is
        // tested with correlations.
        case("impossible-dates.ndjson", &[1, 2, 3], &[], 3, None),
        // A repeated key keeps every value: neither order hides the good marker.
        case("duplicate-keys.ndjson", &[1, 2], &[], 3, None),
        case("unterminated-string.ndjson", &[1, 3], &[(2, "the string is not closed")], 2, None),
        // Named .json but an EVTX file by content: read as EVTX, whose header is cut short.
        case("evtx.json", &[], &[], 0, Some("EVTX file header cut short")),
        case("zip-archive.json", &[], &[], 0, Some("zip archive")),
        case("bzip2.json", &[], &[], 0, Some("bzip2")),
        case("binary.json", &[], &[], 0, Some("binary data")),
        // 100 flipped bytes from 60% of the way in: every record before the damage alerts,
        // damaged records that still parse are evaluated (8 still carry a good marker), and
        // the damage is reported. Only the first 20 bad records are printed; all are counted.
        case("corrupted.ndjson.gz", &corrupted, &[], 258, Some("gzip")),
    ]
}

#[test]
fn every_checked_in_hostile_file_keeps_its_good_records_and_reports_its_bad_ones() {
    let cases = checked_in_cases();
    let not_events = ["make.py", "rule.yml", "README.md"];
    let on_disk =
        std::fs::read_dir(corpus()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| !not_events.contains(&n.as_str())).count();
    assert_eq!(cases.len(), on_disk, "every file of the corpus has a case");
    for c in &cases {
        let run = hunt(&[&corpus().join(c.file)], None, &[]);
        if c.file == "corrupted.ndjson.gz" {
            // All 98 bad records are counted; the first one is where the damage starts.
            assert_eq!(run.skipped, 98, "{}", run.stderr);
            assert!(run.bad.iter().map(|b| b.0).min() == Some(239), "{:?}", run.bad);
            assert!(run.stderr.contains("… and 78 more skipped events"), "{}", run.stderr);
            let lines: Vec<u64> = run.alerts.iter().map(|a| a.0).collect();
            assert_eq!(lines, c.alerts);
            assert_eq!((run.read, run.code), (c.read, Some(2)));
        } else {
            check(c, &run);
        }
        alerts_match_records_read_alone(c.file, &run);
    }
}

#[test]
fn the_whole_corpus_as_one_directory_gives_the_same_alerts_with_any_thread_count() {
    let one = hunt(&[&corpus()], None, &["--threads", "1"]);
    let many = hunt(&[&corpus()], None, &["--threads", "3"]);
    assert_eq!(one.alerts, many.alerts);
    assert_eq!(one.bad, many.bad);
    let expected: usize = checked_in_cases().iter().map(|c| c.alerts.len()).sum();
    assert_eq!(one.alerts.len(), expected);
    // The four unread formats and the four damaged gzip files.
    assert_eq!(one.source_errors.len(), 8, "{:?}", one.source_errors);
    assert_eq!(one.code, Some(2));
}

#[test]
fn a_100_mb_line_and_a_first_line_over_1_mb_are_read_whole() {
    let dir = scratch("long");
    let long = dir.join("long-line.ndjson");
    let pad = "x".repeat(100 << 20);
    std::fs::write(&long, format!("{{\"marker\":\"bad-long\",\"pad\":\"{pad}\"}}\n{{\"marker\":\"good-2\"}}\n{{\"pad\":\"{pad}\",\"marker\":\"good-3\"}}"))
        .unwrap();
    let run = hunt(&[&long], None, &["--format", "table"]);
    // A table, not NDJSON (which would print the 100 MB event): count the alerts from the
    // summary.
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!((run.read, run.skipped), (3, 0), "{}", run.stderr);
    assert!(run.stderr.contains("alerts: 2"), "{}", run.stderr);
    drop(pad);
    let first = dir.join("first-line-over-1mb.ndjson");
    let pad = "y".repeat(3 << 20);
    std::fs::write(&first, format!("{{\"marker\":\"good-1\",\"pad\":\"{pad}\"}}\n{{\"marker\":\"good-2\"}}\n{{\"marker\":\"bad-3\"}}\n")).unwrap();
    let run = hunt(&[&first], None, &["--format", "table"]);
    assert_eq!((run.code, run.read, run.skipped), (Some(0), 3, 0), "{}", run.stderr);
    assert!(run.stderr.contains("alerts: 2"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn stdin_with_a_blank_first_line_is_streamed() {
    let mut data = b"\n".to_vec();
    for i in 1..=5000 {
        data.extend_from_slice(format!("{{\"marker\":\"good-{i}\"}}\n").as_bytes());
    }
    let run = hunt(&[Path::new("-")], Some(data), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.alerts.len(), 5000);
    assert_eq!(run.alerts.first().map(|a| a.0), Some(2));
    assert_eq!(run.alerts.last().map(|a| a.0), Some(5001));
}

#[cfg(unix)]
#[test]
fn symlink_loops_fifos_and_unreadable_directories_in_a_walk() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("walk");
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    std::fs::write(dir.join("sub/e.ndjson"), "{\"marker\":\"good-1\"}\n").unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub/deeper/loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("sub"), dir.join("again")).unwrap();
    let fifo = Command::new("mkfifo").arg(dir.join("sub/pipe.ndjson")).status().unwrap();
    assert!(fifo.success());
    std::fs::create_dir_all(dir.join("locked")).unwrap();
    std::fs::write(dir.join("locked/x.ndjson"), "{\"marker\":\"good-9\"}\n").unwrap();
    std::fs::set_permissions(dir.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads a mode-000 directory anyway, so there the unreadable case cannot be made.
    let locked_is_unreadable = std::fs::read_dir(dir.join("locked")).is_err();

    let run = hunt(&[&dir], None, &[]);
    std::fs::set_permissions(dir.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The file is read once, however many links lead to it; the FIFO is never opened.
    let markers: Vec<&str> = run.alerts.iter().map(|a| a.1.as_str()).collect();
    let once = if locked_is_unreadable { vec!["{\"marker\":\"good-1\"}"] } else { vec!["{\"marker\":\"good-1\"}", "{\"marker\":\"good-9\"}"] };
    assert_eq!(markers, once, "{}", run.stderr);
    assert!(run.not_read.iter().any(|n| n.contains("pipe.ndjson") && n.contains("FIFO")), "{:?}", run.not_read);
    assert!(run.not_read.iter().any(|n| n.contains("already walked")), "{:?}", run.not_read);
    if locked_is_unreadable {
        assert!(run.source_errors.iter().any(|e| e.contains("locked") && e.contains("cannot read")), "{:?}", run.source_errors);
        assert_eq!(run.code, Some(2));
    } else {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }

    // A FIFO named on the command line is read, like stdin.
    let pipe = dir.join("sub/pipe.ndjson");
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::write(pipe, "{\"marker\":\"good-7\"}\n").unwrap())
    };
    let run = hunt(&[&pipe], None, &[]);
    writer.join().unwrap();
    assert_eq!(run.alerts.len(), 1, "{}", run.stderr);
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[test]
fn rule_directories_are_walked_the_same_way_and_rule_files_have_a_size_limit() {
    let dir = scratch("rules");
    std::fs::create_dir_all(dir.join("r/sub")).unwrap();
    std::fs::copy(corpus().join("rule.yml"), dir.join("r/sub/rule.yml")).unwrap();
    std::os::unix::fs::symlink(dir.join("r"), dir.join("r/sub/loop")).unwrap();
    assert!(Command::new("mkfifo").arg(dir.join("r/fifo.yml")).status().unwrap().success());
    let events = corpus().join("utf8-bom.ndjson");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("hunt").arg(&events).arg("--rules").arg(dir.join("r")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("alerts: 2"), "{stderr}");
    let check = Command::new(env!("CARGO_BIN_EXE_vigil")).arg("check").arg(dir.join("r")).output().unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("FIFO") && stdout.contains("already walked"), "{stdout}");
    // `--rules /dev/zero` is read up to the limit, then refused.
    let zero = Command::new(env!("CARGO_BIN_EXE_vigil")).args(["check", "/dev/zero"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&zero.stdout);
    assert!(stdout.contains("larger than 4 MiB"), "{stdout}");
    assert_ne!(zero.status.code(), Some(0));
    let _ = std::fs::remove_dir_all(dir);
}
