//! The `kql` target: Kusto (Microsoft Sentinel, Defender XDR advanced hunting),
//! `DeviceProcessEvents | where …`. The table is the pipeline state's `table` (the
//! `microsoft-xdr` pipeline, the default, sets it from the log source), or `--table`;
//! `union *` when neither names one.
//!
//! Capability table:
//! - strings: `=~`, `in~`, `startswith`, `endswith`, `contains` (case-insensitive) and
//!   `==`, `in`, `startswith_cs`, `endswith_cs`, `contains_cs` (`|cased`). Kusto folds
//!   case ordinally, which agrees with Sigma on ASCII; a case-insensitive pattern with a
//!   non-ASCII letter, and any pattern with a wildcard inside it, is a regex instead.
//! - regular expressions: `f matches regex @"…"` (RE2, a search, as Sigma's), printed from
//!   the parsed regex (see `regex_text`) with case-insensitivity expanded into classes.
//! - numbers: `toreal(f) > 3`; CIDR: `ipv4_is_in_range(f, "10.0.0.0/8")` /
//!   `ipv6_is_in_range`; field references: the string operators with a column on the right.
//! - missing fields: a Kusto string column holds `""` where an event has no value, so
//!   Sigma's `null` is `isempty(f)`, and a missing field and an empty one are the same
//!   (stated; it follows from the data model). String operators are two-valued on `""`, so
//!   `not(…)` needs no guard there; number and CIDR tests, which are null on text that is
//!   not a number or an address, are read as false under a `not` (`coalesce(…, false)`).
//! - keywords: `* contains "x"` (any column holds the text, case-insensitive) for plain
//!   text; a keyword with wildcards or `|cased` is refused (`emit::kql::keyword`).
//! - placeholders (`%name%`, `|expand`): the Sentinel watchlist `name`, `f in~
//!   ((_GetWatchlist("name") | project SearchKey))` (`in` with `|cased`), for a list compared
//!   with the whole value; the watchlist's `SearchKey` holds the values as plain text (no
//!   wildcards), compared with Kusto's ordinal case folding (exact for ASCII values). A list
//!   under `contains`/`startswith`/`endswith` or with text beside it is refused.
//! - refused: `exists`, calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Refusal};
use crate::regex_text::{portable_pattern, portable_regex};
use crate::text::{number, quoted};

/// Kusto Query Language (Sentinel, Defender XDR).
pub struct Kql;

impl Dialect for Kql {
    crate::refusal_codes!("kql");

    fn name(&self) -> &'static str {
        "kql"
    }

    fn and(&self) -> &'static str {
        " and "
    }

    fn or(&self) -> &'static str {
        " or "
    }

    fn not(&self, inner: &str) -> String {
        format!("not({inner})")
    }

    fn constant(&self, value: bool) -> String {
        if value { "true" } else { "false" }.to_string()
    }

    fn statement(&self, condition: &str, options: &Options) -> String {
        format!("{} | where {condition}", options.source_or("table", "union *"))
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let ci = case == Case::Insensitive;
        let mut whole = Vec::new();
        let mut parts = Vec::new();
        for pattern in patterns {
            let text = pattern.literal_text();
            let plain = pattern.as_literal().filter(|_| !ci || text.is_ascii());
            match (plain, op) {
                (Some(t), StrOp::Equals) => whole.push(string(&t)?),
                (Some(t), _) => {
                    let word = match op {
                        StrOp::Contains => "contains",
                        StrOp::StartsWith => "startswith",
                        _ => "endswith",
                    };
                    parts.push(Emitted::atom(format!("{name} {word}{} {}", if ci { "" } else { "_cs" }, string(&t)?)));
                }
                (None, _) => parts.push(Emitted::atom(format!("{name} matches regex {}", verbatim(&portable_pattern(pattern, op, ci)?)))),
            }
        }
        match whole.as_slice() {
            [] => {}
            [one] => parts.insert(0, Emitted::atom(format!("{name} {} {one}", if ci { "=~" } else { "==" }))),
            many => parts.insert(0, Emitted::atom(format!("{name} {} ({})", if ci { "in~" } else { "in" }, many.join(", ")))),
        }
        Ok(Emitted::any(self, parts))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let parts = patterns
            .iter()
            .map(|p| match (p.as_literal(), op, case) {
                (Some(t), StrOp::Contains, Case::Insensitive) if t.is_ascii() => Ok(Emitted::atom(format!("* contains {}", string(&t)?))),
                _ => Err(Refusal::new(
                    Construct::Keyword,
                    format!("keyword `{p}` is not plain ASCII text searched case-insensitively, the one search Kusto runs over every column"),
                )
                .with_hint("name the field the keyword is expected in")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Emitted::any(self, parts))
    }

    fn placeholder(&self, field: &str, op: StrOp, case: Case, list: &ListPattern, _ctx: Context) -> Result<Emitted, Refusal> {
        if op != StrOp::Equals || !list.before.pieces().is_empty() || !list.after.pieces().is_empty() {
            return Err(Refusal::new(
                Construct::Placeholder,
                format!(
                    "the value list `%{}%` is placed inside a value ({}); Kusto tests a column against a watchlist only whole (`in~`)",
                    list.name,
                    op.name()
                ),
            )
            .with_hint("resolve the placeholder with a pipeline's `vars` and a `value_placeholders` transformation"));
        }
        let word = if case == Case::Insensitive { "in~" } else { "in" };
        Ok(Emitted::atom(format!("{} {word} ((_GetWatchlist({}) | project SearchKey))", field_name(field), string(&list.name)?)))
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let parts = patterns
            .iter()
            .map(|p| Ok(Emitted::atom(format!("{name} matches regex {}", verbatim(&portable_regex(p)?)))))
            .collect::<Result<Vec<_>, Refusal>>()?;
        Ok(Emitted::any(self, parts))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, ctx: Context) -> Result<Emitted, Refusal> {
        let op = match op {
            NumOp::Lt => "<",
            NumOp::Lte => "<=",
            NumOp::Gt => ">",
            NumOp::Gte => ">=",
            NumOp::Eq => "==",
        };
        Ok(coalesce(format!("toreal({}) {op} {}", field_name(field), number(value)?), ctx))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("isempty({})", field_name(field))))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        let name = field_name(field);
        let parts = networks
            .iter()
            .map(|n| {
                let function = if n.addr.is_ipv4() { "ipv4_is_in_range" } else { "ipv6_is_in_range" };
                coalesce(format!("{function}({name}, \"{}/{}\")", n.addr, n.prefix), ctx)
            })
            .collect();
        Ok(Emitted::any(self, parts))
    }

    fn field_ref(&self, field: &str, op: StrOp, case: Case, other: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        let ci = case == Case::Insensitive;
        let word = match op {
            StrOp::Equals => if ci { "=~" } else { "==" }.to_string(),
            StrOp::Contains => format!("contains{}", if ci { "" } else { "_cs" }),
            StrOp::StartsWith => format!("startswith{}", if ci { "" } else { "_cs" }),
            StrOp::EndsWith => format!("endswith{}", if ci { "" } else { "_cs" }),
        };
        Ok(Emitted::atom(format!("{} {word} {}", field_name(field), field_name(other))))
    }
}

/// A column name: a plain identifier as it is, anything else as `['…']`.
pub fn field_name(field: &str) -> String {
    let mut chars = field.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        field.to_string()
    } else {
        format!("['{}']", field.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// A string constant: verbatim (`@"C:\Windows"`, only `"` doubled) when it has no control
/// character, escaped otherwise.
fn string(text: &str) -> Result<String, Refusal> {
    if text.chars().any(char::is_control) {
        quoted(text)
    } else {
        Ok(verbatim(text))
    }
}

fn verbatim(text: &str) -> String {
    format!("@\"{}\"", text.replace('"', "\"\""))
}

/// Under a `not`, a test that is null on unreadable text reads as false.
fn coalesce(text: String, ctx: Context) -> Emitted {
    Emitted::atom(if ctx.negated { format!("coalesce({text}, false)") } else { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(op: StrOp, case: Case, values: &[&str]) -> String {
        let patterns: Vec<StrPattern> = values.iter().map(|v| StrPattern::parse_wildcards(v)).collect();
        Kql.string("ProcessCommandLine", op, case, &patterns, Context::default()).unwrap().text
    }

    #[test]
    fn operators_follow_case_and_placement() {
        assert_eq!(s(StrOp::Equals, Case::Insensitive, &["a", "b\"c"]), r#"ProcessCommandLine in~ (@"a", @"b""c")"#);
        assert_eq!(s(StrOp::EndsWith, Case::Sensitive, &[r"\cmd.exe"]), r#"ProcessCommandLine endswith_cs @"\cmd.exe""#);
        assert_eq!(s(StrOp::Contains, Case::Insensitive, &["a*b"]), r#"ProcessCommandLine matches regex @"[Aa](?s:.)*[Bb]""#);
        assert_eq!(s(StrOp::Equals, Case::Insensitive, &["é"]), r#"ProcessCommandLine matches regex @"^[\x{C9}\x{E9}]\z""#);
        assert_eq!(field_name("Some Field"), "['Some Field']");
    }
}
