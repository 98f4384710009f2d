//! YAML scalars for the `sigma` target: plain when that is safe in any YAML reader (1.1 or
//! 1.2: nothing that could read as a number, boolean, null, alias, tag or comment), else
//! single-quoted, else (control characters, line breaks) double-quoted with escapes.

/// Words a YAML 1.1 or 1.2 reader gives a type other than string.
const RESERVED: &[&str] = &["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"];

/// True when `text` reads back as the same string when written plain in block context.
pub fn plain_ok(text: &str) -> bool {
    let Some(first) = text.chars().next() else { return false };
    let Some(last) = text.chars().last() else { return false };
    !(first.is_ascii_digit()
        || first.is_whitespace()
        || last.is_whitespace()
        || "-?:,[]{}#&*!|>'\"%@`+.<=~".contains(first)
        || last == ':'
        || text.contains(": ")
        || text.contains(" #")
        || text.contains('\t')
        || text.chars().any(needs_escape)
        || RESERVED.iter().any(|w| w.eq_ignore_ascii_case(text)))
}

/// Characters only a double-quoted scalar can hold (line breaks, controls, BOM, noncharacters).
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// `text` as a YAML scalar that reads back as this string.
pub fn string(text: &str) -> String {
    if plain_ok(text) {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// `text` quoted: single quotes when it can be, double quotes with escapes otherwise.
pub fn quoted(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    crate::text::backslash_quoted(text, needs_escape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_could_read_as_something_else_are_quoted() {
        for text in ["", "1", "-x", "true", "No", "~", "a: b", "a #b", "*x", " a", "a ", ".inf", "x:", "%x%", "'q'", "@x"] {
            assert!(!plain_ok(text), "{text:?}");
        }
        for text in ["cmd.exe", "C:\\Windows\\x.exe", "\\foo", "a*b", "Microsoft-Windows-Sysmon/Operational", "é"] {
            assert_eq!(string(text), text);
        }
        assert_eq!(string("it's 1"), "it's 1");
        assert_eq!(quoted("it's 1"), "'it''s 1'");
        assert_eq!(string("a\nb\\\"\u{1}"), "\"a\\nb\\\\\\\"\\u0001\"");
    }
}
