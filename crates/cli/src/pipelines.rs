//! Choosing a pipeline by name or file, the same way for every command that compiles rules
//! (`hunt` to run them, `check` to report the rules the engine would refuse).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use vigil_pipeline::{builtin, parse_pipeline, Pipeline, BUILTIN_NAMES};

/// A built-in pipeline by name (`none`, `ecs-windows`, `evtx`), or a pySigma pipeline file.
pub fn load_pipeline(name: &str) -> anyhow::Result<Pipeline> {
    if let Some(result) = builtin(name) {
        return result.map_err(|ds| anyhow::anyhow!(ds.iter().map(|d| d.render(None)).collect::<String>()));
    }
    let path = PathBuf::from(name);
    if !path.is_file() {
        bail!("unknown pipeline `{name}`: not a built-in ({}) and not a file", BUILTIN_NAMES.join(", "));
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading pipeline {}", path.display()))?;
    let source: Arc<str> = Arc::from(path.display().to_string().as_str());
    let text = vigil_yaml::decode(&source, &bytes).map_err(|d| anyhow::anyhow!(d.render(Some(&String::from_utf8_lossy(&bytes)))))?;
    parse_pipeline(source, text).map_err(|ds| anyhow::anyhow!(ds.iter().map(|d| d.render(Some(text))).collect::<String>()))
}

/// The pipeline stage then compile: maps every rule to the data source, compiles the result,
/// and reports the rules either stage refused (mapping first), as `hunt` and `check` both do.
pub fn compile(rules: &[vigil_ir::Rule], pipeline: &Pipeline) -> (vigil_engine::Program, vigil_engine::CompileReport) {
    let mapped = vigil_pipeline::apply_all(rules, pipeline);
    let (program, mut report) = vigil_engine::Program::compile(mapped.rules, &mapped.timestamp_fields);
    report.refused.splice(0..0, mapped.refused);
    (program, report)
}
