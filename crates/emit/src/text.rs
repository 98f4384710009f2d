//! Text helpers the query-language targets share: double-quoted string constants, where a
//! comparison places its pattern, and whether text has letters that case folding changes.

use vigil_ir::StrOp;

use crate::dialect::{Construct, Refusal};

/// Whether a pattern under `op` may have text before it and after it.
pub fn placement(op: StrOp) -> (bool, bool) {
    match op {
        StrOp::Equals => (false, false),
        StrOp::Contains => (true, true),
        StrOp::StartsWith => (false, true),
        StrOp::EndsWith => (true, false),
    }
}

/// True when `text` holds a character that has another case (so a case-insensitive
/// comparison of it differs from a case-sensitive one).
pub fn has_case(text: &str) -> bool {
    text.chars().any(|c| !c.to_lowercase().eq(std::iter::once(c)) || !c.to_uppercase().eq(std::iter::once(c)))
}

/// `text` double-quoted with backslash escapes (`\"`, `\\`, `\n`, `\t`, `\r`) and `\uXXXX`
/// for each other character `hex` selects: what TOML basic strings and YAML double-quoted
/// scalars share.
pub fn backslash_quoted(text: &str, hex: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if hex(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A double-quoted string constant with C-style escapes (`\\`, `\"`, `\n`, `\r`, `\t`), the
/// form ES|QL, KQL, SPL and Sumo Logic share. Other control characters and NUL have no
/// escape common to them, so text holding one is refused.
pub fn quoted(text: &str) -> Result<String, Refusal> {
    quoted_with(text, false)
}

/// [`quoted`], with control characters other than `\n`, `\r` and `\t` written as they
/// are when `raw_controls` (ES|QL's strings allow any character but those unescaped).
pub fn quoted_with(text: &str, raw_controls: bool) -> Result<String, Refusal> {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && !raw_controls => {
                return Err(Refusal::new(
                    Construct::Text,
                    format!("a value holds the control character U+{:04X}, which this target's strings cannot spell", u32::from(c)),
                ))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// A number as a constant that reads back as the same value, or a refusal.
pub fn number(value: f64) -> Result<String, Refusal> {
    if !value.is_finite() {
        return Err(Refusal::new(Construct::Number, format!("{value} is not a finite number")));
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return Ok(format!("{value:.0}"));
    }
    Ok(format!("{value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_found_in_any_script() {
        assert!(has_case("a") && has_case("É") && has_case("ς") && has_case("x1"));
        assert!(!has_case("4688") && !has_case(r"\\.-_") && !has_case("→€"));
    }

    #[test]
    fn strings_escape_and_refuse_controls() {
        assert_eq!(quoted("C:\\a \"b\"\n").unwrap(), r#""C:\\a \"b\"\n""#);
        assert!(quoted("a\u{1}").is_err() && quoted("\0").is_err());
        assert_eq!(quoted_with("a\u{1}\n", true).unwrap(), "\"a\u{1}\\n\"");
        assert_eq!(number(4688.0).unwrap(), "4688");
        assert_eq!(number(-0.5).unwrap().parse::<f64>().unwrap(), -0.5);
        assert_eq!(number(1e300).unwrap().parse::<f64>().unwrap(), 1e300);
    }
}
