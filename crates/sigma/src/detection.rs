//! Lowering a rule's `detection` section: search identifiers and the condition.

use vigil_ir::{Diagnostic, Expr, Span, MAX_NESTING};
use vigil_yaml::{Node, NodeKind, ScalarValue};

use crate::condition::{parse_condition, resolve};
use crate::context::Context;
use crate::item::lower_item;

/// Lowers one search identifier's value.
pub fn lower_identifier(cx: &mut Context, value: &Node) -> Option<Expr> {
    match &value.kind {
        NodeKind::Map(entries) => lower_map(cx, value.span, entries),
        NodeKind::Seq(items) => {
            let maps = items.iter().filter(|i| matches!(i.kind, NodeKind::Map(_))).count();
            if maps == items.len() && !items.is_empty() {
                // A list of maps: any of them.
                let mut alternatives = Vec::new();
                for item in items {
                    let NodeKind::Map(entries) = &item.kind else { continue };
                    alternatives.push(lower_map(cx, item.span, entries)?);
                }
                Some(Expr::or(alternatives))
            } else if maps == 0 {
                if items.is_empty() {
                    cx.error(
                        Diagnostic::error("sigma::empty-identifier", cx.source.clone(), value.span, "empty search identifier")
                            .with_hint("give it field conditions or keywords"),
                    );
                    return None;
                }
                // A list of plain values: keywords, any of them.
                lower_item(cx, None, value)
            } else {
                // Point at the first item that differs in kind from the first item.
                let first_is_map = items.first().is_some_and(|i| matches!(i.kind, NodeKind::Map(_)));
                let bad = items.iter().find(|i| matches!(i.kind, NodeKind::Map(_)) != first_is_map).map(|i| i.span).unwrap_or(value.span);
                cx.error(
                    Diagnostic::error("sigma::mixed-identifier", cx.source.clone(), bad, "a search identifier mixes keywords and field maps")
                        .with_hint("put the keywords in an identifier of their own and combine both in the condition"),
                );
                None
            }
        }
        NodeKind::Scalar { .. } => {
            if value.scalar() == Some(ScalarValue::Null) {
                cx.error(
                    Diagnostic::error("sigma::empty-identifier", cx.source.clone(), value.span, "empty search identifier")
                        .with_hint("give it field conditions or keywords"),
                );
                return None;
            }
            lower_item(cx, None, value)
        }
    }
}

fn lower_map(cx: &mut Context, span: Span, entries: &[(Node, Node)]) -> Option<Expr> {
    if entries.is_empty() {
        cx.error(
            Diagnostic::error("sigma::empty-identifier", cx.source.clone(), span, "empty selection `{}` matches nothing")
                .with_hint("give it at least one field condition"),
        );
        return None;
    }
    let mut items = Vec::new();
    let mut ok = true;
    for (key, value) in entries {
        let Some(text) = key.scalar_text() else { continue };
        // A key with an empty field name (`'|all': [...]`) is a keyword list with modifiers;
        // `lower_item` reads it as such.
        let _ = text;
        match lower_item(cx, Some(key), value) {
            Some(e) => items.push(e),
            None => ok = false,
        }
    }
    ok.then(|| Expr::and(items))
}

/// Lowers `detection:` into one expression. Identifiers are lowered in written order; the
/// condition may be a string or a list of strings (ORed).
pub fn lower_detection(cx: &mut Context, detection: &Node) -> Option<Expr> {
    let Some(entries) = detection.as_map() else {
        cx.error(
            Diagnostic::error(
                "sigma::wrong-type",
                cx.source.clone(),
                detection.span,
                format!("`detection` must be a mapping, found {}", detection.kind_name()),
            )
            .with_hint("write search identifiers and a `condition` under `detection`"),
        );
        return None;
    };
    let mut idents: Vec<(String, Span, Expr)> = Vec::new();
    let mut condition: Option<&Node> = None;
    let mut ok = true;
    for (key, value) in entries {
        let name = key.scalar_text().unwrap_or_default();
        if name == "condition" {
            condition = Some(value);
            continue;
        }
        if name == "timeframe" {
            cx.warn(Diagnostic::warning("sigma::timeframe", cx.source.clone(), key.span, "`timeframe` only applies to Sigma v1 aggregations and is ignored"));
            continue;
        }
        match lower_identifier(cx, value) {
            Some(expr) => {
                if expr.depth() > MAX_NESTING {
                    cx.error(Diagnostic::error("sigma::too-deep", cx.source.clone(), key.span, format!("identifier nested deeper than {MAX_NESTING} levels")));
                    ok = false;
                }
                idents.push((name.to_string(), key.span, expr));
            }
            None => ok = false,
        }
    }
    let Some(condition) = condition else {
        cx.error(
            Diagnostic::error("sigma::missing-condition", cx.source.clone(), detection.span, "`detection` has no `condition`")
                .with_hint("add e.g. `condition: selection`"),
        );
        return None;
    };
    if !ok {
        return None;
    }
    lower_condition_node(cx, condition, &idents)
}

/// Lowers a `condition:` node (string or list of strings) against identifiers.
pub fn lower_condition_node(cx: &mut Context, condition: &Node, idents: &[(String, Span, Expr)]) -> Option<Expr> {
    let texts: Vec<&Node> = match &condition.kind {
        NodeKind::Scalar { .. } => vec![condition],
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Map(_) => {
            cx.error(
                Diagnostic::error("sigma::wrong-type", cx.source.clone(), condition.span, "`condition` must be a string or a list of strings, found a mapping")
                    .with_hint("write e.g. `condition: selection and not filter`"),
            );
            return None;
        }
    };
    if texts.is_empty() {
        cx.error(Diagnostic::error("sigma::condition-syntax", cx.source.clone(), condition.span, "empty condition list"));
        return None;
    }
    let mut alternatives = Vec::new();
    for node in texts {
        let Some(text) = node.as_str() else {
            cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("a condition must be a string, found {}", node.kind_name())));
            return None;
        };
        let NodeKind::Scalar { plain, .. } = &node.kind else { return None };
        let base = if *plain { node.span } else { node.span.sub(1, 0) };
        let cond = parse_condition(cx, text, base)?;
        alternatives.push(resolve(cx, &cond, idents)?);
    }
    Some(Expr::or(alternatives))
}
