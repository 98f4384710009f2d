#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! What cannot be read of the x509 log beside an ssl log (a line with the wrong column count,
//! bytes that are not UTF-8) is reported with the x509 log's name and line and counted; the
//! other certificates are still joined.

use std::path::PathBuf;

use vigil_events::{read_source, Input};

#[test]
fn damaged_x509_lines_are_reported_and_the_rest_joined() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/zeek/tsv");
    let dir = std::env::temp_dir().join(format!("vigil-x509-problems-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(sample.join("ssl.log"), dir.join("ssl.log")).unwrap();
    let x509 = std::fs::read(sample.join("x509.log")).unwrap();
    // After the header (8 lines), a line with two columns and one that is not UTF-8.
    let mut lines: Vec<Vec<u8>> = x509.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    lines.insert(8, b"1795780800.0\tonly-two-columns".to_vec());
    lines.insert(9, b"\xff\xfe not text".to_vec());
    std::fs::write(dir.join("x509.log"), lines.join(&b'\n')).unwrap();

    let (mut problems, mut joined, mut records) = (Vec::new(), 0, 0);
    read_source(&Input::Path(dir.join("ssl.log")), &mut |chunk| {
        problems.extend(chunk.errors.iter().map(|b| (b.source.to_string(), b.line, b.message.clone())));
        for span in &chunk.records {
            records += 1;
            let doc: serde_json::Value = serde_json::from_slice(chunk.record(span)).unwrap();
            joined += usize::from(doc["tls"]["server"]["x509"].is_object());
        }
        true
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let lines: Vec<u64> = problems.iter().map(|(_, line, _)| *line).collect();
    assert_eq!(lines, [9, 10], "{problems:?}");
    assert!(problems.iter().all(|(source, _, message)| source.ends_with("x509.log") && message.starts_with("x509 log beside the ssl log")), "{problems:?}");
    assert!(problems[1].2.contains("UTF-8"), "{problems:?}");
    assert!(records > 0 && joined > 0, "{records} records, {joined} joined");
}
