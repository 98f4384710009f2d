//! Reading CEF text (decoded first) into chunks of JSON records for the JSON scanner: one
//! record per line ([`crate::cef`]); a line that is not CEF (no `CEF:`, wrong header field
//! count, bad header escape, not UTF-8, longer than [`Limits::max_record`]) is reported
//! with its line number, skipped and counted.
//!
//! Streaming, line by line, in memory of about one chunk.

use std::io::{self, BufRead};
use std::sync::Arc;

use crate::reader::{BadRecord, Chunk, RecordSpan};
use crate::split::Limits;

/// True when decoded text starting with `head` is CEF: its first line that is not blank is a
/// CEF message (bare or after a syslog header), not JSON.
pub fn looks_like_cef(head: &[u8]) -> bool {
    let Some(first) = head.split(|&b| b == b'\n').find(|l| !l.trim_ascii().is_empty()) else { return false };
    let first = first.trim_ascii_start();
    !first.starts_with(b"{") && !first.starts_with(b"[") && crate::cef::is_cef(&String::from_utf8_lossy(first))
}

/// Reads decoded CEF text from `text`, calling `sink` with chunks of rendered records.
pub fn read_cef(name: Arc<str>, text: &mut dyn BufRead, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut chunk = Chunk { source: name.clone(), ..Chunk::default() };
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
        let doc = match crate::cef::parse_line(text_line) {
            Ok(doc) => doc,
            Err(e) => {
                chunk.errors.push(bad(format!("CEF line skipped: {e}")));
                continue;
            }
        };
        let start = chunk.data.len();
        if serde_json::to_writer(&mut chunk.data, &doc).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_reported_and_the_rest_read() {
        let text = "CEF:0|V|P|1|1|a|3|dst=1.1.1.1\n\nCEF:0|V|P\nnot cef\n<13>Mar  1 10:00:00 h CEF:0|V|P|1|2|b|5|src=2.2.2.2 spt=80\n";
        let mut chunks = Vec::new();
        read_cef(Arc::from("t"), &mut text.as_bytes(), Limits::default(), &mut |c| {
            chunks.push(c);
            true
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<u64> = chunks.iter().flat_map(|c| c.records.iter().map(|r| r.line)).collect();
        assert_eq!(lines, [1, 5]);
        let bad: Vec<(u64, bool)> = chunks.iter().flat_map(|c| c.errors.iter().map(|b| (b.line, b.message.starts_with("CEF line skipped")))).collect();
        assert_eq!(bad, [(3, true), (4, true)]);
        assert!(looks_like_cef(b"\n<134>1 2024-01-01T00:00:00Z h a - - - CEF:0|V|P|1|1|n|1|"));
        assert!(!looks_like_cef(b"{\"m\":\"CEF:0|V|P\"}"));
    }
}
