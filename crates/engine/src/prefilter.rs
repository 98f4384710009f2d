//! The candidate index: which rules can possibly match an event, decided by one multi-pattern
//! scan per field instead of evaluating every rule.
//!
//! For each rule we derive a *witness set*: substrings (per field, lower-cased) at least one
//! of which every matching event must contain. `and` picks its most selective operand's set,
//! `or` unions its operands' sets, and anything that can hold without a literal (`not`,
//! regex, null tests) has none, so its rule is always evaluated. The index only ever
//! over-approximates: a rule it skips cannot match.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use vigil_ir::{Case, StrOp, StrPattern};

use crate::fields::Slot;
use crate::view::EventView;

/// A witness: slot and needle (lower case, ASCII).
pub type Witness = (Slot, Box<str>);

/// The witness set of one pattern list: for each pattern, the longest ASCII run of its longest
/// literal. `None` when some pattern has no usable literal (then anything may match).
pub fn string_witnesses(slot: Slot, op: StrOp, case: Case, patterns: &[StrPattern]) -> Option<Vec<Witness>> {
    let _ = (op, case); // Placement and case do not matter: the needle is a substring either way.
    let mut out = Vec::new();
    for pattern in patterns {
        let lower = pattern.longest_literal()?.to_lowercase();
        let needle = lower.split(|c: char| !c.is_ascii()).max_by_key(|s| s.len()).unwrap_or("");
        if needle.is_empty() {
            return None;
        }
        out.push((slot, needle.into()));
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
        let mut slots = Vec::new();
        let mut slot_ids: Vec<Slot> = per_slot.keys().copied().collect();
        slot_ids.sort_unstable();
        for slot in slot_ids {
            let Some(needles) = per_slot.remove(&slot) else { continue };
            let mut pairs: Vec<(Box<str>, Vec<u32>)> = needles.into_iter().collect();
            pairs.sort();
            match AhoCorasick::new(pairs.iter().map(|(n, _)| n.as_bytes())) {
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
    }

    /// Number of rules with no witness.
    pub fn always_count(&self) -> usize {
        self.always.len()
    }
}
