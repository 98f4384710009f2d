//! The reader interface: what every event reader fills, with nothing of the engine behind it
//! (no regex, no Aho-Corasick, no pipeline).
//!
//! - [`fields`]: the fields a program reads, as a trie readers walk (nothing else of an
//!   event is decoded);
//! - [`view`]: the extracted values of one event;
//! - [`label`]: where a record comes from (product, service, Sigma categories), for
//!   log-source routing.

pub mod fields;
mod keys;
pub mod label;
pub mod view;

pub use fields::{FieldTrie, Slot, TrieNode, KEYWORD_SLOT};
pub use label::SourceLabel;
pub use view::{EventView, Kind, Value};

/// Hash map with the fast non-cryptographic hasher the engine uses.
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;
