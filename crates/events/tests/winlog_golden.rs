#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! A real Sysmon 1 record (SigmaHQ regression data, in the project) read natively: its ECS
//! fields as Winlogbeat's Sysmon module names them, beside its EVTX layout.

use std::path::PathBuf;

use vigil_events::winlog::EcsNames;
use vigil_events::{read_source, Input};
use vigil_view::{EventView, FieldTrie};

const ECS: &[&str] = &[
    "winlog.channel",
    "winlog.event_id",
    "event.code",
    "event.category",
    "event.type",
    "process.executable",
    "process.command_line",
    "process.parent.executable",
    "process.pid",
    "process.pe.original_file_name",
    "user.name",
    "winlog.event_data.IntegrityLevel",
    "host.name",
];

#[test]
fn sysmon_1_under_ecs_names() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sigmahq/regression/regression_data/rules-emerging-threats/2025/Exploits/CVE-2025-55182/proc_creation_win_exploit_cve_2025_55182_susp_nodejs_server_child_process/271de298-cc0e-4842-acd8-079a0a99ea65.evtx");
    let mut fields = FieldTrie::default();
    for name in ECS {
        fields.slot(name);
    }
    fields.slot("Event.EventData.Image");
    let names = EcsNames::new(&fields).unwrap();
    let trie = names.trie();
    let mut got = Vec::new();
    read_source(&Input::Path(path), &mut |mut chunk| {
        vigil_events::evtx::records(&mut chunk, &mut |record| {
            let record = record.unwrap();
            let mut view = EventView::new(trie.slot_count());
            vigil_events::extract(record.json, trie, &mut view).unwrap();
            names.fill(&mut view);
            for name in ECS.iter().chain(&["Event.EventData.Image"]) {
                let values: Vec<String> = view.values(trie.lookup(name).unwrap()).map(|v| v.text.to_string()).collect();
                got.push(format!("{name}={}", values.join("|")));
            }
        });
        true
    })
    .unwrap();
    let want = [
        "winlog.channel=Microsoft-Windows-Sysmon/Operational",
        "winlog.event_id=1",
        "event.code=1",
        "event.category=process",
        "event.type=start",
        r"process.executable=C:\Windows\System32\cmd.exe",
        r#"process.command_line=C:\WINDOWS\system32\cmd.exe /d /s /c "whoami""#,
        r"process.parent.executable=C:\Users\xodih\AppData\Local\Temp\bun-node-274e01c73\node.exe",
        "process.pid=3412",
        "process.pe.original_file_name=Cmd.Exe",
        r"user.name=swachchhanda\xodih",
        "winlog.event_data.IntegrityLevel=Medium",
        "host.name=swachchhanda",
        r"Event.EventData.Image=C:\Windows\System32\cmd.exe",
    ];
    assert_eq!(got, want);
}
