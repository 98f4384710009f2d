//! Reading event sources into chunks of JSON records.
//!
//! A source is a file (optionally gzip-compressed), every file under a directory, or stdin.
//! The layout is detected from the first bytes: one JSON object per line (NDJSON, read in
//! large blocks so memory stays flat), a JSON array of objects, or concatenated JSON values
//! (pretty-printed records one after another, as `evtx_dump -o json` writes them).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use serde_json::value::RawValue;

/// Where events come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
    /// Data built into the program (the bundled samples), under a display name.
    Embedded {
        name: String,
        data: &'static [u8],
    },
}

/// One record's place in a chunk's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordSpan {
    pub start: usize,
    pub end: usize,
    /// 1-based line of the record's first byte in its source.
    pub line: u64,
}

/// A block of records from one source.
#[derive(Debug, Default)]
pub struct Chunk {
    pub source: Arc<str>,
    pub data: Vec<u8>,
    pub records: Vec<RecordSpan>,
    /// Problems found while splitting (e.g. an unterminated array): reported, counted.
    pub errors: Vec<BadRecord>,
}

impl Chunk {
    pub fn record(&self, span: &RecordSpan) -> &[u8] {
        self.data.get(span.start..span.end).unwrap_or(&[])
    }
}

/// A record that was skipped, with where it was and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    pub source: Arc<str>,
    pub line: u64,
    pub message: String,
}

/// Target size of an NDJSON chunk.
pub const CHUNK_BYTES: usize = 1 << 20;

/// File name endings read when a directory is given.
pub const EVENT_FILE_ENDINGS: &[&str] = &[".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz"];

/// Expands inputs into the files to read (directories recursively, sorted). Files inside
/// directories whose names do not end in [`EVENT_FILE_ENDINGS`] are returned separately, so
/// the caller can say they were not read.
pub fn expand_inputs(inputs: &[Input]) -> io::Result<(Vec<Input>, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    for input in inputs {
        match input {
            Input::Path(p) if p.is_dir() => walk(p, &mut out, &mut ignored)?,
            other => out.push(other.clone()),
        }
    }
    Ok((out, ignored))
}

fn walk(dir: &Path, out: &mut Vec<Input>, ignored: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out, ignored)?;
        } else {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if EVENT_FILE_ENDINGS.iter().any(|ext| name.ends_with(ext)) {
                out.push(Input::Path(p));
            } else {
                ignored.push(p);
            }
        }
    }
    Ok(())
}

/// Reads one source, calling `sink` with each chunk in order.
pub fn read_source(input: &Input, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let (name, raw): (Arc<str>, Box<dyn Read>) = match input {
        Input::Stdin => (Arc::from("<stdin>"), Box::new(io::stdin())),
        Input::Path(p) => (Arc::from(p.display().to_string().as_str()), Box::new(File::open(p)?)),
        Input::Embedded { name, data } => (Arc::from(name.as_str()), Box::new(io::Cursor::new(*data))),
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    // Gzip is recognised by its magic bytes, whatever the file is called.
    let head = io::BufRead::fill_buf(&mut reader)?;
    let gz = head.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read> = if gz { Box::new(MultiGzDecoder::new(reader)) } else { Box::new(reader) };
    let mut first = Vec::with_capacity(CHUNK_BYTES);
    fill(&mut reader, &mut first, CHUNK_BYTES)?;
    let first_byte = first.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let first_line_complete = {
        let line_end = memchr::memchr(b'\n', &first).unwrap_or(first.len());
        let line = trim(&first[..line_end]);
        line.first() == Some(&b'{') && line.last() == Some(&b'}')
    };
    match first_byte {
        None => Ok(()),
        Some(b'{') if first_line_complete => read_ndjson(name, reader, first, sink),
        Some(_) => {
            let mut all = first;
            reader.read_to_end(&mut all)?;
            sink(split_whole(name, all));
            Ok(())
        }
    }
}

/// Reads up to `want` more bytes into `buf`, directly into its tail (no intermediate
/// buffer: the page cache is copied once). Returns how many bytes were read; fewer than
/// `want` only at the end of the input.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    let start = buf.len();
    let target = start + want;
    buf.resize(target, 0);
    let mut filled = start;
    while filled < target {
        let Some(space) = buf.get_mut(filled..target) else { break };
        match reader.read(space) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    buf.truncate(filled);
    Ok(filled - start)
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn read_ndjson(name: Arc<str>, mut reader: Box<dyn Read>, mut buf: Vec<u8>, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut line = 1u64;
    loop {
        let want = CHUNK_BYTES.saturating_sub(buf.len()).max(1 << 16);
        let eof = fill(&mut reader, &mut buf, want)? < want;
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => continue, // one line longer than a chunk: read more of it
            }
        };
        let rest = buf.split_off(cut);
        let mut records = Vec::new();
        let mut pos = 0;
        let ends: Vec<usize> = memchr::memchr_iter(b'\n', &buf).collect();
        for end in ends.into_iter().chain(std::iter::once(buf.len())) {
            if end < pos || pos > buf.len() {
                continue;
            }
            let body = &buf[pos..end];
            let t = trim(body);
            if !t.is_empty() {
                let lead = body.iter().take_while(|b| b.is_ascii_whitespace()).count();
                records.push(RecordSpan { start: pos + lead, end: pos + lead + t.len(), line });
            }
            if end < buf.len() {
                line += 1;
            }
            pos = end + 1;
        }
        let chunk = Chunk { source: name.clone(), data: buf, records, errors: Vec::new() };
        if !sink(chunk) || (eof && rest.is_empty()) {
            return Ok(());
        }
        buf = rest;
    }
}

fn count_lines(data: &[u8], from: usize, to: usize, line: &mut u64) {
    if let Some(part) = data.get(from..to) {
        *line += memchr::memchr_iter(b'\n', part).count() as u64;
    }
}

/// Splits a whole file that is a JSON array or a stream of concatenated JSON values.
fn split_whole(name: Arc<str>, data: Vec<u8>) -> Chunk {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let base = data.as_ptr() as usize;
    let offset_of = |s: &str| s.as_ptr() as usize - base;
    let is_array = data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if is_array {
        match serde_json::from_slice::<Vec<&RawValue>>(&data) {
            Ok(items) => {
                let (mut line, mut pos) = (1u64, 0usize);
                for item in items {
                    let start = offset_of(item.get());
                    count_lines(&data, pos, start, &mut line);
                    pos = start;
                    records.push(RecordSpan { start, end: start + item.get().len(), line });
                }
            }
            Err(e) => {
                errors.push(BadRecord { source: name.clone(), line: e.line() as u64, message: format!("not a valid JSON array ({e}); the file was skipped") })
            }
        }
    } else {
        let mut stream = serde_json::Deserializer::from_slice(&data).into_iter::<&RawValue>();
        let (mut line, mut pos) = (1u64, 0usize);
        loop {
            match stream.next() {
                None => break,
                Some(Ok(item)) => {
                    let start = offset_of(item.get());
                    count_lines(&data, pos, start, &mut line);
                    pos = start;
                    records.push(RecordSpan { start, end: start + item.get().len(), line });
                }
                Some(Err(e)) => {
                    errors.push(BadRecord {
                        source: name.clone(),
                        line: e.line() as u64,
                        message: format!("{e}; the rest of the file could not be split into records and was skipped"),
                    });
                    break;
                }
            }
        }
    }
    Chunk { source: name, data, records, errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(text: &str) -> Vec<Chunk> {
        let dir = std::env::temp_dir().join(format!("vigil-reader-{}-{}", std::process::id(), text.len()));
        std::fs::write(&dir, text).unwrap();
        let mut out = Vec::new();
        read_source(&Input::Path(dir.clone()), &mut |c| {
            out.push(c);
            true
        })
        .unwrap();
        let _ = std::fs::remove_file(dir);
        out
    }

    #[test]
    fn ndjson_lines_keep_their_numbers() {
        let chunks = chunks_of("{\"a\":1}\n\n  {\"a\":2}  \n{\"a\":3}");
        let recs: Vec<(u64, String)> =
            chunks.iter().flat_map(|c| c.records.iter().map(move |r| (r.line, String::from_utf8_lossy(c.record(r)).to_string()))).collect();
        assert_eq!(recs, vec![(1, "{\"a\":1}".into()), (3, "{\"a\":2}".into()), (4, "{\"a\":3}".into())]);
    }

    #[test]
    fn arrays_and_concatenated_values() {
        let chunks = chunks_of("[\n {\"a\":1},\n {\"a\":2}\n]");
        let lines: Vec<u64> = chunks[0].records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3]);
        let chunks = chunks_of("{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n");
        let lines: Vec<u64> = chunks[0].records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 4]);
    }

    #[test]
    fn a_broken_stream_is_reported() {
        let chunks = chunks_of("{\n \"a\": 1\n}\n{\n \"a\": \n");
        assert_eq!(chunks[0].records.len(), 1);
        assert_eq!(chunks[0].errors.len(), 1);
    }
}
