//! Event readers: everything that touches event files.
//!
//! - [`reader`]: sources (files, directories, stdin) read into chunks of records;
//! - [`decode`]: gzip, byte-order marks, UTF-16, and naming formats that are not read
//!   ([`sniff`]);
//! - [`split`]: decoded text split into records, streaming, in bounded memory;
//! - [`walk`]: directory walks (event files and rule files);
//! - [`json`]: one JSON record walked along the program's field trie into an event view.
//!
//! New formats (EVTX, auditd, CEF, Zeek) add a module that fills the same
//! [`vigil_engine::EventView`].

pub mod decode;
pub mod json;
pub mod reader;
pub mod sniff;
pub mod split;
pub mod walk;

pub use json::{extract, JsonError};
pub use reader::{expand_inputs, read_source, read_source_with, BadRecord, Chunk, Expanded, Input, RecordSpan};
pub use split::{Limits, MAX_RECORD_BYTES};
pub use walk::{walk_dir, Skipped, Walk};
