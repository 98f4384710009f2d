//! Memory bounds of the correlation state, and the conditions those bounds make impossible.
//!
//! A group keeps at most [`Limits::max_entries`] events in its window, so a count above
//! that can never be reached: such a correlation is refused with a diagnostic naming the
//! limit (by `check` and `hunt` alike) instead of silently never firing.

use vigil_ir::{Correlation, CorrelationKind, CountCondition, Diagnostic, Rule, RuleBody};

/// The most groups one correlation keeps before evicting the least recently used.
pub const MAX_GROUPS: usize = 100_000;
/// The most events one group keeps in its window before evicting the oldest.
pub const MAX_ENTRIES: usize = 10_000;
/// The most bytes (group keys, window events and their values) all correlations together
/// keep before evicting least recently used groups. A hundred groups with full 10,000-event
/// windows in both an `event_count` and a `value_count` correlation take about 190 MB.
pub const MAX_BYTES: usize = 256 << 20;

/// Memory bounds of the correlation state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Groups per correlation.
    pub max_groups: usize,
    /// Window events per group.
    pub max_entries: usize,
    /// Bytes of all correlations together: group keys, window events, stored values.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_groups: MAX_GROUPS, max_entries: MAX_ENTRIES, max_bytes: MAX_BYTES }
    }
}

/// The smallest and largest values a correlation's measure can take on a window that holds
/// events, and what bounds it; `None` when nothing does (aggregates of event values).
fn range(c: &Correlation, limits: &Limits) -> Option<(u64, u64, String, String)> {
    let entries = limits.max_entries.max(1) as u64;
    let window = |min: u64| {
        Some((
            min,
            entries,
            format!("a group keeps at most {entries} events in its window (the `max_entries` limit)"),
            format!("lower the threshold to at most {entries}, or raise `max_entries` in `vigil_engine::Limits` (default {MAX_ENTRIES})"),
        ))
    };
    match &c.kind {
        CorrelationKind::EventCount => window(1),
        // Events that lack the field count no value, so a window can measure 0.
        CorrelationKind::ValueCount { .. } => window(0),
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered if !c.condition.is_empty() => {
            let rules = c.rules.len() as u64;
            Some((
                1,
                rules,
                format!("a `temporal` correlation counts distinct referenced rules, and this one references {rules}"),
                format!("lower the threshold to at most {rules}, or reference more rules"),
            ))
        }
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered | CorrelationKind::Value { .. } => None,
    }
}

/// True when some whole number in `min..=max` satisfies `condition` (counts are whole
/// numbers).
fn satisfiable(condition: &CountCondition, min: u64, max: u64) -> bool {
    let max = max as f64;
    let mut lo = min as f64;
    let mut hi = max;
    if let Some(b) = condition.gte {
        lo = lo.max(b.ceil());
    }
    if let Some(b) = condition.gt {
        lo = lo.max(b.floor() + 1.0);
    }
    if let Some(b) = condition.lte {
        hi = hi.min(b.floor());
    }
    if let Some(b) = condition.lt {
        hi = hi.min(b.ceil() - 1.0);
    }
    if let Some(e) = condition.eq {
        return e.fract() == 0.0 && lo <= e && e <= hi && condition.neq != Some(e);
    }
    lo < hi || (lo == hi && condition.neq != Some(lo))
}

/// A diagnostic when `rule` is a correlation whose condition no window can satisfy under
/// `limits`, pointing at the condition.
pub fn check(rule: &Rule, limits: &Limits) -> Option<Diagnostic> {
    let RuleBody::Correlation(c) = &rule.body else { return None };
    let (min, max, why, hint) = range(c, limits)?;
    if satisfiable(&c.condition, min, max) {
        return None;
    }
    let (message, hint) = if satisfiable(&c.condition, min, u64::MAX >> 11) {
        (format!("this condition can never be met: {why}"), hint)
    } else {
        (
            "this condition can never be met: no count satisfies all its bounds".to_string(),
            format!("the bounds contradict each other (a count is a whole number of at least {min}); loosen one of them"),
        )
    };
    Some(Diagnostic::error("engine::correlation-limit", rule.source.clone(), c.condition_span, message).with_hint(hint))
}

/// Removes from `rules` the correlations [`check`] refuses and returns their diagnostics.
/// Run before references are linked, so correlations built on a refused one are refused too.
pub fn refuse_unreachable(rules: &mut Vec<Rule>, limits: &Limits) -> Vec<Diagnostic> {
    let mut refused = Vec::new();
    rules.retain(|rule| match check(rule, limits) {
        Some(d) => {
            refused.push(d);
            false
        }
        None => true,
    });
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(gt: Option<f64>, gte: Option<f64>, lt: Option<f64>, eq: Option<f64>) -> CountCondition {
        CountCondition { gt, gte, lt, eq, ..CountCondition::default() }
    }

    #[test]
    fn bounds_against_a_ceiling() {
        assert!(satisfiable(&condition(None, Some(10.0), None, None), 1, 10));
        assert!(!satisfiable(&condition(None, Some(11.0), None, None), 1, 10));
        assert!(!satisfiable(&condition(Some(10.0), None, None, None), 1, 10));
        assert!(satisfiable(&condition(Some(9.5), None, None, None), 1, 10));
        assert!(!satisfiable(&condition(None, None, Some(1.0), None), 1, 10));
        assert!(satisfiable(&condition(None, None, Some(2.0), None), 1, 10));
        assert!(!satisfiable(&condition(None, None, None, Some(11.0)), 1, 10));
        assert!(!satisfiable(&condition(None, None, None, Some(2.5)), 1, 10));
        assert!(!satisfiable(&condition(Some(5.0), None, Some(6.0), None), 1, 10));
        let only_one = CountCondition { gte: Some(10.0), neq: Some(10.0), ..CountCondition::default() };
        assert!(!satisfiable(&only_one, 1, 10));
        // value_count can measure 0 (no event carried the field): `lt: 1` can hold.
        assert!(satisfiable(&condition(None, None, Some(1.0), None), 0, 10));
    }
}
