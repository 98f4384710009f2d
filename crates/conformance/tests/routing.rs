#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Routing by a record's source label never removes a rule the pipeline's own log-source
//! conditions admit: for every Sigma Windows category and service the shared conditions
//! (`windows-logsources.yml`) name, and records of every channel they name with event IDs
//! 0–30, 255, 400–800 and 4000–5000, a rule that matches only by its log-source conditions
//! (through `windows-flat`) is admitted by the record's label. So routing agrees with the
//! `evtx` and `windows-flat` pipelines on every Windows rule they condition.

use vigil_conformance::{pipeline, rules};
use vigil_engine::{EventView, Scratch};
use vigil_events::label::Labeller;

const CATEGORIES: &[&str] = &[
    "process_creation",
    "file_change",
    "network_connection",
    "sysmon_status",
    "process_termination",
    "driver_load",
    "image_load",
    "create_remote_thread",
    "raw_access_thread",
    "process_access",
    "file_event",
    "registry_add",
    "registry_delete",
    "registry_set",
    "registry_rename",
    "registry_event",
    "create_stream_hash",
    "pipe_created",
    "wmi_event",
    "dns_query",
    "file_delete",
    "clipboard_change",
    "process_tampering",
    "file_block_executable",
    "file_block_shredding",
    "file_executable_detected",
    "sysmon_error",
    "ps_script",
    "ps_module",
    "ps_classic_start",
];
const SERVICES: &[&str] = &["security", "system", "application", "sysmon", "powershell", "powershell-classic", "taskscheduler", "windefend", "wmi"];
const CHANNELS: &[&str] = &[
    "Microsoft-Windows-Sysmon/Operational",
    "Security",
    "System",
    "Application",
    "Microsoft-Windows-PowerShell/Operational",
    "Windows PowerShell",
    "Microsoft-Windows-TaskScheduler/Operational",
    "Microsoft-Windows-Windows Defender/Operational",
    "Microsoft-Windows-WMI-Activity/Operational",
];

#[test]
fn labels_admit_every_rule_the_pipeline_conditions_admit() {
    let mut yaml = String::new();
    let mut n = 0;
    for (key, values) in [("category", CATEGORIES), ("service", SERVICES)] {
        for value in values {
            n += 1;
            yaml.push_str(&format!(
                "title: {key} {value}\nid: 00000000-0000-4000-8000-{n:012}\nlogsource: {{product: windows, {key}: {value}}}\ndetection:\n  sel:\n    EventID|exists: true\n  condition: sel\n---\n"
            ));
        }
    }
    let rules = rules(&yaml);
    assert_eq!(rules.len(), CATEGORIES.len() + SERVICES.len());
    let program = vigil_conformance::compile(&rules, &pipeline("windows-flat"));
    assert_eq!(program.rules.len(), rules.len());
    let labeller = Labeller::new(&program.fields);
    let mut view = EventView::new(labeller.trie().slot_count());
    let (mut scratch, mut out) = (Scratch::default(), Vec::new());
    let (mut matched, mut records) = (0, 0);
    let ids = (0..=30).chain([255]).chain(400..=800).chain(4000..=5000);
    for channel in CHANNELS {
        for id in ids.clone() {
            for event_type in ["CreateKey", "DeleteKey", "DeleteValue", "SetValue"] {
                let record = serde_json::json!({"Channel": channel, "EventID": id, "EventType": event_type}).to_string();
                view.clear();
                vigil_events::extract(record.as_bytes(), labeller.trie(), &mut view).unwrap();
                let label = labeller.label(&view).unwrap();
                out.clear();
                program.matches(&view, None, &mut scratch, &mut out);
                records += 1;
                for &r in &out {
                    matched += 1;
                    let ls = &program.rules[r as usize].rule.logsource;
                    assert!(
                        label.admits(ls.product.as_deref(), ls.service.as_deref(), ls.category.as_deref()),
                        "{channel} {id} {event_type}: the pipeline admits {ls:?}, the label {label:?} does not"
                    );
                }
            }
        }
    }
    assert!(records > 50_000 && matched > 50_000, "{records} records, {matched} matches");
}
