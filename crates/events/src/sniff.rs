//! Recognising inputs that are not JSON text by their first bytes, so that a file in a
//! format vigil does not read is named for what it is instead of yielding a stream of
//! parse errors (or nothing).

/// What a file that is not read looks like, from its first bytes; `None` when it may be
/// JSON text (UTF-8, or UTF-16 with or without a byte-order mark).
pub fn unreadable_format(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"ElfFile\0", "EVTX (Windows event log) where JSON text was expected: give the .evtx file itself, decompressed, and not with `--format-in json`"),
        (b"ElfChnk\0", "a lone EVTX chunk (no file header): not read"),
        (b"PK\x03\x04", "a zip archive: not read; extract it first"),
        (b"PK\x05\x06", "an empty zip archive: not read"),
        (b"BZh", "bzip2-compressed data: not read; decompress it first"),
        (b"\xfd7zXZ\x00", "xz-compressed data: not read; decompress it first"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed data: not read; decompress it first"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: not read; extract it first"),
        (b"Rar!\x1a\x07", "a RAR archive: not read; extract it first"),
        (b"%PDF", "a PDF document: not event data"),
        (b"\x7fELF", "an executable (ELF): not event data"),
        (b"SQLite format 3\0", "an SQLite database: not read"),
        (b"\xd4\xc3\xb2\xa1", "a packet capture (pcap): not read"),
        (b"\xa1\xb2\xc3\xd4", "a packet capture (pcap): not read"),
        (b"\x0a\x0d\x0d\x0a", "a packet capture (pcapng): not read"),
        (b"\xff\xfe\x00\x00", "UTF-32 text: not read; convert it to UTF-8"),
        (b"\x00\x00\xfe\xff", "UTF-32 text: not read; convert it to UTF-8"),
        (b"<Event xmlns=", "Windows event XML (as Splunk or wevtutil export it): not read; give the .evtx file or its JSON"),
        (b"#Software: Microsoft Internet Information Services", "a W3C extended log (IIS): not read"),
        (b"<Events>", "Windows event XML (as wevtutil exports it): not read; give the .evtx file or its JSON"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(what);
    }
    if head.starts_with(b"MZ") {
        return Some("a Windows executable: not event data");
    }
    if utf16(head).is_some() || head.starts_with(b"\xef\xbb\xbf") {
        return None;
    }
    // Text that may be JSON starts (after white space) with a JSON value. Anything else
    // holding NUL or other control bytes near the start is binary data.
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    let json_start = matches!(first, None | Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'));
    let control = head.iter().filter(|&&b| b < 0x20 && !b.is_ascii_whitespace()).count();
    if !json_start && control > 0 {
        return Some("binary data (not JSON text)");
    }
    None
}

/// The UTF-16 byte order of text that starts with a byte-order mark or, without one, with
/// an ASCII character as UTF-16 (a zero byte beside it): `Some(true)` for big-endian.
pub fn utf16(head: &[u8]) -> Option<bool> {
    match head {
        [0xff, 0xfe, ..] => Some(false),
        [0xfe, 0xff, ..] => Some(true),
        [a, 0, b, 0, ..] if is_json_ascii(*a) && (is_json_ascii(*b) || *b == 0) => Some(false),
        [0, a, 0, b, ..] if is_json_ascii(*a) && (is_json_ascii(*b) || *b == 0) => Some(true),
        _ => None,
    }
}

fn is_json_ascii(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b' ' | b'\t' | b'\r' | b'\n' | b'"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats_are_named_and_json_is_not() {
        assert!(unreadable_format(b"ElfFile\0\0\0").is_some_and(|w| w.starts_with("EVTX")));
        assert!(unreadable_format(b"PK\x03\x04rest").is_some_and(|w| w.contains("zip")));
        assert!(unreadable_format(b"BZh91AY").is_some_and(|w| w.contains("bzip2")));
        assert!(unreadable_format(b"\xfd7zXZ\x00\x00").is_some_and(|w| w.contains("xz")));
        assert!(unreadable_format(b"\x28\xb5\x2f\xfd\x00").is_some_and(|w| w.contains("zstd")));
        assert!(unreadable_format(b"%PDF-1.7").is_some_and(|w| w.contains("PDF")));
        assert!(unreadable_format(b"<Event xmlns='http://schemas").is_some_and(|w| w.contains("XML")));
        assert!(unreadable_format(b"#Software: Microsoft Internet Information Services 8.5").is_some_and(|w| w.contains("IIS")));
        assert!(unreadable_format(b"\x01\x02\x03garbage").is_some_and(|w| w.contains("binary")));
        for json in [&b"{\"a\":1}"[..], b"\n\n[{}]", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00", b"{\x00\"\x00", b"", b"   ", b"42\n", b"{\"a\":\"\x00\"}"] {
            assert_eq!(unreadable_format(json), None, "{json:?}");
        }
    }

    #[test]
    fn utf16_is_recognised_with_and_without_a_mark() {
        assert_eq!(utf16(b"\xff\xfe{\x00"), Some(false));
        assert_eq!(utf16(b"\xfe\xff\x00{"), Some(true));
        assert_eq!(utf16(b"{\x00\"\x00"), Some(false));
        assert_eq!(utf16(b"\x00[\x00{"), Some(true));
        assert_eq!(utf16(b"{\"a\":1}"), None);
    }
}
