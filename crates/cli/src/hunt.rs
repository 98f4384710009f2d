//! `vigil hunt`: run a rule set over event sources and print the alerts.
//!
//! Rule filters select the rules before compile (see `filter.rs`). The run stops at the
//! first write to a closed stdout (`vigil hunt … | head`): reading stops, the summary still
//! goes to stderr, and the exit code is what the run so far gives. The summary ends with the
//! alerts by level, coloured on a terminal. Exit codes: 2 an input could not be read; else 1
//! with `--fail-on-detection` when an alert was raised; else 0.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use vigil_engine::{CorrelationAlert, Correlator, EventRef, Ordinal, SeqEvent, SeqFeed, SequenceAlert, Sequencer};
use vigil_events::Input;
use vigil_sigma::LoadOptions;

use crate::color::Paint;
use crate::content;
use crate::filter::RuleFilter;
use crate::output::{AlertWriter, Format};
use crate::pipelines::load_pipeline;
use crate::progress::{known_total, Progress};
use crate::rules::{link, load_files, load_text, LoadedRules};
use crate::runner::{run, ChunkResult, Plan, SourceError};
use crate::timeline::Widths;
use crate::unread::{unread_warning, FieldUse, Samples, SeenFields};

/// Options of `vigil hunt`.
pub struct HuntArgs {
    pub paths: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub pipeline: Option<String>,
    pub format: Format,
    pub threads: Option<usize>,
    pub logsource: Option<String>,
    pub fail_on_detection: bool,
    pub filter: RuleFilter,
    /// `--format-in`: read every input in this format instead of the one its content shows.
    pub format_in: Option<String>,
    /// How the table is laid out and coloured (from where the alerts go: a terminal or not).
    pub table: TableStyle,
    /// Show the progress bar on stderr (it is a terminal, and `--no-progress` was not given).
    pub progress: bool,
}

/// The table's layout and colour.
#[derive(Clone, Copy, Debug)]
pub struct TableStyle {
    /// The terminal's width when the alerts go to one.
    pub width: Option<usize>,
    pub paint: Paint,
}

/// Parses `product=windows,service=sysmon`.
fn parse_logsource(text: &str) -> anyhow::Result<vigil_ir::LogSource> {
    let mut out = vigil_ir::LogSource::default();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((key, value)) = part.split_once('=') else { bail!("--logsource: `{part}` is not KEY=VALUE") };
        let value = Some(value.trim().to_ascii_lowercase());
        match key.trim() {
            "product" => out.product = value,
            "category" => out.category = value,
            "service" => out.service = value,
            other => bail!("--logsource: unknown key `{other}` (use product, category, service)"),
        }
    }
    Ok(out)
}

/// The most skipped records printed one by one; the rest are only counted.
const MAX_PRINTED_BAD: usize = 20;

/// Alerts per rule, by handle: title, level, count.
type PerRule = BTreeMap<String, (String, Option<vigil_ir::Level>, u64)>;

/// Counts one alert of a rule, by handle, for the run summary.
fn count_alert(per_rule: &mut PerRule, meta: &vigil_ir::RuleMeta) {
    per_rule.entry(meta.handle().to_string()).or_insert_with(|| (meta.title.clone(), meta.level, 0)).2 += 1;
}

/// The levels of the summary, most severe first; rules without a level count as informational.
const LEVELS: [vigil_ir::Level; 5] =
    [vigil_ir::Level::Critical, vigil_ir::Level::High, vigil_ir::Level::Medium, vigil_ir::Level::Low, vigil_ir::Level::Informational];

/// The summary by level (as Hayabusa ends its runs): per level, alerts and distinct rules
/// that fired, in the level's colour.
fn write_levels(per_rule: &PerRule, paint: Paint, err: &mut impl Write) -> std::io::Result<()> {
    for level in LEVELS {
        let (alerts, rules) =
            per_rule.values().filter(|(_, l, _)| l.unwrap_or(vigil_ir::Level::Informational) == level).fold((0u64, 0usize), |(a, r), (_, _, n)| (a + n, r + 1));
        let line = format!("  {:<13} {alerts:>7} alert(s) from {rules} rule(s)", level.as_str());
        writeln!(err, "{}", paint.level(Some(level), &line))?;
    }
    Ok(())
}

/// Runs `vigil hunt`; returns the exit code.
pub fn run_hunt(args: HuntArgs, paint: Paint, out: &mut impl Write, err: &mut impl Write) -> anyhow::Result<i32> {
    let started = Instant::now();
    let bundled = args.paths.is_empty();
    let format_in = match args.format_in.as_deref() {
        None => None,
        Some(name) => match vigil_events::Format::from_name(name) {
            Some(f) => Some(f),
            None => bail!("--format-in: unknown format `{name}` (use {})", vigil_events::Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")),
        },
    };
    // Events: the inputs are known first, so that their format can pick the pipeline.
    let expanded = if bundled {
        let inputs = content::SAMPLES.iter().map(|(name, data)| Input::Embedded { name: format!("<builtin>/samples/{name}"), data: data.as_bytes() }).collect();
        vigil_events::Expanded { inputs, ..Default::default() }
    } else {
        let raw: Vec<Input> = args.paths.iter().map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) }).collect();
        vigil_events::expand_inputs(&raw)
    };
    // `--pipeline` applies to every input; else each input is read with its format's natural
    // pipeline, one program per pipeline needed (a mixed folder: EVTX → `evtx`, auditd →
    // `ecs-linux`, JSON → `none`).
    let per_input_names: Vec<String> = match args.pipeline.clone() {
        Some(name) => vec![name; expanded.inputs.len()],
        None if bundled => vec!["ecs-windows".into(); expanded.inputs.len()],
        None => crate::runner::natural_pipelines(&expanded.inputs, format_in).into_iter().map(String::from).collect(),
    };
    let mut pipeline_names: Vec<String> = Vec::new();
    for name in &per_input_names {
        if !pipeline_names.contains(name) {
            pipeline_names.push(name.clone());
        }
    }
    if pipeline_names.is_empty() {
        pipeline_names.push(args.pipeline.clone().unwrap_or_else(|| "none".into()));
    }
    let per_input: Vec<usize> = per_input_names.iter().map(|n| pipeline_names.iter().position(|p| p == n).unwrap_or(0)).collect();
    let pipelines = pipeline_names.iter().map(|name| load_pipeline(name)).collect::<anyhow::Result<Vec<_>>>()?;
    let pipeline_name = pipeline_names.join("`, `");

    // Rules.
    let mut loaded = if args.rules.is_empty() {
        let mut l = LoadedRules::default();
        for (name, text) in content::RULES {
            load_text(&mut l, format!("<builtin>/rules/{name}"), text.to_string(), &LoadOptions::default());
        }
        l
    } else {
        load_files(&args.rules, &LoadOptions::default())?
    };
    link(&mut loaded);
    // A rule path that could not be read makes the run exit 2, as an unreadable input does.
    let mut unreadable_rules = 0usize;
    for file in &loaded.files {
        for d in &file.errors {
            writeln!(err, "rule rejected: {d}")?;
        }
        for d in &file.warnings {
            writeln!(err, "rule warning: {d}")?;
        }
        if file.errors.iter().any(|d| d.code.starts_with("io::")) {
            unreadable_rules += 1;
        }
    }
    // Filters select rules (and the inputs of selected correlations); then the pipeline stage
    // maps them to the data source and the engine compiles the result.
    let selection = args.filter.apply(std::mem::take(&mut loaded.rules));
    let mut compiled: Vec<crate::pipelines::Compiled> = pipelines.iter().map(|pipeline| crate::pipelines::compile(&selection.rules, pipeline)).collect();
    // Rejections are defects of the rule, the same whatever the pipeline: printed once.
    let mut rejected: Vec<String> = Vec::new();
    let mut not_runnable = 0usize;
    for (name, c) in pipeline_names.iter().zip(&mut compiled) {
        selection.silence_inputs(&mut c.program);
        for d in &c.rejected {
            let text = d.to_string();
            if !rejected.contains(&text) {
                writeln!(err, "rule rejected: {text}")?;
                rejected.push(text);
            }
        }
        for d in &c.not_runnable {
            if pipeline_names.len() > 1 {
                writeln!(err, "rule not run with pipeline `{name}`: {d}")?;
            } else {
                writeln!(err, "rule not run: {d}")?;
            }
        }
        not_runnable += c.not_runnable.len();
    }
    let programs: Vec<vigil_engine::Program> = compiled.into_iter().map(|c| c.program).collect();
    if programs.iter().all(|p| p.rules.is_empty() && p.correlations.is_empty()) {
        if selection.left_out > 0 {
            bail!("no rule left to run: the filters left out {} rule(s)", selection.left_out);
        }
        bail!("no rule could be loaded");
    }

    let inputs = expanded.inputs;
    if let Some(first) = expanded.ignored.first() {
        writeln!(
            err,
            "not read: {} file(s) in the given directories are not JSON event files ({}), e.g. {}",
            expanded.ignored.len(),
            vigil_events::reader::EVENT_FILE_ENDINGS.join(" "),
            first.display()
        )?;
    }
    // Entries of the given directories that were not read: each named, with why. Those that
    // could not be read count as unreadable inputs.
    let mut source_errors = Vec::new();
    for skipped in &expanded.skipped {
        if skipped.unreadable {
            source_errors.push(SourceError { source: skipped.path.display().to_string(), message: skipped.why.clone() });
        } else {
            writeln!(err, "not read: {}: {}", skipped.path.display(), skipped.why)?;
        }
    }
    let routed = args.logsource.as_deref().map(parse_logsource).transpose()?;
    let threads = args.threads.unwrap_or_else(vigil_engine::parallel::cores).max(1);

    let mut writer = AlertWriter::styled(out, args.format, Widths::for_terminal(args.table.width), args.table.paint);
    let mut progress = Progress::new(args.progress, if args.progress { known_total(&inputs, format_in) } else { None });
    // Per program: the fields its events carried, and sample records for the layout guess.
    let mut seen: Vec<SeenFields> = programs.iter().map(|p| SeenFields::new(p.fields.slot_count())).collect();
    let mut samples: Vec<Samples> = programs.iter().map(|_| Samples::default()).collect();
    let mut events_per: Vec<u64> = vec![0; programs.len()];
    let mut correlators: Vec<Correlator> = programs.iter().map(|p| Correlator::new(&p.correlations)).collect();
    let mut per_rule: PerRule = BTreeMap::new();
    let (mut events, mut bad, mut alerts) = (0u64, 0u64, 0u64);
    let mut write_error: Option<std::io::Error> = None;
    let mut corr_out: Vec<CorrelationAlert> = Vec::new();
    let mut sequencers: Vec<Sequencer> = programs.iter().map(|p| Sequencer::new(&p.sequences)).collect();
    let mut seq_out: Vec<SequenceAlert> = Vec::new();
    let mut keys_cut = 0u64;
    let mut unparsed = 0u64;
    // Stage matches of one record are fed together; `arrival` breaks timestamp ties in input order.
    let mut arrival = 0u64;
    let emit_sequences = |program: &vigil_engine::Program,
                          seq_out: &mut Vec<SequenceAlert>,
                          writer: &mut AlertWriter<&mut _>,
                          per_rule: &mut PerRule,
                          alerts: &mut u64|
     -> std::io::Result<()> {
        for alert in seq_out.drain(..) {
            let Some(spec) = program.sequences.specs.get(alert.spec as usize) else { continue };
            *alerts += 1;
            count_alert(per_rule, &spec.rule.meta);
            let kind = match spec.sequence.kind {
                vigil_ir::SequenceKind::Sample { .. } => "sample",
                vigil_ir::SequenceKind::Ordered { .. } => "sequence",
            };
            writer.sequence(&spec.rule, kind, &alert)?;
        }
        Ok(())
    };
    let emit_correlations = |program: &vigil_engine::Program,
                             corr_out: &mut Vec<CorrelationAlert>,
                             writer: &mut AlertWriter<&mut _>,
                             per_rule: &mut PerRule,
                             alerts: &mut u64|
     -> std::io::Result<()> {
        for alert in corr_out.drain(..) {
            let Some(spec) = program.correlations.specs.get(alert.spec as usize) else { continue };
            if !spec.emits {
                continue;
            }
            *alerts += 1;
            count_alert(per_rule, &spec.rule.meta);
            writer.correlation(&spec.rule, spec.correlation.kind.name(), &alert)?;
        }
        Ok(())
    };
    let mut bad_printed = 0usize;
    let (mut bad_values, mut bad_values_printed) = (0u64, 0usize);

    let mut sink = |result: ChunkResult| {
        let (Some(program), Some(correlator), Some(sequencer)) =
            (programs.get(result.program), correlators.get_mut(result.program), sequencers.get_mut(result.program))
        else {
            return true;
        };
        events += result.events;
        unparsed += result.unparsed;
        progress.chunk(result.bytes as u64, result.events);
        let (Some(seen), Some(samples)) = (seen.get_mut(result.program), samples.get_mut(result.program)) else { return true };
        seen.union(&result.seen);
        if let Some(n) = events_per.get_mut(result.program) {
            *n += result.events;
        }
        if !samples.full() {
            samples.offer(result.chunk.records.iter().map(|span| std::str::from_utf8(result.chunk.record(span)).unwrap_or("")));
        }
        for b in &result.bad {
            bad += 1;
            if bad_printed < MAX_PRINTED_BAD {
                bad_printed += 1;
                progress.suspend(|| writeln!(err, "skipped event: {}:{}: {}", b.source, b.line, b.message)).ok();
            }
        }
        for b in &result.bad_values {
            bad_values += 1;
            if bad_values_printed < MAX_PRINTED_BAD {
                bad_values_printed += 1;
                progress.suspend(|| writeln!(err, "bad value: {}:{}: {}", b.source, b.line, b.message)).ok();
            }
        }
        keys_cut += result.keys_cut;
        // Sequence stage matches, one record at a time (a record's hits are adjacent).
        let mut record_feeds: Vec<SeqFeed> = Vec::new();
        let mut hits = result.hits.iter().filter(|h| !h.seq_feeds.is_empty()).peekable();
        while let Some(hit) = hits.next() {
            record_feeds.extend(hit.seq_feeds.iter().cloned());
            if hits.peek().is_some_and(|next| next.record == hit.record) {
                continue;
            }
            arrival += 1;
            let event = SeqEvent { source: result.source.clone(), line: hit.line, text: std::sync::Arc::from(result.event(hit)) };
            let ord = hit.ts.map(|ts| Ordinal { ts, tie: arrival });
            sequencer.feed(&record_feeds, ord, &event, &mut seq_out);
            record_feeds.clear();
        }
        if write_error.is_none() {
            if let Err(e) = emit_sequences(program, &mut seq_out, &mut writer, &mut per_rule, &mut alerts) {
                write_error = Some(e);
            }
        }
        for hit in &result.hits {
            let Some(compiled) = program.rules.get(hit.rule as usize) else { continue };
            if hit.emits {
                let event = result.event(hit);
                alerts += 1;

                count_alert(&mut per_rule, &compiled.rule.meta);
                if write_error.is_none() {
                    if let Err(e) = writer.detection(&compiled.rule, &result.source, hit.line, event, &hit.matched) {
                        write_error = Some(e);
                    }
                }
            }
            for feed in hit.feeds.iter().cloned() {
                correlator.feed(feed, hit.ts, EventRef { source: result.source.clone(), line: hit.line }, &mut corr_out);
            }
            if write_error.is_none() {
                if let Err(e) = emit_correlations(program, &mut corr_out, &mut writer, &mut per_rule, &mut alerts) {
                    write_error = Some(e);
                }
            }
        }
        // Output that can no longer be written (a closed pipe, a full disk) stops the run.
        write_error.is_none()
    };
    let plan = Plan { programs: programs.iter().collect(), per_input };
    run(&plan, routed.as_ref(), &inputs, format_in, threads, &mut sink, &mut source_errors);
    progress.finish();
    let stopped = write_error.is_some();
    for ((program, correlator), sequencer) in programs.iter().zip(&mut correlators).zip(&mut sequencers) {
        if !stopped {
            correlator.finish(&mut corr_out);
            sequencer.finish(&mut seq_out);
        }
        if write_error.is_none() {
            if let Err(e) = emit_sequences(program, &mut seq_out, &mut writer, &mut per_rule, &mut alerts) {
                write_error = Some(e);
            }
        }
        if write_error.is_none() {
            if let Err(e) = emit_correlations(program, &mut corr_out, &mut writer, &mut per_rule, &mut alerts) {
                write_error = Some(e);
            }
        }
    }
    if write_error.is_none() {
        if let Err(e) = writer.finish() {
            write_error = Some(e);
        }
    }
    if let Some(e) = write_error {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }

    // Summary.
    let elapsed = started.elapsed().as_secs_f64();
    for e in &source_errors {
        writeln!(err, "source error: {}: {}", e.source, e.message)?;
    }
    if bad as usize > bad_printed {
        writeln!(err, "… and {} more skipped events", bad as usize - bad_printed)?;
    }
    if bad_values as usize > bad_values_printed {
        writeln!(err, "… and {} more bad values", bad_values as usize - bad_values_printed)?;
    }
    let mut stats = vigil_engine::CorrelationStats::default();
    for c in &correlators {
        stats.evicted_groups += c.stats.evicted_groups;
        stats.evicted_entries += c.stats.evicted_entries;
        stats.untimed += c.stats.untimed;
        stats.peak_bytes = stats.peak_bytes.max(c.stats.peak_bytes);
    }
    writeln!(err, "---")?;
    if stopped {
        writeln!(err, "stopped early: the output was closed; the counts below are of what was read until then")?;
    }
    writeln!(
        err,
        "events: {events} read, {bad} skipped, {bad_values} bad value(s), from {} source(s), {} unreadable; {:.2} s ({:.0} events/s, {threads} thread(s))",
        inputs.len(),
        source_errors.len(),
        elapsed,
        events as f64 / elapsed.max(1e-9)
    )?;
    if unparsed > 0 {
        writeln!(err, "prefilter: {unparsed} of the events read were not parsed: no rule's required text is in their raw bytes")?;
    }
    let left_out = if selection.left_out > 0 { format!(", {} left out by filters", selection.left_out) } else { String::new() };
    writeln!(
        err,
        "rules: {} loaded, {} rejected, {} not runnable with pipeline `{pipeline_name}`{left_out}; {} correlation(s); {} evaluated on every event (no literal to index)",
        (selection.rules.len().saturating_sub(selection.inputs_only.len()) + loaded.filters.len()).saturating_sub(rejected.len() + not_runnable),
        loaded.rejected + rejected.len(),
        not_runnable,
        programs.first().map_or(0, |p| p.correlations.specs.len()),
        programs.iter().map(|p| p.unindexed_rules()).sum::<usize>()
    )?;
    if unreadable_rules > 0 {
        writeln!(err, "rule paths: {unreadable_rules} could not be read")?;
    }
    // Rules that read only what the events never carry: say so, and which layout they have.
    let fields_under = |name: &str| {
        let other = load_pipeline(name).ok()?;
        let compiled = crate::pipelines::compile(&selection.rules, &other);
        Some(compiled.program.fields.fields().map(|(_, n)| n.to_string()).collect::<Vec<_>>())
    };
    for ((((program, seen), samples), name), &events_here) in programs.iter().zip(&seen).zip(&samples).zip(&pipeline_names).zip(&events_per) {
        let mut readers = vec![0usize; program.fields.slot_count()];
        for rule in 0..program.rules.len() {
            for slot in program.rule_slots(rule as u32) {
                if let Some(n) = readers.get_mut(slot as usize) {
                    *n += 1;
                }
            }
        }
        let read: Vec<FieldUse> = program
            .fields
            .fields()
            .map(|(slot, name)| FieldUse { name: name.to_string(), rules: readers.get(slot as usize).copied().unwrap_or(0), seen: seen.contains(slot) })
            .collect();
        if let Some(warning) = unread_warning(&read, program.rules.len(), events_here, samples, name, fields_under) {
            if programs.len() > 1 {
                writeln!(err, "{} inputs read with pipeline `{name}`: {warning}", paint.bold("warning:"))?;
            } else {
                writeln!(err, "{} {warning}", paint.bold("warning:"))?;
            }
        }
    }
    if programs.iter().any(|p| !p.correlations.is_empty()) {
        writeln!(
            err,
            "correlations: {} groups evicted, {} window events evicted, {} matches without a valid timestamp (missing, or an impossible date); peak state {:.1} MB",
            stats.evicted_groups,
            stats.evicted_entries,
            stats.untimed,
            stats.peak_bytes as f64 / 1e6
        )?;
    }
    if programs.iter().any(|p| !p.sequences.is_empty()) {
        let mut q = vigil_engine::SequenceStats::default();
        for s in &sequencers {
            let t = s.stats;
            q.untimed += t.untimed;
            q.late += t.late;
            q.maxspan += t.maxspan;
            q.until += t.until;
            q.missing += t.missing;
            q.evicted_keys += t.evicted_keys;
            q.decided_early += t.decided_early;
            q.keys_cut += t.keys_cut;
            q.piped_out += t.piped_out;
        }
        writeln!(
            err,
            "sequences: {} stage match(es) without a valid timestamp, {} arrived too late for the reorder buffer; {} dropped past maxspan, {} ended by until, {} rejected by a missing event; {} join key(s) evicted, {} decided early, {} key combination(s) cut, {} result(s) left out by head/tail",
            q.untimed,
            q.late,
            q.maxspan,
            q.until,
            q.missing,
            q.evicted_keys,
            q.decided_early,
            q.keys_cut + keys_cut,
            q.piped_out
        )?;
    }
    writeln!(err, "alerts: {}", paint.bold(&alerts.to_string()))?;
    let unreadable = !source_errors.is_empty() || unreadable_rules > 0;
    let mut counts: Vec<_> = per_rule.iter().collect();
    counts.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(a.0.cmp(b.0)));
    for (_, (title, level, n)) in counts {
        writeln!(err, "  {n:>6}  {}", paint.level(*level, title))?;
    }
    writeln!(err, "by level:")?;
    write_levels(&per_rule, paint, err)?;
    // An input that could not be read at all is an I/O error of the run (the other inputs
    // were still processed); findings count only when asked for.
    Ok(if unreadable {
        2
    } else if args.fail_on_detection && alerts > 0 {
        1
    } else {
        0
    })
}
