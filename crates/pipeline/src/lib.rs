//! Processing pipelines: rewrite a rule's IR for one data source, at compile time.
//!
//! A pipeline is a list of transformations, each optionally restricted to rules of some log
//! sources. Pipelines are written in pySigma's processing-pipeline YAML format; the built-in
//! ones (`none`, `ecs-windows`, `evtx`, `windows-flat`) are YAML files in `builtin/`, read by the same parser
//! a user's pipeline goes through.
//!
//! Pipelines never touch the rule files or the IR's structure beyond what a transformation
//! says: a field renamed to two candidate fields becomes an `or` of the two predicates, a
//! logsource condition becomes an `and` with the detection.
//!
//! This is the stage before compile: [`apply_all`] maps a whole rule set (detections, and
//! each correlation's group-by, alias and value fields per referenced rule), and the engine
//! compiles the result without knowing pipelines. Items are decided in order over the rule
//! as earlier items left it, as pySigma does (see [`Applicability`]).

pub mod apply;
pub mod builtin;
pub mod model;
pub mod parse;

pub use apply::{apply, apply_all, Applicability, MappedRule, MappedSet};
pub use builtin::{builtin, BUILTIN_NAMES};
pub use model::{FieldCondition, Item, Pipeline, Transformation};
pub use parse::parse_pipeline;
