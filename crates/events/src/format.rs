//! The input formats vigil reads, by name (`--format-in`) and by content.
//!
//! Each format has a reader: `json` ([`crate::split`] + [`crate::json`]), `evtx`
//! ([`crate::evtx`]), `zeek` ([`crate::zeek_read`]), `crtsh` ([`crate::crtsh`]) and `auditd`
//! ([`crate::auditd`], whose text starts `type=` or `node=`) and `cef` ([`crate::cef_read`]:
//! `CEF:` at the start, or after a syslog header once decoded). A format is recognised from a
//! source's first bytes (magic bytes), not from its file name; `--format-in` overrides that.

use crate::evtx::FILE_MAGIC;

/// The first bytes of a Zeek TSV log (`#separator \\x09`). Zeek logs that are gzipped or
/// JSON are recognised once decoded ([`crate::zeek_read::looks_like_zeek`]).
pub const ZEEK_TSV_MAGIC: &[u8] = b"#separat";

/// An input format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// NDJSON, JSON arrays, concatenated JSON (gzip, UTF-16 decoded first).
    #[default]
    Json,
    /// Windows event log files: chunks of binary XML records.
    Evtx,
    /// Zeek logs, TSV (`#separator` header) or JSON lines with `_path`, rendered as JSON
    /// records under ECS and Zeek names ([`crate::zeek_read`]).
    Zeek,
    /// crt.sh (Certificate Transparency) JSON, rendered with ECS x509 fields
    /// ([`crate::crtsh`]); recognised once decoded.
    CrtSh,
    /// Linux audit logs (`audit.log`): `type=… msg=audit(…):` lines, grouped into events.
    Auditd,
    /// CEF (ArcSight Common Event Format) lines, bare or after a syslog header, rendered with
    /// ECS and CEF names ([`crate::cef`]); recognised once decoded.
    Cef,
}

impl Format {
    /// Every format, in the order `--format-in` lists them.
    pub const ALL: &'static [Format] = &[Format::Json, Format::Evtx, Format::Zeek, Format::CrtSh, Format::Auditd, Format::Cef];

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Evtx => "evtx",
            Format::Zeek => "zeek",
            Format::CrtSh => "crtsh",
            Format::Auditd => "auditd",
            Format::Cef => "cef",
        }
    }

    /// The format named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The format a source starting with `head` is in (EVTX by its magic bytes, auditd by
    /// `type=`/`node=`). Anything not recognised goes to the JSON reader, which names what it does not read.
    pub fn detect(head: &[u8]) -> Format {
        if head.starts_with(FILE_MAGIC) {
            Format::Evtx
        } else if head.starts_with(ZEEK_TSV_MAGIC) {
            Format::Zeek
        } else if head.starts_with(b"type=") || head.starts_with(b"node=") {
            Format::Auditd
        } else if head.starts_with(b"CEF:") {
            Format::Cef
        } else {
            Format::Json
        }
    }

    /// The built-in pipeline whose field names this format's records carry, used when the
    /// user names none.
    pub fn natural_pipeline(self) -> &'static str {
        match self {
            Format::Json => "none",
            Format::Evtx => "evtx",
            // Zeek, crt.sh and CEF records carry ECS names already.
            Format::Zeek | Format::CrtSh | Format::Cef => "none",
            Format::Auditd => "ecs-linux",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_name_and_by_content() {
        assert_eq!(Format::from_name("EVTX"), Some(Format::Evtx));
        assert_eq!(Format::from_name("json"), Some(Format::Json));
        assert_eq!(Format::from_name("xml"), None);
        assert_eq!(Format::detect(b"ElfFile\0\0\0"), Format::Evtx);
        assert_eq!(Format::detect(b"ElfChnk\0"), Format::Json);
        assert_eq!(Format::detect(b"{\"a\":1}"), Format::Json);
        assert_eq!(Format::detect(b""), Format::Json);
        assert_eq!(Format::detect(b"#separator \\x09"), Format::Zeek);
        assert_eq!(Format::from_name("zeek"), Some(Format::Zeek));
        assert_eq!(Format::detect(b"type=SYS"), Format::Auditd);
        assert_eq!(Format::detect(b"node=web"), Format::Auditd);
        assert_eq!(Format::from_name("auditd"), Some(Format::Auditd));
        assert_eq!(Format::detect(b"CEF:0|Ve"), Format::Cef);
        assert_eq!(Format::from_name("CEF"), Some(Format::Cef));
    }
}
