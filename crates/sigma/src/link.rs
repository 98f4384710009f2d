//! Resolving references across a rule set: correlation `rules:` and filter `rules:`.

use vigil_ir::{Diagnostic, Expr, HandleIndex, Rule, RuleBody};

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
    // Handles of the rules removed here: a reference to one of them is not "missing".
    let mut refused: Vec<String> = Vec::new();
    // Rules are removed until every remaining correlation resolves (removing one may break another).
    loop {
        let handles = HandleIndex::new(rules.iter());
        let mut bad: Option<(usize, Diagnostic)> = None;
        'rules: for (index, rule) in rules.iter().enumerate() {
            let RuleBody::Correlation(c) = &rule.body else { continue };
            for reference in &c.rules {
                if !handles.contains(&reference.name) {
                    let (why, hint) = if refused.contains(&reference.name) {
                        ("which was refused (see its error)", "fix the rule it refers to")
                    } else {
                        ("which is not a loaded rule", "load the referenced rule too (same file or directory), or fix its id/name")
                    };
                    let d = Diagnostic::error(
                        "sigma::unknown-rule",
                        rule.source.clone(),
                        reference.span,
                        format!("correlation refers to `{}`, {why}", reference.name),
                    )
                    .with_hint(hint);
                    bad = Some((index, d));
                    break 'rules;
                }
            }
            // A cycle is reported at the reference that starts it.
            let cycle = c.rules.iter().find_map(|r| {
                let next = handles.get(r.name.as_str())?;
                (next == index || reaches(rules, &handles, next, index)).then_some((r, next == index))
            });
            if let Some((reference, itself)) = cycle {
                let message = if itself {
                    format!("correlation refers to itself (`{}`)", reference.name)
                } else {
                    format!("correlation refers to `{}`, which leads back to this correlation: the rules refer to each other in a cycle", reference.name)
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
                let removed = rules.remove(index);
                refused.extend(removed.meta.handles().map(str::to_string));
            }
            None => break,
        }
    }
    let handles = HandleIndex::new(rules.iter());
    for filter in filters {
        let mut applied = false;
        for reference in &filter.rules {
            let Some(index) = handles.get(&reference.name) else { continue };
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
                // The written form follows; without the filter's it would say less than the rule.
                rule.meta.written = match (rule.meta.written.take(), &filter.written) {
                    (Some(mut written), Some(f)) => {
                        std::sync::Arc::make_mut(&mut written).filters.push(f.clone());
                        Some(written)
                    }
                    _ => None,
                };
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

/// True when correlation `from` (transitively) refers to rule `target`. Each rule is
/// visited once, so shared sub-chains (a diamond of correlations) cost linear time.
fn reaches(rules: &[Rule], handles: &HandleIndex, from: usize, target: usize) -> bool {
    let mut seen = vec![false; rules.len()];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == target {
            return true;
        }
        match seen.get_mut(at) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        if let Some(RuleBody::Correlation(c)) = rules.get(at).map(|r| &r.body) {
            stack.extend(c.rules.iter().filter_map(|r| handles.get(&r.name)));
        }
    }
    false
}
