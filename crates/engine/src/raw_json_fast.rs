//! The fast path of the record validator ([`crate::raw_json`]): one pass over the record
//! sixteen bytes at a time (safe SIMD vectors of the `wide` crate) finds every quote and
//! whether any byte is a backslash, a control byte or non-ASCII; when none is, every string
//! of the record ends at the next quote, so the grammar walk skips a string with one bit
//! search instead of reading its bytes.
//!
//! It only answers for such plain records (nearly every record of a log): for the rest, and
//! for records longer than [`MAX_LEN`], it says nothing and the reference walk decides. On
//! the records it answers for, its answer is the reference's by construction: the grammar
//! walk is the same code, and without backslashes or control bytes the reference's string
//! scan also stops at the next quote.

use wide::u8x16;

use crate::raw_json::{walk, Strings};

/// The longest record the fast path takes (the quote mask lives on the stack).
pub const MAX_LEN: usize = 64 * WORDS;

/// 64-bit words of quote mask: one bit per byte of the record.
const WORDS: usize = 32;

/// Bit `j` of word `w`: byte `64 * w + j` of the record is a quote.
struct Quotes<'m> {
    mask: &'m [u64],
}

impl Strings for Quotes<'_> {
    #[inline]
    fn end(&self, _b: &[u8], i: usize) -> Option<usize> {
        let mut word = i / 64;
        // The quotes after `i` in its own word (`i` itself is the opening quote).
        let mut bits = self.mask.get(word)? & (!1u64 << (i % 64));
        loop {
            if bits != 0 {
                return Some(word * 64 + bits.trailing_zeros() as usize + 1);
            }
            word += 1;
            bits = *self.mask.get(word)?;
        }
    }
}

/// The record's last, short block, padded with spaces.
#[inline]
fn tail(rest: &[u8]) -> u8x16 {
    let mut bytes = [b' '; 16];
    bytes.iter_mut().zip(rest).for_each(|(b, &t)| *b = t);
    u8x16::new(bytes)
}

/// Whether `record` is one well-formed JSON object as [`crate::raw_json::well_formed`]
/// decides it; `None` when the record is not plain (a backslash, a control or non-ASCII
/// byte) or longer than [`MAX_LEN`]: then the reference walk must decide.
pub fn well_formed(record: &[u8]) -> Option<bool> {
    if record.len() > MAX_LEN {
        return None;
    }
    let mut mask = [0u64; WORDS];
    let quote = u8x16::splat(b'"');
    let backslash = u8x16::splat(b'\\');
    let control = u8x16::splat(0x1f);
    let mut unplain = u8x16::splat(0);
    let mut classify = |v: u8x16, at: usize| {
        // Non-ASCII bytes have the high bit set; control bytes are at most 0x1f.
        unplain |= v.simd_eq(backslash) | v.min(control).simd_eq(v) | v;
        if let Some(word) = mask.get_mut(at / 64) {
            *word |= u64::from(v.simd_eq(quote).to_bitmask()) << (at % 64);
        }
    };
    let blocks = record.chunks_exact(16);
    let rest = blocks.remainder();
    let mut at = 0;
    for block in blocks {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(block);
        classify(u8x16::new(bytes), at);
        at += 16;
    }
    if !rest.is_empty() {
        classify(tail(rest), at);
    }
    if unplain.to_bitmask() != 0 {
        return None;
    }
    let words = record.len().div_ceil(64);
    let quotes = Quotes { mask: mask.get(..words).unwrap_or(&[]) };
    Some(walk(record, &quotes).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_quote_across_words() {
        let mut record = b"{\"k\":\"".to_vec();
        record.extend(std::iter::repeat_n(b'x', 200));
        record.extend_from_slice(b"\"}");
        assert_eq!(well_formed(&record), Some(true));
        record.pop();
        record.pop();
        record.push(b'}');
        assert_eq!(well_formed(&record), Some(false), "unterminated string");
    }

    #[test]
    fn leaves_unplain_and_long_records_to_the_reference() {
        for unplain in ["{\"a\":\"\\n\"}", "{\"a\":\"caf\u{e9}\"}", "{\"a\":\"x\ty\"}", "{\"a\":1}\r"] {
            assert_eq!(well_formed(unplain.as_bytes()), None, "{unplain:?}");
        }
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_LEN));
        assert_eq!(well_formed(long.as_bytes()), None);
        assert_eq!(well_formed(b"{\"a\":\"x\"}"), Some(true));
        assert_eq!(well_formed(b"{\"a\":\"x}"), Some(false));
    }
}
