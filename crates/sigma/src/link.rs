//! Resolving references across a rule set: correlation `rules:` and filter `rules:`.

use std::collections::HashMap;

use vigil_ir::{Diagnostic, Expr, Rule, RuleBody};

use crate::filter::Filter;

/// Resolves the references of a loaded rule set in place.
///
/// - A correlation whose `rules` name a rule that is not loaded, or that is part of a
///   reference cycle, is removed with an error.
/// - A filter is added (`and`) to the detection of every rule it names whose log source it
///   fits; a filter naming no loaded rule gets a warning.
///
/// Returns the diagnostics; errors name rules that were removed.
pub fn link(rules: &mut Vec<Rule>, filters: &[Filter]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // Rules are removed until every remaining correlation resolves (removing one may break another).
    loop {
        let handles = handle_index(rules);
        let mut bad: Option<(usize, Diagnostic)> = None;
        'rules: for (index, rule) in rules.iter().enumerate() {
            let RuleBody::Correlation(c) = &rule.body else { continue };
            for reference in &c.rules {
                if !handles.contains_key(reference.name.as_str()) {
                    let d = Diagnostic::error(
                        "sigma::unknown-rule",
                        rule.source.clone(),
                        reference.span,
                        format!("correlation refers to `{}`, which is not a loaded rule", reference.name),
                    )
                    .with_hint("load the referenced rule too (same file or directory), or fix its id/name");
                    bad = Some((index, d));
                    break 'rules;
                }
            }
            // A cycle is reported at the reference that leads back to this correlation.
            let back = c.rules.iter().find_map(|r| {
                let next = *handles.get(r.name.as_str())?;
                (next == index || reaches(rules, &handles, next, index, 0)).then_some((r, next == index))
            });
            if let Some((reference, itself)) = back {
                let message = if itself {
                    format!("correlation refers to itself (`{}`)", reference.name)
                } else {
                    format!("correlation refers to `{}`, which leads back to this correlation: a cycle", reference.name)
                };
                let d = Diagnostic::error("sigma::correlation-cycle", rule.source.clone(), reference.span, message)
                    .with_hint("a correlation may build on other correlations, but not on itself");
                bad = Some((index, d));
                break;
            }
        }
        match bad {
            Some((index, d)) => {
                diagnostics.push(d);
                rules.remove(index);
            }
            None => break,
        }
    }
    let handles = handle_index(rules);
    for filter in filters {
        let mut applied = false;
        for reference in &filter.rules {
            let Some(&index) = handles.get(reference.name.as_str()) else { continue };
            let Some(rule) = rules.get_mut(index) else { continue };
            if !filter.logsource.is_within(&rule.logsource) {
                diagnostics.push(Diagnostic::warning(
                    "sigma::filter-logsource",
                    filter.source.clone(),
                    reference.span,
                    format!("filter `{}` does not apply to `{}`: their log sources differ", filter.title, reference.name),
                ));
                continue;
            }
            if let RuleBody::Detection(expr) = &mut rule.body {
                let named = Expr::Named { name: format!("filter:{}", filter.title), span: filter.span, expr: Box::new(filter.expr.clone()) };
                let original = std::mem::replace(expr, Expr::Const(true));
                *expr = Expr::And(vec![original, named]);
                applied = true;
            }
        }
        if !applied {
            diagnostics.push(Diagnostic::warning(
                "sigma::filter-unused",
                filter.source.clone(),
                filter.span,
                format!("filter `{}` names no loaded rule", filter.title),
            ));
        }
    }
    diagnostics
}

fn handle_index(rules: &[Rule]) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(id) = &rule.meta.id {
            map.entry(id.clone()).or_insert(i);
        }
        if let Some(name) = &rule.meta.name {
            map.entry(name.clone()).or_insert(i);
        }
    }
    map
}

/// True when correlation `from` (transitively) refers to rule `target`.
fn reaches(rules: &[Rule], handles: &HashMap<String, usize>, from: usize, target: usize, depth: usize) -> bool {
    if depth > rules.len() {
        return true;
    }
    let Some(RuleBody::Correlation(c)) = rules.get(from).map(|r| &r.body) else { return false };
    c.rules.iter().filter_map(|r| handles.get(r.name.as_str())).any(|&next| next == target || reaches(rules, handles, next, target, depth + 1))
}
