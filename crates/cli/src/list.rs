//! `vigil list pipelines|targets|rules`: what a run can use, without running it.
//!
//! `pipelines`: each built-in pipeline's name and one line. `targets`: each `convert`
//! target's name and one line. `rules`: the rules of a rule set
//! (default: the built-in pack) after the rule filters, one per line with id, level, status
//! and title, tab-separated so the list can be cut and sorted; rules that do not load are
//! counted on stderr (run `vigil check` for their diagnostics).

use std::io::Write;
use std::path::PathBuf;

use vigil_sigma::LoadOptions;

use crate::filter::RuleFilter;
use crate::rules::{link, load_files, load_text, LoadedRules};

/// What to list.
#[derive(clap::Subcommand)]
pub enum What {
    /// The built-in pipelines (for `--pipeline`), one line each.
    Pipelines,
    /// The query languages of `vigil convert --target`, one line each.
    Targets,
    /// The rules of a rule set after the filters: id, level, status, title (tab-separated).
    Rules {
        /// Sigma rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filter: RuleFilter,
    },
}

/// Loads rule files, or the built-in pack when `paths` is empty, and links them.
pub fn load_rule_set(paths: &[PathBuf]) -> std::io::Result<LoadedRules> {
    let mut loaded = if paths.is_empty() {
        let mut l = LoadedRules::default();
        for (name, text) in crate::content::RULES {
            load_text(&mut l, format!("<builtin>/rules/{name}"), text.to_string(), &LoadOptions::default());
        }
        l
    } else {
        load_files(paths, &LoadOptions::default())?
    };
    link(&mut loaded);
    Ok(loaded)
}

/// Runs `vigil list`; returns the exit code (2 when a rule path could not be read).
pub fn run(what: What, out: &mut impl Write) -> anyhow::Result<i32> {
    match what {
        What::Pipelines => {
            for (name, line) in crate::pipelines::BUILTIN_DESCRIPTIONS {
                writeln!(out, "{name:<12} {line}")?;
            }
            Ok(0)
        }
        What::Targets => {
            for target in vigil_emit::Target::ALL {
                writeln!(out, "{:<12} {} (default pipeline: {})", target.name(), target.description(), target.default_pipeline())?;
            }
            Ok(0)
        }
        What::Rules { paths, filter } => {
            let mut loaded = load_rule_set(&paths)?;
            let selection = filter.apply(std::mem::take(&mut loaded.rules));
            for rule in selection.rules.iter().filter(|r| !selection.inputs_only.contains(&crate::filter::DocumentKey::of(r))) {
                let meta = &rule.meta;
                let status = meta.status.map(vigil_ir::Status::name).unwrap_or("-");
                writeln!(out, "{}\t{}\t{status}\t{}", meta.handle(), meta.level.map(|l| l.as_str()).unwrap_or("-"), meta.title)?;
            }
            let unreadable = loaded.files.iter().filter(|f| f.errors.iter().any(|d| d.code.starts_with("io::"))).count();
            let mut notes = Vec::new();
            if selection.left_out > 0 {
                notes.push(format!("{} left out by filters", selection.left_out));
            }
            if loaded.rejected > 0 {
                notes.push(format!("{} rejected (see `vigil check`)", loaded.rejected));
            }
            if unreadable > 0 {
                notes.push(format!("{unreadable} unreadable path(s)"));
            }
            if !notes.is_empty() {
                eprintln!("rules: {}", notes.join(", "));
            }
            Ok(if unreadable > 0 { 2 } else { 0 })
        }
    }
}
