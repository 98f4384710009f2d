//! The `spark` target: Spark SQL, `SELECT * FROM `events` WHERE …` over the same table as
//! the `sql` target (one text column per field, NULL when absent, the `_values` keyword
//! column).
//!
//! Capability table:
//! - identifiers back-quoted; string literals with `\` and `'` escaped (Spark reads
//!   backslash escapes in literals), and `${` as `\u0024{` (Spark substitutes variables
//!   such as `${env:x:-j}` in the statement's text, inside literals too);
//! - case-insensitive string comparison: `lower(f) LIKE 'p'`, the pattern lower-cased as
//!   Sigma does. Spark's `lower` is Java's full Unicode lower case (`İ` → `i̇`, KELVIN SIGN
//!   → `k`), as Rust's is, so non-ASCII letters need no special case; Greek sigma (final
//!   form by context) is refused like in `sql`. `LIKE` escapes with `\` and its `%` crosses
//!   newlines;
//! - case-sensitive: `=` for a plain value, `LIKE` otherwise (Spark's `LIKE` keeps case);
//! - regular expressions: `RLIKE` (Java regex, a search), with the pattern printed by
//!   `regex_text`, every class spelled out;
//! - numbers: the value trimmed of Unicode white space by a regex, checked to be wholly a
//!   number in Rust's float syntax, then `try_cast` to a double (never an error under ANSI
//!   mode), in one expression that is false, not NULL, on a missing field;
//! - keywords: as in `sql`, on the `_values` column;
//! - null: `IS NULL`; under a `not`, other tests are guarded with `IS NOT NULL`;
//! - CIDR: `RLIKE` with the regex of `cidr_text` (every spelling of the addresses);
//! - placeholders (`%name%`, `|expand`): the table `name` with one text column `value` (as
//!   in `sql`), `EXISTS (SELECT 1 FROM `name` AS `_list` WHERE lower(f) LIKE
//!   lower(concat(…, <value as a LIKE pattern>, …)))`, both sides lower-cased by Java's full
//!   Unicode lower case; `|cased` with a list refused;
//! - refused: `exists`, field references, calendar parts, correlations.

use vigil_ir::{Case, Network, NumOp, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Precedence, Refusal};
use crate::sql::{keyword_line, lower, KEYWORD_COLUMN};
use crate::sql_text::{like_pattern, sigma_to_like_with};

use crate::sql::LIST_ALIAS;

/// Spark SQL.
pub struct Spark;

/// Unicode white space (what Rust's `str::trim` removes), as a Java regex class.
const WHITE_SPACE: &str = r"[\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]";

/// A number in Rust's float syntax, whole (after trimming).
const NUMBER: &str = r"\A[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z";

/// The largest finite double.
const MAX_FINITE: &str = "1.7976931348623157e308";

/// A Spark SQL string literal. `${` is written `\u0024{`: Spark substitutes `${name}`,
/// `${env:name}` and `${name:-default}` anywhere in a statement's text before parsing it
/// (`spark.sql.variable.substitute`, on by default), also inside literals, which would change
/// a value like Log4Shell's `${jndi:…}`; the parser reads the escape back as `$`.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            // `${` would start a variable substitution.
            '$' if chars.peek() == Some(&'{') => out.push_str("\\u0024"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A back-quoted Spark identifier.
pub fn identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl Dialect for Spark {
    crate::refusal_codes!("spark");

    fn name(&self) -> &'static str {
        "spark"
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
        format!("SELECT * FROM {} WHERE {condition}", identifier(&options.table))
    }

    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let column = identifier(field);
        let (prefix_any, suffix_any) = crate::text::placement(op);
        let mut parts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            parts.push(Emitted::atom(match case {
                Case::Sensitive => match pattern.as_literal() {
                    Some(text) if op == StrOp::Equals => format!("{column} = {}", literal(&text)),
                    _ => format!("{column} LIKE {}", literal(&like_pattern(pattern, prefix_any, suffix_any).0)),
                },
                Case::Insensitive => {
                    let lowered = lower(pattern);
                    if let Some(c) = lowered.literal_text().chars().find(|c| matches!(c, 'σ' | 'ς')) {
                        return Err(Refusal::new(Construct::UnicodeCase, format!("`{pattern}` holds `{c}`, whose lower case depends on its place in a word"))
                            .with_hint("add `|cased` if the case is known, or write the letter's variants as separate values"));
                    }
                    match lowered.as_literal() {
                        Some(text) if op == StrOp::Equals => format!("lower({column}) = {}", literal(&text)),
                        _ => format!("lower({column}) LIKE {}", literal(&like_pattern(&lowered, prefix_any, suffix_any).0)),
                    }
                }
            }));
        }
        Ok(guard(&column, Emitted::any(self, parts), ctx))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        if !value.is_finite() {
            return Err(Refusal::new(Construct::Number, format!("{value} is not a finite number")));
        }
        let op = match op {
            NumOp::Lt => "<",
            NumOp::Lte => "<=",
            NumOp::Gt => ">",
            NumOp::Gte => ">=",
            NumOp::Eq => "=",
        };
        let trimmed = format!("regexp_replace({}, {}, '')", identifier(field), literal(&format!(r"\A{WHITE_SPACE}+|{WHITE_SPACE}+\z")));
        let number = format!("try_cast({trimmed} AS DOUBLE)");
        // coalesce: false, not NULL, on a missing field, so no guard is needed under `not`.
        Ok(Emitted::atom(format!(
            "coalesce({trimmed} RLIKE {} AND abs({number}) <= {MAX_FINITE} AND {number} {op} {}, FALSE)",
            literal(NUMBER),
            number_literal(value)
        )))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("{} IS NULL", identifier(field))))
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let lines = patterns.iter().map(|p| keyword_line(op, p)).collect::<Result<Vec<_>, _>>()?;
        self.string(KEYWORD_COLUMN, StrOp::Contains, case, &lines, ctx)
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let column = identifier(field);
        if patterns.is_empty() {
            return Ok(Emitted::atom(self.constant(false)));
        }
        let mut parts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            parts.push(Emitted::atom(format!("{column} RLIKE {}", literal(&crate::regex_text::portable_regex(pattern)?))));
        }
        Ok(guard(&column, Emitted::any(self, parts), ctx))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        if networks.is_empty() {
            return Ok(Emitted::atom(self.constant(false)));
        }
        let column = identifier(field);
        let test = format!("{column} RLIKE {}", literal(&crate::regex_text::portable_networks(networks)?));
        Ok(guard(&column, Emitted::atom(test), ctx))
    }

    fn placeholder(&self, field: &str, op: StrOp, case: Case, list: &ListPattern, _ctx: Context) -> Result<Emitted, Refusal> {
        crate::sql::list_usable(field, case, list)?;
        let (prefix_any, suffix_any) = crate::text::placement(op);
        let mut pattern = Vec::new();
        let (before, _) = like_pattern(&list.before, prefix_any, false);
        let (after, _) = like_pattern(&list.after, false, suffix_any);
        if !before.is_empty() {
            pattern.push(literal(&before));
        }
        pattern.push(sigma_to_like_with(&format!("{}.`value`", identifier(LIST_ALIAS)), &literal, &|n| format!("chr({n})")));
        if !after.is_empty() {
            pattern.push(literal(&after));
        }
        // EXISTS is never unknown: no guard under `not`. (Spark refuses a sub-select inside
        // a higher-order function, so the list is read by a correlated sub-select.)
        Ok(Emitted::atom(format!(
            "EXISTS (SELECT 1 FROM {} AS {} WHERE lower({}) LIKE lower(concat({})))",
            identifier(&list.name),
            identifier(LIST_ALIAS),
            identifier(field),
            pattern.join(", ")
        )))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Exists, "the events table stores an absent field and a JSON null alike as NULL, so `exists` cannot be told")
            .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

/// A double literal Spark reads back exactly (`4688D`, `1.5E-7D`).
fn number_literal(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        format!("{value:.0}D")
    } else {
        format!("{value:e}D").replace('e', "E")
    }
}

/// Under a `not`, a comparison must be false on NULL, not unknown.
fn guard(column: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("{column} IS NOT NULL AND {}", e.at(Precedence::And)), precedence: Precedence::And }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_escape_what_spark_reads() {
        assert_eq!(literal(r"a\b'c"), r"'a\\b\'c'");
        assert_eq!(literal(r"${jndi:x} \${a} $x {y}"), r"'\u0024{jndi:x} \\\u0024{a} $x {y}'");
        assert_eq!(identifier("a`b.c"), "`a``b.c`");
        assert_eq!(number_literal(4688.0), "4688D");
        assert_eq!(number_literal(-0.5), "-5E-1D");
    }
}
