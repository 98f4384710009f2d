//! The IR's text form (`Display` for [`Rule`], [`Expr`] and [`Predicate`]): readable, stable
//! and deterministic, for snapshot tests and for comparing two rules by what they mean.
//!
//! One node per line, children indented by two spaces; modifiers appear folded into the
//! predicate kinds (`contains`, `equals:cased`, `re:i`, `cidr`, `gte`). Spans, the source
//! file, load warnings and the written form are left out, so a rule printed and loaded back
//! displays the same as the original. Strings are quoted with Rust's escapes.

use std::fmt::{self, Display, Formatter, Write};

use crate::correlation::{Aggregate, Correlation, CorrelationKind, CountCondition};
use crate::expr::{Expr, Field, NumOp, Predicate, Test};
use crate::pattern::Case;
use crate::rule::{Rule, RuleBody};
use crate::sequence::{Pipe, Sequence, SequenceKind, Stage};

fn num_op_name(op: NumOp) -> &'static str {
    match op {
        NumOp::Lt => "lt",
        NumOp::Lte => "lte",
        NumOp::Gt => "gt",
        NumOp::Gte => "gte",
        NumOp::Eq => "==",
    }
}

fn cased(case: Case) -> &'static str {
    match case {
        Case::Insensitive => "",
        Case::Sensitive => ":cased",
    }
}

/// `[a, b]` with each item written by `item`.
fn list<T>(f: &mut Formatter<'_>, items: &[T], item: impl Fn(&mut Formatter<'_>, &T) -> fmt::Result) -> fmt::Result {
    f.write_char('[')?;
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item(f, x)?;
    }
    f.write_char(']')
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Field::Named(name) => write!(f, "{name:?}"),
            Field::Keyword => f.write_str("<keyword>"),
        }
    }
}

impl Display for Predicate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.field)?;
        match &self.test {
            Test::Str { op, case, patterns } => {
                write!(f, "{}{} ", op.name(), cased(*case))?;
                list(f, patterns, |f, p| write!(f, "{:?}", p.to_string()))
            }
            Test::Regex { patterns } => {
                f.write_str("re ")?;
                list(f, patterns, |f, p| {
                    let flags: String =
                        [(p.case_insensitive, 'i'), (p.multi_line, 'm'), (p.dot_matches_new_line, 's')].iter().filter_map(|(on, c)| on.then_some(*c)).collect();
                    write!(f, "{:?}", p.source)?;
                    if flags.is_empty() {
                        Ok(())
                    } else {
                        write!(f, "/{flags}")
                    }
                })
            }
            Test::Cidr { networks } => {
                f.write_str("cidr ")?;
                list(f, networks, |f, n| write!(f, "{}/{}", n.addr, n.prefix))
            }
            Test::Num { op, value } => write!(f, "{} {value:?}", num_op_name(*op)),
            Test::Exists(present) => write!(f, "exists {present}"),
            Test::Null => f.write_str("null"),
            Test::Time { part, values } => {
                write!(f, "{} ", part.name())?;
                list(f, values, |f, v| write!(f, "{v}"))
            }
        }
    }
}

/// Writes `expr` at `depth` levels of indentation, one node per line.
fn write_expr(f: &mut Formatter<'_>, expr: &Expr, depth: usize) -> fmt::Result {
    let pad = "  ".repeat(depth);
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            writeln!(f, "{pad}{}", if matches!(expr, Expr::And(_)) { "and" } else { "or" })?;
            items.iter().try_for_each(|e| write_expr(f, e, depth + 1))
        }
        Expr::Not(inner) => {
            writeln!(f, "{pad}not")?;
            write_expr(f, inner, depth + 1)
        }
        Expr::Named { name, expr, .. } => {
            writeln!(f, "{pad}{name}:")?;
            write_expr(f, expr, depth + 1)
        }
        Expr::Pred(p) => writeln!(f, "{pad}{p}"),
        Expr::Const(b) => writeln!(f, "{pad}{b}"),
        Expr::Compute { value, .. } => match value.as_field_ref() {
            // Sigma's `|fieldref`, a computed comparison of two text-read fields.
            Some(r) => writeln!(f, "{pad}{:?} fieldref:{}{} {:?}", r.field, r.op.name(), cased(r.case), r.other),
            None => writeln!(f, "{pad}compute {value:?}"),
        },
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, 0)
    }
}

fn write_condition(f: &mut Formatter<'_>, c: &CountCondition) -> fmt::Result {
    let bounds = [("gt", c.gt), ("gte", c.gte), ("lt", c.lt), ("lte", c.lte), ("eq", c.eq), ("neq", c.neq)];
    for (name, bound) in bounds {
        if let Some(b) = bound {
            write!(f, " {name} {b:?}")?;
        }
    }
    Ok(())
}

fn write_correlation(f: &mut Formatter<'_>, c: &Correlation) -> fmt::Result {
    let kind = match &c.kind {
        CorrelationKind::EventCount => "event_count".to_string(),
        CorrelationKind::ValueCount { fields } => format!("value_count {fields:?}"),
        CorrelationKind::Temporal => "temporal".to_string(),
        CorrelationKind::TemporalOrdered => "temporal_ordered".to_string(),
        CorrelationKind::Value { aggregate, field } => {
            let name = match aggregate {
                Aggregate::Sum => "value_sum".to_string(),
                Aggregate::Avg => "value_avg".to_string(),
                Aggregate::Median => "value_median".to_string(),
                Aggregate::Percentile(p) => format!("value_percentile {p:?}"),
            };
            format!("{name} {field:?}")
        }
    };
    writeln!(f, "correlation {kind}")?;
    let rules: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    writeln!(f, "  rules {rules:?}")?;
    for g in &c.group_by {
        write!(f, "  group_by {:?}", g.name)?;
        for (rule, field) in &g.per_rule {
            write!(f, " {rule:?}={field:?}")?;
        }
        writeln!(f)?;
    }
    writeln!(f, "  timespan_ms {}", c.timespan_ms)?;
    f.write_str("  condition")?;
    write_condition(f, &c.condition)?;
    writeln!(f)?;
    writeln!(f, "  generate {}", c.generate)
}

fn write_stage(f: &mut Formatter<'_>, label: &str, stage: &Stage) -> fmt::Result {
    let keys: Vec<String> = stage.keys.iter().map(|k| format!("{}{}", if k.optional { "?" } else { "" }, k.field)).collect();
    writeln!(f, "  {label}{} by {keys:?}", if stage.missing { " missing" } else { "" })?;
    write_expr(f, &stage.expr, 2)
}

fn write_sequence(f: &mut Formatter<'_>, s: &Sequence) -> fmt::Result {
    match &s.kind {
        SequenceKind::Ordered { maxspan_ms, until } => {
            write!(f, "sequence")?;
            if let Some(ms) = maxspan_ms {
                write!(f, " maxspan_ms {ms}")?;
            }
            writeln!(f)?;
            s.stages.iter().try_for_each(|st| write_stage(f, "stage", st))?;
            if let Some(u) = until {
                write_stage(f, "until", u)?;
            }
        }
        SequenceKind::Sample { max_samples_per_key } => {
            writeln!(f, "sample max_samples_per_key {max_samples_per_key}")?;
            s.stages.iter().try_for_each(|st| write_stage(f, "stage", st))?;
        }
    }
    for pipe in &s.pipes {
        match pipe {
            Pipe::Head(n) => writeln!(f, "  | head {n}")?,
            Pipe::Tail(n) => writeln!(f, "  | tail {n}")?,
        }
    }
    Ok(())
}

impl Display for Rule {
    /// The rule's metadata (one `key value` line each, absent keys left out), log source and
    /// body.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let m = &self.meta;
        writeln!(f, "title {:?}", m.title)?;
        let optional = [("id", &m.id), ("name", &m.name), ("description", &m.description), ("author", &m.author), ("date", &m.date), ("modified", &m.modified)];
        for (key, value) in optional {
            if let Some(v) = value {
                writeln!(f, "{key} {v:?}")?;
            }
        }
        if let Some(s) = m.status {
            writeln!(f, "status {}", s.name())?;
        }
        if let Some(l) = m.level {
            writeln!(f, "level {}", l.as_str())?;
        }
        let lists = [("references", &m.references), ("tags", &m.tags), ("falsepositives", &m.falsepositives), ("fields", &m.fields)];
        for (key, values) in lists {
            if !values.is_empty() {
                writeln!(f, "{key} {values:?}")?;
            }
        }
        if let Some(r) = m.risk_score {
            writeln!(f, "risk_score {r}")?;
        }
        let ls = &self.logsource;
        let parts = [("product", &ls.product), ("category", &ls.category), ("service", &ls.service), ("definition", &ls.definition)];
        f.write_str("logsource")?;
        for (key, value) in parts {
            if let Some(v) = value {
                write!(f, " {key}={v:?}")?;
            }
        }
        writeln!(f)?;
        match &self.body {
            RuleBody::Detection(expr) => {
                writeln!(f, "detection")?;
                write_expr(f, expr, 1)
            }
            RuleBody::Correlation(c) => write_correlation(f, c),
            RuleBody::Sequence(s) => write_sequence(f, s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{StrOp, StrPattern};
    use crate::span::Span;

    fn pred(field: &str, test: Test) -> Expr {
        Expr::Pred(Predicate { field: Field::Named(field.into()), test, span: Span::default() })
    }

    #[test]
    fn display_shows_kinds_and_nesting_without_spans() {
        let e = Expr::And(vec![
            Expr::Named {
                name: "sel".into(),
                span: Span::new(3, 9, 2, 4),
                expr: Box::new(pred(
                    "Image",
                    Test::Str { op: StrOp::EndsWith, case: Case::Insensitive, patterns: vec![StrPattern::parse_wildcards("\\a*.exe")] },
                )),
            },
            Expr::not(pred("Port", Test::Num { op: NumOp::Gte, value: 1024.0 })),
        ]);
        let text = e.to_string();
        assert_eq!(text, "and\n  sel:\n    \"Image\" endswith [\"\\\\a*.exe\"]\n  not\n    \"Port\" gte 1024.0\n");
        // The span of a node does not show: moving the rule in its file changes nothing.
        let mut moved = e.clone();
        if let Expr::And(items) = &mut moved {
            if let Some(Expr::Named { span, .. }) = items.first_mut() {
                *span = Span::default();
            }
        }
        assert_eq!(moved.to_string(), text);
        let cased = pred("A", Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal("x?")] });
        assert_eq!(cased.to_string(), "\"A\" equals:cased [\"x\\\\?\"]\n");
    }
}
