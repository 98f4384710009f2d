//! EVTX records under ECS names as Winlogbeat writes them (its Sysmon and Security modules),
//! besides the EVTX layout (`Event.System.*`, `Event.EventData.*`) the JSON carries.
//!
//! [`EcsNames::new`] looks at the fields a program reads: when it reads none of the ECS
//! names below, there is nothing to do (and no cost). Otherwise it extends the trie with the
//! EVTX fields those names come from, and [`EcsNames::fill`] copies their values to the ECS
//! slots after a record is extracted, by channel and event ID: `winlog.channel`,
//! `winlog.event_id`, `event.code`, `winlog.event_data.*` for every record; `process.*`,
//! `file.path`, `registry.*`, `destination.*`, `dns.question.name`, … from Sysmon's field
//! names, and Security 4688's own (`NewProcessName` is `process.executable`, its `ProcessId`
//! the parent's), Security logons' and object accesses' (`user.*`, `source.ip`,
//! `winlog.logon.*`, `process.*`), PowerShell's (`powershell.*`); `event.category` and
//! `event.type` by event ID.

use vigil_view::{EventView, FieldTrie, Kind, Slot};

use crate::winlog_hashes::HashNames;

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// ECS name ← `Event.System.*` field, for every record.
const SYSTEM: &[(&str, &str)] = &[
    ("winlog.channel", "Event.System.Channel"),
    ("winlog.event_id", "Event.System.EventID"),
    ("event.code", "Event.System.EventID"),
    ("winlog.provider_name", "Event.System.Provider.#attributes.Name"),
    ("winlog.computer_name", "Event.System.Computer"),
    ("host.name", "Event.System.Computer"),
    ("winlog.record_id", "Event.System.EventRecordID"),
    ("@timestamp", "Event.System.TimeCreated.#attributes.SystemTime"),
];

/// ECS name ← `Event.EventData.*` field of Sysmon records (Winlogbeat's Sysmon module), and
/// of other channels where the same name means the same (PowerShell's ScriptBlockText).
const SYSMON_DATA: &[(&str, &str)] = &[
    ("process.executable", "Image"),
    ("process.command_line", "CommandLine"),
    ("process.parent.executable", "ParentImage"),
    ("process.parent.command_line", "ParentCommandLine"),
    ("process.pe.original_file_name", "OriginalFileName"),
    ("process.working_directory", "CurrentDirectory"),
    ("process.pid", "ProcessId"),
    ("process.parent.pid", "ParentProcessId"),
    ("process.entity_id", "ProcessGuid"),
    ("process.parent.entity_id", "ParentProcessGuid"),
    ("process.pe.company", "Company"),
    ("process.pe.description", "Description"),
    ("process.pe.product", "Product"),
    ("process.pe.file_version", "FileVersion"),
    ("user.name", "User"),
    ("file.path", "TargetFilename"),
    ("registry.path", "TargetObject"),
    ("registry.data.strings", "Details"),
    ("destination.ip", "DestinationIp"),
    ("destination.port", "DestinationPort"),
    ("destination.domain", "DestinationHostname"),
    ("source.ip", "SourceIp"),
    ("source.port", "SourcePort"),
    ("source.domain", "SourceHostname"),
    ("network.transport", "Protocol"),
    ("dns.question.name", "QueryName"),
    ("rule.name", "RuleName"),
    // Image and driver loads (6, 7): the loaded file.
    ("file.path", "ImageLoaded"),
    ("file.code_signature.subject_name", "Signature"),
    ("file.code_signature.status", "SignatureStatus"),
    // Process access and remote threads (8, 10): the source process is the actor.
    ("process.executable", "SourceImage"),
    ("process.pid", "SourceProcessId"),
    ("process.entity_id", "SourceProcessGuid"),
    // Pipes (17, 18).
    ("file.name", "PipeName"),
];

/// ECS name ← `Event.EventData.*` field of Security 4688 (process creation).
const SECURITY_4688: &[(&str, &str)] = &[
    ("process.executable", "NewProcessName"),
    ("process.command_line", "CommandLine"),
    ("process.pid", "NewProcessId"),
    ("process.parent.executable", "ParentProcessName"),
    ("process.parent.pid", "ProcessId"),
    ("user.name", "SubjectUserName"),
    ("user.domain", "SubjectDomainName"),
];

/// ECS name ← `Event.EventData.*` field of Security logons (4624, 4625), as Winlogbeat's
/// Security module names them.
const SECURITY_LOGON: &[(&str, &str)] = &[
    ("user.name", "TargetUserName"),
    ("user.domain", "TargetDomainName"),
    ("user.id", "TargetUserSid"),
    ("source.ip", "IpAddress"),
    ("source.port", "IpPort"),
    ("source.domain", "WorkstationName"),
    ("winlog.logon.type", "LogonType"),
    ("winlog.logon.id", "TargetLogonId"),
    ("process.executable", "ProcessName"),
    ("process.pid", "ProcessId"),
];

/// ECS name ← `Event.EventData.*` field of Security object access (4656, 4657, 4658, 4663):
/// the process and the subject.
const SECURITY_OBJECT: &[(&str, &str)] =
    &[("process.executable", "ProcessName"), ("process.pid", "ProcessId"), ("user.name", "SubjectUserName"), ("user.domain", "SubjectDomainName")];

/// ECS name ← `Event.EventData.*` field of PowerShell Operational records (4103, 4104).
const POWERSHELL_DATA: &[(&str, &str)] = &[
    ("powershell.file.script_block_id", "ScriptBlockId"),
    ("powershell.sequence", "MessageNumber"),
    ("powershell.total", "MessageTotal"),
    ("file.path", "Path"),
];

/// ECS name ← `Event.EventData.*` field in any channel.
const ANY_DATA: &[(&str, &str)] = &[("powershell.file.script_block_text", "ScriptBlockText")];

/// `event.category` and `event.type` of a record, as Winlogbeat sets them.
fn categorize(channel: &str, event_id: &str) -> (&'static [&'static str], &'static [&'static str]) {
    if channel.eq_ignore_ascii_case(SYSMON) {
        match event_id {
            "1" => (&["process"], &["start"]),
            "2" => (&["file"], &["change"]),
            "3" => (&["network"], &["connection", "start"]),
            "5" => (&["process"], &["end"]),
            "6" => (&["driver"], &["start"]),
            "7" => (&["process"], &["change"]),
            "8" | "10" => (&["process"], &["access"]),
            "11" | "15" | "29" => (&["file"], &["creation"]),
            "12" | "13" | "14" => (&["registry"], &["change"]),
            "17" => (&["file"], &["creation"]),
            "18" => (&["file"], &["access"]),
            "22" => (&["network"], &["connection", "protocol", "info"]),
            "23" | "26" => (&["file"], &["deletion"]),
            "25" => (&["process"], &["change"]),
            "27" | "28" => (&["file"], &["denied"]),
            _ => (&[], &[]),
        }
    } else if channel.eq_ignore_ascii_case("Security") {
        match event_id {
            "4688" => (&["process"], &["start"]),
            "4689" => (&["process"], &["end"]),
            "4624" => (&["authentication"], &["start"]),
            "4625" => (&["authentication"], &["start"]),
            "4657" => (&["registry"], &["change"]),
            "4663" => (&["file"], &["access"]),
            _ => (&[], &[]),
        }
    } else {
        (&[], &[])
    }
}

/// Which records a copy applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Any,
    Sysmon,
    Security4688,
    SecurityLogon,
    SecurityObject,
    PowerShell,
}

/// The ECS names a program reads, and where their values come from.
#[derive(Debug)]
pub struct EcsNames {
    trie: FieldTrie,
    channel: Slot,
    event_id: Slot,
    /// (from, to, scope), in table order.
    copies: Vec<(Slot, Slot, Scope)>,
    category: Option<Slot>,
    kind: Option<Slot>,
    /// Sysmon's `Hashes` split into `process.hash.*`, `file.hash.*` (`winlog_hashes`).
    hashes: Option<HashNames>,
}

impl EcsNames {
    /// The ECS names `fields` reads; `None` when it reads none (records are then read as they
    /// are).
    pub fn new(fields: &FieldTrie) -> Option<EcsNames> {
        let mut trie = fields.clone();
        let mut wanted: Vec<(String, String, Scope)> = Vec::new();
        let mut add = |ecs: &str, from: String, scope: Scope| {
            if fields.lookup(ecs).is_some() {
                wanted.push((ecs.to_string(), from, scope));
            }
        };
        for (ecs, from) in SYSTEM {
            add(ecs, from.to_string(), Scope::Any);
        }
        for (ecs, from) in SYSMON_DATA {
            add(ecs, format!("Event.EventData.{from}"), Scope::Sysmon);
        }
        for (ecs, from) in SECURITY_4688 {
            add(ecs, format!("Event.EventData.{from}"), Scope::Security4688);
        }
        for (table, scope) in [(SECURITY_LOGON, Scope::SecurityLogon), (SECURITY_OBJECT, Scope::SecurityObject), (POWERSHELL_DATA, Scope::PowerShell)] {
            for (ecs, from) in table {
                add(ecs, format!("Event.EventData.{from}"), scope);
            }
        }
        for (ecs, from) in ANY_DATA {
            add(ecs, format!("Event.EventData.{from}"), Scope::Any);
        }
        for (_, name) in fields.fields() {
            if let Some(rest) = name.strip_prefix("winlog.event_data.") {
                wanted.push((name.to_string(), format!("Event.EventData.{rest}"), Scope::Any));
            }
        }
        let category = fields.lookup("event.category");
        let kind = fields.lookup("event.type");
        let hashes = HashNames::new(fields, &mut trie);
        if wanted.is_empty() && category.is_none() && kind.is_none() && hashes.is_none() {
            return None;
        }
        let channel = trie.slot("Event.System.Channel");
        let event_id = trie.slot("Event.System.EventID");
        let copies = wanted.into_iter().map(|(ecs, from, scope)| (trie.slot(&from), trie.slot(&ecs), scope)).collect();
        Some(EcsNames { trie, channel, event_id, copies, category, kind, hashes })
    }

    /// The trie to extract records with: the program's fields and the EVTX fields the ECS
    /// names come from.
    pub fn trie(&self) -> &FieldTrie {
        &self.trie
    }

    /// Adds the ECS values of a record extracted with [`EcsNames::trie`].
    pub fn fill(&self, view: &mut EventView) {
        let channel = view.first(self.channel).map(|v| v.text.to_string()).unwrap_or_default();
        let event_id = view.first(self.event_id).map(|v| v.text.to_string()).unwrap_or_default();
        let sysmon = channel.eq_ignore_ascii_case(SYSMON);
        let security = channel.eq_ignore_ascii_case("Security");
        let security_4688 = security && event_id == "4688";
        let security_logon = security && matches!(event_id.as_str(), "4624" | "4625");
        let security_object = security && matches!(event_id.as_str(), "4656" | "4657" | "4658" | "4663");
        let powershell = channel.eq_ignore_ascii_case("Microsoft-Windows-PowerShell/Operational");
        let mut values: Vec<(Kind, String)> = Vec::new();
        for &(from, to, scope) in &self.copies {
            let applies = match scope {
                Scope::Any => true,
                Scope::Sysmon => sysmon,
                Scope::Security4688 => security_4688,
                Scope::SecurityLogon => security_logon,
                Scope::SecurityObject => security_object,
                Scope::PowerShell => powershell,
            };
            if !applies || from == to {
                continue;
            }
            values.clear();
            values.extend(view.values(from).map(|v| (v.kind, v.text.to_string())));
            for (kind, text) in &values {
                view.push(to, *kind, text);
            }
        }
        if let (true, Some(hashes)) = (sysmon, &self.hashes) {
            hashes.fill(&event_id, view);
        }
        let (categories, types) = categorize(&channel, &event_id);
        for (slot, names) in [(self.category, categories), (self.kind, types)] {
            if let Some(slot) = slot {
                for name in names {
                    view.push(slot, Kind::Str, name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_of(names: &EcsNames, json: &str) -> EventView {
        let mut view = EventView::new(names.trie().slot_count());
        crate::extract(json.as_bytes(), names.trie(), &mut view).unwrap_or_else(|e| panic!("{e}"));
        names.fill(&mut view);
        view
    }

    fn texts(view: &EventView, trie: &FieldTrie, name: &str) -> Vec<String> {
        trie.lookup(name).map(|s| view.values(s).map(|v| v.text.to_string()).collect()).unwrap_or_default()
    }

    #[test]
    fn programs_without_ecs_names_cost_nothing() {
        let mut fields = FieldTrie::default();
        fields.slot("Event.EventData.Image");
        assert!(EcsNames::new(&fields).is_none());
    }

    #[test]
    fn security_4688_is_renamed_and_sysmon_fields_stay_with_sysmon() {
        let mut fields = FieldTrie::default();
        for f in
            ["process.executable", "process.parent.pid", "process.pid", "event.category", "event.type", "event.code", "winlog.event_data.TokenElevationType"]
        {
            fields.slot(f);
        }
        let names = EcsNames::new(&fields).unwrap_or_else(|| panic!("reads ECS names"));
        let t = names.trie();
        let security = r#"{"Event":{"System":{"EventID":4688,"Channel":"Security"},"EventData":{"NewProcessName":"C:\\x.exe","NewProcessId":"0x10","ProcessId":"0x4","Image":"not-sysmon","TokenElevationType":"%%1936"}}}"#;
        let v = view_of(&names, security);
        assert_eq!(texts(&v, t, "process.executable"), ["C:\\x.exe"]);
        assert_eq!(texts(&v, t, "process.pid"), ["0x10"]);
        assert_eq!(texts(&v, t, "process.parent.pid"), ["0x4"]);
        assert_eq!(texts(&v, t, "event.category"), ["process"]);
        assert_eq!(texts(&v, t, "event.type"), ["start"]);
        assert_eq!(texts(&v, t, "event.code"), ["4688"]);
        assert_eq!(texts(&v, t, "winlog.event_data.TokenElevationType"), ["%%1936"]);
        // Another Security event: no process names, no category.
        let v = view_of(&names, r#"{"Event":{"System":{"EventID":4624,"Channel":"Security"},"EventData":{"NewProcessName":"y","ProcessId":"0x4"}}}"#);
        assert!(texts(&v, t, "process.executable").is_empty() && texts(&v, t, "process.parent.pid").is_empty());
        assert_eq!(texts(&v, t, "event.category"), ["authentication"]);
    }
}
