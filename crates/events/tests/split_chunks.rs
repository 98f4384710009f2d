#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The splitter gives the same records whatever the size of its read blocks: generated
//! inputs (NDJSON with junk lines, pretty-printed arrays and concatenated records, LF, CRLF
//! and CR line ends, strings full of brackets and escapes) split with blocks of 1 to 64 bytes
//! must give exactly the records and line numbers that were written.

use std::io::Cursor;
use std::sync::Arc;

use vigil_events::split::split;
use vigil_events::Limits;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A JSON string body full of what a splitter could mistake for structure.
fn tricky_string(rng: &mut Rng) -> String {
    const PARTS: &[&str] = &["a", "{", "}", "[", "]", ",", "\"", "\\", "\n", " ", "é", ":", "\r"];
    (0..rng.below(12)).map(|_| PARTS[rng.below(PARTS.len() as u64) as usize]).collect()
}

fn record(rng: &mut Rng, n: u64) -> serde_json::Value {
    serde_json::json!({ "n": n, "s": tricky_string(rng), "nested": {"list": [1, {"x": "}"}], "t": "]"} })
}

/// Splits `text` with every block size from 1 to 64 and checks each gives `want`
/// (line, record text) and no report.
fn splits_to(text: &str, want: &[(u64, String)]) {
    for block in (1..=64).chain([4096]) {
        let mut got = Vec::new();
        let mut bad = Vec::new();
        split(Arc::from("t"), &mut Cursor::new(text.as_bytes().to_vec()), Limits { chunk: block, max_record: 1 << 20 }, &mut |c| {
            got.extend(c.records.iter().map(|r| (r.line, String::from_utf8(c.record(r).to_vec()).unwrap())));
            bad.extend(c.errors.iter().map(|e| (e.line, e.message.clone())));
            true
        })
        .unwrap();
        assert!(bad.is_empty(), "block {block}: {bad:?}\n{text}");
        assert_eq!(got, want, "block {block}\n{text}");
    }
}

#[test]
fn ndjson_with_any_line_ends_and_junk_lines() {
    let mut rng = Rng(0x5eed);
    for round in 0..40 {
        let end = ["\n", "\r\n"][round % 2];
        let mut text = String::new();
        let mut want = Vec::new();
        let count = rng.below(30) + 1;
        for (line, n) in (1..).zip(0..count) {
            match rng.below(5) {
                0 if n > 0 => text.push_str(end), // a blank line
                1 if n > 0 => {
                    // A junk line is a record of its own in NDJSON (the JSON scanner refuses it).
                    let junk = format!("junk {} {{ [ \"", rng.below(100));
                    text.push_str(&junk);
                    text.push_str(end);
                    want.push((line, junk));
                }
                _ => {
                    let r = record(&mut rng, n).to_string();
                    text.push_str(&r);
                    text.push_str(end);
                    want.push((line, r));
                }
            }
        }
        splits_to(&text, &want);
    }
}

#[test]
fn pretty_arrays_and_concatenated_records() {
    let mut rng = Rng(0xfeed);
    for round in 0..40 {
        let records: Vec<serde_json::Value> = (0..rng.below(8) + 1).map(|n| record(&mut rng, n)).collect();
        let end = ["\n", "\r", "\n", "\r\n"][round % 4];
        let fix = |t: String| t.replace('\n', end);
        // Build the text and note where each record starts and ends, as it is written.
        let mut text = String::new();
        let mut want = Vec::new();
        let array = round % 2 == 0;
        if array {
            text.push_str(&fix("[\n".into()));
        }
        for (i, r) in records.iter().enumerate() {
            let body = serde_json::to_string_pretty(r).unwrap();
            let body = if array { body.replace('\n', "\n  ") } else { body };
            let body = fix(body);
            if array {
                text.push_str("  ");
            }
            let line = 1 + text.matches(end).count() as u64;
            want.push((line, body.clone()));
            text.push_str(&body);
            if array && i + 1 < records.len() {
                text.push(',');
            }
            text.push_str(&fix("\n".into()));
        }
        if array {
            text.push(']');
        }
        splits_to(&text, &want);
    }
}

#[test]
fn unclosed_records_cost_only_themselves_at_any_block_size() {
    let mut rng = Rng(0xbad);
    for round in 0..40 {
        let end = ["\n", "\r\n"][round % 2];
        let mut text = String::new();
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for n in 0..rng.below(8) + 2 {
            let body = serde_json::to_string_pretty(&record(&mut rng, n)).unwrap().replace('\n', end);
            let line = 1 + text.matches(end).count() as u64;
            if rng.below(3) == 0 {
                // Cut off the closing brace: the record never closes.
                let cut = body.rfind('}').unwrap();
                text.push_str(&body[..cut]);
                bad.push(line);
            } else {
                good.push((line, body.clone()));
                text.push_str(&body);
            }
            text.push_str(end);
        }
        for block in [1, 2, 3, 5, 8, 13, 64, 4096] {
            let (mut got, mut reported) = (Vec::new(), Vec::new());
            split(Arc::from("t"), &mut Cursor::new(text.as_bytes().to_vec()), Limits { chunk: block, max_record: 1 << 20 }, &mut |c| {
                got.extend(c.records.iter().map(|r| (r.line, String::from_utf8(c.record(r).to_vec()).unwrap())));
                reported.extend(c.errors.iter().map(|e| e.line));
                true
            })
            .unwrap();
            reported.sort();
            assert_eq!(got, good, "block {block}\n{text}");
            assert_eq!(reported, bad, "block {block}\n{text}");
        }
    }
}

#[test]
fn mixed_line_ends_count_every_break() {
    // A CR-only break, then LF breaks (structural mode: the LF after other bytes is a break
    // of its own, not the second half of a CRLF).
    let want: Vec<(u64, String)> = vec![(1, "{\"a\":1}".into()), (2, "{\"a\":2}".into()), (3, "{\"a\":3}".into())];
    splits_to("{\"a\":1}\r{\"a\":2}\n{\"a\":3}\n", &want);
    // LF breaks first (line mode), then a CR-only break and a CRLF: still one record a line.
    splits_to("{\"a\":1}\n{\"a\":2}\r{\"a\":3}\r\n", &want);
    splits_to("{\"a\":1}\n{\"a\":2}\r\n{\"a\":3}\r", &want);
    splits_to("{\"a\":1}\n\r\n{\"a\":2}\r\r{\"a\":3}\n", &[(1, "{\"a\":1}".into()), (3, "{\"a\":2}".into()), (5, "{\"a\":3}".into())]);
}

#[test]
fn a_pretty_record_after_one_line_records_is_read_whole() {
    // The first record fits on its line (line mode), then a record spread over lines, an
    // array element's trailing comma, a pretty array: every record is still read whole.
    let text = "{\"a\":1}\n{\n  \"a\": 2\n}\n{\"a\":3}\n{\"a\":4}\r\n{\r\n \"a\": 5}\r\n[\n{\"a\":6},\n{\"a\":7}\n]\n{\"a\":8}\n";
    let want: Vec<(u64, String)> = vec![
        (1, "{\"a\":1}".into()),
        (2, "{\n  \"a\": 2\n}".into()),
        (5, "{\"a\":3}".into()),
        (6, "{\"a\":4}".into()),
        (7, "{\r\n \"a\": 5}".into()),
        (10, "{\"a\":6}".into()),
        (11, "{\"a\":7}".into()),
        (13, "{\"a\":8}".into()),
    ];
    splits_to(text, &want);
}
