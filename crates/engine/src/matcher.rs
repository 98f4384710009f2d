//! String matchers: each pattern compiled to the cheapest strategy that decides it.
//!
//! Like globset, patterns are sorted into exact, prefix, suffix and substring sets, with a
//! segment matcher for `*` globs and a `?` matcher (`glob`) for the rest. A predicate with many substrings
//! gets one Aho-Corasick automaton instead of one scan per needle.

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;
use rustc_hash::FxHashSet;

use crate::automatons::{Automatons, Needles};
use crate::glob::Glob;
use vigil_ir::{Case, Piece, StrOp, StrPattern};

/// The most substring needles checked one by one before an automaton is built.
const AUTOMATON_THRESHOLD: usize = 6;

/// The most prefixes (or suffixes) compared one by one before they are hashed by length.
const ENDS_THRESHOLD: usize = 8;

/// Prefixes or suffixes of one set: compared one by one when few, else one hash lookup of
/// the value's first (last) `n` bytes per distinct needle length `n` (long `endswith` lists
/// of tool names share a handful of lengths).
#[derive(Debug, Default)]
struct Ends {
    at_start: bool,
    few: Vec<Box<str>>,
    by_length: Vec<(usize, FxHashSet<Box<[u8]>>)>,
}

impl Ends {
    fn new(at_start: bool, needles: Vec<Box<str>>) -> Ends {
        if needles.len() <= ENDS_THRESHOLD {
            return Ends { at_start, few: needles, by_length: Vec::new() };
        }
        let mut by_length: Vec<(usize, FxHashSet<Box<[u8]>>)> = Vec::new();
        for needle in needles {
            let n = needle.len();
            let bytes = Box::<[u8]>::from(needle.as_bytes());
            match by_length.iter_mut().find(|(len, _)| *len == n) {
                Some((_, set)) => {
                    set.insert(bytes);
                }
                None => by_length.push((n, std::iter::once(bytes).collect())),
            }
        }
        by_length.sort_by_key(|(n, _)| *n);
        Ends { at_start, few: Vec::new(), by_length }
    }

    fn matches(&self, text: &str) -> bool {
        if self.at_start {
            if self.few.iter().any(|p| text.starts_with(&**p)) {
                return true;
            }
        } else if self.few.iter().any(|s| text.ends_with(&**s)) {
            return true;
        }
        let bytes = text.as_bytes();
        for (n, set) in &self.by_length {
            let Some(start) = bytes.len().checked_sub(*n) else { break };
            let part = if self.at_start { bytes.get(..*n) } else { bytes.get(start..) };
            if part.is_some_and(|p| set.contains(p)) {
                return true;
            }
        }
        false
    }
}

/// A `*`-only glob: the value starts with `first`, ends with `last`, and contains the
/// `middle` parts in order in between.
#[derive(Debug)]
struct Segments {
    first: Box<str>,
    middle: Vec<Finder<'static>>,
    last: Box<str>,
    min_len: usize,
}

impl Segments {
    fn matches(&self, value: &str) -> bool {
        if value.len() < self.min_len || !value.starts_with(&*self.first) || !value.ends_with(&*self.last) {
            return false;
        }
        let bytes = value.as_bytes();
        let mut pos = self.first.len();
        let end = bytes.len() - self.last.len();
        for finder in &self.middle {
            let Some(hay) = bytes.get(pos..end) else { return false };
            match finder.find(hay) {
                Some(i) => pos += i + finder.needle().len(),
                None => return false,
            }
        }
        pos <= end
    }
}

/// The patterns of one string predicate, compiled.
#[derive(Debug, Default)]
pub struct StrSet {
    case_insensitive: bool,
    any: bool,
    /// Whole values; FxHash, as in the candidate index (SipHash dominated these lookups).
    exact: FxHashSet<Box<str>>,
    /// Prefixes and suffixes, when there are any (boxed: most sets have none).
    ends: Option<Box<[Ends; 2]>>,
    substrings: Vec<Finder<'static>>,
    automaton: Option<AhoCorasick>,
    globs: Vec<Segments>,
    /// Globs with `?` (see `glob`).
    wildcards: Vec<Glob>,
}

fn anchored_pieces(pattern: &StrPattern, op: StrOp) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if matches!(op, StrOp::Contains | StrOp::EndsWith) {
        pieces.push(Piece::AnyRun);
    }
    pieces.extend(pattern.pieces().iter().cloned());
    if matches!(op, StrOp::Contains | StrOp::StartsWith) {
        pieces.push(Piece::AnyRun);
    }
    // Merge runs of `*` and drop empty literals.
    let mut out: Vec<Piece> = Vec::new();
    for p in pieces {
        match (&p, out.last()) {
            (Piece::AnyRun, Some(Piece::AnyRun)) => {}
            (Piece::Lit(t), _) if t.is_empty() => {}
            _ => out.push(p),
        }
    }
    out
}

fn fold(text: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        text.to_lowercase()
    } else {
        text.to_string()
    }
}

impl StrSet {
    /// Compiles `patterns` placed by `op` under `case`.
    pub fn new(op: StrOp, case: Case, patterns: &[StrPattern]) -> StrSet {
        StrSet::with_automatons(op, case, patterns, &mut Automatons::default())
    }

    /// The needles of the substring automaton [`StrSet::new`] would build for these
    /// patterns, in its order; `None` when it builds none.
    pub fn automaton_needles(op: StrOp, case: Case, patterns: &[StrPattern]) -> Option<Needles> {
        let ci = case == Case::Insensitive;
        let needles: Needles = patterns
            .iter()
            .filter_map(|pattern| match anchored_pieces(pattern, op).as_slice() {
                [Piece::AnyRun, Piece::Lit(t), Piece::AnyRun] => Some(fold(t, ci).into_bytes().into_boxed_slice()),
                _ => None,
            })
            .collect();
        (needles.len() > AUTOMATON_THRESHOLD).then_some(needles)
    }

    /// [`StrSet::new`], taking its substring automaton from `automatons` (built there once per
    /// distinct needle list).
    pub fn with_automatons(op: StrOp, case: Case, patterns: &[StrPattern], automatons: &mut Automatons) -> StrSet {
        let ci = case == Case::Insensitive;
        let mut set = StrSet { case_insensitive: ci, ..StrSet::default() };
        let (mut prefixes, mut suffixes) = (Vec::new(), Vec::new());
        for pattern in patterns {
            let pieces = anchored_pieces(pattern, op);
            match pieces.as_slice() {
                [] => {
                    set.exact.insert("".into());
                }
                [Piece::AnyRun] => set.any = true,
                [Piece::Lit(t)] => {
                    set.exact.insert(fold(t, ci).into());
                }
                [Piece::Lit(t), Piece::AnyRun] => prefixes.push(fold(t, ci).into()),
                [Piece::AnyRun, Piece::Lit(t)] => suffixes.push(fold(t, ci).into()),
                [Piece::AnyRun, Piece::Lit(t), Piece::AnyRun] => set.substrings.push(Finder::new(fold(t, ci).as_bytes()).into_owned()),
                _ if pieces.iter().all(|p| matches!(p, Piece::Lit(_) | Piece::AnyRun)) => set.globs.push(segments(&pieces, ci)),
                _ => {
                    if let Some(glob) = Glob::new(&pieces, |t| fold(t, ci)) {
                        set.wildcards.push(glob);
                    }
                }
            }
        }
        if !prefixes.is_empty() || !suffixes.is_empty() {
            set.ends = Some(Box::new([Ends::new(true, prefixes), Ends::new(false, suffixes)]));
        }
        if set.substrings.len() > AUTOMATON_THRESHOLD {
            let needles: Needles = set.substrings.iter().map(|f| Box::<[u8]>::from(f.needle())).collect();
            if let Some(ac) = automatons.get(needles) {
                set.automaton = Some(ac);
                set.substrings.clear();
            }
        }
        set
    }

    /// True when `text` (already lower-cased when the set is case-insensitive) matches.
    pub fn matches_folded(&self, text: &str) -> bool {
        if self.any || (!self.exact.is_empty() && self.exact.contains(text)) {
            return true;
        }
        if self.ends.as_ref().is_some_and(|ends| ends.iter().any(|e| e.matches(text))) {
            return true;
        }
        if self.substrings.iter().any(|f| f.find(text.as_bytes()).is_some()) {
            return true;
        }
        if self.automaton.as_ref().is_some_and(|ac| ac.is_match(text)) {
            return true;
        }
        self.globs.iter().any(|g| g.matches(text)) || self.wildcards.iter().any(|g| g.matches(text))
    }

    /// True when the value matches, choosing its folded or original text.
    pub fn matches(&self, text: &str, lower: &str) -> bool {
        self.matches_folded(if self.case_insensitive { lower } else { text })
    }
}

fn segments(pieces: &[Piece], ci: bool) -> Segments {
    let lits: Vec<String> = pieces.iter().filter_map(|p| if let Piece::Lit(t) = p { Some(fold(t, ci)) } else { None }).collect();
    let starts_lit = matches!(pieces.first(), Some(Piece::Lit(_)));
    let ends_lit = matches!(pieces.last(), Some(Piece::Lit(_)));
    let mut lits = lits.into_iter();
    let first = if starts_lit { lits.next().unwrap_or_default() } else { String::new() };
    let mut rest: Vec<String> = lits.collect();
    let last = if ends_lit { rest.pop().unwrap_or_default() } else { String::new() };
    let min_len = first.len() + last.len() + rest.iter().map(String::len).sum::<usize>();
    Segments { first: first.into(), middle: rest.iter().map(|m| Finder::new(m.as_bytes()).into_owned()).collect(), last: last.into(), min_len }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(op: StrOp, case: Case, patterns: &[&str]) -> StrSet {
        let patterns: Vec<StrPattern> = patterns.iter().map(|p| StrPattern::parse_wildcards(p)).collect();
        StrSet::new(op, case, &patterns)
    }

    fn m(s: &StrSet, text: &str) -> bool {
        s.matches(text, &text.to_lowercase())
    }

    #[test]
    fn strategies() {
        let s = set(StrOp::Equals, Case::Insensitive, &[r"C:\Windows\\*\cmd.exe", "a?c", "exact", "pre*", "*suf", "*mid*"]);
        assert!(m(&s, "c:\\windows\\system32\\CMD.EXE"));
        assert!(!m(&s, "c:\\windows\\cmd.exe.bak"));
        assert!(m(&s, "abc") && !m(&s, "abbc"));
        assert!(m(&s, "EXACT") && !m(&s, "exactly"));
        assert!(m(&s, "prefix") && m(&s, "the suf") && m(&s, "a mid b"));
        assert!(!m(&s, "nothing"));
    }

    #[test]
    fn case_sensitive_sets_use_the_original_text() {
        let s = set(StrOp::Contains, Case::Sensitive, &["Foo"]);
        assert!(m(&s, "xFooy"));
        assert!(!m(&s, "xfooy"));
    }

    #[test]
    fn many_substrings_use_an_automaton() {
        let needles: Vec<String> = (0..20).map(|i| format!("needle{i}")).collect();
        let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
        let s = set(StrOp::Contains, Case::Insensitive, &refs);
        assert!(s.automaton.is_some());
        assert!(m(&s, "xx NEEDLE17 yy"));
        assert!(!m(&s, "needle"));
        // The needles announced for prebuilding are the ones the set builds from.
        let patterns: Vec<StrPattern> = refs.iter().map(|p| StrPattern::parse_wildcards(p)).collect();
        let announced = StrSet::automaton_needles(StrOp::Contains, Case::Insensitive, &patterns).unwrap_or_else(|| panic!("announced"));
        assert_eq!(announced.len(), 20);
        let mut automatons = Automatons::default();
        automatons.prebuild(vec![announced], 1);
        let shared = StrSet::with_automatons(StrOp::Contains, Case::Insensitive, &patterns, &mut automatons);
        assert_eq!(automatons.len(), 1, "the prebuilt automaton is reused");
        assert!(m(&shared, "xx NEEDLE17 yy") && !m(&shared, "needle"));
        let few: Vec<StrPattern> = refs.iter().take(6).map(|p| StrPattern::parse_wildcards(p)).collect();
        assert!(StrSet::automaton_needles(StrOp::Contains, Case::Insensitive, &few).is_none());
    }

    #[test]
    fn long_prefix_and_suffix_lists_are_hashed_by_length() {
        let tools: Vec<String> = (0..30).map(|i| format!("\\tool{}.exe", "x".repeat(i % 5))).chain(["\\a.exe".to_string(), "\\ü.exe".to_string()]).collect();
        let refs: Vec<&str> = tools.iter().map(String::as_str).collect();
        let s = set(StrOp::EndsWith, Case::Insensitive, &refs);
        let [_, suffixes] = s.ends.as_deref().unwrap_or_else(|| panic!("suffixes"));
        assert!(suffixes.few.is_empty() && suffixes.by_length.len() > 1);
        assert!(m(&s, "C:\\Temp\\TOOLxx.exe") && m(&s, "\\A.EXE") && m(&s, "c:\\Ü.exe"));
        assert!(!m(&s, "c:\\toolxx.exe.txt") && !m(&s, ".exe") && !m(&s, "c:\\b.exe"));
        let p = set(StrOp::StartsWith, Case::Insensitive, &refs);
        assert!(p.ends.as_deref().is_some_and(|[prefixes, _]| prefixes.few.is_empty()));
        assert!(m(&p, "\\toolxxx.exe -arg") && m(&p, "\\ü.exe") && !m(&p, "x\\tool.exe"));
    }

    #[test]
    fn question_mark_globs_match_whole_values() {
        let s = set(StrOp::Equals, Case::Insensitive, &[r"?:\Windows\System32\\*.exe", "a?c", "x.?", r"?:\Temp\\??.dll"]);
        assert_eq!(s.wildcards.len(), 4);
        assert!(m(&s, r"C:\WINDOWS\system32\cmd.EXE") && m(&s, "abc") && m(&s, "x.y") && m(&s, r"d:\temp\ab.dll"));
        // Each alternative is anchored at both ends, not only the first and the last.
        assert!(!m(&s, "abcd") && !m(&s, "zabc") && !m(&s, "x.yz") && !m(&s, "xay"));
        assert!(!m(&s, r"C:\Windows\System32\cmd.exe.bak") && !m(&s, r"c:\temp\abc.dll"));
        let c = set(StrOp::Contains, Case::Insensitive, &["a?c", "q?q"]);
        assert!(m(&c, "xxABCxx") && m(&c, "q-q") && !m(&c, "ac"));
    }

    #[test]
    fn glob_segments_do_not_overlap() {
        let s = set(StrOp::Equals, Case::Insensitive, &["ab*ba"]);
        assert!(m(&s, "abba") && m(&s, "abxba"));
        assert!(!m(&s, "aba"));
    }
}
