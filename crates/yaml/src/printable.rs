//! The characters YAML 1.2 allows in a stream (production `c-printable`): tab, LF, CR, the
//! printable ASCII range, NEL, and the rest of Unicode except C0 and C1 controls, DEL,
//! surrogates and U+FFFE/U+FFFF. A control character hidden in a rule is refused where it
//! stands instead of becoming part of a detection value nobody can see.

use vigil_ir::{Diagnostic, SourceId, Span};

/// True for a character YAML 1.2 allows in a stream.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `text` that YAML 1.2 forbids, as a diagnostic at its position.
/// `start` and `line` place `text` in its file (byte offset and 1-based line of its first
/// character; `text` starts at the beginning of a line).
pub fn check_printable(source: &SourceId, text: &str, start: usize, line: u32) -> Option<Diagnostic> {
    let (at, c) = text.char_indices().find(|&(_, c)| !printable(c))?;
    let before = text.get(..at).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = line.saturating_add(u32::try_from(before.matches('\n').count()).unwrap_or(u32::MAX));
    let col = u32::try_from(before.get(line_start..).unwrap_or_default().chars().count() + 1).unwrap_or(u32::MAX);
    let span = Span::new(start + at, start + at + c.len_utf8(), line, col);
    let name = match c {
        '\0' => "a NUL character".to_string(),
        '\u{7F}' => "a DEL character".to_string(),
        '\u{1B}' => "an ESC character (terminal escape sequence)".to_string(),
        '\u{80}'..='\u{9F}' => format!("a C1 control character (U+{:04X})", u32::from(c)),
        '\u{FFFE}' | '\u{FFFF}' => format!("the non-character U+{:04X}", u32::from(c)),
        _ => format!("a control character (U+{:04X})", u32::from(c)),
    };
    Some(
        Diagnostic::error("yaml::control-character", source.clone(), span, format!("{name}: YAML does not allow it in a file"))
            .with_hint("remove it; to match a control character in an event, write it as an escape in double quotes (\"\\x01\") or use `|re`"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed expectation is a test failure
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(u32, u32, usize)> {
        check_printable(&SourceId::from("t.yml"), text, 0, 1).map(|d| (d.span.line, d.span.col, d.span.start))
    }

    #[test]
    fn ordinary_text_tabs_and_line_ends_pass() {
        assert_eq!(find("title: x\r\n\tdescription: é 😀 \u{85}\n"), None);
    }

    #[test]
    fn each_forbidden_class_is_found_at_its_position() {
        assert_eq!(find("a: 1\nb: x\u{1}y\n"), Some((2, 5, 9)));
        assert_eq!(find("a: \u{7F}"), Some((1, 4, 3)));
        assert_eq!(find("é: \u{9B}"), Some((1, 4, 4)));
        assert_eq!(find("a: \u{FFFE}"), Some((1, 4, 3)));
        assert_eq!(find("\u{0}"), Some((1, 1, 0)));
    }

    #[test]
    fn the_position_is_shifted_by_where_the_text_starts() {
        let d = check_printable(&SourceId::from("t.yml"), "x\n\u{7}", 100, 10).unwrap();
        assert_eq!((d.span.line, d.span.col, d.span.start), (11, 1, 102));
        assert!(d.message.contains("U+0007"), "{}", d.message);
    }
}
