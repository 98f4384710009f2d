#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The keyword gate loses nothing: an EVTX record extracted without its strings and judged by
//! `matches_without_keywords` matches exactly the rules it matches when extracted with them.
//! Every record of the project's EVTX files (and of the EVTX attack samples when the shared
//! directory is there) is evaluated both ways through the `evtx` pipeline, with the SigmaHQ
//! Windows rules and keyword rules of each kind the gate knows: gated by needles (some found
//! in the data, one with a backslash), indexed (a keyword filter beside an event ID), and one
//! it cannot gate.

use vigil_conformance::{files_with_extension, pipeline, read_records, rules, shared, sigma_data};
use vigil_engine::{EventView, Scratch};
use vigil_events::label::Labeller;
use vigil_events::winlog::EcsNames;

/// Keyword rules of every kind, written for this test.
const KEYWORD_RULES: &str = r#"
title: gated, needles in the data
logsource: {product: windows}
detection:
  keywords: ['powershell', '\Temp\']
  condition: keywords
---
title: gated, needles not in the data
logsource: {product: windows}
detection:
  keywords: ['sekurlsa::', 'kiwi legit printer']
  filter: {EventID: 15}
  condition: keywords and not filter
---
title: indexed, a keyword filter beside an event id
logsource: {product: windows, category: process_creation}
detection:
  sel: {EventID: 1}
  filter: ['conhost']
  condition: sel and not filter
---
title: not gated, a non-ASCII needle
logsource: {product: windows, service: security}
detection:
  keywords: ["caf\u00e9"]
  condition: keywords
"#;

#[test]
fn records_skipped_by_the_gate_match_what_they_match_with_keywords() {
    for data in sigma_data() {
        let mut all = rules(KEYWORD_RULES);
        for f in files_with_extension(&data.rules.join("rules/windows"), "yml") {
            let text = std::fs::read_to_string(&f).unwrap();
            all.extend(vigil_sigma::load_str(std::sync::Arc::from(f.display().to_string().as_str()), &text, &Default::default()).rules);
        }
        let (program, _) = vigil_conformance::compile_report(&all, &pipeline("evtx"));
        assert!(program.fields.wants_keywords());
        let ecs = EcsNames::new(&program.fields);
        let full = Labeller::new(ecs.as_ref().map_or(&program.fields, |e| e.trie()));
        let lean = full.without_keywords();
        let mut files = files_with_extension(&data.regression, "evtx");
        assert!(files.len() >= 21, "{}: {} EVTX files", data.name, files.len());
        files.extend(files_with_extension(&shared().join("datasets/evtx-attack-samples"), "evtx"));
        let mut view = EventView::new(full.trie().slot_count());
        let mut scratch = Scratch::default();
        let (mut skipped, mut collected, mut keyword_matches, mut matches) = (0usize, 0usize, 0usize, 0usize);
        let keyword_rules: Vec<u32> = (0..program.rules.len() as u32).filter(|&r| program.rules[r as usize].rule.source.as_ref() == "test.yml").collect();
        assert_eq!(keyword_rules.len(), 4);
        for file in &files {
            read_records(file, &mut |record, number| {
                let extract = |view: &mut EventView, labeller: &Labeller| {
                    view.clear();
                    vigil_events::extract(record, labeller.trie(), view).unwrap();
                    if let Some(ecs) = &ecs {
                        ecs.fill(view);
                    }
                    labeller.label(view)
                };
                let label = extract(&mut view, &full);
                let mut expected = Vec::new();
                program.matches_labelled(&view, None, label.as_ref(), &mut scratch, &mut expected);
                let lean_label = extract(&mut view, &lean);
                assert_eq!(label, lean_label);
                let mut got = Vec::new();
                if program.matches_without_keywords(&view, record, label.as_ref(), &mut scratch, &mut got) {
                    assert_eq!(got, expected, "{}:{number}: skipped by the keyword gate", file.display());
                    skipped += 1;
                } else {
                    assert!(got.is_empty(), "{}:{number}", file.display());
                    collected += 1;
                }
                matches += expected.len();
                keyword_matches += expected.iter().filter(|r| keyword_rules.contains(r)).count();
            })
            .unwrap();
        }
        eprintln!(
            "{}: {} files, {skipped} records skipped the keyword values, {collected} collected them; {matches} matches, {keyword_matches} of the keyword rules",
            data.name,
            files.len()
        );
        // 25 records in the project's files; 8,255 more in the attack samples.
        let least = if files.len() > 21 { 1000 } else { 5 };
        assert!(skipped >= least && collected >= 5, "{}: {skipped} skipped, {collected} collected", data.name);
        assert!(keyword_matches >= 5 && matches > keyword_matches, "{}: {matches} matches, {keyword_matches} of keyword rules", data.name);
    }
}
