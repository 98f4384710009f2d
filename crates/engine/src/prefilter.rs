//! The candidate index: which rules can possibly match an event, decided by one multi-pattern
//! scan per field instead of evaluating every rule.
//!
//! For each rule we derive a *witness set*: needles (per field, lower-cased, with a place:
//! the whole value, its start, its end, or anywhere) at least one of which every matching
//! event must carry. `and` picks its most selective operand's set, `or` unions its operands'
//! sets, and anything that can hold without a literal (`not`, null tests, a regex without a
//! required literal) has none, so its rule is always evaluated. The index only ever
//! over-approximates: a rule it skips cannot match.
//!
//! Per field, whole values are looked up in a hash map, starts and ends by hashing the first
//! and last few bytes (one lookup per needle length), and only `anywhere` needles need an
//! Aho-Corasick scan. Sigma rules are mostly `endswith` on paths and `contains` on command
//! lines, so most of the work is hash lookups.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use vigil_ir::{Case, Piece, StrOp, StrPattern};

use crate::fields::Slot;
use crate::view::EventView;

/// The longest needle kept per witness.
pub const MAX_NEEDLE: usize = 6;

/// Needle sets up to this size get a full DFA; larger ones a contiguous NFA, whose smaller
/// footprint stays in cache (a DFA over thousands of needles takes megabytes).
const DFA_MAX_NEEDLES: usize = 300;

/// Where a witness needle must sit in the (lower-cased) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// The whole value.
    Exact,
    /// The value starts with it.
    Prefix,
    /// The value ends with it.
    Suffix,
    /// Anywhere in the value.
    Anywhere,
}

/// A witness: a slot, a place and a needle (lower case).
pub type Witness = (Slot, Place, Box<str>);

/// The last `MAX_NEEDLE` bytes of `text`, cut at a character boundary.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(MAX_NEEDLE);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or(text)
}

/// The first `MAX_NEEDLE` bytes of `text`, cut at a character boundary.
fn head(text: &str) -> &str {
    let mut end = text.len().min(MAX_NEEDLE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or(text)
}

fn longest_ascii_run(text: &str) -> &str {
    text.split(|c: char| !c.is_ascii()).max_by_key(|s| s.len()).unwrap_or("")
}

/// The witness of one pattern placed by `op`: the cheapest-to-check required piece.
///
/// Values are compared lower-cased. For case-insensitive patterns evaluation itself compares
/// the lower-cased value with the lower-cased literal, so any part of the lower-cased literal
/// is required. For case-sensitive ones only ASCII lower-cases the same in and out of
/// context, so they get an ASCII substring (and no anchored place unless all-ASCII).
fn pattern_witness(slot: Slot, op: StrOp, case: Case, pattern: &StrPattern) -> Option<Witness> {
    let pieces = pattern.pieces();
    let anchored_start = matches!(op, StrOp::Equals | StrOp::StartsWith);
    let anchored_end = matches!(op, StrOp::Equals | StrOp::EndsWith);
    let usable = |text: &str| case == Case::Insensitive || text.is_ascii();
    if let (true, true, Some(lit)) = (anchored_start, anchored_end, pattern.as_literal()) {
        if usable(&lit) {
            return Some((slot, Place::Exact, lit.to_lowercase().into()));
        }
    }
    if anchored_end {
        if let Some(Piece::Lit(last)) = pieces.last() {
            let lower = last.to_lowercase();
            if usable(last) && !lower.is_empty() {
                return Some((slot, Place::Suffix, tail(&lower).into()));
            }
        }
    }
    if anchored_start {
        if let Some(Piece::Lit(first)) = pieces.first() {
            let lower = first.to_lowercase();
            if usable(first) && !lower.is_empty() {
                return Some((slot, Place::Prefix, head(&lower).into()));
            }
        }
    }
    let lower = pattern.longest_literal()?.to_lowercase();
    let needle = match case {
        Case::Insensitive => tail(&lower),
        Case::Sensitive => tail(longest_ascii_run(&lower)),
    };
    (!needle.is_empty()).then(|| (slot, Place::Anywhere, needle.into()))
}

/// The witness set of one pattern list: one witness per pattern. `None` when some pattern
/// has no literal (then anything may match).
pub fn string_witnesses(slot: Slot, op: StrOp, case: Case, patterns: &[StrPattern]) -> Option<Vec<Witness>> {
    patterns.iter().map(|p| pattern_witness(slot, op, case, p)).collect()
}

/// The witness set of a regex list: literals one of which every match contains (from the
/// regex's required prefixes or suffixes), lower-cased. `None` when a regex has none.
pub fn regex_witnesses(slot: Slot, patterns: &[vigil_ir::RegexPattern]) -> Option<Vec<Witness>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut out = Vec::new();
    for pattern in patterns {
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(pattern.case_insensitive)
            .multi_line(pattern.multi_line)
            .dot_matches_new_line(pattern.dot_matches_new_line)
            .build()
            .parse(&pattern.source)
            .ok()?;
        let mut found = None;
        for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
            let mut extractor = Extractor::new();
            extractor.kind(kind).limit_total(64);
            let seq = extractor.extract(&hir);
            let Some(literals) = seq.literals() else { continue };
            let mut needles = Vec::new();
            for lit in literals {
                let text = std::str::from_utf8(lit.as_bytes()).ok()?.to_lowercase();
                let ascii = longest_ascii_run(&text);
                if ascii.is_empty() {
                    needles.clear();
                    break;
                }
                needles.push((slot, Place::Anywhere, Box::<str>::from(tail(ascii))));
            }
            if !needles.is_empty() {
                found = Some(needles);
                break;
            }
        }
        out.extend(found?);
    }
    Some(out)
}

/// A small multiplicative hasher (FxHash): keys here are short and not attacker-chosen in a
/// way that matters (a collision only costs time), and SipHash would dominate lookups.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The rules of each (place, needle) of one slot, while the index is built.
type NeedleRules = HashMap<(Place, Box<str>), Vec<u32>>;

/// Picks the more selective of two witness sets: the one whose shortest needle is longest,
/// then the one with fewer needles.
pub fn better(a: Vec<Witness>, b: Vec<Witness>) -> Vec<Witness> {
    let score = |w: &Vec<Witness>| (w.iter().map(|(_, _, n)| n.len()).min().unwrap_or(usize::MAX), std::cmp::Reverse(w.len()));
    if score(&b) > score(&a) {
        b
    } else {
        a
    }
}

/// Anchored needles of one place, keyed by needle; lookups try each length present.
#[derive(Default)]
struct Anchored {
    map: FxMap<Box<str>, Vec<u32>>,
    lengths: Vec<usize>,
}

impl Anchored {
    fn insert(&mut self, needle: Box<str>, rules: Vec<u32>) {
        if !self.lengths.contains(&needle.len()) {
            self.lengths.push(needle.len());
        }
        self.map.insert(needle, rules);
    }
}

struct SlotIndex {
    slot: Slot,
    exact: FxMap<Box<str>, Vec<u32>>,
    prefix: Anchored,
    suffix: Anchored,
    anywhere: Option<(AhoCorasick, Vec<Vec<u32>>)>,
}

/// The compiled candidate index of a program.
pub struct Prefilter {
    slots: Vec<SlotIndex>,
    /// Rules with no witness: evaluated for every event.
    pub always: Vec<u32>,
    rule_count: usize,
}

/// Reusable per-thread state for candidate selection.
#[derive(Default)]
pub struct Candidates {
    seen: Vec<u64>,
    pub list: Vec<u32>,
}

impl Candidates {
    fn reset(&mut self, rules: usize) {
        for &r in &self.list {
            if let Some(w) = self.seen.get_mut(r as usize / 64) {
                *w = 0;
            }
        }
        if self.seen.len() < rules.div_ceil(64) {
            self.seen.resize(rules.div_ceil(64), 0);
        }
        self.list.clear();
    }

    fn add(&mut self, rule: u32) {
        let (word, bit) = (rule as usize / 64, 1u64 << (rule % 64));
        if let Some(w) = self.seen.get_mut(word) {
            if *w & bit == 0 {
                *w |= bit;
                self.list.push(rule);
            }
        }
    }
}

impl Prefilter {
    /// Builds the index from each rule's witness set (`None` = always evaluate).
    pub fn build(witnesses: &[Option<Vec<Witness>>]) -> Prefilter {
        let mut per_slot: HashMap<Slot, NeedleRules> = HashMap::new();
        let mut always = Vec::new();
        for (rule, w) in witnesses.iter().enumerate() {
            let rule = rule as u32;
            match w {
                None => always.push(rule),
                Some(set) => {
                    for (slot, place, needle) in set {
                        let rules = per_slot.entry(*slot).or_default().entry((*place, needle.clone())).or_default();
                        if rules.last() != Some(&rule) {
                            rules.push(rule);
                        }
                    }
                }
            }
        }
        let mut slots = Vec::new();
        let mut slot_ids: Vec<Slot> = per_slot.keys().copied().collect();
        slot_ids.sort_unstable();
        for slot in slot_ids {
            let Some(needles) = per_slot.remove(&slot) else { continue };
            let mut entries: Vec<_> = needles.into_iter().collect();
            entries.sort();
            let mut index = SlotIndex { slot, exact: FxMap::default(), prefix: Anchored::default(), suffix: Anchored::default(), anywhere: None };
            let mut anywhere: Vec<(Box<str>, Vec<u32>)> = Vec::new();
            for ((place, needle), rules) in entries {
                match place {
                    Place::Exact => {
                        index.exact.insert(needle, rules);
                    }
                    Place::Prefix => index.prefix.insert(needle, rules),
                    Place::Suffix => index.suffix.insert(needle, rules),
                    Place::Anywhere => anywhere.push((needle, rules)),
                }
            }
            if !anywhere.is_empty() {
                // A full DFA scans fastest; it is only refused for huge needle sets, and then
                // the default (contiguous NFA) takes over.
                let needles = || anywhere.iter().map(|(n, _)| n.as_bytes());
                let kind = if anywhere.len() <= DFA_MAX_NEEDLES { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
                let built = AhoCorasick::builder().kind(Some(kind)).build(needles()).or_else(|_| AhoCorasick::new(needles()));
                match built {
                    Ok(ac) => index.anywhere = Some((ac, anywhere.into_iter().map(|(_, r)| r).collect())),
                    // An automaton that cannot be built (far beyond any real rule set) must
                    // not lose rules: they fall back to being always evaluated.
                    Err(_) => always.extend(anywhere.into_iter().flat_map(|(_, r)| r)),
                }
            }
            slots.push(index);
        }
        always.sort_unstable();
        always.dedup();
        Prefilter { slots, always, rule_count: witnesses.len() }
    }

    /// Fills `out.list` with the rules that may match the event in `view`.
    pub fn candidates(&self, view: &EventView, out: &mut Candidates) {
        out.reset(self.rule_count);
        for index in &self.slots {
            for value in view.values(index.slot) {
                let text = value.lower;
                if let Some(rules) = index.exact.get(text) {
                    rules.iter().for_each(|&r| out.add(r));
                }
                for &len in &index.prefix.lengths {
                    if let Some(rules) = text.get(..len).and_then(|p| index.prefix.map.get(p)) {
                        rules.iter().for_each(|&r| out.add(r));
                    }
                }
                for &len in &index.suffix.lengths {
                    if let Some(rules) = text.len().checked_sub(len).and_then(|start| text.get(start..)).and_then(|p| index.suffix.map.get(p)) {
                        rules.iter().for_each(|&r| out.add(r));
                    }
                }
                if let Some((ac, rules)) = &index.anywhere {
                    for m in ac.find_overlapping_iter(text) {
                        if let Some(rules) = rules.get(m.pattern().as_usize()) {
                            rules.iter().for_each(|&r| out.add(r));
                        }
                    }
                }
            }
        }
        for &r in &self.always {
            out.add(r);
        }
    }

    /// Number of rules with no witness.
    pub fn always_count(&self) -> usize {
        self.always.len()
    }
}
