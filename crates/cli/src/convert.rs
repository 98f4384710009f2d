//! `vigil convert`: load rules, map them through a pipeline and print each one as a query
//! of another engine (`vigil-emit`), or say why it cannot be.
//!
//! Queries go to stdout: one line per rule (`text`) or one JSON object per rule
//! (`ndjson`: `rule.id`, `rule.name`, `target`, and `query` or `error`), or one native rule
//! file per rule into `--out-dir` (`rule`; the paths written go to stdout). Diagnostics (rules
//! that do not load, rules the target refuses) and a summary line go to stderr. Exit codes:
//! 0 every rule converted; 1 a rule was rejected or refused; 2 a usage or I/O error.

use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use vigil_emit::rule_file::{has_rule_file, rule_file};
use vigil_emit::{convert_all, Options, Target};
use vigil_sigma::LoadOptions;

use crate::pipelines::load_pipeline;
use crate::rules::{link, load_files};

/// How converted rules are printed.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ConvertFormat {
    /// One query per line.
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

/// A rule handle as a file name: characters other than letters, digits, `-`, `_` and `.`
/// become `_`.
fn file_stem(handle: &str) -> String {
    handle.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

/// Runs `vigil convert`; returns the process exit code.
pub fn run(args: ConvertArgs, out: &mut impl Write, err: &mut impl Write) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let target = Target::parse(&args.target).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        anyhow!("unknown target `{}`; targets: {}", args.target, names.join(", "))
    })?;
    let out_dir = match (args.format, &args.out_dir) {
        (ConvertFormat::Rule, _) if !has_rule_file(target) => return Err(anyhow!("target `{}` has no native rule file format", target.name())),
        (ConvertFormat::Rule, None) => return Err(anyhow!("--format rule writes one file per rule: name the directory with --out-dir")),
        (ConvertFormat::Rule, Some(dir)) => {
            std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
            Some(dir.clone())
        }
        _ => None,
    };
    let pipeline = load_pipeline(args.pipeline.as_deref().unwrap_or(target.default_pipeline()))?;
    let mut loaded = load_files(&args.paths, &LoadOptions::default())?;
    link(&mut loaded);
    let mut unreadable = false;
    for file in &loaded.files {
        for d in &file.errors {
            write!(err, "{}", d.render(Some(&file.text)))?;
        }
        unreadable |= file.errors.iter().any(|d| d.code.starts_with("io::"));
    }
    let options = Options { table: args.table.clone().unwrap_or_else(|| "events".to_string()), source: args.table, ..Options::default() };
    let converted = convert_all(&loaded.rules, &pipeline, target, &options);
    let mut refused = 0usize;
    let mut converted_any = false;
    let mut written_paths = std::collections::HashSet::new();
    for c in &converted {
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
                    if let Some((text, extension)) = rule_file(target, &c.rule, q, &options) {
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
            let text = loaded.files.iter().find(|f| *f.path == *d.source).map(|f| &*f.text);
            write!(err, "{}", d.render(text))?;
        }
    }
    out.flush()?;
    writeln!(
        err,
        "converted: {} of {} rules to {}, {refused} refused, {} rejected when loading ({:.3} s)",
        converted.len() - refused,
        converted.len(),
        target.name(),
        loaded.rejected,
        started.elapsed().as_secs_f64()
    )?;
    Ok(if unreadable {
        2
    } else if refused > 0 || loaded.rejected > 0 {
        1
    } else {
        0
    })
}
