//! Text in SQLite: quoted identifiers and literals, Sigma patterns as `LIKE` (case folded)
//! and `GLOB` (case kept) patterns, and the exact account of where SQLite's ASCII-only case
//! folding differs from Sigma's Unicode folding.
//!
//! Sigma lower-cases both the value and the pattern with Unicode rules. SQLite's `LIKE`
//! folds ASCII letters only. The two agree exactly when
//! - every non-ASCII character of the lower-cased pattern is the lower case of no other
//!   character ([`folds_alone`]); patterns with other non-ASCII letters (`é`, `σ`) are
//!   refused, and
//! - the value's two non-ASCII characters whose lower case contains ASCII, KELVIN SIGN
//!   (U+212A → `k`) and CAPITAL I WITH DOT ABOVE (U+0130 → `i` U+0307, two characters), are
//!   replaced by their lower case before `LIKE` sees the value ([`VALUE_FOLDS`]).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use vigil_ir::{Piece, StrPattern};

use crate::sql::Engine;

/// The non-ASCII characters whose Unicode lower case contains an ASCII character or is more
/// than one character, with that lower case: the only value characters `LIKE` would fold
/// differently from Sigma next to an ASCII pattern. A unit test derives the list from the
/// Unicode tables.
pub const VALUE_FOLDS: &[(char, &str)] = &[('\u{0130}', "i\u{0307}"), ('\u{212A}', "k")];

/// A SQL string literal.
pub fn literal(text: &str) -> String {
    quote_doubling(text, '\'')
}

/// A quoted SQL identifier (a field name may hold dots, spaces or keywords).
pub fn identifier(name: &str) -> String {
    quote_doubling(name, '"')
}

/// `text` between two `quote`s, each `quote` inside doubled: one buffer, written once
/// (literals and identifiers are printed for every predicate of every rule).
fn quote_doubling(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for part in text.split_inclusive(quote) {
        out.push_str(part);
        if part.ends_with(quote) {
            out.push(quote);
        }
    }
    out.push(quote);
    out
}

/// Characters that are the lower case of some other character (found once from the Unicode
/// tables `char::to_lowercase` uses), plus final sigma, which `str::to_lowercase` produces.
fn lower_case_targets() -> &'static HashSet<char> {
    static TARGETS: OnceLock<HashSet<char>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let mut set = HashSet::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut lower = c.to_lowercase();
            if lower.len() == 1 && lower.next() == Some(c) {
                continue;
            }
            set.extend(c.to_lowercase());
        }
        set.insert('\u{03C2}');
        set
    })
}

/// True when `c`, in a lower-cased pattern, can be matched by `LIKE` exactly as Sigma does:
/// an ASCII character (folded by `LIKE`, with [`VALUE_FOLDS`] applied to the value), or a
/// non-ASCII one that is the lower case of no other character.
pub fn folds_alone(c: char) -> bool {
    c.is_ascii() || !lower_case_targets().contains(&c)
}

/// The value expression `LIKE` must see for the `LIKE` pattern `like` (built from the
/// lower-cased Sigma pattern): the column, with a [`VALUE_FOLDS`] character replaced by its
/// lower case when the pattern could tell the difference. KELVIN SIGN matters wherever the
/// pattern holds `k`. CAPITAL I WITH DOT ABOVE lowers to `i` and a combining dot, which
/// matters only where an `i` is followed by a wildcard or the pattern's end (a literal
/// after the `i` can never be the combining dot: it would have been refused), or where a
/// `_` counts characters.
pub fn folded_value(engine: Engine, column: &str, like: &str) -> String {
    // The pattern as (character, is a wildcard) pairs, escapes removed.
    let mut tokens = Vec::new();
    let mut chars = like.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.extend(chars.next().map(|e| (e, false))),
            '%' | '_' => tokens.push((c, true)),
            _ => tokens.push((c, false)),
        }
    }
    let mut out = column.to_string();
    for (upper, lower) in VALUE_FOLDS {
        let mut lower_chars = lower.chars();
        let first = lower_chars.next().unwrap_or_default();
        let multi = lower_chars.next().is_some();
        let relevant = if multi && engine == Engine::Duckdb {
            // DuckDB's ILIKE folds it to a lone `i` wherever it stands.
            tokens.iter().any(|&(c, wild)| wild && c == '_') || tokens.contains(&(first, false))
        } else if multi {
            tokens.iter().any(|&(c, wild)| wild && c == '_')
                || tokens.windows(2).any(|w| matches!(w, [(a, false), (_, true)] if *a == first))
                || tokens.last() == Some(&(first, false))
        } else {
            tokens.contains(&(first, false))
        };
        if relevant {
            out = format!("replace({out}, {}, {})", char_call(engine, &upper.to_string()), char_call(engine, lower));
        }
    }
    out
}

/// The column with both [`VALUE_FOLDS`] characters replaced by their lower case, whatever
/// the pattern: for a pattern not known when the query is printed (a value list).
pub fn fully_folded_value(engine: Engine, column: &str) -> String {
    // `k` and a `_` make both characters relevant to `folded_value`.
    folded_value(engine, column, "k_")
}

/// A SQL expression turning `value`, a list value in Sigma's string syntax (`*`, `?`; `\\`,
/// `\*`, `\?` escapes, any other backslash literal), into a `LIKE` pattern with escape `\`:
/// the escapes are set aside as control characters 1–3, `\`, `%` and `_` escaped, the
/// wildcards turned into `%` and `_`, and the set-aside characters put back as literals. A
/// list value holding one of those three control characters is outside the contract.
pub fn sigma_to_like(engine: Engine, value: &str) -> String {
    let ctl = |n: u32| match engine {
        Engine::Sqlite => format!("char({n})"),
        Engine::Duckdb => format!("chr({n})"),
    };
    sigma_to_like_with(value, &literal, &ctl)
}

/// [`sigma_to_like`] with the engine's string literals and its character-from-code call.
pub fn sigma_to_like_with(value: &str, literal: &dyn Fn(&str) -> String, ctl: &dyn Fn(u32) -> String) -> String {
    let steps: [(String, String); 11] = [
        (literal("\\\\"), ctl(1)),
        (literal("\\*"), ctl(2)),
        (literal("\\?"), ctl(3)),
        (literal("\\"), literal("\\\\")),
        (literal("%"), literal("\\%")),
        (literal("_"), literal("\\_")),
        (literal("*"), literal("%")),
        (literal("?"), literal("_")),
        (ctl(1), literal("\\\\")),
        (ctl(2), literal("*")),
        (ctl(3), literal("?")),
    ];
    steps.iter().fold(value.to_string(), |inner, (from, to)| format!("replace({inner}, {from}, {to})"))
}

/// Text as code points (`char(…)` in SQLite, `chr(…) || …` in DuckDB), or a plain literal
/// when it is ASCII: keeps the emitted SQL ASCII and readable.
fn char_call(engine: Engine, text: &str) -> String {
    if text.is_ascii() {
        return literal(text);
    }
    let codes: Vec<String> = text.chars().map(|c| u32::from(c).to_string()).collect();
    match engine {
        Engine::Sqlite => format!("char({})", codes.join(", ")),
        Engine::Duckdb => codes.iter().map(|c| format!("chr({c})")).collect::<Vec<_>>().join(" || "),
    }
}

/// The characters whose Unicode lower case is exactly `c` (one character), `c` first: the
/// class a case-insensitive `GLOB` needs for it.
fn case_variants(c: char) -> Vec<char> {
    static UPPER: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    let upper = UPPER.get_or_init(|| {
        let mut map: HashMap<char, Vec<char>> = HashMap::new();
        for x in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut lower = x.to_lowercase();
            if let (Some(l), None) = (lower.next(), lower.next()) {
                if l != x {
                    map.entry(l).or_default().push(x);
                }
            }
        }
        map
    });
    let mut out = vec![c];
    out.extend(upper.get(&c).into_iter().flatten());
    out
}

/// A case-insensitive `GLOB` pattern for the lower-cased `pattern`: every character with
/// case variants is the class of them (`[éÉ]`); the value must be folded with
/// [`folded_value`] for the characters whose lower case is longer than one character.
pub fn case_glob(engine: Engine, pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> String {
    let mut out = String::new();
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => {
                for c in t.chars() {
                    let variants = case_variants(c);
                    if variants.len() > 1 {
                        out.push('[');
                        out.extend(variants);
                        out.push(']');
                    } else {
                        push_glob_char(engine, c, &mut out);
                    }
                }
            }
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    out
}

/// A literal character in a `GLOB` pattern. DuckDB's `GLOB` reads `\` as an escape,
/// SQLite's does not.
fn push_glob_char(engine: Engine, c: char, out: &mut String) {
    match c {
        '\\' if engine == Engine::Duckdb => out.push_str("\\\\"),
        '*' => out.push_str("[*]"),
        '?' => out.push_str("[?]"),
        '[' => out.push_str("[[]"),
        _ => out.push(c),
    }
}

/// A `LIKE` pattern (escape character `\`) for `pattern`, and whether it needed escapes.
/// `*` is `%`, `?` is `_`; `%`, `_` and `\` in literals are escaped.
pub fn like_pattern(pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> (String, bool) {
    let mut out = String::new();
    let mut escaped = false;
    if prefix_any {
        out.push('%');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => {
                for c in t.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                        escaped = true;
                    }
                    out.push(c);
                }
            }
            Piece::AnyRun => out.push('%'),
            Piece::AnyChar => out.push('_'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('%');
    }
    (out, escaped)
}

/// A `GLOB` pattern (case-sensitive) for `pattern`: `*` and `?` stay, literal `*`, `?` and
/// `[` become one-character classes.
pub fn glob_pattern(engine: Engine, pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> String {
    let mut out = String::new();
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => t.chars().for_each(|c| push_glob_char(engine, c, &mut out)),
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_double_their_quote() {
        for text in ["", "plain", "it's", "''", "a\"b", "\"", "'x'\"y\"'", "é'ü"] {
            assert_eq!(literal(text), format!("'{}'", text.replace('\'', "''")), "{text}");
            assert_eq!(identifier(text), format!("\"{}\"", text.replace('"', "\"\"")), "{text}");
        }
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn value_folds_are_exactly_the_characters_like_would_miss() {
        let mut found = Vec::new();
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let lower: String = c.to_lowercase().collect();
            if lower.chars().count() != 1 || lower.chars().any(|l| l.is_ascii()) {
                found.push((c, lower));
            }
        }
        let expected: Vec<(char, String)> = VALUE_FOLDS.iter().map(|(c, l)| (*c, l.to_string())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn non_ascii_letters_with_an_upper_case_do_not_fold_alone() {
        assert!(folds_alone('a') && folds_alone('\\') && folds_alone('€') && folds_alone('→'));
        for c in ['é', 'σ', 'ς', 'ж', '\u{0307}'] {
            assert!(!folds_alone(c), "{c}");
        }
    }

    #[test]
    fn patterns_escape_their_metacharacters() {
        let p = StrPattern::parse_wildcards(r"50%_a\*b*c?\\d[e]");
        assert_eq!(like_pattern(&p, true, false), (r"%50\%\_a*b%c_\\d[e]".to_string(), true));
        assert_eq!(glob_pattern(Engine::Sqlite, &p, false, true), r"50%_a[*]b*c?\d[[]e]*");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(identifier("a\"b.c"), "\"a\"\"b.c\"");
    }

    #[test]
    fn the_value_is_folded_only_when_the_pattern_can_tell() {
        assert_eq!(folded_value(Engine::Sqlite, "\"x\"", "cmd"), "\"x\"");
        assert_eq!(folded_value(Engine::Sqlite, "\"x\"", "%link%"), "replace(\"x\", char(8490), 'k')");
        assert_eq!(folded_value(Engine::Sqlite, "\"x\"", "%li%"), "replace(\"x\", char(304), char(105, 775))");
        assert_eq!(folded_value(Engine::Sqlite, "\"x\"", "%a_"), "replace(\"x\", char(304), char(105, 775))");
        assert_eq!(folded_value(Engine::Sqlite, "\"x\"", "%\\ki"), "replace(replace(\"x\", char(304), char(105, 775)), char(8490), 'k')");
        assert_eq!(folded_value(Engine::Duckdb, "\"x\"", "%li%"), "replace(\"x\", chr(304), chr(105) || chr(775))");
    }

    #[test]
    fn duckdb_globs_escape_backslashes() {
        let p = StrPattern::parse_wildcards(r"a\\b*");
        assert_eq!(glob_pattern(Engine::Duckdb, &p, false, false), r"a\\b*");
        assert_eq!(glob_pattern(Engine::Sqlite, &p, false, false), r"a\b*");
    }

    #[test]
    fn case_globs_spell_out_each_letters_variants() {
        let p = StrPattern::parse_wildcards("média*k?");
        assert_eq!(case_glob(Engine::Sqlite, &p, true, false), "*[mM][éÉ][dD][iI][aA]*[kK\u{212A}]?");
    }
}
