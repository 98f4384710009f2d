//! Recording a detection as written (`vigil_ir::WrittenDetection`): identifiers, items with
//! their modifiers in order, values with their YAML kind, quoting and span, and the
//! condition text. Called on sections that lowered without error, so it reads the nodes
//! without judging them again.

use vigil_ir::{Identifier, LogSource, Search, ValueKind, WrittenCondition, WrittenDetection, WrittenFilter, WrittenItem, WrittenValue};
use vigil_yaml::{Node, NodeKind, ScalarValue};

use crate::modifier::Modifier;

/// The `detection:` section of a rule written for `logsource`.
pub fn detection(section: &Node, logsource: &LogSource) -> Option<WrittenDetection> {
    let (identifiers, condition) = identifiers(section, &[])?;
    Some(WrittenDetection { logsource: logsource.clone(), identifiers, condition, filters: Vec::new() })
}

/// The `filter:` section of a filter document (`title`, `id`, `logsource`).
pub fn filter(section: &Node, title: &str, id: Option<&str>, logsource: &LogSource) -> Option<WrittenFilter> {
    let (identifiers, condition) = identifiers(section, &["rules"])?;
    Some(WrittenFilter { title: title.into(), id: id.map(Into::into), logsource: logsource.clone(), identifiers, condition })
}

/// The identifiers of a section (skipping `condition`, `timeframe` and the `skip` keys) and
/// its condition.
fn identifiers(section: &Node, skip: &[&str]) -> Option<(Vec<Identifier>, WrittenCondition)> {
    let mut out = Vec::new();
    let mut condition = None;
    for (key, value) in section.as_map()? {
        let name = key.scalar_text()?;
        if name == "condition" {
            condition = Some(written_condition(value)?);
        } else if name != "timeframe" && !skip.contains(&name) {
            out.push(Identifier { name: name.into(), span: key.span, search: search(value)? });
        }
    }
    Some((out, condition?))
}

fn written_condition(node: &Node) -> Option<WrittenCondition> {
    let (nodes, list): (Vec<&Node>, bool) = match &node.kind {
        NodeKind::Seq(items) => (items.iter().collect(), true),
        _ => (vec![node], false),
    };
    let texts = nodes.into_iter().map(|n| Some((n.scalar_text()?.into(), n.span))).collect::<Option<Vec<_>>>()?;
    Some(WrittenCondition { texts, list })
}

fn search(value: &Node) -> Option<Search> {
    match &value.kind {
        NodeKind::Map(entries) => Some(Search::Map(map(entries)?)),
        NodeKind::Seq(items) if !items.is_empty() && items.iter().all(|i| matches!(i.kind, NodeKind::Map(_))) => {
            let maps = items.iter().map(|i| map(i.as_map()?)).collect::<Option<Vec<_>>>()?;
            Some(Search::Maps(maps))
        }
        _ => Some(Search::Keywords(item(None, value)?)),
    }
}

fn map(entries: &[(Node, Node)]) -> Option<Vec<WrittenItem>> {
    entries.iter().map(|(k, v)| item(Some(k), v)).collect()
}

/// One item: `key` is `None` for a keyword list.
fn item(key: Option<&Node>, value: &Node) -> Option<WrittenItem> {
    let (field, modifiers, span) = match key {
        Some(k) => {
            let text = k.scalar_text()?;
            let mut parts = text.split('|');
            let field = parts.next().filter(|f| !f.is_empty()).map(Into::into);
            let modifiers = parts.map(Modifier::spelling).collect::<Option<Vec<_>>>()?;
            (field, modifiers, k.span)
        }
        None => (None, Vec::new(), value.span),
    };
    let (nodes, list): (Vec<&Node>, bool) = match &value.kind {
        NodeKind::Seq(items) => (items.iter().collect(), true),
        _ => (vec![value], false),
    };
    let values = nodes.into_iter().map(written_value).collect::<Option<Vec<_>>>()?;
    Some(WrittenItem { field, modifiers, values, list, span })
}

fn written_value(node: &Node) -> Option<WrittenValue> {
    let NodeKind::Scalar { text, plain } = &node.kind else { return None };
    let kind = match node.scalar()? {
        ScalarValue::Null => ValueKind::Null,
        ScalarValue::Bool(_) => ValueKind::Bool,
        ScalarValue::Int(_) => ValueKind::Int,
        ScalarValue::Float(_) => ValueKind::Float,
        ScalarValue::Str(_) => ValueKind::String,
    };
    Some(WrittenValue { text: text.as_str().into(), kind, quoted: !plain, span: node.span })
}
