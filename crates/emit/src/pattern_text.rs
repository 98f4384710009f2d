//! Sigma string patterns printed as regex text in one pass, into one buffer: exactly what
//! `regex_text::portable` and `regex_text::lucene` print for the tree
//! `regex_text::pattern_hir` builds, without building the tree.
//!
//! The targets without a wildcard or folding operator (kql, spl, sumo, lucene) print most
//! values this way, and building a tree node and a string per character was the largest
//! part of their time. The tree of a pattern is a flat concatenation (anchors, literal
//! characters, one class per folded letter, `.` and `.*`), and both printers print a
//! concatenation item by item, so the text is the items' texts in order. The shapes where
//! the tree is not flat, and the printers do more than that, are left to the tree path
//! (the functions return `None`): a pattern with no item at all, and U+0130's alternation
//! (a case-insensitive `i` before a wildcard or an open end).

use std::sync::OnceLock;

use regex_syntax::hir::{Class, Hir, HirKind};
use vigil_ir::{Piece, StrOp, StrPattern};

use crate::regex_memo::Flavour;

/// What a pattern item prints as in `flavour`: a literal character, a folded letter's
/// class, `.` (any character, newlines included) or `.*`.
fn push_char(out: &mut String, flavour: Flavour, c: char) {
    match flavour {
        Flavour::Portable => push_portable_char(out, c),
        Flavour::Lucene => push_lucene_char(out, c),
    }
}

/// A character in a portable regex: ASCII letters, digits and space as they are, other
/// printable ASCII escaped with `\`, anything else as `\x{…}`.
pub fn push_portable_char(out: &mut String, c: char) {
    use std::fmt::Write;
    if c.is_ascii_alphanumeric() || c == ' ' {
        out.push(c);
    } else if c.is_ascii_graphic() {
        out.push('\\');
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
    }
}

/// A character in a Lucene regex: ASCII letters, digits and control characters as they
/// are, other ASCII escaped, anything else as it is.
pub fn push_lucene_char(out: &mut String, c: char) {
    if !(c.is_ascii_alphanumeric() || c.is_ascii_control() || !c.is_ascii()) {
        out.push('\\');
    }
    out.push(c);
}

/// The printed class of the characters whose lower case is `c` (`regex_text::folded_class`):
/// for ASCII, computed once per flavour.
fn push_folded(out: &mut String, flavour: Flavour, c: char) -> Option<()> {
    static ASCII: OnceLock<Option<[Vec<String>; 2]>> = OnceLock::new();
    let print = |flavour: Flavour, c: char| -> Option<String> {
        let hir = crate::regex_text::folded_class(c);
        match flavour {
            Flavour::Portable => crate::regex_text::portable(&hir).ok(),
            Flavour::Lucene => lucene_item(&hir),
        }
    };
    let slot = match flavour {
        Flavour::Portable => 0,
        Flavour::Lucene => 1,
    };
    if c.is_ascii() {
        let table = ASCII.get_or_init(|| {
            let row = |f: Flavour| (0..128u8).map(|b| print(f, char::from(b))).collect::<Option<Vec<String>>>();
            Some([row(Flavour::Portable)?, row(Flavour::Lucene)?])
        });
        out.push_str(table.as_ref()?.get(slot)?.get(usize::from(c as u8))?);
    } else {
        out.push_str(&print(flavour, c)?);
    }
    Some(())
}

/// A folded letter's class printed as `regex_text::lucene` prints a body item.
fn lucene_item(hir: &Hir) -> Option<String> {
    let mut out = String::new();
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0).ok()?.chars().for_each(|c| push_lucene_char(&mut out, c)),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges = class.ranges();
            if let [only] = ranges {
                if only.start() == only.end() {
                    push_lucene_char(&mut out, only.start());
                    return Some(out);
                }
            }
            if ranges.is_empty() || matches!(ranges, [r] if r.start() == '\0' && r.end() == '\u{10FFFF}') {
                return None;
            }
            out.push('[');
            for r in ranges {
                push_lucene_char(&mut out, r.start());
                if r.start() != r.end() {
                    out.push('-');
                    push_lucene_char(&mut out, r.end());
                }
            }
            out.push(']');
        }
        _ => return None,
    }
    Some(out)
}

/// The pattern's text in `flavour` (see the module documentation), or `None` for the shapes
/// left to the tree path.
pub fn pattern_text(flavour: Flavour, pattern: &StrPattern, op: StrOp, case_insensitive: bool) -> Option<String> {
    let pieces = pattern.pieces();
    let start = matches!(op, StrOp::Equals | StrOp::StartsWith);
    let end = matches!(op, StrOp::Equals | StrOp::EndsWith);
    let mut out = String::with_capacity(16 + pieces.iter().map(|p| if let Piece::Lit(t) = p { 4 * t.len() } else { 8 }).sum::<usize>());
    let mut items = usize::from(start) + usize::from(end);
    match (flavour, start) {
        (Flavour::Portable, true) => out.push('^'),
        (Flavour::Lucene, false) => out.push_str(".*"),
        _ => {}
    }
    for (index, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Lit(t) if case_insensitive => {
                let lowered = t.to_lowercase();
                let mut chars = lowered.chars().peekable();
                while let Some(c) = chars.next() {
                    let last = chars.peek().is_none();
                    let open_after = match pieces.get(index + 1) {
                        Some(Piece::AnyRun | Piece::AnyChar) => true,
                        None => matches!(op, StrOp::Contains | StrOp::StartsWith),
                        _ => false,
                    };
                    if c == 'i' && last && open_after {
                        return None;
                    }
                    push_folded(&mut out, flavour, c)?;
                    items += 1;
                }
            }
            Piece::Lit(t) => {
                for c in t.chars() {
                    push_char(&mut out, flavour, c);
                    items += 1;
                }
            }
            Piece::AnyRun => {
                out.push_str(match flavour {
                    Flavour::Portable => "(?s:.)*",
                    Flavour::Lucene => ".*",
                });
                items += 1;
            }
            Piece::AnyChar => {
                out.push_str(match flavour {
                    Flavour::Portable => "(?s:.)",
                    Flavour::Lucene => ".",
                });
                items += 1;
            }
            Piece::Placeholder(_) => {}
        }
    }
    if items == 0 {
        return None;
    }
    match (flavour, end) {
        (Flavour::Portable, true) => out.push_str("\\z"),
        (Flavour::Lucene, false) => out.push_str(".*"),
        _ => {}
    }
    if flavour == Flavour::Lucene && out.is_empty() {
        out.push_str("()");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex_text::{lucene, pattern_hir, portable};

    /// Values over an alphabet of the characters that print differently (letters with and
    /// without other cases, U+0130, the Kelvin sign, escapes, controls, wildcards).
    fn values() -> Vec<String> {
        let alphabet: Vec<char> = "aiIkKsS1 .-\\/:*?é\u{130}\u{212A}ǆΣςß\t\n\u{1}%_\"'$^".chars().collect();
        let mut values: Vec<String> =
            ["", "*", "?", "**", "i", "I*", "mi?x", "wmi", "\\*", "a\\?b", "%x%", "İ", "K*", "ǅ"].iter().map(|s| s.to_string()).collect();
        let mut state = 0x2545F4914F6CDD1Du64;
        for _ in 0..3000 {
            let mut v = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for k in 0..(state % 7) {
                let pick = (state >> (8 + 5 * k)) as usize % alphabet.len();
                v.extend(alphabet.get(pick));
            }
            values.push(v);
        }
        values
    }

    #[test]
    fn the_text_is_what_the_tree_prints() {
        let mut direct = 0;
        for value in values() {
            let pattern = StrPattern::parse_wildcards(&value);
            for op in [StrOp::Equals, StrOp::Contains, StrOp::StartsWith, StrOp::EndsWith] {
                for ci in [false, true] {
                    let hir = pattern_hir(&pattern, op, ci).unwrap();
                    if let Some(text) = pattern_text(Flavour::Portable, &pattern, op, ci) {
                        assert_eq!(Ok(text), portable(&hir), "portable {value:?} {op:?} ci {ci}");
                        direct += 1;
                    }
                    if let Some(text) = pattern_text(Flavour::Lucene, &pattern, op, ci) {
                        assert_eq!(Ok(text), lucene(&hir), "lucene {value:?} {op:?} ci {ci}");
                        direct += 1;
                    }
                }
            }
        }
        assert!(direct > 20_000, "most shapes are printed directly: {direct}");
        assert_eq!(pattern_text(Flavour::Portable, &StrPattern::parse_wildcards("wmi"), StrOp::Contains, true), None, "U+0130 goes by the tree");
        assert_eq!(pattern_text(Flavour::Lucene, &StrPattern::parse_wildcards(""), StrOp::Contains, false), None);
    }
}
