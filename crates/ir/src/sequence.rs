//! Sequence and sample rules (EQL `sequence`, `sample`): ordered or unordered groups of
//! events joined by key, each stage an event test of its own.
//!
//! The engine compiles every stage's expression as a hidden stateless rule (in the same
//! program as the other rules, covered by the candidate index) and feeds the stages' matches
//! to a per-key state machine.

use crate::expr::Expr;
use crate::span::Span;

/// A join key of one stage: the field read, and whether it may be absent (`?field`).
#[derive(Clone, Debug, PartialEq)]
pub struct JoinKey {
    pub field: String,
    /// `?field`: an absent value joins as null. Without it, an event without a value is no
    /// match of the stage (as in Elasticsearch).
    pub optional: bool,
    /// A `date` field: its values join (and are reported) as epoch milliseconds, read with
    /// the first of these formats that reads them (Elasticsearch's doc values of a date);
    /// a value none reads is no value. `None`: the value's text as it is.
    pub date: Option<Vec<DateFormat>>,
}

/// How a `date` value's text is read (one alternative of an Elasticsearch mapping's
/// `format`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `strict_date_optional_time` (ISO 8601 date or date-time, UTC without a zone).
    Iso,
    /// `epoch_millis`: an integer count of milliseconds.
    EpochMillis,
    /// `epoch_second`: an integer count of seconds.
    EpochSecond,
    /// A fixed pattern as a `strftime`-style format (`%d-%m-%Y`), UTC, midnight when it
    /// names no time.
    Pattern(String),
}

/// One stage: the event test and its join keys (the shared keys first, then its own).
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub expr: Expr,
    pub keys: Vec<JoinKey>,
    /// `![ … ]`: no matching event may occur at this place of the sequence.
    pub missing: bool,
    pub span: Span,
}

/// `| head N` / `| tail N`: the first or last N results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pipe {
    Head(u64),
    Tail(u64),
}

/// Whether the stages must occur in order within a time span, or in any order.
#[derive(Clone, Debug, PartialEq)]
pub enum SequenceKind {
    /// `sequence`: stages in order; `with runs=N` is already expanded into N stages.
    Ordered {
        /// `with maxspan`: the first and last event at most this far apart (milliseconds).
        maxspan_ms: Option<u64>,
        /// `until`: an event matching it (with the same key) ends the sequences in flight.
        until: Option<Box<Stage>>,
    },
    /// `sample`: one event per stage with equal keys, in any order, no time bound;
    /// at most `max_samples_per_key` samples per key (Elasticsearch's request parameter,
    /// default 1).
    Sample { max_samples_per_key: usize },
}

/// A sequence or sample rule body.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    pub kind: SequenceKind,
    pub stages: Vec<Stage>,
    pub pipes: Vec<Pipe>,
}

impl Sequence {
    /// Every stage, the `until` stage last.
    pub fn all_stages(&self) -> impl Iterator<Item = &Stage> {
        let until = match &self.kind {
            SequenceKind::Ordered { until, .. } => until.as_deref(),
            SequenceKind::Sample { .. } => None,
        };
        self.stages.iter().chain(until)
    }

    /// Every stage, mutably, the `until` stage last.
    pub fn all_stages_mut(&mut self) -> impl Iterator<Item = &mut Stage> {
        let until = match &mut self.kind {
            SequenceKind::Ordered { until, .. } => until.as_deref_mut(),
            SequenceKind::Sample { .. } => None,
        };
        self.stages.iter_mut().chain(until)
    }
}
