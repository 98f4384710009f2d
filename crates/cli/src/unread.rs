//! The fields the rules read that no event carried, and the pipeline the events look made for.
//!
//! Each worker marks, per chunk, the program's fields some event carried ([`SeenFields`]: a
//! bitset over the field slots, set from the slots the reader filled, OR'd into the run's at
//! the merge). A few records are kept as they were read ([`Samples`]). When the run ends and
//! events were read but none carried any field the rules read — or none carried the fields
//! most rules read (a pipeline's log-source conditions: `Event.System.Channel` for `evtx`)
//! while another layout fits better — [`unread_warning`] names the fields and guesses the
//! layout: each built-in pipeline maps the same rules, and the one whose field names the
//! sampled records carry most is proposed (e.g. OTRF-layout JSON hunted with `--pipeline
//! evtx` → `windows-flat`). The guess compiles the rules once per built-in pipeline, only
//! when one of the two conditions holds.

use std::collections::BTreeSet;

use serde_json::Value;
use vigil_engine::Slot;

/// The field slots some event carried.
#[derive(Clone, Debug, Default)]
pub struct SeenFields {
    words: Vec<u64>,
}

impl SeenFields {
    /// None seen yet, for a program with `slots` slots.
    pub fn new(slots: usize) -> SeenFields {
        SeenFields { words: vec![0; slots.div_ceil(64)] }
    }

    /// Marks the slots one event carried.
    pub fn mark(&mut self, slots: &[Slot]) {
        for &slot in slots {
            if let Some(word) = self.words.get_mut(slot as usize / 64) {
                *word |= 1 << (slot % 64);
            }
        }
    }

    /// Adds what `other` saw (a chunk's, into the run's).
    pub fn union(&mut self, other: &SeenFields) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
    }

    /// True when some event carried `slot`.
    pub fn contains(&self, slot: Slot) -> bool {
        self.words.get(slot as usize / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }
}

/// Records kept as read, for guessing their layout.
#[derive(Debug, Default)]
pub struct Samples {
    records: Vec<String>,
}

/// Records kept in all, and from one chunk; records longer than [`MAX_SAMPLE_BYTES`] are not kept.
const MAX_SAMPLES: usize = 256;
const SAMPLES_PER_CHUNK: usize = 8;
const MAX_SAMPLE_BYTES: usize = 1 << 16;

impl Samples {
    /// Keeps the first records of a chunk while there is room.
    pub fn offer<'a>(&mut self, records: impl Iterator<Item = &'a str>) {
        let room = MAX_SAMPLES.saturating_sub(self.records.len()).min(SAMPLES_PER_CHUNK);
        self.records.extend(records.filter(|r| r.len() <= MAX_SAMPLE_BYTES).take(room).map(str::to_string));
    }

    /// True when no more records are wanted.
    pub fn full(&self) -> bool {
        self.records.len() >= MAX_SAMPLES
    }

    /// Every field path the kept records carry (`a.b.c` for nested objects, arrays looked
    /// through).
    fn paths(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for record in &self.records {
            if let Ok(value) = serde_json::from_str::<Value>(record) {
                walk(&value, &mut String::new(), &mut out);
            }
        }
        out
    }
}

fn walk(value: &Value, path: &mut String, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                out.insert(path.clone());
                walk(inner, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk(item, path, out)),
        _ => {}
    }
}

/// Fields named in the warning before "…".
const NAMED: usize = 5;

/// One field the rules read.
#[derive(Clone, Debug)]
pub struct FieldUse {
    pub name: String,
    /// How many rules read it.
    pub rules: usize,
    /// Whether some event carried it.
    pub seen: bool,
}

/// A field is "read by most rules" when at least this share of the rules read it
/// (1/`WIDE_SHARE`): the log-source conditions of a pipeline are such fields.
const WIDE_SHARE: usize = 4;

/// The warning for a run whose events did not carry what the rules read, or None: when
/// events were read and none carried any field the rules read; or when none carried the
/// fields most rules read (`WIDE_SHARE`) and another built-in pipeline would have the rules
/// read more fields of the sampled records than `pipeline` does. `guess` maps the rules
/// with another built-in pipeline and returns the fields they would then read.
pub fn unread_warning(
    read: &[FieldUse],
    rules: usize,
    events: u64,
    samples: &Samples,
    pipeline: &str,
    guess: impl Fn(&str) -> Option<Vec<String>>,
) -> Option<String> {
    if events == 0 || read.is_empty() {
        return None;
    }
    let none_seen = read.iter().all(|f| !f.seen);
    let mut wide: Vec<&FieldUse> = read.iter().filter(|f| f.rules * WIDE_SHARE >= rules.max(1)).collect();
    wide.sort_by(|a, b| b.rules.cmp(&a.rules).then(a.name.cmp(&b.name)));
    let wide_unseen = !wide.is_empty() && wide.iter().all(|f| !f.seen);
    if !none_seen && !wide_unseen {
        return None;
    }
    let carried = samples.paths();
    let layout = guess_layout(&carried, pipeline, guess);
    let mut text = if none_seen {
        let mut names: Vec<&str> = read.iter().map(|f| f.name.as_str()).take(NAMED).collect();
        if read.len() > NAMED {
            names.push("…");
        }
        format!("no event carried any of the {} field(s) the rules read ({})", read.len(), names.join(", "))
    } else {
        // Only worth saying when another layout fits better than the one run.
        let current = read.iter().filter(|f| carried.contains(&f.name)).count();
        if layout.as_ref().is_none_or(|l| l.carried <= current) {
            return None;
        }
        let mut names: Vec<String> = wide.iter().take(NAMED).map(|f| format!("{} ({} rules)", f.name, f.rules)).collect();
        if wide.len() > NAMED {
            names.push("…".into());
        }
        format!("no event carried the fields most rules read with pipeline `{pipeline}`: {}", names.join(", "))
    };
    match layout {
        Some(Layout { pipeline, carried }) => {
            text.push_str(&format!(
                "; these events look like the `{pipeline}` layout (it would have the rules read {carried} field(s) they carry): try --pipeline {pipeline}"
            ));
        }
        None if !carried.is_empty() => {
            text.push_str("; no built-in pipeline fits these events: write one for their layout (--pipeline FILE, see `vigil list pipelines`)");
        }
        None => {}
    }
    Some(text)
}

/// A built-in pipeline the sampled records fit.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    pub pipeline: &'static str,
    /// How many of the fields the rules read under it the records carry.
    pub carried: usize,
}

/// The built-in pipeline (other than `current`) under which the rules read the most fields
/// that the sampled records carry; None when none reads any.
pub fn guess_layout(carried: &BTreeSet<String>, current: &str, fields_under: impl Fn(&str) -> Option<Vec<String>>) -> Option<Layout> {
    if carried.is_empty() {
        return None;
    }
    let mut best: Option<Layout> = None;
    for &name in vigil_pipeline::BUILTIN_NAMES.iter().filter(|n| **n != current) {
        let Some(fields) = fields_under(name) else { continue };
        let count = fields.iter().filter(|f| carried.contains(f.as_str())).count();
        if count > 0 && best.as_ref().is_none_or(|b| count > b.carried) {
            best = Some(Layout { pipeline: name, carried: count });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_fields_union_and_contain() {
        let mut chunk = SeenFields::new(130);
        chunk.mark(&[1, 64, 129]);
        let mut run = SeenFields::new(130);
        assert!(!run.contains(64));
        run.union(&chunk);
        assert!(run.contains(1) && run.contains(64) && run.contains(129));
        assert!(!run.contains(2) && !run.contains(500));
    }

    fn uses(fields: &[(&str, usize, bool)]) -> Vec<FieldUse> {
        fields.iter().map(|(n, r, s)| FieldUse { name: n.to_string(), rules: *r, seen: *s }).collect()
    }

    #[test]
    fn the_warning_names_the_fields_and_the_pipeline_whose_fields_the_events_carry() {
        let mut samples = Samples::default();
        samples.offer([r#"{"EventID": 1, "Channel": "x", "Image": "a.exe"}"#].into_iter());
        let under = |name: &str| match name {
            "none" => Some(vec!["Image".to_string()]),
            "windows-flat" => Some(vec!["Image".into(), "EventID".into(), "Channel".into()]),
            _ => Some(vec!["process.executable".into()]),
        };
        let read = uses(&[("Event.System.EventID", 10, false), ("Event.EventData.Image", 3, false)]);
        let text = unread_warning(&read, 10, 10, &samples, "evtx", under).unwrap();
        assert!(text.starts_with("no event carried any of the 2 field(s) the rules read (Event.System.EventID, Event.EventData.Image)"), "{text}");
        assert!(text.ends_with("try --pipeline windows-flat"), "{text}");
        // No event read: no warning.
        assert_eq!(unread_warning(&read, 10, 0, &samples, "evtx", under), None);
        // The fields most rules read not carried (others are): warned, as another layout fits better.
        let read = uses(&[("Event.System.EventID", 10, false), ("Image", 1, true)]);
        let text = unread_warning(&read, 10, 10, &samples, "evtx", under).unwrap();
        assert!(text.starts_with("no event carried the fields most rules read with pipeline `evtx`: Event.System.EventID (10 rules)"), "{text}");
        // ... but not when no other layout fits better, nor when they were carried.
        assert_eq!(unread_warning(&read, 10, 10, &samples, "evtx", |_| Some(vec!["Image".into()])), None);
        let read = uses(&[("EventID", 10, true), ("Event.EventData.Image", 1, false)]);
        assert_eq!(unread_warning(&read, 10, 10, &samples, "evtx", under), None);
        // Nothing fits: said so.
        let read = uses(&[("Event.System.EventID", 10, false)]);
        let text = unread_warning(&read, 10, 10, &samples, "evtx", |_| Some(vec!["zzz".into()])).unwrap();
        assert!(text.contains("no built-in pipeline fits"), "{text}");
    }

    #[test]
    fn nested_paths_are_collected_through_arrays() {
        let mut samples = Samples::default();
        samples.offer([r#"{"Event": {"System": {"EventID": 4688}}, "tags": [{"k": 1}]}"#, "not json"].into_iter());
        let paths = samples.paths();
        assert!(paths.contains("Event.System.EventID") && paths.contains("tags.k") && paths.contains("Event"), "{paths:?}");
    }
}
