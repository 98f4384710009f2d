//! Correlation rules: stateful conditions over the matches of other rules in a time window.

use crate::span::Span;

/// What a correlation measures per group within its window.
#[derive(Clone, Debug, PartialEq)]
pub enum CorrelationKind {
    /// Number of matching events.
    EventCount,
    /// Number of distinct values of the fields (taken together).
    ValueCount { fields: Vec<String> },
    /// Every referenced rule matched (any order); `condition`, when given, counts distinct rules.
    Temporal,
    /// Every referenced rule matched, in the listed order.
    TemporalOrdered,
    /// An aggregate of a numeric field.
    Value { aggregate: Aggregate, field: String },
}

impl CorrelationKind {
    /// The Sigma correlation `type` (`event_count`, `value_percentile`, …).
    pub fn name(&self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount { .. } => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
            CorrelationKind::Value { aggregate, .. } => match aggregate {
                Aggregate::Sum => "value_sum",
                Aggregate::Avg => "value_avg",
                Aggregate::Median => "value_median",
                Aggregate::Percentile(_) => "value_percentile",
            },
        }
    }
}

/// Numeric aggregates of `value_*` correlations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregate {
    Sum,
    Avg,
    Median,
    /// The P-th percentile (0 to 100, from the condition's `percentile`) of the field's
    /// numeric values in the group's window, as pySigma's matcher computes it: the sorted
    /// values' element at 0-based index `min(floor(n * P / 100), n - 1)`, no interpolation.
    Percentile(f64),
}

/// A bound on the measured quantity; all bounds given must hold (a range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountCondition {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub eq: Option<f64>,
    pub neq: Option<f64>,
}

impl CountCondition {
    /// True when `value` satisfies every bound.
    pub fn holds(&self, value: f64) -> bool {
        self.gt.is_none_or(|b| value > b)
            && self.gte.is_none_or(|b| value >= b)
            && self.lt.is_none_or(|b| value < b)
            && self.lte.is_none_or(|b| value <= b)
            && self.eq.is_none_or(|b| value == b)
            && self.neq.is_none_or(|b| value != b)
    }

    /// True when the condition only bounds from below, so it can be decided as soon as it
    /// holds: more events can never make it false again.
    pub fn is_monotone(&self) -> bool {
        self.lt.is_none() && self.lte.is_none() && self.eq.is_none() && self.neq.is_none()
    }

    pub fn is_empty(&self) -> bool {
        *self == CountCondition::default()
    }
}

/// A group-by field. With aliases, each referenced rule reads the group value from its own
/// field: `per_rule` maps a rule reference (id or name) to that rule's field.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupField {
    pub name: String,
    pub per_rule: Vec<(String, String)>,
}

impl GroupField {
    /// The event field that holds this group value for the rule known by any of `handles`.
    pub fn field_for<'a>(&'a self, handles: &[&str]) -> &'a str {
        self.per_rule.iter().find(|(rule, _)| handles.contains(&rule.as_str())).map(|(_, f)| f.as_str()).unwrap_or(&self.name)
    }
}

/// A reference to another rule by id or name, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub name: String,
    pub span: Span,
}

/// The data-source field names one referenced rule feeds a correlation from, written by a
/// pipeline (empty before one runs: the logical names, with aliases, are then read as is).
///
/// Each entry is a list of candidate names, tried in order: a field a pipeline maps to
/// several names is whichever the event carries (the first present).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputFields {
    /// The reference as written in the correlation's `rules`.
    pub rule: String,
    /// Per group-by field (in `group_by` order), the candidate names.
    pub group_by: Vec<Vec<String>>,
    /// Per value field (`value_count` fields, or the `value_*` field), the candidate names.
    pub values: Vec<Vec<String>>,
}

/// A correlation rule body.
#[derive(Clone, Debug, PartialEq)]
pub struct Correlation {
    pub kind: CorrelationKind,
    /// Referenced rules (ids or names), in order; the order matters for `TemporalOrdered`.
    pub rules: Vec<RuleRef>,
    pub group_by: Vec<GroupField>,
    /// Window length in milliseconds.
    pub timespan_ms: i64,
    pub condition: CountCondition,
    /// When false, the referenced rules do not raise alerts of their own.
    pub generate: bool,
    pub span: Span,
    /// Per referenced stateless rule, the fields a pipeline mapped its inputs to.
    pub mapped: Vec<InputFields>,
    /// Where the `condition` is written (the `correlation` section when it has none).
    pub condition_span: Span,
}

impl Correlation {
    /// The logical value fields: the `value_count` fields, or the `value_*` field.
    pub fn value_fields(&self) -> Vec<String> {
        match &self.kind {
            CorrelationKind::ValueCount { fields } => fields.clone(),
            CorrelationKind::Value { field, .. } => vec![field.clone()],
            CorrelationKind::EventCount | CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => Vec::new(),
        }
    }

    /// The fields a pipeline mapped for the input written as `reference`, if one did.
    pub fn mapped_input(&self, reference: &str) -> Option<&InputFields> {
        self.mapped.iter().find(|m| m.rule == reference)
    }
}
