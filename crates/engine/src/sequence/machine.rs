//! The state machine of one EQL `sequence`, as Elasticsearch's sequence matcher runs it,
//! fed one stage match at a time in event order (timestamp, then tiebreaker).
//!
//! Per join key, each positive stage holds at most one sequence in flight: a match of the
//! first positive stage starts a sequence (replacing the one waiting there), a match of a
//! later stage takes the sequence waiting at the previous positive stage (the latest one —
//! Elasticsearch trims every older one) and moves it on, so every stage transition consumes
//! the sequence it advances: one match per key per stage transition. A sequence whose span
//! from its first event exceeds `maxspan` is dropped when it would advance. An `until` match
//! ends every sequence of its key in flight (see [`Machine::until`]).
//!
//! Missing events (`![ … ]`): a sequence is rejected when an event of an interior missing
//! stage (with its key) occurred between the positive matches around it; rejected only once
//! it completes, so it still takes its place in the stages on the way (as in Elasticsearch).
//! Leading and trailing missing stages are judged together: the sequence is rejected when
//! every one of them has an event (the latest one before the first match, the earliest one
//! after the last) and the whole, those events included, fits `maxspan`. A sequence with
//! trailing missing stages waits until `maxspan` after its start has passed (or the input
//! ends) before it is decided. Results come out ordered by their last positive match, as
//! Elasticsearch returns them.
//!
//! Memory is bounded: at most `max_keys` join keys are tracked, least recently fed evicted
//! first; keys idle for longer than `maxspan` are swept (a few per event); sequences waiting
//! for their trailing check are bounded by the same number. Every eviction is counted.

use std::collections::{HashMap, VecDeque};

use hashlink::LinkedHashMap;

use super::{Key, Ordinal, SequenceStats};

/// Keys examined for expiry per processed match.
const SWEEP_PER_MATCH: usize = 2;

/// A sequence found: one entry per stage, `None` at missing stages.
#[derive(Clone, Debug)]
pub struct Found<E> {
    pub key: Key,
    pub events: Vec<Option<E>>,
}

/// The shape of a sequence: which stages are missing events, the time bound.
#[derive(Clone, Debug)]
pub struct Shape {
    pub missing: Vec<bool>,
    pub maxspan_ms: Option<u64>,
    pub max_keys: usize,
}

#[derive(Clone, Debug)]
struct Partial<E> {
    events: Vec<Option<E>>,
    start_ts: i64,
    last: Ordinal,
    /// An interior missing event occurred: rejected when complete.
    doomed: bool,
    /// Latest event of each leading missing stage before the first match (by stage index).
    leading_ts: Option<i64>,
}

#[derive(Debug)]
struct KeyState<E> {
    at: Vec<Option<Partial<E>>>,
    /// Last event of each missing stage seen for this key.
    missing_last: Vec<Option<Ordinal>>,
    last_ts: i64,
}

/// A completed sequence waiting for its trailing missing stages, or ready.
#[derive(Debug)]
enum Slot<E> {
    Ready(Found<E>),
    Waiting { found: Found<E>, start_ts: i64, last_ts: i64, leading_ts: Option<i64>, trailing_ts: Option<i64> },
    Gone,
}

/// One sequence's matcher.
pub struct Machine<E> {
    shape: Shape,
    first: usize,
    last: usize,
    /// Per stage: the previous positive stage.
    previous: Vec<Option<usize>>,
    has_leading: bool,
    has_trailing: bool,
    keys: LinkedHashMap<Key, KeyState<E>>,
    /// Completed sequences in completion order; `base` is the absolute index of the front.
    out: VecDeque<Slot<E>>,
    base: u64,
    /// Per key: absolute indices of waiting sequences.
    waiting: HashMap<Key, Vec<u64>>,
    waiting_count: usize,
    now: i64,
}

impl<E: Clone> Machine<E> {
    /// A matcher for `shape`; `None` when it has no positive stage.
    pub fn new(shape: Shape) -> Option<Machine<E>> {
        let first = shape.missing.iter().position(|m| !m)?;
        let last = shape.missing.iter().rposition(|m| !m)?;
        let mut previous = Vec::with_capacity(shape.missing.len());
        let mut prev = None;
        for (i, &m) in shape.missing.iter().enumerate() {
            previous.push(prev);
            if !m {
                prev = Some(i);
            }
        }
        Some(Machine {
            has_leading: first > 0,
            has_trailing: last + 1 < shape.missing.len(),
            shape,
            first,
            last,
            previous,
            keys: LinkedHashMap::new(),
            out: VecDeque::new(),
            base: 0,
            waiting: HashMap::new(),
            waiting_count: 0,
            now: i64::MIN,
        })
    }

    fn stages(&self) -> usize {
        self.shape.missing.len()
    }

    fn key_state(&mut self, key: &Key, ts: i64, stats: &mut SequenceStats) -> Option<&mut KeyState<E>> {
        let n = self.stages();
        if self.keys.contains_key(key) {
            self.keys.to_back(key);
        } else {
            while self.keys.len() >= self.shape.max_keys.max(1) {
                if self.keys.pop_front().is_none() {
                    break;
                }
                stats.evicted_keys += 1;
            }
            self.keys.insert(key.clone(), KeyState { at: (0..n).map(|_| None).collect(), missing_last: vec![None; n], last_ts: ts });
        }
        let state = self.keys.get_mut(key)?;
        state.last_ts = state.last_ts.max(ts);
        Some(state)
    }

    /// Drops keys idle for longer than `maxspan`: none of their sequences can advance.
    fn sweep(&mut self) {
        let Some(span) = self.shape.maxspan_ms else { return };
        for _ in 0..SWEEP_PER_MATCH {
            match self.keys.front() {
                Some((_, s)) if self.now.saturating_sub(s.last_ts) > span as i64 => {
                    self.keys.pop_front();
                }
                _ => break,
            }
        }
    }

    /// A positive stage `stage` matched an event of key `key`.
    pub fn positive(&mut self, stage: usize, key: &Key, ord: Ordinal, event: &E, stats: &mut SequenceStats) {
        self.advance_time(ord.ts);
        let n = self.stages();
        let first = self.first;
        let last = self.last;
        let maxspan = self.shape.maxspan_ms;
        let previous = self.previous.get(stage).copied().flatten();
        let missing = self.shape.missing.clone();
        // Only the first stage starts tracking a key: a later stage of an unknown key has
        // nothing to advance (and must not evict keys that do).
        if stage != first && !self.keys.contains_key(key) {
            stats.ignored += 1;
            return;
        }
        let Some(state) = self.key_state(key, ord.ts, stats) else { return };
        let partial = if stage == first {
            let leading_ts = (0..first).filter_map(|m| state.missing_last.get(m).copied().flatten()).map(|o| o.ts).max();
            let mut events = vec![None; n];
            if let Some(slot) = events.get_mut(stage) {
                *slot = Some(event.clone());
            }
            Partial { events, start_ts: ord.ts, last: ord, doomed: false, leading_ts }
        } else {
            let Some(prev) = previous else { return };
            let Some(mut partial) = state.at.get_mut(prev).and_then(Option::take) else {
                stats.ignored += 1;
                return;
            };
            if partial.last >= ord {
                // Not before this event (the same instant and tiebreaker): it cannot advance.
                if let Some(slot) = state.at.get_mut(prev) {
                    *slot = Some(partial);
                }
                stats.ignored += 1;
                return;
            }
            if maxspan.is_some_and(|span| ord.ts.saturating_sub(partial.start_ts) > span as i64) {
                stats.maxspan += 1;
                return;
            }
            for m in (prev + 1)..stage {
                if missing.get(m) == Some(&true) && state.missing_last.get(m).copied().flatten().is_some_and(|mo| partial.last < mo && mo < ord) {
                    partial.doomed = true;
                }
            }
            if let Some(slot) = partial.events.get_mut(stage) {
                *slot = Some(event.clone());
            }
            partial.last = ord;
            partial
        };
        if stage == last {
            self.complete(key, partial, stats);
        } else if let Some(slot) = state.at.get_mut(stage) {
            *slot = Some(partial);
        }
        self.sweep();
    }

    /// A missing stage `stage` matched an event of key `key`.
    pub fn missing(&mut self, stage: usize, key: &Key, ord: Ordinal, stats: &mut SequenceStats) {
        self.advance_time(ord.ts);
        if stage > self.last {
            if let Some(indices) = self.waiting.get(key) {
                for &i in indices {
                    let Some(Slot::Waiting { start_ts, last_ts, trailing_ts, .. }) = self.out.get_mut((i - self.base) as usize) else { continue };
                    let within = self.shape.maxspan_ms.is_none_or(|span| ord.ts.saturating_sub(*start_ts) <= span as i64);
                    if trailing_ts.is_none() && ord.ts >= *last_ts && within {
                        *trailing_ts = Some(ord.ts);
                    }
                }
            }
        }
        // A leading missing stage is remembered for keys not seen yet (a sequence starting
        // later looks back at it); the others only matter to keys in flight.
        if stage < self.first || self.keys.contains_key(key) {
            if let Some(slot) = self.key_state(key, ord.ts, stats).and_then(|s| s.missing_last.get_mut(stage)) {
                *slot = Some(ord);
            }
        }
        self.sweep();
    }

    /// An `until` event of key `key`: sequences of the key in flight end, those this same
    /// event advanced included (Elasticsearch rejects a sequence when an `until` event lies
    /// at or after its last match and before its next one; an event that completes a
    /// sequence completes it before its own `until` is looked at).
    pub fn until(&mut self, key: &Key, ord: Ordinal, stats: &mut SequenceStats) {
        self.advance_time(ord.ts);
        if let Some(state) = self.keys.get_mut(key) {
            for slot in &mut state.at {
                if slot.as_ref().is_some_and(|p| p.last <= ord) {
                    *slot = None;
                    stats.until += 1;
                }
            }
        }
    }

    fn complete(&mut self, key: &Key, partial: Partial<E>, stats: &mut SequenceStats) {
        if partial.doomed {
            stats.missing += 1;
            return;
        }
        let found = Found { key: key.clone(), events: partial.events };
        if self.has_trailing {
            if self.waiting_count >= self.shape.max_keys.max(1) {
                // Too many waiting: the oldest is decided now, as if its window had closed.
                stats.decided_early += 1;
                self.decide_front_waiting();
            }
            let index = self.base + self.out.len() as u64;
            self.out.push_back(Slot::Waiting {
                found,
                start_ts: partial.start_ts,
                last_ts: partial.last.ts,
                leading_ts: partial.leading_ts,
                trailing_ts: None,
            });
            self.waiting.entry(key.clone()).or_default().push(index);
            self.waiting_count += 1;
        } else if self.has_leading && self.edge_rejects(partial.start_ts, partial.last.ts, partial.leading_ts, None) {
            stats.missing += 1;
        } else {
            self.out.push_back(Slot::Ready(found));
        }
    }

    /// True when every leading and trailing missing stage had an event and the whole fits
    /// `maxspan`.
    fn edge_rejects(&self, start_ts: i64, last_ts: i64, leading: Option<i64>, trailing: Option<i64>) -> bool {
        if self.has_leading && leading.is_none() || self.has_trailing && trailing.is_none() {
            return false;
        }
        let from = leading.map_or(start_ts, |l| l.min(start_ts));
        let to = trailing.map_or(last_ts, |t| t.max(last_ts));
        self.shape.maxspan_ms.is_none_or(|span| to.saturating_sub(from) <= span as i64)
    }

    fn advance_time(&mut self, ts: i64) {
        self.now = self.now.max(ts);
    }

    fn decide(&mut self, index: usize, stats: &mut SequenceStats) {
        let Some(slot) = self.out.get_mut(index) else { return };
        if let Slot::Waiting { start_ts, last_ts, leading_ts, trailing_ts, .. } = slot {
            let (s, l, lead, trail) = (*start_ts, *last_ts, *leading_ts, *trailing_ts);
            let rejected = self.edge_rejects(s, l, lead, trail);
            let Some(slot) = self.out.get_mut(index) else { return };
            let taken = std::mem::replace(slot, Slot::Gone);
            self.waiting_count = self.waiting_count.saturating_sub(1);
            if let Slot::Waiting { found, .. } = taken {
                if let Some(list) = self.waiting.get_mut(&found.key) {
                    let absolute = self.base + index as u64;
                    list.retain(|&i| i != absolute);
                    if list.is_empty() {
                        self.waiting.remove(&found.key);
                    }
                }
                if rejected {
                    stats.missing += 1;
                } else if let Some(slot) = self.out.get_mut(index) {
                    *slot = Slot::Ready(found);
                }
            }
        }
    }

    fn decide_front_waiting(&mut self) {
        let mut scratch = SequenceStats::default();
        if let Some(index) = self.out.iter().position(|s| matches!(s, Slot::Waiting { .. })) {
            self.decide(index, &mut scratch);
        }
    }

    /// Moves the results that are decided, in order, to `out`. With `end`, every waiting
    /// sequence is decided (the input is over).
    pub fn drain(&mut self, end: bool, stats: &mut SequenceStats, out: &mut Vec<Found<E>>) {
        let span = self.shape.maxspan_ms;
        for index in 0..self.out.len() {
            let due = match self.out.get(index) {
                Some(Slot::Waiting { start_ts, .. }) => end || span.is_some_and(|s| self.now.saturating_sub(*start_ts) > s as i64),
                _ => false,
            };
            if due {
                self.decide(index, stats);
            } else if matches!(self.out.get(index), Some(Slot::Waiting { .. })) {
                break;
            }
        }
        while let Some(front) = self.out.front() {
            if matches!(front, Slot::Waiting { .. }) {
                break;
            }
            if let Some(Slot::Ready(found)) = self.out.pop_front() {
                out.push(found);
            }
            self.base += 1;
        }
    }

    /// Join keys tracked now.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}
