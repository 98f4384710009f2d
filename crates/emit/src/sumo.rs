//! The `sumo` target: Sumo Logic Cloud SIEM (CSE) over normalized records, in the form of
//! the seed pages: `_index=sec_record_process | where matches(toLowerCase(baseImage), /…/)`.
//! The index is the pipeline state's `index` (`sumo-cse`, the default pipeline, sets it
//! from the log source and maps fields to `baseImage`, `commandLine`, ...), or `--table`.
//!
//! Capability table:
//! - case-insensitive strings with letters: `matches(toLowerCase(f), /…/)` against the
//!   pattern lower-cased as Sigma does (both sides Unicode lower case, Sigma's own
//!   reading); the regex is printed from the parsed pattern (see `regex_text`): `^`/`\z`
//!   anchors for the placement, `(?s:.)` for wildcards, every other character literal.
//! - case-sensitive, or without letters: `f = "x"` for a whole value, else
//!   `matches(f, /…/)`.
//! - regular expressions: `matches(f, /…/)` (a search, as in the seed queries), printed
//!   from the parsed regex with case-insensitivity expanded into classes.
//! - numbers: `num(f) > 3`; CIDR: IPv4 `compareCIDRPrefix("10.0.0.0", f, toInt(8))`; a list
//!   with an IPv6 network (which `compareCIDRPrefix` cannot read) one `matches` over every
//!   spelling of the networks' addresses (`cidr_text`, as the SQL targets do); null:
//!   `isNull(f)`; field references: `f = g` / `toLowerCase(f) = toLowerCase(g)`.
//! - `not`: `!(…)`, each test under it guarded so it is false, not null, where its input
//!   is missing or unreadable, as Sigma's `not` needs: `!isNull(f) and …`,
//!   `!isNull(num(f)) and num(f) > 3`, `isValidIPv4(f) and compareCIDRPrefix(…)`.
//! - keywords: a search of the record's raw text, `matches(_raw, /…/)`.
//! - refused: field references other than
//!   equality, `exists`, calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Precedence, Refusal};
use crate::esql::lower;
use crate::regex_text::{portable_pattern, portable_regex};
use crate::text::{has_case, number, quoted};

/// Sumo Logic CSE.
pub struct Sumo;

impl Dialect for Sumo {
    crate::refusal_codes!("sumo");

    fn name(&self) -> &'static str {
        "sumo"
    }

    fn and(&self) -> &'static str {
        " and "
    }

    fn or(&self) -> &'static str {
        " or "
    }

    fn not(&self, inner: &str) -> String {
        format!("!({inner})")
    }

    fn constant(&self, value: bool) -> String {
        if value { "true" } else { "false" }.to_string()
    }

    fn statement(&self, condition: &str, options: &Options) -> String {
        format!("{} | where {condition}", options.source_or("index", "_index=sec_record_*"))
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        let mut parts = Vec::new();
        for pattern in patterns {
            let folds = case == Case::Insensitive && has_case(&pattern.literal_text());
            parts.push(Emitted::atom(match pattern.as_literal() {
                Some(t) if op == StrOp::Equals && !folds => format!("{name} = {}", quoted(&t)?),
                _ if folds => format!("matches(toLowerCase({name}), {})", slashed(&portable_pattern(&lower(pattern), op, false)?)),
                _ => format!("matches({name}, {})", slashed(&portable_pattern(pattern, op, false)?)),
            }));
        }
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        self.string("_raw", op, case, patterns, ctx)
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        let parts =
            patterns.iter().map(|p| Ok(Emitted::atom(format!("matches({name}, {})", slashed(&portable_regex(p)?))))).collect::<Result<Vec<_>, Refusal>>()?;
        Ok(guard(&name, Emitted::any(self, parts), ctx))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, ctx: Context) -> Result<Emitted, Refusal> {
        let op = match op {
            NumOp::Lt => "<",
            NumOp::Lte => "<=",
            NumOp::Gt => ">",
            NumOp::Gte => ">=",
            NumOp::Eq => "=",
        };
        let converted = format!("num({})", field_name(field)?);
        Ok(guard(&converted, Emitted::atom(format!("{converted} {op} {}", number(value)?)), ctx))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("isNull({})", field_name(field)?)))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field)?;
        if networks.iter().any(|n| n.addr.is_ipv6()) {
            // compareCIDRPrefix is IPv4 only: a list with an IPv6 network is one regex over
            // every spelling of the networks' addresses (`cidr_text`), exact to native
            // evaluation (white space around the address, IPv4-mapped IPv6 included).
            let test = format!("matches({name}, {})", slashed(&crate::regex_text::portable_networks(networks)?));
            return Ok(guard(&name, Emitted::atom(test), ctx));
        }
        let parts: Vec<Emitted> = networks.iter().map(|n| Emitted::atom(format!("compareCIDRPrefix(\"{}\", {name}, toInt({}))", n.addr, n.prefix))).collect();
        if !ctx.negated {
            return Ok(Emitted::any(self, parts));
        }
        // `compareCIDRPrefix` has no answer on text that is not an address.
        Ok(Emitted { text: format!("isValidIPv4({name}) and {}", Emitted::any(self, parts).at(Precedence::And)), precedence: Precedence::And })
    }

    fn field_ref(&self, field: &str, op: StrOp, case: Case, other: &str, ctx: Context) -> Result<Emitted, Refusal> {
        if op != StrOp::Equals {
            return Err(Refusal::new(Construct::FieldRef, "Sumo Logic has no wildcard-free test that one field starts with, ends with or contains another"));
        }
        let (a, b) = (field_name(field)?, field_name(other)?);
        let text = match case {
            Case::Insensitive => format!("toLowerCase({a}) = toLowerCase({b})"),
            Case::Sensitive => format!("{a} = {b}"),
        };
        Ok(guard(&a, Emitted::atom(text), ctx))
    }
}

/// A field name: an identifier as it is, anything else as `%"…"` (which has no escape, so a
/// name holding `"` is refused).
pub fn field_name(field: &str) -> Result<String, Refusal> {
    let mut chars = field.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(field.to_string())
    } else if field.contains('"') {
        Err(Refusal::new(Construct::FieldPattern, format!("field `{field}` holds a double quote, which a Sumo Logic field name cannot")))
    } else {
        Ok(format!("%\"{field}\""))
    }
}

/// A regex literal `/…/` (the printed regex escapes every `/`).
fn slashed(regex: &str) -> String {
    format!("/{regex}/")
}

/// Under a `not`, a test must be false, not null, on a missing field.
fn guard(name: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("!isNull({name}) and {}", e.at(Precedence::And)), precedence: Precedence::And }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_lowered_like_the_seed_queries() {
        let p = [StrPattern::parse_wildcards(r"\OpenSSL.exe")];
        let text = Sumo.string("baseImage", StrOp::EndsWith, Case::Insensitive, &p, Context::default()).unwrap().text;
        assert_eq!(text, r"matches(toLowerCase(baseImage), /\\openssl\.exe\z/)");
        let text = Sumo.string("commandLine", StrOp::Contains, Case::Insensitive, &p, Context { negated: true }).unwrap().text;
        assert_eq!(text, r"!isNull(commandLine) and matches(toLowerCase(commandLine), /\\openssl\.exe/)");
        assert_eq!(field_name("process.name").unwrap(), "%\"process.name\"");
    }
}
