//! Event readers: everything that touches event files.
//!
//! - [`reader`]: sources (files, directories, stdin) read into chunks of records;
//! - [`decode`]: gzip, byte-order marks, UTF-16, and naming formats that are not read
//!   ([`sniff`]);
//! - [`split`]: decoded text split into records, streaming, in bounded memory;
//! - [`walk`]: directory walks (event files and rule files);
//! - [`json`]: one JSON record walked along the program's field trie into an event view;
//! - [`format`]: the input formats, by name and by content;
//! - [`evtx`]: EVTX files cut into chunks, a chunk's records rendered as JSON;
//! - [`winlog`]: EVTX records also under ECS names, as Winlogbeat writes them;
//!   Sysmon's `Hashes` split into `process.hash.*` / `file.hash.*` by [`winlog_hashes`];
//! - [`label`]: a record's source label (product, service, Sigma categories) read from its
//!   own fields, for log-source routing; [`windows_sources`]: Windows channels and event IDs
//!   in Sigma's terms;
//! - [`zeek`], [`zeek_read`], [`zeek_join`], [`zeek_ecs`]: Zeek logs (TSV and JSON) parsed,
//!   ssl joined to x509, rendered under ECS and Zeek names;
//! - [`crtsh`]: crt.sh Certificate Transparency JSON with ECS x509 fields.
//! - [`cef`], [`cef_read`]: CEF lines (bare or after a syslog header) with ECS names;
//! - [`auditd`]: Linux audit logs, records grouped into events; [`auditd_ecs`]: an event
//!   rendered as JSON under ECS (Auditbeat) and raw auditd names.
//!
//! Adding a reader: a variant of [`Format`] (name, magic bytes, natural pipeline), a module
//! that splits a source into [`Chunk`]s, and the worker side that fills the same
//! [`vigil_view::EventView`] along the trie (`vigil-cli`'s `runner::process`).

pub mod auditd;
pub mod auditd_ecs;
pub mod cef;
pub mod cef_read;
mod civil;
pub mod crtsh;
pub mod decode;
pub mod evtx;
pub mod format;
pub mod json;
pub mod label;
pub mod lines;
pub mod reader;
pub mod sniff;
pub mod split;
pub mod walk;
pub mod windows_sources;
pub mod winlog;
pub mod winlog_hashes;
pub mod zeek;
pub mod zeek_ecs;
pub mod zeek_join;
pub mod zeek_read;

pub use format::Format;
pub use json::{extract, JsonError};
pub use reader::{expand_inputs, read_source, read_source_as, read_source_with, sniff_format, BadRecord, Chunk, Expanded, Input, RecordSpan};
pub use split::{Limits, MAX_RECORD_BYTES};
pub use walk::{walk_dir, Skipped, Walk};
