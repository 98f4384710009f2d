//! Computed expressions: values read from fields (typed by the data source's schema),
//! literals, function calls, arithmetic, comparisons and three-valued logic, as EQL writes
//! them. An [`crate::Expr::Compute`] holds one; the engine evaluates it with SQL's
//! three-valued null logic inside and counts only `true` as a match (null and false do not
//! match). Literal predicates ([`crate::Test`]) stay the form for plain field-vs-constant
//! tests, which the candidate index reads; a computed expression gives the index nothing.

use crate::expr::{Network, RegexPattern};
use crate::pattern::{Case, StrPattern};

/// A constant value. Integers and floats are distinct (integer arithmetic stays integer:
/// `7 / 3 == 2`; longs above 2^53 stay exact).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// How a field's values are read, from the data source's schema (an Elasticsearch mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FieldType {
    /// Not in the schema: read as the event holds it (JSON numbers as numbers).
    #[default]
    Unknown,
    Keyword,
    Text,
    Long,
    Double,
    /// Epoch milliseconds (a number, or a date text).
    Date,
    Ip,
    /// Semantic versions (`1.10.0 > 1.9.0`).
    Version,
    Boolean,
}

/// A field read by a computed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRead {
    pub name: String,
    pub ty: FieldType,
}

/// The functions of Elasticsearch's EQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Add,
    Between,
    CidrMatch,
    Concat,
    Divide,
    EndsWith,
    IndexOf,
    Length,
    Modulo,
    Multiply,
    Number,
    StartsWith,
    String,
    StringContains,
    Substring,
    Subtract,
}

/// Binary arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    /// Integer division truncates (Java); by zero it is null.
    Div,
    /// The remainder with the sign of the dividend (Java `%`).
    Mod,
}

/// Comparison operators (strings compare case-sensitively, by code point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    Eq,
    NotEq,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A computed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Lit(Scalar),
    /// A field's value (a multi-valued field: see the engine's `compute` module).
    Field(FieldRead),
    /// `f(args)`; `insensitive` is the `~` form.
    Call {
        func: Func,
        insensitive: bool,
        args: Vec<Value>,
    },
    Neg(Box<Value>),
    Arith {
        op: Arith,
        left: Box<Value>,
        right: Box<Value>,
    },
    /// A comparison; null on either side gives null.
    Compare {
        op: Cmp,
        left: Box<Value>,
        right: Box<Value>,
    },
    /// True when the operand is null (two-valued: `x == null`).
    IsNull(Box<Value>),
    /// `x in (…)`: null when `x` is null, or when nothing matched and the list holds a null.
    In {
        operand: Box<Value>,
        values: Vec<Value>,
        case: Case,
    },
    /// `x : "a*"`, `like`, `like~`: the whole value matches one of the wildcard patterns.
    Wildcard {
        operand: Box<Value>,
        case: Case,
        patterns: Vec<StrPattern>,
    },
    /// `x regex "…"`: the whole value matches one of the expressions (already anchored).
    Regex {
        operand: Box<Value>,
        patterns: Vec<RegexPattern>,
    },
    /// `cidrMatch(x, …)` over constant networks.
    Cidr {
        operand: Box<Value>,
        networks: Vec<Network>,
    },
    And(Vec<Value>),
    Or(Vec<Value>),
    Not(Box<Value>),
}

impl Value {
    /// Calls `f` on every field the expression reads.
    pub fn for_each_field<'a>(&'a self, f: &mut impl FnMut(&'a FieldRead)) {
        match self {
            Value::Lit(_) => {}
            Value::Field(field) => f(field),
            Value::Call { args: items, .. } | Value::And(items) | Value::Or(items) => items.iter().for_each(|v| v.for_each_field(f)),
            Value::Neg(v) | Value::IsNull(v) | Value::Not(v) => v.for_each_field(f),
            Value::Wildcard { operand, .. } | Value::Regex { operand, .. } | Value::Cidr { operand, .. } => operand.for_each_field(f),
            Value::Arith { left, right, .. } | Value::Compare { left, right, .. } => {
                left.for_each_field(f);
                right.for_each_field(f);
            }
            Value::In { operand, values, .. } => {
                operand.for_each_field(f);
                values.iter().for_each(|v| v.for_each_field(f));
            }
        }
    }

    /// Calls `f` on every field the expression reads, to rename it.
    pub fn for_each_field_mut(&mut self, f: &mut impl FnMut(&mut FieldRead)) {
        match self {
            Value::Lit(_) => {}
            Value::Field(field) => f(field),
            Value::Call { args: items, .. } | Value::And(items) | Value::Or(items) => items.iter_mut().for_each(|v| v.for_each_field_mut(f)),
            Value::Neg(v) | Value::IsNull(v) | Value::Not(v) => v.for_each_field_mut(f),
            Value::Wildcard { operand, .. } | Value::Regex { operand, .. } | Value::Cidr { operand, .. } => operand.for_each_field_mut(f),
            Value::Arith { left, right, .. } | Value::Compare { left, right, .. } => {
                left.for_each_field_mut(f);
                right.for_each_field_mut(f);
            }
            Value::In { operand, values, .. } => {
                operand.for_each_field_mut(f);
                values.iter_mut().for_each(|v| v.for_each_field_mut(f));
            }
        }
    }

    /// True when the tree is at most `max` deep. Recurses at most `max + 1` levels.
    pub fn within_depth(&self, max: usize) -> bool {
        if max == 0 {
            return false;
        }
        let all = |items: &[Value]| items.iter().all(|v| v.within_depth(max - 1));
        match self {
            Value::Lit(_) | Value::Field(_) => true,
            Value::Call { args: items, .. } | Value::And(items) | Value::Or(items) => all(items),
            Value::Neg(v) | Value::IsNull(v) | Value::Not(v) => v.within_depth(max - 1),
            Value::Wildcard { operand, .. } | Value::Regex { operand, .. } | Value::Cidr { operand, .. } => operand.within_depth(max - 1),
            Value::Arith { left, right, .. } | Value::Compare { left, right, .. } => left.within_depth(max - 1) && right.within_depth(max - 1),
            Value::In { operand, values, .. } => operand.within_depth(max - 1) && all(values),
        }
    }
}
