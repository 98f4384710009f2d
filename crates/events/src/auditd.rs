//! Linux audit logs (`audit.log`, raw text as auditd writes it), grouped into events.
//!
//! Each line is one record: `[node=H ]type=T msg=audit(SECS.MILLIS:SERIAL): k=v k="v" …`,
//! optionally followed by the enriched part (after `\x1d`: `ARCH=x86_64 SYSCALL=execve
//! UID="root" …`). The records of one event share the `audit(…)` stamp and follow each other
//! closely, not always adjacently; [`split_auditd`] groups them by stamp and hands each group,
//! rendered as one JSON document ([`crate::auditd_ecs`]), to the JSON scanner, so chunks of
//! auditd input are chunks of JSON records like any other.
//!
//! Grouping is bounded: a group closes at its `EOE` record, when [`STALE_LINES`] lines passed
//! without a record of it, when more than [`OPEN_GROUPS`] groups are open (the oldest), and at
//! the end of the input. Groups are handed on in the order of their first line, whatever the
//! read block size, so an event that spans a block boundary is one event.
//!
//! Values: `"quoted"` values are taken as they are; an unquoted value of a field that auditd
//! hex-encodes when it holds spaces or quotes (EXECVE `aN`, `proctitle`, `exe`, `comm`, `cwd`,
//! `name`, …) and that is upper-case hex is decoded (any other bare value is taken as it is:
//! `ausearch -i` logs write `a0=top`); `msg='…'` of user-space records is read as the fields
//! it holds. A line that is not an audit record, and an EXECVE argument whose hex is cut
//! (odd length), are reported with their line and skipped; the rest of the event is read.

use std::collections::VecDeque;
use std::io::{self, BufReader, Read};
use std::sync::Arc;

use crate::reader::{BadRecord, Chunk, Format, RecordSpan};
use crate::split::Limits;

/// A group with no new record for this many lines is complete.
pub const STALE_LINES: u64 = 64;
/// The most groups kept open at once; past it the oldest is closed.
pub const OPEN_GROUPS: usize = 1024;

/// One audit record (one line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// 1-based line in its source.
    pub line: u64,
    /// The record type (`SYSCALL`, `EXECVE`, …).
    pub kind: String,
    /// `node=` before the type, when the log carries it.
    pub node: Option<String>,
    /// `SECS.MILLIS:SERIAL`, the stamp that groups records into an event.
    pub stamp: String,
    /// Fields in order, values decoded.
    pub fields: Vec<(String, String)>,
}

impl Record {
    /// The first value of field `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Fields auditd writes hex-encoded (unquoted) when their value holds a space, a quote or a
/// control character.
const ENCODED: &[&str] = &["exe", "comm", "cwd", "name", "proctitle", "cmd", "path", "acct", "data", "old-name", "new-name", "ocomm", "root_dir", "saddr"];

/// Parses one line into a record (`line` is its number), or says why it is not one.
pub fn parse_record(text: &str, line: u64) -> Result<Record, String> {
    let text = text.trim_end_matches(['\r', '\n']);
    let mut rest = text.trim_start();
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let end = after.find(' ').ok_or("`node=` with nothing after it: not an audit record")?;
        node = Some(after.get(..end).unwrap_or_default().to_string());
        rest = after.get(end..).unwrap_or_default().trim_start();
    }
    let after = rest.strip_prefix("type=").ok_or_else(|| format!("not an audit record (expected `type=… msg=audit(…):`): `{}`", clip(text)))?;
    let end = after.find(' ').ok_or("record with no `msg=audit(…)` stamp")?;
    let kind = after.get(..end).unwrap_or_default().to_string();
    let after = after.get(end..).unwrap_or_default().trim_start();
    let after = after.strip_prefix("msg=audit(").ok_or("record with no `msg=audit(…)` stamp")?;
    let close = after.find("):").ok_or("`msg=audit(` stamp not closed by `):`")?;
    let stamp = after.get(..close).unwrap_or_default().to_string();
    if stamp_parts(&stamp).is_none() {
        return Err(format!("bad audit stamp `{}` (expected SECONDS.MILLIS:SERIAL)", clip(&stamp)));
    }
    let mut fields = Vec::new();
    let execve = kind == "EXECVE";
    parse_fields(after.get(close + 2..).unwrap_or_default(), execve, &mut fields)?;
    if execve {
        fields = execve_args(fields);
    }
    Ok(Record { line, kind, node, stamp, fields })
}

/// Seconds, milliseconds and serial of a stamp.
pub fn stamp_parts(stamp: &str) -> Option<(i64, u32, u64)> {
    let (time, serial) = stamp.split_once(':')?;
    let (secs, millis) = time.split_once('.')?;
    Some((secs.parse().ok()?, millis.parse().ok()?, serial.parse().ok()?))
}

/// `key=value` pairs: values quoted with `"` (taken as they are), with `'` (a user-space
/// message, whose fields are read too) or bare (hex-decoded for [`ENCODED`] fields; in
/// EXECVE (`execve`) a bare argument must be hex).
fn parse_fields(mut text: &str, execve: bool, out: &mut Vec<(String, String)>) -> Result<(), String> {
    loop {
        text = text.trim_start_matches([' ', '\x1d', '\t']);
        let Some(eq) = text.find('=') else { return Ok(()) };
        let key = text.get(..eq).unwrap_or_default();
        if key.contains([' ', '\x1d']) {
            // A word with no value: skip it.
            let skip = key.find([' ', '\x1d']).unwrap_or(key.len());
            text = text.get(skip..).unwrap_or_default();
            continue;
        }
        let value = text.get(eq + 1..).unwrap_or_default();
        let (raw, quote, next) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = value.get(1..).unwrap_or_default();
                let end = body.find(q).unwrap_or(body.len());
                (body.get(..end).unwrap_or_default(), Some(q), body.get(end + 1..).unwrap_or_default())
            }
            _ => {
                let end = value.find([' ', '\x1d']).unwrap_or(value.len());
                (value.get(..end).unwrap_or_default(), None, value.get(end..).unwrap_or_default())
            }
        };
        match quote {
            Some('\'') => parse_fields(raw, false, out)?,
            Some(_) => out.push((key.to_string(), raw.to_string())),
            // auditd writes hex in upper case; a bare value with other characters is
            // taken as it is (`ausearch -i` interpreted logs: `a0=top`, `comm=top`).
            None if execve && is_argument(key) && is_hex(raw) => match unhex(raw) {
                Some(decoded) => out.push((key.to_string(), decoded)),
                None => return Err(format!("bad hex in EXECVE argument `{key}={}` (odd length): the record is skipped", clip(raw))),
            },
            None if ENCODED.contains(&key) && key != "saddr" && is_hex(raw) => out.push((key.to_string(), unhex(raw).unwrap_or_else(|| raw.to_string()))),
            None => out.push((key.to_string(), raw.to_string())),
        }
        text = next;
    }
}

/// Upper-case hex digits only (as auditd encodes), at least one.
fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// `aN` or `aN[i]` (a piece of a long argument).
fn is_argument(key: &str) -> bool {
    let Some(rest) = key.strip_prefix('a') else { return false };
    let number = rest.split_once('[').map_or(rest, |(n, _)| n);
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

/// EXECVE's arguments (already decoded): `aN[i]` pieces of a long argument joined into `aN`;
/// `aN_len` dropped.
fn execve_args(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        let Some(index) = key.strip_prefix('a') else {
            out.push((key, value));
            continue;
        };
        if index.ends_with("_len") {
            continue;
        }
        let (number, piece) = match index.split_once('[') {
            Some((n, _)) => (n, true),
            None => (index, false),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            out.push((key, value));
            continue;
        }
        let name = format!("a{number}");
        match out.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) if piece => v.push_str(&value),
            _ => out.push((name, value)),
        }
    }
    out
}

/// Decodes hex text (even length, hex digits only) to a string (invalid UTF-8 replaced).
pub fn unhex(text: &str) -> Option<String> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks(2) {
        let high = (*pair.first()? as char).to_digit(16)?;
        let low = (*pair.get(1)? as char).to_digit(16)?;
        out.push((high * 16 + low) as u8);
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

/// One event being gathered.
struct Group {
    stamp: String,
    node: Option<String>,
    records: Vec<Record>,
    last_line: u64,
    done: bool,
}

/// Groups records into events and hands their documents on in chunks.
struct Grouper<'s> {
    name: Arc<str>,
    limits: Limits,
    open: VecDeque<Group>,
    chunk: Chunk,
    sink: &'s mut dyn FnMut(Chunk) -> bool,
    stopped: bool,
}

impl Grouper<'_> {
    fn bad(&mut self, line: u64, message: String) {
        self.chunk.errors.push(BadRecord { source: self.name.clone(), line, message });
    }

    fn add(&mut self, record: Record) {
        let line = record.line;
        let eoe = record.kind == "EOE";
        match self.open.iter_mut().find(|g| g.stamp == record.stamp && g.node == record.node) {
            Some(group) => {
                group.last_line = line;
                group.done |= eoe;
                if !eoe {
                    group.records.push(record);
                }
            }
            None if eoe => {}
            None => {
                let group = Group { stamp: record.stamp.clone(), node: record.node.clone(), last_line: line, done: false, records: vec![record] };
                self.open.push_back(group);
            }
        }
        for group in self.open.iter_mut() {
            if line.saturating_sub(group.last_line) > STALE_LINES {
                group.done = true;
            }
        }
        if self.open.len() > OPEN_GROUPS {
            if let Some(first) = self.open.front_mut() {
                first.done = true;
            }
        }
        self.flush(false);
    }

    /// Hands on the finished groups at the front (all of them at the end).
    fn flush(&mut self, all: bool) {
        while self.open.front().is_some_and(|g| all || g.done) {
            let Some(group) = self.open.pop_front() else { break };
            let Some(first) = group.records.first() else { continue };
            let start = self.chunk.data.len();
            let line = first.line;
            crate::auditd_ecs::render(&group.records, &mut self.chunk.data);
            self.chunk.records.push(RecordSpan { start, end: self.chunk.data.len(), line });
            self.chunk.data.push(b'\n');
        }
        if all || self.chunk.data.len() >= self.limits.chunk {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.stopped || (self.chunk.records.is_empty() && self.chunk.errors.is_empty()) {
            return;
        }
        let chunk = std::mem::replace(&mut self.chunk, Chunk { source: self.name.clone(), format: Format::Json, ..Chunk::default() });
        self.stopped = !(self.sink)(chunk);
    }
}

/// Reads audit log text, calling `sink` with chunks of JSON records (one per event, numbered
/// by its first line) and the lines that were skipped, until the input ends or `sink` returns
/// false. Lines longer than `limits.max_record` are reported and skipped.
pub fn split_auditd(name: Arc<str>, raw: Box<dyn Read + Send>, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut input = BufReader::with_capacity(limits.chunk.clamp(64, 1 << 20), raw);
    let chunk = Chunk { source: name.clone(), format: Format::Json, ..Chunk::default() };
    let mut grouper = Grouper { name, limits, open: VecDeque::new(), chunk, sink, stopped: false };
    let mut line = Vec::new();
    let mut number = 0u64;
    while !grouper.stopped {
        let Some(read) = crate::lines::read_line(&mut input, limits.max_record, &mut line)? else { break };
        number += 1;
        if read == crate::lines::Line::TooLong {
            grouper.bad(number, format!("line longer than {} bytes: skipped", limits.max_record));
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match parse_record(&text, number) {
            Ok(record) => grouper.add(record),
            Err(message) => grouper.bad(number, message),
        }
    }
    grouper.flush(true);
    Ok(())
}
