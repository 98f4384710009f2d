//! The runtime state of correlations: one window per group, bounded in groups, window
//! events and bytes, with every cost per event O(1) amortised.
//!
//! Each correlation keeps its groups in a linked hash map in least-recently-used order
//! (`hashlink`, front = least recently fed). That order gives both bounds their cost:
//!
//! - when a correlation holds its maximum of groups, or all correlations together their
//!   byte budget, a front group is evicted, O(1) (the victim is the fed correlation when it
//!   holds at least its share of the budget, otherwise the largest);
//! - expired windows are swept from the front, a few groups per event: with input in time
//!   order the front is the oldest group, so a sweep never scans the map. A window that
//!   expires behind a younger one is closed when its group is fed again, evicted, or at the
//!   end of input; only *when* its alert is emitted changes, never *whether*.
//!
//! Measures are kept incrementally (event count, distinct values with their occurrences,
//! events per referenced rule), so deciding a sliding window costs O(1) per event; the
//! numeric aggregates are computed once per tumbling window. The map's hasher is std's
//! randomly keyed SipHash: group keys come from event data and may be chosen by an attacker.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::mem::size_of;
use std::sync::Arc;

use hashlink::linked_hash_map::RawEntryMut;
use hashlink::LinkedHashMap;
use vigil_ir::{Aggregate, CorrelationKind};

use super::limits::Limits;
use super::{CorrelationAlert, CorrelationPlan, CorrelationSpec, EventRef, Feed, MAX_EVENT_REFS};

/// Groups examined at the front of a correlation per fed event: more than one, so sweeping
/// keeps up with groups being created (at most one per event).
const SWEEP_PER_EVENT: usize = 2;
/// Bytes a group costs besides its key text and window: the map node (key, group, links)
/// and its hash slot.
const GROUP_BYTES: usize = size_of::<Group>() + size_of::<Vec<String>>() + 4 * size_of::<usize>();
/// Bytes one distinct value costs in a group's count map (besides the shared text).
const DISTINCT_BYTES: usize = size_of::<(Arc<str>, u32)>() + size_of::<usize>();
/// Bytes of a shared value's header (the text is counted by its length).
const VALUE_BYTES: usize = 2 * size_of::<usize>();

#[derive(Clone, Debug)]
struct Entry {
    ts: i64,
    input: u32,
    value: Option<Arc<str>>,
    event: Option<EventRef>,
}

/// One group's window.
#[derive(Debug, Default)]
struct Group {
    entries: VecDeque<Entry>,
    window_start: i64,
    last_ts: i64,
    /// `value_count`: occurrences of each distinct non-empty value in the window.
    distinct: HashMap<Arc<str>, u32>,
    /// `temporal`: window events per referenced rule.
    per_input: Vec<u32>,
    /// Bytes of the values held by `entries`.
    value_bytes: usize,
}

impl Group {
    /// What this group costs in memory, key included.
    fn bytes(&self, key: &[String]) -> usize {
        GROUP_BYTES
            + key.iter().map(|k| k.len() + size_of::<String>()).sum::<usize>()
            + self.entries.capacity() * size_of::<Entry>()
            + self.value_bytes
            + self.distinct.capacity() * DISTINCT_BYTES
            + self.per_input.capacity() * size_of::<u32>()
    }

    fn push(&mut self, entry: Entry, counts_distinct: bool) {
        self.last_ts = self.last_ts.max(entry.ts);
        if let Some(v) = &entry.value {
            self.value_bytes += v.len() + VALUE_BYTES;
            if counts_distinct && !v.is_empty() {
                *self.distinct.entry(v.clone()).or_insert(0) += 1;
            }
        }
        if let Some(n) = self.per_input.get_mut(entry.input as usize) {
            *n += 1;
        }
        self.entries.push_back(entry);
    }

    fn pop_front(&mut self) {
        let Some(entry) = self.entries.pop_front() else { return };
        if let Some(v) = &entry.value {
            self.value_bytes = self.value_bytes.saturating_sub(v.len() + VALUE_BYTES);
            if let Some(n) = self.distinct.get_mut(v) {
                *n -= 1;
                if *n == 0 {
                    self.distinct.remove(v);
                }
            }
        }
        if let Some(n) = self.per_input.get_mut(entry.input as usize) {
            *n = n.saturating_sub(1);
        }
    }

    /// Empties the window (after it fired or closed), giving back large buffers.
    fn clear(&mut self) {
        self.entries.clear();
        if self.entries.capacity() > 64 {
            self.entries = VecDeque::new();
        }
        self.distinct = HashMap::new();
        self.per_input.iter_mut().for_each(|n| *n = 0);
        self.value_bytes = 0;
    }
}

/// One correlation's groups, least recently fed first.
#[derive(Debug, Default)]
struct State {
    groups: LinkedHashMap<Vec<String>, Group, RandomState>,
    bytes: usize,
}

/// Counters the run summary reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Groups evicted (least recently used first) because a correlation held its maximum of
    /// groups or bytes ([`Limits`]).
    pub evicted_groups: u64,
    /// Events dropped from a window: the window held `max_entries` events, or its group
    /// alone exceeded the byte budget.
    pub evicted_entries: u64,
    /// Matches that could not be placed in time (no parsable timestamp).
    pub untimed: u64,
    /// The most bytes all correlations held together after an event (the budget's measure).
    pub peak_bytes: u64,
}

/// The runtime state of all correlations.
pub struct Correlator<'p> {
    plan: &'p CorrelationPlan,
    states: Vec<State>,
    /// Bytes held by all correlations together (the budget is shared).
    bytes: usize,
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
        let states = plan.specs.iter().map(|_| State::default()).collect();
        Correlator { plan, states, bytes: 0, max_ts: i64::MIN, hits: 0, limits, stats: CorrelationStats::default() }
    }

    /// Bytes the correlation state holds now, by the same accounting the budget uses.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Consumes one feed of an event at time `ts` (`None` when the event had no timestamp).
    pub fn feed(&mut self, feed: Feed, ts: Option<i64>, event: EventRef, out: &mut Vec<CorrelationAlert>) {
        let Some(ts) = ts else {
            self.stats.untimed += 1;
            return;
        };
        self.max_ts = self.max_ts.max(ts);
        self.hits += 1;
        // Sweep the fed correlation and, in turn, one other, so every correlation's expired
        // windows are closed as time advances.
        let mut fired = Vec::new();
        self.sweep(feed.spec as usize, &mut fired);
        let turn = (self.hits % self.states.len().max(1) as u64) as usize;
        if turn != feed.spec as usize {
            self.sweep(turn, &mut fired);
        }
        for alert in fired {
            self.emit(alert, out);
        }
        for alert in self.add(feed.spec, feed.input, feed.group, feed.value, ts, Some(event)) {
            self.emit(alert, out);
        }
    }

    /// Closes (tumbling) or drops (sliding) expired groups at the front of correlation `si`.
    fn sweep(&mut self, si: usize, fired: &mut Vec<CorrelationAlert>) {
        let plan = self.plan;
        let (Some(spec), Some(state)) = (plan.specs.get(si), self.states.get_mut(si)) else { return };
        for _ in 0..SWEEP_PER_EVENT {
            if !state.groups.front().is_some_and(|(_, g)| expired(spec, g, self.max_ts)) {
                break;
            }
            if let Some((key, mut group)) = state.groups.pop_front() {
                let cost = group.bytes(&key);
                state.bytes = state.bytes.saturating_sub(cost);
                self.bytes = self.bytes.saturating_sub(cost);
                if !spec.sliding {
                    fired.extend(close(spec, si as u32, &key, &mut group));
                }
            }
        }
    }

    /// Evicts the least recently used group of correlation `si`. A tumbling window that is
    /// already over is closed (decided), not lost; any other eviction is counted.
    fn evict_front(&mut self, si: usize, fired: &mut Vec<CorrelationAlert>) {
        let plan = self.plan;
        let (Some(spec), Some(state)) = (plan.specs.get(si), self.states.get_mut(si)) else { return };
        let Some((key, mut group)) = state.groups.pop_front() else { return };
        let cost = group.bytes(&key);
        state.bytes = state.bytes.saturating_sub(cost);
        self.bytes = self.bytes.saturating_sub(cost);
        if !spec.sliding && expired(spec, &group, self.max_ts) {
            fired.extend(close(spec, si as u32, &key, &mut group));
        } else {
            self.stats.evicted_groups += 1;
        }
    }

    /// The correlation to evict from when the shared byte budget is exceeded while `current`
    /// is fed: `current` itself when it holds at least its share of the budget (the usual
    /// case under a flood, found in O(1)), otherwise the one holding the most. With
    /// `keep_back`, the most recent group of `current` (the one being fed) is not a candidate.
    fn victim(&self, current: usize, keep_back: bool) -> Option<usize> {
        let evictable = |i: usize, s: &State| s.groups.len() > usize::from(keep_back && i == current);
        let share = self.limits.max_bytes / self.states.len().max(1);
        if self.states.get(current).is_some_and(|s| evictable(current, s) && s.bytes >= share) {
            return Some(current);
        }
        self.states.iter().enumerate().filter(|(i, s)| evictable(*i, s)).max_by_key(|(_, s)| s.bytes).map(|(i, _)| i)
    }

    /// Evicts least recently used groups until `extra` more bytes fit in the budget.
    fn make_room(&mut self, current: usize, extra: usize, keep_back: bool, fired: &mut Vec<CorrelationAlert>) {
        while self.bytes + extra > self.limits.max_bytes {
            let Some(victim) = self.victim(current, keep_back) else { break };
            self.evict_front(victim, fired);
        }
    }

    /// Adds one event (or upstream alert) to its group; returns the alerts that fired,
    /// which the caller hands to [`Correlator::emit`].
    #[allow(clippy::too_many_arguments)]
    fn add(&mut self, si: u32, input: u32, key: Vec<String>, value: Option<String>, ts: i64, event: Option<EventRef>) -> Vec<CorrelationAlert> {
        let plan = self.plan;
        let Some(spec) = plan.specs.get(si as usize) else { return Vec::new() };
        let current = si as usize;
        let limits = self.limits;
        let mut fired = Vec::new();
        // The key is hashed once per event (long group values make hashing the main cost):
        // every lookup below reuses the hash.
        let Some(hash) = self.states.get(current).map(|state| state.groups.hasher().hash_one(&key)) else { return fired };
        let known = self.states.get_mut(current).is_some_and(|state| match state.groups.raw_entry_mut().from_key_hashed_nocheck(hash, &key) {
            RawEntryMut::Occupied(mut entry) => {
                entry.to_back();
                true
            }
            RawEntryMut::Vacant(_) => false,
        });
        if !known {
            let group = Group { per_input: vec![0; spec.inputs.len()], ..Group::default() };
            let cost = group.bytes(&key);
            while self.states.get(current).is_some_and(|s| s.groups.len() >= limits.max_groups.max(1)) {
                self.evict_front(current, &mut fired);
            }
            self.make_room(current, cost, false, &mut fired);
            let Some(state) = self.states.get_mut(current) else { return fired };
            if let RawEntryMut::Vacant(entry) = state.groups.raw_entry_mut().from_key_hashed_nocheck(hash, &key) {
                entry.insert_hashed_nocheck(hash, key.clone(), group);
            }
            state.bytes += cost;
            self.bytes += cost;
        }
        let Some(state) = self.states.get_mut(current) else { return fired };
        let RawEntryMut::Occupied(entry) = state.groups.raw_entry_mut().from_key_hashed_nocheck(hash, &key) else { return fired };
        let group = entry.into_mut();
        let before = group.bytes(&key);
        let span = spec.correlation.timespan_ms;
        let counts_distinct = matches!(spec.correlation.kind, CorrelationKind::ValueCount { .. });
        let entry = Entry { ts, input, value: value.map(Arc::from), event };
        if spec.sliding {
            let horizon = ts.saturating_sub(span);
            while group.entries.front().is_some_and(|e| e.ts < horizon) {
                group.pop_front();
            }
            push_bounded(group, entry, counts_distinct, limits.max_entries, &mut self.stats);
            if let Some(value) = measure(spec, group) {
                fired.push(alert(spec, si, &key, group, value));
                group.clear();
            }
        } else {
            if !group.entries.is_empty() && ts > group.window_start.saturating_add(span) {
                fired.extend(close(spec, si, &key, group));
            }
            if group.entries.is_empty() {
                group.window_start = ts;
            }
            push_bounded(group, entry, counts_distinct, limits.max_entries, &mut self.stats);
        }
        let after = group.bytes(&key);
        state.bytes = (state.bytes + after).saturating_sub(before);
        self.bytes = (self.bytes + after).saturating_sub(before);
        // Over the budget: evict other groups, least recently used first; a group that alone
        // exceeds the budget loses its oldest events.
        self.make_room(current, 0, true, &mut fired);
        if self.bytes > limits.max_bytes {
            if let Some(state) = self.states.get_mut(current) {
                if let RawEntryMut::Occupied(entry) = state.groups.raw_entry_mut().from_key_hashed_nocheck(hash, &key) {
                    let group = entry.into_mut();
                    while self.bytes > limits.max_bytes && group.entries.len() > 1 {
                        let was = group.bytes(&key);
                        group.pop_front();
                        self.stats.evicted_entries += 1;
                        let now = group.bytes(&key);
                        state.bytes = (state.bytes + now).saturating_sub(was);
                        self.bytes = (self.bytes + now).saturating_sub(was);
                    }
                }
            }
        }
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes as u64);
        fired
    }

    /// Hands an alert to the correlations built on it, then to `out`, after the alerts it
    /// sets off downstream (depth first). Iterative: a chain of correlations as long as the
    /// rule set costs heap, not stack.
    fn emit(&mut self, alert: CorrelationAlert, out: &mut Vec<CorrelationAlert>) {
        struct Frame {
            alert: CorrelationAlert,
            downstream: Vec<(u32, u32)>,
            next: usize,
            /// Alerts the last downstream feed set off, not yet emitted.
            fired: std::vec::IntoIter<CorrelationAlert>,
        }
        let frame = |plan: &CorrelationPlan, alert: CorrelationAlert| Frame {
            downstream: plan.by_correlation.get(alert.spec as usize).cloned().unwrap_or_default(),
            alert,
            next: 0,
            fired: Vec::new().into_iter(),
        };
        let plan = self.plan;
        let mut stack = vec![frame(plan, alert)];
        while let Some(top) = stack.last_mut() {
            if let Some(next) = top.fired.next() {
                stack.push(frame(plan, next));
                continue;
            }
            if let Some(&(spec, input)) = top.downstream.get(top.next) {
                top.next += 1;
                let Some(inp) = plan.specs.get(spec as usize).and_then(|s| s.inputs.get(input as usize)) else { continue };
                let alert = &top.alert;
                let key = inp.group_names.iter().map(|n| alert.group.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default()).collect();
                let (ts, first) = (alert.last_ts, alert.events.first().cloned());
                top.fired = self.add(spec, input, key, None, ts, first).into_iter();
                continue;
            }
            if let Some(done) = stack.pop() {
                out.push(done.alert);
            }
        }
    }

    /// Ends the input: closes every open tumbling window, in group order.
    pub fn finish(&mut self, out: &mut Vec<CorrelationAlert>) {
        let mut fired = Vec::new();
        for (si, spec) in self.plan.specs.iter().enumerate() {
            let Some(state) = self.states.get_mut(si) else { continue };
            if spec.sliding {
                continue;
            }
            let mut groups: Vec<(Vec<String>, Group)> = state.groups.drain().collect();
            self.bytes = self.bytes.saturating_sub(state.bytes);
            state.bytes = 0;
            groups.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, mut group) in groups {
                fired.extend(close(spec, si as u32, &key, &mut group));
            }
        }
        for alert in fired {
            self.emit(alert, out);
        }
    }
}

/// True when a group's window can no longer change the outcome at time `max_ts`.
fn expired(spec: &CorrelationSpec, group: &Group, max_ts: i64) -> bool {
    let span = spec.correlation.timespan_ms;
    if spec.sliding {
        group.last_ts < max_ts.saturating_sub(span)
    } else {
        group.window_start.saturating_add(span) < max_ts
    }
}

fn push_bounded(group: &mut Group, entry: Entry, counts_distinct: bool, max_entries: usize, stats: &mut CorrelationStats) {
    let max_entries = max_entries.max(1);
    if group.entries.len() >= max_entries {
        group.pop_front();
        stats.evicted_entries += 1;
    }
    // Grow by doubling, but never past the window's limit: a full window then holds exactly
    // `max_entries` slots instead of the next power of two.
    let len = group.entries.len();
    if len == group.entries.capacity() {
        group.entries.reserve_exact((len * 2).max(4).min(max_entries).saturating_sub(len));
    }
    group.push(entry, counts_distinct);
}

/// Decides a tumbling window and empties it.
fn close(spec: &CorrelationSpec, index: u32, key: &[String], group: &mut Group) -> Option<CorrelationAlert> {
    let fired = measure(spec, group).map(|value| alert(spec, index, key, group, value));
    group.clear();
    fired
}

/// Measures a group's window; `Some(measure)` when the condition holds.
fn measure(spec: &CorrelationSpec, group: &Group) -> Option<f64> {
    let c = &spec.correlation;
    let entries = &group.entries;
    if entries.is_empty() {
        return None;
    }
    let numbers = || entries.iter().filter_map(|e| e.value.as_deref().and_then(|v| v.trim().parse::<f64>().ok()));
    let value = match &c.kind {
        CorrelationKind::EventCount => entries.len() as f64,
        CorrelationKind::ValueCount { .. } => group.distinct.len() as f64,
        CorrelationKind::Temporal => group.per_input.iter().filter(|&&n| n > 0).count() as f64,
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
                let (sum, n) = numbers().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                if n == 0 {
                    return None;
                }
                sum / n as f64
            }
            Aggregate::Median => {
                let mut v: Vec<f64> = numbers().collect();
                v.sort_by(f64::total_cmp);
                let mid = v.len() / 2;
                match (v.len().is_multiple_of(2), v.get(mid.wrapping_sub(1)), v.get(mid)) {
                    (true, Some(a), Some(b)) => (a + b) / 2.0,
                    (false, _, Some(m)) => *m,
                    _ => return None,
                }
            }
            Aggregate::Percentile(p) => {
                let mut v: Vec<f64> = numbers().collect();
                v.sort_by(f64::total_cmp);
                *v.get(percentile_index(v.len(), *p)?)?
            }
        },
    };
    let holds = match c.kind {
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered if c.condition.is_empty() => value >= spec.inputs.len() as f64,
        _ => c.condition.holds(value),
    };
    holds.then_some(value)
}

/// The index of the `p`-th percentile (0 to 100) among `n` sorted values, as pySigma's
/// matcher picks it: `min(floor(n * p / 100), n - 1)` (no interpolation).
pub fn percentile_index(n: usize, p: f64) -> Option<usize> {
    let last = n.checked_sub(1)?;
    let at = (n as f64 * p.clamp(0.0, 100.0) / 100.0).floor() as usize;
    Some(at.min(last))
}

fn alert(spec: &CorrelationSpec, index: u32, key: &[String], group: &Group, value: f64) -> CorrelationAlert {
    let entries = &group.entries;
    CorrelationAlert {
        spec: index,
        group: spec.correlation.group_by.iter().zip(key).map(|(g, v)| (g.name.clone(), v.clone())).collect(),
        value,
        first_ts: entries.front().map(|e| e.ts).unwrap_or_default(),
        last_ts: entries.back().map(|e| e.ts).unwrap_or_default(),
        events: entries.iter().filter_map(|e| e.event.clone()).take(MAX_EVENT_REFS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::percentile_index;

    #[test]
    fn percentile_index_follows_pysigma() {
        assert_eq!(percentile_index(0, 50.0), None);
        assert_eq!(percentile_index(1, 95.0), Some(0));
        assert_eq!(percentile_index(10, 0.0), Some(0));
        assert_eq!(percentile_index(10, 50.0), Some(5));
        assert_eq!(percentile_index(10, 95.0), Some(9));
        assert_eq!(percentile_index(10, 100.0), Some(9));
        assert_eq!(percentile_index(4, 30.0), Some(1));
    }
}
