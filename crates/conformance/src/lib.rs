//! Helpers for the data-driven test suites in `tests/`: load rules from text, compile them
//! with a pipeline, evaluate events, and find the SigmaHQ test data (in `testdata/`, and
//! in the shared directory when it is there).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // test harness: a failed expectation is a test failure

pub mod emit_harness;
pub mod endgame;
pub mod eql_qa;
pub mod eql_run;
pub mod generate;
pub mod rng;
pub mod rule_schema;
pub mod sql_engine;
pub mod sql_rows;
pub mod sumo_eval;

use std::path::PathBuf;
use std::sync::Arc;

use vigil_engine::{CompileReport, CorrelationAlert, Correlator, EventRef, Program, Scratch};
use vigil_ir::{Diagnostic, Rule};
use vigil_pipeline::Pipeline;
use vigil_sigma::{link, load_str, LoadOptions};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared test data: `$VIGIL_SHARED` when set, else `../shared` beside the project
/// (CI provides it). It may be absent: the suites then run on the project's own `testdata/`.
pub fn shared() -> PathBuf {
    std::env::var_os("VIGIL_SHARED").map_or_else(|| root().join("../shared"), PathBuf::from)
}

/// One copy of SigmaHQ test data: rules (SigmaHQ's layout) and its regression data, with
/// the counts a suite must find in it (so a suite can never pass on a missing or shrunken
/// copy).
pub struct SigmaData {
    /// Where it comes from, for messages: `testdata` or the shared directory.
    pub name: String,
    /// The rule tree (`rules/`, `rules-emerging-threats/`, ... below it).
    pub rules: PathBuf,
    /// The regression data (`cases.tsv`, `regression_data/…/<id>.json`).
    pub regression: PathBuf,
    /// How many `.yml` files the rule tree holds.
    pub files: usize,
}

/// SigmaHQ rules in the project: `testdata/sigmahq` (a sample of the corpus, see its README).
pub fn sigma_testdata() -> SigmaData {
    let dir = root().join("testdata/sigmahq");
    SigmaData { name: "testdata/sigmahq".into(), rules: dir.join("sigma"), regression: dir.join("regression"), files: 647 }
}

/// Every copy of the SigmaHQ data the suites run on: the project's own sample always, and
/// the whole corpus in the shared directory when it is there. Setting `VIGIL_SHARED` to a
/// directory that lacks the corpus is an error, not a quiet skip.
pub fn sigma_data() -> Vec<SigmaData> {
    let mut out = vec![sigma_testdata()];
    let shared = shared();
    let corpus = shared.join("corpus/sigma");
    if corpus.is_dir() {
        out.push(SigmaData { name: shared.display().to_string(), rules: corpus, regression: shared.join("conformance/sigma-regression"), files: 3791 });
    } else {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", corpus.display());
    }
    out
}

/// Every file under `dir` (recursively) whose name ends in `.{extension}`, sorted.
pub fn files_with_extension(dir: &std::path::Path, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, extension: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, extension, out);
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, extension, &mut out);
    out.sort();
    out
}

/// Reads an expectation file of `testdata/` (tab-separated, `#` comments, one header line)
/// into `first column → the next `columns` columns joined by tabs`.
pub fn read_expectations(name: &str, columns: usize) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("testdata").join(name)).unwrap_or_else(|e| panic!("testdata/{name}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| {
            let mut cols = l.split('\t');
            let key = cols.next().unwrap_or_default().to_string();
            let rest: Vec<&str> = cols.take(columns).collect();
            (key, rest.join("\t"))
        })
        .collect()
}

/// Loads rules from YAML text (all documents) and links them; panics on any error.
pub fn rules(yaml: &str) -> Vec<Rule> {
    let file = load_str(Arc::from("test.yml"), yaml, &LoadOptions::default());
    assert!(file.errors.is_empty(), "rule errors: {:?}", file.errors);
    let mut rules = file.rules;
    let errors: Vec<Diagnostic> = link(&mut rules, &file.filters).into_iter().filter(|d| d.severity == vigil_ir::Severity::Error).collect();
    assert!(errors.is_empty(), "link errors: {errors:?}");
    rules
}

/// Loads rules and returns the diagnostics instead of panicking.
pub fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    let file = load_str(Arc::from("test.yml"), yaml, &LoadOptions::default());
    let mut rules = file.rules;
    let mut out = file.errors;
    out.extend(link(&mut rules, &file.filters).into_iter().filter(|d| d.severity == vigil_ir::Severity::Error));
    out
}

/// A built-in pipeline.
pub fn pipeline(name: &str) -> Pipeline {
    vigil_pipeline::builtin(name).expect("builtin exists").expect("builtin parses")
}

/// Maps rules through `pipeline` (the pipeline stage) and compiles the result, as `hunt`
/// does; the report lists the rules either stage refused.
pub fn compile_report(rules: &[Rule], pipeline: &Pipeline) -> (Program, CompileReport) {
    let mapped = vigil_pipeline::apply_all(rules, pipeline);
    let (program, mut report) = Program::compile(mapped.rules, &mapped.timestamp_fields);
    report.refused.splice(0..0, mapped.refused);
    (program, report)
}

/// Compiles rules (every rule must be runnable).
pub fn compile(rules: &[Rule], pipeline: &Pipeline) -> Program {
    let (program, report) = compile_report(rules, pipeline);
    assert!(report.refused.is_empty(), "refused: {:?}", report.refused);
    program
}

/// For each JSON event, the titles of the stateless rules that match it (via the candidate
/// index), after checking that the index agrees with exhaustive evaluation.
pub fn matches(program: &Program, events: &[&str]) -> Vec<Vec<String>> {
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    events
        .iter()
        .map(|e| {
            view.clear();
            vigil_events::extract(e.as_bytes(), &program.fields, &mut view).expect("valid JSON");
            let mut fast = Vec::new();
            program.matches(&view, None, &mut scratch, &mut fast);
            let mut slow = Vec::new();
            program.matches_exhaustive(&view, &mut slow);
            assert_eq!(fast, slow, "candidate index disagrees with exhaustive evaluation on {e}");
            fast.iter().map(|&r| program.rules[r as usize].rule.meta.title.clone()).collect()
        })
        .collect()
}

/// True when the single rule in `yaml` matches `event` (no pipeline).
pub fn hit(yaml: &str, event: &str) -> bool {
    let program = compile(&rules(yaml), &pipeline("none"));
    !matches(&program, &[event])[0].is_empty()
}

/// Runs events (in order) through rules and correlations; returns the correlation alerts.
pub fn correlate(yaml: &str, events: &[&str]) -> Vec<(String, CorrelationAlert)> {
    correlate_with(yaml, events, vigil_engine::Limits::default()).0
}

/// Like [`correlate`], with explicit memory limits; also returns the correlator's counters.
pub fn correlate_with(yaml: &str, events: &[&str], limits: vigil_engine::Limits) -> (Vec<(String, CorrelationAlert)>, vigil_engine::CorrelationStats) {
    correlate_through(yaml, &pipeline("none"), events, limits)
}

/// Like [`correlate_with`], with the rules mapped through `pipeline` first.
pub fn correlate_through(
    yaml: &str,
    pipeline: &Pipeline,
    events: &[&str],
    limits: vigil_engine::Limits,
) -> (Vec<(String, CorrelationAlert)>, vigil_engine::CorrelationStats) {
    let program = compile(&rules(yaml), pipeline);
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    let mut correlator = Correlator::with_limits(&program.correlations, limits);
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        view.clear();
        vigil_events::extract(e.as_bytes(), &program.fields, &mut view).expect("valid JSON");
        let mut matched = Vec::new();
        program.matches(&view, None, &mut scratch, &mut matched);
        for r in matched {
            let mut feeds = Vec::new();
            program.correlations.feeds(r, &view, &mut feeds);
            let ts = program.timestamp(&view);
            for f in feeds {
                correlator.feed(f, ts, EventRef { source: Arc::from("test"), line: i as u64 + 1 }, &mut out);
            }
        }
    }
    correlator.finish(&mut out);
    let stats = correlator.stats;
    (out.into_iter().map(|a| (program.correlations.specs[a.spec as usize].rule.meta.title.clone(), a)).collect(), stats)
}

/// Reads an event file in the format its content shows (JSON or EVTX) and calls `each`
/// with every record as JSON and its line (JSON) or record number (EVTX); returns the bad
/// records' (line, message), or the error that stopped the read.
pub fn read_records(path: &std::path::Path, each: &mut dyn FnMut(&[u8], u64)) -> Result<Vec<(u64, String)>, String> {
    let mut bad = Vec::new();
    vigil_events::read_source(&vigil_events::Input::Path(path.to_path_buf()), &mut |mut chunk| {
        bad.extend(chunk.errors.iter().map(|b| (b.line, b.message.clone())));
        match chunk.format {
            vigil_events::Format::Json
            | vigil_events::Format::Zeek
            | vigil_events::Format::CrtSh
            | vigil_events::Format::Auditd
            | vigil_events::Format::Cef => {
                for span in &chunk.records {
                    each(chunk.record(span), span.line);
                }
            }
            vigil_events::Format::Evtx => vigil_events::evtx::records(&mut chunk, &mut |record| match record {
                Ok(r) => each(r.json, r.number),
                Err(b) => bad.push((b.line, b.message)),
            }),
        }
        true
    })
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bad)
}
