//! Literals a regular expression requires anywhere in its match, for the candidate index.
//!
//! `regex-syntax`'s extractor finds a regex's required prefixes or suffixes; a regex such as
//! `(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe` has only `.exe` there, which nearly every
//! command line carries, so its rule would be evaluated (a regex run) for every process
//! event. This walks the regex instead and keeps the best run of characters every match must
//! contain (`werfault` here: `s` is not a run character under
//! Unicode case folding, see below).
//!
//! Needles are ASCII and lower case, because the index scans lower-cased values while the
//! regex runs on the original text: an ASCII character lower-cases to one ASCII character
//! whatever surrounds it, so a run of them in a match is also a run in the lower-cased value.
//! A case-insensitive letter (`[Ee]`) counts as its lower-case letter; a class with any other
//! member (`[Kk\u{212A}]`, the Kelvin sign) or a non-ASCII character ends a run.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The most needles kept for one alternation; beyond it the regex counts as having none.
const MAX_NEEDLES: usize = 64;

/// A set of needles one of which every match of `hir` contains, or `None`.
pub fn required_literals(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(_) | HirKind::Class(_) => concat(std::slice::from_ref(hir)),
        HirKind::Concat(items) => concat(items),
        HirKind::Capture(capture) => required_literals(&capture.sub),
        HirKind::Repetition(repetition) if repetition.min > 0 => required_literals(&repetition.sub),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(branches) => {
            let mut union = Vec::new();
            for branch in branches {
                union.extend(required_literals(branch)?);
                if union.len() > MAX_NEEDLES {
                    return None;
                }
            }
            union.sort_unstable();
            union.dedup();
            Some(union)
        }
    }
}

/// True when needle set `a` selects better than `b`: its shortest needle (as the index cuts
/// it) is longer, or as long with fewer needles.
pub fn better(a: &[String], b: &[String]) -> bool {
    let shortest = |set: &[String]| set.iter().map(|n| n.len().min(crate::prefilter::MAX_NEEDLE)).min().unwrap_or(0);
    (shortest(a), std::cmp::Reverse(a.len())) > (shortest(b), std::cmp::Reverse(b.len()))
}

/// The lower-case ASCII letter a class stands for, when every member is that letter in some
/// case (`[Ee]`, or a one-character class).
fn class_char(class: &Class) -> Option<u8> {
    let mut letter = None;
    let mut same = |c: u32| {
        let byte = u8::try_from(c).ok().filter(u8::is_ascii)?.to_ascii_lowercase();
        (*letter.get_or_insert(byte) == byte).then_some(())
    };
    match class {
        Class::Unicode(u) => {
            for range in u.ranges() {
                for c in u32::from(range.start())..=u32::from(range.end()) {
                    same(c)?;
                }
            }
        }
        Class::Bytes(b) => {
            for range in b.ranges() {
                for c in range.start()..=range.end() {
                    same(u32::from(c))?;
                }
            }
        }
    }
    letter
}

/// The best required set of a sequence: a run of adjacent literal characters, or what one
/// of the items requires on its own.
fn concat(items: &[Hir]) -> Option<Vec<String>> {
    let mut best: Option<Vec<String>> = None;
    let mut run = String::new();
    for item in items {
        match item.kind() {
            HirKind::Literal(lit) => {
                for &b in lit.0.iter() {
                    if b.is_ascii() {
                        run.push(char::from(b.to_ascii_lowercase()));
                    } else {
                        offer(vec![std::mem::take(&mut run)], &mut best);
                    }
                }
            }
            HirKind::Class(class) => match class_char(class) {
                Some(c) => run.push(char::from(c)),
                None => offer(vec![std::mem::take(&mut run)], &mut best),
            },
            // Zero-width: the characters on either side are adjacent in the text.
            HirKind::Look(_) | HirKind::Empty => {}
            _ => {
                offer(vec![std::mem::take(&mut run)], &mut best);
                if let Some(set) = required_literals(item) {
                    offer(set, &mut best);
                }
            }
        }
    }
    offer(vec![run], &mut best);
    best
}

/// Makes `candidate` the best set when it has no empty needle and selects better.
fn offer(candidate: Vec<String>, best: &mut Option<Vec<String>>) {
    if !candidate.is_empty() && candidate.iter().all(|n| !n.is_empty()) && best.as_ref().is_none_or(|b| better(&candidate, b)) {
        *best = Some(candidate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required(re: &str) -> Option<Vec<String>> {
        required_literals(&regex_syntax::Parser::new().parse(re).unwrap())
    }

    fn matches(re: &str, text: &str) -> bool {
        regex::Regex::new(re).unwrap().is_match(text)
    }

    #[test]
    fn picks_the_longest_run_inside_the_regex() {
        assert_eq!(required(r#"(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe["']?\s+\d{2,10}"#), Some(vec!["werfault".to_string()]));
        assert_eq!(required(r"foo\d+barbaz"), Some(vec!["barbaz".to_string()]));
        assert_eq!(required(r"(?i)^Format-(Table|Hex)\b"), Some(vec!["format-".to_string()]));
        // `k` and `s` end runs (Kelvin sign, long s), so the alternation selects better here.
        assert_eq!(required(r"(?i)^Invoke-(Expression|Command)\b"), Some(vec!["command".to_string(), "expre".to_string()]));
    }

    #[test]
    fn alternations_union_and_optional_parts_require_nothing() {
        assert_eq!(required(r"x(alpha|beta)y"), Some(vec!["alpha".to_string(), "beta".to_string()]));
        assert_eq!(required(r"(abc)?\d"), None);
        assert_eq!(required(r"(abc|\d)"), None);
        assert_eq!(required(r"(abcd)+"), Some(vec!["abcd".to_string()]));
    }

    #[test]
    fn case_folding_that_leaves_ascii_breaks_a_run() {
        // Unicode case folding puts the Kelvin sign in `k`'s class and the long s in `s`'s.
        assert_eq!(required(r"(?i)abkcd"), Some(vec!["ab".to_string()]));
        assert!(matches(r"(?i)abkcd", "AB\u{212A}CD"));
        assert_eq!(required(r"(?i)xs"), Some(vec!["x".to_string()]));
        assert_eq!(required(r"é\d"), None);
    }

    #[test]
    fn every_match_contains_a_needle_once_lower_cased() {
        let cases = [
            (r"(?i)c:\\windows\\(system32|syswow64)\\[a-z]+\.exe", "C:\\Windows\\SysWOW64\\Cmd.EXE"),
            (r"(?i)\.exe[\x22']?\s+[^\x22]{0,64}werfaultsecure\.exe", "a.EXE' -x WerFaultSecure.exe 1234"),
            (r"Get-\w+Item\b", "Get-ChildItem x"),
            (r"(?i)abkcd", "AB\u{212A}CD"),
        ];
        for (re, text) in cases {
            assert!(matches(re, text), "{re} / {text}");
            let needles = required(re).unwrap();
            let lower = text.to_lowercase();
            assert!(needles.iter().any(|n| lower.contains(n.as_str())), "{re}: {needles:?} not in {lower}");
        }
    }
}
