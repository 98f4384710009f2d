//! `vigil check`: load rules and print their diagnostics.

use std::io::Write;
use std::path::PathBuf;

use vigil_sigma::LoadOptions;

use crate::rules::{link, load_files};

/// Runs `vigil check`; returns the process exit code.
pub fn run(paths: &[PathBuf], quiet_warnings: bool, out: &mut impl Write) -> anyhow::Result<i32> {
    let mut loaded = load_files(paths, &LoadOptions::default())?;
    link(&mut loaded);
    let mut rejected = 0;
    for file in &loaded.files {
        for d in &file.errors {
            write!(out, "{}", d.render(Some(&file.text)))?;
        }
        if !quiet_warnings {
            for d in &file.warnings {
                write!(out, "{}", d.render(Some(&file.text)))?;
            }
        }
        if !file.errors.is_empty() {
            rejected += 1;
        }
    }
    let loaded_files = loaded.files.len() - rejected;
    writeln!(out, "checked: {loaded_files} loaded, {rejected} rejected")?;
    Ok(if rejected > 0 { 1 } else { 0 })
}
