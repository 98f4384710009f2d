//! `vigil hunt`: run a rule set over event sources and print the alerts.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use vigil_engine::{CorrelationAlert, Correlator, EventRef};
use vigil_events::Input;
use vigil_ir::CorrelationKind;
use vigil_sigma::LoadOptions;

use crate::content;
use crate::output::{AlertWriter, Format};
use crate::pipelines::load_pipeline;
use crate::rules::{link, load_files, load_text, LoadedRules};
use crate::runner::{run, ChunkResult, SourceError};

/// Options of `vigil hunt`.
pub struct HuntArgs {
    pub paths: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub pipeline: Option<String>,
    pub format: Format,
    pub threads: Option<usize>,
    pub logsource: Option<String>,
    /// `--format-in`: read every input in this format instead of the one its content shows.
    pub format_in: Option<String>,
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

fn kind_name(kind: &CorrelationKind) -> &'static str {
    match kind {
        CorrelationKind::EventCount => "event_count",
        CorrelationKind::ValueCount { .. } => "value_count",
        CorrelationKind::Temporal => "temporal",
        CorrelationKind::TemporalOrdered => "temporal_ordered",
        CorrelationKind::Value { aggregate, .. } => match aggregate {
            vigil_ir::Aggregate::Sum => "value_sum",
            vigil_ir::Aggregate::Avg => "value_avg",
            vigil_ir::Aggregate::Median => "value_median",
            vigil_ir::Aggregate::Percentile(_) => "value_percentile",
        },
    }
}

/// Counts one alert of a rule, by handle, for the run summary.
fn count_alert(per_rule: &mut BTreeMap<String, (String, u64)>, meta: &vigil_ir::RuleMeta) {
    per_rule.entry(meta.handle().to_string()).or_insert_with(|| (meta.title.clone(), 0)).1 += 1;
}

/// Runs `vigil hunt`; returns the exit code.
pub fn run_hunt(args: HuntArgs, out: &mut impl Write, err: &mut impl Write) -> anyhow::Result<i32> {
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
    let pipeline_name = match args.pipeline.clone() {
        Some(name) => name,
        None if bundled => "ecs-windows".into(),
        None => crate::runner::natural_pipeline(&expanded.inputs, format_in).into(),
    };
    let pipeline = load_pipeline(&pipeline_name)?;

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
    let rejected: Vec<_> = loaded.files.iter().filter(|f| !f.errors.is_empty()).collect();
    for file in &rejected {
        for d in &file.errors {
            writeln!(err, "rule rejected: {d}")?;
        }
    }
    // The pipeline stage maps every rule to the data source; the engine compiles the result.
    let compiled = crate::pipelines::compile(&loaded.rules, &pipeline);
    for d in &compiled.rejected {
        writeln!(err, "rule rejected: {d}")?;
    }
    for d in &compiled.not_runnable {
        writeln!(err, "rule not run: {d}")?;
    }
    let program = compiled.program;
    if program.rules.is_empty() && program.correlations.is_empty() {
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
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);

    let mut writer = AlertWriter::new(out, args.format);
    let mut correlator = Correlator::new(&program.correlations);
    let mut per_rule: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let (mut events, mut bad, mut alerts) = (0u64, 0u64, 0u64);
    let mut write_error: Option<std::io::Error> = None;
    let mut corr_out: Vec<CorrelationAlert> = Vec::new();
    let emit_correlations = |corr_out: &mut Vec<CorrelationAlert>,
                             writer: &mut AlertWriter<&mut _>,
                             per_rule: &mut BTreeMap<String, (String, u64)>,
                             alerts: &mut u64|
     -> std::io::Result<()> {
        for alert in corr_out.drain(..) {
            let Some(spec) = program.correlations.specs.get(alert.spec as usize) else { continue };
            if !spec.emits {
                continue;
            }
            *alerts += 1;
            count_alert(per_rule, &spec.rule.meta);
            writer.correlation(&spec.rule, kind_name(&spec.correlation.kind), &alert)?;
        }
        Ok(())
    };
    let mut bad_printed = 0usize;

    let mut sink = |result: ChunkResult| {
        events += result.events;
        for b in &result.bad {
            bad += 1;
            if bad_printed < MAX_PRINTED_BAD {
                bad_printed += 1;
                let _ = writeln!(err, "skipped event: {}:{}: {}", b.source, b.line, b.message);
            }
        }
        for hit in &result.hits {
            let Some(compiled) = program.rules.get(hit.rule as usize) else { continue };
            if hit.emits {
                let event = result.event(hit);
                alerts += 1;

                count_alert(&mut per_rule, &compiled.rule.meta);
                if write_error.is_none() {
                    if let Err(e) = writer.detection(&compiled.rule, &result.source, hit.line, event) {
                        write_error = Some(e);
                    }
                }
            }
            for feed in hit.feeds.iter().cloned() {
                correlator.feed(feed, hit.ts, EventRef { source: result.source.clone(), line: hit.line }, &mut corr_out);
            }
            if write_error.is_none() {
                if let Err(e) = emit_correlations(&mut corr_out, &mut writer, &mut per_rule, &mut alerts) {
                    write_error = Some(e);
                }
            }
        }
    };
    run(&program, routed.as_ref(), &inputs, format_in, threads, &mut sink, &mut source_errors);
    correlator.finish(&mut corr_out);
    if write_error.is_none() {
        if let Err(e) = emit_correlations(&mut corr_out, &mut writer, &mut per_rule, &mut alerts) {
            write_error = Some(e);
        }
    }
    if let Some(e) = write_error {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    writer.flush().ok();

    // Summary.
    let elapsed = started.elapsed().as_secs_f64();
    for e in &source_errors {
        writeln!(err, "source error: {}: {}", e.source, e.message)?;
    }
    if bad as usize > bad_printed {
        writeln!(err, "… and {} more skipped events", bad as usize - bad_printed)?;
    }
    let stats = correlator.stats;
    writeln!(err, "---")?;
    writeln!(
        err,
        "events: {events} read, {bad} skipped, from {} source(s), {} unreadable; {:.2} s ({:.0} events/s, {threads} thread(s))",
        inputs.len(),
        source_errors.len(),
        elapsed,
        events as f64 / elapsed.max(1e-9)
    )?;
    writeln!(
        err,
        "rules: {} loaded, {} rejected, {} not runnable with pipeline `{pipeline_name}`; {} correlation(s); {} evaluated on every event (no literal to index)",
        (loaded.rules.len() + loaded.filters.len()).saturating_sub(compiled.rejected.len() + compiled.not_runnable.len()),
        loaded.rejected + compiled.rejected.len(),
        compiled.not_runnable.len(),
        program.correlations.specs.len(),
        program.unindexed_rules()
    )?;
    if !program.correlations.is_empty() {
        writeln!(
            err,
            "correlations: {} groups evicted, {} window events evicted, {} matches without a valid timestamp (missing, or an impossible date); peak state {:.1} MB",
            stats.evicted_groups,
            stats.evicted_entries,
            stats.untimed,
            stats.peak_bytes as f64 / 1e6
        )?;
    }
    writeln!(err, "alerts: {alerts}")?;
    let unreadable = !source_errors.is_empty();
    let mut counts: Vec<_> = per_rule.into_iter().collect();
    counts.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
    for (_, (title, n)) in counts {
        writeln!(err, "  {n:>6}  {title}")?;
    }
    // An input that could not be read at all is an I/O error of the run (the other inputs
    // were still processed).
    Ok(if unreadable { 2 } else { 0 })
}
