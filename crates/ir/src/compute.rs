//! Computed expressions: values read from fields (typed by the data source's schema),
//! literals, function calls, arithmetic, comparisons and three-valued logic, as EQL writes
//! them. An [`crate::Expr::Compute`] holds one; the engine evaluates it with SQL's
//! three-valued null logic inside and counts only `true` as a match (null and false do not
//! match). Literal predicates ([`crate::Test`]) stay the form for plain field-vs-constant
//! tests, which the candidate index reads; a computed expression gives the index nothing.

use crate::expr::{Network, RegexPattern};
use crate::pattern::{Case, StrOp, StrPattern};

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

/// The parts of a field-to-field text comparison ([`Value::field_ref`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRefParts<'a> {
    pub field: &'a str,
    pub op: StrOp,
    pub case: Case,
    pub other: &'a str,
}

impl Value {
    /// Sigma's `|fieldref`: the value of `field` as text equals (`Equals`), starts with,
    /// ends with or contains the value of `other` in the same event, with `case`. Both
    /// fields are read as text (`keyword`): a number or boolean as written, a missing,
    /// null or object value as null, so the test does not hold. Equality is `other in
    /// (field)`-shaped (`In`), the others the `startsWith`/`endsWith`/`stringContains`
    /// calls; [`Value::as_field_ref`] reads them back (emitters print them as the target's
    /// field comparison).
    pub fn field_ref(field: &str, op: StrOp, case: Case, other: &str) -> Value {
        let read = |name: &str| Value::Field(FieldRead { name: name.to_string(), ty: FieldType::Keyword });
        let func = match op {
            StrOp::Equals => return Value::In { operand: Box::new(read(field)), values: vec![read(other)], case },
            StrOp::StartsWith => Func::StartsWith,
            StrOp::EndsWith => Func::EndsWith,
            StrOp::Contains => Func::StringContains,
        };
        Value::Call { func, insensitive: case == Case::Insensitive, args: vec![read(field), read(other)] }
    }

    /// The parts of a value shaped as [`Value::field_ref`] builds it (two text-read fields).
    pub fn as_field_ref(&self) -> Option<FieldRefParts<'_>> {
        fn text(v: &Value) -> Option<&str> {
            match v {
                Value::Field(FieldRead { name, ty: FieldType::Keyword }) => Some(name.as_str()),
                _ => None,
            }
        }
        match self {
            Value::In { operand, values, case } => match values.as_slice() {
                [other] => Some(FieldRefParts { field: text(operand)?, op: StrOp::Equals, case: *case, other: text(other)? }),
                _ => None,
            },
            Value::Call { func, insensitive, args } => {
                let op = match func {
                    Func::StartsWith => StrOp::StartsWith,
                    Func::EndsWith => StrOp::EndsWith,
                    Func::StringContains => StrOp::Contains,
                    _ => return None,
                };
                let case = if *insensitive { Case::Insensitive } else { Case::Sensitive };
                match args.as_slice() {
                    [field, other] => Some(FieldRefParts { field: text(field)?, op, case, other: text(other)? }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_ref_reads_back_as_built_and_nothing_else_does() {
        for op in [StrOp::Equals, StrOp::StartsWith, StrOp::EndsWith, StrOp::Contains] {
            for case in [Case::Sensitive, Case::Insensitive] {
                let v = Value::field_ref("a", op, case, "b");
                assert_eq!(v.as_field_ref(), Some(FieldRefParts { field: "a", op, case, other: "b" }));
            }
        }
        let typed = |ty| Value::Field(FieldRead { name: "a".into(), ty });
        let long = Value::Call { func: Func::StartsWith, insensitive: false, args: vec![typed(FieldType::Long), typed(FieldType::Keyword)] };
        assert_eq!(long.as_field_ref(), None);
        let constant = Value::In { operand: Box::new(typed(FieldType::Keyword)), values: vec![Value::Lit(Scalar::Str("b".into()))], case: Case::Sensitive };
        assert_eq!(constant.as_field_ref(), None);
        let length = Value::Call { func: Func::Length, insensitive: false, args: vec![typed(FieldType::Keyword)] };
        assert_eq!(length.as_field_ref(), None);
    }
}
