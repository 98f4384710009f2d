//! Sigma filters (meta-filters): conditions added to other rules by id or name.

use vigil_ir::{Diagnostic, Expr, LogSource, RuleRef, SourceId, Span};
use vigil_yaml::Node;

use crate::context::Context;
use crate::detection::{lower_condition_node, lower_identifier};

/// A loaded filter: `rules` get `and <expr>` added to their detection.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub title: String,
    pub id: Option<String>,
    pub logsource: LogSource,
    pub rules: Vec<RuleRef>,
    pub expr: Expr,
    pub source: SourceId,
    pub span: Span,
    /// The `filter:` section as written, added to the written form of the rules it applies to.
    pub written: Option<vigil_ir::WrittenFilter>,
}

/// Lowers a filter document's `filter:` section.
pub fn lower_filter(cx: &mut Context, section: &Node) -> Option<(Vec<RuleRef>, Expr)> {
    let Some(entries) = section.as_map() else {
        cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), section.span, format!("`filter` must be a mapping, found {}", section.kind_name())));
        return None;
    };
    let mut rules = Vec::new();
    let mut idents = Vec::new();
    let mut condition = None;
    let mut ok = true;
    for (key, value) in entries {
        match key.scalar_text().unwrap_or_default() {
            "rules" => match value.scalar_text() {
                Some(t) => rules.push(RuleRef { name: t.to_string(), span: value.span }),
                None => {
                    for item in value.as_seq().unwrap_or_default() {
                        if let Some(t) = item.scalar_text() {
                            rules.push(RuleRef { name: t.to_string(), span: item.span });
                        }
                    }
                }
            },
            "condition" => condition = Some(value),
            name => match lower_identifier(cx, value) {
                Some(e) => idents.push((name.to_string(), key.span, e)),
                None => ok = false,
            },
        }
    }
    if rules.is_empty() {
        cx.error(
            Diagnostic::error("sigma::filter", cx.source.clone(), section.span, "the filter names no `rules`")
                .with_hint("list the ids or names of the rules it applies to"),
        );
        return None;
    }
    let Some(condition) = condition else {
        cx.error(
            Diagnostic::error("sigma::missing-condition", cx.source.clone(), section.span, "the filter has no `condition`")
                .with_hint("add e.g. `condition: not selection`"),
        );
        return None;
    };
    if !ok {
        return None;
    }
    let expr = lower_condition_node(cx, condition, &idents)?;
    Some((rules, expr))
}
