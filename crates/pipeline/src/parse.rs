//! Reading a processing pipeline from pySigma's YAML format.
//!
//! Supported transformations: `field_name_mapping`, `field_name_prefix`, `add_condition`,
//! `change_logsource`, `drop_detection_item`, `value_placeholders`; rule conditions of type
//! `logsource`; field name conditions `include_fields`/`exclude_fields` (plain or regex).
//! Anything else is an error with its position, never silently ignored.

use std::collections::HashMap;

use vigil_ir::{Case, Diagnostic, Expr, Field, LogSource, NumOp, Predicate, SourceId, StrOp, StrPattern, Test};
use vigil_yaml::{parse_documents, Node, NodeKind, ScalarValue};

use crate::model::{FieldCondition, FieldMatcher, Item, Pipeline, Transformation};

fn err(source: &SourceId, node: &Node, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("pipeline::invalid", source.clone(), node.span, message)
}

fn strings(source: &SourceId, node: &Node, what: &str) -> Result<Vec<String>, Diagnostic> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Ok(vec![text.clone()]),
        NodeKind::Seq(items) => {
            items.iter().map(|i| i.scalar_text().map(str::to_string).ok_or_else(|| err(source, i, format!("`{what}` entries must be strings")))).collect()
        }
        NodeKind::Map(_) => Err(err(source, node, format!("`{what}` must be a string or a list of strings"))),
    }
}

fn logsource_of(node: &Node) -> LogSource {
    let part = |key: &str| node.get(key).and_then(|n| n.scalar_text()).map(|t| t.to_ascii_lowercase());
    LogSource { product: part("product"), category: part("category"), service: part("service"), definition: None }
}

/// Builds the `add_condition` expression: every `field: value(s)` pair must hold.
fn conditions_expr(source: &SourceId, node: &Node) -> Result<Expr, Diagnostic> {
    let entries = node.as_map().ok_or_else(|| err(source, node, "`conditions` must be a mapping of field to value(s)"))?;
    let mut items = Vec::new();
    for (key, value) in entries {
        let field = key.scalar_text().unwrap_or_default().to_string();
        let values: Vec<&Node> = match &value.kind {
            NodeKind::Seq(v) => v.iter().collect(),
            _ => vec![value],
        };
        // As in a rule: a value written as a number compares as a number, a string as text.
        let mut patterns = Vec::new();
        let mut alternatives = Vec::new();
        let pred = |test: Test| Expr::Pred(Predicate { field: Field::Named(field.clone()), test, span: key.span });
        for v in values {
            match v.scalar() {
                Some(ScalarValue::Str(s)) => patterns.push(StrPattern::parse_wildcards(s)),
                Some(ScalarValue::Int(i)) if i.unsigned_abs() < 1 << 53 => alternatives.push(pred(Test::Num { op: NumOp::Eq, value: i as f64 })),
                Some(ScalarValue::Int(i)) => patterns.push(StrPattern::literal(i.to_string())),
                Some(ScalarValue::Float(f)) if f.is_finite() => alternatives.push(pred(Test::Num { op: NumOp::Eq, value: f })),
                Some(ScalarValue::Null) | None => return Err(err(source, v, "condition values must be strings or numbers")),
                Some(ScalarValue::Float(_) | ScalarValue::Bool(_)) => patterns.push(StrPattern::parse_wildcards(v.scalar_text().unwrap_or_default())),
            }
        }
        if !patterns.is_empty() {
            alternatives.insert(0, pred(Test::Str { op: StrOp::Equals, case: Case::Insensitive, patterns }));
        }
        items.push(Expr::or(alternatives));
    }
    Ok(Expr::and(items))
}

fn field_conditions(source: &SourceId, node: &Node) -> Result<Vec<FieldCondition>, Diagnostic> {
    let items = node.as_seq().ok_or_else(|| err(source, node, "`field_name_conditions` must be a list"))?;
    let mut out = Vec::new();
    for item in items {
        let kind = item.get("type").and_then(|t| t.scalar_text()).unwrap_or_default();
        let regex_mode = item.get("mode").and_then(|m| m.scalar_text()) == Some("regex");
        let fields = item.get("fields").ok_or_else(|| err(source, item, "a field name condition needs `fields`"))?;
        let mut matchers = Vec::new();
        for f in strings(source, fields, "fields")? {
            matchers.push(if regex_mode {
                FieldMatcher::Regex(regex::Regex::new(&format!("^(?:{f})$")).map_err(|e| err(source, fields, format!("bad field regex: {e}")))?)
            } else {
                FieldMatcher::Plain(f)
            });
        }
        out.push(match kind {
            "include_fields" => FieldCondition::Include(matchers),
            "exclude_fields" => FieldCondition::Exclude(matchers),
            other => return Err(err(source, item, format!("unsupported field name condition `{other}`")).with_hint("use include_fields or exclude_fields")),
        });
    }
    Ok(out)
}

/// Parses a pipeline file.
pub fn parse_pipeline(source: SourceId, text: &str) -> Result<Pipeline, Vec<Diagnostic>> {
    let docs = parse_documents(&source, text)?;
    let Some(doc) = docs.into_iter().next() else {
        return Err(vec![Diagnostic::error("pipeline::invalid", source, vigil_ir::Span::new(0, 0, 1, 1), "empty pipeline file")]);
    };
    parse_root(&source, &doc.root).map_err(|d| vec![d])
}

fn parse_root(source: &SourceId, root: &Node) -> Result<Pipeline, Diagnostic> {
    if root.as_map().is_none() {
        return Err(err(source, root, "a pipeline must be a mapping with `transformations`"));
    }
    let mut pipeline = Pipeline { name: root.get("name").and_then(|n| n.scalar_text()).unwrap_or("pipeline").to_string(), ..Pipeline::default() };
    if let Some(vars) = root.get("vars") {
        let entries = vars.as_map().ok_or_else(|| err(source, vars, "`vars` must map placeholder names to values"))?;
        for (k, v) in entries {
            pipeline.vars.insert(k.scalar_text().unwrap_or_default().to_string(), strings(source, v, "vars")?);
        }
    }
    if let Some(ts) = root.get("timestamp_fields") {
        pipeline.timestamp_fields = strings(source, ts, "timestamp_fields")?;
    }
    let Some(list) = root.get("transformations") else { return Ok(pipeline) };
    let items = list.as_seq().ok_or_else(|| err(source, list, "`transformations` must be a list"))?;
    for node in items {
        let kind_node = node.get("type").ok_or_else(|| err(source, node, "a transformation needs a `type`"))?;
        let kind = kind_node.scalar_text().unwrap_or_default();
        let transformation = match kind {
            "field_name_mapping" => {
                let mapping = node.get("mapping").ok_or_else(|| err(source, node, "`field_name_mapping` needs `mapping`"))?;
                let entries = mapping.as_map().ok_or_else(|| err(source, mapping, "`mapping` must map field names"))?;
                let mut map = HashMap::new();
                for (k, v) in entries {
                    map.insert(k.scalar_text().unwrap_or_default().to_string(), strings(source, v, "mapping")?);
                }
                Transformation::FieldNameMapping(map)
            }
            "field_name_prefix" => {
                let prefix = node.get("prefix").ok_or_else(|| err(source, node, "`field_name_prefix` needs `prefix`"))?;
                let only_unmapped = node.get("only_unmapped").and_then(|n| n.scalar()) == Some(ScalarValue::Bool(true));
                Transformation::FieldNamePrefix { prefixes: strings(source, prefix, "prefix")?, only_unmapped }
            }
            "add_condition" => {
                let conditions = node.get("conditions").ok_or_else(|| err(source, node, "`add_condition` needs `conditions`"))?;
                Transformation::AddCondition(conditions_expr(source, conditions)?)
            }
            "change_logsource" => Transformation::ChangeLogsource(logsource_of(node)),
            "drop_detection_item" => Transformation::DropDetectionItem,
            "set_state" => {
                let text = |name: &str| node.get(name).and_then(|n| n.scalar_text()).map(str::to_string);
                match (text("key"), text("val")) {
                    (Some(key), Some(value)) => Transformation::SetState { key, value },
                    _ => return Err(err(source, node, "`set_state` needs `key` and `val`")),
                }
            }
            "value_placeholders" => Transformation::ValuePlaceholders { include: node.get("include").map(|i| strings(source, i, "include")).transpose()? },
            other => return Err(Diagnostic::error("pipeline::unsupported", source.clone(), kind_node.span, format!("unsupported transformation `{other}`"))
                .with_hint(
                "vigil supports field_name_mapping, field_name_prefix, add_condition, change_logsource, drop_detection_item, value_placeholders and set_state",
            )),
        };
        let mut rule_conditions = Vec::new();
        if let Some(conds) = node.get("rule_conditions") {
            for c in conds.as_seq().ok_or_else(|| err(source, conds, "`rule_conditions` must be a list"))? {
                match c.get("type").and_then(|t| t.scalar_text()) {
                    Some("logsource") => rule_conditions.push(logsource_of(c)),
                    other => {
                        return Err(err(source, c, format!("unsupported rule condition `{}`", other.unwrap_or("?")))
                            .with_hint("vigil supports rule conditions of type `logsource`"))
                    }
                }
            }
        }
        let field_conditions = match node.get("field_name_conditions") {
            Some(fc) => field_conditions(source, fc)?,
            None => Vec::new(),
        };
        if matches!(transformation, Transformation::DropDetectionItem) && field_conditions.is_empty() {
            return Err(err(source, node, "`drop_detection_item` needs `field_name_conditions` saying which items to drop"));
        }
        pipeline.items.push(Item {
            id: node.get("id").and_then(|n| n.scalar_text()).map(str::to_string),
            transformation,
            rule_conditions,
            rule_cond_any: node.get("rule_cond_op").and_then(|n| n.scalar_text()) == Some("or"),
            field_conditions,
        });
    }
    Ok(pipeline)
}
