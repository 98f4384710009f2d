//! The rule intermediate representation (IR) shared by every stage of vigil.
//!
//! Front ends (Sigma today, EQL and TOML later) lower into these types; the engine compiles
//! them, emitters print them, linters walk them. This crate depends on no parser and no
//! serialisation library, so the IR can never drift towards one input language.
//!
//! The IR keeps a rule's structure as written: a `contains` stays a `contains`, a value list
//! stays a list, and every node carries the source [`Span`] it came from. Value
//! transformations (base64, UTF-16, windash, ...) are already expanded here, because they are
//! part of what the rule means, not of how a target prints it.

pub mod compute;
pub mod correlation;
pub mod diagnostic;
pub mod display;
pub mod expr;
pub mod handles;
pub mod pattern;
pub mod rule;
pub mod sequence;
pub mod span;
pub mod written;

pub use compute::{Arith, Cmp, FieldRead, FieldRefParts, FieldType, Func, Scalar, Value};
pub use correlation::{Aggregate, Correlation, CorrelationKind, CountCondition, GroupField, InputFields, RuleRef};
pub use diagnostic::{Diagnostic, Severity};
pub use expr::{Expr, Field, Network, NumOp, Predicate, RegexPattern, Test, TimePart};
pub use handles::HandleIndex;
pub use pattern::{Case, Piece, StrOp, StrPattern};
pub use rule::{AttackTag, Level, LogSource, Rule, RuleBody, RuleMeta, Status};
pub use sequence::{DateFormat, JoinKey, Pipe, Sequence, SequenceKind, Stage};
pub use span::{SourceId, Span};
pub use written::{Identifier, Search, ValueKind, WrittenCondition, WrittenDetection, WrittenFilter, WrittenItem, WrittenValue};

/// The deepest boolean nesting a rule may have. Front ends refuse deeper rules so that every
/// recursive walk over the IR (compile, evaluate, print) has a fixed stack bound.
pub const MAX_NESTING: usize = 64;
