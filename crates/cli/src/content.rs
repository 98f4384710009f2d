//! The built-in rule pack and bundled sample telemetry from `content/`, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/content.rs"));
