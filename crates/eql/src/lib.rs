//! The EQL front end: EQL text as Elasticsearch accepts it → a typed syntax tree with spans.
//!
//! - `lexer.rs` cuts text into tokens (strings, escapes, raw strings, comments),
//! - `parser.rs` parses statements (event queries, `sequence`, `sample`, pipes) and
//!   `expr.rs` expressions, with Elasticsearch's precedence,
//! - `ast.rs` is the tree, `print.rs` prints it back as EQL (`parse(print(t)) == t`),
//! - `function.rs` is the registry of Elasticsearch's EQL functions and checks calls,
//! - `lower.rs` lowers event filters into the IR (literal predicates where they express
//!   the query exactly), `lower_value.rs` the rest into computed expressions, `date.rs`
//!   reads date constants,
//! - `schema.rs` is the field-type schema (from Elasticsearch mappings) lowering reads,
//! - `regex.rs` translates EQL's Lucene regular expressions into anchored `regex` syntax,
//! - `lower_sequence.rs` lowers whole statements (sequences, samples, pipes) into rule bodies,
//! - `toml_rule.rs` reads Elastic detection-rule TOML files and writes them back,
//! - `diagnostics.rs` holds the diagnostic codes.
//!
//! Everything Elasticsearch refuses at parse time (Endgame pipes, `join`, lineage, `=`,
//! single-quoted strings, array indexes, `fork`, fractional `maxspan`) is a
//! `vigil_ir::Diagnostic` naming the construct, with line, column, span and a hint.

pub mod ast;
mod date;
pub mod diagnostics;
mod expr;
pub mod function;
pub mod lexer;
pub mod lower;
pub mod lower_sequence;
pub mod lower_value;
mod parser;
mod print;
pub mod regex;
pub mod schema;
pub mod toml_rule;

pub use ast::Statement;
pub use parser::parse;

use vigil_ir::{Diagnostic, SourceId};

/// Parses `text` and checks its function calls against Elasticsearch's function set: the
/// query is one Elasticsearch would accept, up to field mappings.
pub fn parse_checked(source: &SourceId, text: &str) -> Result<Statement, Diagnostic> {
    let statement = parse(source, text)?;
    function::check_statement(source, &statement)?;
    Ok(statement)
}
