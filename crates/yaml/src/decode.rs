//! Bytes to text: a rule file must be UTF-8, and when it is not, the diagnostic points at
//! the line and column of the first byte that is not, and says what kind of damage it is.
//!
//! `std::str::from_utf8` already finds the first bad byte; this module turns its byte offset
//! into a position a person can go to, and names the usual causes (a file saved as Latin-1
//! or Windows-1252, an overlong encoding, a file cut in the middle of a character).

use vigil_ir::{Diagnostic, SourceId, Span};

/// Decodes a rule file's bytes as UTF-8, or says where and why it is not UTF-8.
pub fn decode<'a>(source: &SourceId, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let at = error.valid_up_to();
    // The prefix before the bad byte is valid UTF-8, so lines and columns are exact there.
    let prefix = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or_default();
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    let line = u32::try_from(prefix.matches('\n').count() + 1).unwrap_or(u32::MAX);
    let col = u32::try_from(prefix.get(line_start..).unwrap_or_default().chars().count() + 1).unwrap_or(u32::MAX);
    let len = error.error_len().unwrap_or(bytes.len() - at);
    let bad = bytes.get(at..at + len).unwrap_or_default();
    let shown: Vec<String> = bad.iter().map(|b| format!("0x{b:02X}")).collect();
    let (what, hint) = describe(bad, error.error_len().is_none(), bytes.get(at + len..).unwrap_or_default());
    let span = Span::new(at, at + len, line, col);
    Err(Diagnostic::error("yaml::encoding", source.clone(), span, format!("not UTF-8: {what} ({})", shown.join(" "))).with_hint(hint))
}

/// Names the kind of bad sequence and what to do about it.
fn describe(bad: &[u8], cut_at_end: bool, rest: &[u8]) -> (&'static str, &'static str) {
    let first = bad.first().copied().unwrap_or(0);
    let second = bad.get(1).copied().or_else(|| rest.first().copied()).unwrap_or(0);
    if cut_at_end {
        return ("a multi-byte character is cut off at the end of the file", "the file was truncated; restore it from its source or delete the last character");
    }
    let overlong = matches!(first, 0xC0 | 0xC1) || (first == 0xE0 && second < 0xA0) || (first == 0xF0 && second < 0x90);
    if overlong {
        return ("an overlong encoding", "the file was written by a broken encoder; re-save it as UTF-8");
    }
    if first == 0xED && second >= 0xA0 {
        return ("an encoded UTF-16 surrogate", "the file was converted from UTF-16 incorrectly; re-save it as UTF-8");
    }
    if first >= 0xF5 || (first == 0xF4 && second >= 0x90) {
        return ("a byte that never occurs in UTF-8", "save the file as UTF-8 (it may be Latin-1, Windows-1252 or UTF-16)");
    }
    if (0x80..0xC0).contains(&first) {
        return ("a continuation byte without a lead byte", "the file looks like Latin-1 or Windows-1252; save it as UTF-8");
    }
    ("a lead byte not followed by its continuation bytes", "the file looks like Latin-1 or Windows-1252; save it as UTF-8")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed expectation is a test failure
mod tests {
    use super::*;

    fn error(bytes: &[u8]) -> Diagnostic {
        decode(&SourceId::from("t.yml"), bytes).unwrap_err()
    }

    #[test]
    fn valid_text_is_returned_unchanged() {
        assert_eq!(decode(&SourceId::from("t.yml"), "title: é\n".as_bytes()).unwrap(), "title: é\n");
    }

    #[test]
    fn a_latin1_byte_is_reported_at_its_line_and_column() {
        let d = error(b"title: a\ndescription: caf\xE9 noir\n");
        assert_eq!((d.span.line, d.span.col, d.span.start), (2, 17, 25));
        assert!(d.message.contains("0xE9") && d.message.contains("lead byte"), "{}", d.message);
        assert!(d.hint.unwrap().contains("Latin-1"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let d = error("x: ééé\u{0}".as_bytes().iter().copied().chain([0xFF]).collect::<Vec<u8>>().as_slice());
        assert_eq!((d.span.line, d.span.col), (1, 8));
        assert!(d.message.contains("never occurs"), "{}", d.message);
    }

    #[test]
    fn an_overlong_sequence_is_named() {
        let d = error(b"a: 1\nb: 2\nc: \xC0\xAF\n");
        assert_eq!((d.span.line, d.span.col), (3, 4));
        assert!(d.message.contains("overlong"), "{}", d.message);
        let d = error(b"c: \xE0\x80\xAF\n");
        assert!(d.message.contains("overlong"), "{}", d.message);
    }

    #[test]
    fn a_sequence_cut_at_the_end_of_the_file_is_named() {
        let d = error(b"a: 1\ntitle: \xE2\x82");
        assert_eq!((d.span.line, d.span.col, d.span.end - d.span.start), (2, 8, 2));
        assert!(d.message.contains("cut off"), "{}", d.message);
    }
}
