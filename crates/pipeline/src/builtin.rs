//! The built-in pipelines, shipped as pySigma-format YAML inside the binary.

use std::sync::Arc;

use vigil_ir::Diagnostic;

use crate::model::Pipeline;
use crate::parse::parse_pipeline;

/// Names of the built-in pipelines, for help texts.
pub const BUILTIN_NAMES: &[&str] = &["none", "ecs-windows", "evtx", "ecs-linux"];

const ECS_WINDOWS: &str = include_str!("../builtin/ecs-windows.yml");
const ECS_LINUX: &str = include_str!("../builtin/ecs-linux.yml");
const EVTX: &str = include_str!("../builtin/evtx.yml");
const NONE: &str = include_str!("../builtin/none.yml");

/// A built-in pipeline by name, or `None` when there is no such pipeline.
pub fn builtin(name: &str) -> Option<Result<Pipeline, Vec<Diagnostic>>> {
    let text = match name {
        "none" => NONE,
        "ecs-windows" | "ecs" => ECS_WINDOWS,
        "evtx" => EVTX,
        "ecs-linux" => ECS_LINUX,
        _ => return None,
    };
    Some(parse_pipeline(Arc::from(format!("<builtin pipeline {name}>").as_str()), text))
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
}
