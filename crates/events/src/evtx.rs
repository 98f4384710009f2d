//! EVTX (Windows event log) input, on the `evtx` crate.
//!
//! Reading is split in two so that a file's chunks are parsed in parallel by the runner:
//! [`split_evtx`] (the reader thread) only cuts the file into its 64 KiB chunks and hands
//! them on [`BATCH`] at a time (one work item, about 1 MiB), and [`records`] (a worker)
//! parses them in file order and renders each record as the JSON the `evtx`
//! crate writes (`evtx_dump -o jsonl`: `Event.System.*`, `Event.EventData.*`). That JSON is
//! then walked by the JSON scanner like any JSON record, so a record read natively and the
//! same record dumped to JSON evaluate the same, and alerts quote it. There is no XML step.
//!
//! A record is numbered by its `EventRecordID` (reports say `file:record`). A chunk that
//! cannot be parsed is reported under the first record number its header names, and
//! skipped; a record that cannot be rendered is reported and skipped; the other records of
//! the chunk and the next chunks are still read.
//!
//! Chunk buffers go round: [`records`] hands each parsed chunk's buffer back to a small
//! shared stock that [`split_evtx`] reads the next chunks into, so a run does not allocate
//! (and the system does not zero) a fresh 64 KiB per chunk.

use std::io::{self, Read};
use std::sync::{Arc, Mutex, OnceLock};

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
/// Chunks handed on together, as one work item (1 MiB, like a JSON chunk): the hand-over
/// between threads is paid once for them.
pub const BATCH: usize = 16;
/// Spare chunk buffers kept at most (8 MiB): about what is in flight between the reader and
/// the workers, so that the stock is rarely empty and never grows past it.
const SPARE_MAX: usize = 128;

/// Chunk buffers [`records`] is done with, for [`split_evtx`] to read into again.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A chunk buffer of [`CHUNK_BYTES`]: a spare one, or a new one.
fn buffer() -> Vec<u8> {
    let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
    spare.filter(|b| b.len() == CHUNK_BYTES).unwrap_or_else(|| vec![0u8; CHUNK_BYTES])
}

/// Keeps `buffers` for [`buffer`] (those past [`SPARE_MAX`] are freed).
fn give_back(buffers: &mut Vec<Vec<u8>>) {
    if let Ok(mut spare) = SPARE.lock() {
        let room = SPARE_MAX.saturating_sub(spare.len());
        spare.extend(buffers.drain(..).filter(|b| b.len() == CHUNK_BYTES).take(room));
    }
}

/// True when a chunk is all zero bytes (space the log has not used yet). A used chunk starts
/// with [`CHUNK_MAGIC`]; others are checked a block at a time (a loop the compiler vectorises).
fn all_zero(data: &[u8]) -> bool {
    data.first() != Some(&CHUNK_MAGIC[0]) && data.chunks(4096).all(|block| block.iter().fold(0u8, |or, &b| or | b) == 0)
}

/// Cuts an EVTX stream into its chunks, calling `sink` with them (up to [`BATCH`] chunks
/// per [`Chunk`], in [`Chunk::evtx`]) in file order, stopping when it returns false.
/// All-zero chunks (space the log has not used yet) are passed over. A file whose header is
/// cut short is an error; a last chunk cut short is a bad record (a chunk of its own), after
/// the chunks before it were handed on, as they are before a read error is returned.
pub fn split_evtx(name: Arc<str>, raw: &mut dyn Read, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut header = vec![0u8; HEADER_BYTES];
    let got = read_full(raw, &mut header)?;
    if got < HEADER_BYTES || !header.starts_with(FILE_MAGIC) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("EVTX file header cut short ({got} of {HEADER_BYTES} bytes): not a readable EVTX file"),
        ));
    }
    let new_batch = || Chunk { source: name.clone(), format: Format::Evtx, evtx: Vec::with_capacity(BATCH), ..Chunk::default() };
    let mut batch = new_batch();
    let mut number = 0u64;
    loop {
        let mut data = buffer();
        let got = match read_full(raw, &mut data) {
            Ok(got) => got,
            Err(e) => {
                if !batch.evtx.is_empty() {
                    sink(batch);
                }
                return Err(e);
            }
        };
        if got < CHUNK_BYTES {
            if !batch.evtx.is_empty() && !sink(std::mem::replace(&mut batch, new_batch())) {
                return Ok(());
            }
            if got == 0 {
                return Ok(());
            }
            // A spare buffer holds an older chunk: what was not read counts as zero.
            if let Some(rest) = data.get_mut(got..) {
                rest.fill(0);
            }
            let message = format!("EVTX chunk {number} cut short ({got} of {CHUNK_BYTES} bytes): its records are skipped");
            let chunk = Chunk {
                source: name.clone(),
                format: Format::Evtx,
                errors: vec![BadRecord { source: name.clone(), line: first_record(&data), message }],
                ..Chunk::default()
            };
            sink(chunk);
            return Ok(());
        }
        if all_zero(&data) {
            give_back(&mut vec![data]);
        } else {
            batch.evtx.push((number, data));
            if batch.evtx.len() >= BATCH && !sink(std::mem::replace(&mut batch, new_batch())) {
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

/// Parses the EVTX chunks of a [`Chunk`] read by [`split_evtx`] (they are taken), in order,
/// calling `each` with every record in order, or with a bad record for what cannot be read.
pub fn records(chunk: &mut Chunk, each: &mut dyn FnMut(Result<EvtxRecord<'_>, BadRecord>)) {
    let parts = std::mem::take(&mut chunk.evtx);
    let mut done = Vec::with_capacity(parts.len());
    for (number, data) in parts {
        done.extend(parse_chunk(&chunk.source, number, data, each));
    }
    give_back(&mut done);
}

/// Parses chunk `number` of a file, as [`records`] does; its buffer, to be used again.
fn parse_chunk(source: &Arc<str>, number: u64, data: Vec<u8>, each: &mut dyn FnMut(Result<EvtxRecord<'_>, BadRecord>)) -> Option<Vec<u8>> {
    let first = first_record(&data);
    let bad = |line: u64, message: String| BadRecord { source: source.clone(), line, message };
    let mut parsed = match EvtxChunkData::new(data, false) {
        Ok(parsed) => parsed,
        Err(e) => {
            each(Err(bad(first, format!("EVTX chunk {number} unreadable, its records are skipped: {}", chain(&e)))));
            return None;
        }
    };
    parsed.number = Some(number);
    match parsed.parse(settings()) {
        Ok(mut chunk) => {
            let mut last = first;
            for record in chunk.iter() {
                let record = match record {
                    Ok(record) => record,
                    Err(e) => {
                        each(Err(bad(record_number(&e).unwrap_or(last), format!("EVTX record unreadable: {}", chain(&e)))));
                        continue;
                    }
                };
                let id = record.event_record_id;
                last = id;
                match record.into_json_bytes() {
                    Ok(rendered) => each(Ok(EvtxRecord { number: id, json: &rendered.data })),
                    Err(e) => each(Err(bad(id, format!("EVTX record {id} could not be rendered: {}", chain(&e))))),
                }
            }
        }
        Err(e) => each(Err(bad(first, format!("EVTX chunk {number} unreadable, its records are skipped: {}", chain(&e))))),
    }
    Some(std::mem::take(&mut parsed.data))
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
