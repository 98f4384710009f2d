//! Whether a record's strings must be collected for keyword search, decided from its raw
//! JSON bytes before they are.
//!
//! A keyword rule (`keywords:` in Sigma) reads every string of a record, so a program with
//! one makes the reader decode, copy and lower-case every string of every record it admits
//! (`Mimikatz Use` is `product: windows`: every Windows record). Most records could not
//! match one anyway, and the gate proves it, so that the record is extracted without its
//! strings and still evaluates to the same matches. Per keyword-reading rule its label admits:
//! - *gated*: the rule's index requirement has a group made only of keyword needles; it
//!   cannot be a candidate when none of those needles occurs in the record's JSON text (ASCII
//!   case-insensitively, see below);
//! - *indexed*: its requirement has no keyword needle, so it is a candidate with or without
//!   the keyword values; they are needed only when it is one;
//! - *always*: anything else (no requirement, or groups mixing keyword and field needles):
//!   every record of the label collects its strings.
//!
//! A rule that does not read the keyword slot has no keyword needle, so its candidacy and its
//! evaluation are the same without it.
//!
//! Soundness of the raw scan, for a needle of the keyword slot (lower case) found in a
//! lower-cased string value:
//! - the needle must be ASCII with no control character, and not a number (the index also
//!   looks a value up by its canonical number text, which the raw text need not contain);
//! - every ASCII character of a lower-cased value comes from one ASCII character of the
//!   value, except from `İ` (U+0130) and `K` (U+212A, Kelvin), whose lower cases hold `i` and
//!   `k` (checked over every `char` by a test); a record holding either is always extracted;
//! - in the JSON text, a string's characters are written as they are or escaped; `\\` and
//!   `\"` are looked for as such (the needle is escaped the same way), control characters
//!   cannot be in a needle, and a record with any other escape (`\/`, `\uXXXX`) is always
//!   extracted.

use std::sync::Mutex;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::fields::KEYWORD_SLOT;
use crate::prefilter::{Place, Requirement, MAX_GROUPS};

/// What records of one label need of the keyword slot (see `Route::keywords`).
#[derive(Debug)]
pub enum KeywordNeed {
    /// No admitted rule reads it.
    No,
    /// Some admitted rule reads it and cannot be gated: always collect.
    Always,
    /// Collect when the record's text holds one of the needles of the admitted gated rules
    /// (`None`: there are none), or when an admitted *indexed* reader is a candidate.
    Check(Option<AhoCorasick>),
}

/// How a rule stands towards the keyword slot (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    NotReader,
    /// The raw forms of the needles of its all-keyword group.
    Gated(Vec<String>),
    Indexed,
    Always,
}

/// Which rules read the keyword slot, and how each can be ruled out.
#[derive(Debug, Default)]
pub struct KeywordGate {
    classes: Vec<Class>,
    /// The automata built so far, by the gated rules they scan for: labels are many (one per
    /// channel and event ID) but admit few distinct sets of gated rules, and building one
    /// costs far more than routing the rest of a label (a clone shares the automaton).
    built: Mutex<Vec<(Vec<u32>, AhoCorasick)>>,
}

/// A needle as the JSON text writes it, or `None` when the raw text cannot prove its absence.
fn raw_needle(place: Place, needle: &str) -> Option<String> {
    if needle.is_empty() || !needle.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    if place == Place::Exact && crate::number::parse(needle).is_some() {
        return None;
    }
    Some(needle.replace('\\', "\\\\").replace('"', "\\\""))
}

impl KeywordGate {
    /// The gate of a program: `readers` per rule, `requirements` the index's per rule
    /// (`None`: the rule has none), `always` the rules the index evaluates for every event.
    pub fn build(readers: &[bool], requirements: &[Option<Requirement>], always: &[u32]) -> KeywordGate {
        let classes = readers
            .iter()
            .enumerate()
            .map(|(rule, &reads)| {
                if !reads {
                    return Class::NotReader;
                }
                let groups = match requirements.get(rule).and_then(Option::as_ref) {
                    Some(groups) if !groups.is_empty() && always.binary_search(&(rule as u32)).is_err() => groups,
                    _ => return Class::Always,
                };
                let groups = groups.get(..MAX_GROUPS).unwrap_or(groups);
                let gated = groups.iter().find_map(|set| {
                    if set.is_empty() || set.iter().any(|(slot, _, _)| *slot != KEYWORD_SLOT) {
                        return None;
                    }
                    set.iter().map(|(_, place, needle)| raw_needle(*place, needle)).collect::<Option<Vec<_>>>()
                });
                match gated {
                    Some(needles) => Class::Gated(needles),
                    None if groups.iter().flatten().all(|(slot, _, _)| *slot != KEYWORD_SLOT) => Class::Indexed,
                    None => Class::Always,
                }
            })
            .collect();
        KeywordGate { classes, built: Mutex::default() }
    }

    /// What records of a label admitting `admitted` (per rule) need.
    pub fn need(&self, admitted: impl Fn(usize) -> bool) -> KeywordNeed {
        let mut any = false;
        let mut needles: Vec<&str> = Vec::new();
        let mut gated = Vec::new();
        for (rule, class) in self.classes.iter().enumerate() {
            if *class == Class::NotReader || !admitted(rule) {
                continue;
            }
            any = true;
            match class {
                Class::Always => return KeywordNeed::Always,
                Class::Gated(raw) => {
                    needles.extend(raw.iter().map(String::as_str));
                    gated.push(rule as u32);
                }
                Class::NotReader | Class::Indexed => {}
            }
        }
        if !any {
            return KeywordNeed::No;
        }
        if needles.is_empty() {
            return KeywordNeed::Check(None);
        }
        // A poisoned lock only means another thread panicked while holding it; the list is
        // always whole (entries are pushed complete).
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, ac)) = built.iter().find(|(rules, _)| *rules == gated) {
            return KeywordNeed::Check(Some(ac.clone()));
        }
        needles.sort_unstable();
        needles.dedup();
        // Needles are lower case and looked for in the lower-cased text, leftmost-first: that
        // lets the automaton skip ahead with its SIMD prefilter, which it cannot do for an
        // ASCII case-insensitive search.
        let builder = AhoCorasick::builder().kind(Some(AhoCorasickKind::DFA)).match_kind(MatchKind::LeftmostFirst).build(&needles);
        match builder {
            Ok(ac) => {
                built.push((gated, ac.clone()));
                KeywordNeed::Check(Some(ac))
            }
            // Without the automaton nothing can be ruled out.
            Err(_) => KeywordNeed::Always,
        }
    }

    /// True when `rule` reads the keyword slot without an all-keyword index group: when it is
    /// a candidate, the record needs its keyword values.
    pub fn indexed_reader(&self, rule: u32) -> bool {
        self.classes.get(rule as usize).is_none_or(|c| *c == Class::Indexed)
    }
}

/// True when the JSON `record` may hold a needle of `ac`, ASCII case-insensitively, or cannot
/// be read soundly as raw text: its strings must be collected. `lowered` is scratch space.
pub fn found(ac: &AhoCorasick, record: &[u8], lowered: &mut Vec<u8>) -> bool {
    lowered.clear();
    lowered.extend(record.iter().map(u8::to_ascii_lowercase));
    ac.is_match(lowered.as_slice()) || !raw_text_sound(record)
}

/// False when `record` holds an escape other than `\\`, `\"` and those of control
/// characters, or a character whose lower case holds an ASCII letter it does not (`İ`,
/// U+0130: bytes C4 B0; `K`, U+212A: E2 84 AA). Each is looked for with a SIMD search (records
/// hold many `\\` in paths, so stopping at every backslash costs more).
fn raw_text_sound(record: &[u8]) -> bool {
    // `\u` or `\/` is an escape when an odd number of backslashes ends at its backslash.
    let escape_at = |i: usize| record.get(..=i).is_some_and(|head| head.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1);
    for escape in [&b"\\u"[..], &b"\\/"[..]] {
        if memchr::memmem::find_iter(record, escape).any(escape_at) {
            return false;
        }
    }
    !memchr::memchr2_iter(0xC4, 0xE2, record).any(|i| match record.get(i) {
        Some(0xC4) => record.get(i + 1) == Some(&0xB0),
        _ => record.get(i + 1..i + 3) == Some(&[0x84, 0xAA][..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claim the gate rests on: only U+0130 and U+212A lower-case to something holding an
    /// ASCII character while not being ASCII themselves.
    #[test]
    fn only_two_non_ascii_characters_lower_case_to_ascii() {
        let odd: Vec<char> =
            (0..=u32::from(char::MAX)).filter_map(char::from_u32).filter(|c| !c.is_ascii() && c.to_lowercase().any(|l| l.is_ascii())).collect();
        assert_eq!(odd, vec!['\u{130}', '\u{212A}']);
        // And `str::to_lowercase` agrees with the per-character mapping on them.
        assert!("\u{212A}IWI".to_lowercase().contains("kiwi"));
    }

    #[test]
    fn escapes_and_odd_characters_make_the_raw_text_unsound() {
        assert!(raw_text_sound(br#"{"a":"C:\\Windows\\x \"q\"\n"}"#));
        assert!(!raw_text_sound(br#"{"a":"\u0041"}"#));
        assert!(!raw_text_sound(br#"{"a":"a\/b"}"#));
        // An escaped backslash before `u` or `/` is not an escape of them; a third one is.
        assert!(raw_text_sound(br#"{"a":"C:\\users\\/"}"#));
        assert!(!raw_text_sound(br#"{"a":"C:\\\u0041"}"#));
        assert!(!raw_text_sound("{\"a\":\"\u{130}\"}".as_bytes()));
        assert!(!raw_text_sound("{\"a\":\"\u{212A}iwi\"}".as_bytes()));
        assert!(raw_text_sound("{\"a\":\"\u{e9}\u{2122}\"}".as_bytes()));
    }

    fn requirement(needles: &[(Place, &str)]) -> Option<Requirement> {
        Some(vec![needles.iter().map(|(p, n)| (KEYWORD_SLOT, *p, Box::<str>::from(*n))).collect()])
    }

    #[test]
    fn needles_are_found_in_their_json_form_case_insensitively() {
        let found = |ac: &AhoCorasick, buf: &mut Vec<u8>, record: &[u8]| found(ac, record, buf);
        let gate = KeywordGate::build(&[true], &[requirement(&[(Place::Anywhere, "\\mimilib.dll"), (Place::Anywhere, "sekurlsa::")])], &[]);
        let KeywordNeed::Check(Some(ac)) = gate.need(|_| true) else { panic!("gated rule not scanned") };
        assert!(found(&ac, &mut Vec::new(), br#"{"a":"C:\\Temp\\MimiLib.DLL"}"#));
        assert!(found(&ac, &mut Vec::new(), br#"{"a":"SEKURLSA::logonpasswords"}"#));
        assert!(!found(&ac, &mut Vec::new(), br#"{"a":"mimilib.dll sekurlsa:"}"#));
        // An escape the raw text cannot be read through: collected, needle or not.
        assert!(found(&ac, &mut Vec::new(), br#"{"a":"\u0073ekurlsa::"}"#));
        assert!(matches!(gate.need(|_| false), KeywordNeed::No));
    }

    #[test]
    fn labels_admitting_the_same_gated_rules_share_one_automaton() {
        let requirements = [requirement(&[(Place::Anywhere, "kiwi")]), requirement(&[(Place::Anywhere, "sekurlsa::")])];
        let gate = KeywordGate::build(&[true, true], &requirements, &[]);
        let mut buf = Vec::new();
        for admitted in [[true, false], [true, true], [true, false], [true, true]] {
            let KeywordNeed::Check(Some(ac)) = gate.need(|r| admitted.get(r).copied().unwrap_or(false)) else { panic!("gated rules not scanned") };
            // Each automaton is the one of its own admitted rules.
            assert!(found(&ac, br#"{"a":"KIWI"}"#, &mut buf));
            assert_eq!(found(&ac, br#"{"a":"sekurlsa::x"}"#, &mut buf), admitted[1]);
        }
        assert_eq!(gate.built.lock().map(|b| b.len()).unwrap_or(0), 2);
    }

    #[test]
    fn each_reader_is_classed_by_what_can_rule_it_out() {
        let reads = [true, true, true, true, true, false];
        let field = |n: &str| (KEYWORD_SLOT + 1, Place::Exact, Box::<str>::from(n));
        let requirements = vec![
            None,
            requirement(&[(Place::Anywhere, "caf\u{e9}")]),
            requirement(&[(Place::Exact, "16")]),
            Some(vec![vec![field("x"), (KEYWORD_SLOT, Place::Anywhere, Box::<str>::from("y"))]]),
            Some(vec![vec![field("4")]]),
            None,
        ];
        let gate = KeywordGate::build(&reads, &requirements, &[]);
        for rule in 0..4 {
            assert!(matches!(gate.need(|r| r == rule), KeywordNeed::Always), "rule {rule}");
        }
        assert!(matches!(gate.need(|r| r == 4), KeywordNeed::Check(None)));
        assert!(gate.indexed_reader(4) && !gate.indexed_reader(0) && !gate.indexed_reader(5));
        assert!(matches!(gate.need(|r| r == 5), KeywordNeed::No));
        // A rule the index evaluates for every event cannot be ruled out.
        let gate = KeywordGate::build(&[true], &[requirement(&[(Place::Anywhere, "kiwi")])], &[0]);
        assert!(matches!(gate.need(|_| true), KeywordNeed::Always));
    }
}
