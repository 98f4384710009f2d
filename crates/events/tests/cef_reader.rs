#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The CEF samples in `testdata/cef`, read as `hunt` reads them (format found from content):
//! every document the reader renders, and every line it skips with why, against
//! `testdata/cef/golden.txt` (`VIGIL_BLESS=1` rewrites it); and the ECS names of a few
//! records checked by hand against Filebeat's CEF mapping.

use std::path::PathBuf;

use serde_json::{json, Value};
use vigil_events::{read_source, Input};

const FILES: &[&str] = &["arcsight.cef", "syslog-rfc3164.log", "syslog-rfc5424.log"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cef")
}

/// Per file, `{"file","line","doc"}` for records and `{"file","line","skipped"}` for bad lines.
fn read_all() -> Vec<Value> {
    let mut out = Vec::new();
    for file in FILES {
        let input = Input::Path(dir().join(file));
        assert_eq!(vigil_events::sniff_format(&input).unwrap().map(|f| f.name()), Some(if file.ends_with(".cef") { "cef" } else { "json" }), "{file}");
        let mut rows = Vec::new();
        read_source(&input, &mut |chunk| {
            for span in &chunk.records {
                let doc: Value = serde_json::from_slice(chunk.record(span)).unwrap();
                rows.push((span.line, json!({"file": file, "line": span.line, "doc": doc})));
            }
            for bad in &chunk.errors {
                rows.push((bad.line, json!({"file": file, "line": bad.line, "skipped": bad.message})));
            }
            true
        })
        .unwrap();
        rows.sort_by_key(|(line, _)| *line);
        out.extend(rows.into_iter().map(|(_, row)| row));
    }
    out
}

#[test]
fn cef_samples_render_as_pinned() {
    let got: Vec<String> = read_all().iter().map(|v| serde_json::to_string(v).unwrap()).collect();
    let golden = dir().join("golden.txt");
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&golden, got.join("\n") + "\n").unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(got.len(), want.len(), "rows");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    let records = got.iter().filter(|r| r.contains("\"doc\"")).count();
    let skipped = got.iter().filter(|r| r.contains("\"skipped\"")).count();
    assert_eq!((records, skipped), (10, 4));
}

#[test]
fn ecs_names_as_filebeat_maps_them() {
    let rows = read_all();
    let doc = |file: &str, line: u64| rows.iter().find(|r| r["file"] == file && r["line"] == line).map(|r| r["doc"].clone()).unwrap();
    let z = doc("arcsight.cef", 3);
    assert_eq!(z["observer"]["vendor"], "Zscaler");
    assert_eq!(z["destination"]["domain"], "www.example.com");
    assert_eq!(z["source"]["user"]["name"], "jdoe@example.com");
    assert_eq!(z["url"]["original"], "https://www.example.com/download?id=42&f=setup.exe");
    assert_eq!(z["user_agent"]["original"], "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    assert_eq!(z["http"]["request"]["method"], "GET");
    assert_eq!(z["labels"]["urlcat"], "File Sharing");
    assert_eq!(z["cef"]["extensions"]["deviceCustomString2"], "File Sharing");
    assert_eq!(z["@timestamp"], "2024-03-01T10:00:00.123Z");
    let p = doc("arcsight.cef", 4);
    assert_eq!(p["destination"]["port"], 443);
    assert_eq!(p["source"]["nat"]["ip"], "203.0.113.5");
    assert_eq!(p["source"]["bytes"], 1520);
    assert_eq!(p["network"]["transport"], "TCP");
    assert_eq!(p["event"]["category"], "traffic");
    assert_eq!(p["@timestamp"], "2024-03-01T10:00:00.000Z");
    let f = doc("arcsight.cef", 5);
    assert_eq!(f["message"], "Denied by policy: line one\nline two");
    let e = doc("arcsight.cef", 6);
    assert_eq!(e["cef"]["device"]["vendor"], "Vendor|Pipe");
    assert_eq!(e["cef"]["name"], "name with | pipe");
    assert_eq!(e["message"], "value with = equals and \\ backslash");
    assert_eq!(e["labels"]["note"], "a b c");
    let b = doc("syslog-rfc3164.log", 1);
    assert_eq!(b["log"]["syslog"]["hostname"], "proxy01");
    assert_eq!(b["url"]["original"], "http://update.example.org/agent.ps1");
    let c = doc("syslog-rfc5424.log", 2);
    assert_eq!(c["@timestamp"], "2024-03-01T11:00:01.500Z");
    assert_eq!(c["event"]["action"], "Accept");
    assert_eq!(c["observer"]["product"], "VPN-1 & FireWall-1");
}
