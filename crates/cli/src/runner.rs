//! Running a compiled program over event sources: read, evaluate in parallel, merge in order.
//!
//! A reader thread splits sources into chunks (JSON: about 1 MB of records; EVTX: 16 of the
//! file's 64 KiB chunks); worker threads parse (EVTX), extract and evaluate events;
//! results are merged back in input order, so output and correlation state are the same
//! whatever the thread count. With one thread everything runs inline on the caller's thread.
//! The sink may stop the run (its output went away): reading stops at the next chunk.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Condvar, Mutex};

use vigil_engine::{EventView, Feed, Program, RawScratch, Scratch, SeqFeed};
use vigil_events::label::Labeller;
use vigil_events::winlog::EcsNames;
use vigil_events::{read_source_as, BadRecord, Chunk, Format, Input, Limits, RecordSpan};
use vigil_ir::LogSource;

/// A rule match, with what output and correlations need.
pub struct Hit {
    pub rule: u32,
    /// Index of the record in the chunk.
    pub record: u32,
    pub line: u64,
    /// True when the rule raises alerts of its own (not only feeds correlations).
    pub emits: bool,
    pub ts: Option<i64>,
    pub feeds: Vec<Feed>,
    /// What made an alerting rule match: (field, value) for each value its true predicates
    /// read (`explain.rs` of the engine); empty for hits that only feed correlations.
    pub matched: Vec<(String, String)>,
    /// What the match feeds sequences (a hidden stage rule's match).
    pub seq_feeds: Vec<SeqFeed>,
}

/// The outcome of one chunk; it keeps the chunk so alerts can quote events without copies.
pub struct ChunkResult {
    pub source: Arc<str>,
    /// The program (of the run's [`Plan`]) the chunk was evaluated with; hits index its rules.
    pub program: usize,
    /// JSON records the hits refer to: the chunk as read (JSON input) or the rendered
    /// records that matched (EVTX).
    pub chunk: Chunk,
    /// Bytes the chunk took when read (for the in-flight budget).
    pub bytes: usize,
    pub events: u64,
    /// Of `events`, those the raw prefilter left unparsed: no rule could match them.
    pub unparsed: u64,
    pub bad: Vec<BadRecord>,
    /// Values of evaluated events that could not be used (an impossible timestamp): the event
    /// was evaluated, the value reported.
    pub bad_values: Vec<BadRecord>,
    pub hits: Vec<Hit>,
    /// The program's fields some event of the chunk carried (see `unread.rs`).
    pub seen: crate::unread::SeenFields,
    /// Join-key combinations of multi-valued keys left out (beyond the engine's bound).
    pub keys_cut: u64,
}

impl ChunkResult {
    /// The text of the record a hit refers to.
    pub fn event(&self, hit: &Hit) -> &str {
        let bytes = self.chunk.records.get(hit.record as usize).map(|span| self.chunk.record(span)).unwrap_or(&[]);
        // Records were parsed as JSON, so they are UTF-8.
        std::str::from_utf8(bytes).unwrap_or("")
    }
}

/// The built-in pipeline each input is read with when the user names none: the natural one
/// of the format it is read in (`format`, or the one its content shows: EVTX → `evtx`,
/// auditd → `ecs-linux`, JSON → `none`). Stdin and FIFOs are not looked at beforehand; they
/// count as JSON here.
pub fn natural_pipelines(inputs: &[Input], format: Option<Format>) -> Vec<&'static str> {
    inputs.iter().map(|input| format.unwrap_or_else(|| vigil_events::sniff_format(input).ok().flatten().unwrap_or_default()).natural_pipeline()).collect()
}

/// The programs a run evaluates (one per pipeline), and which one each input's records go to.
pub struct Plan<'p> {
    pub programs: Vec<&'p Program>,
    /// Per input (in input order), the index of its program.
    pub per_input: Vec<usize>,
}

impl Plan<'_> {
    fn program_of(&self, input: usize) -> usize {
        self.per_input.get(input).copied().unwrap_or(0)
    }
}

/// How records are extracted and labelled: for JSON records (the program's fields and the
/// label fields) and for EVTX records (also the EVTX fields ECS names come from).
pub struct Extraction {
    json: Labeller,
    evtx: Labeller,
    /// `evtx` without keyword values, when the program searches keywords: EVTX records are
    /// extracted with it first, and again with `evtx` only when their text may hold a
    /// keyword needle (`Program::needs_keywords`).
    evtx_lean: Option<Labeller>,
    ecs: Option<EcsNames>,
}

impl Extraction {
    pub fn new(program: &Program) -> Extraction {
        let ecs = EcsNames::new(&program.fields);
        let evtx = Labeller::new(ecs.as_ref().map_or(&program.fields, |e| e.trie()));
        let evtx_lean = evtx.trie().wants_keywords().then(|| evtx.without_keywords());
        Extraction { json: Labeller::new(&program.fields), evtx, evtx_lean, ecs }
    }
}

thread_local! {
    /// Each thread's raw-prefilter scratch and record spans (see [`process`]).
    static RAW_SCRATCH: std::cell::RefCell<(RawScratch, Vec<(usize, usize)>)> = std::cell::RefCell::default();
}

/// Evaluates one chunk. Each record is routed by its own source label, unless `source` (the
/// user's `--logsource`) is given.
pub fn process(program: &Program, source: Option<&LogSource>, extraction: &Extraction, mut chunk: Chunk) -> ChunkResult {
    let mut eval = Eval {
        program,
        source,
        labeller: &extraction.json,
        lean: None,
        ecs: None,
        view: EventView::new(extraction.evtx.trie().slot_count().max(extraction.json.trie().slot_count())),
        scratch: Scratch::default(),
        matched: Vec::new(),
    };
    let bytes = chunk.bytes();
    let mut result = ChunkResult {
        source: chunk.source.clone(),
        program: 0,
        bytes,
        events: 0,
        unparsed: 0,
        bad: std::mem::take(&mut chunk.errors),
        bad_values: Vec::new(),
        hits: Vec::new(),
        keys_cut: 0,
        chunk: Chunk::default(),
        seen: crate::unread::SeenFields::new(program.fields.slot_count()),
    };
    match chunk.format {
        // auditd, Zeek and crt.sh chunks hold their events rendered as JSON records.
        // NDJSON records no rule can match are not parsed (`raw_prefilter` of the engine).
        Format::Json if program.raw_prefilter.is_some() => {
            // The scratch (with its copy of the chunk) is reused by the thread, chunk to chunk.
            let (mut raw, mut spans) = RAW_SCRATCH.with(|r| r.take());
            spans.clear();
            spans.extend(chunk.records.iter().map(|span| (span.start, span.end)));
            if let Some(prefilter) = &program.raw_prefilter {
                prefilter.select(&chunk.data, &spans, &mut raw);
            }
            for (index, span) in chunk.records.iter().enumerate() {
                // The first record of a chunk is always parsed: it shows which fields the
                // events carry (the warning about fields no event carried).
                if index == 0 || raw.keep.get(index) != Some(&false) {
                    eval.record(chunk.record(span), index as u32, span.line, &mut result);
                } else {
                    result.events += 1;
                    result.unparsed += 1;
                }
            }
            RAW_SCRATCH.with(|r| r.replace((raw, spans)));
            result.chunk = chunk;
        }
        Format::Json | Format::Zeek | Format::CrtSh | Format::Auditd | Format::Cef => {
            for (index, span) in chunk.records.iter().enumerate() {
                eval.record(chunk.record(span), index as u32, span.line, &mut result);
            }
            result.chunk = chunk;
        }
        Format::Evtx => {
            // EVTX records are also served under ECS names when the program reads some.
            eval.labeller = &extraction.evtx;
            eval.lean = extraction.evtx_lean.as_ref();
            eval.ecs = extraction.ecs.as_ref();
            // Only the records that matched are kept, as JSON, for the alerts.
            let mut kept = Chunk { source: chunk.source.clone(), ..Chunk::default() };
            vigil_events::evtx::records(&mut chunk, &mut |record| match record {
                Err(bad) => result.bad.push(bad),
                Ok(record) => {
                    let index = kept.records.len() as u32;
                    let hits = result.hits.len();
                    eval.record(record.json, index, record.number, &mut result);
                    if result.hits.len() > hits {
                        let start = kept.data.len();
                        kept.data.extend_from_slice(record.json);
                        kept.records.push(RecordSpan { start, end: kept.data.len(), line: record.number });
                    }
                }
            });
            result.chunk = kept;
        }
    }
    result
}

/// What evaluating records needs, reused from record to record.
struct Eval<'p> {
    program: &'p Program,
    source: Option<&'p LogSource>,
    /// The trie records are extracted with (the program's fields, the label fields, and for
    /// EVTX the fields ECS names come from), and the records' labels.
    labeller: &'p Labeller,
    /// `labeller` without keyword values, tried first (EVTX records of a keyword program).
    lean: Option<&'p Labeller>,
    ecs: Option<&'p EcsNames>,
    view: EventView,
    scratch: Scratch,
    matched: Vec<u32>,
}

impl Eval<'_> {
    /// Extracts `record` with `labeller`'s trie into the view; false (reported) when it is not
    /// a readable JSON object. The ECS names are filled in too.
    fn extract(&mut self, record: &[u8], labeller: &Labeller, line: u64, result: &mut ChunkResult) -> bool {
        self.view.clear();
        match vigil_events::extract(record, labeller.trie(), &mut self.view) {
            Ok(()) => {
                if let Some(ecs) = self.ecs {
                    ecs.fill(&mut self.view);
                }
                true
            }
            Err(e) => {
                result.bad.push(BadRecord { source: result.source.clone(), line: line + e.line.saturating_sub(1) as u64, message: e.to_string() });
                false
            }
        }
    }

    /// Evaluates one JSON record; `index` is where the hits will find it, `line` its
    /// line (JSON) or record number (EVTX).
    fn record(&mut self, record: &[u8], index: u32, line: u64, result: &mut ChunkResult) {
        let program = self.program;
        // A keyword program's EVTX records are extracted without their strings first, and
        // again with them only when a keyword rule may want them (`matches_without_keywords`).
        let lean = self.lean.filter(|_| self.source.is_none());
        if !self.extract(record, lean.unwrap_or(self.labeller), line, result) {
            return;
        }
        self.matched.clear();
        let label = if self.source.is_none() { self.labeller.label(&self.view) } else { None };
        if !(lean.is_some() && program.matches_without_keywords(&self.view, record, label.as_ref(), &mut self.scratch, &mut self.matched)) {
            if lean.is_some() && !self.extract(record, self.labeller, line, result) {
                return;
            }
            program.matches_labelled(&self.view, self.source, label.as_ref(), &mut self.scratch, &mut self.matched);
        }
        result.events += 1;
        result.seen.mark(self.view.touched());
        for &r in &self.matched {
            let emits = program.rules.get(r as usize).is_some_and(|c| c.emits);
            let mut feeds = Vec::new();
            program.correlations.feeds(r, &self.view, &mut feeds);
            let mut seq_feeds = Vec::new();
            program.sequences.feeds(r, &self.view, &mut seq_feeds, &mut result.keys_cut);
            let ts = if feeds.is_empty() && seq_feeds.is_empty() {
                None
            } else {
                program.timestamp_checked(&self.view).unwrap_or_else(|text| {
                    let message =
                        format!("timestamp `{}` is not a valid time; the match was not placed in a correlation window or sequence", truncate(text, 80));
                    result.bad_values.push(BadRecord { source: result.source.clone(), line, message });
                    None
                })
            };
            let matched = if emits {
                let names = self.labeller.trie();
                let name = |slot| if slot == vigil_engine::KEYWORD_SLOT { "keywords".to_string() } else { names.name(slot).to_string() };
                program.matched_values(r, &self.view).into_iter().map(|m| (name(m.slot), m.text)).collect()
            } else {
                Vec::new()
            };
            result.hits.push(Hit { rule: r, record: index, line, emits, ts, feeds, seq_feeds, matched });
        }
    }
}

/// Bytes of chunks read but not yet merged past which the reader waits. Without it, a worker
/// busy with one huge record would let the others run ahead and results pile up unmerged.
/// A chunk larger than this still goes through, alone, so memory stays about the largest
/// record plus this.
const IN_FLIGHT_BYTES: usize = 64 << 20;

/// The bytes in flight between the reader and the merge.
#[derive(Default)]
struct Budget {
    spent: Mutex<Spent>,
    freed: Condvar,
    /// Set when the sink stopped the run: nothing waits any more.
    stopped: AtomicBool,
}

#[derive(Default)]
struct Spent {
    used: usize,
    /// The reader waits for bytes to be given back (only then is it woken: a wake-up is a
    /// system call).
    waiting: bool,
}

impl Budget {
    fn take(&self, bytes: usize) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        while spent.used > 0 && spent.used + bytes > IN_FLIGHT_BYTES && !self.stopped.load(Ordering::Relaxed) {
            spent.waiting = true;
            spent = self.freed.wait(spent).unwrap_or_else(|e| e.into_inner());
        }
        spent.waiting = false;
        spent.used += bytes;
    }

    fn give(&self, bytes: usize) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.used = spent.used.saturating_sub(bytes);
        if spent.waiting {
            self.freed.notify_all();
        }
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _guard = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        self.freed.notify_all();
    }
}

/// What went wrong reading a source (the run continues with the next source).
pub struct SourceError {
    pub source: String,
    pub message: String,
}

/// Runs the plan's programs over `inputs` (each input with its own program) with `threads`
/// workers, calling `sink` with every chunk's result in input order, until `sink` returns
/// false (then the run stops reading and returns). Each input is read in `format`, or the
/// format its content shows.
pub fn run(
    plan: &Plan<'_>,
    source: Option<&LogSource>,
    inputs: &[Input],
    format: Option<Format>,
    threads: usize,
    sink: &mut dyn FnMut(ChunkResult) -> bool,
    errors: &mut Vec<SourceError>,
) {
    let describe = |input: &Input| input.display_name();
    let extractions: Vec<Extraction> = plan.programs.iter().map(|p| Extraction::new(p)).collect();
    let evaluate = |which: usize, chunk: Chunk| -> Option<ChunkResult> {
        let (program, extraction) = (plan.programs.get(which)?, extractions.get(which)?);
        let mut result = process(program, source, extraction, chunk);
        result.program = which;
        Some(result)
    };
    if threads <= 1 {
        let mut going = true;
        for (i, input) in inputs.iter().enumerate() {
            let which = plan.program_of(i);
            let r = read_source_as(input, format, Limits::default(), &mut |chunk| {
                going = evaluate(which, chunk).is_some_and(&mut *sink);
                going
            });
            if let Err(e) = r {
                errors.push(SourceError { source: describe(input), message: e.to_string() });
            }
            if !going {
                break;
            }
        }
        return;
    }
    let (chunk_tx, chunk_rx) = sync_channel::<(u64, usize, Chunk)>(threads * 2);
    let (result_tx, result_rx) = sync_channel::<(u64, Option<ChunkResult>)>(threads * 2);
    let chunk_rx: Arc<Mutex<Receiver<(u64, usize, Chunk)>>> = Arc::new(Mutex::new(chunk_rx));
    let budget = Budget::default();
    std::thread::scope(|scope| {
        let budget = &budget;
        let evaluate = &evaluate;
        let reader = scope.spawn(move || {
            let mut read_errors = Vec::new();
            let mut seq = 0u64;
            for (i, input) in inputs.iter().enumerate().take_while(|_| !budget.stopped.load(Ordering::Relaxed)) {
                let which = plan.program_of(i);
                let r = read_source_as(input, format, Limits::default(), &mut |chunk| {
                    budget.take(chunk.bytes());
                    let ok = !budget.stopped.load(Ordering::Relaxed) && chunk_tx.send((seq, which, chunk)).is_ok();
                    seq += 1;
                    ok
                });
                if let Err(e) = r {
                    read_errors.push(SourceError { source: describe(input), message: e.to_string() });
                }
            }
            read_errors
        });
        for _ in 0..threads {
            let rx = Arc::clone(&chunk_rx);
            let tx = result_tx.clone();
            scope.spawn(move || loop {
                let next = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok((seq, which, chunk)) = next else { return };
                if tx.send((seq, evaluate(which, chunk))).is_err() {
                    return;
                }
            });
        }
        drop(result_tx);
        // Only the workers hold the chunk receiver now: when they are gone, the reader's
        // sends fail and it stops.
        drop(chunk_rx);
        // Merge in input order.
        let mut pending: BTreeMap<u64, Option<ChunkResult>> = BTreeMap::new();
        let mut next = 0u64;
        let mut going = true;
        'merge: while let Ok((seq, result)) = result_rx.recv() {
            pending.insert(seq, result);
            while let Some(r) = pending.remove(&next) {
                next += 1;
                let Some(r) = r else { continue };
                let bytes = r.bytes;
                going = sink(r);
                budget.give(bytes);
                if !going {
                    break 'merge;
                }
            }
        }
        if going {
            for r in std::mem::take(&mut pending).into_values().flatten() {
                let bytes = r.bytes;
                going = sink(r);
                budget.give(bytes);
                if !going {
                    break;
                }
            }
        } else {
            // Unblock the reader (waiting for budget) and the workers (sending results).
            budget.stop();
            drop(result_rx);
        }
        if let Ok(mut read_errors) = reader.join() {
            errors.append(&mut read_errors);
        }
    });
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_string(),
    }
}
