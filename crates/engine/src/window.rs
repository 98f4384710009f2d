//! Sets of short needles (up to 8 bytes) found in a text by packing bytes into a `u64`.
//!
//! Witness needles are cut to at most [`WIDTH`] bytes (see `prefilter`), so instead of an
//! Aho-Corasick automaton over thousands of needles (megabytes, cache misses on every byte),
//! a [`WindowSet`] keeps the last `width` bytes of the text packed in a `u64` as it scans:
//! each step is a shift, a mask, a multiply and one bit test in a small filter that stays in
//! cache, and only filter hits are looked up exactly. An [`EndSet`] does the same for the
//! first or last bytes of a text only.

use crate::prefilter::FxMap;

/// Packed needles and their payloads.
type KeyMap<T> = FxMap<u64, T>;

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

/// Needles of exactly `width` bytes (1 to [`WIDTH`]), each with a payload.
pub struct WindowSet<T> {
    width: usize,
    mask: u64,
    filter: Vec<u64>,
    needles: KeyMap<T>,
}

impl<T> WindowSet<T> {
    /// Builds the set of needles `width` bytes long (needles of other lengths are ignored).
    pub fn new(width: usize, needles: impl IntoIterator<Item = (Box<[u8]>, T)>) -> WindowSet<T> {
        let width = width.clamp(1, WIDTH);
        let mask = if width == WIDTH { u64::MAX } else { (1u64 << (8 * width)) - 1 };
        let mut set = WindowSet { width, mask, filter: vec![0; (1 << FILTER_BITS) / 64], needles: KeyMap::default() };
        for (needle, payload) in needles {
            if needle.len() != width {
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

    /// Calls `found` with the payload of every needle occurring in `text` (once per occurrence).
    pub fn scan(&self, text: &[u8], mut found: impl FnMut(&T)) {
        if text.len() < self.width || self.needles.is_empty() {
            return;
        }
        let mut key = pack(text.get(..self.width - 1).unwrap_or(&[]));
        for &b in text.get(self.width - 1..).unwrap_or(&[]) {
            key = ((key << 8) | u64::from(b)) & self.mask;
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

/// Needles of up to [`WIDTH`] bytes tested at one end of a text: its first or last `n` bytes
/// for each needle length `n` present. Each test is a packed key and one bit test; only
/// filter hits are looked up exactly.
pub struct EndSet<T> {
    /// Whether needles sit at the start (`true`) or the end of the text.
    at_start: bool,
    /// Per needle length: (length, filter, needles).
    lengths: Vec<(usize, Vec<u64>, KeyMap<T>)>,
}

impl<T> EndSet<T> {
    /// Builds the set; needles longer than [`WIDTH`] or empty are ignored.
    pub fn new(at_start: bool, needles: impl IntoIterator<Item = (Box<[u8]>, T)>) -> EndSet<T> {
        let mut set = EndSet { at_start, lengths: Vec::new() };
        for (needle, payload) in needles {
            let n = needle.len();
            if n == 0 || n > WIDTH {
                continue;
            }
            let position = match set.lengths.iter().position(|(len, _, _)| *len == n) {
                Some(p) => p,
                None => {
                    set.lengths.push((n, vec![0; (1 << FILTER_BITS) / 64], KeyMap::default()));
                    set.lengths.len() - 1
                }
            };
            if let Some((_, filter, map)) = set.lengths.get_mut(position) {
                let key = pack(&needle);
                let bit = filter_index(key);
                if let Some(word) = filter.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
                map.insert(key, payload);
            }
        }
        set
    }

    /// Calls `found` with the payload of every needle at the set's end of `text`.
    pub fn scan(&self, text: &[u8], mut found: impl FnMut(&T)) {
        for (n, filter, map) in &self.lengths {
            let Some(start) = text.len().checked_sub(*n) else { continue };
            let part = if self.at_start { text.get(..*n) } else { text.get(start..) };
            let Some(part) = part else { continue };
            let key = pack(part);
            let bit = filter_index(key);
            if filter.get(bit / 64).is_some_and(|w| w & (1 << (bit % 64)) != 0) {
                if let Some(payload) = map.get(&key) {
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
    fn end_sets_test_only_their_end() {
        let suffixes = EndSet::new(false, [(Box::from(&b".exe"[..]), 1), (Box::from(&b"\\cmd.exe"[..]), 2)]);
        let mut hits = Vec::new();
        suffixes.scan(b"C:\\cmd.exe", |&p| hits.push(p));
        hits.sort();
        assert_eq!(hits, vec![1, 2]);
        let mut none = Vec::new();
        suffixes.scan(b"cmd.exe.txt", |&p| none.push(p));
        assert!(none.is_empty());
        let prefixes = EndSet::new(true, [(Box::from(&b"c:\\"[..]), 1)]);
        prefixes.scan(b"c:\\x", |&p| none.push(p));
        prefixes.scan(b"d:\\c:\\", |&p| none.push(p));
        assert_eq!(none, vec![1]);
    }

    #[test]
    fn finds_every_occurrence_and_nothing_else() {
        let set = WindowSet::new(8, [(Box::from(&b"cmd.exe "[..]), 1), (Box::from(&b"\\cmd.exe"[..]), 2), (Box::from(&b"short"[..]), 3)]);
        let mut hits = Vec::new();
        set.scan(b"c:\\cmd.exe /c cmd.exe x", |&p| hits.push(p));
        assert_eq!(hits, vec![2, 1, 1]); // "cmd.exe " occurs twice
        let mut none = Vec::new();
        set.scan(b"cmd.ex", |&p| none.push(p));
        set.scan(b"short text", |&p| none.push(p));
        assert!(none.is_empty());
        let short = WindowSet::new(4, [(Box::from(&b"dump"[..]), 7)]);
        let mut hits = Vec::new();
        short.scan(b"procdump -ma dumpfile", |&p| hits.push(p));
        assert_eq!(hits, vec![7, 7]);
    }
}
