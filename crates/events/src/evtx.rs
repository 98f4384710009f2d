//! EVTX (Windows event log) input, on the `evtx` crate.
//!
//! Reading is split in two so that a file's chunks are parsed in parallel by the runner:
//! [`split_evtx`] (the reader thread) only cuts the file into its 64 KiB chunks, and
//! [`records`] (a worker) parses one chunk and renders each record as the JSON the `evtx`
//! crate writes (`evtx_dump -o jsonl`: `Event.System.*`, `Event.EventData.*`). That JSON is
//! then walked by the JSON scanner like any JSON record, so a record read natively and the
//! same record dumped to JSON evaluate the same, and alerts quote it. There is no XML step.
//!
//! A record is numbered by its `EventRecordID` (reports say `file:record`). A chunk that
//! cannot be parsed is reported under the first record number its header names, and
//! skipped; a record that cannot be rendered is reported and skipped; the other records of
//! the chunk and the next chunks are still read.

use std::io::{self, Read};
use std::sync::{Arc, OnceLock};

use evtx::{EvtxChunkData, ParserSettings};

use crate::reader::{BadRecord, Chunk, Format};

/// The first bytes of an EVTX file.
pub const FILE_MAGIC: &[u8] = b"ElfFile\0";
/// The first bytes of an EVTX chunk.
pub const CHUNK_MAGIC: &[u8] = b"ElfChnk\0";
/// The file header's size: chunks start after it.
const HEADER_BYTES: usize = 4096;
/// The size of a chunk.
pub const CHUNK_BYTES: usize = 65536;

/// Cuts an EVTX stream into its chunks, calling `sink` with each (stopping when it returns
/// false). Chunks are handed on in file order; all-zero chunks (space the log has not used
/// yet) are passed over. A file whose header is cut short is an error; a last chunk cut
/// short is a bad record, after the chunks before it were handed on.
pub fn split_evtx(name: Arc<str>, raw: &mut dyn Read, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut header = vec![0u8; HEADER_BYTES];
    let got = read_full(raw, &mut header)?;
    if got < HEADER_BYTES || !header.starts_with(FILE_MAGIC) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("EVTX file header cut short ({got} of {HEADER_BYTES} bytes): not a readable EVTX file"),
        ));
    }
    let mut number = 0u64;
    loop {
        let mut data = vec![0u8; CHUNK_BYTES];
        let got = read_full(raw, &mut data)?;
        if got == 0 {
            return Ok(());
        }
        let first = first_record(&data);
        if got < CHUNK_BYTES {
            let message = format!("EVTX chunk {number} cut short ({got} of {CHUNK_BYTES} bytes): its records are skipped");
            let chunk = Chunk {
                source: name.clone(),
                format: Format::Evtx,
                errors: vec![BadRecord { source: name.clone(), line: first, message }],
                ..Chunk::default()
            };
            sink(chunk);
            return Ok(());
        }
        if data.iter().any(|&b| b != 0) {
            let chunk = Chunk { source: name.clone(), data, format: Format::Evtx, number, ..Chunk::default() };
            if !sink(chunk) {
                return Ok(());
            }
        }
        number += 1;
    }
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(raw: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut at = 0;
    while let Some(rest) = buf.get_mut(at..).filter(|r| !r.is_empty()) {
        match raw.read(rest) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// The first record number a chunk header names (0 when the header is not readable).
fn first_record(data: &[u8]) -> u64 {
    data.get(8..16).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0)
}

fn settings() -> Arc<ParserSettings> {
    static SETTINGS: OnceLock<Arc<ParserSettings>> = OnceLock::new();
    SETTINGS.get_or_init(|| Arc::new(ParserSettings::new().indent(false).separate_json_attributes(false).num_threads(1))).clone()
}

/// One record of a chunk: its number and its JSON.
pub struct EvtxRecord<'a> {
    pub number: u64,
    pub json: &'a [u8],
}

/// Parses one chunk read by [`split_evtx`] (its data is taken), calling `each` with every
/// record in order, or with a bad record for what cannot be read.
pub fn records(chunk: &mut Chunk, each: &mut dyn FnMut(Result<EvtxRecord<'_>, BadRecord>)) {
    let source = chunk.source.clone();
    let data = std::mem::take(&mut chunk.data);
    if data.is_empty() {
        return;
    }
    let first = first_record(&data);
    let bad = |line: u64, message: String| BadRecord { source: source.clone(), line, message };
    let mut parsed = match EvtxChunkData::new(data, false) {
        Ok(parsed) => parsed,
        Err(e) => return each(Err(bad(first, format!("EVTX chunk {} unreadable, its records are skipped: {}", chunk.number, chain(&e))))),
    };
    parsed.number = Some(chunk.number);
    let mut parsed = match parsed.parse(settings()) {
        Ok(parsed) => parsed,
        Err(e) => return each(Err(bad(first, format!("EVTX chunk {} unreadable, its records are skipped: {}", chunk.number, chain(&e))))),
    };
    let mut last = first;
    for record in parsed.iter() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                each(Err(bad(record_number(&e).unwrap_or(last), format!("EVTX record unreadable: {}", chain(&e)))));
                continue;
            }
        };
        let number = record.event_record_id;
        last = number;
        match record.into_json_bytes() {
            Ok(rendered) => each(Ok(EvtxRecord { number, json: &rendered.data })),
            Err(e) => each(Err(bad(number, format!("EVTX record {number} could not be rendered: {}", chain(&e))))),
        }
    }
}

fn record_number(e: &evtx::err::EvtxError) -> Option<u64> {
    match e {
        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => Some(*record_id),
        _ => None,
    }
}

/// An error with its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    let mut depth = 0;
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    out
}
