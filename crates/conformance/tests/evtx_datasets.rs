#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! EVTX files read natively: per file, the events read and the records skipped are pinned in
//! `testdata/evtx-datasets.tsv`, for the project's samples always and for the shared EVTX
//! datasets when they are there. And (ignored by default: a sweep of all SigmaHQ Windows
//! rules) the native reader agrees with the `evtx` crate's own JSON dump of the same files:
//! the same per-rule alert counts through the `evtx` pipeline, each record routed by its
//! source label (read from its channel and event ID, so the same on both paths).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_conformance::{files_with_extension, pipeline, read_expectations, read_records, root, shared};
use vigil_engine::{EventView, FieldTrie, Program, Scratch};
use vigil_events::label::Labeller;
use vigil_sigma::{load_str, LoadOptions};

/// The EVTX sets: a name, the directory, and how many files it must hold.
fn sets() -> Vec<(&'static str, PathBuf, usize)> {
    let mut out = vec![("testdata", root().join("testdata/sigmahq/regression"), 21)];
    let datasets = shared().join("datasets");
    for (name, files) in [("evtx-attack-samples", 277), ("hayabusa-sample-evtx", 5), ("atomic-evtx-jayanthk007", 35)] {
        let dir = datasets.join(name);
        if dir.is_dir() {
            out.push((name, dir, files));
        } else {
            assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", dir.display());
        }
    }
    out
}

fn relative(dir: &Path, file: &Path) -> String {
    file.strip_prefix(dir).unwrap_or(file).display().to_string()
}

#[test]
fn events_read_and_skipped_per_file_are_pinned() {
    let expected = read_expectations("evtx-datasets.tsv", 2);
    let trie = FieldTrie::default();
    let mut changed = Vec::new();
    for (set, dir, files) in sets() {
        let paths = files_with_extension(&dir, "evtx");
        assert_eq!(paths.len(), files, "{set}: EVTX files");
        let mut got = BTreeMap::new();
        let mut events_total = 0;
        for path in &paths {
            let mut view = vigil_engine::EventView::new(trie.slot_count());
            let (mut events, mut bad_json) = (0u64, 0u64);
            let bad = read_records(path, &mut |json, _| {
                view.clear();
                match vigil_events::extract(json, &trie, &mut view) {
                    Ok(()) => events += 1,
                    Err(_) => bad_json += 1,
                }
            })
            .unwrap();
            events_total += events;
            got.insert(format!("{set}/{}", relative(&dir, path)), format!("{events}\t{}", bad.len() as u64 + bad_json));
        }
        let want: BTreeMap<String, String> = expected.iter().filter(|(k, _)| k.starts_with(&format!("{set}/"))).map(|(k, v)| (k.clone(), v.clone())).collect();
        if got != want {
            changed.extend(got.iter().map(|(k, v)| format!("{k}\t{v}")));
        }
        assert!(events_total > 0, "{set}: no events");
    }
    assert!(changed.is_empty(), "events read / skipped per file changed; now:\n{}", changed.join("\n"));
}

/// Reads one file, calling the second argument with every record's JSON.
type ReadFile<'a> = &'a dyn Fn(&Path, &mut dyn FnMut(&[u8]));

/// Per rule handle, how many events of `paths` it matches, reading each file with `read`.
fn alerts(program: &Program, paths: &[PathBuf], read: ReadFile<'_>) -> (u64, BTreeMap<String, u64>) {
    // Each record routed by its own label, as `hunt` routes it.
    let labeller = Labeller::new(&program.fields);
    let mut view = EventView::new(labeller.trie().slot_count());
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut counts = BTreeMap::new();
    let mut events = 0;
    for path in paths {
        read(path, &mut |json| {
            view.clear();
            vigil_events::extract(json, labeller.trie(), &mut view).unwrap();
            events += 1;
            out.clear();
            let label = labeller.label(&view);
            assert!(label.is_some_and(|l| l.product == Some("windows")), "a record without a Windows label");
            program.matches_labelled(&view, None, label.as_ref(), &mut scratch, &mut out);
            for &r in &out {
                *counts.entry(program.rules[r as usize].rule.meta.handle().to_string()).or_insert(0) += 1;
            }
        });
    }
    (events, counts)
}

#[test]
#[ignore = "a sweep of all SigmaHQ Windows rules over the shared EVTX samples: about a minute in debug"]
fn native_evtx_and_its_json_dump_give_the_same_alerts() {
    let dir = shared().join("datasets/evtx-attack-samples");
    let rules_dir = shared().join("corpus/sigma/rules/windows");
    assert!(dir.is_dir() && rules_dir.is_dir(), "needs the shared data ({})", shared().display());
    let mut rules = Vec::new();
    for file in files_with_extension(&rules_dir, "yml") {
        let text = std::fs::read_to_string(&file).unwrap();
        let loaded = load_str(Arc::from(file.display().to_string()), &text, &LoadOptions::default());
        rules.extend(loaded.rules);
    }
    assert!(rules.len() > 2000, "{} Windows rules", rules.len());
    let program = vigil_conformance::compile(&rules, &pipeline("evtx"));
    let paths = files_with_extension(&dir, "evtx");
    assert_eq!(paths.len(), 277);
    let native = alerts(&program, &paths, &|path, each| {
        let bad = read_records(path, &mut |json, _| each(json)).unwrap();
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    });
    // The same files through the crate's own file parser and JSON output.
    let dumped = alerts(&program, &paths, &|path, each| {
        let settings = evtx::ParserSettings::new().indent(false).num_threads(1);
        let mut parser = evtx::EvtxParser::from_path(path).unwrap().with_configuration(settings);
        for record in parser.records_json() {
            let record = record.unwrap();
            // Through serde_json and back, as a JSON file of the records would be read.
            let value: serde_json::Value = serde_json::from_str(&record.data).unwrap();
            each(serde_json::to_string(&value).unwrap().as_bytes());
        }
    });
    assert_eq!(native.0, dumped.0, "events");
    assert!(native.0 > 8000, "{} events", native.0);
    assert!(native.1.values().sum::<u64>() > 1000, "alerts: {:?}", native.1);
    assert_eq!(native.1, dumped.1, "per-rule alert counts");
    eprintln!("{} events, {} rules, {} alerts from {} rules", native.0, program.rules.len(), native.1.values().sum::<u64>(), native.1.len());
}
