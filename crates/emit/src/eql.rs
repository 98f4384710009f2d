//! The `eql` target: Elastic EQL as Elasticsearch accepts it, `any where …` over the
//! pipeline's field names (ECS with the `ecs-windows` pipeline).
//!
//! Capability table:
//! - case-insensitive string comparison: `f : ("a*", "b")`, whose only special characters
//!   are `*` and `?` (EQL has no escape for them). A Sigma value holding a literal `*` or
//!   `?` is written with `in~` when it is compared whole (`in~` has no wildcards), and
//!   refused otherwise (`emit::eql::text`). Elasticsearch folds ASCII letters only, so a
//!   pattern with a non-ASCII letter that has another case (`é`) is refused
//!   (`emit::eql::unicode-case`). Left as said: a value holding KELVIN SIGN or CAPITAL I
//!   WITH DOT ABOVE (Sigma lowers them to `k` and `i̇`) can match a Sigma pattern it does
//!   not match in Elasticsearch; EQL has no function to fold them first.
//! - case-sensitive (`|cased`): `==` / `in` for whole values, `like` for wildcards and
//!   placement (refused when a literal `*` or `?` must be placed);
//! - numbers: `f == 4`, `f < 2.5` (integers within ±2^53; no negative constants, which EQL
//!   writes as arithmetic);
//! - null: `f == null`; CIDR: `cidrMatch(f, "10.0.0.0/8", …)`;
//! - `not (…)`: EQL's `not` over a term query holds on a missing field, as Sigma's does, so
//!   no guard is needed;
//! - refused: keywords (EQL has no "any field"), regular expressions (EQL's `regex` is
//!   anchored Lucene syntax and vigil's EQL front end does not lower it yet), `exists`
//!   (Elasticsearch does not index a null, which Sigma counts as present), field
//!   references, calendar parts, correlations.
//!
//! String constants are `"…"` with `\\`, `\"` and control characters escaped; a field name
//! that is not a plain dotted identifier is back-quoted.

use vigil_ir::{Case, Network, NumOp, Piece, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Refusal};
use crate::sql_text::folds_alone;

/// Elastic EQL.
pub struct Eql;

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
        // Whole-value literals (no wildcards) go to `==`/`in`/`in~`; the rest to `:`/`like`.
        let mut whole = Vec::new();
        let mut wild = Vec::new();
        for pattern in patterns {
            let text = pattern.literal_text();
            if case == Case::Insensitive {
                if let Some(c) = text.to_lowercase().chars().find(|c| !folds_alone(*c)) {
                    return Err(Refusal::new(
                        Construct::UnicodeCase,
                        format!("`{pattern}` holds `{c}`, a letter Elasticsearch's case-insensitive match cannot fold (it folds ASCII only)"),
                    )
                    .with_hint("add `|cased` if the case is known, or write the letter's variants as separate values"));
                }
            }
            match pattern.as_literal() {
                Some(literal) if op == StrOp::Equals && (case == Case::Sensitive || literal.contains(['*', '?'])) => whole.push(string(&literal)),
                _ => wild.push(string(&wildcard_pattern(pattern, prefix_any, suffix_any)?)),
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

    fn keyword(&self, _op: StrOp, _case: Case, _patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Keyword, "keyword searches look at every value of the event, and EQL has no \"any field\"")
            .with_hint("name the field the keyword is expected in"))
    }

    fn regex(&self, _field: &str, _patterns: &[vigil_ir::RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Regex, "EQL's `regex` is anchored Lucene syntax, and its translation from Sigma's regular expressions is not proven yet")
            .with_hint("write the pattern with wildcards (`*`, `?`) if it allows it"))
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

/// An EQL string constant.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:02X}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The wildcard pattern (`*`, `?`, everything else literal) for `pattern`, or a refusal when
/// a literal `*` or `?` would have to be placed.
fn wildcard_pattern(pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> Result<String, Refusal> {
    let mut out = String::new();
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) if t.contains(['*', '?']) => {
                return Err(Refusal::new(Construct::Text, format!("`{pattern}` holds a literal `*` or `?`, which EQL's wildcard match cannot escape"))
                    .with_hint("compare the whole value (no wildcards, no `contains`/`startswith`/`endswith`) so `in~`/`==` can be used"));
            }
            Piece::Lit(t) => out.push_str(t),
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    Ok(out)
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
        assert_eq!(string("a\nb\u{1}"), "\"a\\nb\\u{01}\"");
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
