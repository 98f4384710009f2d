//! Numbers in events, for the tests a rule writes as numbers (`EventID: 4688`, `|gt: 3`).
//!
//! A numeric test reads a JSON number or a string holding one (surrounding spaces allowed),
//! as a 64-bit float: `-0` is `0`, `1.0` is `1`, `1e3` is `1000`. Text that is not a finite
//! number (`NaN`, `inf`, `0x10`, `1e400`) is not a number. Numeric equality is indexed by the
//! number's [`canonical`] text, so the candidate index looks events up by it too.

use std::borrow::Cow;

/// The finite number `text` holds, if it holds one.
pub fn parse(text: &str) -> Option<f64> {
    // Fast path: plain integers up to 15 digits (event ids, ports) are exact in an f64.
    let b = text.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')) as f64);
    }
    let t = text.trim();
    // `f64::from_str` also reads `inf`, `infinity` and `nan`: a number starts with a digit,
    // a sign or a point.
    if !t.as_bytes().first().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// One text per number value: both zeros are `0`, otherwise the shortest decimal text
/// that reads back as the same float (`4688`, `1.5`, `1000`).
pub fn canonical(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

/// The canonical text of the number `text` holds, borrowed when `text` already is it.
pub fn canonical_of(text: &str) -> Option<Cow<'_, str>> {
    let b = text.as_bytes();
    // Fast path: plain integers up to 15 digits (event ids, ports, counts) are canonical.
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) && (b.len() == 1 || b.first() != Some(&b'0')) {
        return Some(Cow::Borrowed(text));
    }
    parse(text).map(|x| Cow::Owned(canonical(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_per_number() {
        for (a, b) in [("-0", "0"), ("0.0", "0"), ("1.0", "1"), ("1e3", "1000"), ("4688", "4.688e3"), (" 42 ", "42"), ("+7", "7"), ("0.5", ".5"), ("007", "7")]
        {
            assert_eq!(canonical_of(a), canonical_of(b), "{a} vs {b}");
            assert_eq!(parse(a), parse(b), "{a} vs {b}");
        }
        assert_eq!(canonical_of("4688").as_deref(), Some("4688"));
        assert_eq!(canonical_of("1.50").as_deref(), Some("1.5"));
        assert_ne!(canonical_of("1"), canonical_of("1.5"));
    }

    #[test]
    fn not_numbers() {
        for t in ["", " ", "NaN", "nan", "inf", "-inf", "infinity", "0x10", "1e400", "12abc", "1.2.3", "true", "-"] {
            assert_eq!(parse(t), None, "{t}");
            assert_eq!(canonical_of(t), None, "{t}");
        }
    }
}
