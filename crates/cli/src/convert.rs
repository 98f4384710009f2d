//! `vigil convert`: load rules, map them through a pipeline and print each one as a query
//! of another engine (`vigil-emit`), or say why it cannot be; to one target or several in
//! one run.
//!
//! `--target` names one target, a comma-separated list, or `all`. The rules are read,
//! parsed and linked once; each distinct pipeline maps them once (targets naming the same
//! pipeline share the mapped rules; a pipeline without items shares the rules as read), then
//! each target prints them, in parallel (one thread per core), and the results are
//! written in the order the targets were named, so the output of each target is exactly
//! what a run with that target alone prints.
//!
//! Queries go to stdout: one line per rule (`text`) or one JSON object per rule
//! (`ndjson`: `rule.id`, `rule.name`, `target`, and `query` or `error`), or one native rule
//! file per rule into `--out-dir` (`rule`, one target only; the paths written go to
//! stdout). With several targets, `text` starts each target's queries with a header line
//! `# target: NAME`, and `ndjson` objects are grouped by target (each names its own).
//! Diagnostics (rules that do not load, rules a target refuses) and a summary line per
//! target go to stderr, then, with several targets, one line for the whole run. Exit codes:
//! 0 every rule converted; 1 a rule was rejected or refused; 2 a usage or I/O error.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::anyhow;
use vigil_emit::rule_file::{has_rule_file, rule_file};
use vigil_emit::{map_all, print_all, Converted, Mapped, Options, Target};
use vigil_ir::Rule;
use vigil_pipeline::Pipeline;
use vigil_sigma::LoadOptions;

use crate::pipelines::load_pipeline;
use crate::rules::{link, load_files};

/// How converted rules are printed.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ConvertFormat {
    /// One query per line (with several targets, each target's after a `# target: NAME`
    /// line).
    Text,
    /// One JSON object per rule.
    Ndjson,
    /// The target's native rule file, one per rule, written into `--out-dir` (sigma: a
    /// `.yml` Sigma rule; eql: an
    /// Elastic detection rule in TOML).
    Rule,
}

/// The arguments of `vigil convert`.
pub struct ConvertArgs {
    pub target: String,
    pub pipeline: Option<String>,
    pub format: ConvertFormat,
    pub table: Option<String>,
    pub out_dir: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
}

/// The targets `--target` names: one name, a comma-separated list, or `all`; each once, in
/// the order first named.
pub fn parse_targets(spec: &str) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for name in spec.split(',').map(str::trim) {
        let named = if name == "all" {
            Target::ALL.to_vec()
        } else {
            let target = Target::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
                anyhow!("unknown target `{name}`; targets: {} (or several, comma-separated, or `all`)", names.join(", "))
            })?;
            vec![target]
        };
        for t in named {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    Ok(targets)
}

/// A rule handle as a file name: characters other than letters, digits, `-`, `_` and `.`
/// become `_`.
fn file_stem(handle: &str) -> String {
    handle.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

/// One target's part of the run: its rules as converted and the time it took (its
/// pipeline's mapping and its printing; the shared loading is not counted).
struct TargetRun {
    target: Target,
    converted: Vec<Converted>,
    seconds: f64,
}

/// `run` on each of `jobs` on up to one thread per core; the results in the order of `jobs`.
fn parallel<J: Sync, R: Send>(jobs: &[J], run: impl Fn(&J) -> R + Sync) -> Vec<R> {
    vigil_engine::parallel::in_order(jobs, vigil_engine::parallel::cores(), run)
}

/// Maps `rules` through each distinct pipeline once (targets naming the same pipeline share
/// its mapping), then prints them for each target; both steps on up to one thread per core.
/// `jobs` pairs each target with the index of its pipeline in `pipelines`. Returns the
/// mappings beside the runs, for the caller to let go of ([`run`] ends the process).
fn convert_targets(rules: &[Arc<Rule>], pipelines: &[Pipeline], jobs: &[(Target, usize)], options: &Options) -> (Vec<TargetRun>, Vec<(Vec<Mapped>, f64)>) {
    let mapped = parallel(pipelines, |pipeline| {
        let started = Instant::now();
        (map_all(rules, pipeline), started.elapsed().as_secs_f64())
    });
    // Started in this order (see `starts_late`), returned in the order of `jobs`.
    let mut order: Vec<(usize, &(Target, usize))> = jobs.iter().enumerate().collect();
    order.sort_by_key(|(_, (target, _))| starts_late(*target));
    let mut runs: Vec<(usize, TargetRun)> = parallel(&order, |&(index, &(target, p))| {
        let started = Instant::now();
        let (Some(pipeline), Some((mapped, mapping))) = (pipelines.get(p), mapped.get(p)) else {
            return (index, TargetRun { target, converted: Vec::new(), seconds: 0.0 });
        };
        let converted = print_all(mapped, pipeline, target, options);
        (index, TargetRun { target, converted, seconds: mapping + started.elapsed().as_secs_f64() })
    });
    runs.sort_by_key(|(index, _)| *index);
    (runs.into_iter().map(|(_, run)| run).collect(), mapped)
}

/// Targets started after the others: `duckdb` and `spark` print the same CIDR regexes as
/// `sql` (remembered in `vigil_emit::regex_memo`), so started beside it they would wait for
/// the same memo cells instead of working; started late they find them printed.
fn starts_late(target: Target) -> bool {
    matches!(target, Target::Duckdb | Target::Spark)
}

/// Runs `vigil convert`; returns the process exit code.
pub fn run(args: ConvertArgs, out: &mut impl Write, err: &mut impl Write) -> anyhow::Result<i32> {
    let started = Instant::now();
    let targets = parse_targets(&args.target)?;
    let out_dir = match (args.format, &args.out_dir) {
        (ConvertFormat::Rule, _) if targets.len() > 1 => return Err(anyhow!("--format rule writes one target's rule files: name one target")),
        (ConvertFormat::Rule, _) if !targets.iter().all(|&t| has_rule_file(t)) => {
            return Err(anyhow!("target `{}` has no native rule file format", targets.first().map_or("", |t| t.name())))
        }
        (ConvertFormat::Rule, None) => return Err(anyhow!("--format rule writes one file per rule: name the directory with --out-dir")),
        (ConvertFormat::Rule, Some(dir)) => {
            std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
            Some(dir.clone())
        }
        _ => None,
    };
    // Each distinct pipeline loaded (and later applied) once.
    let mut pipeline_names: Vec<&str> = Vec::new();
    let mut jobs = Vec::with_capacity(targets.len());
    for &target in &targets {
        let name = args.pipeline.as_deref().unwrap_or(target.default_pipeline());
        let index = pipeline_names.iter().position(|&n| n == name).unwrap_or_else(|| {
            pipeline_names.push(name);
            pipeline_names.len() - 1
        });
        jobs.push((target, index));
    }
    let pipelines = pipeline_names.iter().map(|name| load_pipeline(name)).collect::<anyhow::Result<Vec<Pipeline>>>()?;
    let mut loaded = load_files(&args.paths, &LoadOptions::default())?;
    link(&mut loaded);
    let loading = started.elapsed().as_secs_f64();
    let mut unreadable = false;
    for file in &loaded.files {
        for d in &file.errors {
            write!(err, "{}", d.render(Some(&file.text)))?;
        }
        unreadable |= file.errors.iter().any(|d| d.code.starts_with("io::"));
    }
    let texts: HashMap<&str, &str> = loaded.files.iter().map(|f| (&*f.path, &*f.text)).collect();
    let options = Options { table: args.table.clone().unwrap_or_else(|| "events".to_string()), source: args.table, ..Options::default() };
    let rules: Vec<Arc<Rule>> = std::mem::take(&mut loaded.rules).into_iter().map(Arc::new).collect();
    let (runs, mapped) = convert_targets(&rules, &pipelines, &jobs, &options);
    let several = runs.len() > 1;
    let mut any_refused = false;
    let mut written_paths = std::collections::HashSet::new();
    for TargetRun { target, converted, seconds } in &runs {
        let target = *target;
        if several && matches!(args.format, ConvertFormat::Text) {
            writeln!(out, "# target: {}", target.name())?;
        }
        let mut refused = 0usize;
        let mut converted_any = false;
        for c in converted {
            let meta = &c.rule.meta;
            match args.format {
                ConvertFormat::Text => match &c.query {
                    // Sigma rules are YAML documents: one stream, `---` between them.
                    Ok(q) if target == Target::Sigma => {
                        if converted_any {
                            writeln!(out, "---")?;
                        }
                        write!(out, "{q}")?;
                        converted_any = true;
                    }
                    Ok(q) => writeln!(out, "{q}")?,
                    Err(_) => {}
                },
                ConvertFormat::Ndjson => {
                    let mut object = serde_json::json!({
                        "rule": { "id": meta.id, "name": meta.title },
                        "target": target.name(),
                    });
                    match &c.query {
                        Ok(q) => object["query"] = q.as_str().into(),
                        Err(d) => object["error"] = format!("[{}] {}", d.code, d.message).into(),
                    }
                    writeln!(out, "{object}")?;
                }
                ConvertFormat::Rule => {
                    if let (Ok(q), Some(dir)) = (&c.query, &out_dir) {
                        let file = rule_file(target, &c.rule, q, &options);
                        if let Some(Err(why)) = &file {
                            writeln!(err, "{}: no {} rule file: {why}", c.rule.source, target.name())?;
                        }
                        if let Some(Ok((text, extension))) = file {
                            // Two rules with one handle (duplicate ids) get two files, never one
                            // overwritten: the later one is `<handle>-2`, `-3`, …
                            let stem = file_stem(meta.handle());
                            let mut path = dir.join(format!("{stem}.{extension}"));
                            let mut n = 1;
                            while !written_paths.insert(path.clone()) {
                                n += 1;
                                path = dir.join(format!("{stem}-{n}.{extension}"));
                            }
                            std::fs::write(&path, text).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
                            writeln!(out, "{}", path.display())?;
                        }
                    }
                }
            }
            if let Err(d) = &c.query {
                refused += 1;
                write!(err, "{}", d.render(texts.get(&*d.source).copied()))?;
            }
        }
        any_refused |= refused > 0;
        // One target alone: its time includes loading, as it always has.
        let seconds = if several { *seconds } else { started.elapsed().as_secs_f64() };
        writeln!(
            err,
            "converted: {} of {} rules to {}, {refused} refused, {} rejected when loading ({seconds:.3} s)",
            converted.len() - refused,
            converted.len(),
            target.name(),
            loaded.rejected,
        )?;
    }
    out.flush()?;
    if several {
        writeln!(
            err,
            "converted: {} rules to {} targets ({}) in {:.3} s, loading {loading:.3} s",
            rules.len(),
            runs.len(),
            targets.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
            started.elapsed().as_secs_f64()
        )?;
    }
    let code = if unreadable {
        2
    } else if any_refused || loaded.rejected > 0 {
        1
    } else {
        0
    };
    // The process ends after this run: freeing the rules, their mappings and every query one
    // allocation at a time (millions of them) cost a tenth of the run (`perf`), for memory
    // the operating system takes back at exit anyway. `vigil convert` runs once per process.
    drop(texts);
    std::mem::forget((runs, mapped, rules, loaded));
    Ok(code)
}
