//! Sysmon's `Hashes` (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`) split into ECS hash fields, as
//! Winlogbeat's Sysmon module does (`addHashes` in its `winlogbeat-sysmon.js`): each
//! `ALGORITHM=value` pair becomes `<namespace>.hash.<algorithm>` (`<namespace>.pe.imphash`
//! for `IMPHASH`), algorithm and value lower-cased, an empty or all-zero value left out.
//! The namespace and the source field by event ID, as that module has them:
//! - `process`, from `Hashes`: 1 (process creation), 23 (file delete), 24 (clipboard), 25
//!   (process tampering);
//! - `file`, from `Hashes`: 6 (driver loaded), 7 (image loaded);
//! - `file`, from `Hash`: 15 (file stream created).
//!
//! The raw `Hashes` stays where it is (`Event.EventData.Hashes`, `winlog.event_data.Hashes`).

use vigil_view::{EventView, FieldTrie, Kind, Slot};

/// The hash fields a program reads, and the EVTX fields they come from.
#[derive(Debug)]
pub struct HashNames {
    hashes: Slot,
    hash: Slot,
    /// (namespace, algorithm as lower-cased in the record, slot).
    targets: Vec<(Namespace, String, Slot)>,
}

/// The ECS object a record's hashes describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Namespace {
    Process,
    File,
}

impl HashNames {
    /// The hash fields `fields` reads (`process.hash.*`, `process.pe.imphash`, `file.hash.*`,
    /// `file.pe.imphash`), with the EVTX fields they come from added to `trie`; `None` when
    /// it reads none.
    pub fn new(fields: &FieldTrie, trie: &mut FieldTrie) -> Option<HashNames> {
        let mut targets = Vec::new();
        for (_, name) in fields.fields() {
            for (prefix, namespace) in [("process.", Namespace::Process), ("file.", Namespace::File)] {
                let Some(rest) = name.strip_prefix(prefix) else { continue };
                let algorithm = match rest.strip_prefix("hash.") {
                    Some(algorithm) => algorithm,
                    None if rest == "pe.imphash" => "imphash",
                    None => continue,
                };
                targets.push((namespace, algorithm.to_string(), trie.slot(name)));
            }
        }
        if targets.is_empty() {
            return None;
        }
        Some(HashNames { hashes: trie.slot("Event.EventData.Hashes"), hash: trie.slot("Event.EventData.Hash"), targets })
    }

    /// Adds the hash fields of a Sysmon record with event ID `event_id`.
    pub fn fill(&self, event_id: &str, view: &mut EventView) {
        let (source, namespace) = match event_id {
            "1" | "23" | "24" | "25" => (self.hashes, Namespace::Process),
            "6" | "7" => (self.hashes, Namespace::File),
            "15" => (self.hash, Namespace::File),
            _ => return,
        };
        let mut found: Vec<(Slot, String)> = Vec::new();
        for value in view.values(source) {
            for (algorithm, hash) in pairs(value.text) {
                if let Some(&(_, _, slot)) = self.targets.iter().find(|(ns, a, _)| *ns == namespace && *a == algorithm) {
                    found.push((slot, hash));
                }
            }
        }
        for (slot, hash) in found {
            view.push(slot, Kind::Str, &hash);
        }
    }
}

/// The `ALGORITHM=value` pairs of a `Hashes` value, both lower-cased; a part that is not
/// one `=` pair, and an empty or all-zero value, left out.
fn pairs(hashes: &str) -> impl Iterator<Item = (String, String)> + '_ {
    hashes.split(',').filter_map(|part| {
        let mut halves = part.split('=');
        let (Some(algorithm), Some(value), None) = (halves.next(), halves.next(), halves.next()) else { return None };
        if value.bytes().all(|b| b == b'0') {
            return None;
        }
        Some((algorithm.to_lowercase(), value.to_lowercase()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(event: &str, fields: &[&str]) -> Vec<(String, Vec<String>)> {
        let mut trie = FieldTrie::default();
        for f in fields {
            trie.slot(f);
        }
        let names = crate::winlog::EcsNames::new(&trie).unwrap_or_else(|| panic!("reads hash names"));
        let mut view = EventView::new(names.trie().slot_count());
        crate::extract(event.as_bytes(), names.trie(), &mut view).unwrap_or_else(|e| panic!("{e}"));
        names.fill(&mut view);
        let slot = |f: &str| names.trie().lookup(f).unwrap_or_else(|| panic!("{f}"));
        fields
            .iter()
            .map(|f| (f.to_string(), view.values(slot(f)).map(|v| v.text.to_string()).collect()))
            .filter(|(_, v): &(String, Vec<String>)| !v.is_empty())
            .collect()
    }

    fn sysmon(id: u32, data: &str) -> String {
        format!(r#"{{"Event":{{"System":{{"EventID":{id},"Channel":"Microsoft-Windows-Sysmon/Operational"}},"EventData":{{{data}}}}}}}"#)
    }

    #[test]
    fn namespace_and_source_field_by_event_id() {
        let fields = ["process.hash.sha256", "process.pe.imphash", "file.hash.sha256", "file.hash.md5", "winlog.event_data.Hashes"];
        let hashes = r#""Hashes":"SHA256=AA,IMPHASH=BB,MD5=CC""#;
        let one = |k: &str, v: &str| (k.to_string(), vec![v.to_string()]);
        assert_eq!(
            texts(&sysmon(1, hashes), &fields),
            [one("process.hash.sha256", "aa"), one("process.pe.imphash", "bb"), one("winlog.event_data.Hashes", "SHA256=AA,IMPHASH=BB,MD5=CC")],
            "the raw Hashes is kept"
        );
        assert_eq!(texts(&sysmon(7, hashes), &fields)[..2], [one("file.hash.sha256", "aa"), one("file.hash.md5", "cc")]);
        assert_eq!(texts(&sysmon(15, r#""Hash":"SHA256=DD""#), &fields), [one("file.hash.sha256", "dd")], "event 15 carries `Hash`");
        assert_eq!(texts(&sysmon(11, hashes), &fields).len(), 1, "file creation has no hashes in Winlogbeat's module");
        let security = r#"{"Event":{"System":{"EventID":1,"Channel":"Security"},"EventData":{"Hashes":"SHA256=AA"}}}"#;
        assert!(texts(security, &fields[..4]).is_empty(), "Sysmon records only");
    }

    #[test]
    fn pairs_are_lower_cased_and_empty_hashes_left_out() {
        let got: Vec<(String, String)> = pairs("SHA1=AB12,MD5=00000000,SHA256=,IMPHASH=Cd34,junk,A=b=c").collect();
        assert_eq!(got, [("sha1".to_string(), "ab12".to_string()), ("imphash".to_string(), "cd34".to_string())]);
    }
}
