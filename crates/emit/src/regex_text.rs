//! Regular expressions for targets that have them, printed from the parsed form (the same
//! `regex-syntax` tree vigil's engine compiles), never copied from the rule's text.
//!
//! Printing from the tree makes the target's regex mean what vigil's does, whatever the
//! rule wrote: case-insensitivity is already expanded into explicit classes (`(?i)k` is
//! `[Kk\u{212A}]`), so no target flag or folding function is trusted; `.` and classes are
//! explicit code-point ranges; Rust-only syntax (class set operations, `\pN` shorthands)
//! is gone. Two flavours:
//! - [`lucene`]: Lucene's `RegExp` (ES|QL `RLIKE`, the query string's `/…/`), which must
//!   match the *whole* value: a Sigma regex (a search) becomes `.*(…).*`, with the `.*`
//!   dropped on a side the regex anchors with `^`/`$`. Every character but ASCII letters and
//!   digits is escaped, so Lucene's optional operators (`@`, `&`, `~`, `<>`, `#`) never
//!   apply. Anchors elsewhere and word boundaries are refused.
//!   An alternation of differently anchored branches at either end (`(^|/)x`) is
//!   distributed over the rest of the pattern, each branch printed on its own.
//! - [`portable`]: the syntax RE2 (KQL, Sumo Logic), PCRE (Splunk) and Java agree on, for
//!   search semantics: `(?:…)` groups, `\x{…}` for non-ASCII and control characters,
//!   `^` and `\z` for the anchors (never `$`, which PCRE and Java also match before a
//!   final newline). Multi-line anchors and word boundaries are refused.
//!
//! A Sigma string pattern (wildcards, case-insensitive) goes through the same path
//! ([`pattern_hir`]) when a target has no exact wildcard or case-folding operator. Sigma
//! lower-cases value and pattern, so each pattern letter becomes the class of the
//! characters whose lower case it is (`k` is `[kK\u{212A}]`, `s` is `[sS]` without the long
//! s, which lower-cases to itself). U+0130 CAPITAL I WITH DOT ABOVE lowers to two
//! characters, `i` and a combining dot: it is matched where a pattern's `i` is followed by
//! a wildcard or the open end of `contains`/`startswith`. The one approximation left: a
//! `?` counts it as one character where Sigma counts two.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Dot, Hir, HirKind, Look, Repetition};
use vigil_ir::{Piece, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Refusal};
use crate::pattern_text::{pattern_text, push_lucene_char, push_portable_char};
use crate::regex_memo::{remembered, remembered_pattern, Flavour};

/// The parsed form of a Sigma regex, with its flags, as vigil compiles it.
pub fn regex_hir(pattern: &RegexPattern) -> Result<Hir, Refusal> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(pattern.case_insensitive)
        .multi_line(pattern.multi_line)
        .dot_matches_new_line(pattern.dot_matches_new_line)
        .build()
        .parse(&pattern.source)
        .map_err(|e| Refusal::new(Construct::Regex, format!("regex `{}` does not parse: {e}", pattern.source)))
}

/// The parsed form of a Sigma string pattern under `op`, as a regex search: anchored where
/// the comparison is (`^…$` for equality), `*` any run and `?` any one character
/// (newlines included), letters folded when `case_insensitive`.
pub fn pattern_hir(pattern: &StrPattern, op: StrOp, case_insensitive: bool) -> Result<Hir, Refusal> {
    // Built directly with regex-syntax's own constructors (what its parser would give for
    // the equivalent source, checked in the tests), never printed and parsed again: this
    // is the hot path of every target without a wildcard or folding operator.
    let any_char = || Hir::dot(Dot::AnyChar);
    let mut items = Vec::new();
    if matches!(op, StrOp::Equals | StrOp::StartsWith) {
        items.push(Hir::look(Look::Start));
    }
    let pieces = pattern.pieces();
    let mut skip_any_char = false;
    for (index, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Lit(t) if case_insensitive => {
                let lowered: Vec<char> = t.to_lowercase().chars().collect();
                for (i, &c) in lowered.iter().enumerate() {
                    let last = i + 1 == lowered.len();
                    // CAPITAL I WITH DOT ABOVE lowers to `i` and a combining dot, which
                    // only a wildcard (or the open end of a placement) can take.
                    let dotted_i = match (c, last, pieces.get(index + 1)) {
                        ('i', true, Some(Piece::AnyRun)) => Some(false),
                        ('i', true, Some(Piece::AnyChar)) => Some(true),
                        ('i', true, None) if matches!(op, StrOp::Contains | StrOp::StartsWith) => Some(false),
                        _ => None,
                    };
                    match dotted_i {
                        Some(takes_next) => {
                            skip_any_char = takes_next;
                            let i_class = folded_class('i');
                            let plain = if takes_next { Hir::concat(vec![i_class, any_char()]) } else { i_class };
                            items.push(Hir::alternation(vec![plain, Hir::literal("\u{130}".as_bytes())]));
                        }
                        None => items.push(folded_class(c)),
                    }
                }
            }
            Piece::Lit(t) => items.push(Hir::literal(t.as_bytes())),
            Piece::AnyRun => items.push(Hir::repetition(Repetition { min: 0, max: None, greedy: true, sub: Box::new(any_char()) })),
            Piece::AnyChar if std::mem::take(&mut skip_any_char) => {}
            Piece::AnyChar => items.push(any_char()),
            Piece::Placeholder(_) => {}
        }
    }
    if matches!(op, StrOp::Equals | StrOp::EndsWith) {
        items.push(Hir::look(Look::End));
    }
    Ok(Hir::concat(items))
}

/// [`pattern_hir`] printed by [`portable`] (in one pass by `pattern_text` where it can be; the tree path remembered per pattern, `regex_memo`).
pub fn portable_pattern(pattern: &StrPattern, op: StrOp, case_insensitive: bool) -> Result<String, Refusal> {
    // Printing in one pass costs less than looking the pattern up; only the tree path is
    // remembered.
    if let Some(text) = pattern_text(Flavour::Portable, pattern, op, case_insensitive) {
        return Ok(text);
    }
    remembered_pattern(Flavour::Portable, pattern, op, case_insensitive, || portable(&pattern_hir(pattern, op, case_insensitive)?))
}

/// [`pattern_hir`] printed by [`lucene`] (in one pass by `pattern_text` where it can be; the tree path remembered per pattern, `regex_memo`).
pub fn lucene_pattern(pattern: &StrPattern, op: StrOp, case_insensitive: bool) -> Result<String, Refusal> {
    // Printing in one pass costs less than looking the pattern up; only the tree path is
    // remembered.
    if let Some(text) = pattern_text(Flavour::Lucene, pattern, op, case_insensitive) {
        return Ok(text);
    }
    remembered_pattern(Flavour::Lucene, pattern, op, case_insensitive, || lucene(&pattern_hir(pattern, op, case_insensitive)?))
}

/// The characters whose lower case is `c` (with `c`), as a class (or `c` alone): what a
/// pattern character lower-cased by Sigma matches in a value Sigma lower-cases too. (A
/// character whose lower case is two characters, U+0130, is left out: the documented
/// approximation.)
pub(crate) fn folded_class(c: char) -> Hir {
    let sources = lower_case_sources().get(&c).map(Vec::as_slice).unwrap_or_default();
    let ranges = std::iter::once(c).chain(sources.iter().copied()).map(|x| ClassUnicodeRange::new(x, x));
    Hir::class(Class::Unicode(ClassUnicode::new(ranges)))
}

/// For each character that is the one-character lower case of others, those others.
fn lower_case_sources() -> &'static HashMap<char, Vec<char>> {
    static SOURCES: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    SOURCES.get_or_init(|| {
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
    })
}

/// A Lucene `RegExp` matching a whole value exactly when `hir` finds a match in it.
pub fn lucene(hir: &Hir) -> Result<String, Refusal> {
    match hir.kind() {
        HirKind::Alternation(branches) => {
            let parts = branches.iter().map(|b| lucene(b).map(|t| format!("({t})"))).collect::<Result<Vec<_>, _>>()?;
            Ok(parts.join("|"))
        }
        HirKind::Capture(c) => lucene(&c.sub),
        HirKind::Concat(items) => match distribute(items) {
            // Printed branch by branch: `Hir::alternation` would lift the branches' common
            // prefix back out (`x(/|$)` → `x/|x$` → `x(/|$)`), undoing the distribution.
            Some(branches) => {
                let parts = branches.iter().map(|b| lucene(b).map(|t| format!("({t})"))).collect::<Result<Vec<_>, _>>()?;
                Ok(parts.join("|"))
            }
            None => lucene_anchored(items),
        },
        _ => lucene_anchored(std::slice::from_ref(hir)),
    }
}

/// A concatenation opening (closing) with an alternation some of whose branches begin
/// (end) with an anchor, `(^|/)x`, as the alternation of the branches each followed by the
/// rest, `^x|/x`: a search finds one exactly when it finds the other, and each branch's
/// anchor is then at its end, where a whole-value regex can spell it.
fn distribute(items: &[Hir]) -> Option<Vec<Hir>> {
    fn bare(h: &Hir) -> &Hir {
        match h.kind() {
            HirKind::Capture(c) => bare(&c.sub),
            _ => h,
        }
    }
    fn edge(h: &Hir, first: bool) -> bool {
        match h.kind() {
            HirKind::Look(_) => true,
            HirKind::Capture(c) => edge(&c.sub, first),
            HirKind::Concat(items) => (if first { items.first() } else { items.last() }).is_some_and(|i| edge(i, first)),
            _ => false,
        }
    }
    let (head, rest) = items.split_first()?;
    if let HirKind::Alternation(branches) = bare(head).kind() {
        if branches.iter().any(|b| edge(b, true)) {
            return Some(branches.iter().map(|b| Hir::concat([std::slice::from_ref(b), rest].concat())).collect());
        }
    }
    let (tail, rest) = items.split_last()?;
    if let HirKind::Alternation(branches) = bare(tail).kind() {
        if branches.iter().any(|b| edge(b, false)) {
            return Some(branches.iter().map(|b| Hir::concat([rest, std::slice::from_ref(b)].concat())).collect());
        }
    }
    None
}

fn lucene_anchored(items: &[Hir]) -> Result<String, Refusal> {
    let is = |h: &Hir, look: Look| matches!(h.kind(), HirKind::Look(l) if *l == look);
    let mut body = items;
    let mut start = false;
    let mut end = false;
    while let Some((first, rest)) = body.split_first() {
        if !is(first, Look::Start) {
            break;
        }
        start = true;
        body = rest;
    }
    while let Some((last, rest)) = body.split_last() {
        if !is(last, Look::End) {
            break;
        }
        end = true;
        body = rest;
    }
    let mut out = String::new();
    if !start {
        out.push_str(".*");
    }
    for item in body {
        out.push_str(&lucene_node(item)?);
    }
    if !end {
        out.push_str(".*");
    }
    if out.is_empty() {
        out.push_str("()");
    }
    Ok(out)
}

fn lucene_node(hir: &Hir) -> Result<String, Refusal> {
    Ok(match hir.kind() {
        HirKind::Empty => "()".to_string(),
        HirKind::Literal(lit) => text_of(&lit.0)?.chars().map(lucene_char).collect(),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges: Vec<(char, char)> = class.ranges().iter().map(|r| (r.start(), r.end())).collect();
            match ranges.as_slice() {
                [] => return Err(Refusal::new(Construct::Regex, "an empty character class (matches nothing) has no Lucene spelling")),
                [('\0', '\u{10FFFF}')] => ".".to_string(),
                [(a, b)] if a == b => lucene_char(*a),
                _ => {
                    let inner: String =
                        ranges.iter().map(|&(a, b)| if a == b { lucene_char(a) } else { format!("{}-{}", lucene_char(a), lucene_char(b)) }).collect();
                    format!("[{inner}]")
                }
            }
        }
        HirKind::Class(Class::Bytes(_)) => return Err(Refusal::new(Construct::Regex, "a byte-oriented class (`(?-u)`) has no Lucene spelling")),
        HirKind::Look(look) => return Err(anchor_refusal(*look, "Lucene regular expressions match whole values")),
        HirKind::Repetition(rep) => {
            let sub = lucene_node(&rep.sub)?;
            format!("{}{}", group_if_needed(&rep.sub, sub, "(", ")"), quantifier(rep.min, rep.max))
        }
        HirKind::Capture(c) => format!("({})", lucene_node(&c.sub)?),
        HirKind::Concat(items) => items.iter().map(lucene_node).collect::<Result<String, _>>()?,
        HirKind::Alternation(branches) => format!("({})", branches.iter().map(lucene_node).collect::<Result<Vec<_>, _>>()?.join("|")),
    })
}

/// A character in a Lucene regex: ASCII letters, digits and control characters as they
/// are (none is an operator; Lucene has no code-point escape, and the query's own string
/// quoting deals with controls), other ASCII escaped, anything else as it is.
fn lucene_char(c: char) -> String {
    let mut out = String::with_capacity(2);
    push_lucene_char(&mut out, c);
    out
}

/// `sub` prints as one atom (a repetition after it applies to all of it).
fn is_one_atom(sub: &Hir) -> bool {
    match sub.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0).map(|t| t.chars().count() == 1).unwrap_or(false),
        HirKind::Class(_) | HirKind::Capture(_) | HirKind::Alternation(_) => true,
        _ => false,
    }
}

/// The largest repetition count every flavour accepts (RE2's limit).
const MAX_REPEAT: u32 = 1000;

/// A Sigma regex as a search in the syntax RE2, PCRE and Java share (SQLite's `REGEXP`,
/// DuckDB's `regexp_matches`, Spark's `RLIKE`, KQL, SPL, Sumo Logic).
/// Remembered per pattern (`regex_memo`).
pub fn portable_regex(pattern: &RegexPattern) -> Result<String, Refusal> {
    remembered(Flavour::Portable, pattern, |p| portable(&regex_hir(p)?))
}

/// A Sigma regex as a Lucene `RegExp` matching whole values ([`lucene`] of its parsed
/// form), remembered per pattern (`regex_memo`).
pub fn lucene_regex(pattern: &RegexPattern) -> Result<String, Refusal> {
    remembered(Flavour::Lucene, pattern, |p| lucene(&regex_hir(p)?))
}

/// A CIDR test of `networks` as a portable regex search over the value's text: the tree of
/// `cidr_text::networks_regex` (built directly by `cidr_hir`) printed by [`portable`],
/// remembered per network list (`regex_memo`).
pub fn portable_networks(networks: &[vigil_ir::Network]) -> Result<String, Refusal> {
    crate::regex_memo::remembered_networks(Flavour::Portable, networks, || portable(&crate::cidr_hir::networks_hir(networks)))
}

/// A regex searching as `hir` does, in the syntax RE2, PCRE and Java share.
pub fn portable(hir: &Hir) -> Result<String, Refusal> {
    let mut out = String::new();
    portable_into(hir, &mut out)?;
    Ok(out)
}

/// [`portable`] written into `out` (one buffer for the whole tree: CIDR trees have tens of
/// thousands of nodes).
fn portable_into(hir: &Hir, out: &mut String) -> Result<(), Refusal> {
    match hir.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(lit) => text_of(&lit.0)?.chars().for_each(|c| push_portable_char(out, c)),
        HirKind::Class(Class::Unicode(class)) => match class.ranges() {
            [] => return Err(Refusal::new(Construct::Regex, "an empty character class (matches nothing) has no portable spelling")),
            [r] if r.start() == '\0' && r.end() == '\u{10FFFF}' => out.push_str("(?s:.)"),
            [r] if r.start() == r.end() => push_portable_char(out, r.start()),
            ranges => {
                out.push('[');
                for r in ranges {
                    push_portable_char(out, r.start());
                    if r.start() != r.end() {
                        out.push('-');
                        push_portable_char(out, r.end());
                    }
                }
                out.push(']');
            }
        },
        HirKind::Class(Class::Bytes(_)) => return Err(Refusal::new(Construct::Regex, "a byte-oriented class (`(?-u)`) has no portable spelling")),
        HirKind::Look(Look::Start) => out.push('^'),
        HirKind::Look(Look::End) => out.push_str("\\z"),
        HirKind::Look(look) => return Err(anchor_refusal(*look, "RE2, PCRE and Java disagree on it")),
        HirKind::Repetition(rep) => {
            if rep.min > MAX_REPEAT || rep.max.is_some_and(|m| m > MAX_REPEAT) {
                return Err(Refusal::new(Construct::Regex, format!("a repetition over {MAX_REPEAT} times has no portable spelling (RE2's limit)")));
            }
            let group = !is_one_atom(&rep.sub);
            if group {
                out.push_str("(?:");
            }
            portable_into(&rep.sub, out)?;
            if group {
                out.push(')');
            }
            out.push_str(&quantifier(rep.min, rep.max));
        }
        HirKind::Capture(c) => {
            out.push_str("(?:");
            portable_into(&c.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(items) => {
            for item in items {
                portable_into(item, out)?;
            }
        }
        HirKind::Alternation(branches) => {
            out.push_str("(?:");
            for (index, branch) in branches.iter().enumerate() {
                if index > 0 {
                    out.push('|');
                }
                portable_into(branch, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

fn text_of(bytes: &[u8]) -> Result<&str, Refusal> {
    std::str::from_utf8(bytes).map_err(|_| Refusal::new(Construct::Regex, "a literal that is not UTF-8 text (`(?-u)`) has no spelling in this target"))
}

/// `text` in a group when it is more than one atom (a repetition applies to one atom).
fn group_if_needed(sub: &Hir, text: String, open: &str, close: &str) -> String {
    if is_one_atom(sub) {
        text
    } else {
        format!("{open}{text}{close}")
    }
}

fn quantifier(min: u32, max: Option<u32>) -> String {
    match (min, max) {
        (0, None) => "*".to_string(),
        (1, None) => "+".to_string(),
        (0, Some(1)) => "?".to_string(),
        (m, None) => format!("{{{m},}}"),
        (m, Some(n)) if m == n => format!("{{{m}}}"),
        (m, Some(n)) => format!("{{{m},{n}}}"),
    }
}

fn anchor_refusal(look: Look, why: &str) -> Refusal {
    Refusal::new(Construct::Regex, format!("the regex assertion `{}` has no exact spelling here: {why}", look_name(look)))
        .with_hint("rewrite the regex without word boundaries or line anchors, or with `^`/`$` only at its ends")
}

fn look_name(look: Look) -> &'static str {
    match look {
        Look::Start => "^",
        Look::End => "$",
        Look::StartLF | Look::StartCRLF => "(?m)^",
        Look::EndLF | Look::EndCRLF => "(?m)$",
        Look::WordAscii | Look::WordUnicode => "\\b",
        Look::WordAsciiNegate | Look::WordUnicodeNegate => "\\B",
        _ => "\\b{start}/\\b{end}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(source: &str, ci: bool) -> Hir {
        regex_hir(&RegexPattern { source: source.into(), case_insensitive: ci, multi_line: false, dot_matches_new_line: false }).unwrap()
    }

    fn portable_of(source: &str, case_insensitive: bool) -> Result<String, Refusal> {
        portable_regex(&RegexPattern { source: source.into(), case_insensitive, multi_line: false, dot_matches_new_line: false })
    }

    #[test]
    fn portable_regexes_spell_classes_out_and_refuse_what_engines_read_differently() {
        assert_eq!(portable_of(r"^a\.b+$", false).unwrap(), r"^a\.b+\z");
        assert_eq!(portable_of(r"(?i)k", false).unwrap(), r"[Kk\x{212A}]");
        assert_eq!(portable_of(r"k", true).unwrap(), r"[Kk\x{212A}]");
        assert_eq!(portable_of(r"a.c", false).unwrap(), r"a[\x{0}-\x{9}\x{B}-\x{10FFFF}]c");
        assert_eq!(portable_of(r"(ab|cd){2,3}x", false).unwrap(), r"(?:(?:ab|cd)){2,3}x");
        assert!(portable_of(r"\s", false).unwrap().contains(r"\x{3000}"), "Unicode white space");
        assert!(portable_of(r"\d", false).unwrap().contains(r"\x{660}-\x{669}"), "Unicode digits");
        for bad in [r"\bcmd\b", r"(?m)^a", r"a{1001}", r"[^\x00-\x{10FFFF}]", r"(?-u)\xFF"] {
            assert!(portable_of(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn lucene_matches_whole_values_and_drops_the_run_an_anchor_fixes() {
        assert_eq!(lucene(&re("a.c", false)).unwrap(), ".*a[\0-\t\u{b}-\u{10FFFF}]c.*");
        assert_eq!(lucene(&re("^ab$", false)).unwrap(), "ab");
        assert_eq!(lucene(&re("^a|b$", false)).unwrap(), "(a.*)|(.*b)");
        assert_eq!(lucene(&re(r"\.exe$", true)).unwrap(), r".*\.[Ee][Xx][Ee]");
        assert_eq!(lucene(&re("(ab)+x{2,3}", false)).unwrap(), ".*(ab)+x{2,3}.*");
        assert!(lucene(&re(r"a\bb", false)).is_err());
        assert!(lucene(&re("a(^b)", false)).is_err());
        // An anchor in a leading or trailing alternation: the rest distributed over it.
        assert_eq!(lucene(&re(r"(^|/)\.x", false)).unwrap(), r"(\.x.*)|(.*\/\.x.*)");
        assert_eq!(lucene(&re(r"a(b|$)", false)).unwrap(), r"(.*ab.*)|(.*a)");
    }

    #[test]
    fn portable_regexes_read_back_to_the_same_matches() {
        let cases = ["a.c", r"(?i)cmd\.exe", r"^\d{2,}[a-f]?$", "x|^y", r"\s+-enc\w*", "é|ς"];
        let samples = ["abc", "a\nc", "CMD.EXE", "12", "123f", "1", "zx", "yz", " -Enc", "-enc", "Σ", "É", "ς"];
        for source in cases {
            let printed = portable(&re(source, false)).unwrap();
            let (a, b) = (regex::Regex::new(source).unwrap(), regex::Regex::new(&printed).unwrap());
            for s in samples {
                assert_eq!(a.is_match(s), b.is_match(s), "{source} → {printed} on {s:?}");
            }
        }
        assert_eq!(portable(&re("a$", false)).unwrap(), r"a\z");
        assert!(portable(&re("(?m)^a", false)).is_err());
    }

    #[test]
    fn lucene_distributes_an_alternation_of_anchored_branches() {
        assert!(lucene(&re("a(^|b)c", false)).is_err(), "an anchor inside stays refused");
        // The distributed form reads back (anchored, as Lucene matches) as the search does.
        for source in [r"(^|/)\.[a-z]", r"x(/|$)", r"(^|[ab])c($|d)"] {
            let printed = lucene(&re(source, false)).unwrap();
            let (search, whole) = (regex::Regex::new(source).unwrap(), regex::Regex::new(&format!("^(?s:{printed})$")).unwrap());
            for s in [".x", "a/.b", "/.b", "a.b", "x", "x/", "yx/z", "xa", "c", "ac", "bcd", "cd", "ce", "zc"] {
                assert_eq!(search.is_match(s), whole.is_match(s), "{source} → {printed} on {s:?}");
            }
        }
    }

    #[test]
    fn string_patterns_build_the_tree_the_parser_gives_for_their_regex() {
        let parsed = |source: &str| regex_syntax::ParserBuilder::new().build().parse(source).unwrap();
        let cases = [
            (r"C:\\*.e?e", StrOp::Equals, false, r"(?s)^C:\\.*\.e.e$"),
            ("cmd", StrOp::Contains, true, "(?s)[cC][mM][dD]"),
            ("K*", StrOp::StartsWith, true, "(?s)^[kK\u{212A}].*"),
            ("Ab", StrOp::EndsWith, true, "(?s)[aA][bB]$"),
            ("mi*", StrOp::Equals, true, "(?s)^[mM](?:[iI]|\u{130}).*$"),
            ("mi?x", StrOp::Contains, true, "(?s)[mM](?:[iI].|\u{130})[xX]"),
            ("wmi", StrOp::Contains, true, "(?s)[wW][mM](?:[iI]|\u{130})"),
            ("wmi", StrOp::EndsWith, true, "(?s)[wW][mM][iI]$"),
            ("", StrOp::Equals, true, "(?s)^$"),
            ("*", StrOp::Contains, false, "(?s).*"),
            ("1+2", StrOp::Contains, true, r"(?s)1\+2"),
            ("é", StrOp::Equals, true, "(?s)^[éÉ]$"),
        ];
        for (value, op, ci, source) in cases {
            let built = pattern_hir(&StrPattern::parse_wildcards(value), op, ci).unwrap();
            assert_eq!(built, parsed(source), "{value:?} {op:?} case-insensitive {ci}");
        }
    }

    #[test]
    fn string_patterns_fold_case_and_anchor_by_operator() {
        let p = StrPattern::parse_wildcards(r"C:\\*.e?e");
        assert_eq!(lucene(&pattern_hir(&p, StrOp::Equals, false).unwrap()).unwrap(), r"C\:\\.*\.e.e");
        assert_eq!(lucene(&pattern_hir(&p, StrOp::EndsWith, true).unwrap()).unwrap(), r".*[Cc]\:\\.*\.[Ee].[Ee]");
        assert_eq!(portable(&pattern_hir(&p, StrOp::Contains, false).unwrap()).unwrap(), r"C\:\\(?s:.)*\.e(?s:.)e");
    }
}
