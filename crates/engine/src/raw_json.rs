//! Whether a raw record is one well-formed JSON object, decided without building anything:
//! the raw prefilter leaves a record unparsed only when this says yes, so a bad record is
//! still parsed, reported and counted even when no rule could match it.
//!
//! Conservative: it says no to everything the JSON scanner of `vigil_events` rejects, and
//! also to some records the scanner accepts, which are then parsed (any byte above 0x7F, and
//! any `\u` escape: the raw prefilter parses such records anyway). Iterative (an explicit
//! stack of up to [`MAX_DEPTH`] containers, one bit each), with string bodies skipped
//! eight bytes at a time: a record is mostly strings, and a word with no quote, backslash,
//! control or non-ASCII byte needs no look at its bytes.

/// The JSON nesting the parser accepts (`vigil_events::json::MAX_DEPTH`).
const MAX_DEPTH: u32 = 128;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that is `"`, `\\`, below 0x20 or above 0x7F, and
/// maybe of bytes after such a byte (the borrow of the zero-byte test): zero exactly when no
/// byte is special, and the lowest set bit is always the first special byte.
#[inline]
fn special(word: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control | word) & HIGH
}

/// The offset just past the string that opens at `i` (a `"`), or `None` when it is not a
/// plain well-formed string (unterminated, a control or non-ASCII byte, a bad or `\u` escape).
#[inline]
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        // Eight bytes at a time, straight to the first special byte.
        while let Some(word) = b.get(i..i + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            let mask = special(u64::from_le_bytes(bytes));
            if mask != 0 {
                i += (mask.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                if !matches!(b.get(i + 1), Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')) {
                    return None;
                }
                i += 2;
            }
            0..=0x1f | 0x80..=0xff => return None,
            _ => i += 1,
        }
    }
}

/// The first offset from `i` that is not JSON white space.
#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        // One compare for the usual case: no white space at all.
        if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

#[inline]
fn digits(b: &[u8], mut i: usize) -> (usize, bool) {
    let start = i;
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    (i, i > start)
}

/// The offset just past the number at `i`, or `None` when it is not one.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(b, i).0,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let (end, any) = digits(b, i + 1);
        if !any {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (end, any) = digits(b, i);
        if !any {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The offset just past `"key"` and `:` (with white space) at `i`, at a value.
#[inline]
fn key_colon(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let i = string_end(b, i)?;
    if b.get(i) == Some(&b':') {
        return Some(ws(b, i + 1));
    }
    let i = ws(b, i);
    (b.get(i) == Some(&b':')).then(|| ws(b, i + 1))
}

/// True when `record` is one well-formed JSON object, plainly written (see the module
/// documentation); white space around it is allowed.
pub fn well_formed(record: &[u8]) -> bool {
    well_formed_at(record).is_some()
}

fn well_formed_at(b: &[u8]) -> Option<()> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    // `depth` containers are open; the innermost is an object when `object`, and bit `d`
    // of `outer` tells the same of the container `d + 1` levels further out.
    let mut outer: u128 = 0;
    let mut depth: u32 = 0;
    let mut object = true;
    loop {
        // At a value.
        match *b.get(i)? {
            open @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                if depth > 0 {
                    outer = (outer << 1) | u128::from(object);
                }
                depth += 1;
                object = open == b'{';
                i = ws(b, i + 1);
                let close = if object { b'}' } else { b']' };
                if b.get(i) != Some(&close) {
                    if object {
                        i = key_colon(b, i)?;
                    }
                    continue;
                }
                i += 1;
                depth -= 1;
                if depth > 0 {
                    object = outer & 1 != 0;
                    outer >>= 1;
                }
            }
            b'"' => i = string_end(b, i)?,
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number_end(b, i)?,
            _ => return None,
        }
        // After a value: close containers, or go on after a comma.
        loop {
            i = ws(b, i);
            if depth == 0 {
                return (i == b.len()).then_some(());
            }
            match (b.get(i), object) {
                (Some(b','), _) => {
                    i = ws(b, i + 1);
                    if object {
                        i = key_colon(b, i)?;
                    }
                    break;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    i += 1;
                    depth -= 1;
                    if depth > 0 {
                        object = outer & 1 != 0;
                        outer >>= 1;
                    }
                }
                _ => return None,
            }
        }
    }
}

#[inline]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len()) == Some(word)).then_some(i + word.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        for ok in [
            r#"{}"#,
            r#" { "a" : [ 1 , -2.5e+3 , true , false , null , "x\"\\\/\b\f\n\r\t" , { } , [ ] ] } "#,
            r#"{"a":{"b":{"c":[[[0]]]}},"long string past eight bytes":"0123456789abcdef"}"#,
            r#"{"a":0.0,"b":-0,"c":1E5,"d":"","e":[{}]}"#,
        ] {
            assert!(well_formed(ok.as_bytes()), "{ok}");
        }
        let deep = format!("{}{}", "{\"a\":".repeat(127) + "{", "}".repeat(128));
        assert!(well_formed(deep.as_bytes()));
    }

    #[test]
    fn rejects_what_the_parser_rejects_and_unplain_text() {
        for bad in [
            "",
            "[]",
            "\"a\"",
            "1",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\":1}}",
            "{\"a\":1} x",
            "{\"a\":[1,]}",
            "{\"a\":[1}",
            "{\"a\":{]}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":\"x\ty\"}",
            "{\"a\":\"unterminated}",
            "{\"a\":\"bad \\x escape\"}",
            "{\"a\":\"\\u0041\"}",
            "{\"a\":\"caf\u{e9}\"}",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":1 \"b\":2}",
        ] {
            assert!(!well_formed(bad.as_bytes()), "{bad:?}");
        }
        let too_deep = format!("{}{}", "{\"a\":".repeat(128) + "{", "}".repeat(129));
        assert!(!well_formed(too_deep.as_bytes()));
    }

    #[test]
    fn the_word_test_finds_every_special_byte_at_every_position() {
        for position in 0..8 {
            for byte in [b'"', b'\\', 0, 0x1f, 0x80, 0xff] {
                let mut word = *b"abcdefgh";
                word[position] = byte;
                let mask = special(u64::from_le_bytes(word));
                assert_eq!(mask.trailing_zeros() / 8, position as u32, "{byte:#x} at {position}");
            }
        }
        for byte in 0x20..0x7f_u8 {
            if byte != b'"' && byte != b'\\' {
                assert_eq!(special(u64::from_le_bytes([byte; 8])), 0, "{byte:#x}");
            }
        }
    }
}
