//! The `eql` target: Elastic EQL as Elasticsearch accepts it, `any where …` over the
//! pipeline's field names (ECS with the `ecs-windows` pipeline).
//!
//! Capability table:
//! - case-insensitive string comparison: `f : ("a*", "b")`, whose only special characters
//!   are `*` and `?` (EQL has no escape for them). A Sigma value holding a literal `*` or
//!   `?` is written with `in~` when it is compared whole (`in~` has no wildcards), and as a
//!   `regex` otherwise. Elasticsearch's case-insensitive match is not trusted with a
//!   non-ASCII letter that has another case (`é`): such a pattern is a `regex` with each
//!   letter's cases spelled out as Sigma folds them (`[éÉ]`); Greek sigma, which Sigma
//!   lower-cases by its place in a word, is refused (`emit::eql::unicode-case`). Left as
//!   said: a value holding KELVIN SIGN or CAPITAL I WITH DOT ABOVE (Sigma lowers them to `k`
//!   and `i̇`) can match an ASCII Sigma pattern it does not match through `:` in
//!   Elasticsearch.
//! - case-sensitive (`|cased`): `==` / `in` for whole values, `like` for wildcards and
//!   placement, `regex` when a literal `*` or `?` must be placed;
//! - regular expressions: `f regex "…"`, the Lucene pattern printed by `regex_text` from the
//!   parsed Sigma regex (whole-value match: `.*(…).*` unless anchored; classes and case
//!   spelled out; every ASCII punctuation escaped so Lucene's optional operators never
//!   apply); refused (`emit::eql::regex`) for what Lucene cannot say: word boundaries,
//!   line anchors, anchors inside the pattern;
//! - keywords: the same tests on the field `_values` ([`KEYWORD_FIELD`]), an array holding
//!   every string value of the event; Elasticsearch matches a multi-valued field when one
//!   value matches, and `not` when none does, as Sigma's keyword search;
//! - numbers: `f == 4`, `f < 2.5` (integers within ±2^53; no negative constants, which EQL
//!   writes as arithmetic);
//! - null: `f == null`; CIDR: `cidrMatch(f, "10.0.0.0/8", …)`;
//! - `not (…)`: EQL's `not` over a term query holds on a missing field, as Sigma's does, so
//!   no guard is needed;
//! - refused: `exists` (Elasticsearch does not index a null, which Sigma counts as present),
//!   field references (Elasticsearch's EQL cannot compare two fields), calendar parts,
//!   correlations.
//!
//! String constants are `"…"` with `\\`, `\"`, `\n`, `\r`, `\t` escaped, other characters raw; a field name
//! that is not a plain dotted identifier is back-quoted.

use vigil_ir::{Case, Network, NumOp, Piece, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Refusal};
use crate::regex_text::{lucene, pattern_hir, regex_hir};
use crate::sql_text::folds_alone;

/// Elastic EQL.
pub struct Eql;

/// The field keyword searches read: an array of every string value of the event (the same
/// convention as the SQL targets' `_values` column, as an array, so EQL's match on a
/// multi-valued field tests each value).
pub const KEYWORD_FIELD: &str = "_values";

/// The largest integer a 64-bit float holds exactly, with all smaller ones (EQL's lowering
/// refuses larger integers).
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Words the EQL lexer reads as keywords: a field segment spelled so is back-quoted.
const KEYWORDS: &[&str] = &[
    "and",
    "any",
    "by",
    "false",
    "in",
    "join",
    "like",
    "maxspan",
    "not",
    "null",
    "of",
    "or",
    "regex",
    "runs",
    "sample",
    "sequence",
    "true",
    "until",
    "where",
    "with",
    "with_runs",
    "size",
];

impl Dialect for Eql {
    crate::refusal_codes!("eql");

    fn name(&self) -> &'static str {
        "eql"
    }

    fn and(&self) -> &'static str {
        " and "
    }

    fn or(&self) -> &'static str {
        " or "
    }

    fn not(&self, inner: &str) -> String {
        format!("not ({inner})")
    }

    fn constant(&self, value: bool) -> String {
        if value { "true" } else { "false" }.to_string()
    }

    fn statement(&self, condition: &str, _options: &Options) -> String {
        format!("any where {condition}")
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let (prefix_any, suffix_any) = crate::text::placement(op);
        // Whole-value literals (no wildcards) go to `==`/`in`/`in~`; wildcard patterns to
        // `:`/`like`; what those cannot say exactly to `regex`.
        let mut whole = Vec::new();
        let mut wild = Vec::new();
        let mut regexes = Vec::new();
        for pattern in patterns {
            let insensitive = case == Case::Insensitive;
            if insensitive && needs_regex_fold(&pattern.literal_text())? {
                regexes.push(string(&pattern_regex(pattern, op, true)?));
                continue;
            }
            match pattern.as_literal() {
                Some(literal) if op == StrOp::Equals && (case == Case::Sensitive || literal.contains(['*', '?'])) => whole.push(string(&literal)),
                _ => match wildcard_pattern(pattern, prefix_any, suffix_any) {
                    Some(text) => wild.push(string(&text)),
                    None => regexes.push(string(&pattern_regex(pattern, op, insensitive)?)),
                },
            }
        }
        let mut parts = Vec::new();
        if !whole.is_empty() {
            parts.push(Emitted::atom(match (case, whole.as_slice()) {
                (Case::Sensitive, [one]) => format!("{name} == {one}"),
                (Case::Sensitive, _) => format!("{name} in ({})", whole.join(", ")),
                (Case::Insensitive, _) => format!("{name} in~ ({})", whole.join(", ")),
            }));
        }
        if !wild.is_empty() {
            let op = if case == Case::Insensitive { ":" } else { "like" };
            parts.push(Emitted::atom(match wild.as_slice() {
                [one] => format!("{name} {op} {one}"),
                _ => format!("{name} {op} ({})", wild.join(", ")),
            }));
        }
        if !regexes.is_empty() {
            parts.push(regex_atom(&name, &regexes));
        }
        Ok(Emitted::any(self, parts))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        let op = match op {
            NumOp::Lt => "<",
            NumOp::Lte => "<=",
            NumOp::Gt => ">",
            NumOp::Gte => ">=",
            NumOp::Eq => "==",
        };
        Ok(Emitted::atom(format!("{} {op} {}", field_name(field), number(value)?)))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("{} == null", field_name(field))))
    }

    fn cidr(&self, field: &str, networks: &[Network], _ctx: Context) -> Result<Emitted, Refusal> {
        let nets: Vec<String> = networks.iter().map(|n| string(&format!("{}/{}", n.addr, n.prefix))).collect();
        Ok(Emitted::atom(format!("cidrMatch({}, {})", field_name(field), nets.join(", "))))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        self.string(KEYWORD_FIELD, op, case, patterns, ctx)
    }

    fn regex(&self, field: &str, patterns: &[vigil_ir::RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let texts = patterns.iter().map(|p| regex_hir(p).and_then(|hir| lucene(&hir)).map(|t| string(&t))).collect::<Result<Vec<_>, _>>()?;
        Ok(regex_atom(&field_name(field), &texts))
    }

    fn field_ref(&self, field: &str, _op: StrOp, _case: Case, other: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(
            Construct::FieldRef,
            format!("`{field}` is compared with the field `{other}`, and Elasticsearch's EQL cannot compare a field with another field (not even through a function)"),
        )
        .with_hint("compare each field with constants, or run the rule where field comparisons exist (ES|QL; SQL with `|cased`)"))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Exists, "Elasticsearch does not index a null value, so `exists` (null counts as present) cannot be told")
            .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

/// A field name as EQL reads it: dotted plain identifiers as they are, anything else
/// back-quoted whole (the EQL front end joins a path with dots, so both read the same).
pub fn field_name(field: &str) -> String {
    let plain = |segment: &str| {
        let mut chars = segment.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !KEYWORDS.contains(&segment.to_ascii_lowercase().as_str())
    };
    if field.split('.').all(plain) {
        field.to_string()
    } else {
        format!("`{}`", field.replace('`', "``"))
    }
}

/// An EQL string constant: `\\`, `\"`, `\n`, `\r` and `\t` escaped, every other character
/// as it is (EQL's grammar, Elasticsearch's and the Python package's, takes any character
/// but those raw; its `\u{…}` escape is left out because the Python package misreads a
/// string holding two of them).
pub fn string(text: &str) -> String {
    crate::text::backslash_quoted(text, |_| false)
}

/// The wildcard pattern (`*`, `?`, everything else literal) for `pattern`, or `None` when
/// a literal `*` or `?` would have to be placed (EQL's wildcards have no escape).
fn wildcard_pattern(pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> Option<String> {
    let mut out = String::new();
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) if t.contains(['*', '?']) => return None,
            Piece::Lit(t) => out.push_str(t),
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    Some(out)
}

/// Whether a case-insensitive pattern must be written as a regex with each letter's cases
/// spelled out: it holds a non-ASCII letter that case folding changes (`é`), which
/// Elasticsearch's case-insensitive match does not fold as Sigma does. Greek sigma is
/// refused: Sigma lower-cases a value's `Σ` to `ς` or `σ` by its place in a word, which no
/// class per letter can follow.
fn needs_regex_fold(text: &str) -> Result<bool, Refusal> {
    let lowered = text.to_lowercase();
    if let Some(c) = lowered.chars().find(|c| matches!(c, 'σ' | 'ς')) {
        return Err(Refusal::new(
            Construct::UnicodeCase,
            format!("`{text}` holds `{c}`: Sigma lower-cases a capital sigma by its place in a word, which no regular expression class can follow"),
        )
        .with_hint("add `|cased` if the case is known, or write the letter's variants as separate values"));
    }
    Ok(lowered.chars().any(|c| !folds_alone(c)))
}

/// A Sigma string pattern under `op` as a Lucene regex over the whole value (each letter's
/// cases spelled out when `insensitive`).
fn pattern_regex(pattern: &StrPattern, op: StrOp, insensitive: bool) -> Result<String, Refusal> {
    lucene(&pattern_hir(pattern, op, insensitive)?)
}

/// `name regex "…"` for one pattern, `name regex ("…", …)` for several.
fn regex_atom(name: &str, patterns: &[String]) -> Emitted {
    Emitted::atom(match patterns {
        [one] => format!("{name} regex {one}"),
        _ => format!("{name} regex ({})", patterns.join(", ")),
    })
}

/// A number as an EQL constant that reads back as the same value.
fn number(value: f64) -> Result<String, Refusal> {
    if !value.is_finite() || value < 0.0 || value.is_sign_negative() {
        return Err(Refusal::new(Construct::Number, format!("{value} is not a non-negative finite number (EQL writes a negative constant as arithmetic)")));
    }
    if value == value.trunc() {
        if value > EXACT_INTEGER {
            return Err(Refusal::new(Construct::Number, format!("{value} is an integer beyond 2^53, which EQL's lowering does not compare exactly")));
        }
        return Ok(format!("{value:.0}"));
    }
    // Rust's `Display` of a float is the shortest decimal that reads back exactly.
    Ok(format!("{value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_back_quoted_when_not_plain() {
        assert_eq!(field_name("process.command_line"), "process.command_line");
        assert_eq!(field_name("@timestamp"), "@timestamp");
        assert_eq!(field_name("Provider Name"), "`Provider Name`");
        assert_eq!(field_name("a.where"), "`a.where`");
        assert_eq!(field_name("x`y"), "`x``y`");
        assert_eq!(field_name("9a"), "`9a`");
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        assert_eq!(string("a\nb\u{1}\u{85}"), "\"a\\nb\u{1}\u{85}\"");
    }

    fn pat(text: &str) -> StrPattern {
        StrPattern::parse_wildcards(text)
    }

    fn text(e: Result<Emitted, Refusal>) -> String {
        e.map(|e| e.text).unwrap_or_else(|r| format!("refused {:?}", r.construct))
    }

    #[test]
    fn strings_use_match_operators_and_fall_back_to_regex_where_they_cannot_say_it() {
        let ctx = Context::default();
        let s = |op, case, p: &[&str]| text(Eql.string("f", op, case, &p.iter().map(|t| pat(t)).collect::<Vec<_>>(), ctx));
        assert_eq!(s(StrOp::Contains, Case::Insensitive, &["ab"]), r#"f : "*ab*""#);
        assert_eq!(s(StrOp::Equals, Case::Sensitive, &["ab", "c"]), r#"f in ("ab", "c")"#);
        // A literal `*` compared whole: `in~`; placed: a regex with the star escaped.
        assert_eq!(s(StrOp::Equals, Case::Insensitive, &[r"a\*"]), r#"f in~ ("a*")"#);
        assert_eq!(s(StrOp::Contains, Case::Sensitive, &[r"a\?"]), r#"f regex ".*a\\?.*""#);
        // A non-ASCII letter with another case: each letter's cases spelled out.
        assert_eq!(s(StrOp::StartsWith, Case::Insensitive, &["é"]), r#"f regex "[Éé].*""#);
        assert_eq!(s(StrOp::StartsWith, Case::Sensitive, &["é"]), r#"f like "é*""#);
        assert_eq!(s(StrOp::Contains, Case::Insensitive, &["ΟΔΟΣ"]), "refused UnicodeCase");
    }

    #[test]
    fn keywords_search_the_values_array_and_regexes_are_lucene() {
        let ctx = Context::default();
        assert_eq!(text(Eql.keyword(StrOp::Contains, Case::Insensitive, &[pat("mimikatz")], ctx)), r#"_values : "*mimikatz*""#);
        let re = |source: &str| vigil_ir::RegexPattern { source: source.into(), case_insensitive: false, multi_line: false, dot_matches_new_line: false };
        assert_eq!(text(Eql.regex("f", &[re(r"^a\.b$"), re("(^|/)x")], ctx)), r#"f regex ("a\\.b", "(x.*)|(.*\\/x.*)")"#);
        assert_eq!(text(Eql.regex("f", &[re(r"\bcmd\b")], ctx)), "refused Regex");
        assert_eq!(text(Eql.field_ref("a", StrOp::Equals, Case::Sensitive, "b", ctx)), "refused FieldRef");
    }

    #[test]
    fn numbers_read_back_or_are_refused() {
        assert_eq!(number(4688.0).ok().as_deref(), Some("4688"));
        assert_eq!(number(0.5).ok().as_deref(), Some("0.5"));
        assert!(number(-1.0).is_err() && number(-0.0).is_err() && number(1e300).is_err() && number(f64::NAN).is_err());
        let small = number(1.5e-7).ok().and_then(|t| t.parse::<f64>().ok());
        assert_eq!(small, Some(1.5e-7));
    }
}
