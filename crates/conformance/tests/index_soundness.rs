#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The candidate index may only over-approximate. This runs SigmaHQ rules (every rule that
//! loads: the project's sample in `testdata/sigmahq` always, the whole corpus when the shared
//! directory is there) over every event of the regression data and the bundled samples,
//! through the `evtx`, `ecs-windows` and `none` pipelines, and checks that indexed evaluation
//! finds exactly the rules exhaustive evaluation finds.

use std::sync::Arc;

use vigil_conformance::{files_with_extension, pipeline, root, sigma_data, SigmaData};
use vigil_engine::{Program, Scratch};
use vigil_events::{read_source, Input};
use vigil_sigma::{load_str, LoadOptions};

/// The detection rules of one rule tree; `minimum` guards against a missing or shrunken tree.
fn corpus_rules(data: &SigmaData, minimum: usize) -> Vec<vigil_ir::Rule> {
    let mut rules = Vec::new();
    for dir in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        for f in files_with_extension(&data.rules.join(dir), "yml") {
            let text = std::fs::read_to_string(&f).unwrap();
            rules.extend(load_str(Arc::from(f.display().to_string().as_str()), &text, &LoadOptions::default()).rules);
        }
    }
    assert!(rules.len() >= minimum, "{}: {} rules", data.name, rules.len());
    rules
}

fn check(program: &Program, files: &[std::path::PathBuf]) -> (usize, usize) {
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    let (mut events, mut matches) = (0, 0);
    for file in files {
        read_source(&Input::Path(file.clone()), &mut |chunk| {
            for span in &chunk.records {
                view.clear();
                vigil_events::extract(chunk.record(span), &program.fields, &mut view).unwrap();
                let (mut fast, mut slow) = (Vec::new(), Vec::new());
                program.matches(&view, None, &mut scratch, &mut fast);
                program.matches_exhaustive(&view, &mut slow);
                assert_eq!(fast, slow, "{}:{}", chunk.source, span.line);
                events += 1;
                matches += fast.len();
            }
            true
        })
        .unwrap();
    }
    (events, matches)
}

#[test]
fn indexed_and_exhaustive_evaluation_agree_on_the_whole_corpus() {
    for data in sigma_data() {
        // The sample holds 610 detection rule files, the whole corpus 3,754.
        let minimum = if data.files == 3791 { 3500 } else { 600 };
        let rules = corpus_rules(&data, minimum);
        let mut regression = Vec::new();
        for row in std::fs::read_to_string(data.regression.join("cases.tsv")).unwrap().lines().skip(1) {
            regression.push(data.regression.join(row.split('\t').nth(6).unwrap()));
        }
        let (program, _) = vigil_conformance::compile_report(&rules, &pipeline("evtx"));
        let (events, matches) = check(&program, &regression);
        assert_eq!(events, 238, "{}", data.name);
        assert!(matches >= 202, "{}: {matches}", data.name);
        let samples: Vec<_> = std::fs::read_dir(root().join("content/samples")).unwrap().map(|e| e.unwrap().path()).collect();
        let (program, _) = vigil_conformance::compile_report(&rules, &pipeline("ecs-windows"));
        let (events, _) = check(&program, &samples);
        assert_eq!(events, 78);
        let (program, _) = vigil_conformance::compile_report(&rules, &pipeline("none"));
        check(&program, &samples);
    }
}
