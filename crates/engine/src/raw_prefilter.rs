//! The raw-byte prefilter: which JSON records can be left unparsed because no rule can match
//! them, decided from their bytes alone.
//!
//! Like the candidate index ([`crate::prefilter`]), it derives from each rule groups of
//! needles an event must carry (one needle of every group, in the value of some field; here
//! a pattern's longest literal piece, and every `and` operand's group). A value's text is in
//! its record's raw bytes, JSON-escaped; so when every rule of a program has such groups, a
//! record whose raw bytes lack some group of every rule cannot alert, and is not parsed at
//! all. Needles are searched ASCII-case-insensitively, each in its JSON-escaped form and as
//! written (a composite value's text is raw JSON).
//!
//! Per chunk, the records are ASCII-lower-cased once into a scratch copy (the needles are
//! lower case, so every search is a plain one with SIMD prefilters). The first records are
//! scanned for every needle (overlapping Aho-Corasick), which shows how often each group
//! hits; for the rest, each rule's two rarest groups are its anchors: each anchor group is
//! searched once over the whole chunk (needle by needle with `memchr::memmem`, or one
//! leftmost automaton when it has many needles), marking the records it touches, and a record
//! is kept when it holds every anchor of some rule. Requiring only some of a rule's groups
//! keeps a few records that the full set would skip, never fewer.
//!
//! It is exactly sound, never only probably: a record goes to the full parse whenever its
//! bytes might spell a value differently from the needle's escaped form:
//! - a record with a non-ASCII byte (Unicode lower-casing can turn a non-ASCII letter into an
//!   ASCII one, as the Kelvin sign into `k`), or with a `\u` or `\/` escape;
//! - a record that is not one well-formed JSON object (checked by [`crate::raw_json`], a
//!   validator that builds nothing), so bad records are still parsed, reported and counted;
//! - needles with non-ASCII letters are left out of the scan (only a non-ASCII record, which
//!   is parsed anyway, can hold them); a group with a needle that might not be in the raw text
//!   at all (a control character, or only digits, `.` and `-`, which a number's canonical
//!   text can hold while its JSON text is `4.688e3`) is not used.
//!
//! A program with a rule that has no usable group (a pure negation, a numeric compare, an
//! existence test, a computed expression) has no raw prefilter. When most records of the
//! start of a chunk pass (or too many anchors are needed), the rest of the chunk is not
//! anchored: every record is parsed, or scanned in full.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use vigil_ir::{Expr, RuleBody, Test};

use crate::program::CompiledRule;
use crate::selectivity::Need;

/// The most groups of one rule the scan requires together (bits of a `u8`).
pub const RAW_GROUPS: usize = 8;

/// Records of a chunk scanned in full before anchors are chosen.
const PROBE_RECORDS: usize = 256;

/// The most anchor groups searched one after the other; with more, the rest of a chunk is
/// scanned in full.
const MAX_ANCHORS: usize = 8;

/// The raw-byte prefilter of a program (see the module documentation).
#[derive(Debug)]
pub struct RawPrefilter {
    /// Every needle; `None` when there is none (no plain record can match).
    automaton: Option<AhoCorasick>,
    /// Per needle: the groups it belongs to.
    pattern_groups: Vec<Vec<u32>>,
    /// Per group: the (rule, bit) pairs it serves, and its own automaton (leftmost-first;
    /// `None` when it has no needle a plain record can hold).
    groups: Vec<Group>,
    /// Per rule: its groups (the group at position `i` is bit `i`).
    rule_groups: Vec<Vec<u32>>,
    /// Per rule: the bit mask of its groups.
    full: Vec<u8>,
}

#[derive(Debug)]
struct Group {
    rules: Vec<(u32, u8)>,
    search: Option<Search>,
}

/// How one group is searched for over a whole chunk.
#[derive(Debug)]
enum Search {
    /// Few needles: each on its own (SIMD substring search).
    Needles(Vec<memchr::memmem::Finder<'static>>),
    /// Many: one leftmost automaton.
    Automaton(AhoCorasick),
}

/// Groups with at most this many needles are searched needle by needle.
const FINDER_NEEDLES: usize = 4;

/// The groups of one rule that the anchor search requires (the rarest in the probe).
const RULE_ANCHORS: usize = 2;

/// Reusable per-thread state for [`RawPrefilter::select`].
#[derive(Debug, Default)]
pub struct RawScratch {
    /// Per rule: the groups hit in the current record.
    hits: Vec<u8>,
    touched: Vec<u32>,
    /// Per group: hit in the current record; and in how many probed records.
    group_hit: Vec<bool>,
    groups_touched: Vec<u32>,
    group_count: Vec<u32>,
    /// Per record: the anchor groups it holds (bit `i`: the `i`-th anchor group).
    candidate: Vec<u8>,
    /// The chunk's records, ASCII-lower-cased.
    lower: Vec<u8>,
    /// Per record of the last chunk: true when it must be parsed.
    pub keep: Vec<bool>,
}

/// A chunk's records ASCII-lower-cased: `bytes` starts at offset `base` of the chunk.
struct Lowered<'a> {
    bytes: &'a [u8],
    base: usize,
}

/// What a needle becomes in the raw scan.
enum RawNeedle {
    /// The byte strings to search for (JSON-escaped, and as written when that differs).
    Bytes(Vec<Vec<u8>>),
    /// Left out: it has non-ASCII letters, so only a non-ASCII record can hold it.
    NonAscii,
    /// It may be in a matching record without being in its raw text: the group is unusable.
    Unusable,
}

fn raw_needle(needle: &str) -> RawNeedle {
    if needle.is_empty() || needle.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return RawNeedle::Unusable;
    }
    if !needle.is_ascii() {
        return RawNeedle::NonAscii;
    }
    let mut escaped = Vec::with_capacity(needle.len() + 4);
    for b in needle.bytes() {
        match b {
            b'"' | b'\\' => escaped.extend_from_slice(&[b'\\', b]),
            0..=0x1f | 0x7f => return RawNeedle::Unusable,
            _ => escaped.push(b),
        }
    }
    // Searched in ASCII-lower-cased text.
    escaped.make_ascii_lowercase();
    let plain = needle.to_ascii_lowercase().into_bytes();
    RawNeedle::Bytes(if plain == escaped { vec![plain] } else { vec![escaped, plain] })
}

/// What `expr` requires of the raw text, as the candidate index's [`Need`] tree (slots
/// unused): a string pattern needs its longest literal piece (lower-cased), a regex the
/// literals the index derives for it; anything else nothing.
fn need_of(expr: &Expr) -> Need {
    match expr {
        Expr::And(items) => Need::And(items.iter().map(need_of).collect()),
        Expr::Or(items) => Need::Or(items.iter().map(need_of).collect()),
        Expr::Named { expr, .. } => need_of(expr),
        Expr::Const(false) => Need::Never,
        Expr::Not(_) | Expr::Const(true) | Expr::Compute { .. } => Need::Any,
        Expr::Pred(p) => match &p.test {
            Test::Str { patterns, .. } => {
                let mut set = Vec::with_capacity(patterns.len());
                for pattern in patterns {
                    let Some(lit) = pattern.longest_literal() else { return Need::Any };
                    set.push((0, crate::prefilter::Place::Anywhere, lit.to_lowercase().into()));
                }
                Need::Group(set)
            }
            Test::Regex { patterns } => crate::prefilter::regex_witnesses(0, patterns).map_or(Need::Any, Need::Group),
            _ => Need::Any,
        },
    }
}

/// Sets `bit` in `held` for every record from `first` on that a match of `find` touches;
/// `find(at)` is the next match at or after offset `at` of the lowered text (offsets in it),
/// and the search starts at `from`. Matches come in order; once a record holds a match, the
/// rest of it needs no search.
fn mark_records(
    text: &Lowered<'_>,
    spans: &[(usize, usize)],
    first: usize,
    from: usize,
    bit: u8,
    held: &mut [u8],
    mut find: impl FnMut(usize) -> Option<(usize, usize)>,
) {
    let (mut at, mut record) = (from, first);
    while at < text.bytes.len() {
        let Some((m_start, m_end)) = find(at) else { break };
        let (start, end) = (text.base + m_start, text.base + m_end);
        while spans.get(record).is_some_and(|&(_, e)| e <= start) {
            record += 1;
        }
        // Every record the match touches (a needle never spans records in NDJSON).
        let mut next = m_start + 1;
        let mut touched = record;
        while let Some(&(s, e)) = spans.get(touched) {
            if s >= end {
                break;
            }
            if let Some(h) = held.get_mut(touched) {
                *h |= bit;
            }
            next = next.max(e - text.base);
            touched += 1;
        }
        at = next;
    }
}

/// The groups `need` requires together: every operand's of an `and`, and for an `or` one
/// group of each operand (its longest shortest needle), united. `None` when it may hold
/// without any.
fn raw_groups(need: &Need) -> Option<Vec<Vec<crate::prefilter::Witness>>> {
    match need {
        Need::Any => None,
        Need::Never => Some(vec![Vec::new()]),
        Need::Group(set) => Some(vec![set.clone()]),
        Need::And(items) => {
            let groups: Vec<_> = items.iter().filter_map(raw_groups).flatten().collect();
            (!groups.is_empty()).then_some(groups)
        }
        Need::Or(items) => {
            let mut union = Vec::new();
            for item in items {
                let groups = raw_groups(item)?;
                let best = groups.into_iter().max_by_key(|g| g.iter().map(|w| w.2.len()).min().unwrap_or(usize::MAX))?;
                union.extend(best);
            }
            Some(vec![union])
        }
    }
}

fn automaton(patterns: &[Vec<u8>], kind: MatchKind) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    let dfa = if patterns.len() <= 300 { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
    AhoCorasick::builder().match_kind(kind).kind(Some(dfa)).build(patterns).ok()
}

impl RawPrefilter {
    /// The prefilter of a program's rules; `None` when some rule has no usable group (then
    /// every record must be parsed).
    pub fn build(rules: &[CompiledRule]) -> Option<RawPrefilter> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut ids: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut pattern_groups: Vec<Vec<u32>> = Vec::new();
        let mut group_ids: HashMap<Vec<Vec<u8>>, u32> = HashMap::new();
        let mut group_needles: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut rule_groups = Vec::with_capacity(rules.len());
        let mut full = vec![0u8; rules.len()];
        for (rule, compiled) in rules.iter().enumerate() {
            let RuleBody::Detection(expr) = &compiled.rule.body else { return None };
            let mut mine = Vec::new();
            for set in raw_groups(&need_of(expr))? {
                let mut needles = Vec::with_capacity(set.len());
                let mut usable = true;
                for (_, _, needle) in &set {
                    match raw_needle(needle) {
                        RawNeedle::Bytes(bytes) => needles.extend(bytes),
                        RawNeedle::NonAscii => {}
                        RawNeedle::Unusable => usable = false,
                    }
                }
                if !usable || mine.len() >= RAW_GROUPS {
                    continue;
                }
                needles.sort_unstable();
                needles.dedup();
                let bit = mine.len() as u8;
                let g = *group_ids.entry(needles.clone()).or_insert_with(|| {
                    group_needles.push(needles);
                    groups.push(Group { rules: Vec::new(), search: None });
                    groups.len() as u32 - 1
                });
                mine.push(g);
                if let Some(mask) = full.get_mut(rule) {
                    *mask |= 1 << bit;
                }
                if let Some(group) = groups.get_mut(g as usize) {
                    group.rules.push((rule as u32, bit));
                }
            }
            if mine.is_empty() {
                return None;
            }
            rule_groups.push(mine);
        }
        for (g, needles) in group_needles.iter().enumerate() {
            for bytes in needles {
                let id = *ids.entry(bytes.clone()).or_insert_with(|| {
                    patterns.push(bytes.clone());
                    pattern_groups.push(Vec::new());
                    patterns.len() - 1
                });
                if let Some(list) = pattern_groups.get_mut(id) {
                    list.push(g as u32);
                }
            }
            if let Some(group) = groups.get_mut(g) {
                group.search = if needles.len() <= FINDER_NEEDLES {
                    Some(Search::Needles(needles.iter().map(|n| memchr::memmem::Finder::new(n).into_owned()).collect()))
                } else {
                    automaton(needles, MatchKind::LeftmostFirst).map(Search::Automaton)
                };
            }
        }
        Some(RawPrefilter { automaton: automaton(&patterns, MatchKind::Standard), pattern_groups, groups, rule_groups, full })
    }

    /// The number of distinct needles scanned for.
    pub fn needle_count(&self) -> usize {
        self.pattern_groups.len()
    }

    /// Decides, for each record (`spans`: start and end offsets in `data`, in order), whether
    /// it must be parsed; the answer is in `scratch.keep`, one entry per record.
    pub fn select(&self, data: &[u8], spans: &[(usize, usize)], scratch: &mut RawScratch) {
        scratch.keep.clear();
        scratch.keep.resize(spans.len(), false);
        scratch.hits.resize(self.full.len().max(scratch.hits.len()), 0);
        scratch.group_hit.resize(self.groups.len().max(scratch.group_hit.len()), false);
        scratch.group_count.clear();
        scratch.group_count.resize(self.groups.len(), 0);
        let (Some(&(lo, _)), Some(&(_, hi))) = (spans.first(), spans.last()) else { return };
        // The records' bytes, ASCII-lower-cased once: the needles are lower case, so every
        // search below is a plain (SIMD-prefiltered) one.
        let mut lower = std::mem::take(&mut scratch.lower);
        lower.clear();
        lower.extend(data.get(lo..hi).unwrap_or(&[]).iter().map(u8::to_ascii_lowercase));
        let text = Lowered { bytes: &lower, base: lo };
        self.mark_unplain(data, spans, scratch);
        self.select_lowered(&text, spans, scratch);
        self.keep_malformed(data, spans, scratch);
        scratch.lower = lower;
    }

    fn select_lowered(&self, text: &Lowered<'_>, spans: &[(usize, usize)], scratch: &mut RawScratch) {
        let probe = spans.len().min(PROBE_RECORDS);
        for i in 0..probe {
            self.scan_record(text, spans, i, true, scratch);
        }
        if probe == spans.len() {
            return;
        }
        // Each rule's rarest groups in the probe are its anchors: a record that lacks one
        // of them cannot match the rule. (Requiring only some of a rule's groups keeps more
        // records than needed, never fewer.)
        let mut anchors: Vec<u32> = Vec::new();
        let mut masks: Vec<u8> = Vec::with_capacity(self.rule_groups.len());
        let count = |g: &u32| scratch.group_count.get(*g as usize).copied().unwrap_or(0) as usize;
        for mine in &self.rule_groups {
            let mut rarest: Vec<u32> = mine.clone();
            rarest.sort_by_key(count);
            if rarest.first().is_none_or(|g| count(g) * 2 > probe) {
                // This rule passes most records: parse them all.
                scratch.keep.iter_mut().skip(probe).for_each(|k| *k = true);
                return;
            }
            let mut mask = 0u8;
            for g in rarest.into_iter().take(RULE_ANCHORS).filter(|g| count(g) * 2 <= probe) {
                let bit = anchors.iter().position(|&a| a == g).unwrap_or_else(|| {
                    anchors.push(g);
                    anchors.len() - 1
                });
                mask |= 1u8.checked_shl(bit as u32).unwrap_or(0);
            }
            masks.push(mask);
        }
        if anchors.len() > MAX_ANCHORS || masks.contains(&0) {
            for i in probe..spans.len() {
                self.scan_record(text, spans, i, false, scratch);
            }
            return;
        }
        scratch.candidate.clear();
        scratch.candidate.resize(spans.len(), 0);
        let Some(&(from, _)) = spans.get(probe) else { return };
        let from = from - text.base;
        for (bit, &g) in anchors.iter().enumerate() {
            match self.groups.get(g as usize).and_then(|g| g.search.as_ref()) {
                Some(Search::Needles(finders)) => {
                    for finder in finders {
                        mark_records(text, spans, probe, from, 1 << bit, &mut scratch.candidate, |at| {
                            let hay = text.bytes.get(at..).unwrap_or(&[]);
                            finder.find(hay).map(|p| (at + p, at + p + finder.needle().len()))
                        });
                    }
                }
                Some(Search::Automaton(automaton)) => {
                    mark_records(text, spans, probe, from, 1 << bit, &mut scratch.candidate, |at| {
                        automaton.find(aho_corasick::Input::new(text.bytes).range(at..)).map(|m| (m.start(), m.end()))
                    });
                }
                None => {}
            }
        }
        for i in probe..spans.len() {
            let held = scratch.candidate.get(i).copied().unwrap_or(0);
            if held != 0 && masks.iter().any(|&m| m & !held == 0) {
                if let Some(k) = scratch.keep.get_mut(i) {
                    *k = true;
                }
            }
        }
    }

    /// Keeps the records to be skipped that are not well-formed: the parser reports them.
    fn keep_malformed(&self, data: &[u8], spans: &[(usize, usize)], scratch: &mut RawScratch) {
        for (keep, &(start, end)) in scratch.keep.iter_mut().zip(spans) {
            if !*keep && !data.get(start..end).is_some_and(crate::raw_json::well_formed) {
                *keep = true;
            }
        }
    }

    /// Keeps the records that might spell a needle otherwise (non-ASCII bytes, `\u` or `\/`
    /// escapes) or that are not plainly one JSON object.
    fn mark_unplain(&self, data: &[u8], spans: &[(usize, usize)], scratch: &mut RawScratch) {
        let (Some(&(lo, _)), Some(&(_, hi))) = (spans.first(), spans.last()) else { return };
        let Some(region) = data.get(lo..hi) else {
            scratch.keep.iter_mut().for_each(|k| *k = true);
            return;
        };
        let ascii = region.is_ascii();
        for (i, &(start, end)) in spans.iter().enumerate() {
            let record = data.get(start..end).unwrap_or(&[]);
            if !(ascii || record.is_ascii()) {
                if let Some(k) = scratch.keep.get_mut(i) {
                    *k = true;
                }
            }
        }
        let mut after = 0usize;
        for p in memchr::memchr_iter(b'\\', region) {
            if p < after {
                continue;
            }
            after = p + 2;
            if matches!(region.get(p + 1), Some(b'u' | b'/')) {
                let i = spans.partition_point(|&(start, _)| start <= lo + p).saturating_sub(1);
                if let Some(k) = scratch.keep.get_mut(i) {
                    *k = true;
                }
            }
        }
    }

    /// Scans record `i` for every needle; keeps it when some rule has all its groups;
    /// with `count`, counts the groups it hits.
    fn scan_record(&self, text: &Lowered<'_>, spans: &[(usize, usize)], i: usize, count: bool, scratch: &mut RawScratch) {
        if scratch.keep.get(i) == Some(&true) && !count {
            return;
        }
        let Some(record) = spans.get(i).and_then(|&(start, end)| text.bytes.get(start - text.base..end - text.base)) else { return };
        let Some(automaton) = &self.automaton else { return };
        let mut pass = false;
        let mut state = aho_corasick::automaton::OverlappingState::start();
        let input = aho_corasick::Input::new(record);
        loop {
            automaton.find_overlapping(input.clone(), &mut state);
            let Some(m) = state.get_match() else { break };
            for &g in self.pattern_groups.get(m.pattern().as_usize()).map_or(&[][..], Vec::as_slice) {
                let Some(seen) = scratch.group_hit.get_mut(g as usize) else { continue };
                if *seen {
                    continue;
                }
                *seen = true;
                scratch.groups_touched.push(g);
                for &(rule, bit) in self.groups.get(g as usize).map_or(&[][..], |g| g.rules.as_slice()) {
                    let Some(h) = scratch.hits.get_mut(rule as usize) else { continue };
                    if *h == 0 {
                        scratch.touched.push(rule);
                    }
                    *h |= 1 << bit;
                    pass |= self.full.get(rule as usize) == Some(h);
                }
            }
            if pass && !count {
                break;
            }
        }
        if pass {
            if let Some(k) = scratch.keep.get_mut(i) {
                *k = true;
            }
        }
        for &r in &scratch.touched {
            if let Some(h) = scratch.hits.get_mut(r as usize) {
                *h = 0;
            }
        }
        scratch.touched.clear();
        for &g in &scratch.groups_touched {
            if let Some(seen) = scratch.group_hit.get_mut(g as usize) {
                *seen = false;
            }
            if count {
                if let Some(c) = scratch.group_count.get_mut(g as usize) {
                    *c += 1;
                }
            }
        }
        scratch.groups_touched.clear();
    }
}
