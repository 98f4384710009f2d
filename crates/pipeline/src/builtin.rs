//! The built-in pipelines, shipped as pySigma-format YAML inside the binary.

use std::sync::Arc;

use vigil_ir::Diagnostic;

use crate::model::Pipeline;
use crate::parse::parse_pipeline;

/// Names of the built-in pipelines, for help texts.
pub const BUILTIN_NAMES: &[&str] = &["none", "ecs-windows", "evtx", "windows-flat", "ecs-linux", "microsoft-xdr", "splunk-sysmon", "splunk-cim", "sumo-cse"];

const ECS_WINDOWS: &str = include_str!("../builtin/ecs-windows.yml");
const ECS_LINUX: &str = include_str!("../builtin/ecs-linux.yml");
const EVTX: &str = include_str!("../builtin/evtx.yml");
const NONE: &str = include_str!("../builtin/none.yml");
const WINDOWS_FLAT: &str = include_str!("../builtin/windows-flat.yml");
/// Target pipelines (emitters): Defender XDR / Sentinel tables, Splunk, Sumo Logic CSE.
const MICROSOFT_XDR: &str = include_str!("../builtin/microsoft-xdr.yml");
const SPLUNK_SYSMON: &str = include_str!("../builtin/splunk-sysmon.yml");
const SPLUNK_CIM: &str = include_str!("../builtin/splunk-cim.yml");
const SUMO_CSE: &str = include_str!("../builtin/sumo-cse.yml");
/// The Windows log-source conditions `evtx` and `windows-flat` share, in place of the line
/// [`INCLUDE_LOGSOURCES`] in each.
const WINDOWS_LOGSOURCES: &str = include_str!("../builtin/windows-logsources.yml");
const INCLUDE_LOGSOURCES: &str = "  # include: windows-logsources.yml\n";

/// A built-in pipeline by name, or `None` when there is no such pipeline.
pub fn builtin(name: &str) -> Option<Result<Pipeline, Vec<Diagnostic>>> {
    let text = match name {
        "none" => NONE,
        "ecs-windows" | "ecs" => ECS_WINDOWS,
        "evtx" => EVTX,
        "ecs-linux" => ECS_LINUX,
        "windows-flat" | "otrf" | "mordor" => WINDOWS_FLAT,
        "microsoft-xdr" | "sentinel" | "defender" => MICROSOFT_XDR,
        "splunk-sysmon" => SPLUNK_SYSMON,
        "splunk-cim" => SPLUNK_CIM,
        "sumo-cse" => SUMO_CSE,
        _ => return None,
    };
    let text = text.replace(INCLUDE_LOGSOURCES, WINDOWS_LOGSOURCES);
    Some(parse_pipeline(Arc::from(format!("<builtin pipeline {name}>").as_str()), &text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for name in BUILTIN_NAMES {
            let pipeline = builtin(name).unwrap();
            assert!(pipeline.is_ok(), "{name}: {:?}", pipeline.err());
        }
    }

    /// Both Windows pipelines carry the shared log-source conditions, once, and the same
    /// number of transformations from them.
    #[test]
    fn windows_pipelines_share_the_logsource_conditions() {
        for text in [EVTX, WINDOWS_FLAT] {
            assert_eq!(text.matches(INCLUDE_LOGSOURCES).count(), 1);
        }
        let shared = WINDOWS_LOGSOURCES.lines().filter(|l| l.starts_with("  - ")).count();
        assert!(shared >= 40, "{shared}");
        let evtx = builtin("evtx").unwrap().unwrap();
        let flat = builtin("windows-flat").unwrap().unwrap();
        let own = |text: &str| text.lines().filter(|l| l.starts_with("  - ")).count();
        assert_eq!(evtx.items.len(), shared + own(EVTX));
        assert_eq!(flat.items.len(), shared + own(WINDOWS_FLAT));
    }
}
