//! Computed expressions (IR [`vigil_ir::Value`]) compiled and evaluated against an event
//! view, with Elasticsearch EQL's semantics:
//!
//! - three-valued logic inside (`null and false` is false, `null or true` is true, `not
//!   null` is null); the expression is one leaf of the rule and holds only where it is
//!   `true` (Elasticsearch's `nullSafeFilter`), so a `not` above it is two-valued;
//! - typed numbers: integer arithmetic stays integer (`7 / 3 == 2`, Java's `%` with the sign
//!   of the dividend, overflow and division by zero give null), any float makes it float;
//!   longs compare exactly (no trip through a 64-bit float);
//! - field values are read by their schema type (`long`, `date` as epoch milliseconds,
//!   `keyword` as text …); a field missing, null or an object reads as null;
//! - a multi-valued field holds when any element does: a comparison, `in`, match or boolean
//!   function reading one is tried once per element of it (the first such field, when it
//!   reads several); elsewhere a multi-valued field reads as its first element.
//!
//! The functions are in `compute_func.rs`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;

use vigil_ir::{Arith, Case, Cmp, FieldType, Func, Network, Scalar, StrOp, Value};

use crate::fields::{FieldTrie, Slot};
use crate::matcher::StrSet;
use crate::view::{EventView, Kind};

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// A `version` field's value: compares with strings and versions as a semantic version.
    Version(Cow<'a, str>),
}

impl V<'_> {
    /// The value as text, as Elasticsearch's `string()` writes it; null stays null.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            V::Null => None,
            V::Bool(b) => Some(Cow::Owned(b.to_string())),
            V::Int(i) => Some(Cow::Owned(i.to_string())),
            V::Float(x) => Some(Cow::Owned(float_text(*x))),
            V::Str(s) | V::Version(s) => Some(Cow::Borrowed(s)),
        }
    }

    fn into_scalar(self) -> Scalar {
        match self {
            V::Null => Scalar::Null,
            V::Bool(b) => Scalar::Bool(b),
            V::Int(i) => Scalar::Int(i),
            V::Float(x) => Scalar::Float(x),
            V::Str(s) | V::Version(s) => Scalar::Str(s.into_owned()),
        }
    }
}

/// A float as Java's `Double.toString` writes the common cases (`21.0`, `2.5`).
fn float_text(x: f64) -> String {
    format!("{x:?}")
}

fn scalar(s: &Scalar) -> V<'static> {
    match s {
        Scalar::Null => V::Null,
        Scalar::Bool(b) => V::Bool(*b),
        Scalar::Int(i) => V::Int(*i),
        Scalar::Float(x) => V::Float(*x),
        Scalar::Str(s) => V::Str(Cow::Owned(s.clone())),
    }
}

/// A compiled computed expression.
#[derive(Debug)]
pub struct Compiled {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Lit(V<'static>),
    Field { slot: Slot, ty: FieldType },
    Call { func: Func, insensitive: bool, args: Vec<Node> },
    Neg(Box<Node>),
    Arith { op: Arith, left: Box<Node>, right: Box<Node> },
    Compare { op: Cmp, left: Box<Node>, right: Box<Node> },
    IsNull(Box<Node>),
    In { operand: Box<Node>, values: Vec<Node>, case: Case },
    Wildcard { operand: Box<Node>, set: StrSet },
    Regex { operand: Box<Node>, regexes: Vec<regex::Regex> },
    Cidr { operand: Box<Node>, networks: Vec<Network> },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// The most memory one compiled regular expression may take (as for `|re`).
const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// Compiles `value`, giving its fields slots in `fields`. Fails only on a regular
/// expression that does not compile.
pub fn compile(value: &Value, fields: &mut FieldTrie) -> Result<Compiled, String> {
    Ok(Compiled { root: node(value, fields)? })
}

fn node(value: &Value, fields: &mut FieldTrie) -> Result<Node, String> {
    let mut boxed = |v: &Value| node(v, fields).map(Box::new);
    Ok(match value {
        Value::Lit(s) => Node::Lit(scalar(s)),
        Value::Field(f) => Node::Field { slot: fields.slot(&f.name), ty: f.ty },
        Value::Neg(v) => Node::Neg(boxed(v)?),
        Value::IsNull(v) => Node::IsNull(boxed(v)?),
        Value::Not(v) => Node::Not(boxed(v)?),
        Value::Arith { op, left, right } => Node::Arith { op: *op, left: boxed(left)?, right: boxed(right)? },
        Value::Compare { op, left, right } => Node::Compare { op: *op, left: boxed(left)?, right: boxed(right)? },
        Value::Wildcard { operand, case, patterns } => Node::Wildcard { operand: boxed(operand)?, set: StrSet::new(StrOp::Equals, *case, patterns) },
        Value::Cidr { operand, networks } => Node::Cidr { operand: boxed(operand)?, networks: networks.clone() },
        Value::Regex { operand, patterns } => {
            let operand = boxed(operand)?;
            let regexes = patterns
                .iter()
                .map(|r| {
                    regex::RegexBuilder::new(&r.source)
                        .case_insensitive(r.case_insensitive)
                        .multi_line(r.multi_line)
                        .dot_matches_new_line(r.dot_matches_new_line)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| format!("regular expression `{}` does not compile: {e}", r.source))
                })
                .collect::<Result<_, _>>()?;
            Node::Regex { operand, regexes }
        }
        Value::Call { func, insensitive, args } => Node::Call { func: *func, insensitive: *insensitive, args: nodes(args, fields)? },
        Value::In { operand, values, case } => Node::In { operand: node(operand, fields).map(Box::new)?, values: nodes(values, fields)?, case: *case },
        Value::And(items) => Node::And(nodes(items, fields)?),
        Value::Or(items) => Node::Or(nodes(items, fields)?),
    })
}

fn nodes(values: &[Value], fields: &mut FieldTrie) -> Result<Vec<Node>, String> {
    values.iter().map(|v| node(v, fields)).collect()
}

/// Evaluates a constant expression (no event): Elasticsearch's constant folding.
pub fn fold(value: &Value) -> Result<Scalar, String> {
    let mut fields = FieldTrie::default();
    let compiled = compile(value, &mut fields)?;
    let view = EventView::new(fields.slot_count());
    Ok(compiled.value(&view).into_scalar())
}

/// Which element of a multi-valued field the evaluation reads.
#[derive(Clone, Copy)]
struct Pick {
    slot: Slot,
    index: usize,
}

impl Compiled {
    /// True when the expression evaluates to `true` on the event (null and false do not match).
    /// The slots of the fields the expression reads, each once, in order.
    pub fn slots(&self) -> Vec<Slot> {
        let mut out = Vec::new();
        fields_in(&self.root, &mut out);
        out.dedup();
        out
    }

    pub fn matches(&self, view: &EventView) -> bool {
        self.value(view) == V::Bool(true)
    }

    /// The value of the expression on the event.
    pub fn value<'v>(&self, view: &'v EventView) -> V<'v> {
        eval(&self.root, view, None)
    }
}

fn eval<'v>(node: &Node, view: &'v EventView, pick: Option<Pick>) -> V<'v> {
    match node {
        Node::Lit(v) => v.clone(),
        Node::Field { slot, ty } => {
            let index = pick.filter(|p| p.slot == *slot).map_or(0, |p| p.index);
            view.values(*slot).nth(index).map_or(V::Null, |v| read(v.kind, v.text, *ty))
        }
        Node::Neg(inner) => match eval(inner, view, pick) {
            V::Int(i) => i.checked_neg().map_or(V::Null, V::Int),
            V::Float(x) => V::Float(-x),
            _ => V::Null,
        },
        Node::Arith { op, left, right } => arith(*op, eval(left, view, pick), eval(right, view, pick)),
        Node::IsNull(inner) => V::Bool(match inner.as_ref() {
            // A field is null when it has no value that is not null (as `Test::Null`).
            Node::Field { slot, .. } => view.values(*slot).all(|v| v.kind == Kind::Null),
            other => eval(other, view, pick) == V::Null,
        }),
        Node::And(items) => {
            let mut unknown = false;
            for item in items {
                match truth(eval(item, view, pick)) {
                    Some(false) => return V::Bool(false),
                    Some(true) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                V::Null
            } else {
                V::Bool(true)
            }
        }
        Node::Or(items) => {
            let mut unknown = false;
            for item in items {
                match truth(eval(item, view, pick)) {
                    Some(true) => return V::Bool(true),
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                V::Null
            } else {
                V::Bool(false)
            }
        }
        Node::Not(inner) => truth(eval(inner, view, pick)).map_or(V::Null, |b| V::Bool(!b)),
        leaf => any_element(leaf, view, pick),
    }
}

/// A leaf test (comparison, `in`, match, function) over a multi-valued field: true when
/// one element gives true, else null when one gives null, else false. The first
/// multi-valued field the leaf reads is the one iterated; others read their first element.
fn any_element<'v>(leaf: &Node, view: &'v EventView, pick: Option<Pick>) -> V<'v> {
    let mut slots = Vec::new();
    fields_in(leaf, &mut slots);
    let multi = slots.into_iter().filter(|s| pick.is_none_or(|p| p.slot != *s)).find_map(|slot| {
        let count = view.values(slot).count();
        (count > 1).then_some((slot, count))
    });
    let Some((slot, count)) = multi else { return leaf_value(leaf, view, pick) };
    let mut unknown = false;
    for index in 0..count {
        match leaf_value(leaf, view, Some(Pick { slot, index })) {
            V::Bool(true) => return V::Bool(true),
            V::Null => unknown = true,
            _ => {}
        }
    }
    if unknown {
        V::Null
    } else {
        V::Bool(false)
    }
}

/// The slots of the fields a node reads, in order.
fn fields_in(node: &Node, out: &mut Vec<Slot>) {
    match node {
        Node::Lit(_) => {}
        Node::Field { slot, .. } => out.push(*slot),
        Node::Call { args: items, .. } | Node::And(items) | Node::Or(items) => items.iter().for_each(|n| fields_in(n, out)),
        Node::Neg(n) | Node::IsNull(n) | Node::Not(n) => fields_in(n, out),
        Node::Wildcard { operand, .. } | Node::Regex { operand, .. } | Node::Cidr { operand, .. } => fields_in(operand, out),
        Node::Arith { left, right, .. } | Node::Compare { left, right, .. } => {
            fields_in(left, out);
            fields_in(right, out);
        }
        Node::In { operand, values, .. } => {
            fields_in(operand, out);
            values.iter().for_each(|n| fields_in(n, out));
        }
    }
}

fn leaf_value<'v>(leaf: &Node, view: &'v EventView, pick: Option<Pick>) -> V<'v> {
    match leaf {
        Node::Compare { op, left, right } => compare(*op, &eval(left, view, pick), &eval(right, view, pick)),
        Node::In { operand, values, case } => {
            let x = eval(operand, view, pick);
            if x == V::Null {
                return V::Null;
            }
            let mut unknown = false;
            for v in values {
                let v = eval(v, view, pick);
                if v == V::Null {
                    unknown = true;
                } else if equal(&x, &v, *case) == Some(true) {
                    return V::Bool(true);
                }
            }
            if unknown {
                V::Null
            } else {
                V::Bool(false)
            }
        }
        Node::Wildcard { operand, set } => match eval(operand, view, pick).text() {
            None => V::Null,
            Some(t) => V::Bool(set.matches(&t, &t.to_lowercase())),
        },
        Node::Regex { operand, regexes } => match eval(operand, view, pick).text() {
            None => V::Null,
            Some(t) => V::Bool(regexes.iter().any(|r| r.is_match(&t))),
        },
        Node::Cidr { operand, networks } => match eval(operand, view, pick).text() {
            None => V::Null,
            Some(t) => V::Bool(t.trim().parse::<IpAddr>().is_ok_and(|ip| networks.iter().any(|n| n.contains(ip)))),
        },
        Node::Call { func, insensitive, args } => {
            let args: Vec<V<'v>> = args.iter().map(|a| eval(a, view, pick)).collect();
            crate::compute_func::call(*func, *insensitive, args)
        }
        other => eval(other, view, pick),
    }
}

/// A boolean in a boolean position; anything else is unknown.
fn truth(v: V<'_>) -> Option<bool> {
    match v {
        V::Bool(b) => Some(b),
        _ => None,
    }
}

/// An event value read as its schema type.
fn read(kind: Kind, text: &str, ty: FieldType) -> V<'_> {
    if matches!(kind, Kind::Null | Kind::Composite) {
        return V::Null;
    }
    let int_or_float = |t: &str| t.trim().parse::<i64>().map(V::Int).ok().or_else(|| crate::number::parse(t).map(V::Float));
    match ty {
        FieldType::Unknown => match kind {
            Kind::Num => int_or_float(text).unwrap_or(V::Null),
            Kind::Bool => V::Bool(text == "true"),
            _ => V::Str(Cow::Borrowed(text)),
        },
        FieldType::Keyword | FieldType::Text | FieldType::Ip => V::Str(Cow::Borrowed(text)),
        FieldType::Version => V::Version(Cow::Borrowed(text)),
        FieldType::Long => match int_or_float(text) {
            Some(V::Float(x)) => V::Int(x.trunc() as i64),
            Some(v) => v,
            None => V::Null,
        },
        FieldType::Double => crate::number::parse(text).map_or(V::Null, V::Float),
        FieldType::Date => match text.trim().parse::<i64>() {
            Ok(ms) => V::Int(ms),
            Err(_) => crate::time::parse_timestamp(text).map_or(V::Null, V::Int),
        },
        FieldType::Boolean => match text {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => V::Null,
        },
    }
}

/// Binary arithmetic with Java's typing: long op long stays long (checked), else double.
pub fn arith<'v>(op: Arith, a: V<'v>, b: V<'v>) -> V<'v> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => match op {
            Arith::Add => x.checked_add(y),
            Arith::Sub => x.checked_sub(y),
            Arith::Mul => x.checked_mul(y),
            Arith::Div => x.checked_div(y),
            Arith::Mod => x.checked_rem(y),
        }
        .map_or(V::Null, V::Int),
        (a, b) => match (float(&a), float(&b)) {
            (Some(x), Some(y)) => V::Float(match op {
                Arith::Add => x + y,
                Arith::Sub => x - y,
                Arith::Mul => x * y,
                Arith::Div => x / y,
                Arith::Mod => x % y,
            }),
            _ => V::Null,
        },
    }
}

fn float(v: &V<'_>) -> Option<f64> {
    match v {
        V::Int(i) => Some(*i as f64),
        V::Float(x) => Some(*x),
        _ => None,
    }
}

/// The order of two values of comparable types (numbers, strings by code point, booleans);
/// `None` when either is null or the types differ.
fn order(a: &V<'_>, b: &V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (V::Version(x), V::Version(y) | V::Str(y)) | (V::Str(x), V::Version(y)) => Some(crate::version::compare(x, y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => float(a)?.partial_cmp(&float(b)?),
        _ => None,
    }
}

fn equal(a: &V<'_>, b: &V<'_>, case: Case) -> Option<bool> {
    match (a, b, case) {
        (V::Str(x) | V::Version(x), V::Str(y) | V::Version(y), Case::Insensitive) => Some(x.to_lowercase() == y.to_lowercase()),
        _ => order(a, b).map(|o| o == Ordering::Equal),
    }
}

fn compare<'v>(op: Cmp, a: &V<'_>, b: &V<'_>) -> V<'v> {
    let Some(o) = order(a, b) else { return V::Null };
    V::Bool(match op {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::NotEq => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Lte => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Gte => o != Ordering::Less,
    })
}
