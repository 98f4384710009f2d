//! The capability table every target fills in: one method per kind of predicate, each
//! returning the target's text or a [`Refusal`] naming the construct it cannot express.

use std::collections::BTreeMap;

use vigil_ir::{Case, Network, NumOp, RegexPattern, StrOp, StrPattern, TimePart};

/// A string pattern holding one `%name%` placeholder (`|expand`), split around it: the value
/// list `name` the target resolves (a table, watchlist, lookup), with the pattern's own text
/// before and after it. A list value is in Sigma's string syntax (`*`, `?`, `\` escapes),
/// as a pipeline's `vars` would give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPattern {
    pub name: String,
    pub before: StrPattern,
    pub after: StrPattern,
}

/// Options shared by every target.
#[derive(Clone, Debug)]
pub struct Options {
    /// The table (SQL) or index the statement reads; `events` by default.
    pub table: String,
    /// The index, table or source the query reads when given on the command line
    /// (`--table`): wins over the pipeline's state and the target's default.
    pub source: Option<String>,
    /// The rule's pipeline state (`set_state` items: `table`, `index`, ...), filled in per
    /// rule by [`crate::convert_all`].
    pub state: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Options {
        Options { table: "events".to_string(), source: None, state: BTreeMap::new() }
    }
}

impl Options {
    /// What the query reads: `--table` when given, else the pipeline state's `key`, else
    /// the target's `default`.
    pub fn source_or(&self, key: &str, default: &str) -> String {
        self.source.clone().or_else(|| self.state.get(key).cloned()).unwrap_or_else(|| default.to_string())
    }
}

/// A construct of the IR a target may be unable to express. Each has a stable name, the last
/// part of the refusal's code (`emit::sql::regex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Construct {
    /// A keyword search (any string value of the event).
    Keyword,
    /// A regular expression.
    Regex,
    /// A CIDR network test.
    Cidr,
    /// A numeric comparison.
    Number,
    /// `exists: true|false`.
    Exists,
    /// A comparison with another field (`|fieldref`).
    FieldRef,
    /// A calendar part of a timestamp (`|hour`, ...).
    TimePart,
    /// An unresolved `%placeholder%`.
    Placeholder,
    /// Case folding the target cannot do exactly (non-ASCII letters).
    UnicodeCase,
    /// Text the target's literals cannot hold (a NUL character).
    Text,
    /// A field name the target cannot address (a `*` path segment from a pipeline).
    FieldPattern,
    /// A correlation rule.
    Correlation,
    /// A computed expression (EQL functions, arithmetic, comparisons of computed values).
    Expression,
}

/// Expands to a `code` method giving `emit::<target>::<construct>` as a static string, so
/// each target's file states its target name once.
#[macro_export]
macro_rules! refusal_codes {
    ($target:literal) => {
        fn code(&self, construct: $crate::Construct) -> &'static str {
            use $crate::Construct as C;
            match construct {
                C::Keyword => concat!("emit::", $target, "::keyword"),
                C::Regex => concat!("emit::", $target, "::regex"),
                C::Cidr => concat!("emit::", $target, "::cidr"),
                C::Number => concat!("emit::", $target, "::number"),
                C::Exists => concat!("emit::", $target, "::exists"),
                C::FieldRef => concat!("emit::", $target, "::fieldref"),
                C::TimePart => concat!("emit::", $target, "::time-part"),
                C::Placeholder => concat!("emit::", $target, "::placeholder"),
                C::UnicodeCase => concat!("emit::", $target, "::unicode-case"),
                C::Text => concat!("emit::", $target, "::text"),
                C::FieldPattern => concat!("emit::", $target, "::field-pattern"),
                C::Correlation => concat!("emit::", $target, "::correlation"),
                C::Expression => concat!("emit::", $target, "::expression"),
            }
        }
    };
}

/// Why a target cannot print a predicate: the construct, what exactly, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub construct: Construct,
    pub message: String,
    pub hint: Option<String>,
}

impl Refusal {
    pub fn new(construct: Construct, message: impl Into<String>) -> Refusal {
        Refusal { construct, message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Refusal {
        self.hint = Some(hint.into());
        self
    }
}

/// How tightly a piece of emitted text binds, so the printer adds only the parentheses the
/// target's grammar needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precedence {
    Or,
    And,
    Atom,
}

/// The longest run of one infix operator printed without grouping.
pub const MAX_CHAIN: usize = 64;

/// Emitted text and how tightly it binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emitted {
    pub text: String,
    pub precedence: Precedence,
}

impl Emitted {
    pub fn atom(text: impl Into<String>) -> Emitted {
        Emitted { text: text.into(), precedence: Precedence::Atom }
    }

    /// Alternatives joined with the target's `or` (one alternative stays as it is).
    pub fn any(dialect: &(impl Dialect + ?Sized), parts: Vec<Emitted>) -> Emitted {
        Emitted::join(parts, dialect.or(), Precedence::Or)
    }

    /// `parts` joined with the infix `op` of `precedence`. Long chains are grouped in
    /// parenthesised runs of at most [`MAX_CHAIN`] (recursively), so parsers that build
    /// one tree level per operator (SQLite refuses trees deeper than 1,000) see a depth
    /// that grows with the logarithm of the length.
    pub fn join(mut parts: Vec<Emitted>, op: &str, precedence: Precedence) -> Emitted {
        if parts.len() == 1 {
            return parts.remove(0);
        }
        while parts.len() > MAX_CHAIN {
            parts = parts
                .chunks(MAX_CHAIN)
                .map(|run| {
                    let mut text = String::with_capacity(joined_len(run, op) + 2);
                    text.push('(');
                    push_joined(&mut text, run, op, precedence);
                    text.push(')');
                    Emitted::atom(text)
                })
                .collect();
        }
        let mut text = String::with_capacity(joined_len(&parts, op));
        push_joined(&mut text, &parts, op, precedence);
        Emitted { text, precedence }
    }

    /// The text, in parentheses when it binds more loosely than `needed`.
    pub fn at(&self, needed: Precedence) -> String {
        if self.precedence < needed {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// The length of `parts` joined by `op`, parentheses included at most.
fn joined_len(parts: &[Emitted], op: &str) -> usize {
    parts.iter().map(|p| p.text.len() + 2).sum::<usize>() + op.len() * parts.len()
}

/// `parts` joined by `op` into `out`, each in parentheses when it binds more loosely than
/// `precedence` (what [`Emitted::at`] gives, without a copy per part).
fn push_joined(out: &mut String, parts: &[Emitted], op: &str, precedence: Precedence) {
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            out.push_str(op);
        }
        if part.precedence < precedence {
            out.push('(');
            out.push_str(&part.text);
            out.push(')');
        } else {
            out.push_str(&part.text);
        }
    }
}

/// Where a predicate stands in the tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Some `not` is above the predicate. Targets with three-valued logic (SQL) must then
    /// make the predicate false, not unknown, on a missing field: Sigma's `not` holds when
    /// the field is missing.
    pub negated: bool,
}

/// A target's capability table. The default of every predicate method is a refusal, so a
/// target states exactly what it can express.
pub trait Dialect {
    /// The target's name, as `--target` spells it.
    fn name(&self) -> &'static str;
    /// The refusal code for `construct` (use [`refusal_codes!`]).
    fn code(&self, construct: Construct) -> &'static str;
    /// The infix `and`, with its spaces.
    fn and(&self) -> &'static str;
    /// The infix `or`, with its spaces.
    fn or(&self) -> &'static str;
    /// The negation of `inner` (the target adds the parentheses it needs).
    fn not(&self, inner: &str) -> String;
    /// A constant condition.
    fn constant(&self, value: bool) -> String;
    /// The whole query around a condition.
    fn statement(&self, condition: &str, options: &Options) -> String;

    /// A string comparison of a named field with any of `patterns`.
    fn string(&self, field: &str, op: StrOp, case: Case, patterns: &[StrPattern], ctx: Context) -> Result<Emitted, Refusal>;

    fn keyword(&self, _op: StrOp, _case: Case, _patterns: &[StrPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Keyword, "keyword searches (any value of the event) are not supported by this target"))
    }
    fn regex(&self, _field: &str, _patterns: &[RegexPattern], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Regex, "regular expressions are not supported by this target"))
    }
    fn cidr(&self, _field: &str, _networks: &[Network], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Cidr, "CIDR tests are not supported by this target"))
    }
    fn number(&self, _field: &str, _op: NumOp, _value: f64, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Number, "numeric comparisons are not supported by this target"))
    }
    fn exists(&self, _field: &str, _present: bool, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Exists, "`exists` is not supported by this target"))
    }
    fn null(&self, field: &str, ctx: Context) -> Result<Emitted, Refusal>;
    fn field_ref(&self, _field: &str, _op: StrOp, _case: Case, _other: &str, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::FieldRef, "comparisons between two fields (`|fieldref`) are not supported by this target"))
    }
    /// A string comparison of a named field with a pattern around a value list.
    fn placeholder(&self, _field: &str, _op: StrOp, _case: Case, list: &ListPattern, _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::Placeholder, format!("placeholder `%{}%`: this target's query language has no reference to a named value list", list.name))
            .with_hint("resolve it with a pipeline's `vars` and a `value_placeholders` transformation"))
    }
    fn time_part(&self, _field: &str, _part: TimePart, _values: &[i64], _ctx: Context) -> Result<Emitted, Refusal> {
        Err(Refusal::new(Construct::TimePart, "calendar parts of timestamps are not supported by this target"))
    }
}
