//! Correlation rules: the stateful layer above the stateless program.
//!
//! Workers evaluate events in parallel and, for every match of a rule some correlation
//! reads, extract a [`Feed`] (group key and value fields). The [`Correlator`] then consumes
//! feeds in input order, keeping per-group windows:
//!
//! - conditions that only bound from below (`gt`, `gte`) are decided on a *sliding* window
//!   as each event arrives, and fire as soon as they hold (then the group starts over);
//! - conditions with an upper bound (`lt`, `lte`, `eq`, `neq`) and the numeric aggregates
//!   can only be decided once a window is over, so they use *tumbling* windows of
//!   `timespan` that open at a group's first event and close when a later event falls
//!   outside, or at the end of input.
//!
//! Memory is bounded in groups, window events and bytes ([`limits`]); the runtime state
//! ([`state`]) evicts least recently used groups and sweeps expired windows in O(1)
//! amortised per event, counting what it evicts. A correlation that names another
//! correlation (chaining) receives that correlation's alerts as events, keyed by group-by
//! field names.

pub mod limits;
pub mod state;

use std::collections::HashSet;
use std::sync::Arc;

use vigil_ir::{Correlation, CorrelationKind, Diagnostic, HandleIndex, Rule, RuleBody};

use crate::fields::{FieldTrie, Slot};
use crate::program::CompiledRule;
use crate::view::EventView;

pub use limits::{Limits, MAX_BYTES, MAX_ENTRIES, MAX_GROUPS};
pub use state::{CorrelationStats, Correlator};

/// The most event references an alert carries.
pub const MAX_EVENT_REFS: usize = 16;

/// Where a correlation's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSource {
    /// A stateless rule, by index in the program.
    Rule(u32),
    /// Another correlation, by index in the plan.
    Correlation(u32),
}

/// How one referenced rule feeds a correlation.
#[derive(Debug)]
pub struct Input {
    pub source: InputSource,
    /// Per group-by field: candidate slots (first present wins); for correlation inputs, the
    /// group-by name to read from the upstream alert's key.
    pub group_slots: Vec<Vec<Slot>>,
    pub group_names: Vec<String>,
    /// Per value field (value_count, value_*): candidate slots.
    pub value_slots: Vec<Vec<Slot>>,
}

/// One compiled correlation.
#[derive(Debug)]
pub struct CorrelationSpec {
    pub rule: Arc<Rule>,
    pub correlation: Correlation,
    pub inputs: Vec<Input>,
    /// True when the condition is decided on a sliding window (see the module docs).
    pub sliding: bool,
    /// False when a `generate: false` correlation consumes this one's alerts.
    pub emits: bool,
}

/// All correlations of a program.
#[derive(Debug, Default)]
pub struct CorrelationPlan {
    pub specs: Vec<CorrelationSpec>,
    /// For each stateless rule: the (spec, input) pairs it feeds.
    pub by_rule: Vec<Vec<(u32, u32)>>,
    /// For each correlation: the (spec, input) pairs its alerts feed.
    pub by_correlation: Vec<Vec<(u32, u32)>>,
}

/// A reference to an event, carried by alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRef {
    pub source: Arc<str>,
    /// 1-based line (or record number) in the source.
    pub line: u64,
}

/// What a worker extracts from a matching event for one correlation input.
#[derive(Clone, Debug)]
pub struct Feed {
    pub spec: u32,
    pub input: u32,
    pub group: Vec<String>,
    pub value: Option<String>,
}

/// A correlation that fired.
#[derive(Clone, Debug)]
pub struct CorrelationAlert {
    pub spec: u32,
    pub group: Vec<(String, String)>,
    /// The measured quantity (count, distinct values, sum, percentile, ...).
    pub value: f64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub events: Vec<EventRef>,
}

pub(crate) fn compile_correlations(
    rules: &[Rule],
    compiled: &mut [CompiledRule],
    handles: &HandleIndex,
    fields: &mut FieldTrie,
    refused: &mut Vec<Diagnostic>,
) -> CorrelationPlan {
    let mut plan = CorrelationPlan { by_rule: vec![Vec::new(); compiled.len()], ..CorrelationPlan::default() };
    let correlations: Vec<&Rule> = rules.iter().filter(|r| matches!(r.body, RuleBody::Correlation(_))).collect();
    let corr_handles = HandleIndex::new(correlations.iter().copied());
    // Correlations are compiled in dependency order so chained inputs resolve; one whose
    // inputs cannot run is refused with the reason.
    let mut index_of: Vec<Option<u32>> = vec![None; correlations.len()];
    let mut progress = true;
    let mut pending: Vec<usize> = (0..correlations.len()).collect();
    while progress && !pending.is_empty() {
        progress = false;
        let mut still = Vec::new();
        for ci in pending {
            let rule = correlations[ci];
            let RuleBody::Correlation(c) = &rule.body else { continue };
            if let Some(d) = limits::check(rule, &Limits::default()) {
                refused.push(d);
                continue;
            }
            let mut inputs = Vec::new();
            let mut blocked = false;
            let mut missing: Option<&str> = None;
            for reference in &c.rules {
                if let Some((ri, base)) = handles.get(&reference.name).and_then(|ri| Some((ri, &compiled.get(ri)?.rule))) {
                    // The pipeline stage wrote the data-source fields of this input; without
                    // one, the logical names (with aliases) are the event's.
                    let (group_names, value_names) = match c.mapped_input(&reference.name) {
                        Some(m) => (m.group_by.clone(), m.values.clone()),
                        None => {
                            let names: Vec<&str> = base.meta.handles().collect();
                            (
                                c.group_by.iter().map(|g| vec![g.field_for(&names).to_string()]).collect(),
                                c.value_fields().into_iter().map(|f| vec![f]).collect(),
                            )
                        }
                    };
                    let slots = |names: Vec<Vec<String>>, fields: &mut FieldTrie| -> Vec<Vec<Slot>> {
                        names.iter().map(|candidates| candidates.iter().map(|f| fields.slot(f)).collect()).collect()
                    };
                    let group_slots = slots(group_names, fields);
                    let value_slots = slots(value_names, fields);
                    inputs.push(Input { source: InputSource::Rule(ri as u32), group_slots, group_names: Vec::new(), value_slots });
                } else if let Some(upstream) = corr_handles.get(&reference.name) {
                    match index_of.get(upstream).copied().flatten() {
                        Some(si) => {
                            let Some(up) = correlations.get(upstream) else { continue };
                            let names: Vec<&str> = up.meta.handles().collect();
                            let group_names = c.group_by.iter().map(|g| g.field_for(&names).to_string()).collect();
                            inputs.push(Input { source: InputSource::Correlation(si), group_slots: Vec::new(), group_names, value_slots: Vec::new() });
                        }
                        None => blocked = true,
                    }
                } else {
                    missing = Some(&reference.name);
                }
            }
            if let Some(name) = missing {
                refused.push(
                    Diagnostic::error(
                        "engine::correlation-input",
                        rule.source.clone(),
                        c.span,
                        format!("correlation input `{name}` is not a rule that can run here"),
                    )
                    .with_hint("the referenced rule was not loaded or was refused for this data source"),
                );
                continue;
            }
            if blocked {
                still.push(ci);
                continue;
            }
            let sliding = match c.kind {
                CorrelationKind::Value { .. } => false,
                _ => c.condition.is_monotone(),
            };
            let si = plan.specs.len() as u32;
            for (ii, input) in inputs.iter().enumerate() {
                match input.source {
                    InputSource::Rule(r) => plan.by_rule[r as usize].push((si, ii as u32)),
                    InputSource::Correlation(u) => plan.by_correlation[u as usize].push((si, ii as u32)),
                }
            }
            plan.by_correlation.push(Vec::new());
            plan.specs.push(CorrelationSpec { rule: Arc::new(rule.clone()), correlation: c.clone(), inputs, sliding, emits: true });
            index_of[ci] = Some(si);
            progress = true;
        }
        pending = still;
    }
    for ci in pending {
        let rule = correlations[ci];
        refused.push(Diagnostic::error("engine::correlation-input", rule.source.clone(), rule.span, "correlation depends on a correlation that cannot run"));
    }
    // `generate: false` (the default) silences the rules a correlation consumes.
    let mut consumed_rules = HashSet::new();
    let mut consumed_correlations = HashSet::new();
    for spec in &plan.specs {
        if spec.correlation.generate {
            continue;
        }
        for input in &spec.inputs {
            match input.source {
                InputSource::Rule(r) => consumed_rules.insert(r),
                InputSource::Correlation(c) => consumed_correlations.insert(c),
            };
        }
    }
    for r in consumed_rules {
        if let Some(c) = compiled.get_mut(r as usize) {
            c.emits = false;
        }
    }
    for c in consumed_correlations {
        if let Some(s) = plan.specs.get_mut(c as usize) {
            s.emits = false;
        }
    }
    plan
}

fn first_text(view: &EventView, slots: &[Slot]) -> Option<String> {
    slots.iter().find_map(|&s| view.first(s)).map(|v| v.text.to_string())
}

impl CorrelationPlan {
    /// The feeds a match of stateless rule `rule` on `view` produces.
    pub fn feeds(&self, rule: u32, view: &EventView, out: &mut Vec<Feed>) {
        let Some(targets) = self.by_rule.get(rule as usize) else { return };
        for &(spec, input) in targets {
            let Some(inp) = self.specs.get(spec as usize).and_then(|s| s.inputs.get(input as usize)) else { continue };
            let group = inp.group_slots.iter().map(|slots| first_text(view, slots).unwrap_or_default()).collect();
            let value = if inp.value_slots.is_empty() {
                None
            } else {
                let parts: Vec<String> = inp.value_slots.iter().map(|slots| first_text(view, slots).unwrap_or_default()).collect();
                Some(parts.join("\u{1f}"))
            };
            out.push(Feed { spec, input, group, value });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }
}
