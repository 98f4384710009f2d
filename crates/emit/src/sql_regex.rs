//! Sigma regular expressions (Rust `regex` syntax) printed for the SQL engines (SQLite REGEXP, DuckDB, Spark RLIKE), exactly.
//!
//! The pattern is parsed with `regex-syntax` under the same flags native evaluation compiles
//! it with; the parsed tree has every class resolved to explicit character ranges (`\d`,
//! `\w`, `\s`, `.` and case folding included, with Rust's Unicode definitions), so the
//! printed pattern needs no class shorthand, no flag and no case-insensitive mode whose
//! meaning differs between engines. What is printed is a small syntax PCRE, RE2 and Java
//! read alike: `\A`, `\z`, `(?:…)`, `[…]` with `\x{H}` escapes, escaped ASCII punctuation,
//! `*`, `+`, `?`, `{m,n}` and their lazy forms. Refused: word boundaries (each engine
//! defines a word differently), multi-line anchors (engines differ at a final newline),
//! repetition counts above 1,000 (RE2's limit), patterns that can match no text.

use regex_syntax::hir::{Class, Hir, HirKind, Look};
use vigil_ir::RegexPattern;

use crate::dialect::{Construct, Refusal};

/// The largest repetition count every flavour accepts (RE2's limit).
const MAX_REPEAT: u32 = 1000;

/// Prints `pattern` in the shared syntax: a regex that matches (unanchored search) exactly
/// the texts native evaluation's regex matches.
pub fn translate(pattern: &RegexPattern) -> Result<String, Refusal> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(pattern.case_insensitive)
        .multi_line(pattern.multi_line)
        .dot_matches_new_line(pattern.dot_matches_new_line)
        .build()
        .parse(&pattern.source)
        .map_err(|e| Refusal::new(Construct::Regex, format!("`{}` does not parse: {e}", pattern.source)))?;
    let mut out = String::new();
    print(&hir, &mut out).map_err(|why| Refusal::new(Construct::Regex, format!("`{}` {why}", pattern.source)))?;
    Ok(out)
}

fn print(hir: &Hir, out: &mut String) -> Result<(), String> {
    match hir.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).map_err(|_| "matches bytes that are not UTF-8".to_string())?;
            text.chars().for_each(|c| push_char(c, out));
        }
        HirKind::Class(Class::Unicode(class)) => {
            let ranges = class.ranges();
            if ranges.is_empty() {
                return Err("can match no text".into());
            }
            out.push('[');
            for r in ranges {
                push_char(r.start(), out);
                if r.end() != r.start() {
                    out.push('-');
                    push_char(r.end(), out);
                }
            }
            out.push(']');
        }
        HirKind::Class(Class::Bytes(_)) => return Err("matches bytes, not characters (Unicode turned off)".into()),
        HirKind::Look(Look::Start) => out.push_str("\\A"),
        HirKind::Look(Look::End) => out.push_str("\\z"),
        HirKind::Look(Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF) => {
            return Err("uses a multi-line anchor, which engines read differently at a final newline".into())
        }
        HirKind::Look(_) => return Err("uses a word boundary, and each engine defines a word differently".into()),
        HirKind::Repetition(rep) => {
            if rep.min > MAX_REPEAT || rep.max.is_some_and(|m| m > MAX_REPEAT) {
                return Err(format!("repeats more than {MAX_REPEAT} times"));
            }
            atom(&rep.sub, out)?;
            match (rep.min, rep.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (m, None) => out.push_str(&format!("{{{m},}}")),
                (m, Some(n)) if m == n => out.push_str(&format!("{{{m}}}")),
                (m, Some(n)) => out.push_str(&format!("{{{m},{n}}}")),
            }
            if !rep.greedy {
                out.push('?');
            }
        }
        HirKind::Capture(cap) => {
            out.push_str("(?:");
            print(&cap.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(items) => {
            for item in items {
                if matches!(item.kind(), HirKind::Alternation(_)) {
                    atom(item, out)?;
                } else {
                    print(item, out)?;
                }
            }
        }
        HirKind::Alternation(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                print(item, out)?;
            }
        }
    }
    Ok(())
}

/// `hir` as one unit a repetition can follow.
fn atom(hir: &Hir, out: &mut String) -> Result<(), String> {
    let single = match hir.kind() {
        HirKind::Class(_) | HirKind::Capture(_) => true,
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0).is_ok_and(|t| t.chars().count() == 1),
        _ => false,
    };
    if single {
        return print(hir, out);
    }
    out.push_str("(?:");
    print(hir, out)?;
    out.push(')');
    Ok(())
}

/// A character, literal when it is an ASCII letter, digit, `_` or space, escaped with `\`
/// when it is other ASCII punctuation, and as `\x{H}` otherwise (controls, non-ASCII).
fn push_char(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() || c == '_' || c == ' ' {
        out.push(c);
    } else if c.is_ascii_punctuation() {
        out.push('\\');
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(source: &str, case_insensitive: bool) -> Result<String, Refusal> {
        translate(&RegexPattern { source: source.into(), case_insensitive, multi_line: false, dot_matches_new_line: false })
    }

    #[test]
    fn classes_are_spelled_out_and_anchors_are_absolute() {
        assert_eq!(re(r"^a\.b+$", false).unwrap(), r"\Aa\.b+\z");
        assert_eq!(re(r"(?i)k", false).unwrap(), r"[Kk\x{212A}]");
        assert_eq!(re(r"k", true).unwrap(), r"[Kk\x{212A}]");
        assert_eq!(re(r"a.c", false).unwrap(), r"a[\x{0}-\x{9}\x{B}-\x{10FFFF}]c");
        assert_eq!(re(r"(ab|cd){2,3}?x", false).unwrap(), r"(?:ab|cd){2,3}?x");
        assert_eq!(re(r"ab*", false).unwrap(), r"ab*");
        assert!(re(r"\s", false).unwrap().contains(r"\x{3000}"), "Unicode white space");
        assert!(re(r"\d", false).unwrap().contains(r"\x{660}-\x{669}"), "Unicode digits");
    }

    #[test]
    fn what_engines_read_differently_is_refused() {
        for bad in [r"\bcmd\b", r"(?m)^a", r"a{1001}", r"[^\x00-\x{10FFFF}]", r"(?-u)\xFF"] {
            assert!(re(bad, false).is_err(), "{bad}");
        }
    }
}
