//! A set of 8-byte needles found anywhere in a text, by sliding an 8-byte window.
//!
//! Most witness needles are cut to exactly [`WIDTH`] bytes (see `prefilter`), so instead of an
//! Aho-Corasick automaton over thousands of needles (megabytes, cache misses on every byte),
//! the last eight bytes of the text are kept packed in a `u64` as it is scanned: each step is
//! a shift, a multiply and one bit test in a small filter that stays in cache, and only
//! filter hits are looked up exactly.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::prefilter::FxHasher;

/// The needle length this set handles.
pub const WIDTH: usize = 8;

const FILTER_BITS: u32 = 16;

/// Packs exactly [`WIDTH`] bytes, first byte most significant (as the scan builds keys).
fn pack(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |key, &b| (key << 8) | u64::from(b))
}

fn filter_index(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

/// Needles of exactly [`WIDTH`] bytes, each with a payload.
pub struct WindowSet<T> {
    filter: Vec<u64>,
    needles: HashMap<u64, T, BuildHasherDefault<FxHasher>>,
}

impl<T> WindowSet<T> {
    /// Builds the set; every needle must be [`WIDTH`] bytes long (others are ignored).
    pub fn new(needles: impl IntoIterator<Item = (Box<[u8]>, T)>) -> WindowSet<T> {
        let mut set = WindowSet { filter: vec![0; (1 << FILTER_BITS) / 64], needles: HashMap::default() };
        for (needle, payload) in needles {
            if needle.len() != WIDTH {
                continue;
            }
            let key = pack(&needle);
            let bit = filter_index(key);
            if let Some(word) = set.filter.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
            set.needles.insert(key, payload);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Calls `found` with the payload of every needle occurring in `text` (once per occurrence).
    pub fn scan(&self, text: &[u8], mut found: impl FnMut(&T)) {
        if text.len() < WIDTH || self.needles.is_empty() {
            return;
        }
        let mut key = pack(text.get(..WIDTH - 1).unwrap_or(&[]));
        for &b in text.get(WIDTH - 1..).unwrap_or(&[]) {
            key = (key << 8) | u64::from(b);
            let bit = filter_index(key);
            let set = self.filter.get(bit / 64).is_some_and(|w| w & (1 << (bit % 64)) != 0);
            if set {
                if let Some(payload) = self.needles.get(&key) {
                    found(payload);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_occurrence_and_nothing_else() {
        let set = WindowSet::new([(Box::from(&b"cmd.exe "[..]), 1), (Box::from(&b"\\cmd.exe"[..]), 2), (Box::from(&b"short"[..]), 3)]);
        let mut hits = Vec::new();
        set.scan(b"c:\\cmd.exe /c cmd.exe x", |&p| hits.push(p));
        assert_eq!(hits, vec![2, 1, 1]); // "cmd.exe " occurs twice
        let mut none = Vec::new();
        set.scan(b"cmd.ex", |&p| none.push(p));
        set.scan(b"short text", |&p| none.push(p));
        assert!(none.is_empty());
    }
}
