//! The candidate index: which rules can possibly match an event, decided by one multi-pattern
//! scan per field instead of evaluating every rule.
//!
//! For each rule we derive a *witness set*: needles (per field, lower-cased, with a place:
//! the whole value, its start, its end, or anywhere) at least one of which every matching
//! event must carry. `and` keeps its most selective operands' sets (ranked across the whole
//! rule set by `selectivity`), `or` unions its operands' sets, and anything that can hold without a literal (`not`, null tests, a regex without a
//! required literal) has none, so its rule is always evaluated. The index only ever
//! over-approximates: a rule it skips cannot match.
//!
//! Per field, whole values are looked up in a hash map, starts and ends by hashing the first
//! and last few bytes (one lookup per needle length), and only `anywhere` needles need an
//! Aho-Corasick scan. Sigma rules are mostly `endswith` on paths and `contains` on command
//! lines, so most of the work is hash lookups.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use vigil_ir::{Case, Piece, StrOp, StrPattern};

use crate::fields::{Slot, KEYWORD_SLOT};
use crate::view::{EventView, Kind};
use crate::window::{EndSet, WindowSet};

/// The shortest `anywhere` needle scanned with a window set; shorter ones go to a small
/// Aho-Corasick automaton. Measured: window sets for 4- to 7-byte needles were slower than
/// the automaton (short needles hit often, and each width is one more pass over the text).
pub const MIN_WINDOW: usize = 8;

/// The longest needle kept per witness.
pub const MAX_NEEDLE: usize = crate::window::WIDTH;

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
/// regex's required prefixes or suffixes, or a literal required inside it, whichever
/// selects better), lower-cased. `None` when a regex has none.
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
        let mut found: Option<Vec<String>> = None;
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
                needles.push(tail(ascii).to_string());
            }
            if !needles.is_empty() {
                found = Some(needles);
                break;
            }
        }
        let inner = crate::required::required_literals(&hir);
        let mut needles = match (found, inner) {
            (Some(a), Some(b)) => {
                if crate::required::better(&b, &a) {
                    b
                } else {
                    a
                }
            }
            (a, b) => a.or(b)?,
        };
        needles.sort_unstable();
        needles.dedup();
        out.extend(needles.into_iter().map(|n| (slot, Place::Anywhere, Box::<str>::from(tail(&n)))));
    }
    Some(out)
}

/// The engine's hash map: FxHash (the `rustc-hash` crate). Keys here are short and not
/// attacker-chosen in a way that matters (a collision only costs time), and SipHash would
/// dominate lookups.
pub(crate) type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// The rules of each (place, needle) of one slot, while the index is built.
type NeedleRules = HashMap<(Place, Box<str>), Vec<(u32, u8)>>;

/// The most witness sets a rule requires together (see [`Requirement`]).
pub const MAX_GROUPS: usize = 2;

/// What the index requires of an event before a rule is evaluated: every group (a witness
/// set, any one of whose needles must hit). `and` keeps up to [`MAX_GROUPS`] of its
/// operands' groups, the most selective across the rule set (see `selectivity`), so a rule
/// such as "image is powershell and the command line has `-enc`" is only evaluated for
/// events that carry both.
pub type Requirement = Vec<Vec<Witness>>;

/// A rule and the group of its requirement a needle belongs to.
type RuleGroup = (u32, u8);

/// One slot's needles. Each lookup structure is a *part* of the index (its number in
/// [`Prefilter::parts`] beside it), which routing can skip when none of its rules applies.
struct SlotIndex {
    slot: Slot,
    exact: (FxMap<Box<str>, Vec<RuleGroup>>, Part),
    prefix: (EndSet<Vec<RuleGroup>>, Part),
    suffix: (EndSet<Vec<RuleGroup>>, Part),
    /// `anywhere` needles of [`MIN_WINDOW`] to [`MAX_NEEDLE`] bytes, one set per length
    /// (most needles are exactly [`MAX_NEEDLE`] bytes).
    windows: Vec<(WindowSet<Vec<RuleGroup>>, Part)>,
    /// Shorter `anywhere` needles.
    anywhere: Option<(AhoCorasick, Vec<Vec<RuleGroup>>, Part)>,
}

/// The number of a part of the index.
type Part = usize;

/// Registers a part holding `rules`; its number.
fn part<'a>(parts: &mut Vec<Vec<u32>>, rules: impl IntoIterator<Item = &'a Vec<RuleGroup>>) -> Part {
    let mut ids: Vec<u32> = rules.into_iter().flatten().map(|&(r, _)| r).collect();
    ids.sort_unstable();
    ids.dedup();
    parts.push(ids);
    parts.len() - 1
}

/// The compiled candidate index of a program.
pub struct Prefilter {
    slots: Vec<SlotIndex>,
    /// Rules with no witness: evaluated for every event.
    pub always: Vec<u32>,
    /// Per rule: the bit mask of all its groups.
    full: Vec<u8>,
    /// Per part of the index: the rules with a needle in it (ascending).
    pub parts: Vec<Vec<u32>>,
    /// Per slot: its position in `slots`, or `u32::MAX` (an event fills few of the fields
    /// the rules read, so the scan starts from the slots it filled).
    by_slot: Vec<u32>,
}

/// Reusable per-thread state for candidate selection.
#[derive(Default)]
pub struct Candidates {
    /// Per rule: the groups hit so far (bit per group); only touched rules are non-zero.
    hits: Vec<u8>,
    touched: Vec<u32>,
    pub list: Vec<u32>,
}

impl Candidates {
    fn reset(&mut self, rules: usize) {
        for &r in &self.touched {
            if let Some(h) = self.hits.get_mut(r as usize) {
                *h = 0;
            }
        }
        if self.hits.len() < rules {
            self.hits.resize(rules, 0);
        }
        self.touched.clear();
        self.list.clear();
    }

    fn add(&mut self, rule: u32, group: u8, full: u8) {
        let Some(h) = self.hits.get_mut(rule as usize) else { return };
        if *h == 0 {
            self.touched.push(rule);
        }
        let before = *h;
        *h |= 1 << group;
        if *h == full && before != full {
            self.list.push(rule);
        }
    }
}

impl Prefilter {
    /// Builds the index from each rule's witness set (`None` = always evaluate).
    pub fn build(requirements: &[Option<Requirement>]) -> Prefilter {
        let mut per_slot: HashMap<Slot, NeedleRules> = HashMap::new();
        let mut always = Vec::new();
        let mut full = vec![0u8; requirements.len()];
        for (rule, requirement) in requirements.iter().enumerate() {
            let rule_id = rule as u32;
            match requirement {
                None => always.push(rule_id),
                Some(groups) if groups.is_empty() => always.push(rule_id),
                Some(groups) => {
                    for (g, set) in groups.iter().take(MAX_GROUPS).enumerate() {
                        full[rule] |= 1 << g;
                        for (slot, place, needle) in set {
                            let rules = per_slot.entry(*slot).or_default().entry((*place, needle.clone())).or_default();
                            if rules.last() != Some(&(rule_id, g as u8)) {
                                rules.push((rule_id, g as u8));
                            }
                        }
                    }
                }
            }
        }
        let mut slots = Vec::new();
        let mut parts = Vec::new();
        let mut slot_ids: Vec<Slot> = per_slot.keys().copied().collect();
        slot_ids.sort_unstable();
        for slot in slot_ids {
            let Some(needles) = per_slot.remove(&slot) else { continue };
            let mut entries: Vec<_> = needles.into_iter().collect();
            entries.sort();
            let mut exact = FxMap::default();
            let mut anywhere: Vec<(Box<str>, Vec<RuleGroup>)> = Vec::new();
            let mut windows: Vec<(Box<[u8]>, Vec<RuleGroup>)> = Vec::new();
            let mut prefixes: Vec<(Box<[u8]>, Vec<RuleGroup>)> = Vec::new();
            let mut suffixes: Vec<(Box<[u8]>, Vec<RuleGroup>)> = Vec::new();
            for ((place, needle), rules) in entries {
                match place {
                    Place::Exact => {
                        exact.insert(needle, rules);
                    }
                    Place::Prefix => prefixes.push((Box::from(needle.as_bytes()), rules)),
                    Place::Suffix => suffixes.push((Box::from(needle.as_bytes()), rules)),
                    Place::Anywhere if needle.len() >= MIN_WINDOW => windows.push((Box::from(needle.as_bytes()), rules)),
                    Place::Anywhere => anywhere.push((needle, rules)),
                }
            }
            let exact_part = part(&mut parts, exact.values());
            let prefix_part = part(&mut parts, prefixes.iter().map(|(_, r)| r));
            let suffix_part = part(&mut parts, suffixes.iter().map(|(_, r)| r));
            let mut index = SlotIndex {
                slot,
                exact: (exact, exact_part),
                prefix: (EndSet::new(true, prefixes), prefix_part),
                suffix: (EndSet::new(false, suffixes), suffix_part),
                windows: Vec::new(),
                anywhere: None,
            };
            let mut widths: Vec<usize> = windows.iter().map(|(n, _)| n.len()).collect();
            widths.sort_unstable();
            widths.dedup();
            for width in widths {
                let of_width: Vec<_> = windows.iter().filter(|(n, _)| n.len() == width).cloned().collect();
                let p = part(&mut parts, of_width.iter().map(|(_, r)| r));
                index.windows.push((WindowSet::new(width, of_width), p));
            }
            if !anywhere.is_empty() {
                // A full DFA scans fastest; it is only refused for huge needle sets, and then
                // the default (contiguous NFA) takes over.
                let needles = || anywhere.iter().map(|(n, _)| n.as_bytes());
                let kind = if anywhere.len() <= DFA_MAX_NEEDLES { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
                let built = AhoCorasick::builder().kind(Some(kind)).build(needles()).or_else(|_| AhoCorasick::new(needles()));
                match built {
                    Ok(ac) => {
                        let p = part(&mut parts, anywhere.iter().map(|(_, r)| r));
                        index.anywhere = Some((ac, anywhere.into_iter().map(|(_, r)| r).collect(), p));
                    }
                    // An automaton that cannot be built (far beyond any real rule set) must
                    // not lose rules: they fall back to being always evaluated.
                    Err(_) => always.extend(anywhere.into_iter().flat_map(|(_, r)| r).map(|(rule, _)| rule)),
                }
            }
            slots.push(index);
        }
        always.sort_unstable();
        always.dedup();
        for &r in &always {
            if let Some(f) = full.get_mut(r as usize) {
                *f = 1;
            }
        }
        let mut by_slot = vec![u32::MAX; slots.iter().map(|i| i.slot as usize + 1).max().unwrap_or(0)];
        for (i, index) in slots.iter().enumerate() {
            if let Some(at) = by_slot.get_mut(index.slot as usize) {
                *at = i as u32;
            }
        }
        Prefilter { slots, always, full, parts, by_slot }
    }

    /// Fills `out.list` with the rules that may match the event in `view`. With `wanted`
    /// (per part of [`Prefilter::parts`], from routing), the parts not wanted are not
    /// scanned: the rules only they could select are missing from the list.
    pub fn candidates(&self, view: &EventView, wanted: Option<&[bool]>, out: &mut Candidates) {
        out.reset(self.full.len());
        let on = |p: Part| wanted.is_none_or(|w| w.get(p).copied().unwrap_or(true));
        let full = &self.full;
        let hit = |out: &mut Candidates, rules: &[RuleGroup]| {
            for &(r, g) in rules {
                out.add(r, g, full.get(r as usize).copied().unwrap_or(1));
            }
        };
        // The keyword slot is never among the filled field slots; it is looked at first.
        let filled = std::iter::once(KEYWORD_SLOT).filter(|&s| view.has(s)).chain(view.touched().iter().copied());
        for slot in filled {
            let Some(index) = self.by_slot.get(slot as usize).and_then(|&i| self.slots.get(i as usize)) else { continue };
            let exact = Some(&index.exact.0).filter(|e| !e.is_empty() && on(index.exact.1));
            let prefix = on(index.prefix.1).then_some(&index.prefix.0);
            let suffix = on(index.suffix.1).then_some(&index.suffix.0);
            let anywhere = index.anywhere.as_ref().filter(|a| on(a.2));
            if exact.is_none() && prefix.is_none() && suffix.is_none() && anywhere.is_none() && !index.windows.iter().any(|w| on(w.1)) {
                continue;
            }
            for value in view.values(index.slot) {
                let text = value.lower;
                if let Some(exact) = exact {
                    if let Some(rules) = exact.get(text) {
                        hit(out, rules);
                    }
                    // A number is also looked up by its canonical text (numeric equality).
                    if matches!(value.kind, Kind::Num | Kind::Str) {
                        if let Some(Cow::Owned(canonical)) = crate::number::canonical_of(value.text) {
                            if canonical != text {
                                if let Some(rules) = exact.get(canonical.as_str()) {
                                    hit(out, rules);
                                }
                            }
                        }
                    }
                }
                if let Some(prefix) = prefix {
                    prefix.scan(text.as_bytes(), |rules| hit(out, rules));
                }
                if let Some(suffix) = suffix {
                    suffix.scan(text.as_bytes(), |rules| hit(out, rules));
                }
                for (windows, p) in &index.windows {
                    if on(*p) {
                        windows.scan(text.as_bytes(), |rules| hit(out, rules));
                    }
                }
                if let Some((ac, rules, _)) = anywhere {
                    for m in ac.find_overlapping_iter(text) {
                        if let Some(rules) = rules.get(m.pattern().as_usize()) {
                            hit(out, rules);
                        }
                    }
                }
            }
        }
        for &r in &self.always {
            out.add(r, 0, 1);
        }
    }

    /// Number of rules with no witness.
    pub fn always_count(&self) -> usize {
        self.always.len()
    }
}
