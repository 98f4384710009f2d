//! The `sql` target: SQLite.
//!
//! The statement is `SELECT * FROM "events" WHERE …` over a table with one column per field
//! (nested fields flattened with dots, the pipeline's names), every value stored as text
//! (numbers and booleans as their JSON text), JSON null and absent fields as NULL.
//!
//! Capability table:
//! - case-insensitive string comparison: `LIKE` (escape `\`), exact for ASCII patterns and
//!   for non-ASCII characters without case (see `sql_text`); a pattern with a non-ASCII
//!   letter that has an upper case (`é`) is refused (`emit::sql::unicode-case`);
//! - case-sensitive: `=` for a plain value, `GLOB` for wildcards and placement;
//! - numbers: a well-formedness check and a cast (see `sql_number`);
//! - null: `IS NULL`; under a `not`, every other test is guarded with `IS NOT NULL`, since
//!   Sigma's `not` holds on a missing field and SQL's would be unknown;
//! - refused: keywords (a table has no "any column"), regular expressions (SQLite has no
//!   built-in `REGEXP`), CIDR, `exists` (absent and JSON null are both NULL in the table),
//!   field references, calendar parts, correlations.

use vigil_ir::{Case, NumOp, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Refusal};
use crate::sql_number::number_test;
use crate::sql_text::{folded_value, folds_alone, glob_pattern, identifier, like_pattern, literal};

/// SQLite.
pub struct Sqlite;

impl Dialect for Sqlite {
    crate::refusal_codes!("sql");

    fn name(&self) -> &'static str {
        "sql"
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
        let (prefix_any, suffix_any) = match op {
            StrOp::Equals => (false, false),
            StrOp::Contains => (true, true),
            StrOp::StartsWith => (false, true),
            StrOp::EndsWith => (true, false),
        };
        let mut parts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            check_text(&pattern.literal_text())?;
            parts.push(Emitted::atom(match case {
                Case::Sensitive => match pattern.as_literal() {
                    Some(text) if op == StrOp::Equals => format!("{column} = {}", literal(&text)),
                    _ => format!("{column} GLOB {}", literal(&glob_pattern(pattern, prefix_any, suffix_any))),
                },
                Case::Insensitive => {
                    let lowered = lower(pattern);
                    if let Some(c) = lowered.literal_text().chars().find(|c| !folds_alone(*c)) {
                        return Err(Refusal::new(
                            Construct::UnicodeCase,
                            format!("`{pattern}` holds `{c}`, a letter SQLite's LIKE cannot match case-insensitively (it folds ASCII only)"),
                        )
                        .with_hint("add `|cased` if the case is known, or write the letter's variants as separate values"));
                    }
                    let (like, escaped) = like_pattern(&lowered, prefix_any, suffix_any);
                    let escape = if escaped { " ESCAPE '\\'" } else { "" };
                    format!("{} LIKE {}{escape}", folded_value(&column, &like), literal(&like))
                }
            }));
        }
        Ok(guard(&column, Emitted::any(self, parts), ctx))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        // The sub-select is false, not unknown, on NULL: no guard needed.
        number_test(&identifier(field), op, value).map(Emitted::atom).ok_or_else(|| Refusal::new(Construct::Number, format!("{value} is not a finite number")))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("{} IS NULL", identifier(field))))
    }

    fn keyword(&self, _op: StrOp, _case: Case, _patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Keyword, "keyword searches look at every value of the event, and a SQL table has no \"any column\"")
            .with_hint("name the field the keyword is expected in"))
    }

    fn regex(&self, _field: &str, _patterns: &[vigil_ir::RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Regex, "SQLite has no built-in REGEXP function").with_hint("write the pattern with wildcards (`*`, `?`) if it allows it"))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(
            Construct::Exists,
            "the events table stores an absent field and a JSON null alike as NULL, so `exists` (null counts as present) cannot be told",
        )
        .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

/// The pattern lower-cased as Sigma does (Unicode), wildcards kept.
fn lower(pattern: &StrPattern) -> StrPattern {
    StrPattern::from_pieces(pattern.pieces().iter().map(|p| match p {
        vigil_ir::Piece::Lit(t) => vigil_ir::Piece::Lit(t.to_lowercase()),
        other => other.clone(),
    }))
}

/// SQLite string literals cannot hold NUL.
fn check_text(text: &str) -> Result<(), Refusal> {
    if text.contains('\0') {
        return Err(Refusal::new(Construct::Text, "a value holds a NUL character, which a SQLite string literal cannot"));
    }
    Ok(())
}

/// Under a `not`, a comparison must be false on NULL, not unknown.
fn guard(column: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("{column} IS NOT NULL AND {}", e.at(crate::Precedence::And)), precedence: crate::Precedence::And }
}
