//! Extracting the fields a program reads from one JSON record, skipping everything else.
//!
//! A small validating JSON scanner walks the record along the program's field trie: values
//! under keys that lead to no field are checked for well-formedness and skipped without
//! being decoded. Arrays yield one value per element. An object holding `#text` (the `evtx`
//! crate's rendering of an element with attributes, e.g. `EventID`) yields that text.
//! Numbers keep the text they were written with. A record that is not valid JSON (bad
//! syntax, invalid UTF-8, nesting deeper than [`MAX_DEPTH`], trailing data) or that is not an
//! object (an array, a string, a number or a literal on its own) is an error with its line
//! and column; it never panics.
//!
//! A key that occurs twice in one object keeps every occurrence: the field has each value,
//! as if they were an array (`{"a":"x","a":"y"}` matches `a: x` and `a: y`). RFC 8259 leaves
//! duplicate keys to the reader; taking the last one, as many parsers do, would let an
//! event hide a value from a rule behind a second key.

use std::fmt;

use vigil_view::{EventView, FieldTrie, Kind, TrieNode, KEYWORD_SLOT};

/// The deepest nesting of objects and arrays accepted in a record.
pub const MAX_DEPTH: usize = 128;

/// A record that is not valid JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line and column inside the record.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

/// What the walk does with a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Collect into the trie node's slot (and descend into its children).
    Node(TrieNode),
    /// No field here, but every string is wanted for keyword search.
    Keywords,
    /// Validate and skip.
    Skip,
}

/// Fills `view` with the values `trie` asks for from the JSON `record`.
pub fn extract(record: &[u8], trie: &FieldTrie, view: &mut EventView) -> Result<(), JsonError> {
    let text = match std::str::from_utf8(record) {
        Ok(text) => text,
        Err(e) => return Err(error_at(record, e.valid_up_to(), "invalid UTF-8")),
    };
    let first = record.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if let Some(at) = first {
        if let Some(kind) = non_object(record.get(at).copied().unwrap_or(b'{')) {
            return Err(error_at(record, at, &format!("not a JSON object ({kind}): an event must be an object")));
        }
    }
    let mut scanner = Scanner { s: text, b: record, i: 0, trie, view, keywords: trie.wants_keywords(), buf: String::new(), depth: 0 };
    let result = scanner.value(Mode::Node(trie.root())).and_then(|()| {
        scanner.ws();
        if scanner.i < record.len() {
            Err("trailing characters after the JSON value")
        } else {
            Ok(())
        }
    });
    result.map_err(|message| error_at(record, scanner.i, message))
}

/// What a top-level value that starts with `byte` is, when it is not an object.
fn non_object(byte: u8) -> Option<&'static str> {
    match byte {
        b'{' => None,
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b'-' | b'0'..=b'9' => Some("a number"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        // Anything else is not JSON at all: the scanner says where.
        _ => None,
    }
}

/// How many 8-byte words of a string are searched word by word before the SIMD search.
const SHORT_WORDS: usize = 4;

/// One bit (the high bit of the byte) set in the result for each byte of `word` (read
/// little-endian) that is `"`, `\\` or below 0x20, exact up to the first such byte (bytes after
/// it may be marked falsely, from the borrow; only the lowest mark is used).
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
}

fn error_at(record: &[u8], offset: usize, message: &str) -> JsonError {
    let before = record.get(..offset.min(record.len())).unwrap_or(record);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
    JsonError { line, column, message: message.to_string() }
}

struct Scanner<'a, 't, 'v> {
    /// The record, validated as UTF-8 once; `b` is the same bytes.
    s: &'a str,
    b: &'a [u8],
    i: usize,
    trie: &'t FieldTrie,
    view: &'v mut EventView,
    keywords: bool,
    /// Unescaped text of the current string or key, when it had escapes.
    buf: String,
    depth: usize,
}

type Step = Result<(), &'static str>;

impl<'a> Scanner<'a, '_, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Step {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(message)
        }
    }

    fn value(&mut self, mode: Mode) -> Step {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(mode),
            Some(b'[') => self.array(mode),
            Some(b'"') => {
                let slot = match mode {
                    Mode::Node(n) => self.trie.slot_at(n),
                    _ => None,
                };
                if slot.is_none() && (mode == Mode::Skip || !self.keywords) {
                    return self.skip_string();
                }
                let (start, end, escaped) = self.string()?;
                let text = if escaped { std::mem::take(&mut self.buf) } else { String::new() };
                let s: &str = if escaped { &text } else { self.s.get(start..end).unwrap_or("") };
                match (slot, self.keywords) {
                    (Some(slot), true) => self.view.push_with_keyword(slot, s),
                    (Some(slot), false) => self.view.push(slot, Kind::Str, s),
                    (None, true) => self.view.push(KEYWORD_SLOT, Kind::Str, s),
                    (None, false) => {}
                }
                if escaped {
                    self.buf = text;
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true", mode, Kind::Bool),
            Some(b'f') => self.literal(b"false", mode, Kind::Bool),
            Some(b'n') => self.literal(b"null", mode, Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(mode),
            Some(_) => Err("expected a JSON value"),
            None => Err("the record ends where a value was expected"),
        }
    }

    fn collect(&mut self, mode: Mode, kind: Kind, text: &str) {
        if let Mode::Node(n) = mode {
            if let Some(slot) = self.trie.slot_at(n) {
                self.view.push(slot, kind, text);
            }
        }
    }

    fn literal(&mut self, word: &'static [u8], mode: Mode, kind: Kind) -> Step {
        if self.b.get(self.i..self.i + word.len()) != Some(word) {
            return Err("invalid literal (expected true, false or null)");
        }
        self.i += word.len();
        let text = if kind == Kind::Null { "" } else { std::str::from_utf8(word).unwrap_or("") };
        self.collect(mode, kind, text);
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self, mode: Mode) -> Step {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err("invalid number: digits expected after `.`");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err("invalid number: digits expected in the exponent");
            }
        }
        if let Mode::Node(_) = mode {
            let text = self.s.get(start..self.i).unwrap_or("");
            self.collect(mode, Kind::Num, text);
        }
        Ok(())
    }

    /// Scans a string; returns its raw byte range and whether it had escapes (then its
    /// decoded text is in `self.buf`).
    /// Moves to the next `"` or `\\` (SIMD search), checking that the bytes passed over hold
    /// no control character. Returns false at the end of the record.
    fn skip_to_quote_or_escape(&mut self) -> Result<bool, &'static str> {
        // Most strings are short: look at them eight bytes at a time first, for the first of
        // `"`, `\\` or a control character, which is where the search below would stop.
        for _ in 0..SHORT_WORDS {
            let Some(word) = self.b.get(self.i..self.i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) else { break };
            let found = special_bytes(u64::from_le_bytes(word));
            if found != 0 {
                self.i += (found.trailing_zeros() / 8) as usize;
                return match self.peek() {
                    Some(0..=0x1f) => Err("control character inside a string"),
                    _ => Ok(true),
                };
            }
            self.i += 8;
        }
        let rest = self.b.get(self.i..).unwrap_or(&[]);
        let run = memchr::memchr2(b'"', b'\\', rest);
        let passed = rest.get(..run.unwrap_or(rest.len())).unwrap_or(&[]);
        // A plain reduction, which the compiler vectorises.
        if passed.iter().fold(false, |bad, &b| bad | (b < 0x20)) {
            self.i += passed.iter().position(|&b| b < 0x20).unwrap_or(0);
            return Err("control character inside a string");
        }
        self.i += passed.len();
        Ok(run.is_some())
    }

    fn string(&mut self) -> Result<(usize, usize, bool), &'static str> {
        self.i += 1; // opening quote
        let start = self.i;
        if !self.skip_to_quote_or_escape()? {
            return Err("unterminated string");
        }
        if self.peek() == Some(b'"') {
            self.i += 1;
            return Ok((start, self.i - 1, false));
        }
        // Slow path: decode escapes into the buffer.
        self.buf.clear();
        self.buf.push_str(self.s.get(start..self.i).unwrap_or(""));
        loop {
            match self.peek() {
                None => return Err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i - 1, true));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let c = self.unicode_escape()?;
                            self.buf.push(c);
                            continue;
                        }
                        _ => return Err("invalid escape in string"),
                    };
                    self.i += 1;
                    self.buf.push(c);
                }
                Some(0..=0x1f) => return Err("control character inside a string"),
                Some(_) => {
                    let run_start = self.i;
                    self.skip_to_quote_or_escape()?;
                    self.buf.push_str(self.s.get(run_start..self.i).unwrap_or(""));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self.b.get(self.i..self.i + 4).ok_or("truncated \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|_| "invalid \\u escape")?;
        let value = u32::from_str_radix(text, 16).map_err(|_| "invalid \\u escape")?;
        self.i += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, &'static str> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            // A high surrogate must be followed by `\u` and a low surrogate.
            if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                return Err("lone surrogate in \\u escape");
            }
            self.i += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err("invalid surrogate pair in \\u escape");
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else if (0xDC00..0xE000).contains(&first) {
            return Err("lone surrogate in \\u escape");
        } else {
            first
        };
        char::from_u32(code).ok_or("invalid \\u escape")
    }

    fn skip_string(&mut self) -> Step {
        self.i += 1;
        loop {
            if !self.skip_to_quote_or_escape()? {
                return Err("unterminated string");
            }
            match self.peek() {
                None => return Err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            self.unicode_escape()?;
                        }
                        _ => return Err("invalid escape in string"),
                    }
                }
                Some(0..=0x1f) => return Err("control character inside a string"),
                Some(_) => self.i += 1,
            }
        }
    }

    fn enter(&mut self) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("nesting deeper than 128 levels");
        }
        Ok(())
    }

    fn array(&mut self, mode: Mode) -> Step {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.value(mode)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err("expected `,` or `]` in array"),
            }
        }
    }

    fn object(&mut self, mode: Mode) -> Step {
        self.enter()?;
        self.i += 1;
        let leaf = match mode {
            Mode::Node(n) => self.trie.slot_at(n),
            _ => None,
        };
        let mut had_text = false;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err("expected a string key in object");
                }
                let child = match mode {
                    Mode::Node(n) => {
                        let (start, end, escaped) = self.string()?;
                        let key = if escaped { self.buf.as_str() } else { self.s.get(start..end).unwrap_or("") };
                        if leaf.is_some() && key == "#text" {
                            had_text = true;
                            Mode::Node(n)
                        } else {
                            match self.trie.child(n, key) {
                                Some(c) => Mode::Node(c),
                                None if self.keywords => Mode::Keywords,
                                None => Mode::Skip,
                            }
                        }
                    }
                    // Below a key no field leads through, keys are only checked.
                    other => {
                        self.skip_string()?;
                        other
                    }
                };
                self.ws();
                self.expect(b':', "expected `:` after object key")?;
                self.value(child)?;
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err("expected `,` or `}` in object"),
                }
            }
        }
        self.depth -= 1;
        if let (Some(slot), false) = (leaf, had_text) {
            self.view.push(slot, Kind::Composite, "");
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
