//! The `sigma` target's correlation documents: type, rules, group-by with aliases, the
//! window in the largest unit that divides it exactly, the condition's bounds, fields and
//! percentile, and `generate`. A pipeline that renames a field the correlation names is
//! refused: the referenced rules' events are named by the pipeline, which a correlation
//! printed on its own cannot follow.

use std::fmt::Write;

use vigil_ir::{Correlation, CorrelationKind, Diagnostic, Rule};
use vigil_pipeline::Pipeline;

use crate::sigma::{refuse, IND};
use crate::yaml_text::string;

fn timespan(ms: i64) -> String {
    const UNITS: [(i64, char); 7] =
        [(365 * 86_400_000, 'y'), (30 * 86_400_000, 'M'), (7 * 86_400_000, 'w'), (86_400_000, 'd'), (3_600_000, 'h'), (60_000, 'm'), (1_000, 's')];
    for (size, unit) in UNITS {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{}s", ms / 1000)
}

pub fn correlation(out: &mut String, rule: &Rule, c: &Correlation, pipeline: Option<&Pipeline>) -> Result<(), Diagnostic> {
    if c.timespan_ms % 1000 != 0 {
        return Err(refuse(rule, "emit::sigma::correlation", c.span, "the window is not a whole number of seconds"));
    }
    let mut fields: Vec<&str> = c.group_by.iter().map(|g| g.name.as_str()).collect();
    fields.extend(c.group_by.iter().flat_map(|g| g.per_rule.iter().map(|(_, f)| f.as_str())));
    let value_fields = c.value_fields();
    fields.extend(value_fields.iter().map(String::as_str));
    if let Some(p) = pipeline {
        if let Some(f) = fields.iter().find(|f| p.map_field(f, &rule.logsource) != [f.to_string()]) {
            return Err(refuse(
                rule,
                "emit::sigma::correlation",
                c.span,
                &format!("pipeline `{}` renames field `{f}`, which the referenced rules name as written", p.name),
            )
            .with_hint("convert correlations with the `none` pipeline"));
        }
    }
    let kind = c.kind.name();
    out.push_str("correlation:\n");
    let _ = writeln!(out, "{IND}type: {kind}");
    let _ = writeln!(out, "{IND}rules:");
    for r in &c.rules {
        let _ = writeln!(out, "{IND}{IND}- {}", string(&r.name));
    }
    if !c.group_by.is_empty() {
        let _ = writeln!(out, "{IND}group-by:");
        for g in &c.group_by {
            let _ = writeln!(out, "{IND}{IND}- {}", string(&g.name));
        }
    }
    if c.group_by.iter().any(|g| !g.per_rule.is_empty()) {
        let _ = writeln!(out, "{IND}aliases:");
        for g in c.group_by.iter().filter(|g| !g.per_rule.is_empty()) {
            let _ = writeln!(out, "{IND}{IND}{}:", string(&g.name));
            for (r, f) in &g.per_rule {
                let _ = writeln!(out, "{IND}{IND}{IND}{}: {}", string(r), string(f));
            }
        }
    }
    let _ = writeln!(out, "{IND}timespan: {}", timespan(c.timespan_ms));
    let cond = &c.condition;
    let bounds = [("gt", cond.gt), ("gte", cond.gte), ("lt", cond.lt), ("lte", cond.lte), ("eq", cond.eq), ("neq", cond.neq)];
    let percentile = match &c.kind {
        CorrelationKind::Value { aggregate: vigil_ir::Aggregate::Percentile(p), .. } => Some(*p),
        _ => None,
    };
    if bounds.iter().any(|(_, b)| b.is_some()) || !value_fields.is_empty() {
        let _ = writeln!(out, "{IND}condition:");
        for (key, bound) in bounds {
            if let Some(b) = bound {
                let _ = writeln!(out, "{IND}{IND}{key}: {b}");
            }
        }
        match value_fields.as_slice() {
            [] => {}
            [one] if !matches!(c.kind, CorrelationKind::ValueCount { .. }) => {
                let _ = writeln!(out, "{IND}{IND}field: {}", string(one));
            }
            many => {
                let _ = writeln!(out, "{IND}{IND}field:");
                for f in many {
                    let _ = writeln!(out, "{IND}{IND}{IND}- {}", string(f));
                }
            }
        }
        if let Some(p) = percentile {
            let _ = writeln!(out, "{IND}{IND}percentile: {p}");
        }
    }
    if c.generate {
        out.push_str("generate: true\n");
    }
    Ok(())
}
