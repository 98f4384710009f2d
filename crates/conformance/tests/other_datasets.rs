#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Every telemetry file of ../shared/datasets that the EVTX and Zeek suites do not pin
//! (`evtx_datasets.rs`, `zeek_datasets.rs`): the OTRF zips (Mordor Windows NDJSON, raw
//! auditd; members read from `unzip -p`), the OTRF APT29 Zeek logs, the JSON exports beside
//! the atomic EVTX files, the Beats auditd fixture, and what vigil does not read (Splunk's
//! Windows event XML, the pcap and ETL captures among the EVTX samples), named. Per file: events read and records skipped, or why it is
//! not read, pinned in `testdata/other-datasets.tsv`. In the project, the same for the
//! samples of the formats that have no suite of their own (CEF, the OTRF sample, the auditd
//! samples), so the test asserts real counts on a fresh clone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vigil_conformance::{read_expectations, read_records, root, shared};

/// Telemetry files under `dir` (documentation, metadata and EVTX left out), sorted.
fn telemetry(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    let skip = ["md", "yml", "yaml", "tsv", "csv", "txt", "evtx", "GPL"];
    out.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        !skip.contains(&ext) && name != "LICENSE"
    });
    out.sort();
    out
}

/// `events\tskipped` of one file, or `not read\t<why>`.
fn outcome(path: &Path) -> String {
    let mut events = 0u64;
    let mut view = vigil_engine::EventView::new(1);
    let trie = vigil_engine::FieldTrie::default();
    let mut bad_json = 0u64;
    match read_records(path, &mut |json, _| {
        view.clear();
        match vigil_events::extract(json, &trie, &mut view) {
            Ok(()) => events += 1,
            Err(_) => bad_json += 1,
        }
    }) {
        Ok(bad) => format!("{events}\t{}", bad.len() as u64 + bad_json),
        Err(e) => format!("not read\t{}", e.strip_prefix(&format!("{}: ", path.display())).unwrap_or(&e)),
    }
}

/// Per file (zip members as `zip!member`), its outcome.
fn outcomes(set: &str, dir: &Path, files: &[PathBuf], got: &mut BTreeMap<String, String>) {
    let tmp = std::env::temp_dir().join(format!("vigil-other-datasets-{}", std::process::id()));
    for path in files {
        let name = format!("{set}/{}", path.strip_prefix(dir).unwrap_or(path).display());
        if path.extension().is_some_and(|e| e == "zip") {
            let list = Command::new("unzip").arg("-Z1").arg(path).output().expect("`unzip` is needed with the shared data");
            for member in String::from_utf8_lossy(&list.stdout).lines().filter(|m| !m.ends_with('/')) {
                let data = Command::new("unzip").arg("-p").arg(path).arg(member).output().unwrap().stdout;
                std::fs::create_dir_all(&tmp).unwrap();
                let file = tmp.join("member");
                std::fs::write(&file, data).unwrap();
                got.insert(format!("{name}!{member}"), outcome(&file));
            }
        } else {
            got.insert(name, outcome(path));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn every_other_dataset_file_is_read_as_pinned() {
    let mut got = BTreeMap::new();
    let project: Vec<PathBuf> =
        ["testdata/cef", "testdata/otrf", "testdata/auditd"].iter().flat_map(|d| telemetry(&root().join(d))).filter(|p| !p.ends_with("golden.txt")).collect();
    outcomes("testdata", &root().join("testdata"), &project, &mut got);
    let datasets = shared().join("datasets");
    if datasets.is_dir() {
        for set in ["otrf-security-datasets", "atomic-evtx-jayanthk007", "splunk-attack-data", "elastic-beats-auditd-samples", "evtx-attack-samples"] {
            let dir = datasets.join(set);
            outcomes(set, &dir, &telemetry(&dir), &mut got);
        }
    } else {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", datasets.display());
    }
    if std::env::var_os("VIGIL_BLESS").is_some() && datasets.is_dir() {
        let text: String = got.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
        std::fs::write(
            root().join("testdata/other-datasets.tsv"),
            format!("# written by crates/conformance/tests/other_datasets.rs with VIGIL_BLESS=1\nfile\tevents\tskipped\n{text}"),
        )
        .unwrap();
        return;
    }
    let expected = read_expectations("other-datasets.tsv", 2);
    let want: BTreeMap<String, String> = expected.into_iter().filter(|(k, _)| datasets.is_dir() || k.starts_with("testdata/")).collect();
    let changed: Vec<String> = got.iter().filter(|(k, v)| want.get(*k) != Some(*v)).map(|(k, v)| format!("{k}\t{v} (pinned: {:?})", want.get(k))).collect();
    let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    assert!(changed.is_empty() && missing.is_empty(), "changed:\n{}\nmissing: {missing:?}", changed.join("\n"));
    // On a fresh clone: the project's samples (CEF 10 records and 4 bad lines, the OTRF
    // sample's 80, the auditd samples' 27 events).
    let project: u64 = got.iter().filter(|(k, _)| k.starts_with("testdata/")).filter_map(|(_, v)| v.split('\t').next()?.parse::<u64>().ok()).sum();
    assert_eq!(project, 117, "events read from the project's samples");
}
