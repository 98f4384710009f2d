//! Value transformations, expanded when a rule is lowered: base64, base64offset, UTF-16
//! encodings and windash. Each takes one value and returns its alternatives.

/// Standard base64 (with padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three base64 forms of `bytes` as it may appear at any offset inside a longer encoded
/// text: for each shift 0, 1, 2, encode with that many leading filler bytes and keep only the
/// characters that do not depend on the filler or on what follows.
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for shift in 0..3 {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(bytes);
        let encoded = base64(&padded);
        let trim = END_TRIM[(bytes.len() + shift) % 3];
        let end = encoded.len().saturating_sub(trim);
        let text = encoded.get(START[shift]..end).unwrap_or("").to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// UTF-16 little-endian bytes of `text`.
pub fn utf16le(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text).encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// UTF-16 big-endian bytes of `text`.
pub fn utf16be(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text).encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// UTF-16 with a byte-order mark (`FF FE`, little-endian), as Windows writes it.
pub fn utf16_bom(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(utf16le(text));
    out
}

/// The dash characters of `windash`: `-`, `/`, en dash, em dash, horizontal bar. Each of
/// them, written at a flag position of a rule value, is replaced by each of them.
pub const WINDASH_CHARS: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// The most alternatives one windash value may expand to.
pub const MAX_WINDASH_ALTERNATIVES: usize = 5usize.pow(5);

/// Every spelling of `text` with each command-line flag dash replaced by each of
/// [`WINDASH_CHARS`]. A flag dash is one of [`WINDASH_CHARS`] that starts a word: not
/// preceded by a word character, followed by one (pySigma's `\B[-/]\b`, with the
/// specification's five characters in the class, so a rule written with `/` or an en dash
/// expands like one written with `-`). A dash inside a word (`foo-bar`) stays as written.
/// Returns `None` when the expansion would exceed the bound.
pub fn windash(text: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let flags: Vec<usize> = (0..chars.len())
        .filter(|&i| WINDASH_CHARS.contains(&chars[i]) && (i == 0 || !is_word(chars[i - 1])) && chars.get(i + 1).is_some_and(|&c| is_word(c)))
        .collect();
    let count = 5usize.checked_pow(u32::try_from(flags.len()).ok()?)?;
    if count > MAX_WINDASH_ALTERNATIVES {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for mut n in 0..count {
        let mut variant = chars.clone();
        for &pos in &flags {
            variant[pos] = WINDASH_CHARS[n % 5];
            n /= 5;
        }
        out.push(variant.into_iter().collect());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64_offsets_are_found_inside_longer_encodings() {
        let needle = b"Invoke-Mimikatz";
        let alternatives = base64_offsets(needle);
        assert_eq!(alternatives.len(), 3);
        for prefix in ["", "a", "ab", "abc", "xyzw"] {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(needle);
            text.extend_from_slice(b" tail");
            let encoded = base64(&text);
            assert!(alternatives.iter().any(|a| encoded.contains(a.as_str())), "prefix {prefix:?}: {encoded}");
        }
    }

    #[test]
    fn base64_offsets_match_the_specification_example() {
        // The Sigma specification's example value and its three published forms.
        assert_eq!(base64_offsets(b"/bin/bash"), vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(utf16le(b"ab"), vec![b'a', 0, b'b', 0]);
        assert_eq!(utf16be(b"ab"), vec![0, b'a', 0, b'b']);
        assert_eq!(utf16_bom(b"a"), vec![0xFF, 0xFE, b'a', 0]);
    }

    #[test]
    fn windash_expands_only_flag_dashes() {
        let out = windash(" -a foo-bar").unwrap();
        assert_eq!(out.len(), 5);
        assert!(out.contains(&" /a foo-bar".to_string()));
        assert!(out.contains(&" \u{2015}a foo-bar".to_string()));
        assert_eq!(windash("a-b").unwrap(), vec!["a-b".to_string()]);
        assert_eq!(windash("a\u{2013}b").unwrap(), vec!["a\u{2013}b".to_string()]);
        assert_eq!(windash("-x -y").unwrap().len(), 25);
        assert!(windash(&" -a".repeat(6)).is_none());
    }

    #[test]
    fn windash_expands_every_dash_of_the_set_written_in_the_rule() {
        let all = |flag: &str| -> Vec<String> { WINDASH_CHARS.iter().map(|d| format!(" {d}{flag}")).collect() };
        for written in WINDASH_CHARS {
            let mut out = windash(&format!(" {written}addstore")).unwrap();
            out.sort();
            let mut want = all("addstore");
            want.sort();
            assert_eq!(out, want, "written with {written:?}");
        }
    }
}
