//! The `sql` target (SQLite) and the `duckdb` target: one capability table, two engines.
//!
//! The statement is `SELECT * FROM "events" WHERE …` over a table with one column per field
//! (nested fields flattened with dots, the pipeline's names), every value stored as text
//! (numbers and booleans as their JSON text), JSON null and absent fields as NULL, and one
//! more column for keyword searches, `_values`, holding every string value of the event, each
//! followed by a line feed, after a first line feed (NULL when the event has none).
//!
//! Capability table:
//! - case-insensitive string comparison: `LIKE` in SQLite, `ILIKE` in DuckDB (escape `\`),
//!   exact for ASCII patterns and for non-ASCII characters without case (see `sql_text`); a
//!   pattern with a non-ASCII letter that has an upper case (`é`) is a `GLOB` whose every
//!   letter is the class of the characters that lower-case to it (`[éÉ]`); Greek sigma,
//!   whose lower case depends on its place in a word, is refused (`emit::sql::unicode-case`);
//! - case-sensitive: `=` for a plain value, `GLOB` for wildcards and placement (both engines);
//! - numbers: a well-formedness check and a cast (see `sql_number`);
//! - regular expressions: `REGEXP` in SQLite (not built in: the common `regexp` extension,
//!   PCRE syntax), `regexp_matches` in DuckDB (RE2), the pattern printed by `regex_text`
//!   with every class spelled out, so both engines read it as Rust's `regex` does;
//! - keywords: `%\nvalue\n%`-style tests on the keyword column, exact since the line feed
//!   is searched only where it cannot fall inside a value's match: a keyword with an inner
//!   wildcard or a line feed is refused;
//! - null: `IS NULL`; under a `not`, every other test is guarded with `IS NOT NULL`, since
//!   Sigma's `not` holds on a missing field and SQL's would be unknown;
//! - CIDR: a regular expression over the value's text matching exactly the spellings of the
//!   addresses in the networks (see `cidr_text`);
//! - placeholders (`%name%`, `|expand`): a value list is the table `name` with one text
//!   column `value` holding the values in Sigma's string syntax (as a pipeline's `vars`),
//!   tested with `EXISTS (SELECT 1 FROM "name" AS "_list" WHERE v LIKE … || <value as a
//!   LIKE pattern> || …)` (`sql_text::sigma_to_like`); exact for list values whose letters
//!   are ASCII (`LIKE`/`ILIKE` fold ASCII only); `|cased` with a list refused;
//! - field references (`|fieldref|cased`): see `sql_fieldref`; correlations: see
//!   `sql_correlation`;
//! - refused: `exists` (absent and JSON null are both NULL in the table), case-insensitive
//!   field references, calendar parts, numeric-aggregate and chained correlations.

use vigil_ir::{Case, Network, NumOp, Piece, RegexPattern, StrOp, StrPattern};

use crate::dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Refusal};
use crate::sql_number::number_test;
use crate::sql_text::{case_glob, folded_value, folds_alone, fully_folded_value, glob_pattern, identifier, like_pattern, literal, sigma_to_like};

/// The column keyword searches read: every string value of the event, each followed by a
/// line feed, after a first line feed; NULL when the event has no string value.
pub const KEYWORD_COLUMN: &str = "_values";

/// The alias of a value list's table inside the sub-select that reads it (the table
/// `%name%` names, one text column `value`).
pub const LIST_ALIAS: &str = "_list";

/// The SQL engine a statement is printed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    Sqlite,
    Duckdb,
}

/// A SQL dialect: the capability table, parameterised by its engine.
pub struct Sql {
    pub engine: Engine,
}

/// SQLite (`--target sql`).
pub static SQLITE: Sql = Sql { engine: Engine::Sqlite };
/// DuckDB (`--target duckdb`).
pub static DUCKDB: Sql = Sql { engine: Engine::Duckdb };

impl Sql {
    /// `column` searched by the printed portable regex `text`.
    fn regex_test(&self, column: &str, text: &str) -> String {
        match self.engine {
            Engine::Sqlite => format!("{column} REGEXP {}", literal(text)),
            Engine::Duckdb => format!("regexp_matches({column}, {})", literal(text)),
        }
    }
}

struct SqliteCodes;
impl SqliteCodes {
    crate::refusal_codes!("sql");
}
struct DuckdbCodes;
impl DuckdbCodes {
    crate::refusal_codes!("duckdb");
}

impl Dialect for Sql {
    fn name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "sql",
            Engine::Duckdb => "duckdb",
        }
    }

    fn code(&self, construct: Construct) -> &'static str {
        match self.engine {
            Engine::Sqlite => SqliteCodes.code(construct),
            Engine::Duckdb => DuckdbCodes.code(construct),
        }
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
            check_pattern(pattern)?;
            parts.push(Emitted::atom(match case {
                Case::Sensitive => match pattern.as_literal() {
                    Some(text) if op == StrOp::Equals => format!("{column} = {}", literal(&text)),
                    _ => format!("{column} GLOB {}", literal(&glob_pattern(self.engine, pattern, prefix_any, suffix_any))),
                },
                Case::Insensitive => self.folded(&column, pattern, prefix_any, suffix_any)?,
            }));
        }
        Ok(guard(&column, Emitted::any(self, parts), ctx))
    }

    fn number(&self, field: &str, op: NumOp, value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        // The sub-select is false, not unknown, on NULL: no guard needed.
        number_test(self.engine, &identifier(field), op, value)
            .map(Emitted::atom)
            .ok_or_else(|| Refusal::new(Construct::Number, format!("{value} is not a finite number")))
    }

    fn null(&self, field: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Ok(Emitted::atom(format!("{} IS NULL", identifier(field))))
    }

    fn field_ref(&self, field: &str, op: StrOp, case: Case, other: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        crate::sql_fieldref::field_ref(field, op, case, other)
    }

    fn keyword(&self, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let mut lines = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            lines.push(keyword_line(op, pattern)?);
        }
        self.string(KEYWORD_COLUMN, StrOp::Contains, case, &lines, ctx)
    }

    fn regex(&self, field: &str, patterns: &[RegexPattern], ctx: Context) -> Result<Emitted, Refusal> {
        let column = identifier(field);
        if patterns.is_empty() {
            return Ok(Emitted::atom(self.constant(false)));
        }
        let mut parts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let text = crate::regex_text::portable_regex(pattern)?;
            parts.push(Emitted::atom(self.regex_test(&column, &text)));
        }
        Ok(guard(&column, Emitted::any(self, parts), ctx))
    }

    fn cidr(&self, field: &str, networks: &[Network], ctx: Context) -> Result<Emitted, Refusal> {
        if networks.is_empty() {
            return Ok(Emitted::atom(self.constant(false)));
        }
        let text = crate::regex_text::portable_networks(networks)?;
        let column = identifier(field);
        Ok(guard(&column, Emitted::atom(self.regex_test(&column, &text)), ctx))
    }

    fn placeholder(&self, field: &str, op: StrOp, case: Case, list: &ListPattern, _ctx: Context) -> Result<Emitted, Refusal> {
        list_usable(field, case, list)?;
        let (prefix_any, suffix_any) = crate::text::placement(op);
        let (before, after) = (lower(&list.before), lower(&list.after));
        for text in [before.literal_text(), after.literal_text()] {
            check_text(&text)?;
            if !text.chars().all(|c| folds_alone(c) && !matches!(c, 'σ' | 'ς')) {
                return Err(Refusal::new(
                    Construct::UnicodeCase,
                    format!("the text `{text}` beside the value list `%{}%` holds a non-ASCII letter with another case", list.name),
                ));
            }
        }
        let mut pattern = Vec::new();
        let (before, _) = like_pattern(&before, prefix_any, false);
        let (after, _) = like_pattern(&after, false, suffix_any);
        if !before.is_empty() {
            pattern.push(literal(&before));
        }
        pattern.push(sigma_to_like(self.engine, &format!("{}.\"value\"", identifier(LIST_ALIAS))));
        if !after.is_empty() {
            pattern.push(literal(&after));
        }
        let op = match self.engine {
            Engine::Sqlite => "LIKE",
            Engine::Duckdb => "ILIKE",
        };
        // EXISTS is never unknown: no guard under `not`.
        Ok(Emitted::atom(format!(
            "EXISTS (SELECT 1 FROM {} AS {} WHERE {} {op} {} ESCAPE '\\')",
            identifier(&list.name),
            identifier(LIST_ALIAS),
            fully_folded_value(self.engine, &identifier(field)),
            pattern.join(" || ")
        )))
    }

    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(
            Construct::Exists,
            "the events table stores an absent field and a JSON null alike as NULL, so `exists` (null counts as present) cannot be told",
        )
        .with_hint("test `field: null` instead when a null value may count as absent"))
    }
}

impl Sql {
    /// A case-insensitive comparison of `column` with `pattern`, placed by the two flags.
    fn folded(&self, column: &str, pattern: &StrPattern, prefix_any: bool, suffix_any: bool) -> Result<String, Refusal> {
        let lowered = lower(pattern);
        let text = lowered.literal_text();
        if let Some(c) = text.chars().find(|c| matches!(c, 'σ' | 'ς')) {
            return Err(Refusal::new(
                Construct::UnicodeCase,
                format!("`{pattern}` holds `{c}`, whose lower case depends on its place in a word, which neither LIKE nor GLOB can tell"),
            )
            .with_hint("add `|cased` if the case is known, or write the letter's variants as separate values"));
        }
        let (like, escaped) = like_pattern(&lowered, prefix_any, suffix_any);
        let value = folded_value(self.engine, column, &like);
        if !text.chars().all(folds_alone) {
            return Ok(format!("{value} GLOB {}", literal(&case_glob(self.engine, &lowered, prefix_any, suffix_any))));
        }
        let escape = if escaped { " ESCAPE '\\'" } else { "" };
        let op = match self.engine {
            Engine::Sqlite => "LIKE",
            Engine::Duckdb => "ILIKE",
        };
        Ok(format!("{value} {op} {}{escape}", literal(&like)))
    }
}

/// A keyword pattern as a test on the keyword column (values between line feeds): the line
/// feeds stand for the anchors, so the pattern must not be able to match one itself.
pub(crate) fn keyword_line(op: StrOp, pattern: &StrPattern) -> Result<StrPattern, Refusal> {
    let mut pieces: Vec<Piece> = pattern.pieces().to_vec();
    let mut starts = matches!(op, StrOp::Equals | StrOp::StartsWith);
    let mut ends = matches!(op, StrOp::Equals | StrOp::EndsWith);
    while pieces.first() == Some(&Piece::AnyRun) {
        pieces.remove(0);
        starts = false;
    }
    while pieces.last() == Some(&Piece::AnyRun) {
        pieces.pop();
        ends = false;
    }
    let inner_wildcard = pieces.iter().any(|p| !matches!(p, Piece::Lit(_)));
    if inner_wildcard || pattern.literal_text().contains('\n') {
        return Err(Refusal::new(
            Construct::Keyword,
            format!("keyword `{pattern}` has a wildcard inside it or a line feed, which could match across two values of the keyword column"),
        )
        .with_hint("name the field the keyword is expected in"));
    }
    let mut out = Vec::with_capacity(pieces.len() + 2);
    if starts {
        out.push(Piece::Lit("\n".into()));
    }
    out.extend(pieces);
    if ends {
        out.push(Piece::Lit("\n".into()));
    }
    Ok(StrPattern::from_pieces(out))
}

/// The pattern lower-cased as Sigma does (Unicode), wildcards kept.
pub(crate) fn lower(pattern: &StrPattern) -> StrPattern {
    StrPattern::from_pieces(pattern.pieces().iter().map(|p| match p {
        Piece::Lit(t) => Piece::Lit(t.to_lowercase()),
        other => other.clone(),
    }))
}

/// SQL string literals cannot hold NUL.
fn check_text(text: &str) -> Result<(), Refusal> {
    if text.contains('\0') {
        return Err(Refusal::new(Construct::Text, "a value holds a NUL character, which a SQL string literal cannot"));
    }
    Ok(())
}

/// [`check_text`] on each literal piece of `pattern` (without joining them into a string).
fn check_pattern(pattern: &StrPattern) -> Result<(), Refusal> {
    pattern.pieces().iter().try_for_each(|p| match p {
        Piece::Lit(t) => check_text(t),
        _ => Ok(()),
    })
}

/// Under a `not`, a comparison must be false on NULL, not unknown.
fn guard(column: &str, e: Emitted, ctx: Context) -> Emitted {
    if !ctx.negated {
        return e;
    }
    Emitted { text: format!("{column} IS NOT NULL AND {}", e.at(crate::Precedence::And)), precedence: crate::Precedence::And }
}

/// What the SQL targets' value-list sub-select cannot hold: a case-sensitive comparison
/// (the list's values are compared folded), and a field named like the list's own column.
pub fn list_usable(field: &str, case: Case, list: &ListPattern) -> Result<(), Refusal> {
    if case == Case::Sensitive {
        return Err(Refusal::new(Construct::Placeholder, format!("a case-sensitive comparison with the value list `%{}%`", list.name))
            .with_hint("drop `|cased`, or resolve the placeholder with a pipeline's `vars`"));
    }
    if field.eq_ignore_ascii_case("value") {
        return Err(Refusal::new(Construct::Placeholder, format!("the field `{field}` would read the value list's own column `value` inside its sub-select"))
            .with_hint("map the field to another column name with a pipeline"));
    }
    Ok(())
}
