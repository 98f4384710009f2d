//! Reading event sources into chunks of JSON records.
//!
//! A source is a file, every event file under a directory ([`crate::walk`]), or stdin. Its
//! bytes are decoded ([`crate::decode`]: gzip by magic bytes, byte-order marks, UTF-16;
//! formats that are not read are named) and split into records ([`crate::split`]: NDJSON,
//! JSON arrays, concatenated JSON), streaming in bounded memory whatever the layout.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::decode::decode;
pub use crate::format::Format;
use crate::split::{split, Limits};
use crate::walk::{walk_dir, Skipped, Walk};

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

impl Input {
    /// The name reports give the source.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => p.display().to_string(),
            Input::Embedded { name, .. } => name.clone(),
        }
    }
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
    /// Problems found while splitting (e.g. an unterminated record): reported, counted.
    pub errors: Vec<BadRecord>,
    /// How the chunk is to be read: JSON records at `records`, or EVTX chunks in `evtx`
    /// (whose records the worker finds, [`crate::evtx::records`]).
    pub format: Format,
    /// EVTX input: chunks of the file, in file order, each with its number in the file and
    /// its 64 KiB (see [`crate::evtx::split_evtx`]).
    pub evtx: Vec<(u64, Vec<u8>)>,
}

impl Chunk {
    /// The bytes the chunk holds as read (JSON text or EVTX chunks).
    pub fn bytes(&self) -> usize {
        self.data.len() + self.evtx.iter().map(|(_, data)| data.len()).sum::<usize>()
    }

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

/// Bytes read at a time; chunks handed to the evaluation are about this size.
pub const CHUNK_BYTES: usize = 1 << 20;

/// File name endings read when a directory is given.
pub const EVENT_FILE_ENDINGS: &[&str] = &[".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz", ".evtx", ".log", ".log.gz", ".cef", ".cef.gz"];

/// How much of a JSON-looking source's first line is looked at to recognise CEF after a
/// syslog header (reading stops at the first newline: a slow stream is not held up).
const FIRST_LINE_BYTES: u64 = 4096;

/// The inputs to read once directories are expanded, and what was left out.
#[derive(Debug, Default)]
pub struct Expanded {
    pub inputs: Vec<Input>,
    /// Files in the given directories whose names do not end in [`EVENT_FILE_ENDINGS`].
    pub ignored: Vec<PathBuf>,
    /// Entries the walk did not read (unreadable, special files, links seen before).
    pub skipped: Vec<Skipped>,
}

/// Expands inputs into the files to read (directories recursively, sorted). A path given
/// explicitly is read whatever it is (a FIFO too, like stdin); inside directories only
/// regular event files are.
pub fn expand_inputs(inputs: &[Input]) -> Expanded {
    let mut out = Expanded::default();
    for input in inputs {
        match input {
            Input::Path(p) if p.is_dir() => {
                let mut walk = Walk::default();
                walk_dir(p, &is_event_file, &mut walk);
                out.inputs.extend(walk.files.into_iter().map(Input::Path));
                out.ignored.append(&mut walk.ignored);
                out.skipped.append(&mut walk.skipped);
            }
            other => out.inputs.push(other.clone()),
        }
    }
    out
}

fn is_event_file(path: &std::path::Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    EVENT_FILE_ENDINGS.iter().any(|ext| name.ends_with(ext))
}

/// Reads one source, calling `sink` with each chunk in order (stopping when it returns
/// false). An error is returned when the source cannot be opened, is in a format that is not
/// read (the message names it), or breaks off (the message says at which line; the records
/// before it were handed on).
pub fn read_source(input: &Input, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    read_source_with(input, Limits::default(), sink)
}

/// [`read_source`] with explicit limits.
pub fn read_source_with(input: &Input, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    read_source_as(input, None, limits, sink)
}

/// [`read_source_with`] in a given format, or (`None`) the one its first bytes show.
pub fn read_source_as(input: &Input, format: Option<Format>, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let name: Arc<str> = Arc::from(input.display_name().as_str());
    let mut raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::Path(p) => Box::new(File::open(p)?),
        Input::Embedded { data, .. } => Box::new(io::Cursor::new(*data)),
    };
    let format = match format {
        Some(format) => format,
        None => {
            let mut head = Vec::with_capacity(8);
            (&mut raw).take(8).read_to_end(&mut head)?;
            let format = Format::detect(&head);
            raw = Box::new(io::Cursor::new(head).chain(raw));
            format
        }
    };
    match format {
        Format::Json => {
            // A Zeek log that is gzipped or JSON shows what it is once decoded.
            let mut text = io::BufReader::with_capacity(1 << 16, decode(raw)?);
            if crate::zeek_read::looks_like_zeek(io::BufRead::fill_buf(&mut text)?) {
                return crate::zeek_read::read_zeek(name, file_of(input), &mut text, limits, sink);
            }
            if crate::crtsh::looks_like_crtsh(io::BufRead::fill_buf(&mut text)?) {
                return split(name, &mut text, limits, &mut |chunk| sink(crate::crtsh::convert(chunk)));
            }
            // CEF after a syslog header shows what it is once decoded, on its first line.
            let mut first = Vec::new();
            io::BufRead::read_until(&mut (&mut text).take(FIRST_LINE_BYTES), b'\n', &mut first)?;
            let mut text = io::BufReader::with_capacity(1 << 16, io::Cursor::new(first).chain(text));
            if crate::cef_read::looks_like_cef(io::BufRead::fill_buf(&mut text)?) {
                return crate::cef_read::read_cef(name, &mut text, limits, sink);
            }
            split(name, &mut text, limits, sink)
        }
        Format::Evtx => crate::evtx::split_evtx(name, &mut raw, sink),
        Format::Auditd => crate::auditd::split_auditd(name, decode(raw)?, limits, sink),
        Format::CrtSh => split(name, &mut decode(raw)?, limits, &mut |chunk| sink(crate::crtsh::convert(chunk))),
        Format::Cef => crate::cef_read::read_cef(name, &mut io::BufReader::new(decode(raw)?), limits, sink),
        Format::Zeek => crate::zeek_read::read_zeek(name, file_of(input), &mut io::BufReader::new(decode(raw)?), limits, sink),
    }
}

/// The file an input is read from, if it is one.
fn file_of(input: &Input) -> Option<&std::path::Path> {
    match input {
        Input::Path(p) => Some(p),
        _ => None,
    }
}

/// The format of a source from its first bytes (the JSON reader for anything unknown), for
/// regular files and embedded data; `None` for stdin and special files (a FIFO), which are
/// not opened twice: their format is found when they are read.
pub fn sniff_format(input: &Input) -> io::Result<Option<Format>> {
    let mut head = Vec::with_capacity(8);
    match input {
        Input::Stdin => return Ok(None),
        Input::Path(p) if !p.metadata()?.is_file() => return Ok(None),
        Input::Path(p) => {
            File::open(p)?.take(8).read_to_end(&mut head)?;
        }
        Input::Embedded { data, .. } => head.extend(data.iter().take(8)),
    }
    Ok(Some(Format::detect(&head)))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Lines = Vec<(u64, String)>;

    fn read(bytes: &[u8], limits: Limits) -> (Lines, Lines, Option<String>) {
        let data: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        let r = read_source_with(&Input::Embedded { name: "t".into(), data }, limits, &mut |c| {
            good.extend(c.records.iter().map(|r| (r.line, String::from_utf8_lossy(c.record(r)).to_string())));
            bad.extend(c.errors.iter().map(|e| (e.line, e.message.clone())));
            true
        });
        (good, bad, r.err().map(|e| e.to_string()))
    }

    fn records(text: &str) -> Lines {
        let (good, bad, err) = read(text.as_bytes(), Limits::default());
        assert!(bad.is_empty() && err.is_none(), "{bad:?} {err:?}");
        good
    }

    fn small() -> Limits {
        Limits { chunk: 7, max_record: 40 }
    }

    #[test]
    fn ndjson_lines_keep_their_numbers() {
        let want = vec![(1, "{\"a\":1}".to_string()), (3, "{\"a\":2}".into()), (4, "{\"a\":3}".into())];
        assert_eq!(records("{\"a\":1}\n\n  {\"a\":2}  \n{\"a\":3}"), want);
        assert_eq!(records("{\"a\":1}\r\n\r\n  {\"a\":2}  \r\n{\"a\":3}\r\n"), want);
        assert_eq!(records("{\"a\":1}\r\r  {\"a\":2}  \r{\"a\":3}\r"), want);
        // Blank lines first, and tiny read blocks: the same records.
        let (good, bad, _) = read(b"\n\n{\"a\":1}\n{\"a\":2}\n", small());
        assert_eq!((good, bad), (vec![(3, "{\"a\":1}".into()), (4, "{\"a\":2}".into())], vec![]));
    }

    #[test]
    fn arrays_and_concatenated_values() {
        assert_eq!(records("[\n {\"a\":1},\n {\"a\":2}\n]").iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(records("{\n \"a\": 1\n}\n{\n \"a\": \"}{\"\n}\n").iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(records("[{\"a\":1}][{\"a\":2}]").len(), 2);
        let (good, bad, _) = read(b"[\n {\"a\":1},\n {\"a\":[1,2]},\n {\"a\":3}\n]", small());
        assert_eq!(good.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert!(bad.is_empty());
    }

    #[test]
    fn damage_costs_only_the_record_it_is_in() {
        // An unclosed record: the next record at the same indentation starts over.
        let (good, bad, _) = read(b"[\n {\"a\": {\"b\": 1},\n {\"a\": 2}\n]\n", Limits::default());
        assert_eq!(good, vec![(3, "{\"a\": 2}".into())]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2]);
        // The same with CRLF line ends.
        let (good, bad, _) = read(b"[\r\n {\"a\": {\"b\": 1},\r\n {\"a\": 2}\r\n]\r\n", Limits::default());
        assert_eq!((good, bad.iter().map(|b| b.0).collect::<Vec<_>>()), (vec![(3, "{\"a\": 2}".into())], vec![2]));
        // A line break inside a string, a mismatched closer.
        let (good, bad, _) = read(b"{\n \"a\": \"x\n}\n{\"a\": [1}\n{\"a\": 3}\n", Limits::default());
        assert_eq!(good, vec![(5, "{\"a\": 3}".into())]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![1, 4]);
        // Truncated: the last record and the unclosed array are reported.
        let (good, bad, _) = read(b"[{\"a\":1},\n{\"a\":", Limits::default());
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 2);
        // Stray punctuation: one report per line.
        let (good, bad, _) = read(b"{\n\"a\":1\n}\n,,,}}]\n{\"a\":2}", Limits::default());
        assert_eq!((good.len(), bad), (2, vec![(4, "`,` where a record was expected".to_string())]));
        // Missing comma: reported, both elements read.
        let (good, bad, _) = read(b"[{\"a\":1} {\"a\":2}]", Limits::default());
        assert_eq!((good.len(), bad.len()), (2, 1));
    }

    #[test]
    fn records_over_the_limit_are_skipped_while_streaming() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(100));
        let text = format!("{{\"a\":1}}\n{long}\n{{\"a\":2}}\n");
        let (good, bad, _) = read(text.as_bytes(), small());
        assert_eq!(good.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2]);
        let text = format!("[\n{long},\n{{\"a\":2}}\n]");
        let (good, bad, _) = read(text.as_bytes(), small());
        assert_eq!(good.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn scalars_and_stray_text_are_records_of_their_own() {
        let (good, bad, _) = read(b"[1, \"s\", {\"a\":1}]\nRecord 2\n{\"a\":2}", Limits::default());
        assert_eq!(good.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), vec!["1", "\"s\"", "{\"a\":1}", "Record 2", "{\"a\":2}"]);
        assert!(bad.is_empty());
    }
}
