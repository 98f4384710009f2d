//! Processing pipelines: rewrite a rule's IR for one data source, at compile time.
//!
//! A pipeline is a list of transformations, each optionally restricted to rules of some log
//! sources. Pipelines are written in pySigma's processing-pipeline YAML format; the built-in
//! ones (`none`, `ecs-windows`, `evtx`) are YAML files in `builtin/`, read by the same parser
//! a user's pipeline goes through.
//!
//! Pipelines never touch the rule files or the IR's structure beyond what a transformation
//! says: a field renamed to two candidate fields becomes an `or` of the two predicates, a
//! logsource condition becomes an `and` with the detection.

pub mod apply;
pub mod builtin;
pub mod model;
pub mod parse;

pub use apply::{apply, apply_all, Applicability, MappedRule, MappedSet};
pub use builtin::{builtin, BUILTIN_NAMES};
pub use model::{FieldCondition, Item, Pipeline, Transformation};
pub use parse::parse_pipeline;
