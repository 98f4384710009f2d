//! Lowering one detection item (`field|modifiers: values`) into an IR expression.

use vigil_ir::{Case, Diagnostic, Expr, Field, Predicate, Span, StrOp, Test};
use vigil_yaml::{Node, NodeKind, ScalarValue};

use crate::context::Context;
use crate::modifier::{Modifier, ReFlag, Transform, Typed};
use crate::{string_value, typed};

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

/// The modifiers of one item, sorted by role.
pub struct Plan {
    /// Placement of string patterns (`contains`, `startswith`, `endswith`, or whole value).
    pub op: StrOp,
    op_at: Option<Span>,
    /// `all`: every value must match instead of any.
    pub all: bool,
    pub case: Case,
    /// `neq`: the item is negated.
    neq: bool,
    /// The one typed modifier (`re`, `cidr`, `lt`, `exists`, `fieldref`, `hour`, ...).
    pub kind: Option<(Typed, Span)>,
    /// Value transformations, in written order.
    pub transforms: Vec<(Transform, Span)>,
    /// `re` flags: case-insensitive, multi-line, dot matches newline.
    pub regex_flags: (bool, bool, bool),
}

/// Sorts the modifiers of a key into a [`Plan`], refusing combinations the specification
/// does not allow.
fn classify(cx: &mut Context, modifiers: &[(Modifier, Span)]) -> Option<Plan> {
    let mut plan = Plan {
        op: StrOp::Equals,
        op_at: None,
        all: false,
        case: Case::Insensitive,
        neq: false,
        kind: None,
        transforms: Vec::new(),
        regex_flags: (false, false, false),
    };
    for &(m, at) in modifiers {
        match m {
            Modifier::Place(place) => {
                if plan.op_at.is_some() {
                    cx.error(conflict(cx, at, "only one of contains, startswith and endswith may be used"));
                    return None;
                }
                plan.op_at = Some(at);
                plan.op = place.op();
            }
            Modifier::All => plan.all = true,
            Modifier::Cased => plan.case = Case::Sensitive,
            Modifier::Neq => plan.neq = true,
            Modifier::Transform(t) => {
                if t.is_base64() && plan.op_at.is_some() {
                    cx.error(conflict(cx, at, "base64 encoding must come before contains/startswith/endswith"));
                    return None;
                }
                plan.transforms.push((t, at));
            }
            Modifier::ReFlag(flag) => {
                if !matches!(plan.kind, Some((Typed::Re, _))) {
                    cx.error(conflict(cx, at, "regular-expression flags (i, m, s) are only valid after `re`"));
                    return None;
                }
                match flag {
                    ReFlag::IgnoreCase => plan.regex_flags.0 = true,
                    ReFlag::MultiLine => plan.regex_flags.1 = true,
                    ReFlag::DotAll => plan.regex_flags.2 = true,
                }
            }
            Modifier::Typed(kind) => {
                if let Some((prev, _)) = plan.kind {
                    cx.error(conflict(cx, at, &format!("`{}` cannot be combined with `{}`", kind.name(), prev.name())));
                    return None;
                }
                plan.kind = Some((kind, at));
            }
        }
    }
    if let Some((k, at)) = plan.kind {
        if plan.op_at.is_some() && k != Typed::FieldRef {
            cx.error(conflict(cx, at, &format!("`{}` cannot be combined with contains, startswith or endswith", k.name())));
            return None;
        }
        if !plan.transforms.is_empty() {
            cx.error(conflict(cx, at, &format!("`{}` cannot be combined with value transformations", k.name())));
            return None;
        }
    }
    Some(plan)
}

/// The values of an item: one scalar or a list of scalars (`null` only alone).
fn collect_values<'n>(cx: &mut Context, value: &'n Node) -> Option<Vec<&'n Node>> {
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
    if values.len() > 1 {
        if let Some(null) = values.iter().find(|v| v.scalar() == Some(ScalarValue::Null)) {
            cx.error(
                Diagnostic::error("sigma::null-in-list", cx.source.clone(), null.span, "`null` inside a value list")
                    .with_hint("test for null in a separate selection (`field: null`) and combine with `or`"),
            );
            return None;
        }
    }
    Some(values)
}

/// What the lowering of one item builds predicates for.
pub struct Item {
    pub field: Field,
    pub span: Span,
    pub all: bool,
}

impl Item {
    /// A predicate on the item's field.
    pub fn pred(&self, test: Test) -> Expr {
        Expr::Pred(Predicate { field: self.field.clone(), test, span: self.span })
    }

    /// Combines per-value expressions: all of them with `all`, else any.
    pub fn combine(&self, items: Vec<Expr>) -> Expr {
        if self.all {
            Expr::and(items)
        } else {
            Expr::or(items)
        }
    }
}

/// Lowers `key: value` of a selection map. `key` is `None` for a keyword list.
pub fn lower_item(cx: &mut Context, key: Option<&Node>, value: &Node) -> Option<Expr> {
    let (key, span) = match key {
        Some(k) => (parse_key(cx, k.scalar_text().unwrap_or_default(), k.span)?, k.span),
        None => (Key { field: None, modifiers: Vec::new() }, value.span),
    };
    let plan = classify(cx, &key.modifiers)?;
    let values = collect_values(cx, value)?;
    let field = match &key.field {
        Some(f) => Field::Named(f.clone()),
        None => Field::Keyword,
    };
    let item = Item { field, span, all: plan.all };
    let expr = match plan.kind {
        Some((kind, at)) => typed::lower(cx, &item, &plan, kind, at, &values)?,
        None => string_value::lower(cx, &item, &plan, &values)?,
    };
    Some(if plan.neq { Expr::not(expr) } else { expr })
}

pub fn conflict(cx: &Context, at: Span, message: &str) -> Diagnostic {
    Diagnostic::error("sigma::modifier-conflict", cx.source.clone(), at, message.to_string())
        .with_hint("see the Sigma specification for which modifiers combine")
}

pub fn type_error(cx: &Context, at: Span, message: &str) -> Diagnostic {
    Diagnostic::error("sigma::wrong-type", cx.source.clone(), at, message.to_string())
}
