//! Lowering one detection item (`field|modifiers: values`) into an IR expression.

use vigil_ir::{Case, Diagnostic, Expr, Field, Network, NumOp, Predicate, RegexPattern, Span, StrOp, StrPattern, Test, TimePart};
use vigil_yaml::{Node, NodeKind, ScalarValue};

use crate::context::Context;
use crate::modifier::Modifier;
use crate::transform;
use crate::value::{parse_sigma_string, split_placeholders};

/// A parsed detection key: the field (empty for keywords) and its modifiers with spans.
struct Key {
    field: Option<String>,
    modifiers: Vec<(Modifier, Span)>,
}

fn parse_key(cx: &mut Context, key: &str, span: Span) -> Option<Key> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    let mut offset = field.len() + 1;
    let mut modifiers = Vec::new();
    for name in parts {
        let at = span.sub(offset + usize::from(!span_is_plain(cx, span)), name.len());
        offset += name.len() + 1;
        match Modifier::parse(name) {
            Some(m) => modifiers.push((m, at)),
            None => {
                let mut d = Diagnostic::error("sigma::unknown-modifier", cx.source.clone(), at, format!("unknown modifier `{name}`"));
                d = match Modifier::suggest(name) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint("see the Sigma specification for the list of value modifiers"),
                };
                cx.error(d);
                return None;
            }
        }
    }
    let field = (!field.is_empty()).then(|| field.to_string());
    Some(Key { field, modifiers })
}

/// Quoted keys start one column after their span; plain ones at it.
fn span_is_plain(cx: &Context, span: Span) -> bool {
    cx.text.as_bytes().get(span.start).is_none_or(|b| !matches!(b, b'"' | b'\''))
}

/// Lowers `key: value` of a selection map. `key` is `None` for a keyword list.
pub fn lower_item(cx: &mut Context, key: Option<&Node>, value: &Node) -> Option<Expr> {
    let (key, key_span) = match key {
        Some(k) => {
            let text = k.scalar_text().unwrap_or_default();
            (parse_key(cx, text, k.span)?, k.span)
        }
        None => (Key { field: None, modifiers: Vec::new() }, value.span),
    };
    let span = key_span;
    let field = match &key.field {
        Some(f) => Field::Named(f.clone()),
        None => Field::Keyword,
    };

    // Classify the modifiers.
    let mut op = StrOp::Equals;
    let mut op_set: Option<Span> = None;
    let mut all = false;
    let mut cased = false;
    let mut neq = false;
    let mut kind: Option<(Modifier, Span)> = None;
    let mut transforms: Vec<(Modifier, Span)> = Vec::new();
    let mut regex_flags = (false, false, false);
    for &(m, at) in &key.modifiers {
        match m {
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => {
                if op_set.is_some() {
                    cx.error(conflict(cx, at, "only one of contains, startswith and endswith may be used"));
                    return None;
                }
                op_set = Some(at);
                op = match m {
                    Modifier::Contains => StrOp::Contains,
                    Modifier::StartsWith => StrOp::StartsWith,
                    _ => StrOp::EndsWith,
                };
            }
            Modifier::All => all = true,
            Modifier::Cased => cased = true,
            Modifier::Neq => neq = true,
            m if m.is_transform() => {
                if matches!(m, Modifier::Base64 | Modifier::Base64Offset) && op_set.is_some() {
                    cx.error(conflict(cx, at, "base64 encoding must come before contains/startswith/endswith"));
                    return None;
                }
                transforms.push((m, at));
            }
            m if m.is_regex_flag() => {
                if !matches!(kind, Some((Modifier::Re, _))) {
                    cx.error(conflict(cx, at, "regular-expression flags (i, m, s) are only valid after `re`"));
                    return None;
                }
                match m {
                    Modifier::ReIgnoreCase => regex_flags.0 = true,
                    Modifier::ReMultiLine => regex_flags.1 = true,
                    _ => regex_flags.2 = true,
                }
            }
            _ => {
                if let Some((prev, _)) = kind {
                    cx.error(conflict(cx, at, &format!("`{}` cannot be combined with `{}`", name_of(m), name_of(prev))));
                    return None;
                }
                kind = Some((m, at));
            }
        }
    }
    if let Some((k, at)) = kind {
        let allows_op = matches!(k, Modifier::FieldRef);
        if op_set.is_some() && !allows_op {
            cx.error(conflict(cx, at, &format!("`{}` cannot be combined with contains, startswith or endswith", name_of(k))));
            return None;
        }
        if !transforms.is_empty() {
            cx.error(conflict(cx, at, &format!("`{}` cannot be combined with value transformations", name_of(k))));
            return None;
        }
    }

    // Collect the values.
    let values: Vec<&Node> = match &value.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Scalar { .. } => vec![value],
        NodeKind::Map(_) => {
            cx.error(
                Diagnostic::error("sigma::bad-value", cx.source.clone(), value.span, "a detection value must be a value or a list of values, not a mapping")
                    .with_hint("nest selections as a list of mappings under the identifier instead"),
            );
            return None;
        }
    };
    for v in &values {
        if !matches!(v.kind, NodeKind::Scalar { .. }) {
            cx.error(
                Diagnostic::error("sigma::bad-value", cx.source.clone(), v.span, format!("expected a value, found {}", v.kind_name()))
                    .with_hint("a value list holds strings, numbers, booleans or null"),
            );
            return None;
        }
    }
    if matches!(value.kind, NodeKind::Seq(_)) && values.len() > 1 {
        if let Some(null) = values.iter().find(|v| v.scalar() == Some(ScalarValue::Null)) {
            cx.error(
                Diagnostic::error("sigma::null-in-list", cx.source.clone(), null.span, "`null` inside a value list")
                    .with_hint("test for null in a separate selection (`field: null`) and combine with `or`"),
            );
            return None;
        }
    }

    let case = if cased { Case::Sensitive } else { Case::Insensitive };
    let pred = |test: Test| Expr::Pred(Predicate { field: field.clone(), test, span });
    let combine = |items: Vec<Expr>| if all { Expr::and(items) } else { Expr::or(items) };

    let expr = match kind {
        Some((Modifier::Exists, at)) => {
            let [v] = values.as_slice() else {
                cx.error(type_error(cx, at, "`exists` takes one boolean value"));
                return None;
            };
            match v.scalar() {
                Some(ScalarValue::Bool(b)) => pred(Test::Exists(b)),
                _ => {
                    cx.error(type_error(cx, v.span, &format!("`exists` takes `true` or `false`, found {}", v.kind_name())));
                    return None;
                }
            }
        }
        Some((m @ (Modifier::Lt | Modifier::Lte | Modifier::Gt | Modifier::Gte), _)) => {
            let op = match m {
                Modifier::Lt => NumOp::Lt,
                Modifier::Lte => NumOp::Lte,
                Modifier::Gt => NumOp::Gt,
                _ => NumOp::Gte,
            };
            let mut items = Vec::new();
            for v in &values {
                let number = match v.scalar() {
                    Some(ScalarValue::Int(i)) => i as f64,
                    Some(ScalarValue::Float(f)) => f,
                    _ => {
                        cx.error(type_error(cx, v.span, &format!("`{}` compares numbers, found {}", name_of(m), v.kind_name())));
                        return None;
                    }
                };
                items.push(pred(Test::Num { op, value: number }));
            }
            combine(items)
        }
        Some((Modifier::Cidr, _)) => {
            let mut networks = Vec::new();
            for v in &values {
                match v.scalar_text().and_then(Network::parse) {
                    Some(n) => networks.push(n),
                    None => {
                        cx.error(type_error(cx, v.span, "not an IP network").with_hint("write it as `10.0.0.0/8` or `fe80::/10`"));
                        return None;
                    }
                }
            }
            if all {
                combine(networks.into_iter().map(|n| pred(Test::Cidr { networks: vec![n] })).collect())
            } else {
                pred(Test::Cidr { networks })
            }
        }
        Some((Modifier::Re, _)) => {
            let mut patterns = Vec::new();
            for v in &values {
                let Some(source) = string_of(v) else {
                    cx.error(type_error(cx, v.span, &format!("`re` takes a string, found {}", v.kind_name())));
                    return None;
                };
                let (ci, ml, dot) = regex_flags;
                // Only parsed here (syntax, unsupported features); the engine compiles each
                // distinct regex once and refuses a rule whose regex exceeds its size limit.
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
            if all {
                combine(patterns.into_iter().map(|p| pred(Test::Regex { patterns: vec![p] })).collect())
            } else {
                pred(Test::Regex { patterns })
            }
        }
        Some((Modifier::FieldRef, _)) => {
            let mut items = Vec::new();
            for v in &values {
                let Some(other) = v.as_str() else {
                    cx.error(type_error(cx, v.span, &format!("`fieldref` takes a field name, found {}", v.kind_name())));
                    return None;
                };
                items.push(pred(Test::FieldRef { op, case, other: other.to_string() }));
            }
            combine(items)
        }
        Some((m @ (Modifier::Minute | Modifier::Hour | Modifier::Day | Modifier::Week | Modifier::Month | Modifier::Year), _)) => {
            let part = match m {
                Modifier::Minute => TimePart::Minute,
                Modifier::Hour => TimePart::Hour,
                Modifier::Day => TimePart::Day,
                Modifier::Week => TimePart::Week,
                Modifier::Month => TimePart::Month,
                _ => TimePart::Year,
            };
            let mut numbers = Vec::new();
            for v in &values {
                match v.scalar() {
                    Some(ScalarValue::Int(i)) => numbers.push(i),
                    _ => {
                        cx.error(type_error(cx, v.span, &format!("`{}` takes an integer, found {}", name_of(m), v.kind_name())));
                        return None;
                    }
                }
            }
            if all {
                combine(numbers.into_iter().map(|n| pred(Test::Time { part, values: vec![n] })).collect())
            } else {
                pred(Test::Time { part, values: numbers })
            }
        }
        Some(_) | None => {
            // Plain string matching, possibly transformed.
            if values.is_empty() {
                // An empty list means "no value": pySigma reads it as a null test.
                pred(Test::Null)
            } else if values.len() == 1 && values[0].scalar() == Some(ScalarValue::Null) {
                if key.field.is_none() {
                    cx.error(type_error(cx, values[0].span, "a keyword cannot be null"));
                    return None;
                }
                pred(Test::Null)
            } else {
                let mut per_value = Vec::new();
                for v in &values {
                    let alternatives = lower_string_value(cx, v, &transforms)?;
                    per_value.push(alternatives);
                }
                let op = if key.field.is_none() && op == StrOp::Equals { StrOp::Contains } else { op };
                if all {
                    combine(per_value.into_iter().map(|patterns| pred(Test::Str { op, case, patterns })).collect())
                } else {
                    pred(Test::Str { op, case, patterns: per_value.into_iter().flatten().collect() })
                }
            }
        }
    };
    Some(if neq { Expr::not(expr) } else { expr })
}

fn string_of(v: &Node) -> Option<String> {
    match v.scalar()? {
        ScalarValue::Str(s) => Some(s.to_string()),
        ScalarValue::Int(i) => Some(i.to_string()),
        ScalarValue::Float(_) | ScalarValue::Bool(_) => v.scalar_text().map(str::to_string),
        ScalarValue::Null => None,
    }
}

/// One string value with its transformations applied: the alternatives any of which matches.
fn lower_string_value(cx: &mut Context, v: &Node, transforms: &[(Modifier, Span)]) -> Option<Vec<StrPattern>> {
    let Some(text) = string_of(v) else {
        cx.error(type_error(cx, v.span, "expected a string or number"));
        return None;
    };
    // `expand` works on the raw text, before wildcards are read: `%name%` becomes a
    // placeholder piece that a pipeline resolves (or the engine refuses to run).
    let expand = transforms.iter().any(|(m, _)| *m == Modifier::Expand);
    let mut patterns: Vec<StrPattern> = if expand {
        let mut pattern = StrPattern::default();
        for part in split_placeholders(&text) {
            match part {
                Ok(literal) => parse_sigma_string(&literal.replace("\\%", "%")).pieces().iter().for_each(|p| pattern.push(p.clone())),
                Err(name) => pattern.push(vigil_ir::Piece::Placeholder(name)),
            }
        }
        vec![pattern]
    } else {
        vec![parse_sigma_string(&text)]
    };
    // Byte-level transformations: encodings produce bytes, base64 turns them back into text.
    let mut bytes: Option<Vec<Vec<u8>>> = None;
    for &(m, at) in transforms {
        match m {
            Modifier::Expand => {}
            Modifier::Windash => {
                let mut out = Vec::new();
                for p in &patterns {
                    let mut alternatives = vec![StrPattern::default()];
                    for piece in p.pieces() {
                        let options: Vec<vigil_ir::Piece> = match piece {
                            vigil_ir::Piece::Lit(t) => match transform::windash(t) {
                                Some(v) => v.into_iter().map(vigil_ir::Piece::Lit).collect(),
                                None => {
                                    cx.error(
                                        Diagnostic::error(
                                            "sigma::windash-explosion",
                                            cx.source.clone(),
                                            at,
                                            "too many flags for `windash` (more than 3,125 spellings)",
                                        )
                                        .with_hint("split the value into several shorter values"),
                                    );
                                    return None;
                                }
                            },
                            vigil_ir::Piece::Placeholder(_) => {
                                cx.error(Diagnostic::error("sigma::modifier-conflict", cx.source.clone(), at, "`windash` cannot be applied to a placeholder"));
                                return None;
                            }
                            other => vec![other.clone()],
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
                patterns = out;
            }
            Modifier::Utf16Le | Modifier::Wide | Modifier::Utf16Be | Modifier::Utf16 | Modifier::Base64 | Modifier::Base64Offset => {
                let current = match bytes.take() {
                    Some(b) => b,
                    None => {
                        let mut out = Vec::new();
                        for p in &patterns {
                            let Some(lit) = p.as_literal() else {
                                cx.error(
                                    Diagnostic::error(
                                        "sigma::wildcard-in-encoded",
                                        cx.source.clone(),
                                        v.span,
                                        format!("`{}` cannot encode a value with wildcards", name_of(m)),
                                    )
                                    .with_hint("escape the wildcard (`\\*`) or put `contains` after the encoding modifier"),
                                );
                                return None;
                            };
                            out.push(lit.into_bytes());
                        }
                        out
                    }
                };
                match m {
                    Modifier::Utf16Le | Modifier::Wide => bytes = Some(current.iter().map(|b| transform::utf16le(b)).collect()),
                    Modifier::Utf16Be => bytes = Some(current.iter().map(|b| transform::utf16be(b)).collect()),
                    Modifier::Utf16 => bytes = Some(current.iter().map(|b| transform::utf16_bom(b)).collect()),
                    Modifier::Base64 => patterns = current.iter().map(|b| StrPattern::literal(transform::base64(b))).collect(),
                    _ => patterns = current.iter().flat_map(|b| transform::base64_offsets(b)).map(StrPattern::literal).collect(),
                }
            }
            _ => {}
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

fn name_of(m: Modifier) -> &'static str {
    crate::modifier::MODIFIERS.iter().find(|(_, x)| *x == m).map(|(n, _)| *n).unwrap_or("?")
}

fn conflict(cx: &Context, at: Span, message: &str) -> Diagnostic {
    Diagnostic::error("sigma::modifier-conflict", cx.source.clone(), at, message.to_string())
        .with_hint("see the Sigma specification for which modifiers combine")
}

fn type_error(cx: &Context, at: Span, message: &str) -> Diagnostic {
    Diagnostic::error("sigma::wrong-type", cx.source.clone(), at, message.to_string())
}
