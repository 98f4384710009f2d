//! Numeric tests in SQLite, exact to vigil's reading of numbers.
//!
//! vigil reads a number from a JSON number or from text holding one, surrounding Unicode
//! white space allowed, in Rust's float syntax (`4688`, `+7`, `.5`, `5.`, `1e3`), finite
//! only. The `events` table holds every value as text, so the emitted test trims the same
//! white space, checks the whole text is a number in that syntax (SQLite's `CAST` would read
//! `4688abc` as 4688), and compares the cast value. The trimmed text is bound once, in a
//! correlated sub-select, to keep the statement short.

use vigil_ir::NumOp;

use crate::sql::Engine;

/// The code points `str::trim` removes (Unicode `White_Space`).
const WHITE_SPACE: &[u32] =
    &[9, 10, 11, 12, 13, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288];

/// The largest finite double: text beyond it casts to infinity, which vigil does not read.
const MAX_FINITE: &str = "1.7976931348623157e308";

/// `s` (bound in the sub-select) is a number in Rust's float syntax: only digits, a point,
/// `e` and signs; a digit first (after a sign and a point); at most one point, none after
/// the exponent; at most one exponent, with digits; signs only first or after the `e`.
const WELL_FORMED: &str = "s NOT GLOB '*[^0-9.eE+-]*' \
AND (s GLOB '[0-9]*' OR s GLOB '[.+-][0-9]*' OR s GLOB '[+-].[0-9]*') \
AND s NOT GLOB '*[^eE][+-]*' AND s NOT GLOB '*[eE]*[eE]*' AND s NOT GLOB '*.*.*' AND s NOT GLOB '*[eE]*.*' \
AND s NOT GLOB '*[eE]' AND s NOT GLOB '*[eE][+-]'";

/// A condition true when `column` holds a number for which `number op value` holds. It is
/// false (never unknown) when the column is NULL, so it needs no guard under `NOT`.
pub fn number_test(engine: Engine, column: &str, op: NumOp, value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let op = match op {
        NumOp::Lt => "<",
        NumOp::Lte => "<=",
        NumOp::Gt => ">",
        NumOp::Gte => ">=",
        NumOp::Eq => "=",
    };
    let value = number_literal(value);
    Some(match engine {
        Engine::Sqlite => {
            let spaces: Vec<String> = WHITE_SPACE.iter().map(u32::to_string).collect();
            format!(
                "EXISTS (SELECT 1 FROM (SELECT trim({column}, char({})) AS s) WHERE {WELL_FORMED} AND abs(CAST(s AS REAL)) <= {MAX_FINITE} AND CAST(s AS REAL) {op} {value})",
                spaces.join(", ")
            )
        }
        // DuckDB has no `char()` and its REAL is single precision; a cast that fails is an
        // error, so the cast is a TRY_CAST (the well-formedness test decides anyway).
        Engine::Duckdb => {
            let spaces: Vec<String> = WHITE_SPACE.iter().map(|c| format!("chr({c})")).collect();
            // DuckDB's GLOB negates a class with `!`.
            let well_formed = WELL_FORMED.replace("[^", "[!");
            format!(
                "EXISTS (SELECT 1 FROM (SELECT trim({column}, {}) AS s) WHERE {well_formed} AND abs(TRY_CAST(s AS DOUBLE)) <= {MAX_FINITE} AND TRY_CAST(s AS DOUBLE) {op} {value})",
                spaces.join(" || ")
            )
        }
    })
}

/// A float as SQL text that reads back as the same value (`4688`, `0.5`, `1e300`).
fn number_literal(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_is_what_str_trim_removes() {
        let found: Vec<u32> = (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|c| c.is_whitespace()).map(u32::from).collect();
        assert_eq!(found, WHITE_SPACE);
    }

    #[test]
    fn literals_read_back() {
        for v in [0.0, -0.0, 4688.0, -3.0, 0.5, 1e300, 1.5e-7, 123456789012345678.0] {
            let text = number_literal(v);
            assert_eq!(text.parse::<f64>().ok(), Some(v), "{text}");
        }
        assert_eq!(number_literal(4688.0), "4688");
        assert!(number_test(Engine::Sqlite, "\"x\"", NumOp::Eq, f64::NAN).is_none());
    }
}
