#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! One real record per Windows channel and event ID of issue 12's list that the datasets hold
//! (`testdata/winlog/records.ndjson`, EVTX layout as the native reader renders it), served
//! under ECS names: the ECS document of each is pinned (`testdata/winlog/ecs-golden.txt`,
//! `VIGIL_BLESS=1` rewrites it), and the names Winlogbeat's Sysmon and Security modules
//! give each event ID are checked to be there. With the shared data, each record is also
//! read from its EVTX file natively and must be the record stored here.

use std::path::PathBuf;

use serde_json::Value;
use vigil_events::winlog::EcsNames;
use vigil_events::{read_source, Input};
use vigil_view::{EventView, FieldTrie};

/// Winlogbeat's names (its Sysmon and Security modules and the winlog fields).
const ECS: &[&str] = &[
    "winlog.channel",
    "winlog.event_id",
    "winlog.provider_name",
    "winlog.record_id",
    "event.code",
    "event.category",
    "event.type",
    "host.name",
    "@timestamp",
    "process.executable",
    "process.command_line",
    "process.pid",
    "process.entity_id",
    "process.parent.executable",
    "process.parent.pid",
    "process.parent.command_line",
    "process.pe.original_file_name",
    "process.working_directory",
    "process.hash.md5",
    "process.hash.sha1",
    "process.hash.sha256",
    "process.pe.imphash",
    "user.name",
    "user.domain",
    "user.id",
    "file.path",
    "file.name",
    "file.code_signature.subject_name",
    "file.code_signature.status",
    "file.hash.md5",
    "file.hash.sha1",
    "file.hash.sha256",
    "file.pe.imphash",
    "registry.path",
    "registry.data.strings",
    "source.ip",
    "source.port",
    "source.domain",
    "destination.ip",
    "destination.port",
    "destination.domain",
    "network.transport",
    "dns.question.name",
    "rule.name",
    "winlog.logon.type",
    "winlog.logon.id",
    "powershell.file.script_block_text",
    "powershell.file.script_block_id",
    "powershell.sequence",
    "powershell.total",
];

/// Per event ID, the ECS names Winlogbeat gives it that the record must carry.
const EXPECTED: &[(&str, u32, &[&str])] = &[
    (
        "Sysmon",
        1,
        &[
            "process.executable",
            "process.command_line",
            "process.parent.executable",
            "process.pid",
            "user.name",
            "event.category",
            "process.hash.sha256",
            "process.pe.imphash",
        ],
    ),
    ("Sysmon", 3, &["process.executable", "source.ip", "source.port", "destination.ip", "destination.port", "network.transport", "event.category"]),
    ("Sysmon", 5, &["process.executable", "process.pid", "event.category"]),
    ("Sysmon", 6, &["file.path", "file.code_signature.subject_name", "event.category", "file.hash.sha1"]),
    ("Sysmon", 7, &["process.executable", "file.path", "event.category", "file.hash.sha256", "file.pe.imphash"]),
    ("Sysmon", 8, &["process.executable", "process.pid", "event.category"]),
    ("Sysmon", 10, &["process.executable", "process.pid", "event.category"]),
    ("Sysmon", 11, &["process.executable", "file.path", "event.category"]),
    ("Sysmon", 12, &["process.executable", "registry.path", "event.category"]),
    ("Sysmon", 13, &["process.executable", "registry.path", "registry.data.strings", "event.category"]),
    ("Sysmon", 15, &["process.executable", "file.path", "event.category"]),
    ("Sysmon", 17, &["process.executable", "file.name", "event.category"]),
    ("Sysmon", 18, &["process.executable", "file.name", "event.category"]),
    ("Sysmon", 22, &["process.executable", "dns.question.name", "event.category"]),
    // Winlogbeat files a deleted file's hashes under `process.hash.*` (its event 23 chain).
    ("Sysmon", 23, &["process.executable", "file.path", "event.category", "process.hash.sha256"]),
    ("Sysmon", 27, &["process.executable", "file.path", "event.category"]),
    ("Security", 4624, &["user.name", "user.domain", "winlog.logon.type", "winlog.logon.id", "event.category"]),
    ("Security", 4625, &["user.name", "winlog.logon.type", "event.category"]),
    ("Security", 4663, &["process.executable", "process.pid", "user.name", "event.category"]),
    ("Security", 4688, &["process.executable", "process.command_line", "process.pid", "process.parent.pid", "event.category"]),
    ("PowerShell", 4104, &["powershell.file.script_block_text", "powershell.file.script_block_id", "powershell.sequence", "powershell.total"]),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("VIGIL_SHARED").map_or_else(|| root().join("../shared"), PathBuf::from)
}

fn records() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("testdata/winlog/records.ndjson")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn names() -> EcsNames {
    let mut fields = FieldTrie::default();
    for name in ECS {
        fields.slot(name);
    }
    EcsNames::new(&fields).unwrap()
}

/// The ECS fields of one record in EVTX layout: (name, values), in [`ECS`] order, non-empty.
fn ecs_of(names: &EcsNames, event: &[u8]) -> Vec<(&'static str, Vec<String>)> {
    let trie = names.trie();
    let mut view = EventView::new(trie.slot_count());
    vigil_events::extract(event, trie, &mut view).unwrap();
    names.fill(&mut view);
    ECS.iter().map(|n| (*n, view.values(trie.lookup(n).unwrap()).map(|v| v.text.to_string()).collect::<Vec<_>>())).filter(|(_, v)| !v.is_empty()).collect()
}

fn short_channel(channel: &str) -> &str {
    match channel {
        "Microsoft-Windows-Sysmon/Operational" => "Sysmon",
        "Microsoft-Windows-PowerShell/Operational" => "PowerShell",
        other => other,
    }
}

fn event_id(event: &Value) -> u32 {
    let id = &event["Event"]["System"]["EventID"];
    id.as_u64().or_else(|| id["#text"].as_u64()).unwrap() as u32
}

#[test]
fn each_event_id_under_winlogbeat_names() {
    let names = names();
    let mut golden = Vec::new();
    let mut checked = 0;
    for row in records() {
        let event = &row["event"];
        let channel = event["Event"]["System"]["Channel"].as_str().unwrap();
        let id = event_id(event);
        let ecs = ecs_of(&names, serde_json::to_string(event).unwrap().as_bytes());
        golden.push(format!("## {channel} {id}\t{}:{}", row["file"].as_str().unwrap(), row["record"]));
        for (name, values) in &ecs {
            let shown: Vec<String> = values.iter().map(|v| v.chars().take(100).collect::<String>().replace('\n', "\\n").replace('\r', "\\r")).collect();
            golden.push(format!("{name}={}", shown.join(" | ")));
        }
        // Every record: the winlog fields and the time.
        for name in ["winlog.channel", "winlog.event_id", "event.code", "host.name", "@timestamp", "winlog.record_id"] {
            assert!(ecs.iter().any(|(n, _)| *n == name), "{channel} {id}: no {name}");
        }
        if let Some((_, _, want)) = EXPECTED.iter().find(|(c, i, _)| *c == short_channel(channel) && *i == id) {
            for name in *want {
                assert!(ecs.iter().any(|(n, _)| n == name), "{channel} {id}: no {name}: {ecs:?}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 20, "event IDs checked against Winlogbeat's names");
    let path = root().join("testdata/winlog/ecs-golden.txt");
    let got = golden.join("\n") + "\n";
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}

/// The record `number` of `file`, as the native reader renders it.
fn native_record(file: &std::path::Path, number: u64) -> Value {
    let mut found = None;
    read_source(&Input::Path(file.to_path_buf()), &mut |mut chunk| {
        vigil_events::evtx::records(&mut chunk, &mut |record| {
            if let Ok(r) = record {
                if r.number == number {
                    found = Some(serde_json::from_slice(r.json).unwrap());
                }
            }
        });
        found.is_none()
    })
    .unwrap();
    found.unwrap_or_else(|| panic!("{}: no record {number}", file.display()))
}

#[test]
fn the_records_are_what_the_native_reader_renders_from_the_shared_files() {
    let base = shared();
    if !base.join("datasets").is_dir() {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but has no datasets");
        return;
    }
    let mut rows = records();
    assert_eq!(rows.len(), 22);
    for row in &mut rows {
        let file = row["file"].as_str().unwrap().strip_prefix("shared:").unwrap();
        let path = [base.join("datasets").join(file), base.join("conformance").join(file)].into_iter().find(|p| p.is_file()).unwrap();
        assert_eq!(native_record(&path, row["record"].as_u64().unwrap()), row["event"], "{file}");
    }
    // Sysmon 27, whose file has no licence to copy it here: read from the shared data.
    let sysmon27 = native_record(&base.join("datasets/hayabusa-sample-evtx/YamatoSecurity/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"), 3);
    assert_eq!(event_id(&sysmon27), 27);
    let ecs = ecs_of(&names(), serde_json::to_string(&sysmon27).unwrap().as_bytes());
    let (_, _, want) = EXPECTED.iter().find(|(c, i, _)| *c == "Sysmon" && *i == 27).unwrap();
    for name in *want {
        assert!(ecs.iter().any(|(n, _)| n == name), "Sysmon 27: no {name}: {ecs:?}");
    }
}
