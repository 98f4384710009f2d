//! A record's source label, read from the record's own fields, so that the same record gets
//! the same label whichever reader rendered it (a native EVTX record and its JSON dump, a raw
//! `audit.log` event and Auditbeat's JSON of it):
//!
//! - Windows event records, in EVTX layout (`Event.System.Channel`, `Event.System.EventID`)
//!   or flat (`Channel` and `EventID` at the top): product `windows`, the channel's service,
//!   the categories of the channel and event ID ([`crate::windows_sources`]);
//! - `event.module: auditd` (the auditd reader, Auditbeat): product `linux`, service `auditd`,
//!   `process_creation` for process starts (`event.category: process`, `event.type: start`);
//! - `event.module: zeek` (the Zeek reader): product `zeek`, the service from
//!   `event.dataset` (`zeek.ssl` → `ssl`);
//! - `event.module: cef` (the CEF reader): category `proxy` when the record has a URL
//!   (`url.original`, CEF `request`); otherwise nothing is known (CEF names no product in
//!   Sigma's terms).
//!
//! Anything else has no label and is evaluated against every rule, as before routing.
//! [`Labeller::new`] extends a program's trie with the fields labels are read from; a
//! record extracted with that trie is labelled by [`Labeller::label`].

use vigil_view::{EventView, FieldTrie, Slot, SourceLabel};

use crate::windows_sources::windows_label;

/// Zeek logs Sigma names as services (`product: zeek`); another log has no service label.
const ZEEK_SERVICES: &[&str] = &[
    "conn",
    "dce_rpc",
    "dhcp",
    "dnp3",
    "dns",
    "dpd",
    "files",
    "ftp",
    "http",
    "intel",
    "irc",
    "kerberos",
    "modbus",
    "mysql",
    "notice",
    "ntlm",
    "ntp",
    "pe",
    "radius",
    "rdp",
    "rfb",
    "sip",
    "smb_files",
    "smb_mapping",
    "smtp",
    "snmp",
    "socks",
    "software",
    "ssh",
    "ssl",
    "syslog",
    "tunnel",
    "weird",
    "x509",
];

/// The fields labels are read from, and the trie to extract records with.
#[derive(Debug, Clone)]
pub struct Labeller {
    trie: FieldTrie,
    evtx_channel: Slot,
    evtx_event_id: Slot,
    evtx_event_id_text: Slot,
    flat_channel: Slot,
    flat_event_id: Slot,
    module: Slot,
    dataset: Slot,
    category: Slot,
    kind: Slot,
    url: Slot,
}

impl Labeller {
    /// Labels for records extracted with `fields` extended by the label fields.
    pub fn new(fields: &FieldTrie) -> Labeller {
        let mut trie = fields.clone();
        Labeller {
            evtx_channel: trie.slot("Event.System.Channel"),
            evtx_event_id: trie.slot("Event.System.EventID"),
            evtx_event_id_text: trie.slot("Event.System.EventID.#text"),
            flat_channel: trie.slot("Channel"),
            flat_event_id: trie.slot("EventID"),
            module: trie.slot("event.module"),
            dataset: trie.slot("event.dataset"),
            category: trie.slot("event.category"),
            kind: trie.slot("event.type"),
            url: trie.slot("url.original"),
            trie,
        }
    }

    /// The trie to extract records with: the given fields and those labels are read from.
    pub fn trie(&self) -> &FieldTrie {
        &self.trie
    }

    /// The same labeller whose trie collects no keyword values (same slots), for records that
    /// do not need them (`Program::needs_keywords` of the engine).
    pub fn without_keywords(&self) -> Labeller {
        let mut lean = self.clone();
        lean.trie.disable_keywords();
        lean
    }

    /// The label of a record extracted with [`Labeller::trie`]; `None` when its fields say
    /// nothing of where it comes from.
    pub fn label(&self, view: &EventView) -> Option<SourceLabel> {
        let first = |slot: Slot| view.first(slot).map(|v| v.text);
        if let Some(channel) = first(self.evtx_channel) {
            if let Some(id) = first(self.evtx_event_id).or_else(|| first(self.evtx_event_id_text)) {
                return Some(windows_label(channel, id));
            }
        }
        if let (Some(channel), Some(id)) = (first(self.flat_channel), first(self.flat_event_id)) {
            return Some(windows_label(channel, id));
        }
        match first(self.module)? {
            m if m.eq_ignore_ascii_case("auditd") => {
                let has = |slot: Slot, want: &str| view.values(slot).any(|v| v.text.eq_ignore_ascii_case(want));
                let starts = has(self.category, "process") && has(self.kind, "start");
                Some(SourceLabel { product: Some("linux"), service: Some("auditd"), categories: if starts { &["process_creation"] } else { &[] } })
            }
            m if m.eq_ignore_ascii_case("zeek") => {
                let log = first(self.dataset).and_then(|d| d.strip_prefix("zeek.")).unwrap_or("");
                let service = ZEEK_SERVICES.iter().copied().find(|s| s.eq_ignore_ascii_case(log));
                Some(SourceLabel { product: Some("zeek"), service, categories: &[] })
            }
            m if m.eq_ignore_ascii_case("cef") => first(self.url).map(|_| SourceLabel { product: None, service: None, categories: &["proxy"] }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label_of(json: &str) -> Option<SourceLabel> {
        let labeller = Labeller::new(&FieldTrie::default());
        let mut view = EventView::new(labeller.trie().slot_count());
        crate::extract(json.as_bytes(), labeller.trie(), &mut view).unwrap_or_else(|e| panic!("{e}"));
        labeller.label(&view)
    }

    #[test]
    fn records_are_labelled_by_their_own_fields() {
        let sysmon = label_of(r#"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13}}}"#);
        assert_eq!(sysmon.map(|l| l.categories), Some(&["registry_set", "registry_event"][..]));
        // EventID with qualifiers, as the evtx crate renders it.
        let system = label_of(r##"{"Event":{"System":{"Channel":"System","EventID":{"#attributes":{"Qualifiers":16384},"#text":7045}}}}"##);
        assert_eq!(system.and_then(|l| l.service), Some("system"));
        let flat = label_of(r#"{"Channel":"Security","EventID":"4688","CommandLine":"x"}"#);
        assert_eq!(flat.map(|l| (l.service, l.categories)), Some((Some("security"), &["process_creation"][..])));
        let exec = label_of(r#"{"event":{"module":"auditd","category":["process"],"type":["start"]}}"#);
        assert_eq!(exec.map(|l| (l.product, l.categories)), Some((Some("linux"), &["process_creation"][..])));
        let login = label_of(r#"{"event.module":"auditd","event.category":["authentication"]}"#);
        assert_eq!(login.map(|l| l.categories.len()), Some(0));
        let ssl = label_of(r#"{"event":{"module":"zeek","dataset":"zeek.ssl"}}"#);
        assert_eq!(ssl.map(|l| (l.product, l.service)), Some((Some("zeek"), Some("ssl"))));
        // A Windows channel without an event ID, or an unknown module: no label.
        assert_eq!(label_of(r#"{"Channel":"Security"}"#), None);
        assert_eq!(label_of(r#"{"event":{"module":"crtsh"}}"#), None);
        let proxy = label_of(r#"{"event":{"module":"cef"},"url":{"original":"http://x/"}}"#);
        assert_eq!(proxy.map(|l| (l.product, l.categories)), Some((None, &["proxy"][..])));
        assert_eq!(label_of(r#"{"event":{"module":"cef"},"source":{"ip":"1.2.3.4"}}"#), None);
        assert_eq!(label_of(r#"{"process":{"name":"x"}}"#), None);
    }
}
