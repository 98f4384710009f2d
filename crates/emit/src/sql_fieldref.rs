//! Sigma's `|fieldref` for the `sql` and `duckdb` targets: the text of one column compared
//! with the text of another in the same row.
//!
//! Native semantics (ARCHITECTURE, "Sigma `|fieldref`"): the field's value as text equals,
//! starts with, ends with or contains the other field's value; missing or null on either side
//! is no match (so `not` holds there). The table holds no arrays, so the multi-value policy
//! does not arise. Spelled with `substr`/`length`/`instr`, which count characters in both
//! engines, and guarded with `IS NOT NULL` on both columns so the test is false, never
//! unknown, on a missing field.
//!
//! `|cased` comparisons are printed. Case-insensitive ones (Sigma's default) are refused:
//! Sigma folds all of Unicode (`to_lowercase`, with İ and a word-final Σ folded as Rust
//! does), SQLite's `lower()` folds ASCII only and DuckDB's uses Unicode's simple mapping, and
//! two columns give no constant whose letters could be spelled out as classes.

use vigil_ir::{Case, StrOp};

use crate::dialect::{Construct, Emitted, Refusal};
use crate::sql_text::identifier;

/// `field` compared with `other` by `op`, case-sensitively.
pub fn field_ref(field: &str, op: StrOp, case: Case, other: &str) -> Result<Emitted, Refusal> {
    if case == Case::Insensitive {
        return Err(Refusal::new(
            Construct::FieldRef,
            format!("a case-insensitive comparison of two columns (`{field}|fieldref: {other}`): SQL's lower() does not fold as Sigma does (SQLite folds ASCII only, DuckDB uses Unicode's simple mapping)"),
        )
        .with_hint("add `|cased` when the values' case is known, or convert for kql, esql or spl"));
    }
    let (a, b) = (identifier(field), identifier(other));
    let test = match op {
        StrOp::Equals => format!("{a} = {b}"),
        StrOp::StartsWith => format!("substr({a}, 1, length({b})) = {b}"),
        StrOp::EndsWith => format!("length({a}) >= length({b}) AND substr({a}, length({a}) - length({b}) + 1) = {b}"),
        StrOp::Contains => format!("(length({b}) = 0 OR instr({a}, {b}) > 0)"),
    };
    Ok(Emitted::atom(format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {test})")))
}
