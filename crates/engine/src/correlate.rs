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
//! Memory is bounded: groups whose windows have passed are swept, and past
//! [`MAX_GROUPS`] per correlation (or [`MAX_ENTRIES`] per group) the oldest state is evicted
//! and counted. A correlation that names another correlation (chaining) receives that
//! correlation's alerts as events, keyed by group-by field names.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use vigil_ir::{Aggregate, Correlation, CorrelationKind, Diagnostic, HandleIndex, Rule, RuleBody};

use crate::fields::{FieldTrie, Slot};
use crate::program::CompiledRule;
use crate::view::EventView;

/// The most groups one correlation keeps before evicting the oldest.
pub const MAX_GROUPS: usize = 100_000;
/// The most events one group keeps in its window before evicting the oldest.
pub const MAX_ENTRIES: usize = 10_000;
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
    /// The measured quantity (count, distinct values, sum, ...).
    pub value: f64,
    /// For `value_percentile`, the value whose share was measured.
    pub subject: Option<String>,
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

#[derive(Clone, Debug)]
struct Entry {
    ts: i64,
    input: u32,
    value: Option<String>,
    event: Option<EventRef>,
}

#[derive(Debug, Default)]
struct Group {
    entries: VecDeque<Entry>,
    window_start: i64,
    last_ts: i64,
}

/// Counters the run summary reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Groups evicted because a correlation held its maximum ([`MAX_GROUPS`] by default).
    pub evicted_groups: u64,
    /// Events dropped from a full window ([`MAX_ENTRIES`] by default).
    pub evicted_entries: u64,
    /// Matches that could not be placed in time (no parsable timestamp).
    pub untimed: u64,
}

/// Memory bounds of the correlation state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Groups per correlation.
    pub max_groups: usize,
    /// Window events per group.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_groups: MAX_GROUPS, max_entries: MAX_ENTRIES }
    }
}

/// The runtime state of all correlations.
pub struct Correlator<'p> {
    plan: &'p CorrelationPlan,
    groups: Vec<HashMap<Vec<String>, Group>>,
    max_ts: i64,
    hits: u64,
    limits: Limits,
    pub stats: CorrelationStats,
}

impl<'p> Correlator<'p> {
    pub fn new(plan: &'p CorrelationPlan) -> Correlator<'p> {
        Correlator::with_limits(plan, Limits::default())
    }

    /// A correlator with explicit memory bounds.
    pub fn with_limits(plan: &'p CorrelationPlan, limits: Limits) -> Correlator<'p> {
        Correlator { plan, groups: plan.specs.iter().map(|_| HashMap::new()).collect(), max_ts: i64::MIN, hits: 0, limits, stats: CorrelationStats::default() }
    }

    /// Consumes one feed of an event at time `ts` (`None` when the event had no timestamp).
    pub fn feed(&mut self, feed: Feed, ts: Option<i64>, event: EventRef, out: &mut Vec<CorrelationAlert>) {
        let Some(ts) = ts else {
            self.stats.untimed += 1;
            return;
        };
        self.max_ts = self.max_ts.max(ts);
        self.hits += 1;
        if self.hits.is_multiple_of(4096) {
            self.sweep(out);
        }
        self.add(feed.spec, feed.input, feed.group, feed.value, ts, Some(event), out);
    }

    #[allow(clippy::too_many_arguments)]
    fn add(&mut self, spec_index: u32, input: u32, key: Vec<String>, value: Option<String>, ts: i64, event: Option<EventRef>, out: &mut Vec<CorrelationAlert>) {
        let Some(spec) = self.plan.specs.get(spec_index as usize) else { return };
        let span = spec.correlation.timespan_ms;
        let Some(groups) = self.groups.get_mut(spec_index as usize) else { return };
        if !groups.contains_key(&key) && groups.len() >= self.limits.max_groups {
            if let Some(oldest) = groups.iter().min_by_key(|(_, g)| g.last_ts).map(|(k, _)| k.clone()) {
                groups.remove(&oldest);
                self.stats.evicted_groups += 1;
            }
        }
        let group = groups.entry(key.clone()).or_default();
        let entry = Entry { ts, input, value, event };
        let mut fired = Vec::new();
        if spec.sliding {
            while group.entries.front().is_some_and(|e| e.ts < ts - span) {
                group.entries.pop_front();
            }
            push_bounded(group, entry, self.limits.max_entries, &mut self.stats);
            if let Some(alert) = measure(spec, spec_index, &key, group, None) {
                fired.push(alert);
                group.entries.clear();
            }
        } else {
            if !group.entries.is_empty() && ts > group.window_start + span {
                fired.extend(close(spec, spec_index, &key, group));
            }
            if group.entries.is_empty() {
                group.window_start = ts;
            }
            push_bounded(group, entry, self.limits.max_entries, &mut self.stats);
        }
        for alert in fired {
            self.emit(alert, out);
        }
    }

    fn emit(&mut self, alert: CorrelationAlert, out: &mut Vec<CorrelationAlert>) {
        let downstream = self.plan.by_correlation.get(alert.spec as usize).cloned().unwrap_or_default();
        for (spec, input) in downstream {
            let Some(inp) = self.plan.specs.get(spec as usize).and_then(|s| s.inputs.get(input as usize)) else { continue };
            let key = inp.group_names.iter().map(|n| alert.group.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default()).collect();
            self.add(spec, input, key, None, alert.last_ts, alert.events.first().cloned(), out);
        }
        out.push(alert);
    }

    /// Closes windows that can no longer grow and drops stale sliding groups.
    fn sweep(&mut self, out: &mut Vec<CorrelationAlert>) {
        let mut fired = Vec::new();
        for (si, spec) in self.plan.specs.iter().enumerate() {
            let span = spec.correlation.timespan_ms;
            let Some(groups) = self.groups.get_mut(si) else { continue };
            let max_ts = self.max_ts;
            if spec.sliding {
                groups.retain(|_, g| g.last_ts >= max_ts - span);
            } else {
                let expired: Vec<Vec<String>> = groups.iter().filter(|(_, g)| g.window_start + span < max_ts).map(|(k, _)| k.clone()).collect();
                for key in expired {
                    if let Some(mut g) = groups.remove(&key) {
                        fired.extend(close(spec, si as u32, &key, &mut g));
                    }
                }
            }
        }
        for alert in fired {
            self.emit(alert, out);
        }
    }

    /// Ends the input: closes every open tumbling window.
    pub fn finish(&mut self, out: &mut Vec<CorrelationAlert>) {
        let mut fired = Vec::new();
        for (si, spec) in self.plan.specs.iter().enumerate() {
            if spec.sliding {
                continue;
            }
            let Some(groups) = self.groups.get_mut(si) else { continue };
            let mut keys: Vec<Vec<String>> = groups.keys().cloned().collect();
            keys.sort();
            for key in keys {
                if let Some(mut g) = groups.remove(&key) {
                    fired.extend(close(spec, si as u32, &key, &mut g));
                }
            }
        }
        for alert in fired {
            self.emit(alert, out);
        }
    }
}

fn push_bounded(group: &mut Group, entry: Entry, max_entries: usize, stats: &mut CorrelationStats) {
    group.last_ts = group.last_ts.max(entry.ts);
    if group.entries.len() >= max_entries.max(1) {
        group.entries.pop_front();
        stats.evicted_entries += 1;
    }
    group.entries.push_back(entry);
}

/// Decides a tumbling window; percentile may fire once per value.
fn close(spec: &CorrelationSpec, index: u32, key: &[String], group: &mut Group) -> Vec<CorrelationAlert> {
    let mut out = Vec::new();
    if let CorrelationKind::Value { aggregate: Aggregate::Percentile, .. } = spec.correlation.kind {
        let mut values: Vec<String> = group.entries.iter().filter_map(|e| e.value.clone()).collect();
        values.sort();
        values.dedup();
        for v in values {
            out.extend(measure(spec, index, key, group, Some(&v)));
        }
    } else {
        out.extend(measure(spec, index, key, group, None));
    }
    group.entries.clear();
    out
}

/// Measures a group's window and returns an alert when the condition holds.
fn measure(spec: &CorrelationSpec, index: u32, key: &[String], group: &Group, subject: Option<&str>) -> Option<CorrelationAlert> {
    let c = &spec.correlation;
    let entries = &group.entries;
    if entries.is_empty() {
        return None;
    }
    let numbers = || entries.iter().filter_map(|e| e.value.as_deref().and_then(|v| v.trim().parse::<f64>().ok()));
    let value = match &c.kind {
        CorrelationKind::EventCount => entries.len() as f64,
        CorrelationKind::ValueCount { .. } => entries.iter().filter_map(|e| e.value.as_deref()).filter(|v| !v.is_empty()).collect::<HashSet<_>>().len() as f64,
        CorrelationKind::Temporal => entries.iter().map(|e| e.input).collect::<HashSet<_>>().len() as f64,
        CorrelationKind::TemporalOrdered => {
            // The longest prefix of the rule order found as a subsequence.
            let mut next = 0u32;
            for e in entries {
                if e.input == next {
                    next += 1;
                }
            }
            f64::from(next)
        }
        CorrelationKind::Value { aggregate, .. } => match aggregate {
            Aggregate::Sum => numbers().sum(),
            Aggregate::Avg => {
                let v: Vec<f64> = numbers().collect();
                if v.is_empty() {
                    return None;
                }
                v.iter().sum::<f64>() / v.len() as f64
            }
            Aggregate::Median => {
                let mut v: Vec<f64> = numbers().collect();
                if v.is_empty() {
                    return None;
                }
                v.sort_by(f64::total_cmp);
                let mid = v.len() / 2;
                if v.len().is_multiple_of(2) {
                    (v[mid - 1] + v[mid]) / 2.0
                } else {
                    v[mid]
                }
            }
            Aggregate::Percentile => {
                let subject = subject.or_else(|| entries.back().and_then(|e| e.value.as_deref()))?;
                let same = entries.iter().filter(|e| e.value.as_deref() == Some(subject)).count();
                100.0 * same as f64 / entries.len() as f64
            }
        },
    };
    let holds = match c.kind {
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered if c.condition.is_empty() => value >= spec.inputs.len() as f64,
        _ => c.condition.holds(value),
    };
    if !holds {
        return None;
    }
    let group = c.group_by.iter().zip(key).map(|(g, v)| (g.name.clone(), v.clone())).collect();
    Some(CorrelationAlert {
        spec: index,
        group,
        value,
        subject: subject.map(str::to_string),
        first_ts: entries.front().map(|e| e.ts).unwrap_or_default(),
        last_ts: entries.back().map(|e| e.ts).unwrap_or_default(),
        events: entries.iter().filter_map(|e| e.event.clone()).take(MAX_EVENT_REFS).collect(),
    })
}
