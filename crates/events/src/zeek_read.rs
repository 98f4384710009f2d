//! Reading a Zeek log (TSV or JSON, decoded first) into chunks of JSON records for the
//! JSON scanner: each line parsed ([`crate::zeek`]), an ssl line joined to its certificate
//! ([`crate::zeek_join`]), rendered under ECS and Zeek names ([`crate::zeek_ecs`]).
//!
//! Streaming, line by line, in memory of about one chunk plus the certificate index. Lines
//! longer than [`Limits::max_record`] are reported and skipped, like any bad line.

use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use crate::decode::decode;
use crate::reader::{BadRecord, Chunk, RecordSpan};
use crate::split::Limits;
use crate::zeek::{json_record, path_from_file_name, TsvHeader, ZeekRecord};
use crate::zeek_ecs::{render, Join};
use crate::zeek_join::{x509_beside, X509Index};

/// True when decoded text starting with `head` is a Zeek log: a TSV header, or a JSON line
/// with a `_path` key (json-streaming-logs).
pub fn looks_like_zeek(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    head.starts_with(b"#separator") || (first.starts_with(b"{") && memchr::memmem::find(first, b"\"_path\":").is_some())
}

/// Reads decoded Zeek text from `text`, calling `sink` with chunks of rendered records.
/// `file` is the log's path on disk (for the x509 log beside an ssl log, and the log path
/// of JSON lines without `_path`).
pub fn read_zeek(name: Arc<str>, file: Option<&Path>, text: &mut dyn BufRead, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let file_path = file.and_then(|f| f.file_name()).and_then(|n| n.to_str()).map(path_from_file_name).unwrap_or_default().to_string();
    let mut index: Option<X509Index> = None;
    let mut chunk = Chunk { source: name.clone(), ..Chunk::default() };
    let mut header = TsvHeader::default();
    let mut line_no = 0u64;
    let mut line = Vec::new();
    while let Some(read) = crate::lines::read_line(text, limits.max_record, &mut line)? {
        line_no += 1;
        let bad = |message: String| BadRecord { source: name.clone(), line: line_no, message };
        let text_line = match crate::lines::text(&line, read, limits.max_record) {
            Ok(Some(text_line)) => text_line,
            Ok(None) => continue,
            Err(message) => {
                chunk.errors.push(bad(message));
                continue;
            }
        };
        let parsed: Result<ZeekRecord, String> = if text_line.starts_with('#') {
            if let Err(e) = header.directive(text_line) {
                chunk.errors.push(bad(e));
            }
            continue;
        } else if text_line.starts_with('{') {
            json_record(text_line, &file_path)
        } else {
            header.record(text_line)
        };
        let record = match parsed {
            Ok(record) => record,
            Err(e) => {
                chunk.errors.push(bad(format!("Zeek line skipped: {e}")));
                continue;
            }
        };
        let join = if record.path == "ssl" {
            let index = index.get_or_insert_with(|| load_x509(file, limits, &mut chunk.errors));
            index.join(&record)
        } else {
            Join::None
        };
        let start = chunk.data.len();
        if serde_json::to_writer(&mut chunk.data, &render(&record, join)).is_err() {
            chunk.data.truncate(start);
            chunk.errors.push(bad("record could not be rendered".into()));
            continue;
        }
        chunk.records.push(RecordSpan { start, end: chunk.data.len(), line: line_no });
        if chunk.data.len() >= limits.chunk {
            let full = std::mem::replace(&mut chunk, Chunk { source: name.clone(), ..Chunk::default() });
            if !sink(full) {
                return Ok(());
            }
        }
    }
    if !chunk.records.is_empty() || !chunk.errors.is_empty() {
        sink(chunk);
    }
    Ok(())
}

/// The certificates of the x509 log beside the ssl log `file` (empty, marked absent, when
/// there is none). What could not be read of it (the file, a line: too long, not UTF-8, not
/// a record) is pushed to `problems` with the x509 log's name and line, and counted like a
/// bad record; the certificates of the other lines are kept.
fn load_x509(file: Option<&Path>, limits: Limits, problems: &mut Vec<BadRecord>) -> X509Index {
    let mut index = X509Index::default();
    let Some(other) = file.and_then(x509_beside) else { return index };
    let source: Arc<str> = Arc::from(other.display().to_string().as_str());
    let problem = |line: u64, message: String| BadRecord { source: source.clone(), line, message: format!("x509 log beside the ssl log: {message}") };
    let decoded = std::fs::File::open(&other).and_then(|raw| decode(Box::new(raw)));
    let mut text = match decoded {
        Ok(decoded) => BufReader::new(decoded),
        Err(e) => {
            problems.push(problem(0, format!("not read: {e}; ssl records are not joined to certificates")));
            return index;
        }
    };
    let mut header = TsvHeader::default();
    let mut line = Vec::new();
    let mut line_no = 0u64;
    index.present = true;
    loop {
        let read = match crate::lines::read_line(&mut text, limits.max_record, &mut line) {
            Ok(Some(read)) => read,
            Ok(None) => break,
            Err(e) => {
                problems.push(problem(line_no + 1, format!("reading stopped: {e}")));
                break;
            }
        };
        line_no += 1;
        let l = match crate::lines::text(&line, read, limits.max_record) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(message) => {
                problems.push(problem(line_no, message));
                continue;
            }
        };
        let record = if l.starts_with('#') {
            header.directive(l).map(|()| None)
        } else if l.starts_with('{') {
            json_record(l, "x509").map(Some)
        } else {
            header.record(l).map(Some)
        };
        match record {
            Ok(Some(r)) if r.path == "x509" => index.add(r),
            Ok(_) => {}
            Err(e) => problems.push(problem(line_no, format!("line skipped: {e}"))),
        }
    }
    index
}
