//! The `lucene` target: a Kibana / Elasticsearch `query_string` (Lucene syntax) over the
//! pipeline's field names (ECS with `ecs-windows`, its default), for keyword-mapped fields.
//!
//! Capability table:
//! - case: Lucene compares keyword fields case-sensitively, and the query string has no
//!   case-insensitive flag. A comparison whose pattern has no letter with another case
//!   (numbers, paths without letters, `|cased`) is a term or wildcard query:
//!   `f:"value"`, `f:*\\cmd.exe`. A case-insensitive one with letters is a regular
//!   expression with each letter as a class, exact for every Unicode letter:
//!   `f:/.*\\[cC][mM][dD]\.[eE][xX][eE]/`. No `.caseless` sub-field is assumed.
//! - wildcards: `*` and `?`; reserved characters (`+ - = & | > < ! ( ) { } [ ] ^ " ~ * ? :
//!   \ /` and white space) escaped with `\`.
//! - regular expressions: `f:/…/`, Lucene syntax printed from the parsed regex (see
//!   `regex_text`), matching whole values as Lucene does.
//! - numbers: range queries (`f:{3 TO *]`), which compare numerically only on fields
//!   mapped as numbers (a keyword field compares text): a stated assumption of the mapping.
//! - CIDR: `f:"10.0.0.0/8"`, on fields mapped as `ip` (ECS `source.ip` …).
//! - null: `NOT _exists_:f`; `not`: `(*:* AND NOT (…))`, which holds on a missing field as
//!   Sigma's does (the `*:*` keeps a purely negative group from matching nothing).
//! - keywords: an unqualified query, which Elasticsearch runs on the index's default
//!   fields (`index.query.default_field`, all fields by default): exact on keyword fields;
//!   on analysed text fields it matches terms, not whole values (a stated policy).
//! - refused: field references and `exists` (neither has query-string syntax; Elasticsearch
//!   does not index a null), calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, Piece, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Refusal};
use crate::regex_text::{lucene_pattern, lucene_regex};
use crate::text::{has_case, number, placement};

/// A Lucene query string (Elasticsearch `query_string`, Kibana's Lucene mode).
pub struct Lucene;

impl Dialect for Lucene {
    crate::refusal_codes!("lucene");

    fn name(&self) -> &'static str {
        "lucene"
    }

    fn and(&self) -> &'static str {
        " AND "
    }

    fn or(&self) -> &'static str {
        " OR "
    }

    fn not(&self, inner: &str) -> String {
        format!("(*:* AND NOT ({inner}))")
    }

    fn constant(&self, value: bool) -> String {
        if value { "*:*" } else { "(*:* AND NOT *:*)" }.to_string()
    }

    fn statement(&self, condition: &str, _options: &Options) -> String {
        condition.to_string()
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let prefix = format!("{}:", field_name(field));
        let parts = patterns.iter().map(|p| term(&prefix, op, case, p)).collect::<Result<Vec<_>, _>>()?;
        Ok(Emitted::any(self, parts))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let parts = patterns.iter().map(|p| term("", op, case, p)).collect::<Result<Vec<_>, _>>()?;
        Ok(Emitted::any(self, parts))
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let parts = patterns.iter().map(|p| Ok(Emitted::atom(format!("{name}:/{}/", lucene_regex(p)?)))).collect::<Result<Vec<_>, Refusal>>()?;
        Ok(Emitted::any(self, parts))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        let v = number(value)?;
        let range = match op {
            NumOp::Lt => format!("[* TO {v}}}"),
            NumOp::Lte => format!("[* TO {v}]"),
            NumOp::Gt => format!("{{{v} TO *]"),
            NumOp::Gte => format!("[{v} TO *]"),
            NumOp::Eq => format!("[{v} TO {v}]"),
        };
        Ok(Emitted::atom(format!("{}:{range}", field_name(field))))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("(*:* AND NOT _exists_:{})", field_name(field))))
    }

    fn cidr(&self, field: &str, networks: &[Network], _ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let parts = networks.iter().map(|n| Emitted::atom(format!("{name}:\"{}/{}\"", n.addr, n.prefix))).collect();
        Ok(Emitted::any(self, parts))
    }

    fn field_ref(&self, _field: &str, _op: StrOp, _case: Case, _other: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::FieldRef, "a Lucene query string compares fields with constants only, never with another field")
            .with_hint("use the esql, kql or spl target, which compare two fields (Elasticsearch EQL cannot either)"))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Exists, "Elasticsearch does not index a null value, so `exists` (null counts as present) cannot be told")
            .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

/// One comparison, after `prefix` (`field:` or nothing for the default fields).
fn term(prefix: &str, op: StrOp, case: Case, pattern: &StrPattern) -> Result<Emitted, Refusal> {
    if case == Case::Insensitive && has_case(&pattern.literal_text()) {
        return Ok(Emitted::atom(format!("{prefix}/{}/", lucene_pattern(pattern, op, true)?)));
    }
    let (prefix_any, suffix_any) = placement(op);
    if let (Some(text), false, false) = (pattern.as_literal(), prefix_any, suffix_any) {
        return Ok(Emitted::atom(format!("{prefix}\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))));
    }
    let mut out = String::from(prefix);
    if prefix_any {
        out.push('*');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => t.chars().for_each(|c| push_escaped(&mut out, c)),
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Placeholder(_) => {}
        }
    }
    if suffix_any {
        out.push('*');
    }
    if out.len() == prefix.len() {
        // The empty value, whole.
        out.push_str("\"\"");
    }
    Ok(Emitted::atom(out))
}

/// A field name with the query string's reserved characters escaped.
pub fn field_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if "+-=&|><!(){}[]^\"~*?:\\/".contains(c) || c.is_whitespace() {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(op: StrOp, case: Case, value: &str) -> String {
        term("f:", op, case, &StrPattern::parse_wildcards(value)).unwrap().text
    }

    #[test]
    fn terms_wildcards_and_case_classes() {
        assert_eq!(t(StrOp::Equals, Case::Insensitive, "4688"), "f:\"4688\"");
        assert_eq!(t(StrOp::EndsWith, Case::Sensitive, r"\cmd.exe"), r"f:*\\cmd.exe");
        assert_eq!(t(StrOp::Contains, Case::Sensitive, "a b(c)"), r"f:*a\ b\(c\)*");
        assert_eq!(t(StrOp::EndsWith, Case::Insensitive, r"\cmd.exe"), r"f:/.*\\[Cc][Mm][Dd]\.[Ee][Xx][Ee]/");
        assert_eq!(t(StrOp::Equals, Case::Sensitive, ""), "f:\"\"");
        assert_eq!(field_name("winlog.event_data.Some Field"), r"winlog.event_data.Some\ Field");
    }
}
