//! The `spl` target: Splunk, `index=* | where …` with eval functions, over the
//! pipeline's field names (`splunk-sysmon`, the default: Sysmon / Windows event fields as
//! the Splunk Add-on for Windows extracts them; `splunk-cim`: the CIM data models). The
//! search before the `where` is the pipeline state's `index`, or `--table`.
//!
//! The whole condition is one `where`, whose eval logic is exact where the `search`
//! command's is not: `search` cannot escape a literal `*`, has no one-character wildcard,
//! and matches indexed tokens; `where` tests the extracted value.
//!
//! Capability table:
//! - strings: `f == "x"` for a value compared whole with no letter whose case matters;
//!   `lower(f) == "x"` for ASCII text compared case-insensitively; anything else (wildcards,
//!   placement, non-ASCII letters) `match(f, "…")`, a PCRE search printed from the parsed
//!   pattern (see `regex_text`) with `^`/`\z` anchors and case-insensitivity expanded into
//!   classes, so no Splunk case folding is trusted.
//! - regular expressions: `match(f, "…")`, printed the same way.
//! - numbers: `tonumber(f) > 3`; CIDR: `cidrmatch("10.0.0.0/8", f)`; null: `isnull(f)`;
//!   field references: `f == g` / `lower(f) == lower(g)`.
//! - `not`: eval functions are null on a missing field, so under a `not` each test is
//!   guarded with `isnotnull(…) AND`, making it false there, as Sigma's `not` needs.
//! - keywords: a search of `_raw`, the event's raw text Splunk keeps: `match(_raw, "…")`.
//! - refused: `exists` (a null and a missing field are one in Splunk), field references
//!   other than equality, calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Precedence, Refusal};
use crate::regex_text::{portable_pattern, portable_regex};
use crate::text::{has_case, number, quoted};

/// Splunk SPL.
pub struct Spl;

impl Dialect for Spl {
    crate::refusal_codes!("spl");

    fn name(&self) -> &'static str {
        "spl"
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
        if value { "true()" } else { "false()" }.to_string()
    }

    fn statement(&self, condition: &str, options: &Options) -> String {
        format!("{} | where {condition}", options.source_or("index", "index=*"))
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        let parts = patterns.iter().map(|p| comparison(&name, op, case, p)).collect::<Result<Vec<_>, _>>()?;
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        self.string("_raw", op, case, patterns, ctx)
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        let parts =
            patterns.iter().map(|p| Ok(Emitted::atom(format!("match({name}, {})", quoted(&portable_regex(p)?)?)))).collect::<Result<Vec<_>, Refusal>>()?;
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
        let converted = format!("tonumber({})", field_name(field)?);
        Ok(guard(&converted, Emitted::atom(format!("{converted} {op} {}", number(value)?)), ctx))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("isnull({})", field_name(field)?)))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        let parts = networks.iter().map(|n| Emitted::atom(format!("cidrmatch(\"{}/{}\", {name})", n.addr, n.prefix))).collect();
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn field_ref(&self, field: &str, op: StrOp, case: Case, other: &str, ctx: Context) -> Result<Emitted, Refusal> {
        if op != StrOp::Equals {
            return Err(Refusal::new(Construct::FieldRef, "SPL's eval has no wildcard-free test that one field starts with, ends with or contains another"));
        }
        let (a, b) = (field_name(field)?, field_name(other)?);
        let text = match case {
            Case::Insensitive => format!("lower({a}) == lower({b})"),
            Case::Sensitive => format!("{a} == {b}"),
        };
        Ok(guard(&a, Emitted::atom(text), ctx))
    }
}

/// One string comparison.
fn comparison(name: &str, op: StrOp, case: Case, pattern: &StrPattern) -> Result<Emitted, Refusal> {
    let text = pattern.literal_text();
    let folds = case == Case::Insensitive && has_case(&text);
    Ok(Emitted::atom(match pattern.as_literal() {
        Some(t) if op == StrOp::Equals && !folds => format!("{name} == {}", quoted(&t)?),
        Some(t) if op == StrOp::Equals && t.is_ascii() => format!("lower({name}) == {}", quoted(&t.to_ascii_lowercase())?),
        _ => format!("match({name}, {})", quoted(&portable_pattern(pattern, op, case == Case::Insensitive)?)?),
    }))
}

/// A field name in eval: a plain name as it is, anything else in single quotes (which
/// have no escape, so a name holding one is refused).
pub fn field_name(field: &str) -> Result<String, Refusal> {
    let mut chars = field.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(field.to_string())
    } else if field.contains('\'') {
        Err(Refusal::new(Construct::FieldPattern, format!("field `{field}` holds a single quote, which SPL's eval cannot quote")))
    } else {
        Ok(format!("'{field}'"))
    }
}

/// Under a `not`, a test must be false, not null, where `subject` is null.
fn guard(subject: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("isnotnull({subject}) AND {}", e.at(Precedence::And)), precedence: Precedence::And }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(op: StrOp, case: Case, value: &str) -> String {
        comparison("Image", op, case, &StrPattern::parse_wildcards(value)).unwrap().text
    }

    #[test]
    fn comparisons_choose_equality_lower_or_match() {
        assert_eq!(c(StrOp::Equals, Case::Insensitive, "4688"), r#"Image == "4688""#);
        assert_eq!(c(StrOp::Equals, Case::Insensitive, "CMD"), r#"lower(Image) == "cmd""#);
        assert_eq!(c(StrOp::EndsWith, Case::Sensitive, r"\cmd.exe"), r#"match(Image, "\\\\cmd\\.exe\\z")"#);
        assert_eq!(field_name("Event.System.EventID").unwrap(), "'Event.System.EventID'");
        assert!(field_name("a'b").is_err());
    }
}
