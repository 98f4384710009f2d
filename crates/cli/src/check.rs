//! `vigil check`: load rules, compile them as `hunt` would, and print their diagnostics.
//!
//! Counts are in rules (a rule, a correlation, a filter: one each). A rule is rejected when
//! its document is refused, when linking removes it (an unknown reference, a cycle), or when
//! the engine refuses it whatever the pipeline (a regex over the size limit). A rule the
//! chosen pipeline cannot run (a placeholder without values) is a warning and counted as
//! "not runnable": `hunt` lists exactly these two kinds as rejected and not run. Exit codes:
//! 0 every rule loads (warnings and not-runnable rules allowed), 1 a rule was rejected, 2 a
//! path could not be read (I/O errors win over rejections).

use std::io::Write;
use std::path::PathBuf;

use vigil_sigma::LoadOptions;

use crate::pipelines::load_pipeline;
use crate::rules::{file_diagnostic, link, load_files};

/// Runs `vigil check`; returns the process exit code.
pub fn run(paths: &[PathBuf], pipeline_name: &str, quiet_warnings: bool, out: &mut impl Write) -> anyhow::Result<i32> {
    let pipeline = load_pipeline(pipeline_name)?;
    let mut loaded = load_files(paths, &LoadOptions::default())?;
    link(&mut loaded);
    let compiled = crate::pipelines::compile(&loaded.rules, &pipeline);
    let (rejected_by_engine, not_runnable) = (compiled.rejected.len(), compiled.not_runnable.len());
    for d in compiled.rejected.into_iter().chain(compiled.not_runnable) {
        file_diagnostic(&mut loaded, d);
    }
    let rejected = loaded.rejected + rejected_by_engine;
    let loaded_rules = (loaded.rules.len() + loaded.filters.len()).saturating_sub(rejected_by_engine + not_runnable);
    let mut unreadable = 0;
    for file in &loaded.files {
        for d in &file.errors {
            write!(out, "{}", d.render(Some(&file.text)))?;
        }
        if !quiet_warnings {
            for d in &file.warnings {
                write!(out, "{}", d.render(Some(&file.text)))?;
            }
        }
        if file.errors.iter().any(|d| d.code.starts_with("io::")) {
            unreadable += 1;
        }
    }
    if unreadable > 0 {
        writeln!(out, "unreadable: {unreadable} path(s)")?;
    }
    if not_runnable > 0 {
        writeln!(out, "checked: {loaded_rules} loaded, {rejected} rejected, {not_runnable} not runnable with pipeline `{pipeline_name}`")?;
    } else {
        writeln!(out, "checked: {loaded_rules} loaded, {rejected} rejected")?;
    }
    Ok(if unreadable > 0 {
        2
    } else if rejected > 0 {
        1
    } else {
        0
    })
}
