//! Printed regexes remembered by their source, so a regex met again (the same CIDR list in
//! many rules, the same `|re` value or wildcard pattern under several targets in one
//! `convert` run) is parsed and printed once.
//!
//! Parsing a regex (`regex_text::regex_hir`) and printing it is most of a target's work on
//! the SigmaHQ corpus: CIDR tests are written as large regexes (`cidr_text`), and most
//! rules with a network test name the same private ranges. The memo is process-wide (one
//! `convert` run prints several targets on several threads), keyed by the flavour and the
//! pattern with its flags (or a string pattern with its operator and case), one cell per key
//! so two threads asking at once print it once, and bounded: it is emptied when it reaches
//! [`MAX_ENTRIES`]. A poisoned lock (a thread that panicked while holding it) only turns
//! the memo off.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use vigil_ir::{Network, RegexPattern, StrOp, StrPattern};

use crate::dialect::Refusal;

/// How a regex is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// `regex_text::lucene`: Lucene `RegExp`, matching whole values.
    Lucene,
    /// `regex_text::portable`: the syntax RE2, PCRE and Java share.
    Portable,
}

/// The most printed regexes kept at once.
pub const MAX_ENTRIES: usize = 16_384;

/// What a key printed to, once printed: a cell per key, so a key asked for on two threads at
/// once is printed by one while the other waits for it.
type Memo<K> = HashMap<K, Arc<OnceLock<Result<String, Refusal>>>>;

/// The cell of `key` in `memo`, made when absent (the memo emptied first when full); `None`
/// when the lock is poisoned.
fn cell<K: Eq + Hash>(memo: &Mutex<Memo<K>>, key: K) -> Option<Arc<OnceLock<Result<String, Refusal>>>> {
    let mut m = memo.lock().ok()?;
    if m.len() >= MAX_ENTRIES && !m.contains_key(&key) {
        m.clear();
    }
    Some(Arc::clone(m.entry(key).or_default()))
}

/// `print(pattern)`, or what it gave the last time it was asked for this flavour and
/// pattern.
pub fn remembered(flavour: Flavour, pattern: &RegexPattern, print: impl FnOnce(&RegexPattern) -> Result<String, Refusal>) -> Result<String, Refusal> {
    static MEMO: OnceLock<Mutex<Memo<(Flavour, RegexPattern)>>> = OnceLock::new();
    match cell(MEMO.get_or_init(Mutex::default), (flavour, pattern.clone())) {
        Some(cell) => cell.get_or_init(|| print(pattern)).clone(),
        None => print(pattern),
    }
}

/// A string pattern's key: flavour, pattern, operator, case-insensitive.
type PatternKey = (Flavour, StrPattern, StrOp, bool);

/// `print()` for a Sigma string pattern compared by `op` (`case_insensitive` or not), or what
/// it gave the last time (the targets that print patterns as regexes: `regex_text::pattern_hir`).
pub fn remembered_pattern(
    flavour: Flavour,
    pattern: &StrPattern,
    op: StrOp,
    case_insensitive: bool,
    print: impl FnOnce() -> Result<String, Refusal>,
) -> Result<String, Refusal> {
    static MEMO: OnceLock<Mutex<Memo<PatternKey>>> = OnceLock::new();
    match cell(MEMO.get_or_init(Mutex::default), (flavour, pattern.clone(), op, case_insensitive)) {
        Some(cell) => cell.get_or_init(print).clone(),
        None => print(),
    }
}

/// `print()` for a CIDR test of `networks` (`cidr_hir`), or what it gave the last time:
/// keyed by the networks, so the large regex is neither built nor hashed again.
pub fn remembered_networks(flavour: Flavour, networks: &[Network], print: impl FnOnce() -> Result<String, Refusal>) -> Result<String, Refusal> {
    type NetworksKey = (Flavour, Vec<Network>);
    static MEMO: OnceLock<Mutex<Memo<NetworksKey>>> = OnceLock::new();
    match cell(MEMO.get_or_init(Mutex::default), (flavour, networks.to_vec())) {
        Some(cell) => cell.get_or_init(print).clone(),
        None => print(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Construct;

    fn pattern(source: &str) -> RegexPattern {
        RegexPattern { source: source.into(), case_insensitive: false, multi_line: false, dot_matches_new_line: false }
    }

    #[test]
    fn a_pattern_is_printed_once_per_flavour_and_refusals_are_remembered_too() {
        let calls = std::cell::Cell::new(0);
        let print = |p: &RegexPattern| {
            calls.set(calls.get() + 1);
            Ok(format!("<{}>", p.source))
        };
        let p = pattern("memo-test-a+b");
        assert_eq!(remembered(Flavour::Portable, &p, print), Ok("<memo-test-a+b>".to_string()));
        assert_eq!(remembered(Flavour::Portable, &p, print), Ok("<memo-test-a+b>".to_string()));
        assert_eq!(calls.get(), 1, "the second call is answered from the memo");
        assert_eq!(remembered(Flavour::Lucene, &p, print), Ok("<memo-test-a+b>".to_string()));
        assert_eq!(calls.get(), 2, "another flavour is printed on its own");
        let ci = RegexPattern { case_insensitive: true, ..p.clone() };
        remembered(Flavour::Portable, &ci, print).unwrap();
        assert_eq!(calls.get(), 3, "the flags are part of the key");
        let refuse = |_: &RegexPattern| Err(Refusal::new(Construct::Regex, "no"));
        let bad = pattern("memo-test-refused");
        assert!(remembered(Flavour::Portable, &bad, refuse).is_err());
        assert!(remembered(Flavour::Portable, &bad, print).is_err(), "a refusal is remembered as a refusal");
    }
}
