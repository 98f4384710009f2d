//! The candidate index: which rules can possibly match an event, decided by one multi-pattern
//! scan per field instead of evaluating every rule.
//!
//! For each rule we derive a *witness set*: substrings (per field, lower-cased) at least one
//! of which every matching event must contain. `and` picks its most selective operand's set,
//! `or` unions its operands' sets, and anything that can hold without a literal (`not`,
//! regex, null tests) has none, so its rule is always evaluated. The index only ever
//! over-approximates: a rule it skips cannot match.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use vigil_ir::{Case, StrOp, StrPattern};

use crate::fields::Slot;
use crate::view::EventView;

/// The longest needle kept per witness (see [`string_witnesses`]).
pub const MAX_NEEDLE: usize = 8;

/// A witness: slot and needle (lower case, ASCII).
pub type Witness = (Slot, Box<str>);

/// The last `MAX_NEEDLE` bytes of `text`, cut at a character boundary.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(MAX_NEEDLE);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or(text)
}

/// The witness set of one pattern list: for each pattern, a substring of its longest literal
/// that every matching value contains once lower-cased. `None` when some pattern has no
/// literal (then anything may match).
///
/// Any substring of a required substring is required too: keeping only the last
/// [`MAX_NEEDLE`] bytes (the distinctive end of paths and flags) keeps the automaton small
/// enough to stay in cache, at little cost in selectivity.
pub fn string_witnesses(slot: Slot, op: StrOp, case: Case, patterns: &[StrPattern]) -> Option<Vec<Witness>> {
    let _ = op; // Placement does not matter: the needle is a substring either way.
    let mut out = Vec::new();
    for pattern in patterns {
        let lower = pattern.longest_literal()?.to_lowercase();
        let needle = match case {
            // Evaluation compares the lower-cased value with the lower-cased literal, so the
            // lower-cased literal itself is required, Unicode included.
            Case::Insensitive => tail(&lower),
            // Evaluation compares original texts; only ASCII lower-cases the same in and out
            // of context, so only an ASCII run of the literal is sound here.
            Case::Sensitive => tail(lower.split(|c: char| !c.is_ascii()).max_by_key(|s| s.len()).unwrap_or("")),
        };
        if needle.is_empty() {
            return None;
        }
        out.push((slot, needle.into()));
    }
    Some(out)
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
                let ascii = text.split(|c: char| !c.is_ascii()).max_by_key(|s| s.len()).unwrap_or("");
                if ascii.is_empty() {
                    needles.clear();
                    break;
                }
                needles.push((slot, Box::<str>::from(tail(ascii))));
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

/// Picks the more selective of two witness sets: the one whose shortest needle is longest,
/// then the one with fewer needles.
pub fn better(a: Vec<Witness>, b: Vec<Witness>) -> Vec<Witness> {
    let score = |w: &Vec<Witness>| (w.iter().map(|(_, n)| n.len()).min().unwrap_or(usize::MAX), std::cmp::Reverse(w.len()));
    if score(&b) > score(&a) {
        b
    } else {
        a
    }
}

struct SlotIndex {
    slot: Slot,
    automaton: AhoCorasick,
    /// Rules per automaton pattern.
    rules: Vec<Vec<u32>>,
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
        let mut per_slot: HashMap<Slot, HashMap<Box<str>, Vec<u32>>> = HashMap::new();
        let mut always = Vec::new();
        for (rule, w) in witnesses.iter().enumerate() {
            let rule = rule as u32;
            match w {
                None => always.push(rule),
                Some(set) => {
                    for (slot, needle) in set {
                        let rules = per_slot.entry(*slot).or_default().entry(needle.clone()).or_default();
                        if rules.last() != Some(&rule) {
                            rules.push(rule);
                        }
                    }
                }
            }
        }
        if std::env::var_os("VIGIL_DEBUG_INDEX").is_some() {
            let mut lens = [0usize; 10];
            for needles in per_slot.values() {
                for (n, rules) in needles {
                    lens[n.len().min(9)] += 1;
                    if n.len() <= 3 { eprintln!("short needle {n:?} for {} rules", rules.len()); }
                }
            }
            eprintln!("needle length histogram (0..9+): {lens:?}; slots {}", per_slot.len());
        }
        let mut slots = Vec::new();
        let mut slot_ids: Vec<Slot> = per_slot.keys().copied().collect();
        slot_ids.sort_unstable();
        for slot in slot_ids {
            let Some(needles) = per_slot.remove(&slot) else { continue };
            let mut pairs: Vec<(Box<str>, Vec<u32>)> = needles.into_iter().collect();
            pairs.sort();
            // A full DFA scans fastest; it is only refused for huge needle sets, and then the
            // default (contiguous NFA) takes over.
            let needles = || pairs.iter().map(|(n, _)| n.as_bytes());
            let built = AhoCorasick::builder().kind(Some(AhoCorasickKind::DFA)).build(needles()).or_else(|_| AhoCorasick::new(needles()));
            match built {
                Ok(automaton) => slots.push(SlotIndex { slot, automaton, rules: pairs.into_iter().map(|(_, r)| r).collect() }),
                // An automaton that cannot be built (far beyond any real rule set) must not
                // lose rules: they fall back to being always evaluated.
                Err(_) => always.extend(pairs.into_iter().flat_map(|(_, r)| r)),
            }
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
                for m in index.automaton.find_overlapping_iter(value.lower) {
                    if let Some(rules) = index.rules.get(m.pattern().as_usize()) {
                        for &r in rules {
                            out.add(r);
                        }
                    }
                }
            }
        }
        for &r in &self.always {
            out.add(r);
        }
        if std::env::var_os("VIGIL_DEBUG_INDEX").is_some() {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            static C: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed) + 1;
            let c = C.fetch_add(out.list.len(), Ordering::Relaxed) + out.list.len();
            if n % 20000 == 0 { eprintln!("avg candidates {}", c / n); }
        }
    }

    /// Number of rules with no witness.
    pub fn always_count(&self) -> usize {
        self.always.len()
    }
}
