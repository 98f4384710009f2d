//! The runtime of a program's sequences: stage feeds in input order → event order within a
//! bounded reorder buffer → one state machine per sequence → results through the pipes.
//!
//! The buffer holds at most `capacity` stage matches; past that, the earliest in event
//! order (timestamp, then tiebreaker) is released to the machines. A match that arrives
//! after a later one was released is *late*: it is counted and reported, not matched (its
//! sequences would come out of order). Within one event, positive stages are processed
//! last stage first (so an event never advances a sequence it starts), then missing and
//! `until` stages (so an `until` event ends only the sequences before it).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use super::machine::{Found, Machine};
use super::sample::Sampler;
use super::{shape, Key, Ordinal, PipePlan, SeqFeed, SequencePlan, SequenceStats};
use vigil_ir::{Pipe, SequenceKind};

/// Stage matches held for reordering, by default.
pub const REORDER_CAPACITY: usize = 4096;
/// Join keys tracked per sequence, by default.
pub const MAX_KEYS: usize = 100_000;

/// An event a sequence alert carries: where it came from and its JSON text.
#[derive(Clone, Debug)]
pub struct SeqEvent {
    pub source: Arc<str>,
    pub line: u64,
    pub text: Arc<str>,
}

/// A sequence that matched: its rule (by spec index), join key, and events in stage order
/// (`None` at missing stages).
#[derive(Clone, Debug)]
pub struct SequenceAlert {
    pub spec: u32,
    pub key: Key,
    pub events: Vec<Option<SeqEvent>>,
}

#[derive(Debug)]
struct Item {
    order: (Ordinal, u64, u32, u32, u32),
    stage: u32,
    key: Key,
    event: SeqEvent,
}

impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Item) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Item) -> std::cmp::Ordering {
        // The key last: sequences completed by one event come out in key order.
        self.order.cmp(&other.order).then_with(|| self.key.cmp(&other.key))
    }
}

/// Per rule: its machine and what its pipes keep.
struct Runtime {
    machine: Option<Machine<SeqEvent>>,
    sampler: Option<Sampler<SeqEvent>>,
    stages: usize,
    missing: Vec<bool>,
    pipes: PipePlan,
    passed: u64,
    kept: VecDeque<SequenceAlert>,
}

/// The sequences of one run.
pub struct Sequencer {
    runtimes: Vec<Runtime>,
    heap: BinaryHeap<Reverse<Item>>,
    capacity: usize,
    arrival: u64,
    released: Option<Ordinal>,
    found: Vec<Found<SeqEvent>>,
    pub stats: SequenceStats,
}

impl Sequencer {
    pub fn new(plan: &SequencePlan) -> Sequencer {
        Sequencer::with_limits(plan, REORDER_CAPACITY, MAX_KEYS)
    }

    /// A sequencer holding at most `capacity` matches for reordering and `max_keys` join keys
    /// per sequence.
    pub fn with_limits(plan: &SequencePlan, capacity: usize, max_keys: usize) -> Sequencer {
        let runtimes = plan
            .specs
            .iter()
            .map(|spec| Runtime {
                machine: shape(&spec.sequence, max_keys).and_then(Machine::new),
                sampler: match spec.sequence.kind {
                    SequenceKind::Sample { max_samples_per_key } => Some(Sampler::new(spec.stages, max_samples_per_key, max_keys)),
                    SequenceKind::Ordered { .. } => None,
                },
                stages: spec.stages,
                missing: spec.sequence.stages.iter().map(|s| s.missing).collect(),
                pipes: PipePlan::new(&spec.sequence.pipes),
                passed: 0,
                kept: VecDeque::new(),
            })
            .collect();
        Sequencer {
            runtimes,
            heap: BinaryHeap::new(),
            capacity: capacity.max(1),
            arrival: 0,
            released: None,
            found: Vec::new(),
            stats: SequenceStats::default(),
        }
    }

    /// Takes the feeds of one event (in input order); `ord` is its place in event order
    /// (`None`: no valid timestamp). Results that are decided go to `out`.
    pub fn feed(&mut self, feeds: &[SeqFeed], ord: Option<Ordinal>, event: &SeqEvent, out: &mut Vec<SequenceAlert>) {
        let Some(ord) = ord.or_else(|| self.only_samples(feeds).then_some(Ordinal { ts: 0, tie: 0 })) else {
            self.stats.untimed += feeds.len() as u64;
            return;
        };
        if self.released.is_some_and(|r| ord < r) && !self.only_samples(feeds) {
            self.stats.late += feeds.len() as u64;
            return;
        }
        self.arrival += 1;
        for feed in feeds {
            let Some(rt) = self.runtimes.get_mut(feed.spec as usize) else { continue };
            // Samples ignore time order: the first events in input order are kept.
            if let Some(sampler) = rt.sampler.as_mut() {
                for key in &feed.keys {
                    sampler.feed(feed.stage as usize, key, self.arrival, event, &mut self.stats);
                }
                continue;
            }
            let positive = (feed.stage as usize) < rt.stages && rt.missing.get(feed.stage as usize) == Some(&false);
            // Positive stages first, last stage first; then missing and `until` stages.
            let phase = if positive { (0, u32::MAX - feed.stage) } else { (1, feed.stage) };
            for key in &feed.keys {
                let item = Item { order: (ord, self.arrival, phase.0, phase.1, feed.spec), stage: feed.stage, key: key.clone(), event: event.clone() };
                self.heap.push(Reverse(item));
            }
        }
        while self.heap.len() > self.capacity {
            self.release_one(out);
        }
    }

    fn release_one(&mut self, out: &mut Vec<SequenceAlert>) {
        let Some(Reverse(item)) = self.heap.pop() else { return };
        let ord = item.order.0;
        self.released = Some(self.released.map_or(ord, |r| r.max(ord)));
        let spec = item.order.4;
        let Some(rt) = self.runtimes.get_mut(spec as usize) else { return };
        let Some(machine) = rt.machine.as_mut() else { return };
        let stage = item.stage as usize;
        if stage >= rt.stages {
            machine.until(&item.key, ord, &mut self.stats);
        } else if rt.missing.get(stage) == Some(&true) {
            machine.missing(stage, &item.key, ord, &mut self.stats);
        } else {
            machine.positive(stage, &item.key, ord, &item.event, &mut self.stats);
        }
        self.found.clear();
        machine.drain(false, &mut self.stats, &mut self.found);
        let found = std::mem::take(&mut self.found);
        for f in found {
            pass(rt, spec, f, &mut self.stats, out);
        }
    }

    /// Ends the run: everything buffered is matched, waiting sequences decided, and the
    /// results kept by `tail` pipes come out.
    pub fn finish(&mut self, out: &mut Vec<SequenceAlert>) {
        while !self.heap.is_empty() {
            self.release_one(out);
        }
        for (spec, rt) in self.runtimes.iter_mut().enumerate() {
            let mut found = Vec::new();
            if let Some(m) = rt.machine.as_mut() {
                m.drain(true, &mut self.stats, &mut found);
            }
            if let Some(s) = rt.sampler.as_mut() {
                s.finish(&mut found);
            }
            for f in found {
                pass(rt, spec as u32, f, &mut self.stats, out);
            }
            if rt.pipes.keep.is_some() {
                let mut kept: Vec<SequenceAlert> = rt.kept.drain(..).collect();
                for pipe in &rt.pipes.rest {
                    let before = kept.len();
                    match *pipe {
                        Pipe::Head(n) => kept.truncate(n as usize),
                        Pipe::Tail(n) => {
                            let cut = kept.len().saturating_sub(n as usize);
                            kept.drain(..cut);
                        }
                    }
                    self.stats.piped_out += (before - kept.len()) as u64;
                }
                out.extend(kept);
            }
        }
    }

    /// True when every feed is of a sample (which needs no event time).
    fn only_samples(&self, feeds: &[SeqFeed]) -> bool {
        feeds.iter().all(|f| self.runtimes.get(f.spec as usize).is_some_and(|r| r.sampler.is_some()))
    }

    /// Join keys tracked now, over every sequence.
    pub fn key_count(&self) -> usize {
        self.runtimes.iter().map(|r| r.machine.as_ref().map_or(0, |m| m.key_count()) + r.sampler.as_ref().map_or(0, |s| s.key_count())).sum()
    }
}

/// A result through the rule's pipes.
fn pass(rt: &mut Runtime, spec: u32, found: Found<SeqEvent>, stats: &mut SequenceStats, out: &mut Vec<SequenceAlert>) {
    if rt.pipes.limit.is_some_and(|l| rt.passed >= l) {
        stats.piped_out += 1;
        return;
    }
    rt.passed += 1;
    let alert = SequenceAlert { spec, key: found.key, events: found.events };
    match rt.pipes.keep {
        Some(n) => {
            rt.kept.push_back(alert);
            if rt.kept.len() as u64 > n {
                rt.kept.pop_front();
                stats.piped_out += 1;
            }
        }
        None => out.push(alert),
    }
}
