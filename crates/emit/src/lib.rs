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

pub mod cidr_text;
pub mod dialect;
pub mod eql;
pub mod esql;
pub mod kql;
pub mod lucene;
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
pub mod sql_number;
pub mod sql_text;
pub mod sumo;
pub mod target;
pub mod text;
pub mod yaml_text;

pub use dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Precedence, Refusal, MAX_CHAIN};
pub use printer::emit_rule;
pub use target::Target;

use vigil_ir::{Diagnostic, Rule};
use vigil_pipeline::Pipeline;

/// What converting one rule gave: the rule (as the pipeline mapped it) and its query or the
/// reason it was refused.
#[derive(Clone, Debug)]
pub struct Converted {
    pub rule: Rule,
    pub query: Result<String, Diagnostic>,
}

/// Maps `rules` through `pipeline` and prints each one for `target`, in input order. A
/// placeholder the pipeline leaves unresolved (which native evaluation cannot run) is the
/// target's to print as a reference to a named value list, or to refuse
/// (`emit::<target>::placeholder`).
pub fn convert_all(rules: &[Rule], pipeline: &Pipeline, target: Target, options: &Options) -> Vec<Converted> {
    rules
        .iter()
        .map(|rule| {
            let mapped = vigil_pipeline::apply(pipeline, rule);
            // The sigma target prints placeholders as written (`|expand`), unresolved.
            if target == Target::Sigma {
                let query = sigma::print(&mapped.rule, Some(pipeline));
                return Converted { rule: mapped.rule, query };
            }
            let query = if mapped.state.is_empty() {
                emit_rule(&mapped.rule, target, options)
            } else {
                emit_rule(&mapped.rule, target, &Options { state: mapped.state, ..options.clone() })
            };
            Converted { rule: mapped.rule, query }
        })
        .collect()
}
