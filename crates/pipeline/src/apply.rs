//! Applying a pipeline to a rule.

use std::collections::{BTreeMap, HashSet};

use vigil_ir::{Diagnostic, Expr, Field, HandleIndex, InputFields, LogSource, Piece, Predicate, Rule, RuleBody, StrPattern, Test, Value};

use crate::model::{Pipeline, Transformation};

/// A rule rewritten for one data source.
#[derive(Clone, Debug)]
pub struct MappedRule {
    pub rule: Rule,
    /// Why the rule cannot run on this data source (an unresolved placeholder), if it cannot.
    pub unsupported: Option<Diagnostic>,
    /// The keys `set_state` items that apply to the rule set (the last one wins): what an
    /// emitter reads besides the rule, such as the `table` or `index` of its log source.
    pub state: BTreeMap<String, String>,
}

/// Which items of a pipeline apply to one rule, and the rule's log source after them.
///
/// Items are decided in order over the rule as the earlier items left it (pySigma's
/// reading): an item whose `rule_conditions` name the log source a `change_logsource`
/// before it produced applies, and one that names the original log source no longer does.
#[derive(Clone, Debug)]
pub struct Applicability {
    applies: Vec<bool>,
    pub logsource: LogSource,
}

impl Applicability {
    /// Whether the pipeline's item at `index` applies to the rule.
    pub fn applies(&self, index: usize) -> bool {
        self.applies.get(index).copied().unwrap_or(false)
    }
}

impl Pipeline {
    /// Decides every item for a rule of `logsource` (see [`Applicability`]).
    pub fn applicability(&self, logsource: &LogSource) -> Applicability {
        let mut current = logsource.clone();
        let mut applies = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let fits = item.applies_to(&current);
            if let (true, Transformation::ChangeLogsource(to)) = (fits, &item.transformation) {
                if to.product.is_some() {
                    current.product.clone_from(&to.product);
                }
                if to.category.is_some() {
                    current.category.clone_from(&to.category);
                }
                if to.service.is_some() {
                    current.service.clone_from(&to.service);
                }
            }
            applies.push(fits);
        }
        Applicability { applies, logsource: current }
    }

    /// The data-source names of a logical field for a rule of `logsource` (one or more
    /// alternatives, the first the event carries wins).
    pub fn map_field(&self, field: &str, logsource: &LogSource) -> Vec<String> {
        self.map_name(field, &self.applicability(logsource))
    }

    fn map_name(&self, field: &str, fits: &Applicability) -> Vec<String> {
        let mut names = vec![field.to_string()];
        let mut mapped: HashSet<String> = HashSet::new();
        for (index, item) in self.items.iter().enumerate() {
            if !fits.applies(index) {
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
                Transformation::AddCondition(_)
                | Transformation::ChangeLogsource(_)
                | Transformation::DropDetectionItem
                | Transformation::ValuePlaceholders { .. }
                | Transformation::SetState { .. } => {}
            }
        }
        names.dedup();
        names
    }
}

/// Fields of computed expressions (EQL) take the first name the pipeline maps them to.
/// Sigma's `|fieldref` ([`vigil_ir::Value::field_ref`]) keeps its own rule: its field,
/// mapped to several candidate names, is whichever of them the event carries (any of the
/// comparisons holds, as for a value test); the other field takes the first name.
fn map_computed(pipeline: &Pipeline, expr: Expr, fits: &Applicability) -> Expr {
    let first = |name: &str| pipeline.map_name(name, fits).into_iter().next().unwrap_or_else(|| name.to_string());
    let map = |e: Expr| map_computed(pipeline, e, fits);
    match expr {
        Expr::And(items) => Expr::And(items.into_iter().map(map).collect()),
        Expr::Or(items) => Expr::Or(items.into_iter().map(map).collect()),
        Expr::Not(inner) => Expr::Not(Box::new(map(*inner))),
        Expr::Named { name, span, expr } => Expr::Named { name, span, expr: Box::new(map(*expr)) },
        Expr::Compute { value, span } => {
            let Some(parts) = value.as_field_ref() else {
                let mut value = value;
                value.for_each_field_mut(&mut |f| f.name = first(&f.name));
                return Expr::Compute { value, span };
            };
            let other = first(parts.other);
            let names = pipeline.map_name(parts.field, fits);
            let names = if names.is_empty() { vec![parts.field.to_string()] } else { names };
            Expr::or(names.iter().map(|n| Expr::Compute { value: Box::new(Value::field_ref(n, parts.op, parts.case, &other)), span }).collect())
        }
        other => other,
    }
}

fn map_expr(pipeline: &Pipeline, expr: Expr, fits: &Applicability) -> Expr {
    map_computed(pipeline, expr, fits).map_predicates(&mut |p: Predicate| {
        let test = p.test;
        match &p.field {
            Field::Keyword => Expr::Pred(Predicate { test, ..p }),
            Field::Named(name) => {
                // A field mapped to several candidate names is whichever of them the event
                // carries: a value test holds when it holds on any candidate, an absence test
                // (`null`, `exists: false`) only when every candidate is absent.
                let names = pipeline.map_name(name, fits);
                let absence = matches!(test, Test::Null | Test::Exists(false));
                // The test is copied for every name but the last, which takes it (most
                // fields map to one name: no copy at all).
                let count = names.len();
                let mut test = Some(test);
                let mut preds = Vec::with_capacity(count);
                for (index, n) in names.into_iter().enumerate() {
                    let test = if index + 1 == count { test.take() } else { test.clone() };
                    preds.extend(test.map(|test| Expr::Pred(Predicate { field: Field::Named(n), test, span: p.span })));
                }
                if absence {
                    Expr::and(preds)
                } else {
                    Expr::or(preds)
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

/// Rewrites `rule` for the data source `pipeline` describes. A correlation is returned as
/// it is: its inputs are mapped by [`apply_all`], which sees the rules it refers to.
pub fn apply(pipeline: &Pipeline, rule: &Rule) -> MappedRule {
    let mut rule = rule.clone();
    let fits = pipeline.applicability(&rule.logsource);
    let mut state = BTreeMap::new();
    if let RuleBody::Detection(expr) = &mut rule.body {
        let mut e = std::mem::replace(expr, Expr::Const(true));
        // Transformations other than field names run in order first, so that added
        // conditions are written in logical names and mapped like the rule's own.
        for (index, item) in pipeline.items.iter().enumerate() {
            if !fits.applies(index) {
                continue;
            }
            match &item.transformation {
                Transformation::AddCondition(cond) => e = Expr::And(vec![cond.clone(), e]),
                Transformation::DropDetectionItem => e = drop_items(e, &|f: &str| item.touches_field(f)),
                Transformation::ValuePlaceholders { include } => e = resolve_placeholders(e, pipeline, include),
                Transformation::SetState { key, value } => drop(state.insert(key.clone(), value.clone())),
                Transformation::FieldNameMapping(_) | Transformation::FieldNamePrefix { .. } | Transformation::ChangeLogsource(_) => {}
            }
        }
        e = map_expr(pipeline, e, &fits);
        *expr = e;
    }
    rule.logsource = fits.logsource.clone();
    let unsupported = rule.detection().and_then(first_placeholder).map(|(name, span)| {
        Diagnostic::error(
            "pipeline::unresolved-placeholder",
            rule.source.clone(),
            span,
            format!("placeholder `%{name}%` has no values in pipeline `{}`", pipeline.name),
        )
        .with_hint(format!("give `vars: {{{name}: [...]}}` and a `value_placeholders` transformation in a pipeline file"))
    });
    MappedRule { rule, unsupported, state }
}

/// A rule set rewritten for one data source: what the engine compiles.
#[derive(Clone, Debug, Default)]
pub struct MappedSet {
    /// The rules that can run on the data source, in their original order, with field
    /// names, log sources and correlation inputs (group-by and value fields, aliases
    /// included) in the data source's terms.
    pub rules: Vec<Rule>,
    /// Rules that cannot run on this data source, with why (they are not in `rules`).
    pub refused: Vec<Diagnostic>,
    /// Fields that carry the event time, in preference order (empty: the engine's default).
    pub timestamp_fields: Vec<String>,
}

/// Rewrites a whole rule set for the data source `pipeline` describes: every detection is
/// mapped as [`apply`] does, and every correlation learns, per referenced rule, which
/// data-source fields hold its group-by and value fields (mapped by that rule's log source,
/// so rules of different sources may feed one correlation from different fields).
pub fn apply_all(rules: &[Rule], pipeline: &Pipeline) -> MappedSet {
    let handles = HandleIndex::new(rules);
    let mut out = MappedSet { timestamp_fields: pipeline.timestamp_fields.clone(), ..MappedSet::default() };
    for rule in rules {
        match &rule.body {
            RuleBody::Detection(_) => {
                let mapped = apply(pipeline, rule);
                match mapped.unsupported {
                    Some(d) => out.refused.push(d),
                    None => out.rules.push(mapped.rule),
                }
            }
            RuleBody::Sequence(seq) => match apply_sequence(pipeline, rule, seq) {
                Ok(mapped) => out.rules.push(mapped),
                Err(d) => out.refused.push(d),
            },
            RuleBody::Correlation(c) => {
                let mut c = c.clone();
                c.mapped = c
                    .rules
                    .iter()
                    .filter_map(|reference| {
                        let base = rules.get(handles.get(&reference.name)?)?;
                        base.detection()?;
                        let fits = pipeline.applicability(&base.logsource);
                        let names: Vec<&str> = base.meta.handles().collect();
                        Some(InputFields {
                            rule: reference.name.clone(),
                            group_by: c.group_by.iter().map(|g| pipeline.map_name(g.field_for(&names), &fits)).collect(),
                            values: c.value_fields().iter().map(|f| pipeline.map_name(f, &fits)).collect(),
                        })
                    })
                    .collect();
                out.rules.push(Rule { body: RuleBody::Correlation(c), ..rule.clone() });
            }
        }
    }
    out
}

/// A sequence or sample mapped stage by stage: each stage's test as a detection of the rule's
/// log source, its join keys by name.
fn apply_sequence(pipeline: &Pipeline, rule: &Rule, seq: &vigil_ir::Sequence) -> Result<Rule, Diagnostic> {
    let fits = pipeline.applicability(&rule.logsource);
    let mut seq = seq.clone();
    for stage in seq.all_stages_mut() {
        let as_rule = Rule { body: RuleBody::Detection(std::mem::replace(&mut stage.expr, Expr::Const(true))), ..rule.clone() };
        let mapped = apply(pipeline, &as_rule);
        if let Some(d) = mapped.unsupported {
            return Err(d);
        }
        if let RuleBody::Detection(e) = mapped.rule.body {
            stage.expr = e;
        }
        for key in &mut stage.keys {
            // A key mapped to several candidate names reads the first.
            if let Some(first) = pipeline.map_name(&key.field, &fits).into_iter().next() {
                key.field = first;
            }
        }
    }
    Ok(Rule { body: RuleBody::Sequence(seq), logsource: fits.logsource.clone(), ..rule.clone() })
}
