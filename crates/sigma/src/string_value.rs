//! Lowering plain string items: values with wildcards, placeholders (`expand`) and value
//! transformations (base64, base64offset, UTF-16 encodings, windash) expanded.

use vigil_ir::{Diagnostic, Expr, Field, NumOp, Span, StrOp, StrPattern, Test};
use vigil_yaml::{Node, ScalarValue};

use crate::context::Context;
use crate::item::{type_error, Item, Plan};
use crate::modifier::Transform;
use crate::transform;
use crate::value::split_placeholders;

/// Lowers an item without a typed modifier: string patterns, or a null test.
pub fn lower(cx: &mut Context, item: &Item, plan: &Plan, values: &[&Node]) -> Option<Expr> {
    let keyword = item.field == Field::Keyword;
    if values.is_empty() {
        // An empty list means "no value": pySigma reads it as a null test.
        return Some(item.pred(Test::Null));
    }
    if let [v] = values {
        if v.scalar() == Some(ScalarValue::Null) {
            if keyword {
                cx.error(type_error(cx, v.span, "a keyword cannot be null"));
                return None;
            }
            return Some(item.pred(Test::Null));
        }
    }
    // Per value: string patterns, or a number compared as a number.
    let mut per_value: Vec<Result<Vec<StrPattern>, f64>> = Vec::new();
    for v in values {
        per_value.push(match numeric_value(v, plan, keyword) {
            Some(n) => Err(n),
            None => Ok(lower_string_value(cx, v, &plan.transforms)?),
        });
    }
    // Keywords are a full-text search: unanchored unless placed otherwise.
    let op = if keyword && plan.op == StrOp::Equals { StrOp::Contains } else { plan.op };
    let case = plan.case;
    let number = |value: f64| item.pred(Test::Num { op: NumOp::Eq, value });
    Some(if item.all {
        item.combine(
            per_value
                .into_iter()
                .map(|v| match v {
                    Ok(patterns) => item.pred(Test::Str { op, case, patterns }),
                    Err(n) => number(n),
                })
                .collect(),
        )
    } else {
        let mut patterns = Vec::new();
        let mut alternatives = Vec::new();
        for v in per_value {
            match v {
                Ok(p) => patterns.extend(p),
                Err(n) => alternatives.push(number(n)),
            }
        }
        if !patterns.is_empty() {
            alternatives.insert(0, item.pred(Test::Str { op, case, patterns }));
        }
        Expr::or(alternatives)
    })
}

/// A value written as a YAML number, compared with the whole field and transformed by
/// nothing, is compared as a number: `EventID: 4688` holds for `4688`, `"4688"`, `4688.0`
/// and `4.688e3` alike. A quoted value (`'4688'`) stays a string and matches the text, and
/// so does an integer of 2^53 or more: from there a float no longer tells integers apart.
fn numeric_value(v: &Node, plan: &Plan, keyword: bool) -> Option<f64> {
    if keyword || plan.op != StrOp::Equals || !plan.transforms.is_empty() {
        return None;
    }
    match v.scalar()? {
        // Integers a 64-bit float holds exactly; larger ones keep exact text matching.
        ScalarValue::Int(i) if i.unsigned_abs() < 1 << 53 => Some(i as f64),
        ScalarValue::Float(f) if f.is_finite() => Some(f),
        ScalarValue::Int(_) | ScalarValue::Float(_) | ScalarValue::Str(_) | ScalarValue::Bool(_) | ScalarValue::Null => None,
    }
}

pub fn string_of(v: &Node) -> Option<String> {
    match v.scalar()? {
        ScalarValue::Str(s) => Some(s.to_string()),
        ScalarValue::Int(i) => Some(i.to_string()),
        ScalarValue::Float(_) | ScalarValue::Bool(_) => v.scalar_text().map(str::to_string),
        ScalarValue::Null => None,
    }
}

/// One string value with its transformations applied: the alternatives any of which matches.
fn lower_string_value(cx: &mut Context, v: &Node, transforms: &[(Transform, Span)]) -> Option<Vec<StrPattern>> {
    let Some(text) = string_of(v) else {
        cx.error(type_error(cx, v.span, "expected a string or number"));
        return None;
    };
    // `expand` works on the raw text, before wildcards are read: `%name%` becomes a
    // placeholder piece that a pipeline resolves (or the engine refuses to run).
    let expand = transforms.iter().any(|(t, _)| *t == Transform::Expand);
    let mut patterns: Vec<StrPattern> = if expand {
        let mut pattern = StrPattern::default();
        for part in split_placeholders(&text) {
            match part {
                Ok(literal) => StrPattern::parse_wildcards(&literal.replace("\\%", "%")).pieces().iter().for_each(|p| pattern.push(p.clone())),
                Err(name) => pattern.push(vigil_ir::Piece::Placeholder(name)),
            }
        }
        vec![pattern]
    } else {
        vec![StrPattern::parse_wildcards(&text)]
    };
    // Byte-level transformations: encodings produce bytes, base64 turns them back into text.
    let mut bytes: Option<Vec<Vec<u8>>> = None;
    for &(t, at) in transforms {
        match t {
            // Applied above, on the raw text.
            Transform::Expand => {}
            Transform::Windash => patterns = windash(cx, &patterns, at)?,
            Transform::Utf16Le | Transform::Wide => bytes = Some(encoded(cx, v, t, bytes.take(), &patterns)?.iter().map(|b| transform::utf16le(b)).collect()),
            Transform::Utf16Be => bytes = Some(encoded(cx, v, t, bytes.take(), &patterns)?.iter().map(|b| transform::utf16be(b)).collect()),
            Transform::Utf16 => bytes = Some(encoded(cx, v, t, bytes.take(), &patterns)?.iter().map(|b| transform::utf16_bom(b)).collect()),
            Transform::Base64 => {
                patterns = encoded(cx, v, t, bytes.take(), &patterns)?.iter().map(|b| StrPattern::literal(transform::base64(b))).collect();
            }
            Transform::Base64Offset => {
                patterns = encoded(cx, v, t, bytes.take(), &patterns)?.iter().flat_map(|b| transform::base64_offsets(b)).map(StrPattern::literal).collect();
            }
        }
    }
    if let Some(encoded) = bytes {
        // An encoding not followed by base64: match the encoded text itself.
        let mut out = Vec::new();
        for b in encoded {
            match String::from_utf8(b) {
                Ok(s) => out.push(StrPattern::literal(s)),
                Err(_) => {
                    cx.error(
                        Diagnostic::error(
                            "sigma::encoding-not-text",
                            cx.source.clone(),
                            v.span,
                            "this UTF-16 value is not text; follow the encoding with `base64` or `base64offset`",
                        )
                        .with_hint("write `|wide|base64offset|contains`"),
                    );
                    return None;
                }
            }
        }
        patterns = out;
    }
    Some(patterns)
}

/// The bytes an encoding transformation `t` works on: the previous encoding's output, else
/// the patterns as text (which must be literals: wildcards cannot be encoded).
fn encoded(cx: &mut Context, v: &Node, t: Transform, previous: Option<Vec<Vec<u8>>>, patterns: &[StrPattern]) -> Option<Vec<Vec<u8>>> {
    if let Some(b) = previous {
        return Some(b);
    }
    let mut out = Vec::new();
    for p in patterns {
        let Some(lit) = p.as_literal() else {
            cx.error(
                Diagnostic::error("sigma::wildcard-in-encoded", cx.source.clone(), v.span, format!("`{}` cannot encode a value with wildcards", t.name()))
                    .with_hint("escape the wildcard (`\\*`) or put `contains` after the encoding modifier"),
            );
            return None;
        };
        out.push(lit.into_bytes());
    }
    Some(out)
}

/// `windash` over every pattern: each literal piece's flag dashes expanded (see
/// [`transform::windash`]); the alternatives of one pattern are the product over its pieces.
fn windash(cx: &mut Context, patterns: &[StrPattern], at: Span) -> Option<Vec<StrPattern>> {
    let mut out = Vec::new();
    for p in patterns {
        let mut alternatives = vec![StrPattern::default()];
        for piece in p.pieces() {
            let options: Vec<vigil_ir::Piece> = match piece {
                vigil_ir::Piece::Lit(t) => match transform::windash(t) {
                    Some(v) => v.into_iter().map(vigil_ir::Piece::Lit).collect(),
                    None => {
                        cx.error(
                            Diagnostic::error("sigma::windash-explosion", cx.source.clone(), at, "too many flags for `windash` (more than 3,125 spellings)")
                                .with_hint("split the value into several shorter values"),
                        );
                        return None;
                    }
                },
                vigil_ir::Piece::Placeholder(_) => {
                    cx.error(Diagnostic::error("sigma::modifier-conflict", cx.source.clone(), at, "`windash` cannot be applied to a placeholder"));
                    return None;
                }
                vigil_ir::Piece::AnyRun | vigil_ir::Piece::AnyChar => vec![piece.clone()],
            };
            let mut next = Vec::new();
            for a in &alternatives {
                for o in &options {
                    let mut n = a.clone();
                    n.push(o.clone());
                    next.push(n);
                }
            }
            alternatives = next;
            if alternatives.len() > transform::MAX_WINDASH_ALTERNATIVES {
                cx.error(Diagnostic::error("sigma::windash-explosion", cx.source.clone(), at, "too many flags for `windash`"));
                return None;
            }
        }
        out.extend(alternatives);
    }
    Some(out)
}
