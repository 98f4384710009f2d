//! The order of Elasticsearch's `version` field type: semantic versions (`1.10.0 >
//! 1.9.0`; a pre-release sorts before its release, `1.0.0-alpha < 1.0.0`; build metadata
//! after `+` is ignored), and text that is not a version after every version, by its bytes.

use std::cmp::Ordering;

/// Compares two version texts.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.0.cmp(&y.0).then_with(|| prerelease(&x.1, &y.1)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The numeric core and the pre-release identifiers, or `None` when `text` is not a version.
fn parse(text: &str) -> Option<(Vec<u64>, Vec<&str>)> {
    let text = text.split_once('+').map_or(text, |(v, _)| v);
    let (core, pre) = match text.split_once('-') {
        Some((c, p)) => (c, p.split('.').collect()),
        None => (text, Vec::new()),
    };
    let numbers =
        core.split('.').map(|n| if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) { None } else { n.parse().ok() }).collect::<Option<Vec<u64>>>()?;
    if pre.iter().any(|p: &&str| p.is_empty()) {
        return None;
    }
    Some((numbers, pre))
}

/// No pre-release sorts after any; identifiers compare numerically when both are numbers,
/// numbers before text, text by bytes; a shorter list of equal identifiers first.
fn prerelease(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::compare;
    use std::cmp::Ordering::*;

    #[test]
    fn semantic_order() {
        for (a, b, o) in [
            ("1.10.0", "1.9.0", Greater),
            ("1.11.3", "1.5.0", Greater),
            ("1.2.4", "1.2.4", Equal),
            ("1.0.0-alpha", "1.0.0", Less),
            ("1.0.0-alpha.2", "1.0.0-alpha.10", Less),
            ("1.0.0-alpha", "1.0.0-beta", Less),
            ("1.0.0+build.5", "1.0.0", Equal),
            ("2.0", "10.0", Less),
            ("not a version", "99.0.0", Greater),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
            assert_eq!(compare(b, a), o.reverse(), "{b} vs {a}");
        }
    }
}
