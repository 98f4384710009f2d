//! Emitters: a rule's IR printed as a query of another engine.
//!
//! One generic printer ([`printer`]) walks the boolean tree; each target is one small file
//! with its capability table (a [`Dialect`]): how it spells string comparison with and
//! without case folding, wildcards, numbers, null tests, and which constructs it cannot
//! express. A construct a target cannot express exactly is refused with a diagnostic coded
//! `emit::<target>::<construct>` that names the rule; nothing is printed approximately.
//!
//! The emitter sees rules after the pipeline stage ([`convert_all`] applies it), so field
//! names are the target's. Shared pieces: [`regex_text`] prints a Sigma regex for other
//! engines with every class spelled out, [`cidr_text`] writes a CIDR test as a regex over
//! every spelling of the addresses, [`rule_file`] wraps a query in a target's native rule
//! file (`--format rule`).

pub mod cidr_hir;
pub mod cidr_text;
pub mod dialect;
pub mod eql;
pub mod esql;
pub mod kql;
pub mod lucene;
pub mod pattern_text;
pub mod printer;
pub mod regex_memo;
pub mod regex_text;
pub mod rule_file;
pub mod rule_id;
pub mod savedsearch;
pub mod sentinel_rule;
pub mod sigma;
pub mod sigma_correlation;
pub mod spark;
pub mod spl;
pub mod sql;
pub mod sql_correlation;
pub mod sql_fieldref;
pub mod sql_number;
pub mod sql_text;
pub mod sumo;
pub mod target;
pub mod text;
pub mod yaml_text;

pub use dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Precedence, Refusal, MAX_CHAIN};
pub use printer::emit_rule;
pub use target::Target;

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_ir::{Diagnostic, Rule};
use vigil_pipeline::Pipeline;

/// What converting one rule gave: the rule (as the pipeline mapped it, shared by every
/// target printed from the same mapping) and its query or the reason it was refused.
#[derive(Clone, Debug)]
pub struct Converted {
    pub rule: Arc<Rule>,
    pub query: Result<String, Diagnostic>,
}

/// A rule as a pipeline mapped it, with the pipeline state the emitters read (`set_state`).
#[derive(Clone, Debug)]
pub struct Mapped {
    pub rule: Arc<Rule>,
    pub state: BTreeMap<String, String>,
    /// The rule as loaded, before the pipeline: a correlation is mapped together with the
    /// rules it references (`sql_correlation`), from the loaded set.
    pub source: Arc<Rule>,
}

/// Maps `rules` through `pipeline`, in input order, once for every target that uses it. A
/// pipeline without items leaves a rule as it is, so the rule is shared, not copied.
pub fn map_all(rules: &[Arc<Rule>], pipeline: &Pipeline) -> Vec<Mapped> {
    rules
        .iter()
        .map(|rule| {
            if pipeline.items.is_empty() {
                return Mapped { rule: Arc::clone(rule), state: BTreeMap::new(), source: Arc::clone(rule) };
            }
            let mapped = vigil_pipeline::apply(pipeline, rule);
            Mapped { rule: Arc::new(mapped.rule), state: mapped.state, source: Arc::clone(rule) }
        })
        .collect()
}

/// Prints rules `pipeline` mapped ([`map_all`]) for `target`, in input order. A placeholder
/// the pipeline leaves unresolved (which native evaluation cannot run) is the target's to
/// print as a reference to a named value list, or to refuse (`emit::<target>::placeholder`).
pub fn print_all(mapped: &[Mapped], pipeline: &Pipeline, target: Target, options: &Options) -> Vec<Converted> {
    // The rule set as loaded, which a correlation's SQL statement reads its references from.
    let loaded: std::cell::OnceCell<Vec<Arc<Rule>>> = std::cell::OnceCell::new();
    mapped
        .iter()
        .map(|Mapped { rule, state, source }| {
            let correlation = matches!(source.body, vigil_ir::RuleBody::Correlation(_));
            // The sigma target prints placeholders as written (`|expand`), unresolved.
            let query = if target == Target::Sigma {
                sigma::print(rule, Some(pipeline))
            } else if let (Target::Sql | Target::Duckdb, true) = (target, correlation) {
                // The SQL targets print a correlation with the rules it references.
                let sql = if target == Target::Sql { &sql::SQLITE } else { &sql::DUCKDB };
                let set = loaded.get_or_init(|| mapped.iter().map(|m| Arc::clone(&m.source)).collect());
                sql_correlation::convert(source, set, pipeline, sql, options)
            } else if state.is_empty() {
                emit_rule(rule, target, options)
            } else {
                emit_rule(rule, target, &Options { state: state.clone(), ..options.clone() })
            };
            Converted { rule: Arc::clone(rule), query }
        })
        .collect()
}

/// Maps `rules` through `pipeline` and prints each one for `target`, in input order
/// ([`map_all`] then [`print_all`]).
pub fn convert_all(rules: &[Rule], pipeline: &Pipeline, target: Target, options: &Options) -> Vec<Converted> {
    let shared: Vec<Arc<Rule>> = rules.iter().cloned().map(Arc::new).collect();
    print_all(&map_all(&shared, pipeline), pipeline, target, options)
}
