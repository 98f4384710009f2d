//! EQL sequences: the stateful layer that joins stage matches by key, in event order.
//!
//! A sequence rule is compiled as hidden stateless rules, one per stage (the `until` stage
//! last), in the same program as every other rule, so the candidate index covers them. A
//! worker that finds a stage rule matching extracts the stage's join keys ([`SeqFeed`]:
//! multi-valued keys expand into every combination, at most [`MAX_KEY_COMBINATIONS`]); the
//! [`Sequencer`] then takes the feeds in input order, puts them in event order (timestamp,
//! then tiebreaker) within a bounded reorder buffer ([`reorder`]), and runs one state machine
//! per sequence ([`machine`]); samples keep the first matches per key and stage and
//! are assembled when the input ends ([`sample`]). Pipes (`head`, `tail`) select among each rule's results.

pub mod machine;
pub mod reorder;
pub mod sample;

use std::collections::HashMap;
use std::sync::Arc;

use vigil_ir::{DateFormat, Pipe, Rule, Sequence, SequenceKind};

use crate::fields::{FieldTrie, Slot};
use crate::view::{EventView, Kind};

pub use reorder::{SeqEvent, SequenceAlert, Sequencer};

/// A join key: one value per key field (`None`: absent or null).
pub type Key = Vec<Option<String>>;

/// The most key combinations one event's multi-valued join keys expand into.
pub const MAX_KEY_COMBINATIONS: usize = 64;

/// Where an event falls in event order: its time (ms), then its tiebreaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ordinal {
    pub ts: i64,
    pub tie: u64,
}

/// What sequences dropped or rejected, for the run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceStats {
    /// Stage matches with no sequence waiting at the previous stage.
    pub ignored: u64,
    /// Sequences dropped because they would exceed `maxspan`.
    pub maxspan: u64,
    /// Sequences ended by an `until` event.
    pub until: u64,
    /// Sequences rejected by a missing event.
    pub missing: u64,
    /// Join keys evicted (least recently fed first) to stay within the key limit.
    pub evicted_keys: u64,
    /// Sequences with trailing missing stages decided before their window closed, to stay
    /// within the limit of waiting sequences.
    pub decided_early: u64,
    /// Events that arrived after later events had left the reorder buffer.
    pub late: u64,
    /// Stage matches without a valid timestamp (a sequence orders by time).
    pub untimed: u64,
    /// Results left out by `head`/`tail`.
    pub piped_out: u64,
    /// Key combinations beyond [`MAX_KEY_COMBINATIONS`] left out.
    pub keys_cut: u64,
}

/// One compiled sequence rule.
#[derive(Debug)]
pub struct SequenceSpec {
    pub rule: Arc<Rule>,
    pub sequence: Sequence,
    /// Per stage (the `until` stage last): the slot of each join key.
    pub key_slots: Vec<Vec<Slot>>,
    /// Per stage: whether each join key is optional (`?field`: may join on null).
    pub key_optional: Vec<Vec<bool>>,
    /// Per stage: the date formats of each join key on a `date` field.
    pub key_dates: Vec<Vec<Option<Vec<DateFormat>>>>,
    /// The number of stages (without `until`).
    pub stages: usize,
}

/// Every sequence of a program.
#[derive(Debug, Default)]
pub struct SequencePlan {
    pub specs: Vec<SequenceSpec>,
    /// For each hidden stage rule (by program rule index): the (spec, stage) it feeds.
    pub by_rule: HashMap<u32, Vec<(u32, u32)>>,
}

/// What a worker extracts from an event matching one stage.
#[derive(Clone, Debug)]
pub struct SeqFeed {
    pub spec: u32,
    pub stage: u32,
    pub keys: Vec<Key>,
}

impl SequencePlan {
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Registers a sequence whose stages were compiled as the program rules `stage_rules`
    /// (the `until` stage last).
    pub(crate) fn add(&mut self, rule: Arc<Rule>, sequence: Sequence, stage_rules: &[u32], fields: &mut FieldTrie) {
        let spec = self.specs.len() as u32;
        let key_slots = sequence.all_stages().map(|stage| stage.keys.iter().map(|k| fields.slot(&k.field)).collect()).collect();
        let key_optional = sequence.all_stages().map(|stage| stage.keys.iter().map(|k| k.optional).collect()).collect();
        let key_dates = sequence.all_stages().map(|stage| stage.keys.iter().map(|k| k.date.clone()).collect()).collect();
        for (stage, &r) in stage_rules.iter().enumerate() {
            self.by_rule.entry(r).or_default().push((spec, stage as u32));
        }
        let stages = sequence.stages.len();
        self.specs.push(SequenceSpec { rule, sequence, key_slots, key_optional, key_dates, stages });
    }

    /// The feeds a match of stateless rule `rule` on `view` produces; `cut` counts key
    /// combinations left out.
    pub fn feeds(&self, rule: u32, view: &EventView, out: &mut Vec<SeqFeed>, cut: &mut u64) {
        let Some(targets) = self.by_rule.get(&rule) else { return };
        for &(spec, stage) in targets {
            let Some(slots) = self.specs.get(spec as usize).and_then(|s| s.key_slots.get(stage as usize)) else { continue };
            let optional = self.specs.get(spec as usize).and_then(|s| s.key_optional.get(stage as usize));
            let dates = self.specs.get(spec as usize).and_then(|s| s.key_dates.get(stage as usize));
            let mut keys: Vec<Key> = vec![Vec::with_capacity(slots.len())];
            for (i, &slot) in slots.iter().enumerate() {
                // A key's values as Elasticsearch's doc values give them: nulls inside an
                // array dropped, duplicates removed, sorted. No value is a null key, which
                // only an optional key (`?field`) joins on: otherwise the event is not a
                // match of this stage. A `date` key is its epoch milliseconds (a text no
                // format reads is no value).
                let date = dates.and_then(|d| d.get(i)).and_then(Option::as_deref);
                let mut values: Vec<Option<String>> = view
                    .values(slot)
                    .filter(|v| !matches!(v.kind, Kind::Null | Kind::Composite))
                    .filter_map(|v| match date {
                        Some(formats) => crate::date_format::epoch_millis(v.text, formats).map(|ms| Some(ms.to_string())),
                        None => Some(Some(v.text.to_string())),
                    })
                    .collect();
                values.sort_unstable();
                values.dedup();
                if values.is_empty() {
                    if !optional.and_then(|o| o.get(i)).copied().unwrap_or(false) {
                        keys.clear();
                        break;
                    }
                    values.push(None);
                }
                let mut next = Vec::with_capacity(keys.len() * values.len());
                'grow: for key in &keys {
                    for value in &values {
                        if next.len() >= MAX_KEY_COMBINATIONS {
                            *cut += 1;
                            break 'grow;
                        }
                        let mut k = key.clone();
                        k.push(value.clone());
                        next.push(k);
                    }
                }
                keys = next;
            }
            if keys.is_empty() {
                continue;
            }
            out.push(SeqFeed { spec, stage, keys });
        }
    }
}

/// The `head`/`tail` pipes of a rule as the runtime applies them: results pass while fewer
/// than `limit` went out; with a tail, the last `keep` are kept and the remaining pipes
/// applied at the end.
#[derive(Clone, Debug)]
pub(crate) struct PipePlan {
    pub limit: Option<u64>,
    pub keep: Option<u64>,
    pub rest: Vec<Pipe>,
}

impl PipePlan {
    pub fn new(pipes: &[Pipe]) -> PipePlan {
        let mut limit: Option<u64> = None;
        for (i, pipe) in pipes.iter().enumerate() {
            match *pipe {
                Pipe::Head(n) => limit = Some(limit.map_or(n, |l| l.min(n))),
                Pipe::Tail(n) => return PipePlan { limit, keep: Some(n), rest: pipes.get(i + 1..).unwrap_or(&[]).to_vec() },
            }
        }
        PipePlan { limit, keep: None, rest: Vec::new() }
    }
}

/// The state machine shape of a sequence rule (`None` for `sample`).
pub(crate) fn shape(sequence: &Sequence, max_keys: usize) -> Option<machine::Shape> {
    match &sequence.kind {
        SequenceKind::Ordered { maxspan_ms, .. } => {
            Some(machine::Shape { missing: sequence.stages.iter().map(|s| s.missing).collect(), maxspan_ms: *maxspan_ms, max_keys })
        }
        SequenceKind::Sample { .. } => None,
    }
}
