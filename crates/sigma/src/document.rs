//! One YAML document of a Sigma file: its kind (rule, correlation, filter) and metadata.

use vigil_ir::{AttackTag, Diagnostic, Level, LogSource, RuleMeta, Span, Status};
use vigil_yaml::{Node, NodeKind};

use crate::context::Context;

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Rule,
    Correlation,
    Filter,
}

/// Decides a document's kind from its keys.
pub fn kind_of(cx: &mut Context, root: &Node) -> Option<Kind> {
    let Some(_) = root.as_map() else {
        cx.error(
            Diagnostic::error("sigma::wrong-type", cx.source.clone(), root.span, format!("a Sigma document must be a mapping, found {}", root.kind_name()))
                .with_hint("start the document with `title:`"),
        );
        return None;
    };
    if root.get("correlation").is_some() {
        Some(Kind::Correlation)
    } else if root.get("detection").is_some() {
        Some(Kind::Rule)
    } else if root.get("filter").is_some() {
        Some(Kind::Filter)
    } else if root.get("action").is_some() {
        let span = root.get("action").map(|n| n.span).unwrap_or(root.span);
        cx.error(
            Diagnostic::error("sigma::legacy-collection", cx.source.clone(), span, "`action: global/reset/repeat` collections are Sigma v1 syntax")
                .with_hint("write each rule as a complete document"),
        );
        None
    } else {
        cx.error(
            Diagnostic::error("sigma::missing-detection", cx.source.clone(), doc_start(root), "the document has no `detection`, `correlation` or `filter`")
                .with_hint("a Sigma rule needs `detection:` with search identifiers and a `condition`"),
        );
        None
    }
}

/// Where a document starts, for diagnostics about what it lacks.
pub fn doc_start(root: &Node) -> Span {
    root.as_map().and_then(|m| m.first()).map(|(k, _)| k.span).unwrap_or(root.span)
}

fn string_field(cx: &mut Context, root: &Node, key: &str) -> Option<String> {
    let node = root.get(key)?;
    match &node.kind {
        NodeKind::Scalar { text, .. } if node.scalar() != Some(vigil_yaml::ScalarValue::Null) => Some(text.clone()),
        NodeKind::Scalar { .. } => None,
        _ => {
            cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("`{key}` must be a string, found {}", node.kind_name())));
            None
        }
    }
}

fn string_list(cx: &mut Context, root: &Node, key: &str) -> Vec<String> {
    let Some(node) = root.get(key) else { return Vec::new() };
    match &node.kind {
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                match item.scalar_text() {
                    Some(t) => out.push(t.to_string()),
                    None => cx.error(Diagnostic::error(
                        "sigma::wrong-type",
                        cx.source.clone(),
                        item.span,
                        format!("`{key}` entries must be strings, found {}", item.kind_name()),
                    )),
                }
            }
            out
        }
        NodeKind::Scalar { .. } if node.scalar() == Some(vigil_yaml::ScalarValue::Null) => Vec::new(),
        _ => {
            cx.error(
                Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("`{key}` must be a list, found {}", node.kind_name()))
                    .with_hint(format!("write `{key}:` followed by `- item` lines")),
            );
            Vec::new()
        }
    }
}

fn valid_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(text.get(5..7).and_then(|m| m.parse::<u8>().ok()), Some(1..=12))
        && matches!(text.get(8..10).and_then(|d| d.parse::<u8>().ok()), Some(1..=31))
}

/// Reads an optional field whose value is one of a fixed set of words (`status`, `level`).
fn keyword_field<T>(cx: &mut Context, root: &Node, key: &str, code: &'static str, parse: fn(&str) -> Option<T>, hint: &str) -> Option<T> {
    let node = root.get(key)?;
    let value = node.scalar_text().and_then(parse);
    if value.is_none() {
        cx.error(Diagnostic::error(code, cx.source.clone(), node.span, format!("unknown {key} `{}`", node.scalar_text().unwrap_or("?"))).with_hint(hint));
    }
    value
}

/// Decodes ATT&CK references from Sigma tags.
pub fn attack_tags(tags: &[String]) -> Vec<AttackTag> {
    let mut out = Vec::new();
    for tag in tags {
        let Some(rest) = tag.strip_prefix("attack.") else { continue };
        let upper = rest.to_ascii_uppercase();
        let is_id = |prefix: char| upper.starts_with(prefix) && upper[1..].chars().next().is_some_and(|c| c.is_ascii_digit());
        if is_id('T') {
            out.push(AttackTag::Technique(upper));
        } else if is_id('G') || is_id('S') || is_id('M') || upper.starts_with("DS") || is_id('A') {
            out.push(AttackTag::Other(upper));
        } else {
            out.push(AttackTag::Tactic(rest.replace('_', "-")));
        }
    }
    out
}

/// Reads the metadata every document kind shares. `title` is required.
pub fn metadata(cx: &mut Context, root: &Node) -> Option<RuleMeta> {
    let errors_before = cx.errors.len();
    let title = match root.get("title") {
        None => {
            cx.error(
                Diagnostic::error("sigma::missing-title", cx.source.clone(), doc_start(root), "the rule has no `title`")
                    .with_hint("add `title: <what the rule detects>`"),
            );
            None
        }
        Some(node) => match node.as_str() {
            Some(t) if t.chars().count() > 256 => {
                cx.error(
                    Diagnostic::error(
                        "sigma::title-too-long",
                        cx.source.clone(),
                        node.span,
                        format!("the title is {} characters long; Sigma allows 256", t.chars().count()),
                    )
                    .with_hint("shorten the title and move details to `description`"),
                );
                None
            }
            Some(t) => Some(t.to_string()),
            None => {
                cx.error(Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("`title` must be a string, found {}", node.kind_name())));
                None
            }
        },
    };
    let status = keyword_field(cx, root, "status", "sigma::bad-status", Status::parse, "use stable, test, experimental, deprecated or unsupported");
    let level = keyword_field(cx, root, "level", "sigma::bad-level", Level::parse, "use informational, low, medium, high or critical");
    for key in ["date", "modified"] {
        if let Some(node) = root.get(key) {
            let text = node.scalar_text().unwrap_or_default();
            if !valid_date(text) {
                cx.error(
                    Diagnostic::error("sigma::bad-date", cx.source.clone(), node.span, format!("`{key}: {text}` is not a date in YYYY-MM-DD form"))
                        .with_hint("Sigma v2 dates are written 2024-01-31"),
                );
            }
        }
    }
    if let Some(related) = root.get("related") {
        const TYPES: &[&str] = &["derived", "obsolete", "merged", "renamed", "similar"];
        match related.as_seq() {
            None => cx.error(Diagnostic::error(
                "sigma::wrong-type",
                cx.source.clone(),
                related.span,
                format!("`related` must be a list of {{id, type}}, found {}", related.kind_name()),
            )),
            Some(items) => {
                for item in items {
                    let kind = item.get("type");
                    match kind.and_then(|k| k.scalar_text()) {
                        Some(t) if TYPES.contains(&t) => {}
                        other => {
                            let span = kind.map(|k| k.span).unwrap_or(item.span);
                            let mut d =
                                Diagnostic::error("sigma::bad-related", cx.source.clone(), span, format!("unknown related type `{}`", other.unwrap_or("?")));
                            d = d.with_hint(if other == Some("obsoletes") {
                                "Sigma v2 renamed `obsoletes` to `obsolete`".to_string()
                            } else {
                                format!("use one of {}", TYPES.join(", "))
                            });
                            cx.error(d);
                        }
                    }
                }
            }
        }
    }
    let tags = string_list(cx, root, "tags");
    let meta = RuleMeta {
        id: string_field(cx, root, "id"),
        name: string_field(cx, root, "name"),
        title: title.unwrap_or_default(),
        status,
        level,
        description: string_field(cx, root, "description"),
        author: string_field(cx, root, "author"),
        date: string_field(cx, root, "date"),
        modified: string_field(cx, root, "modified"),
        references: string_list(cx, root, "references"),
        attack: attack_tags(&tags),
        tags,
        falsepositives: string_list(cx, root, "falsepositives"),
        fields: string_list(cx, root, "fields"),
        risk_score: None,
        written: None,
    };
    (cx.errors.len() == errors_before).then_some(meta)
}

/// Reads `logsource`. Required for rules and filters.
pub fn logsource(cx: &mut Context, root: &Node, required: bool) -> Option<LogSource> {
    let Some(node) = root.get("logsource") else {
        if required {
            cx.error(
                Diagnostic::error("sigma::missing-logsource", cx.source.clone(), doc_start(root), "the rule has no `logsource`")
                    .with_hint("add `logsource:` with `product`, `category` and/or `service`"),
            );
            return None;
        }
        return Some(LogSource::default());
    };
    if node.as_map().is_none() {
        cx.error(
            Diagnostic::error("sigma::wrong-type", cx.source.clone(), node.span, format!("`logsource` must be a mapping, found {}", node.kind_name()))
                .with_hint("write e.g. `logsource: {product: windows, category: process_creation}`"),
        );
        return None;
    }
    for key in ["product", "category", "service"] {
        if let Some(value) = node.get(key) {
            if value.as_str().is_none() {
                cx.error(
                    Diagnostic::error(
                        "sigma::wrong-type",
                        cx.source.clone(),
                        value.span,
                        format!("logsource `{key}` must be a string, found {}", value.kind_name()),
                    )
                    .with_hint("one rule has one log source; write one rule per log source"),
                );
                return None;
            }
        }
    }
    let part = |key: &str| node.get(key).and_then(|n| n.scalar_text()).map(|t| t.to_ascii_lowercase());
    let logsource = LogSource { product: part("product"), category: part("category"), service: part("service"), definition: part("definition") };
    if logsource.product.is_none() && logsource.category.is_none() && logsource.service.is_none() {
        cx.error(
            Diagnostic::error("sigma::empty-logsource", cx.source.clone(), node.span, "`logsource` names no product, category or service")
                .with_hint("write e.g. `logsource: {product: windows, category: process_creation}`"),
        );
        return None;
    }
    Some(logsource)
}
