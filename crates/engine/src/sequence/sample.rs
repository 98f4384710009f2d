//! The matcher of one EQL `sample`, as Elasticsearch's sample iterator runs it: events
//! joined by key, one per stage, in any order and with no time bound.
//!
//! Per join key, each stage keeps the first events that matched it, in input order (at most
//! `stages × max_samples_per_key`, what Elasticsearch's per-key queries fetch). When the
//! input ends, the keys every stage saw are taken in ascending key order (Elasticsearch's
//! composite aggregation: nulls first, values compared as numbers when both are numbers, else
//! as text), and for each key up to `max_samples_per_key` samples are built: each picks one
//! event per stage, all distinct, by backtracking over the stages' lists in order (the first
//! pick wins); a key's further samples are the next distinct picks in the same order
//! (an event may be in several samples of a key, never twice in one).
//!
//! Memory is bounded: at most `max_keys` join keys, least recently fed evicted first and
//! counted.

use std::cmp::Ordering;

use hashlink::LinkedHashMap;

use super::machine::Found;
use super::{Key, SequenceStats};

/// Per stage: the events kept, as (arrival, event).
type Lists<E> = Vec<Vec<(u64, E)>>;

/// One sample's matcher.
pub struct Sampler<E> {
    stages: usize,
    per_key: usize,
    per_stage: usize,
    max_keys: usize,
    keys: LinkedHashMap<Key, Lists<E>>,
}

impl<E: Clone> Sampler<E> {
    pub fn new(stages: usize, max_samples_per_key: usize, max_keys: usize) -> Sampler<E> {
        let per_key = max_samples_per_key.max(1);
        Sampler { stages, per_key, per_stage: stages.saturating_mul(per_key), max_keys: max_keys.max(1), keys: LinkedHashMap::new() }
    }

    /// Stage `stage` matched an event of key `key`; `arrival` identifies the event.
    pub fn feed(&mut self, stage: usize, key: &Key, arrival: u64, event: &E, stats: &mut SequenceStats) {
        if self.keys.contains_key(key) {
            self.keys.to_back(key);
        } else {
            while self.keys.len() >= self.max_keys {
                if self.keys.pop_front().is_none() {
                    break;
                }
                stats.evicted_keys += 1;
            }
            self.keys.insert(key.clone(), vec![Vec::new(); self.stages]);
        }
        let Some(list) = self.keys.get_mut(key).and_then(|stages| stages.get_mut(stage)) else { return };
        if list.len() < self.per_stage && list.last().is_none_or(|(a, _)| *a != arrival) {
            list.push((arrival, event.clone()));
        }
    }

    /// The samples, in key order.
    pub fn finish(&mut self, out: &mut Vec<Found<E>>) {
        let mut keys: Vec<(Key, Lists<E>)> = std::mem::take(&mut self.keys).into_iter().filter(|(_, s)| s.iter().all(|l| !l.is_empty())).collect();
        keys.sort_by(|a, b| compare_keys(&a.0, &b.0));
        for (key, lists) in keys {
            let mut combos = Vec::new();
            pick(&lists, &mut Vec::with_capacity(self.stages), self.per_key, &mut combos);
            for chosen in combos {
                let events = chosen.iter().zip(&lists).map(|(&i, l)| l.get(i).map(|(_, e)| e.clone())).collect();
                out.push(Found { key: key.clone(), events });
            }
        }
    }

    /// Join keys tracked now.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

/// Backtracking: the first `limit` picks of one entry per stage (an index into its list),
/// all events of a pick distinct, in order (the first stage varies slowest).
fn pick<E>(lists: &[Vec<(u64, E)>], chosen: &mut Vec<usize>, limit: usize, out: &mut Vec<Vec<usize>>) {
    let stage = chosen.len();
    let Some(list) = lists.get(stage) else {
        out.push(chosen.clone());
        return;
    };
    for (i, (arrival, _)) in list.iter().enumerate() {
        if out.len() >= limit {
            return;
        }
        let taken = chosen.iter().enumerate().any(|(s, &c)| lists.get(s).and_then(|l| l.get(c)).is_some_and(|(a, _)| a == arrival));
        if taken {
            continue;
        }
        chosen.push(i);
        pick(lists, chosen, limit, out);
        chosen.pop();
    }
}

/// Key order: position by position, null first, numbers numerically, else text.
fn compare_keys(a: &Key, b: &Key) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
                _ => x.cmp(y),
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}
