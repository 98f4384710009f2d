//! The `esql` target: Elasticsearch ES|QL, `FROM logs-* | WHERE …` over the pipeline's
//! field names (ECS with the `ecs-windows` pipeline, its default). The index is the
//! pipeline state's `index`, or `--table`.
//!
//! Capability table:
//! - case-insensitive strings: `TO_LOWER(f) == "x"` and `TO_LOWER(f) LIKE "*x*"` with the
//!   pattern lower-cased as Sigma does; `TO_LOWER` is Java's Unicode lower case, so
//!   non-ASCII letters fold as Sigma folds them. Text without letters is compared as it is.
//! - case-sensitive (`|cased`): `==`, `IN (…)`, and `LIKE` for wildcards (`*`, `?`; a
//!   literal `*`, `?` or `\` escaped with `\`).
//! - regular expressions: `f RLIKE "…"`, Lucene syntax printed from the parsed regex (see
//!   `regex_text`), case-insensitivity expanded into classes.
//! - numbers: `TO_DOUBLE(f) > 3`; CIDR: `CIDR_MATCH(TO_IP(f), "10.0.0.0/8", …)`;
//!   null: `f IS NULL`; field references: `==` (case-folded with `TO_LOWER`),
//!   `STARTS_WITH`, `ENDS_WITH`.
//! - `not`: ES|QL's logic is three-valued, and Sigma's `not` holds on a missing field, so
//!   under a `not` a string test is guarded with `f IS NOT NULL AND …` and a number or
//!   CIDR test (whose conversion may give null on any text) with `COALESCE(…, FALSE)`.
//! - keywords: Sigma's "any value of the event" is searched in `message`, the event's
//!   rendered text in ECS (a stated policy: a value the message does not show is missed).
//! - arrays: ES|QL functions give null on a multi-valued field, so a multi-valued field
//!   matches no test (Sigma's "any element" is not expressed).
//! - refused: `exists` (Elasticsearch does not index a null, which Sigma counts as
//!   present), `contains` between two fields, calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, Piece, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Precedence, Refusal};
use crate::regex_text::lucene_regex;
use crate::text::{has_case, number, placement, quoted_with};

/// ES|QL strings hold any character but `"`, `\\`, CR and LF unescaped.
fn quoted(text: &str) -> Result<String, Refusal> {
    quoted_with(text, true)
}

/// Elasticsearch ES|QL.
pub struct Esql;

/// The field searched for keywords.
const KEYWORD_FIELD: &str = "message";

/// Words ES|QL reads as keywords: a field segment spelled so is back-quoted.
const KEYWORDS: &[&str] = &[
    "and", "as", "asc", "by", "desc", "false", "first", "from", "in", "is", "last", "like", "metadata", "not", "null", "nulls", "on", "or", "rlike", "true",
    "where", "with",
];

impl Dialect for Esql {
    crate::refusal_codes!("esql");

    fn name(&self) -> &'static str {
        "esql"
    }

    fn and(&self) -> &'static str {
        " AND "
    }

    fn or(&self) -> &'static str {
        " OR "
    }

    fn not(&self, inner: &str) -> String {
        format!("NOT ({inner})")
    }

    fn constant(&self, value: bool) -> String {
        if value { "TRUE" } else { "FALSE" }.to_string()
    }

    fn statement(&self, condition: &str, options: &Options) -> String {
        format!("FROM {} | WHERE {condition}", options.source_or("index", "logs-*"))
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let (prefix_any, suffix_any) = placement(op);
        let mut whole: Vec<(bool, String)> = Vec::new();
        let mut parts = Vec::new();
        for pattern in patterns {
            let fold = case == Case::Insensitive && has_case(&pattern.literal_text());
            let lowered;
            let pattern = if fold {
                lowered = lower(pattern);
                &lowered
            } else {
                pattern
            };
            match pattern.as_literal() {
                Some(text) if op == StrOp::Equals => whole.push((fold, quoted(&text)?)),
                _ => {
                    let like = quoted(&like_pattern(pattern, prefix_any, suffix_any))?;
                    parts.push(Emitted::atom(if fold { format!("TO_LOWER({name}) LIKE {like}") } else { format!("{name} LIKE {like}") }));
                }
            }
        }
        for fold in [false, true] {
            let values: Vec<&String> = whole.iter().filter(|(f, _)| *f == fold).map(|(_, v)| v).collect();
            let subject = if fold { format!("TO_LOWER({name})") } else { name.clone() };
            match values.as_slice() {
                [] => {}
                [one] => parts.push(Emitted::atom(format!("{subject} == {one}"))),
                many => parts.push(Emitted::atom(format!("{subject} IN ({})", many.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")))),
            }
        }
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        self.string(KEYWORD_FIELD, op, case, patterns, ctx)
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let parts = patterns.iter().map(|p| Ok(Emitted::atom(format!("{name} RLIKE {}", quoted(&lucene_regex(p)?)?)))).collect::<Result<Vec<_>, Refusal>>()?;
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, ctx: Context) -> Result<Emitted, Refusal> {
        let op = match op {
            NumOp::Lt => "<",
            NumOp::Lte => "<=",
            NumOp::Gt => ">",
            NumOp::Gte => ">=",
            NumOp::Eq => "==",
        };
        Ok(coalesce(format!("TO_DOUBLE({}) {op} {}", field_name(field), number(value)?), ctx))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("{} IS NULL", field_name(field))))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        let nets = networks.iter().map(|n| quoted(&format!("{}/{}", n.addr, n.prefix))).collect::<Result<Vec<_>, _>>()?;
        Ok(coalesce(format!("CIDR_MATCH(TO_IP({}), {})", field_name(field), nets.join(", ")), ctx))
    }

    fn field_ref(&self, field: &str, op: StrOp, case: Case, other: &str, ctx: Context) -> Result<Emitted, Refusal> {
        let (a, b) = match case {
            Case::Insensitive => (format!("TO_LOWER({})", field_name(field)), format!("TO_LOWER({})", field_name(other))),
            Case::Sensitive => (field_name(field), field_name(other)),
        };
        let text = match op {
            StrOp::Equals => format!("{a} == {b}"),
            StrOp::StartsWith => format!("STARTS_WITH({a}, {b})"),
            StrOp::EndsWith => format!("ENDS_WITH({a}, {b})"),
            StrOp::Contains => return Err(Refusal::new(Construct::FieldRef, "ES|QL has no test that one field's value contains another's")),
        };
        Ok(coalesce(text, ctx))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Exists, "Elasticsearch does not index a null value, so `exists` (null counts as present) cannot be told")
            .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

/// A field name as ES|QL reads it: plain dotted identifiers as they are, anything else
/// back-quoted whole.
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

/// An ES|QL `LIKE` pattern: `*` and `?` wildcards, `\` escaping a literal `*`, `?` or `\`.
fn like_pattern(pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> String {
    let mut out = String::new();
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => {
                for c in t.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    out
}

/// The pattern lower-cased as Sigma does (Unicode), wildcards kept.
pub fn lower(pattern: &StrPattern) -> StrPattern {
    StrPattern::from_pieces(pattern.pieces().iter().map(|p| match p {
        Piece::Lit(t) => Piece::Lit(t.to_lowercase()),
        other => other.clone(),
    }))
}

/// Under a `not`, a string test must be false, not null, on a missing field.
fn guard(name: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("{name} IS NOT NULL AND {}", e.at(Precedence::And)), precedence: Precedence::And }
}

/// Under a `not`, a test whose conversion may be null on any value reads null as false.
fn coalesce(text: String, ctx: Context) -> Emitted {
    Emitted::atom(if ctx.negated { format!("COALESCE({text}, FALSE)") } else { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcard_characters() {
        let p = StrPattern::parse_wildcards(r"a\*b*c?d\\e");
        assert_eq!(like_pattern(&p, true, false), r"*a\*b*c?d\\e");
        assert_eq!(field_name("process.command_line"), "process.command_line");
        assert_eq!(field_name("a.from"), "`a.from`");
        assert_eq!(field_name("Provider Name"), "`Provider Name`");
    }
}
