//! Running one EQL statement over a list of events the way `vigil hunt` does: lowered,
//! compiled into a program, stage matches fed to a [`Sequencer`] in input order, each event
//! placed in event order by the ordinal the caller gives (timestamp, tiebreaker).

use std::sync::Arc;

use vigil_engine::sequence::SeqFeed;
use vigil_engine::{Ordinal, Program, Scratch, SeqEvent, SequenceStats, Sequencer};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_ir::{Diagnostic, RuleBody};

/// An event to run: its JSON text and its place in event order (`None`: no timestamp).
pub struct RunEvent {
    pub json: String,
    pub ordinal: Option<Ordinal>,
}

/// One result: the index (in the input list) of each stage's event, `None` at a missing
/// stage, and the join key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    pub events: Vec<Option<usize>>,
    pub key: Vec<Option<String>>,
}

/// What a run gave.
pub struct RunOutput {
    pub results: Vec<RunResult>,
    pub stats: SequenceStats,
    /// True when the statement lowered to a sequence body (else a detection, run statelessly).
    pub sequence: bool,
    /// Join keys still tracked when the input ended (before the final drain).
    pub keys_at_end: usize,
}

/// Lowers `query`, compiles it (no pipeline) and runs `events` through it. A detection's
/// results are its matches in event order, one event each.
pub fn run_eql(query: &str, options: &LowerOptions, events: &[RunEvent]) -> Result<RunOutput, Diagnostic> {
    run_eql_with(query, options, events, vigil_engine::sequence::reorder::REORDER_CAPACITY, vigil_engine::sequence::reorder::MAX_KEYS)
}

/// [`run_eql`] with explicit bounds: matches held for reordering, join keys per sequence.
pub fn run_eql_with(query: &str, options: &LowerOptions, events: &[RunEvent], capacity: usize, max_keys: usize) -> Result<RunOutput, Diagnostic> {
    let rule = lower_rule(&Arc::from("query.eql"), "query", query, options)?;
    let sequence = matches!(rule.body, RuleBody::Sequence(_));
    let (program, report) = Program::compile(vec![rule], &[]);
    if let Some(d) = report.refused.into_iter().next() {
        return Err(d);
    }
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    let mut sequencer = Sequencer::with_limits(&program.sequences, capacity, max_keys);
    let mut alerts = Vec::new();
    let mut detections: Vec<(Option<Ordinal>, usize)> = Vec::new();
    let source: Arc<str> = Arc::from("events");
    let mut cut = 0u64;
    for (i, e) in events.iter().enumerate() {
        view.clear();
        if vigil_events::extract(e.json.as_bytes(), &program.fields, &mut view).is_err() {
            continue;
        }
        let mut matched = Vec::new();
        program.matches(&view, None, &mut scratch, &mut matched);
        let mut feeds: Vec<SeqFeed> = Vec::new();
        for &r in &matched {
            if program.rules.get(r as usize).is_some_and(|c| c.emits) {
                detections.push((e.ordinal, i));
            }
            program.sequences.feeds(r, &view, &mut feeds, &mut cut);
        }
        if !feeds.is_empty() {
            let event = SeqEvent { source: source.clone(), line: i as u64, text: Arc::from(e.json.as_str()) };
            sequencer.feed(&feeds, e.ordinal, &event, &mut alerts);
        }
    }
    let keys_at_end = sequencer.key_count();
    sequencer.finish(&mut alerts);
    let mut stats = sequencer.stats;
    stats.keys_cut += cut;
    let results = if sequence {
        alerts.into_iter().map(|a| RunResult { events: a.events.iter().map(|e| e.as_ref().map(|e| e.line as usize)).collect(), key: a.key }).collect()
    } else {
        detections.sort_by_key(|&(ord, i)| (ord, i));
        detections.into_iter().map(|(_, i)| RunResult { events: vec![Some(i)], key: Vec::new() }).collect()
    };
    Ok(RunOutput { results, stats, sequence, keys_at_end })
}
