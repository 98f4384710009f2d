//! Choosing a pipeline by name or file, the same way for every command that compiles rules
//! (`hunt` to run them, `check` to report the rules the engine would refuse).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use vigil_pipeline::{builtin, parse_pipeline, Pipeline, BUILTIN_NAMES};

/// One line on each built-in pipeline, for `vigil list pipelines` (a test checks that every
/// built-in has one).
pub const BUILTIN_DESCRIPTIONS: &[(&str, &str)] = &[
    ("none", "no mapping: events already use the rules' field names (e.g. flattened EVTX EventData); no log-source conditions"),
    ("ecs-windows", "ECS as Winlogbeat / Elastic Agent write it; unknown fields under winlog.event_data.; log-source conditions on event.*"),
    ("evtx", "EVTX records as JSON from the evtx crate (Event.System.*, Event.EventData.*); Channel/EventID log-source conditions"),
    ("windows-flat", "flattened Windows exports (OTRF/Mordor, NXLog): EventData at top level beside EventID, Channel, SourceName, Hostname; evtx's log-source conditions (aliases otrf, mordor)"),
    ("ecs-linux", "auditd events as the auditd reader renders them (Auditbeat ECS names beside raw auditd names); conditions on event.*"),
    ("microsoft-xdr", "for --target kql: Defender XDR / Sentinel tables (DeviceProcessEvents, DeviceRegistryEvents, ... SecurityEvent) and their columns by log source (aliases sentinel, defender)"),
    ("splunk-sysmon", "for --target spl: Sysmon / Windows field names as the Splunk Windows add-on extracts them (EventCode), source and event code by log source"),
    ("splunk-cim", "for --target spl: Splunk CIM data-model names (process, process_path, dest_ip, ...) and tags by log source"),
    ("sumo-cse", "for --target sumo: Sumo Logic CSE normalized records (baseImage, commandLine, parentBaseImage, ...) and _index by log source"),
];

/// A built-in pipeline by name (`none`, `ecs-windows`, `evtx`, `windows-flat`), or a pySigma pipeline file.
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

/// A rule set compiled for one pipeline, with the rules that will not run sorted by why.
pub struct Compiled {
    pub program: vigil_engine::Program,
    /// Rules the engine refuses whatever the pipeline (a regex over the size limit, nesting
    /// over the bound): defects of the rule, counted as rejected.
    pub rejected: Vec<vigil_ir::Diagnostic>,
    /// Rules this pipeline cannot run (a placeholder without values, a correlation over such
    /// a rule): another pipeline may run them, so they are warnings, not rejections.
    pub not_runnable: Vec<vigil_ir::Diagnostic>,
}

/// The pipeline stage then compile, as `hunt` and `check` both do: maps every rule to the
/// data source, compiles the result, and sorts the refusals of both stages.
pub fn compile(rules: &[vigil_ir::Rule], pipeline: &Pipeline) -> Compiled {
    let mapped = vigil_pipeline::apply_all(rules, pipeline);
    let (program, report) = vigil_engine::Program::compile(mapped.rules, &mapped.timestamp_fields);
    let (mut rejected, mut not_runnable) = (Vec::new(), Vec::new());
    for d in mapped.refused.into_iter().chain(report.refused) {
        if d.code.starts_with("pipeline::") || d.code == "engine::correlation-input" {
            not_runnable.push(vigil_ir::Diagnostic { severity: vigil_ir::Severity::Warning, ..d });
        } else {
            rejected.push(d);
        }
    }
    Compiled { program, rejected, not_runnable }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_pipeline_is_described_once() {
        let described: Vec<&str> = super::BUILTIN_DESCRIPTIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(described, vigil_pipeline::BUILTIN_NAMES);
    }
}
