//! Line input for the text readers (CEF, Zeek, the x509 log beside an ssl log, auditd):
//! one line at a time, at most [`Limits::max_record`](crate::split::Limits) bytes held; a
//! longer line is skipped to its end without being kept, so memory stays bounded whatever
//! the input.

use std::io::{self, BufRead, Read};

/// What [`read_line`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line (with its line ending, if it had one) is in the buffer.
    Whole,
    /// The line was longer than the bound: it was read to its end and dropped.
    TooLong,
}

/// Reads the next line of `input` into `line` (cleared first), holding at most `max + 1`
/// bytes of it. `None` at the end of the input.
pub fn read_line<R: BufRead + ?Sized>(input: &mut R, max: usize, line: &mut Vec<u8>) -> io::Result<Option<Line>> {
    line.clear();
    if (&mut *input).take(max as u64 + 1).read_until(b'\n', line)? == 0 {
        return Ok(None);
    }
    if line.len() > max && !line.ends_with(b"\n") {
        let mut rest = Vec::new();
        while (&mut *input).take(1 << 16).read_until(b'\n', &mut rest)? > 0 && !rest.ends_with(b"\n") {
            rest.clear();
        }
        return Ok(Some(Line::TooLong));
    }
    Ok(Some(Line::Whole))
}

/// The line [`read_line`] gave as text, for the readers that take UTF-8 lines: `Ok(Some)`
/// without its line ending, `Ok(None)` when blank (skipped without a word), `Err` with the
/// reason to report when it was too long or is not UTF-8.
pub fn text(line: &[u8], read: Line, max: usize) -> Result<Option<&str>, String> {
    if read == Line::TooLong {
        return Err(format!("line longer than {max} bytes: skipped"));
    }
    let text = std::str::from_utf8(line).map_err(|_| "line is not UTF-8".to_string())?.trim_end_matches(['\n', '\r']);
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_to_their_end_and_the_next_line_is_whole() {
        let text = format!("short\n{}\nafter\nlast", "x".repeat(200_000));
        let mut input = io::Cursor::new(text.into_bytes());
        let mut line = Vec::new();
        let mut seen = Vec::new();
        while let Some(kind) = read_line(&mut input, 100, &mut line).unwrap() {
            seen.push((kind, String::from_utf8(line.clone()).unwrap()));
        }
        assert_eq!(seen[0], (Line::Whole, "short\n".to_string()));
        assert_eq!(seen[1].0, Line::TooLong);
        assert!(seen[1].1.len() <= 101, "at most max + 1 bytes held");
        assert_eq!(seen[2..], [(Line::Whole, "after\n".to_string()), (Line::Whole, "last".to_string())]);
    }

    #[test]
    fn lines_as_text_lose_their_ending_and_blank_or_broken_ones_say_so() {
        assert_eq!(text(b"a b\r\n", Line::Whole, 10), Ok(Some("a b")));
        assert_eq!(text(b" \t\n", Line::Whole, 10), Ok(None));
        assert_eq!(text(b"\xff\n", Line::Whole, 10), Err("line is not UTF-8".to_string()));
        assert_eq!(text(b"xxxxxxxxxxx", Line::TooLong, 10), Err("line longer than 10 bytes: skipped".to_string()));
    }
}
