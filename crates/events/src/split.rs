//! Splitting a stream of decoded text into JSON records, incrementally and in bounded memory.
//!
//! The splitter reads a block at a time and never rescans what it has seen, so time is
//! linear in the input and memory is about one chunk plus the largest record, whatever the
//! layout and whatever the first line holds. Two modes:
//!
//! - **structural** (the start): values one after another, pretty-printed or not; a
//!   top-level array is entered and each element is a record (concatenated arrays work
//!   too). Strings and brackets are tracked so a record ends where it closes. Damage stays
//!   local: a line break inside a string ends the string, a closer that does not match is
//!   resolved against the nearest matching opener, and a line whose first character is `{`
//!   at or left of the column where the open record began starts a new record (pretty
//!   printers indent a record's contents), so an unclosed record costs only itself. Each of
//!   these makes the record bad, reported with its line.
//! - **lines** (NDJSON): entered when the first record is an object that opens and closes on
//!   its line; from then on every non-blank line is a record, found with `memchr` (LF, CRLF
//!   and a lone CR each end a line: a raw CR cannot be inside a valid JSON record).
//!
//! A record longer than [`Limits::max_record`] is reported and skipped while the splitter
//! streams past it. Records are validated later by the JSON scanner; what the splitter
//! reports is what it can see from structure alone.

use std::io::{self, Read};
use std::sync::Arc;

use crate::reader::{BadRecord, Chunk, RecordSpan};

/// Sizes that bound the splitter's memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes read at a time; chunks handed on are about this size.
    pub chunk: usize,
    /// The longest record kept; longer ones are reported and skipped.
    pub max_record: usize,
}

/// The longest record read: 512 MiB. Longer records are reported and skipped.
pub const MAX_RECORD_BYTES: usize = 512 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits { chunk: crate::reader::CHUNK_BYTES, max_record: MAX_RECORD_BYTES }
    }
}

/// A record being read in structural mode.
struct Open {
    start: usize,
    line: u64,
    column: usize,
    /// Openers not yet closed (`{` or `[`); empty for a string or bare token.
    stack: Vec<u8>,
    in_string: bool,
    /// A bare token (number, literal or stray text): ends at white space or punctuation.
    token: bool,
    is_object: bool,
    /// Why the record is bad, once something is seen to be wrong.
    broken: Option<String>,
    /// The record grew past the limit: its bytes are dropped as they are read.
    oversize: bool,
}

/// Where structural mode is between records.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    /// Inside a top-level array opened at `line`; `expect` is true after `[` or `,`.
    Array {
        line: u64,
        expect: bool,
    },
}

struct Splitter<'s> {
    name: Arc<str>,
    limits: Limits,
    buf: Vec<u8>,
    pos: usize,
    line: u64,
    /// Buffer offset of the current line's first byte (may be before the buffer).
    line_start: isize,
    /// The previous byte was `\r` (a following `\n` is the same line break).
    after_cr: bool,
    /// Spaces seen since the last line break, while no other byte was.
    at_line_start: bool,
    records: Vec<RecordSpan>,
    errors: Vec<BadRecord>,
    lines: bool,
    level: Level,
    open: Option<Open>,
    /// The first record was a one-line object: switch to line mode at the next line break
    /// if nothing else is on this line.
    probe: bool,
    /// Line mode: start of the current line, and whether it is being skipped as too long.
    line_begin: usize,
    skipping: bool,
    sink: &'s mut dyn FnMut(Chunk) -> bool,
    stopped: bool,
    /// The last line on which stray punctuation was reported.
    stray_line: u64,
}

/// Splits `reader` into chunks of records for `sink`. A read error ends the input: the
/// records before it are handed on, the record it cuts is reported, and the error is
/// returned with the line where it happened.
pub fn split(name: Arc<str>, reader: &mut dyn Read, limits: Limits, sink: &mut dyn FnMut(Chunk) -> bool) -> io::Result<()> {
    let mut s = Splitter {
        name,
        limits,
        buf: Vec::with_capacity(limits.chunk),
        pos: 0,
        line: 1,
        line_start: 0,
        after_cr: false,
        at_line_start: true,
        records: Vec::new(),
        errors: Vec::new(),
        lines: false,
        level: Level::Top,
        open: None,
        probe: false,
        line_begin: 0,
        skipping: false,
        sink,
        stopped: false,
        stray_line: 0,
    };
    loop {
        let (read, error) = fill(reader, &mut s.buf, limits.chunk);
        let eof = read < limits.chunk || error.is_some();
        s.scan();
        if eof {
            let cut_by = error.as_ref().map(|e| e.to_string());
            s.finish(cut_by.as_deref());
            s.emit(true);
            return match error {
                Some(e) => Err(io::Error::new(e.kind(), format!("{e} (the input stops at line {}; the records before it were read)", s.line))),
                None => Ok(()),
            };
        }
        s.drop_oversize();
        s.emit(false);
        if s.stopped {
            return Ok(());
        }
    }
}

/// Appends up to `want` bytes to `buf`, reading straight into its tail. Returns how many
/// bytes were read (fewer than `want` only at the end of the input) and the error that
/// stopped reading, if one did (the bytes read before it are kept).
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> (usize, Option<io::Error>) {
    let start = buf.len();
    let target = start + want;
    buf.resize(target, 0);
    let mut filled = start;
    let mut error = None;
    while filled < target {
        let Some(space) = buf.get_mut(filled..target) else { break };
        match reader.read(space) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    buf.truncate(filled);
    (filled - start, error)
}

fn trim(b: &[u8]) -> (usize, usize) {
    let lead = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let trail = b.iter().rev().take_while(|c| c.is_ascii_whitespace()).count();
    (lead, b.len().saturating_sub(trail).max(lead))
}

impl Splitter<'_> {
    fn bad(&mut self, line: u64, message: String) {
        self.errors.push(BadRecord { source: self.name.clone(), line, message });
    }

    fn scan(&mut self) {
        loop {
            if !self.lines {
                self.scan_structural();
            }
            // Line mode hands back to structural mode at a record spread over lines.
            if !self.lines || self.scan_lines() {
                return;
            }
        }
    }

    /// Line mode: every line break (LF, CRLF or a lone CR) ends a record. A line that opens
    /// a record it does not close (`{` or `[` first, no matching closer last) goes back to
    /// structural mode from its start: returns false then, true when the block is done.
    fn scan_lines(&mut self) -> bool {
        let from = self.pos;
        let ends: Vec<usize> = memchr::memchr2_iter(b'\n', b'\r', self.buf.get(from..).unwrap_or(&[])).map(|i| from + i).collect();
        for end in ends {
            let byte = self.buf.get(end).copied();
            if byte == Some(b'\n') && self.after_cr && end == self.line_begin {
                // The LF of a CRLF: the line already ended at the CR.
                self.after_cr = false;
                self.line_begin = end + 1;
                continue;
            }
            if !self.skipping && self.opens_multiline(end) {
                self.lines = false;
                self.pos = self.line_begin;
                self.line_start = self.line_begin as isize;
                self.at_line_start = true;
                self.after_cr = false;
                self.probe = false;
                return false;
            }
            self.after_cr = byte == Some(b'\r');
            self.end_line(end);
            self.line += 1;
            self.line_begin = end + 1;
        }
        self.pos = self.buf.len();
        true
    }

    /// True when the line from `line_begin` to `end` opens a record it does not close.
    fn opens_multiline(&self, end: usize) -> bool {
        let Some(body) = self.buf.get(self.line_begin..end) else { return false };
        let (lead, stop) = trim(body);
        let (first, last) = (body.get(lead).copied(), body.get(stop.wrapping_sub(1)).copied());
        matches!((first, last), (Some(b'{'), Some(l)) if l != b'}') || matches!((first, last), (Some(b'['), Some(l)) if l != b']')
    }

    fn end_line(&mut self, end: usize) {
        if self.skipping {
            self.skipping = false;
            let max = self.limits.max_record;
            self.bad(self.line, format!("a record longer than {max} bytes; skipped"));
            return;
        }
        let Some(body) = self.buf.get(self.line_begin..end) else { return };
        let (lead, stop) = trim(body);
        if stop > lead {
            self.records.push(RecordSpan { start: self.line_begin + lead, end: self.line_begin + stop, line: self.line });
        }
    }

    /// Punctuation between records: reported once per line (a line of `,,,,` is one report,
    /// not one per byte).
    fn stray(&mut self, byte: u8) {
        if self.stray_line == self.line {
            return;
        }
        self.stray_line = self.line;
        let message = match (byte, self.level) {
            (b',', Level::Array { .. }) => "an empty element in the array (`,` after `,` or `[`)".to_string(),
            _ => format!("`{}` where a record was expected", byte as char),
        };
        self.bad(self.line, message);
    }

    fn newline(&mut self, at: usize, byte: u8) {
        // Only an LF right after the CR completes a CRLF (the line then starts at the LF).
        if byte == b'\n' && self.after_cr && at as isize == self.line_start {
            self.after_cr = false;
            self.line_start = at as isize + 1;
            self.at_line_start = true;
            return;
        }
        self.after_cr = byte == b'\r';
        self.line += 1;
        self.line_start = at as isize + 1;
        self.at_line_start = true;
    }

    fn column(&self, at: usize) -> usize {
        (at as isize - self.line_start).max(0) as usize
    }

    fn start(&mut self, at: usize, byte: u8) {
        let column = self.column(at);
        let (stack, in_string, token) = match byte {
            b'{' | b'[' => (vec![byte], false, false),
            b'"' => (Vec::new(), true, false),
            _ => (Vec::new(), false, true),
        };
        self.open = Some(Open { start: at, line: self.line, column, stack, in_string, token, is_object: byte == b'{', broken: None, oversize: false });
    }

    /// Ends the open record at `end` (exclusive).
    fn close(&mut self, open: Open, end: usize) {
        let one_line = open.line == self.line;
        if open.oversize {
            let max = self.limits.max_record;
            self.bad(open.line, format!("a record longer than {max} bytes; skipped"));
        } else if let Some(why) = open.broken {
            self.bad(open.line, why);
        } else {
            self.records.push(RecordSpan { start: open.start, end, line: open.line });
        }
        if let Level::Array { line, .. } = self.level {
            self.level = Level::Array { line, expect: false };
        }
        // A one-line object alone on its line (the first record, or one after a record
        // spread over lines) switches to line mode at the line break.
        self.probe = one_line && open.is_object && self.level == Level::Top;
    }

    fn scan_structural(&mut self) {
        while self.pos < self.buf.len() && !self.lines {
            match self.open.take() {
                Some(open) => {
                    if !self.step_open(open) {
                        return;
                    }
                }
                None => self.step_between(),
            }
        }
    }

    /// One step inside an open record; false when more input is needed.
    fn step_open(&mut self, mut open: Open) -> bool {
        let at = self.pos;
        let Some(&byte) = self.buf.get(at) else {
            self.open = Some(open);
            return false;
        };
        if open.in_string {
            let rest = self.buf.get(at..).unwrap_or(&[]);
            let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                self.pos = self.buf.len();
                self.open = Some(open);
                return false;
            };
            let hit = at + k;
            match self.buf.get(hit) {
                Some(b'"') => {
                    open.in_string = false;
                    self.pos = hit + 1;
                }
                Some(b'\\') => match self.buf.get(hit + 1) {
                    None => {
                        self.pos = hit;
                        self.open = Some(open);
                        return false;
                    }
                    Some(b'\n') => self.pos = hit + 1,
                    Some(_) => self.pos = hit + 2,
                },
                _ => {
                    open.in_string = false;
                    let line = self.line;
                    open.broken.get_or_insert_with(|| format!("a line break inside a string (the string is not closed on line {line})"));
                    self.pos = hit + 1;
                    self.newline(hit, b'\n');
                }
            }
            if !open.in_string && open.stack.is_empty() {
                let end = self.pos;
                self.close(open, end);
            } else {
                self.open = Some(open);
            }
            return true;
        }
        if open.token {
            let ends = matches!(byte, b'\n' | b'\r' | b'{' | b'[' | b'"')
                || (matches!(self.level, Level::Array { .. }) && matches!(byte, b',' | b']' | b'}' | b' ' | b'\t'));
            if ends {
                let text = self.buf.get(open.start..at).unwrap_or(&[]);
                let end = open.start + trim(text).1;
                // The byte is looked at again, between records.
                self.close(open, end);
            } else {
                self.pos += 1;
                self.open = Some(open);
            }
            return true;
        }
        self.pos += 1;
        if self.at_line_start && !matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
            self.at_line_start = false;
            if byte == b'{' && self.column(at) <= open.column {
                let line = self.line;
                open.broken.get_or_insert_with(|| format!("the record is not closed before line {line}, where a new record starts"));
                self.close(open, at);
                self.start(at, byte);
                return true;
            }
        }
        match byte {
            b'"' => open.in_string = true,
            b'{' | b'[' => open.stack.push(byte),
            b'}' | b']' => {
                let want = if byte == b'}' { b'{' } else { b'[' };
                let line = self.line;
                match open.stack.iter().rposition(|&o| o == want) {
                    Some(i) => {
                        if i + 1 != open.stack.len() {
                            open.broken.get_or_insert_with(|| format!("`{}` closes a bracket that is not the last one opened (line {line})", byte as char));
                        }
                        open.stack.truncate(i);
                    }
                    None => {
                        open.broken.get_or_insert_with(|| format!("`{}` without a matching opener (line {line})", byte as char));
                    }
                }
                if open.stack.is_empty() {
                    self.close(open, at + 1);
                    return true;
                }
            }
            b'\n' | b'\r' => self.newline(at, byte),
            _ => {}
        }
        self.open = Some(open);
        true
    }

    /// One byte between records.
    fn step_between(&mut self) {
        let at = self.pos;
        let Some(&byte) = self.buf.get(at) else { return };
        self.pos += 1;
        match byte {
            b'\n' | b'\r' => {
                self.newline(at, byte);
                if self.probe && byte == b'\n' {
                    // The first record was alone on its line: the rest is NDJSON.
                    self.lines = true;
                    self.line_begin = at + 1;
                }
                return;
            }
            b' ' | b'\t' => return,
            _ => {}
        }
        self.probe = false;
        self.at_line_start = false;
        match (byte, self.level) {
            (b'[', Level::Top) => self.level = Level::Array { line: self.line, expect: true },
            (b']', Level::Array { .. }) => self.level = Level::Top,
            (b',', Level::Array { line, expect: false }) => self.level = Level::Array { line, expect: true },
            (b',', Level::Array { .. }) => self.stray(b','),
            (b',' | b']' | b'}', _) => self.stray(byte),
            _ => {
                if let Level::Array { line, expect: false } = self.level {
                    self.bad(self.line, "a `,` is missing between array elements (both elements are read)".to_string());
                    self.level = Level::Array { line, expect: true };
                }
                self.start(at, byte);
            }
        }
    }

    /// Drops the bytes of a record that has grown past the limit (line mode or structural).
    fn drop_oversize(&mut self) {
        let max = self.limits.max_record;
        if self.lines {
            let len = self.buf.len().saturating_sub(self.line_begin);
            if self.skipping || len > max {
                self.skipping = true;
                self.buf.truncate(self.line_begin);
                self.pos = self.line_begin;
            }
            return;
        }
        let Some(open) = self.open.as_mut() else { return };
        let kept = self.pos.saturating_sub(open.start);
        if open.oversize || kept > max {
            open.oversize = true;
            let start = open.start;
            let tail = self.buf.split_off(self.pos);
            self.buf.truncate(start);
            self.buf.extend_from_slice(&tail);
            self.line_start -= kept as isize;
            self.pos = start;
        }
    }

    /// Handles the end of the input (or a read error, `cut_by`).
    fn finish(&mut self, cut_by: Option<&str>) {
        let cause = cut_by.map(|e| format!(": {e}")).unwrap_or_default();
        if self.lines {
            let end = self.buf.len();
            if self.skipping || cut_by.is_none() {
                self.end_line(end);
            } else if self.buf.get(self.line_begin..end).is_some_and(|b| trim(b).1 > trim(b).0) {
                self.bad(self.line, format!("the input ends inside this record{cause}"));
            }
            self.line_begin = end;
            return;
        }
        if let Some(mut open) = self.open.take() {
            let end = self.buf.len();
            if open.token && cut_by.is_none() {
                let text = self.buf.get(open.start..end).unwrap_or(&[]);
                let stop = open.start + trim(text).1;
                self.close(open, stop);
            } else {
                open.broken = Some(format!("the input ends inside this record{cause}"));
                open.oversize = false;
                self.close(open, end);
            }
        }
        if let Level::Array { line, .. } = self.level {
            self.bad(line, format!("the JSON array opened on this line is not closed{cause}"));
            self.level = Level::Top;
        }
    }

    /// Hands the complete records on as a chunk, keeping the unfinished tail.
    fn emit(&mut self, eof: bool) {
        if self.stopped {
            return;
        }
        let cut = if eof {
            self.buf.len()
        } else if self.lines {
            self.line_begin
        } else {
            self.open.as_ref().map_or(self.pos, |o| o.start)
        };
        if !eof && cut < self.limits.chunk / 2 {
            return;
        }
        if self.records.is_empty() && self.errors.is_empty() && !eof && cut == 0 {
            return;
        }
        let tail = self.buf.split_off(cut.min(self.buf.len()));
        let data = std::mem::replace(&mut self.buf, tail);
        self.pos = self.pos.saturating_sub(cut);
        self.line_begin = self.line_begin.saturating_sub(cut);
        self.line_start -= cut as isize;
        if let Some(open) = self.open.as_mut() {
            open.start = open.start.saturating_sub(cut);
        }
        let chunk = Chunk {
            source: self.name.clone(),
            data,
            format: crate::Format::Json,
            evtx: Vec::new(),
            records: std::mem::take(&mut self.records),
            errors: std::mem::take(&mut self.errors),
        };
        if chunk.records.is_empty() && chunk.errors.is_empty() {
            return;
        }
        if !(self.sink)(chunk) {
            self.stopped = true;
        }
    }
}
