#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The built-in rule pack over its bundled samples must raise exactly the alerts listed in
//! `content/expected-alerts.tsv` (sample, line, rule id), through the `ecs-windows` pipeline.
//! This is where the as-is seed rules and their fixes prove their difference on telemetry.

use std::collections::BTreeSet;
use std::sync::Arc;

use vigil_conformance::{pipeline, root};
use vigil_engine::Scratch;
use vigil_events::{read_source, Input};
use vigil_sigma::{load_str, LoadOptions};

#[test]
fn pack_raises_exactly_the_expected_alerts() {
    let content = root().join("content");
    let mut rules = Vec::new();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(content.join("rules")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = load_str(Arc::from(path.display().to_string().as_str()), &text, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{}: {:?}", path.display(), loaded.errors);
        assert!(loaded.warnings.is_empty(), "{}: {:?}", path.display(), loaded.warnings);
        rules.extend(loaded.rules);
        names.push(path);
    }
    let (program, report) = vigil_conformance::compile_report(&rules, &pipeline("ecs-windows"));
    assert!(report.refused.is_empty());
    let mut actual = BTreeSet::new();
    let mut samples: Vec<_> = std::fs::read_dir(content.join("samples")).unwrap().map(|e| e.unwrap().path()).collect();
    samples.sort();
    for sample in samples {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let mut view = program.new_view();
        let mut scratch = Scratch::default();
        read_source(&Input::Path(sample.clone()), &mut |chunk| {
            for span in &chunk.records {
                view.clear();
                vigil_events::extract(chunk.record(span), &program.fields, &mut view).unwrap();
                let mut out = Vec::new();
                program.matches(&view, None, &mut scratch, &mut out);
                for r in out {
                    let id = program.rules[r as usize].rule.meta.id.clone().unwrap();
                    actual.insert(format!("{name}\t{}\t{id}", span.line));
                }
            }
            true
        })
        .unwrap();
    }
    let expected_text = std::fs::read_to_string(content.join("expected-alerts.tsv")).unwrap();
    let expected: BTreeSet<String> = expected_text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            format!("{}\t{}\t{}", c[0], c[1], c[2])
        })
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing alerts: {missing:#?}\nunexpected alerts: {extra:#?}");
    assert_eq!(actual.len(), 72);
}
