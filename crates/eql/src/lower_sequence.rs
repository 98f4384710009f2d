//! Lowering of whole statements: event queries, `sequence` and pipes into a rule body.
//!
//! - An event query without pipes is a detection (`RuleBody::Detection`).
//! - `sequence`: each term's filter is lowered like an event query; its join keys are the
//!   sequence's `by` keys followed by the term's own; `with runs=N` repeats the term N
//!   times; `with maxspan` becomes milliseconds; `until` is a stage of its own.
//! - An event query with `head`/`tail` is a one-stage sequence with no keys: every match
//!   completes at once, and the pipes select among the matches in event order.
//! - Join keys must be fields (Elasticsearch's keys are field references; anything else is
//!   refused by name). A key on a `date` field joins as epoch milliseconds, read with the
//!   mapping's `format` (a format vigil cannot read is refused by name).
//! - `sample`: its terms with their keys, and `max_samples_per_key` from the options.

use vigil_ir::{Diagnostic, FieldType, JoinKey, Pipe as IrPipe, RuleBody, Sequence as IrSequence, SequenceKind, SourceId, Stage};

use crate::ast::{Expr, ExprKind, PipeKind, Query, SequenceTerm, Statement};
use crate::lower::{lower_filter, not_lowered, LowerOptions};

/// Lowers a statement to a rule body.
pub fn lower_statement(source: &SourceId, statement: &Statement, options: &LowerOptions) -> Result<RuleBody, Diagnostic> {
    let pipes: Vec<IrPipe> = statement
        .pipes
        .iter()
        .map(|p| match p.kind {
            PipeKind::Head => IrPipe::Head(p.count),
            PipeKind::Tail => IrPipe::Tail(p.count),
        })
        .collect();
    match &statement.query {
        Query::Event(filter) => {
            let expr = lower_filter(source, filter, options)?;
            if pipes.is_empty() {
                return Ok(RuleBody::Detection(expr));
            }
            let stage = Stage { expr, keys: Vec::new(), missing: false, span: filter.span.0 };
            Ok(RuleBody::Sequence(IrSequence { kind: SequenceKind::Ordered { maxspan_ms: None, until: None }, stages: vec![stage], pipes }))
        }
        Query::Sequence(seq) => {
            let shared = keys(source, &seq.by, options)?;
            let mut stages = Vec::new();
            for term in &seq.terms {
                let stage = lower_term(source, term, &shared, options)?;
                for _ in 0..term.runs.unwrap_or(1).max(1) {
                    stages.push(stage.clone());
                }
            }
            let until = match &seq.until {
                Some(term) => Some(Box::new(lower_term(source, term, &shared, options)?)),
                None => None,
            };
            let maxspan_ms = seq.maxspan.as_ref().map(|m| m.value.saturating_mul(m.unit.millis()));
            Ok(RuleBody::Sequence(IrSequence { kind: SequenceKind::Ordered { maxspan_ms, until }, stages, pipes }))
        }
        Query::Sample(sample) => {
            let shared = keys(source, &sample.by, options)?;
            let mut stages = Vec::new();
            for term in &sample.terms {
                let expr = lower_filter(source, &term.filter, options)?;
                let mut all = shared.clone();
                all.extend(keys(source, &term.by, options)?);
                stages.push(Stage { expr, keys: all, missing: false, span: term.span.0 });
            }
            Ok(RuleBody::Sequence(IrSequence { kind: SequenceKind::Sample { max_samples_per_key: options.max_samples_per_key }, stages, pipes }))
        }
    }
}

fn lower_term(source: &SourceId, term: &SequenceTerm, shared: &[JoinKey], options: &LowerOptions) -> Result<Stage, Diagnostic> {
    let expr = lower_filter(source, &term.filter, options)?;
    let mut all = shared.to_vec();
    all.extend(keys(source, &term.by, options)?);
    Ok(Stage { expr, keys: all, missing: term.missing, span: term.span.0 })
}

/// The join keys `by`: fields through the schema's aliases; a `date` field's key is read
/// with its mapping's formats (Elasticsearch joins dates as epoch milliseconds).
fn keys(source: &SourceId, by: &[Expr], options: &LowerOptions) -> Result<Vec<JoinKey>, Diagnostic> {
    by.iter()
        .map(|e| match &e.kind {
            ExprKind::Field(f) => {
                let name = f.path.join(".");
                let field = options.schema.resolve(&name).to_string();
                let date = if options.schema.type_of(&field) == FieldType::Date {
                    let mut formats = Vec::new();
                    for text in options.schema.date_formats(&field) {
                        formats.extend(crate::date::mapping_format(&text).map_err(|what| not_lowered(source, e.span.0, &format!("a join key on {what}")))?);
                    }
                    Some(formats)
                } else {
                    None
                };
                Ok(JoinKey { field, optional: f.optional, date })
            }
            _ => Err(not_lowered(source, e.span.0, "a join key that is not a field")),
        })
        .collect()
}
