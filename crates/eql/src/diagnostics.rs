//! The diagnostic codes of the EQL front end and the messages several stages share.
//!
//! Every refusal is a `vigil_ir::Diagnostic` with one of these codes, a span and a hint. A
//! construct that is EQL but not EQL as Elasticsearch runs it (Endgame pipes, `join`,
//! lineage, `=`, array indexes, `fork`…) gets [`code::UNSUPPORTED`] and names the construct.

use vigil_ir::{Diagnostic, SourceId, Span};

/// Stable diagnostic codes, usable in expectation files.
pub mod code {
    /// The text is not EQL: an unexpected token, a missing bracket.
    pub const SYNTAX: &str = "eql::syntax";
    /// A string or escape that is malformed or of a refused form (single quotes).
    pub const STRING: &str = "eql::string";
    /// A number that is out of range or not allowed where it stands.
    pub const NUMBER: &str = "eql::number";
    /// Valid EQL that Elasticsearch does not run (Endgame-only constructs).
    pub const UNSUPPORTED: &str = "eql::unsupported";
    /// A call to a function Elasticsearch does not have, or with the wrong arguments.
    pub const FUNCTION: &str = "eql::function";
    /// A valid query using a construct the IR cannot express exactly yet (`lower.rs`).
    pub const NOT_LOWERED: &str = "eql::not-lowered";
    /// Nesting deeper than `vigil_ir::MAX_NESTING`.
    pub const TOO_DEEP: &str = "eql::too-deep";
    /// An Elastic rule TOML file that is not TOML, or not an EQL rule (`toml_rule.rs`).
    pub const TOML: &str = "eql::toml";
}

/// A character that starts no token.
pub fn unexpected_character(source: &SourceId, span: Span, c: char) -> Diagnostic {
    let hint = match c {
        '&' => "write `and` for a conjunction",
        '~' => "`~` follows a function name or `in`, `like`, `regex` directly, with no space",
        '$' => "back-quote a field name with unusual characters: `my$field`",
        '{' | '}' => "EQL has no braces; group with parentheses",
        '!' => "write `not` for a negation, `!=` for inequality, `![` for a missing sequence event",
        _ => "remove it, or back-quote a field name that contains it",
    };
    Diagnostic::error(code::SYNTAX, source.clone(), span, format!("unexpected character `{}`", c.escape_debug())).with_hint(hint)
}
