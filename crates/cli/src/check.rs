//! `vigil check`: load rules, compile them as `hunt` would, and print their diagnostics.
//!
//! Counts are in rules (a rule, a correlation, a filter: one each). A rule is rejected when
//! its document is refused, when linking removes it (an unknown reference, a cycle), or when
//! the engine refuses it under the chosen pipeline (exactly the rules `hunt` lists as not
//! run). Exit codes: 0 every rule loads (warnings allowed), 1 a rule was rejected, 2 a path
//! could not be read (I/O errors win over rejections).

use std::io::Write;
use std::path::PathBuf;

use vigil_ir::{Diagnostic, Rule};
use vigil_pipeline::Pipeline;
use vigil_sigma::LoadOptions;

use crate::pipelines::load_pipeline;
use crate::rules::{file_diagnostic, link, load_files};

/// Runs `vigil check`; returns the process exit code.
pub fn run(paths: &[PathBuf], pipeline: &str, quiet_warnings: bool, out: &mut impl Write) -> anyhow::Result<i32> {
    let pipeline = load_pipeline(pipeline)?;
    let mut loaded = load_files(paths, &LoadOptions::default())?;
    link(&mut loaded);
    let refused = refused_by_engine(&loaded.rules, &pipeline);
    let not_runnable = refused.len();
    for d in refused {
        file_diagnostic(&mut loaded, d);
    }
    let rejected = loaded.rejected + not_runnable;
    let loaded_rules = (loaded.rules.len() + loaded.filters.len()).saturating_sub(not_runnable);
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
    writeln!(out, "checked: {loaded_rules} loaded, {rejected} rejected")?;
    Ok(if unreadable > 0 {
        2
    } else if rejected > 0 {
        1
    } else {
        0
    })
}

/// The rules the engine refuses to compile for `pipeline` (a regex over the size limit, an
/// unresolved placeholder, a correlation over such a rule), as `hunt` reports them.
fn refused_by_engine(rules: &[Rule], pipeline: &Pipeline) -> Vec<Diagnostic> {
    let (_, report) = crate::pipelines::compile(rules, pipeline);
    report.refused
}
