//! Lowering Sigma correlation rules (`correlation:`) into the IR.

use vigil_ir::{Aggregate, Correlation, CorrelationKind, CountCondition, Diagnostic, GroupField, RuleRef};
use vigil_yaml::{Node, NodeKind, ScalarValue};

use crate::context::Context;

/// Parses a timespan such as `90s`, `15m`, `1h`, `7d`, `2w`, `1M`, `1y` into milliseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let ms = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        'M' => 30 * 86_400_000,
        'y' => 365 * 86_400_000,
        _ => return None,
    };
    (number > 0).then(|| number.checked_mul(ms)).flatten()
}

fn names(cx: &mut Context, node: &Node, what: &str) -> Option<Vec<(String, vigil_ir::Span)>> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Some(vec![(text.clone(), node.span)]),
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                match item.scalar_text() {
                    Some(t) => out.push((t.to_string(), item.span)),
                    None => {
                        cx.error(Diagnostic::error(
                            "sigma::wrong-type",
                            cx.source.clone(),
                            item.span,
                            format!("`{what}` entries must be strings, found {}", item.kind_name()),
                        ));
                        return None;
                    }
                }
            }
            Some(out)
        }
        NodeKind::Map(_) => {
            cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("`{what}` must be a list of names, found a mapping")));
            None
        }
    }
}

fn number(node: &Node) -> Option<f64> {
    match node.scalar()? {
        ScalarValue::Int(i) => Some(i as f64),
        ScalarValue::Float(f) => Some(f),
        _ => None,
    }
}

/// Lowers the `correlation:` section of a document; `root` is the whole document, where the
/// specification's schema puts `generate` (beside `correlation:`).
pub fn lower_correlation(cx: &mut Context, root: &Node, section: &Node) -> Option<Correlation> {
    if section.as_map().is_none() {
        cx.error(Diagnostic::error(
            "sigma::wrong-type",
            cx.source.clone(),
            section.span,
            format!("`correlation` must be a mapping, found {}", section.kind_name()),
        ));
        return None;
    }
    let missing = |cx: &mut Context, key: &str, hint: &str| {
        cx.error(
            Diagnostic::error("sigma::correlation", cx.source.clone(), section.span, format!("the correlation has no `{key}`")).with_hint(hint.to_string()),
        );
    };
    let Some(type_node) = section.get("type") else {
        missing(cx, "type", "add `type: event_count` (or value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile, value_median)");
        return None;
    };
    let type_name = type_node.scalar_text().unwrap_or_default().to_string();
    let Some(rules_node) = section.get("rules") else {
        missing(cx, "rules", "list the ids or names of the rules this correlation counts");
        return None;
    };
    let rules: Vec<RuleRef> = names(cx, rules_node, "rules")?.into_iter().map(|(name, span)| RuleRef { name, span }).collect();
    if rules.is_empty() {
        cx.error(Diagnostic::error("sigma::correlation", cx.source.clone(), rules_node.span, "`rules` is empty"));
        return None;
    }
    let group_names = match section.get("group-by") {
        Some(node) => names(cx, node, "group-by")?,
        None => Vec::new(),
    };
    let timespan_ms = match section.get("timespan") {
        None => {
            missing(cx, "timespan", "add e.g. `timespan: 15m` (units s, m, h, d, w, M, y)");
            return None;
        }
        Some(node) => match node.scalar_text().and_then(parse_timespan) {
            Some(ms) => ms,
            None => {
                cx.error(
                    Diagnostic::error(
                        "sigma::bad-timespan",
                        cx.source.clone(),
                        node.span,
                        format!("`{}` is not a timespan", node.scalar_text().unwrap_or("?")),
                    )
                    .with_hint("write a positive integer and a unit: s, m, h, d, w, M or y, e.g. `15m`"),
                );
                return None;
            }
        },
    };
    // Aliases: alias -> {rule -> field}.
    let mut aliases: Vec<(String, Vec<(String, String)>)> = Vec::new();
    if let Some(node) = section.get("aliases") {
        let Some(entries) = node.as_map() else {
            cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, "`aliases` must be a mapping of alias → {rule → field}"));
            return None;
        };
        for (alias, mapping) in entries {
            let Some(per_rule) = mapping.as_map() else {
                cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), mapping.span, "an alias maps rule names to field names"));
                return None;
            };
            let pairs = per_rule.iter().filter_map(|(r, f)| Some((r.scalar_text()?.to_string(), f.scalar_text()?.to_string()))).collect();
            aliases.push((alias.scalar_text().unwrap_or_default().to_string(), pairs));
        }
    }
    let group_by = group_names
        .into_iter()
        .map(|(name, _)| {
            let per_rule = aliases.iter().find(|(a, _)| *a == name).map(|(_, p)| p.clone()).unwrap_or_default();
            GroupField { name, per_rule }
        })
        .collect();
    // The condition: bounds, plus `field` (and `percentile`) for value_* types.
    let mut condition = CountCondition::default();
    let mut fields: Vec<String> = Vec::new();
    let mut percentile: Option<(f64, vigil_ir::Span)> = None;
    if let Some(node) = section.get("condition") {
        let Some(entries) = node.as_map() else {
            cx.error(Diagnostic::error(
                "sigma::wrong-type",
                cx.source.clone(),
                node.span,
                format!("a correlation `condition` must be a mapping such as `gte: 10`, found {}", node.kind_name()),
            ));
            return None;
        };
        for (key, value) in entries {
            let key_text = key.scalar_text().unwrap_or_default();
            if key_text == "field" {
                fields = names(cx, value, "field")?.into_iter().map(|(n, _)| n).collect();
                continue;
            }
            if key_text == "percentile" {
                match number(value) {
                    Some(p) if (0.0..=100.0).contains(&p) => percentile = Some((p, key.span)),
                    _ => {
                        cx.error(
                            Diagnostic::error(
                                "sigma::correlation",
                                cx.source.clone(),
                                value.span,
                                format!("`percentile` must be a number from 0 to 100, found `{}`", value.scalar_text().unwrap_or(value.kind_name())),
                            )
                            .with_hint("write e.g. `percentile: 95` for the 95th percentile"),
                        );
                        return None;
                    }
                }
                continue;
            }
            let Some(n) = number(value) else {
                cx.error(
                    Diagnostic::error("sigma::wrong-type", cx.source.clone(), value.span, format!("`{key_text}` needs a number, found {}", value.kind_name()))
                        .with_hint("write e.g. `gte: 10`"),
                );
                return None;
            };
            let slot = match key_text {
                "gt" => &mut condition.gt,
                "gte" => &mut condition.gte,
                "lt" => &mut condition.lt,
                "lte" => &mut condition.lte,
                "eq" => &mut condition.eq,
                "neq" => &mut condition.neq,
                other => {
                    cx.error(
                        Diagnostic::error("sigma::correlation", cx.source.clone(), key.span, format!("unknown condition operator `{other}`"))
                            .with_hint("use gt, gte, lt, lte, eq, neq (and `field` for value_* types, `percentile` for value_percentile)"),
                    );
                    return None;
                }
            };
            *slot = Some(n);
        }
    }
    // Diagnostics about the condition point at its key (a block mapping's own span starts
    // inside it).
    let condition_span =
        section.as_map().and_then(|entries| entries.iter().find(|(k, _)| k.scalar_text() == Some("condition"))).map(|(k, _)| k.span).unwrap_or(section.span);
    let needs_condition = !matches!(type_name.as_str(), "temporal" | "temporal_ordered");
    if needs_condition && condition.is_empty() {
        cx.error(
            Diagnostic::error("sigma::correlation", cx.source.clone(), condition_span, format!("a `{type_name}` correlation needs a condition"))
                .with_hint("add e.g. `condition: {gte: 10}`"),
        );
        return None;
    }
    let one_field = |cx: &mut Context, fields: &[String]| -> Option<String> {
        match fields {
            [f] => Some(f.clone()),
            _ => {
                cx.error(
                    Diagnostic::error(
                        "sigma::correlation",
                        cx.source.clone(),
                        condition_span,
                        format!("a `{type_name}` correlation needs exactly one `field` in its condition"),
                    )
                    .with_hint("add `field: <name>` under `condition`"),
                );
                None
            }
        }
    };
    let kind = match type_name.as_str() {
        "event_count" => CorrelationKind::EventCount,
        "value_count" => {
            if fields.is_empty() {
                one_field(cx, &fields)?;
            }
            CorrelationKind::ValueCount { fields: fields.clone() }
        }
        "temporal" => CorrelationKind::Temporal,
        "temporal_ordered" => CorrelationKind::TemporalOrdered,
        "value_sum" => CorrelationKind::Value { aggregate: Aggregate::Sum, field: one_field(cx, &fields)? },
        "value_avg" => CorrelationKind::Value { aggregate: Aggregate::Avg, field: one_field(cx, &fields)? },
        "value_median" => CorrelationKind::Value { aggregate: Aggregate::Median, field: one_field(cx, &fields)? },
        "value_percentile" => {
            let field = one_field(cx, &fields)?;
            let Some((p, _)) = percentile else {
                cx.error(
                    Diagnostic::error(
                        "sigma::correlation",
                        cx.source.clone(),
                        condition_span,
                        "a `value_percentile` correlation needs `percentile` in its condition",
                    )
                    .with_hint("add e.g. `percentile: 95`: the condition then compares the 95th percentile of the field's values in the window"),
                );
                return None;
            };
            CorrelationKind::Value { aggregate: Aggregate::Percentile(p), field }
        }
        other => {
            cx.error(
                Diagnostic::error("sigma::correlation", cx.source.clone(), type_node.span, format!("unknown correlation type `{other}`"))
                    .with_hint("use event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile or value_median"),
            );
            return None;
        }
    };
    if let (Some((_, span)), false) = (percentile, matches!(kind, CorrelationKind::Value { aggregate: Aggregate::Percentile(_), .. })) {
        cx.error(
            Diagnostic::error("sigma::correlation", cx.source.clone(), span, format!("`percentile` does not apply to a `{type_name}` correlation"))
                .with_hint("remove it, or use `type: value_percentile`"),
        );
        return None;
    }
    let generate = generate(cx, root, section)?;
    Some(Correlation { kind, rules, group_by, timespan_ms, condition, generate, span: section.span, condition_span, mapped: Vec::new() })
}

/// Reads `generate`, which may be written at the top level of the document (where the
/// specification's JSON schema puts it) or inside `correlation:` (where pySigma reads it).
/// Both places with different values is an error at the one written second.
fn generate(cx: &mut Context, root: &Node, section: &Node) -> Option<bool> {
    let mut found: Option<(bool, &Node)> = None;
    let mut places: Vec<&Node> = [root.get("generate"), section.get("generate")].into_iter().flatten().collect();
    places.sort_by_key(|n| n.span.start);
    for node in places {
        let Some(ScalarValue::Bool(b)) = node.scalar() else {
            cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, "`generate` must be true or false"));
            return None;
        };
        match found {
            Some((first, first_node)) if first != b => {
                cx.error(
                    Diagnostic::error(
                        "sigma::correlation",
                        cx.source.clone(),
                        node.span,
                        format!("`generate: {b}` contradicts `generate: {first}` at line {}", first_node.span.line),
                    )
                    .with_hint("write `generate` once, beside `correlation:` (the specification's place) or inside it"),
                );
                return None;
            }
            Some(_) => {}
            None => found = Some((b, node)),
        }
    }
    Some(found.is_some_and(|(b, _)| b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("90s"), Some(90_000));
        assert_eq!(parse_timespan("15m"), Some(900_000));
        assert_eq!(parse_timespan("1h"), Some(3_600_000));
        assert_eq!(parse_timespan("2d"), Some(172_800_000));
        assert_eq!(parse_timespan("5x"), None);
        assert_eq!(parse_timespan("m"), None);
        assert_eq!(parse_timespan("0s"), None);
    }
}
