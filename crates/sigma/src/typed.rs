//! Lowering items with a typed modifier: `exists`, `lt`/`lte`/`gt`/`gte`, `cidr`, `re`,
//! `fieldref` and the time parts (`minute` … `year`).

use vigil_ir::{Diagnostic, Expr, Field, Network, RegexPattern, Span, Test, TimePart, Value};
use vigil_yaml::{Node, ScalarValue};

use crate::context::Context;
use crate::item::{type_error, Item, Plan};
use crate::modifier::{Bound, Typed};
use crate::string_value::string_of;

/// Lowers an item whose typed modifier is `modifier` (written at `at`).
pub fn lower(cx: &mut Context, item: &Item, plan: &Plan, modifier: Typed, at: Span, values: &[&Node]) -> Option<Expr> {
    match modifier {
        Typed::Exists => exists(cx, item, at, values),
        Typed::Compare(bound) => compare(cx, item, bound, values),
        Typed::Cidr => cidr(cx, item, values),
        Typed::Re => regex(cx, item, plan, values),
        Typed::FieldRef => fieldref(cx, item, plan, values),
        Typed::Time(part) => time_part(cx, item, part, values),
    }
}

fn exists(cx: &mut Context, item: &Item, at: Span, values: &[&Node]) -> Option<Expr> {
    let [v] = values else {
        cx.error(type_error(cx, at, "`exists` takes one boolean value"));
        return None;
    };
    match v.scalar() {
        Some(ScalarValue::Bool(b)) => Some(item.pred(Test::Exists(b))),
        _ => {
            cx.error(type_error(cx, v.span, &format!("`exists` takes `true` or `false`, found {}", v.kind_name())));
            None
        }
    }
}

fn compare(cx: &mut Context, item: &Item, bound: Bound, values: &[&Node]) -> Option<Expr> {
    let mut items = Vec::new();
    for v in values {
        let number = match v.scalar() {
            Some(ScalarValue::Int(i)) => i as f64,
            Some(ScalarValue::Float(f)) => f,
            _ => {
                cx.error(type_error(cx, v.span, &format!("`{}` compares numbers, found {}", Typed::Compare(bound).name(), v.kind_name())));
                return None;
            }
        };
        items.push(item.pred(Test::Num { op: bound.op(), value: number }));
    }
    Some(item.combine(items))
}

fn cidr(cx: &mut Context, item: &Item, values: &[&Node]) -> Option<Expr> {
    let mut networks = Vec::new();
    for v in values {
        match v.scalar_text().and_then(Network::parse) {
            Some(n) => networks.push(n),
            None => {
                cx.error(type_error(cx, v.span, "not an IP network").with_hint("write it as `10.0.0.0/8` or `fe80::/10`"));
                return None;
            }
        }
    }
    Some(if item.all {
        item.combine(networks.into_iter().map(|n| item.pred(Test::Cidr { networks: vec![n] })).collect())
    } else {
        item.pred(Test::Cidr { networks })
    })
}

fn regex(cx: &mut Context, item: &Item, plan: &Plan, values: &[&Node]) -> Option<Expr> {
    let (ci, ml, dot) = plan.regex_flags;
    let mut patterns = Vec::new();
    for v in values {
        let Some(source) = string_of(v) else {
            cx.error(type_error(cx, v.span, &format!("`re` takes a string, found {}", v.kind_name())));
            return None;
        };
        // Only parsed here (syntax, unsupported features); the engine compiles each distinct
        // regex once and refuses a rule whose regex exceeds its size limit.
        let parsed = regex_syntax::ParserBuilder::new().case_insensitive(ci).multi_line(ml).dot_matches_new_line(dot).build().parse(&source);
        if let Err(e) = parsed {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("invalid regular expression").trim().to_string();
            cx.error(
                Diagnostic::error("sigma::bad-regex", cx.source.clone(), v.span, format!("invalid regular expression: {last}"))
                    .with_hint("vigil uses the RE2-like syntax of the Rust regex crate: no look-around, no back-references"),
            );
            return None;
        }
        patterns.push(RegexPattern { source, case_insensitive: ci, multi_line: ml, dot_matches_new_line: dot });
    }
    Some(if item.all {
        item.combine(patterns.into_iter().map(|p| item.pred(Test::Regex { patterns: vec![p] })).collect())
    } else {
        item.pred(Test::Regex { patterns })
    })
}

/// `field|fieldref: other`: a computed comparison of the two fields' values as text
/// ([`Value::field_ref`]), with the item's operator (`startswith`, `endswith`, `contains`)
/// and case; a missing field on either side does not match.
fn fieldref(cx: &mut Context, item: &Item, plan: &Plan, values: &[&Node]) -> Option<Expr> {
    let Field::Named(field) = &item.field else {
        cx.error(type_error(cx, item.span, "`fieldref` compares a named field with another field"));
        return None;
    };
    let mut items = Vec::new();
    for v in values {
        let Some(other) = v.as_str() else {
            cx.error(type_error(cx, v.span, &format!("`fieldref` takes a field name, found {}", v.kind_name())));
            return None;
        };
        items.push(Expr::Compute { value: Box::new(Value::field_ref(field, plan.op, plan.case, other)), span: item.span });
    }
    Some(item.combine(items))
}

fn time_part(cx: &mut Context, item: &Item, part: TimePart, values: &[&Node]) -> Option<Expr> {
    let mut numbers = Vec::new();
    for v in values {
        match v.scalar() {
            Some(ScalarValue::Int(i)) => numbers.push(i),
            _ => {
                cx.error(type_error(cx, v.span, &format!("`{}` takes an integer, found {}", Typed::Time(part).name(), v.kind_name())));
                return None;
            }
        }
    }
    Some(if item.all {
        item.combine(numbers.into_iter().map(|n| item.pred(Test::Time { part, values: vec![n] })).collect())
    } else {
        item.pred(Test::Time { part, values: numbers })
    })
}
