//! The typed EQL syntax tree: what a query says, with the position of every node.
//!
//! The tree is faithful to the text (a call keeps its name as written, `-1` stays a unary
//! minus) but not to its layout: parentheses, comments and the raw-or-escaped form of a
//! string are not kept, so `Display` (in `print.rs`) prints a normal form that parses back
//! to an equal tree. Equality ignores positions ([`Loc`]), as `syn`'s syntax trees do.

use vigil_ir::Span;

/// A position that takes no part in equality: two trees are equal when they say the same
/// thing, wherever it was written. The span itself is `.0`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _other: &Loc) -> bool {
        true
    }
}

/// A whole query: `query | pipe | pipe …`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub query: Query,
    pub pipes: Vec<Pipe>,
    pub span: Loc,
}

/// The three query forms Elasticsearch runs (`join` is refused by the parser).
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    Event(EventFilter),
    Sequence(Sequence),
    Sample(Sample),
}

/// `category where condition`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventFilter {
    pub category: Category,
    /// Where the category (or `any`) was written.
    pub category_span: Loc,
    pub condition: Expr,
    pub span: Loc,
}

/// The event category an event query or term selects.
#[derive(Clone, Debug, PartialEq)]
pub enum Category {
    /// `any where`: no category filter.
    Any,
    /// `process where` or `"my-cat" where`: the category field must equal this (case-sensitive).
    Named(String),
}

/// `sequence [by keys] [with maxspan=N unit] term term… [until term]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Keys shared by every term (`sequence by …`).
    pub by: Vec<Expr>,
    pub maxspan: Option<TimeSpan>,
    pub terms: Vec<SequenceTerm>,
    pub until: Option<SequenceTerm>,
    pub span: Loc,
}

/// One stage of a sequence: `[filter] [by keys] [with runs=N]`, or a missing event `![filter]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceTerm {
    pub filter: EventFilter,
    /// Keys of this term, appended to the sequence's own keys.
    pub by: Vec<Expr>,
    /// `with runs=N`: the term repeats N times (1..=100).
    pub runs: Option<u32>,
    /// `![ … ]`: no matching event may occur at this place.
    pub missing: bool,
    pub span: Loc,
}

/// `sample [by keys] term term…`: unordered, no time window.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub by: Vec<Expr>,
    pub terms: Vec<SampleTerm>,
    pub span: Loc,
}

/// One filter of a sample, with its own keys.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleTerm {
    pub filter: EventFilter,
    pub by: Vec<Expr>,
    pub span: Loc,
}

/// A sequence's `maxspan`: a whole number of a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSpan {
    pub value: u64,
    pub unit: TimeUnit,
    pub span: Loc,
}

/// The units `maxspan` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    /// The unit as written in a query.
    pub fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Millis => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }

    /// The unit a suffix names, if any.
    pub fn from_suffix(text: &str) -> Option<TimeUnit> {
        [TimeUnit::Millis, TimeUnit::Seconds, TimeUnit::Minutes, TimeUnit::Hours, TimeUnit::Days].into_iter().find(|u| u.suffix() == text)
    }

    /// Milliseconds in one unit.
    pub fn millis(self) -> u64 {
        match self {
            TimeUnit::Millis => 1,
            TimeUnit::Seconds => 1_000,
            TimeUnit::Minutes => 60_000,
            TimeUnit::Hours => 3_600_000,
            TimeUnit::Days => 86_400_000,
        }
    }
}

/// The pipes Elasticsearch runs: the first or last N results.
#[derive(Clone, Debug, PartialEq)]
pub enum PipeKind {
    Head,
    Tail,
}

/// `| head N` or `| tail N`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipe {
    pub kind: PipeKind,
    pub count: u64,
    pub span: Loc,
}

/// An expression with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Loc,
}

/// What an expression is.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Field(Field),
    /// `name(args)` or `name~(args)`; the name is kept as written (names resolve
    /// case-insensitively, see `function.rs`).
    Call {
        name: String,
        insensitive: bool,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Compare {
        op: CompareOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `x in (…)`, `x not in (…)`, `x in~ (…)`, `x not in~ (…)`.
    In {
        operand: Box<Expr>,
        negated: bool,
        insensitive: bool,
        values: Vec<Expr>,
    },
    /// `x : "…"`, `x like ("…", "…")` and the other string matchers, over literals only.
    Match {
        operand: Box<Expr>,
        op: MatchOp,
        patterns: Vec<Constant>,
    },
    Not(Box<Expr>),
    /// Two or more operands; nested `and`s are flattened.
    And(Vec<Expr>),
    /// Two or more operands; nested `or`s are flattened.
    Or(Vec<Expr>),
}

/// A constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// An integer literal that fits a signed 64-bit long.
    Integer(i64),
    /// A decimal literal, or an integer literal too wide for a long (as Elasticsearch reads it).
    Float(f64),
    String(String),
}

/// A literal with its own position: a pattern of `:`, `like` or `regex`.
#[derive(Clone, Debug, PartialEq)]
pub struct Constant {
    pub value: Literal,
    pub span: Loc,
}

/// A field path: `a.b.c`, `` `my-field`.b ``, `?optional.field`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// `?field`: a missing or unmapped field is null instead of an error.
    pub optional: bool,
    /// The path segments; a back-quoted segment is one segment even if it holds dots.
    pub path: Vec<String>,
}

/// Prefix arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Minus,
    Plus,
}

/// Binary arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// Comparison operators (at most one per operand pair: `a < b < c` is an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// The string matchers whose right-hand side is one or more literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    /// `:`: case-insensitive, `*` and `?` wildcards (the same as `like~`).
    Colon,
    Like,
    LikeInsensitive,
    Regex,
    RegexInsensitive,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

impl CompareOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::NotEq => "!=",
            CompareOp::Lt => "<",
            CompareOp::LtEq => "<=",
            CompareOp::Gt => ">",
            CompareOp::GtEq => ">=",
        }
    }
}

impl MatchOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            MatchOp::Colon => ":",
            MatchOp::Like => "like",
            MatchOp::LikeInsensitive => "like~",
            MatchOp::Regex => "regex",
            MatchOp::RegexInsensitive => "regex~",
        }
    }
}

impl Query {
    /// Every event filter of the query, in order (the `until` filter last).
    pub fn filters(&self) -> Vec<&EventFilter> {
        match self {
            Query::Event(f) => vec![f],
            Query::Sequence(s) => s.terms.iter().chain(&s.until).map(|t| &t.filter).collect(),
            Query::Sample(s) => s.terms.iter().map(|t| &t.filter).collect(),
        }
    }
}
