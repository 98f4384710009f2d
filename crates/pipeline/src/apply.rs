//! Applying a pipeline to a rule.

use std::collections::HashSet;

use vigil_ir::{Diagnostic, Expr, Field, LogSource, Piece, Predicate, Rule, RuleBody, StrPattern, Test};

use crate::model::{Pipeline, Transformation};

/// A rule rewritten for one data source.
#[derive(Clone, Debug)]
pub struct MappedRule {
    pub rule: Rule,
    /// Why the rule cannot run on this data source (an unresolved placeholder), if it cannot.
    pub unsupported: Option<Diagnostic>,
}

impl Pipeline {
    /// The data-source names of a logical field for a rule of `logsource` (one or more
    /// alternatives). Used for predicates and for correlation group-by fields alike.
    pub fn map_field(&self, field: &str, logsource: &LogSource) -> Vec<String> {
        let mut names = vec![field.to_string()];
        let mut mapped: HashSet<String> = HashSet::new();
        for item in &self.items {
            if !item.applies_to(logsource) {
                continue;
            }
            match &item.transformation {
                Transformation::FieldNameMapping(map) => {
                    let mut next = Vec::new();
                    for name in names {
                        match map.get(&name).filter(|_| item.touches_field(&name)) {
                            Some(targets) => {
                                for t in targets {
                                    mapped.insert(t.clone());
                                    next.push(t.clone());
                                }
                            }
                            None => next.push(name),
                        }
                    }
                    names = next;
                }
                Transformation::FieldNamePrefix { prefixes, only_unmapped } => {
                    let mut next = Vec::new();
                    for n in names {
                        if item.touches_field(&n) && !(*only_unmapped && mapped.contains(&n)) {
                            next.extend(prefixes.iter().map(|prefix| format!("{prefix}{n}")));
                        } else {
                            next.push(n);
                        }
                    }
                    names = next;
                }
                _ => {}
            }
        }
        names.dedup();
        names
    }
}

fn map_expr(pipeline: &Pipeline, expr: Expr, logsource: &LogSource) -> Expr {
    expr.map_predicates(&mut |p: Predicate| {
        let test = match p.test {
            Test::FieldRef { op, case, other } => {
                let other = pipeline.map_field(&other, logsource).into_iter().next().unwrap_or(other);
                Test::FieldRef { op, case, other }
            }
            t => t,
        };
        match &p.field {
            Field::Keyword => Expr::Pred(Predicate { test, ..p }),
            Field::Named(name) => {
                // A field mapped to several candidate names is whichever of them the event
                // carries: a value test holds when it holds on any candidate, an absence test
                // (`null`, `exists: false`) only when every candidate is absent.
                let names = pipeline.map_field(name, logsource);
                let preds = names.into_iter().map(|n| Expr::Pred(Predicate { field: Field::Named(n), test: test.clone(), span: p.span })).collect();
                match test {
                    Test::Null | Test::Exists(false) => Expr::and(preds),
                    _ => Expr::or(preds),
                }
            }
        }
    })
}

/// Drops predicates on the selected fields: inside an `and` they become `true`.
fn drop_items(expr: Expr, drop: &dyn Fn(&str) -> bool) -> Expr {
    expr.map_predicates(&mut |p: Predicate| match &p.field {
        Field::Named(n) if drop(n) => Expr::Const(true),
        _ => Expr::Pred(p),
    })
}

fn resolve_placeholders(expr: Expr, pipeline: &Pipeline, include: &Option<Vec<String>>) -> Expr {
    expr.map_predicates(&mut |mut p: Predicate| {
        if let Test::Str { patterns, .. } = &mut p.test {
            let mut out = Vec::new();
            for pattern in patterns.drain(..) {
                let mut alternatives = vec![StrPattern::default()];
                for piece in pattern.pieces() {
                    let values = match piece {
                        Piece::Placeholder(name) if include.as_ref().is_none_or(|i| i.contains(name)) => pipeline.vars.get(name),
                        _ => None,
                    };
                    match values {
                        Some(values) => {
                            alternatives = alternatives
                                .iter()
                                .flat_map(|a| {
                                    values.iter().map(move |v| {
                                        let mut n = a.clone();
                                        for vp in StrPattern::parse_wildcards(v).pieces() {
                                            n.push(vp.clone());
                                        }
                                        n
                                    })
                                })
                                .collect()
                        }
                        None => alternatives.iter_mut().for_each(|a| a.push(piece.clone())),
                    }
                }
                out.extend(alternatives);
            }
            *patterns = out;
        }
        Expr::Pred(p)
    })
}

fn first_placeholder(expr: &Expr) -> Option<(String, vigil_ir::Span)> {
    let mut found = None;
    expr.for_each_predicate(&mut |p| {
        if found.is_none() {
            if let Test::Str { patterns, .. } = &p.test {
                if let Some(name) = patterns.iter().flat_map(|pat| pat.placeholders()).next() {
                    found = Some((name.to_string(), p.span));
                }
            }
        }
    });
    found
}

/// Rewrites `rule` for the data source `pipeline` describes.
pub fn apply(pipeline: &Pipeline, rule: &Rule) -> MappedRule {
    let mut rule = rule.clone();
    let original_logsource = rule.logsource.clone();
    if let RuleBody::Detection(expr) = &mut rule.body {
        let mut e = std::mem::replace(expr, Expr::Const(true));
        // Logsource-scoped transformations (other than field names) run in order first, so
        // that added conditions are written in logical names and mapped like the rule's own.
        for item in &pipeline.items {
            if !item.applies_to(&original_logsource) {
                continue;
            }
            match &item.transformation {
                Transformation::AddCondition(cond) => e = Expr::And(vec![cond.clone(), e]),
                Transformation::DropDetectionItem => e = drop_items(e, &|f: &str| item.touches_field(f)),
                Transformation::ValuePlaceholders { include } => e = resolve_placeholders(e, pipeline, include),
                _ => {}
            }
        }
        e = map_expr(pipeline, e, &original_logsource);
        *expr = e;
    }
    for item in &pipeline.items {
        if let Transformation::ChangeLogsource(to) = &item.transformation {
            if item.applies_to(&original_logsource) {
                if to.product.is_some() {
                    rule.logsource.product.clone_from(&to.product);
                }
                if to.category.is_some() {
                    rule.logsource.category.clone_from(&to.category);
                }
                if to.service.is_some() {
                    rule.logsource.service.clone_from(&to.service);
                }
            }
        }
    }
    let unsupported = rule.detection().and_then(first_placeholder).map(|(name, span)| {
        Diagnostic::error(
            "pipeline::unresolved-placeholder",
            rule.source.clone(),
            span,
            format!("placeholder `%{name}%` has no values in pipeline `{}`", pipeline.name),
        )
        .with_hint(format!("give `vars: {{{name}: [...]}}` and a `value_placeholders` transformation in a pipeline file"))
    });
    MappedRule { rule, unsupported }
}
