#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Proof by meaning for the `eql` target, inside vigil: every SigmaHQ rule vigil can
//! convert is printed as EQL, parsed back with vigil's EQL front end, lowered to the IR,
//! and evaluated natively; it must match exactly the events the original Sigma rule
//! matches. The events are SigmaHQ's regression events (one flat record of Sigma field
//! names each, pipeline `none`) and events generated from each rule's IR, positive and
//! narrowly negative (each rule sees the real events and its own generated ones); a second
//! run does the same for the content pack over its samples (`ecs-windows`, ECS names).
//! Refusals are listed in `testdata/emit-eql-refusals.tsv` (whole corpus:
//! `emit-eql-refusals-corpus.tsv`, from the ignored test) and the text of ~50
//! representative rules in `testdata/emit-eql-snapshots.txt`; `VIGIL_BLESS=1` rewrites them.

use serde_json::Value;
use vigil_conformance::emit_harness::{expect_file, load_rules, native_matches, read_events, sigma_row, with_generated, EmitSuite, Report};
use vigil_conformance::{pipeline, root, sigma_data, sigma_testdata, SigmaData};
use vigil_emit::{convert_all, Converted, Options, Target};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_ir::Rule;
use vigil_pipeline::Pipeline;

/// The eql target's text features and file titles.
struct Eql;

impl EmitSuite for Eql {
    fn target(&self) -> Target {
        Target::Eql
    }

    fn feature_words(&self) -> &[&str] {
        &[" : ", " like ", " in~ ", " in (", " == ", "not (", "== null", "cidrMatch", " < ", " > ", "`", "\\\\", " or ", "true", "false"]
    }

    fn snapshot_title(&self) -> String {
        "# The eql target's text for representative rules of testdata/sigmahq (VIGIL_BLESS=1 rewrites it).\n".into()
    }

    fn refusal_title(&self, name: &str, _corpus: bool) -> String {
        format!("# Rules of {name} the eql target refuses, with the refusal's code.\n# VIGIL_BLESS=1 cargo test -p vigil-conformance --test emit_eql -- --include-ignored rewrites it.\n")
    }
}

fn differential(rules: &[Rule], pipeline: &Pipeline, real_events: Vec<Value>) -> (Report, Vec<Converted>) {
    differential_with(rules, pipeline, real_events, str::to_string)
}

/// A change made to emitted text before it is parsed back.
type Mutation = fn(&str) -> String;

/// [`differential`] with the emitted text passed through `mutate` before it is parsed back.
fn differential_with(rules: &[Rule], pipeline: &Pipeline, real_events: Vec<Value>, mutate: Mutation) -> (Report, Vec<Converted>) {
    let mut converted = convert_all(rules, pipeline, Target::Eql, &Options::default());
    for c in &mut converted {
        if let Ok(q) = &mut c.query {
            *q = mutate(q);
        }
    }
    let mut report = Report::default();
    report.count(&converted);
    // The emitted text, parsed and lowered back: a failure here is a bug of the target.
    let mut originals = Vec::new();
    let mut lowered = Vec::new();
    let mut kept: Vec<(&Rule, &String)> = Vec::new();
    for c in &converted {
        let (rule, Ok(query)) = (&c.rule, &c.query) else { continue };
        match lower_rule(&rule.source, &rule.meta.title, query, &LowerOptions::default()) {
            Ok(back) => {
                originals.push(rule.clone());
                lowered.push(back);
                kept.push((rule, query));
            }
            Err(d) => report.mismatches.push(format!("{} ({}): EQL does not lower back: {d}\n  {query}", rule.source, rule.meta.handle())),
        }
    }
    // Events: the real ones, then those generated from each rule.
    let shared = real_events.len();
    let (events, own) = with_generated(kept.iter().map(|(r, _)| *r), real_events, true);
    report.events = events.len();
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let sees = |rule: usize, row: usize| row < shared || own[rule].contains(&row);
    let native = native_matches(&originals, pipeline, &texts, &sees);
    let eql = native_matches(&lowered, pipeline, &texts, &sees);
    for (i, (rule, query)) in kept.iter().enumerate() {
        report.compare(rule, query, "EQL", Ok(&eql[i]), &native[i], &texts);
    }
    (report, converted)
}

fn sigmahq(data: &SigmaData) -> (Report, Vec<Converted>) {
    let rules = load_rules(&data.rules);
    let events = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    differential(&rules, &pipeline("none"), events)
}

#[test]
fn eql_agrees_with_native_evaluation_on_sigmahq_rules() {
    let data = sigma_testdata();
    let (report, converted) = sigmahq(&data);
    report.summary(&data.name);
    report.assert_agree();
    // Real counts on the project's own data, so the test cannot pass on nothing.
    assert!(report.emitted >= 500, "{report:?}");
    assert!(report.with_matches >= 400, "{}", report.with_matches);
    expect_file("emit-eql-refusals.tsv", &Eql.refusal_table(&data.name, &converted, false));
    expect_file("emit-eql-snapshots.txt", &Eql.snapshots(&converted));
}

/// The whole SigmaHQ corpus of the shared directory:
/// `VIGIL_SHARED=… cargo test -p vigil-conformance --test emit_eql -- --ignored`.
#[test]
#[ignore]
fn eql_agrees_with_native_evaluation_on_the_whole_sigmahq_corpus() {
    let all = sigma_data();
    let data = all.iter().find(|d| d.name != "testdata/sigmahq").expect("the shared directory with the SigmaHQ corpus (set VIGIL_SHARED)");
    let (report, converted) = sigmahq(data);
    report.summary(&data.name);
    report.assert_agree();
    assert!(report.emitted >= 3400, "{report:?}");
    expect_file("emit-eql-refusals-corpus.tsv", &Eql.refusal_table("the SigmaHQ corpus", &converted, true));
}

#[test]
fn eql_agrees_with_native_evaluation_on_the_content_pack() {
    let rules = load_rules(&root().join("content/rules"));
    let events = read_events(&root().join("content/samples"), "ndjson");
    let (report, _) = differential(&rules, &pipeline("ecs-windows"), events);
    report.summary("content");
    report.assert_agree();
    assert!(report.emitted >= 15 && report.with_matches >= 9, "{report:?}");
}

/// The comparison is not vacuous: EQL made wrong on purpose (case-sensitive `like` for `:`;
/// `not` dropped) disagrees with native evaluation on many rules of the content pack.
#[test]
fn deliberately_wrong_eql_is_caught() {
    let rules = load_rules(&root().join("content/rules"));
    let events = read_events(&root().join("content/samples"), "ndjson");
    let mutations: [(&str, Mutation); 2] = [("case", |q| q.replace(" : ", " like ")), ("not", |q| q.replace("not (", "("))];
    for (name, mutate) in mutations {
        let (report, _) = differential_with(&rules, &pipeline("ecs-windows"), events.clone(), mutate);
        report.summary(name);
        assert!(report.mismatches.len() >= 5, "{name}: {report:?}");
    }
}
