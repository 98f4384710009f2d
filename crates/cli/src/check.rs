//! `vigil check`: load rules, compile them as `hunt` would, and print their diagnostics.
//!
//! Counts are in rules (a rule, a correlation, a filter: one each). A rule is rejected when
//! its document is refused, when linking removes it (an unknown reference, a cycle), or when
//! the engine refuses it whatever the pipeline (a regex over the size limit). A rule the
//! chosen pipeline cannot run (a placeholder without values) is a warning and counted as
//! "not runnable": `hunt` lists exactly these two kinds as rejected and not run. Rule
//! filters (`--min-level`, …) select which loaded rules are compiled and counted; a file
//! that does not load is reported whatever the filters (its level is unknown). Exit codes:
//! 0 every rule loads (warnings and not-runnable rules allowed), 1 a rule was rejected, 2 a
//! path could not be read (I/O errors win over rejections).
//!
//! Formats: `text` (rustc-style, coloured on a terminal), `json` (one object: the
//! diagnostics and the counts), `sarif` (SARIF 2.1.0, one result per diagnostic).

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;
use vigil_ir::{Diagnostic, Severity};
use vigil_sigma::LoadOptions;

use crate::color::Paint;
use crate::filter::RuleFilter;
use crate::pipelines::load_pipeline;
use crate::rules::{file_diagnostic, link, load_files};
use crate::sarif::{Location, SarifLog};

/// Output format of `vigil check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
}

/// Options of `vigil check`.
pub struct CheckArgs {
    pub paths: Vec<PathBuf>,
    pub pipeline: String,
    pub quiet: bool,
    pub format: CheckFormat,
    pub filter: RuleFilter,
}

/// The counts `check` ends with.
struct Counts {
    loaded: usize,
    rejected: usize,
    not_runnable: usize,
    left_out: usize,
    unreadable: usize,
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The message of a diagnostic with its hint, for formats without a hint field.
fn message_with_hint(d: &Diagnostic) -> String {
    match &d.hint {
        Some(hint) => format!("{} (hint: {hint})", d.message),
        None => d.message.clone(),
    }
}

/// Runs `vigil check`; returns the process exit code.
pub fn run(args: &CheckArgs, paint: Paint, out: &mut impl Write) -> anyhow::Result<i32> {
    let pipeline = load_pipeline(&args.pipeline)?;
    let mut loaded = load_files(&args.paths, &LoadOptions::default())?;
    link(&mut loaded);
    let selection = args.filter.apply(std::mem::take(&mut loaded.rules));
    let left_out = selection.left_out;
    let compiled = crate::pipelines::compile(&selection.rules, &pipeline);
    let (rejected_by_engine, not_runnable) = (compiled.rejected.len(), compiled.not_runnable.len());
    for d in compiled.rejected.into_iter().chain(compiled.not_runnable) {
        file_diagnostic(&mut loaded, d);
    }
    let rejected = loaded.rejected + rejected_by_engine;
    // Rules kept only as inputs of selected correlations count as left out, as in `hunt`.
    let selected = selection.rules.len().saturating_sub(selection.inputs_only.len());
    let loaded_rules = (selected + loaded.filters.len()).saturating_sub(rejected_by_engine + not_runnable);
    let unreadable = loaded.files.iter().filter(|f| f.errors.iter().any(|d| d.code.starts_with("io::"))).count();
    let counts = Counts { loaded: loaded_rules, rejected, not_runnable, left_out, unreadable };
    // The diagnostics to show, each with the text of its file.
    let shown = loaded.files.iter().flat_map(|file| {
        let warnings = if args.quiet { &[][..] } else { &file.warnings[..] };
        file.errors.iter().chain(warnings).map(move |d| (d, &file.text))
    });
    match args.format {
        CheckFormat::Text => {
            for (d, text) in shown {
                write!(out, "{}", paint.diagnostic(&d.render(Some(text))))?;
            }
            write_summary(&counts, &args.pipeline, paint, out)?;
        }
        CheckFormat::Json => {
            let diagnostics: Vec<_> = shown
                .map(|(d, _)| {
                    json!({"severity": severity_name(d.severity), "code": d.code, "message": d.message, "hint": d.hint,
                           "file": &*d.source, "line": d.span.line, "column": d.span.col})
                })
                .collect();
            let summary = json!({"loaded": counts.loaded, "rejected": counts.rejected, "not_runnable": counts.not_runnable,
                                 "left_out_by_filters": counts.left_out, "unreadable_paths": counts.unreadable, "pipeline": args.pipeline});
            serde_json::to_writer(&mut *out, &json!({"diagnostics": diagnostics, "summary": summary}))?;
            writeln!(out)?;
        }
        CheckFormat::Sarif => {
            let mut log = SarifLog::default();
            for (d, _) in shown {
                let level = severity_name(d.severity);
                log.rule(d.code, || json!({"name": d.code, "shortDescription": {"text": d.code}, "defaultConfiguration": {"level": level}}));
                let at = Location { path: &d.source, line: u64::from(d.span.line), column: u64::from(d.span.col) };
                log.result(out, d.code, level, message_with_hint(d), &at, None)?;
            }
            log.finish(out)?;
        }
    }
    Ok(if unreadable > 0 {
        2
    } else if rejected > 0 {
        1
    } else {
        0
    })
}

/// The last line of the text format: `checked: N loaded, M rejected[, …]`.
fn write_summary(c: &Counts, pipeline: &str, paint: Paint, out: &mut impl Write) -> std::io::Result<()> {
    if c.unreadable > 0 {
        writeln!(out, "unreadable: {} path(s)", c.unreadable)?;
    }
    let rejected = format!("{} rejected", c.rejected);
    let rejected = if c.rejected > 0 { paint.style(anstyle::AnsiColor::Red.on_default().bold(), &rejected) } else { rejected };
    let mut line = format!("checked: {} loaded, {rejected}", c.loaded);
    if c.not_runnable > 0 {
        line.push_str(&format!(", {} not runnable with pipeline `{pipeline}`", c.not_runnable));
    }
    if c.left_out > 0 {
        line.push_str(&format!(", {} left out by filters", c.left_out));
    }
    writeln!(out, "{line}")
}
