//! The detection expression: a boolean tree over typed field predicates.

use std::net::IpAddr;

use crate::pattern::{Case, StrOp, StrPattern};
use crate::span::Span;

/// What a predicate looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// A named field. Names are logical (as the rule wrote them) until a pipeline maps them
    /// to the names of a data source; dots separate nested objects.
    Named(String),
    /// Any string value anywhere in the event (Sigma keywords, full-text search).
    Keyword,
}

impl Field {
    pub fn name(&self) -> Option<&str> {
        match self {
            Field::Named(n) => Some(n),
            Field::Keyword => None,
        }
    }
}

/// A numeric comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumOp {
    Lt,
    Lte,
    Gt,
    Gte,
    /// Numeric equality: a rule value written as a number (`EventID: 4688`).
    Eq,
}

/// A calendar part extracted from a timestamp field (Sigma 2.1 `|minute`, `|hour`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimePart {
    /// The Sigma modifier's name (`minute`, `hour`, …).
    pub fn name(self) -> &'static str {
        match self {
            TimePart::Minute => "minute",
            TimePart::Hour => "hour",
            TimePart::Day => "day",
            TimePart::Week => "week",
            TimePart::Month => "month",
            TimePart::Year => "year",
        }
    }
}

/// A test applied to the value(s) of one field. Tests with a list of alternatives hold when
/// any alternative holds; an event field that is an array holds when any element does.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// String comparison against any of `patterns`. Numbers and booleans in the event are
    /// compared through their text form, as the Sigma specification asks.
    Str { op: StrOp, case: Case, patterns: Vec<StrPattern> },
    /// Regular expression search (unanchored) against any of `patterns`.
    Regex { patterns: Vec<RegexPattern> },
    /// The value is an IP address inside any of the networks.
    Cidr { networks: Vec<Network> },
    /// Numeric comparison of a JSON number, or of a string holding one (surrounding spaces
    /// allowed), as 64-bit floats: `-0` equals `0`, `1.0` equals `1`, `1e3` equals `1000`. A
    /// value that is not a finite number (text, `NaN`, `inf`, a boolean) does not match.
    Num { op: NumOp, value: f64 },
    /// The field is present (`true`) or absent (`false`). Null counts as present.
    Exists(bool),
    /// The field is absent or null.
    Null,
    /// A calendar part of a timestamp value equals any of `values`.
    Time { part: TimePart, values: Vec<i64> },
}

/// A regular expression as written, with its flags.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegexPattern {
    pub source: String,
    pub case_insensitive: bool,
    pub multi_line: bool,
    pub dot_matches_new_line: bool,
}

/// An IPv4 or IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Network {
    /// Parses `a.b.c.d/n`, `::1/128` or a bare address (a host network).
    pub fn parse(text: &str) -> Option<Network> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.trim().parse::<IpAddr>().ok()?, Some(p.trim().parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Network { addr, prefix })
    }

    /// True when `ip` lies inside this network. IPv4-mapped IPv6 addresses match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(ip)) => ip.to_ipv4_mapped().is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// One field test, with the span of the detection item it was written as.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    pub field: Field,
    pub test: Test,
    pub span: Span,
}

/// A boolean expression over predicates.
///
/// `Named` keeps the identifiers a rule's condition referred to (Sigma search identifiers),
/// so lints and emitters can still tell the branches of a rule apart after lowering.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Pred(Predicate),
    Named {
        name: String,
        span: Span,
        expr: Box<Expr>,
    },
    Const(bool),
    /// A computed expression (EQL functions, arithmetic, field-to-field comparisons),
    /// evaluated three-valued inside; it holds only when it evaluates to `true`.
    Compute {
        value: Box<crate::compute::Value>,
        span: Span,
    },
}

impl Expr {
    /// Conjunction; a single operand is returned as is.
    pub fn and(mut items: Vec<Expr>) -> Expr {
        if items.len() == 1 {
            return items.remove(0);
        }
        Expr::And(items)
    }

    /// Disjunction; a single operand is returned as is.
    pub fn or(mut items: Vec<Expr>) -> Expr {
        if items.len() == 1 {
            return items.remove(0);
        }
        Expr::Or(items)
    }

    /// Negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(inner: Expr) -> Expr {
        Expr::Not(Box::new(inner))
    }

    /// The depth of the boolean tree (a predicate has depth 1).
    pub fn depth(&self) -> usize {
        match self {
            Expr::And(items) | Expr::Or(items) => 1 + items.iter().map(Expr::depth).max().unwrap_or(0),
            Expr::Not(inner) => 1 + inner.depth(),
            Expr::Named { expr, .. } => expr.depth(),
            Expr::Pred(_) | Expr::Const(_) | Expr::Compute { .. } => 1,
        }
    }

    /// True when the tree is at most `max` deep (as [`Expr::depth`] counts). Recurses at
    /// most `max + 1` levels whatever the tree, so it is safe on trees of any depth that
    /// were built without recursion limits.
    pub fn within_depth(&self, max: usize) -> bool {
        if max == 0 {
            return false;
        }
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter().all(|e| e.within_depth(max - 1)),
            Expr::Not(inner) => inner.within_depth(max - 1),
            Expr::Named { expr, .. } => expr.within_depth(max),
            Expr::Pred(_) | Expr::Const(_) => true,
            // A computed expression is bounded by the same limit on its own tree.
            Expr::Compute { value, .. } => value.within_depth(crate::MAX_NESTING),
        }
    }

    /// Calls `f` on every predicate of the tree.
    pub fn for_each_predicate<'a>(&'a self, f: &mut impl FnMut(&'a Predicate)) {
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| e.for_each_predicate(f)),
            Expr::Not(inner) => inner.for_each_predicate(f),
            Expr::Named { expr, .. } => expr.for_each_predicate(f),
            Expr::Pred(p) => f(p),
            Expr::Const(_) | Expr::Compute { .. } => {}
        }
    }

    /// Calls `f` on every field read by a computed expression of the tree (predicates are
    /// not visited; see [`Expr::map_predicates`]).
    pub fn for_each_computed_field_mut(&mut self, f: &mut impl FnMut(&mut crate::compute::FieldRead)) {
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter_mut().for_each(|e| e.for_each_computed_field_mut(f)),
            Expr::Not(inner) | Expr::Named { expr: inner, .. } => inner.for_each_computed_field_mut(f),
            Expr::Compute { value, .. } => value.for_each_field_mut(f),
            Expr::Pred(_) | Expr::Const(_) => {}
        }
    }

    /// Rebuilds the tree with every predicate replaced by `f(predicate)`.
    pub fn map_predicates(self, f: &mut impl FnMut(Predicate) -> Expr) -> Expr {
        match self {
            Expr::And(items) => Expr::And(items.into_iter().map(|e| e.map_predicates(f)).collect()),
            Expr::Or(items) => Expr::Or(items.into_iter().map(|e| e.map_predicates(f)).collect()),
            Expr::Not(inner) => Expr::Not(Box::new(inner.map_predicates(f))),
            Expr::Named { name, span, expr } => Expr::Named { name, span, expr: Box::new(expr.map_predicates(f)) },
            Expr::Pred(p) => f(p),
            Expr::Const(b) => Expr::Const(b),
            Expr::Compute { value, span } => Expr::Compute { value, span },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> Expr {
        let mut e = Expr::Const(true);
        for i in 0..levels {
            e = if i % 2 == 0 { Expr::And(vec![e, Expr::Const(true)]) } else { Expr::not(e) };
        }
        e
    }

    #[test]
    fn within_depth_agrees_with_depth() {
        for levels in 0..10 {
            let e = nested(levels);
            for max in 0..12 {
                assert_eq!(e.within_depth(max), e.depth() <= max, "levels {levels}, max {max}");
            }
        }
        let named = Expr::Named { name: "sel".into(), span: Span::default(), expr: Box::new(nested(3)) };
        assert_eq!(named.depth(), 4);
        assert!(named.within_depth(4) && !named.within_depth(3));
    }
}
