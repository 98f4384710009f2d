//! The vigil engine: compile a whole rule set into one [`Program`], then evaluate events.
//!
//! The engine compiles rules as the pipeline stage left them (field names are the data
//! source's); it does not depend on the pipeline crate.
//!
//! - [`fields`]: the fields the program reads, as a trie readers walk (nothing else of an
//!   event is decoded);
//! - [`view`]: the extracted values of one event;
//! - [`matcher`] and [`predicate`]: patterns compiled to their cheapest strategy ([`glob`]:
//!   patterns with `?`);
//! - [`number`]: how numeric tests read event values;
//! - [`time`]: event timestamps;
//! - [`prefilter`]: the candidate index (one multi-pattern scan per field picks the rules
//!   that can match);
//! - [`selectivity`]: which needle groups each rule's index requirement keeps, ranked
//!   across the whole rule set;
//! - [`program`]: compilation and stateless evaluation;
//! - [`route`]: what a record's source label admits (rules, and parts of the index worth
//!   scanning), decided once per label;
//! - [`keyword_gate`]: whether a record's strings must be collected for keyword rules,
//!   decided from its raw text;
//! - [`explain`]: what made a rule match an event (the values its true predicates read);
//! - [`correlate`]: the stateful layer (Sigma correlations), bounded in memory;
//! - [`sequence`]: EQL sequences (hidden stage rules feeding per-key state machines).
//!
//! The engine never panics on event data and touches no files.

pub mod automatons;
pub mod compute;
pub mod compute_func;
pub mod correlate;
pub mod date_format;
pub mod explain;
pub mod glob;
pub mod keyword_gate;
pub use vigil_view::fields;
pub mod matcher;
pub mod number;
pub mod parallel;
pub mod predicate;
pub mod prefilter;
pub mod program;
pub mod raw_json;
pub mod raw_prefilter;
pub mod required;
pub mod route;
pub mod selectivity;
pub mod sequence;
pub mod time;
pub mod version;
pub use vigil_view::view;
pub mod window;

pub use correlate::{CorrelationAlert, CorrelationStats, Correlator, EventRef, Feed, Limits};
pub use fields::{FieldTrie, Slot, TrieNode, KEYWORD_SLOT};
pub use program::{CompileReport, Program, Scratch};
pub use raw_prefilter::{RawPrefilter, RawScratch};
pub use sequence::{Ordinal, SeqEvent, SeqFeed, SequenceAlert, SequenceStats, Sequencer};
pub use view::{EventView, Kind, Value};
pub use vigil_view::SourceLabel;
