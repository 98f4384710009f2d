//! Turning a raw input into UTF-8 text for the splitter: gzip (every member; damage and
//! trailing data reported), a UTF-8 byte-order mark skipped, UTF-16 transcoded, and formats
//! that are not read named for what they are.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use flate2::bufread::GzDecoder;

use crate::sniff::{unreadable_format, utf16};

/// Bytes looked at to recognise a format (an ETW trace's first event header ends at 80).
const HEAD: usize = 128;

/// Wraps `raw` so that reading it yields UTF-8 text (or, for damaged input, the text up to
/// the damage and then an error that says what is wrong). An input in a format that is not
/// read is an `InvalidData` error naming the format.
pub fn decode(raw: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let (head, raw) = peek(raw);
    let head = head?;
    let (head, text): (Vec<u8>, Box<dyn Read + Send>) = if head.starts_with(&[0x1f, 0x8b]) {
        let (inner, rest) = peek(Box::new(GzipMembers::new(BufReader::with_capacity(1 << 16, raw))));
        (inner?, rest)
    } else {
        (head, raw)
    };
    if let Some(what) = unreadable_format(&head) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, what));
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        let mut text = text;
        io::copy(&mut (&mut text).take(3), &mut io::sink())?;
        return Ok(text);
    }
    match utf16(&head) {
        Some(big_endian) => {
            let mut text = text;
            if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
                io::copy(&mut (&mut text).take(2), &mut io::sink())?;
            }
            Ok(Box::new(Utf16 { inner: text, big_endian, raw: Vec::new(), out: Vec::new(), at: 0, high: None, done: false }))
        }
        None => Ok(text),
    }
}

/// Reads the first [`HEAD`] bytes and hands back a reader that yields them again. An error
/// before any byte is returned as is; an error after some bytes comes after them.
fn peek(mut raw: Box<dyn Read + Send>) -> (io::Result<Vec<u8>>, Box<dyn Read + Send>) {
    let mut head = Vec::with_capacity(HEAD);
    let mut buf = [0u8; HEAD];
    while head.len() < HEAD {
        let want = HEAD - head.len();
        match raw.read(buf.get_mut(..want).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or(&[])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if head.is_empty() => return (Err(e), raw),
            Err(e) => return (Ok(head.clone()), Box::new(Cursor::new(head).chain(Failed(Some(e))))),
        }
    }
    (Ok(head.clone()), Box::new(Cursor::new(head).chain(raw)))
}

/// A reader that fails once with a stored error.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Every member of a gzip file, one after another. Bytes after the last member that are not
/// gzip, a cut and corrupt data are errors that say which; the text before them is read.
struct GzipMembers<R: BufRead> {
    decoder: Option<GzDecoder<R>>,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(inner: R) -> GzipMembers<R> {
        GzipMembers { decoder: Some(GzDecoder::new(inner)) }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else { return Ok(0) };
            match decoder.read(out) {
                Ok(0) if !out.is_empty() => {
                    let Some(decoder) = self.decoder.take() else { return Ok(0) };
                    let mut inner = decoder.into_inner();
                    let rest = inner.fill_buf()?;
                    if rest.is_empty() {
                        return Ok(0);
                    }
                    if rest.first() == Some(&0x1f) {
                        self.decoder = Some(GzDecoder::new(inner));
                        continue;
                    }
                    let what = if rest.iter().all(|&b| b == 0) { "zero bytes (padding)" } else { "data that is not gzip" };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, format!("trailing {what} after the end of the gzip stream")));
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.decoder = None;
                    let what = if e.kind() == io::ErrorKind::UnexpectedEof {
                        "the gzip stream ends before its end marker (cut short or corrupt)".to_string()
                    } else {
                        format!("the gzip stream is corrupt ({e})")
                    };
                    return Err(io::Error::new(e.kind(), what));
                }
            }
        }
    }
}

/// UTF-16 to UTF-8. An unpaired surrogate or a lone last byte becomes the byte 0xFF, which
/// is not UTF-8, so the record holding it is reported instead of altered.
struct Utf16 {
    inner: Box<dyn Read + Send>,
    big_endian: bool,
    /// Raw bytes not yet decoded (at most one odd byte between reads).
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    high: Option<u16>,
    done: bool,
}

impl Utf16 {
    fn push_unit(&mut self, unit: u16) {
        if let Some(high) = self.high.take() {
            if (0xDC00..0xE000).contains(&unit) {
                let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.push_char(char::from_u32(code));
                return;
            }
            self.out.push(0xff);
        }
        match unit {
            0xD800..=0xDBFF => self.high = Some(unit),
            0xDC00..=0xDFFF => self.out.push(0xff),
            _ => self.push_char(char::from_u32(u32::from(unit))),
        }
    }

    fn push_char(&mut self, c: Option<char>) {
        match c {
            Some(c) => {
                let mut tmp = [0u8; 4];
                self.out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
            None => self.out.push(0xff),
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.at = 0;
        let mut block = vec![0u8; 1 << 16];
        while self.out.is_empty() && !self.done {
            let n = match self.inner.read(&mut block) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.done = true;
                if self.high.take().is_some() || !self.raw.is_empty() {
                    self.out.push(0xff);
                }
                break;
            }
            self.raw.extend_from_slice(block.get(..n).unwrap_or(&[]));
            let pairs = self.raw.len() / 2;
            let raw = std::mem::take(&mut self.raw);
            for pair in raw.chunks_exact(2).take(pairs) {
                let bytes = [pair.first().copied().unwrap_or(0), pair.get(1).copied().unwrap_or(0)];
                let unit = if self.big_endian { u16::from_be_bytes(bytes) } else { u16::from_le_bytes(bytes) };
                self.push_unit(unit);
            }
            self.raw = raw.get(pairs * 2..).unwrap_or(&[]).to_vec();
        }
        Ok(())
    }
}

impl Read for Utf16 {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.out.len() {
            self.refill()?;
        }
        let available = self.out.get(self.at..).unwrap_or(&[]);
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(bytes: Vec<u8>) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let result = decode(Box::new(Cursor::new(bytes))).and_then(|mut r| r.read_to_end(&mut out));
        (out, result.err().map(|e| e.to_string()))
    }

    fn utf16_bytes(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        out
    }

    #[test]
    fn marks_and_utf16_become_plain_utf8() {
        assert_eq!(text_of(b"\xef\xbb\xbf{\"a\":1}".to_vec()), (b"{\"a\":1}".to_vec(), None));
        let text = "{\"a\":\"é😀\"}\r\n";
        assert_eq!(text_of(utf16_bytes(text, false)), (text.as_bytes().to_vec(), None));
        assert_eq!(text_of(utf16_bytes(text, true)), (text.as_bytes().to_vec(), None));
        // A lone surrogate is not altered into something valid.
        let mut bad = utf16_bytes("{\"a\":\"", false);
        bad.extend_from_slice(&[0x00, 0xd8, b'"', 0, b'}', 0]);
        assert_eq!(text_of(bad).0, b"{\"a\":\"\xff\"}".to_vec());
    }

    #[test]
    fn gzip_members_cuts_and_trailing_data() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let gz = |text: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let mut two = gz(b"{\"a\":1}\n");
        two.extend(gz(b"{\"a\":2}\n"));
        assert_eq!(text_of(two.clone()), (b"{\"a\":1}\n{\"a\":2}\n".to_vec(), None));
        let mut trailing = two.clone();
        trailing.extend_from_slice(b"garbage");
        let (text, error) = text_of(trailing);
        assert_eq!(text, b"{\"a\":1}\n{\"a\":2}\n".to_vec());
        assert!(error.is_some_and(|e| e.contains("trailing data")));
        let cut = two.get(..two.len() - 5).unwrap().to_vec();
        assert!(text_of(cut).1.is_some_and(|e| e.contains("gzip")));
        let (_, error) = text_of(gz(b"ElfFile\0rest of an evtx"));
        assert!(error.is_some_and(|e| e.contains("EVTX")));
    }
}
