//! The registry of Sigma value modifiers: one line per modifier.
//!
//! Adding a modifier means one registry line here and its meaning in `typed.rs` (typed
//! modifiers) or `string_value.rs`/`transform.rs` (value transformations).

/// A Sigma value modifier (the `|name` parts of a detection key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16,
    Wide,
    Windash,
    Re,
    /// `re` flag: case-insensitive.
    ReIgnoreCase,
    /// `re` flag: `^`/`$` match at line ends.
    ReMultiLine,
    /// `re` flag: `.` matches a newline.
    ReDotAll,
    Cidr,
    Lt,
    Lte,
    Gt,
    Gte,
    Exists,
    FieldRef,
    Expand,
    Cased,
    Neq,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// Every modifier name vigil accepts. `wide` is the historical name of `utf16le`; pySigma
/// knows only `wide`, the specification lists both, so both are accepted.
pub const MODIFIERS: &[(&str, Modifier)] = &[
    ("contains", Modifier::Contains),
    ("startswith", Modifier::StartsWith),
    ("endswith", Modifier::EndsWith),
    ("all", Modifier::All),
    ("base64", Modifier::Base64),
    ("base64offset", Modifier::Base64Offset),
    ("utf16le", Modifier::Utf16Le),
    ("utf16be", Modifier::Utf16Be),
    ("utf16", Modifier::Utf16),
    ("wide", Modifier::Wide),
    ("windash", Modifier::Windash),
    ("re", Modifier::Re),
    ("i", Modifier::ReIgnoreCase),
    ("ignorecase", Modifier::ReIgnoreCase),
    ("m", Modifier::ReMultiLine),
    ("multiline", Modifier::ReMultiLine),
    ("s", Modifier::ReDotAll),
    ("dotall", Modifier::ReDotAll),
    ("cidr", Modifier::Cidr),
    ("lt", Modifier::Lt),
    ("lte", Modifier::Lte),
    ("gt", Modifier::Gt),
    ("gte", Modifier::Gte),
    ("exists", Modifier::Exists),
    ("fieldref", Modifier::FieldRef),
    ("expand", Modifier::Expand),
    ("cased", Modifier::Cased),
    ("neq", Modifier::Neq),
    ("minute", Modifier::Minute),
    ("hour", Modifier::Hour),
    ("day", Modifier::Day),
    ("week", Modifier::Week),
    ("month", Modifier::Month),
    ("year", Modifier::Year),
];

impl Modifier {
    /// Looks a modifier up by name (case-sensitive, as the specification writes them).
    pub fn parse(name: &str) -> Option<Modifier> {
        MODIFIERS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    /// The closest known name to an unknown one, for "did you mean" hints.
    pub fn suggest(name: &str) -> Option<&'static str> {
        MODIFIERS
            .iter()
            .map(|(n, _)| (*n, edit_distance(n, &name.to_ascii_lowercase())))
            .filter(|(n, d)| *d <= 2 && n.len() > 2)
            .min_by_key(|(_, d)| *d)
            .map(|(n, _)| n)
    }

    /// True for the modifiers that change the value before it is matched.
    pub fn is_transform(self) -> bool {
        matches!(
            self,
            Modifier::Base64
                | Modifier::Base64Offset
                | Modifier::Utf16Le
                | Modifier::Utf16Be
                | Modifier::Utf16
                | Modifier::Wide
                | Modifier::Windash
                | Modifier::Expand
        )
    }

    /// True for the regular-expression flags, which are only valid after `re`.
    pub fn is_regex_flag(self) -> bool {
        matches!(self, Modifier::ReIgnoreCase | Modifier::ReMultiLine | Modifier::ReDotAll)
    }
}

/// Levenshtein distance, for modifier suggestions (names are short, so O(n·m) is fine).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses() {
        for (name, modifier) in MODIFIERS {
            assert_eq!(Modifier::parse(name), Some(*modifier));
        }
        assert_eq!(Modifier::parse("endswithh"), None);
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(Modifier::suggest("endswithh"), Some("endswith"));
        assert_eq!(Modifier::suggest("contain"), Some("contains"));
        assert_eq!(Modifier::suggest("zzzzzz"), None);
    }
}
