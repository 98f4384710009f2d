//! Event readers: everything that touches event files.
//!
//! - [`reader`]: sources (files, directories, stdin, gzip) split into chunks of records;
//! - [`json`]: one JSON record walked along the program's field trie into an event view.
//!
//! New formats (EVTX, auditd, CEF, Zeek) add a module that fills the same
//! [`vigil_engine::EventView`].

pub mod json;
pub mod reader;

pub use json::{extract, JsonError};
pub use reader::{expand_inputs, read_source, BadRecord, Chunk, Input, RecordSpan};
