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
    if is_etl(head) {
        return Some("an Event Tracing for Windows log (.etl): not read; convert it to EVTX first (`tracerpt FILE.etl -of EVTX -o FILE.evtx`)");
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

/// True when `head` is the start of an ETW trace log (`.etl`), which has no magic bytes: its
/// first buffer's `WMI_BUFFER_HEADER` (72 bytes: the buffer size, a multiple of 1 KiB, then
/// the saved and current offsets, within the buffer), followed by the trace's first event,
/// the log file header: a system trace header whose marker has the trace-header and
/// event-trace flags (`0xC0`) and whose hook ID is 0 (`EVENT_TRACE_GROUP_HEADER`,
/// type info). Read before the UTF-16 guess: its leading `00 20 00 00` looks like UTF-16.
fn is_etl(head: &[u8]) -> bool {
    let u32_at = |at: usize| head.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let (Some(size), Some(saved), Some(current)) = (u32_at(0), u32_at(4), u32_at(8)) else { return false };
    let buffer_ok = size >= 1024 && size % 1024 == 0 && saved <= size && current <= size;
    let marker_flags = head.get(0x4B).is_some_and(|&f| f & 0xC0 == 0xC0);
    let hook_id = head.get(0x4E..0x50) == Some(&[0, 0][..]);
    buffer_ok && marker_flags && hook_id
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

    /// The first 128 bytes of an ETW trace (the layout of the `.etl` capture among the EVTX
    /// attack samples): an 8 KiB buffer, its offsets, then the log file header event.
    fn etl_head() -> Vec<u8> {
        let mut head = vec![0u8; 128];
        head[..12].copy_from_slice(&[0x00, 0x20, 0, 0, 0xc8, 0x01, 0, 0, 0xc8, 0x01, 0, 0]);
        head[0x48..0x50].copy_from_slice(&[0x02, 0x00, 0x02, 0xc0, 0x7a, 0x01, 0x00, 0x00]);
        head
    }

    #[test]
    fn etl_traces_are_told_from_utf16_json_by_their_buffer_header() {
        let head = etl_head();
        assert!(utf16(&head).is_some(), "the guess the ETL check runs before");
        assert!(is_etl(&head));
        let mut other_hook = head.clone();
        other_hook[0x4E] = 0x0a;
        assert!(!is_etl(&other_hook), "a first event that is not the log file header");
        let mut odd_size = head.clone();
        odd_size[0] = 0x10;
        assert!(!is_etl(&odd_size), "a buffer size that is not a multiple of 1 KiB");
        assert!(!is_etl(&head[..0x4C]), "too short to hold the first event's header");
        let json16: Vec<u8> = "[{\"a\": 1}]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(!is_etl(&json16) && unreadable_format(&json16).is_none(), "UTF-16 JSON is still read");
    }

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
        assert!(unreadable_format(&etl_head()).is_some_and(|w| w.contains(".etl")));
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
