//! The pipeline data model.

use std::collections::HashMap;

use vigil_ir::{Expr, LogSource};

/// A processing pipeline.
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    pub name: String,
    pub items: Vec<Item>,
    /// Values for `%name%` placeholders (pySigma `vars`).
    pub vars: HashMap<String, Vec<String>>,
    /// Fields that carry the event time, tried in order (vigil extension `timestamp_fields`).
    pub timestamp_fields: Vec<String>,
}

/// A restriction of which fields a transformation touches.
#[derive(Clone, Debug)]
pub enum FieldCondition {
    Include(Vec<FieldMatcher>),
    Exclude(Vec<FieldMatcher>),
}

/// A field name matcher: a plain name or a regular expression over the whole name.
#[derive(Clone, Debug)]
pub enum FieldMatcher {
    Plain(String),
    Regex(regex::Regex),
}

impl FieldMatcher {
    pub fn matches(&self, field: &str) -> bool {
        match self {
            FieldMatcher::Plain(name) => name == field,
            FieldMatcher::Regex(re) => re.is_match(field),
        }
    }
}

impl FieldCondition {
    pub fn allows(&self, field: &str) -> bool {
        match self {
            FieldCondition::Include(m) => m.iter().any(|m| m.matches(field)),
            FieldCondition::Exclude(m) => !m.iter().any(|m| m.matches(field)),
        }
    }
}

/// One processing item: a transformation and when it applies.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: Option<String>,
    pub transformation: Transformation,
    /// Log sources the rule must fit (any of them with `rule_cond_op: or`, all with `and`).
    pub rule_conditions: Vec<LogSource>,
    pub rule_cond_any: bool,
    /// All must allow a field for a field transformation to touch it.
    pub field_conditions: Vec<FieldCondition>,
}

impl Item {
    /// True when this item applies to a rule of `logsource`.
    pub fn applies_to(&self, logsource: &LogSource) -> bool {
        if self.rule_conditions.is_empty() {
            return true;
        }
        let mut fits = self.rule_conditions.iter().map(|c| c.is_within(logsource));
        if self.rule_cond_any {
            fits.any(|b| b)
        } else {
            fits.all(|b| b)
        }
    }

    pub fn touches_field(&self, field: &str) -> bool {
        self.field_conditions.iter().all(|c| c.allows(field))
    }
}

/// What a processing item does.
#[derive(Clone, Debug)]
pub enum Transformation {
    /// Rename fields; a name mapped to several fields matches when any of them does.
    FieldNameMapping(HashMap<String, Vec<String>>),
    /// Prefix field names. Two vigil extensions: `prefix` may be a list (the field is then
    /// any of the prefixed names), and `only_unmapped` leaves names an earlier mapping of
    /// this pipeline produced untouched.
    FieldNamePrefix { prefixes: Vec<String>, only_unmapped: bool },
    /// AND a condition (written as a detection) to the rule.
    AddCondition(Expr),
    /// Replace the rule's log source parts that are given.
    ChangeLogsource(LogSource),
    /// Drop the detection items on the fields the field conditions select.
    DropDetectionItem,
    /// Resolve `%name%` placeholders from `vars` (all of them, or the listed ones).
    ValuePlaceholders { include: Option<Vec<String>> },
    /// Set a key of the rule's pipeline state (pySigma `set_state`): what an emitter reads
    /// besides the rule, e.g. the `table` or `index` a query reads for this log source.
    SetState { key: String, value: String },
}
