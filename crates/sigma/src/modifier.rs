//! The registry of Sigma value modifiers: one line per name.
//!
//! A modifier is typed by its role (placement, transformation, typed test, regex flag, or one
//! of the generic `all`/`cased`/`neq`), and every stage matches the role it handles without a
//! default arm: adding a modifier fails to compile until `item.rs` sorts it, and `typed.rs`
//! or `string_value.rs` gives it its meaning.

use vigil_ir::{NumOp, StrOp, TimePart};

/// A Sigma value modifier (the `|name` parts of a detection key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `contains`, `startswith`, `endswith`: where the value sits in the field.
    Place(Placement),
    /// `all`: every value must match instead of any.
    All,
    /// `cased`: compare case-sensitively.
    Cased,
    /// `neq`: the whole item is negated.
    Neq,
    /// A transformation of the value before it is matched.
    Transform(Transform),
    /// A typed test that replaces string matching.
    Typed(Typed),
    /// A flag of `re`.
    ReFlag(ReFlag),
}

/// Where a string value must sit in the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    Contains,
    StartsWith,
    EndsWith,
}

/// A value transformation, applied in written order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16,
    /// The historical name of `utf16le`.
    Wide,
    Windash,
    Expand,
}

/// A numeric bound modifier (`lt`, `lte`, `gt`, `gte`). Numeric equality has no modifier of
/// its own (a value written as a number), so it is not one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bound {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Bound {
    /// The IR comparison this modifier tests.
    pub fn op(self) -> NumOp {
        match self {
            Bound::Lt => NumOp::Lt,
            Bound::Lte => NumOp::Lte,
            Bound::Gt => NumOp::Gt,
            Bound::Gte => NumOp::Gte,
        }
    }
}

/// A typed modifier: the item is a test of this kind instead of a string match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Typed {
    Re,
    Cidr,
    Compare(Bound),
    Exists,
    FieldRef,
    /// `minute`, `hour`, `day`, `week`, `month`, `year`.
    Time(TimePart),
}

/// A flag of `re`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReFlag {
    /// `i`: case-insensitive.
    IgnoreCase,
    /// `m`: `^`/`$` match at line ends.
    MultiLine,
    /// `s`: `.` matches a newline.
    DotAll,
}

/// Every modifier name vigil accepts. `wide` is the historical name of `utf16le`; pySigma
/// knows only `wide`, the specification lists both, so both are accepted.
pub const MODIFIERS: &[(&str, Modifier)] = &[
    ("contains", Modifier::Place(Placement::Contains)),
    ("startswith", Modifier::Place(Placement::StartsWith)),
    ("endswith", Modifier::Place(Placement::EndsWith)),
    ("all", Modifier::All),
    ("base64", Modifier::Transform(Transform::Base64)),
    ("base64offset", Modifier::Transform(Transform::Base64Offset)),
    ("utf16le", Modifier::Transform(Transform::Utf16Le)),
    ("utf16be", Modifier::Transform(Transform::Utf16Be)),
    ("utf16", Modifier::Transform(Transform::Utf16)),
    ("wide", Modifier::Transform(Transform::Wide)),
    ("windash", Modifier::Transform(Transform::Windash)),
    ("re", Modifier::Typed(Typed::Re)),
    ("i", Modifier::ReFlag(ReFlag::IgnoreCase)),
    ("ignorecase", Modifier::ReFlag(ReFlag::IgnoreCase)),
    ("m", Modifier::ReFlag(ReFlag::MultiLine)),
    ("multiline", Modifier::ReFlag(ReFlag::MultiLine)),
    ("s", Modifier::ReFlag(ReFlag::DotAll)),
    ("dotall", Modifier::ReFlag(ReFlag::DotAll)),
    ("cidr", Modifier::Typed(Typed::Cidr)),
    ("lt", Modifier::Typed(Typed::Compare(Bound::Lt))),
    ("lte", Modifier::Typed(Typed::Compare(Bound::Lte))),
    ("gt", Modifier::Typed(Typed::Compare(Bound::Gt))),
    ("gte", Modifier::Typed(Typed::Compare(Bound::Gte))),
    ("exists", Modifier::Typed(Typed::Exists)),
    ("fieldref", Modifier::Typed(Typed::FieldRef)),
    ("expand", Modifier::Transform(Transform::Expand)),
    ("cased", Modifier::Cased),
    ("neq", Modifier::Neq),
    ("minute", Modifier::Typed(Typed::Time(TimePart::Minute))),
    ("hour", Modifier::Typed(Typed::Time(TimePart::Hour))),
    ("day", Modifier::Typed(Typed::Time(TimePart::Day))),
    ("week", Modifier::Typed(Typed::Time(TimePart::Week))),
    ("month", Modifier::Typed(Typed::Time(TimePart::Month))),
    ("year", Modifier::Typed(Typed::Time(TimePart::Year))),
];

impl Modifier {
    /// Looks a modifier up by name (case-sensitive, as the specification writes them).
    pub fn parse(name: &str) -> Option<Modifier> {
        MODIFIERS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    /// The registry's spelling of `name` (a static string), when it names a modifier.
    pub fn spelling(name: &str) -> Option<&'static str> {
        MODIFIERS.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
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

    /// The name a diagnostic uses for the modifier (the specification's short form).
    pub fn name(self) -> &'static str {
        match self {
            Modifier::Place(p) => match p {
                Placement::Contains => "contains",
                Placement::StartsWith => "startswith",
                Placement::EndsWith => "endswith",
            },
            Modifier::All => "all",
            Modifier::Cased => "cased",
            Modifier::Neq => "neq",
            Modifier::Transform(t) => t.name(),
            Modifier::Typed(t) => t.name(),
            Modifier::ReFlag(f) => match f {
                ReFlag::IgnoreCase => "i",
                ReFlag::MultiLine => "m",
                ReFlag::DotAll => "s",
            },
        }
    }
}

impl Placement {
    /// The IR placement of a string pattern.
    pub fn op(self) -> StrOp {
        match self {
            Placement::Contains => StrOp::Contains,
            Placement::StartsWith => StrOp::StartsWith,
            Placement::EndsWith => StrOp::EndsWith,
        }
    }
}

impl Transform {
    /// The modifier's name.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Base64 => "base64",
            Transform::Base64Offset => "base64offset",
            Transform::Utf16Le => "utf16le",
            Transform::Utf16Be => "utf16be",
            Transform::Utf16 => "utf16",
            Transform::Wide => "wide",
            Transform::Windash => "windash",
            Transform::Expand => "expand",
        }
    }

    /// True for the base64 encodings, which must come before a placement modifier (they
    /// encode the whole value; the placement applies to the encoded text).
    pub fn is_base64(self) -> bool {
        match self {
            Transform::Base64 | Transform::Base64Offset => true,
            Transform::Utf16Le | Transform::Utf16Be | Transform::Utf16 | Transform::Wide | Transform::Windash | Transform::Expand => false,
        }
    }
}

impl Typed {
    /// The modifier's name.
    pub fn name(self) -> &'static str {
        match self {
            Typed::Re => "re",
            Typed::Cidr => "cidr",
            Typed::Compare(op) => match op {
                Bound::Lt => "lt",
                Bound::Lte => "lte",
                Bound::Gt => "gt",
                Bound::Gte => "gte",
            },
            Typed::Exists => "exists",
            Typed::FieldRef => "fieldref",
            Typed::Time(part) => part.name(),
        }
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
    fn every_modifier_is_named_by_a_registry_line() {
        for (_, modifier) in MODIFIERS {
            assert_eq!(Modifier::parse(modifier.name()), Some(*modifier), "{modifier:?}");
        }
        assert_eq!(Modifier::parse("ignorecase").map(Modifier::name), Some("i"));
        assert_eq!(Modifier::parse("lte").map(Modifier::name), Some("lte"));
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(Modifier::suggest("endswithh"), Some("endswith"));
        assert_eq!(Modifier::suggest("contain"), Some("contains"));
        assert_eq!(Modifier::suggest("zzzzzz"), None);
    }
}
