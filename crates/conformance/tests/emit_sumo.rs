#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Proof by meaning for the `sumo` target, on the small Sumo Logic evaluator of
//! `vigil_conformance::sumo_eval` (its stated semantics: regex search, Unicode lower case,
//! three-valued logic): every SigmaHQ rule of the project sample the target emits is run
//! over SigmaHQ's regression events and events generated from the rule (positive and
//! narrowly negative, missing fields included), and must keep exactly the events native
//! evaluation matches. Seed page 004's own query is reproduced: it parses and runs, and is
//! compared with vigil's emission of the same detection (`testdata/emit-sumo-seed004.*`).

use serde_json::Value;
use vigil_conformance::emit_harness::{load_rules, native_matches, nest, read_events, sigma_row, with_generated, Report, PER_RULE};
use vigil_conformance::generate::events_for;
use vigil_conformance::sumo_eval::{parse, run, Val};
use vigil_conformance::{pipeline, root, sigma_testdata};
use vigil_emit::{convert_all, Options, Target};
use vigil_ir::Rule;
use vigil_pipeline::Pipeline;

/// The rows `rule` matches natively among `rows`.
fn native(rule: &Rule, pipeline: &Pipeline, rows: &[String]) -> Vec<usize> {
    native_matches(std::slice::from_ref(rule), pipeline, rows, &|_, _| true).into_iter().next().unwrap_or_default()
}

/// The rows the Sumo Logic query keeps.
fn sumo(query: &str, rows: &[Value]) -> Result<Vec<usize>, String> {
    let q = parse(query)?;
    let mut kept: Vec<usize> = run(&q, rows)?.into_iter().map(|(i, _)| i).collect();
    kept.sort_unstable();
    Ok(kept)
}

/// Every fifth emitted rule of the project sample (the evaluator is slow in debug builds).
#[test]
fn sumo_agrees_with_native_evaluation_on_a_fifth_of_the_project_rules() {
    let (compared, with_matches) = differential(5);
    assert!(compared >= 110 && with_matches >= 85, "{compared} {with_matches}");
}

/// All of them: `cargo test -p vigil-conformance --test emit_sumo -- --ignored` (about 3
/// minutes in a debug build).
#[test]
#[ignore]
fn sumo_agrees_with_native_evaluation_on_every_project_rule() {
    let (compared, with_matches) = differential(1);
    assert!(compared >= 550 && with_matches >= 450, "{compared} {with_matches}");
}

/// Compares every `step`-th emitted rule; returns the rules compared and those with a match.
fn differential(step: usize) -> (usize, usize) {
    let data = sigma_testdata();
    let rules = load_rules(&data.rules);
    let none = pipeline("none");
    let real: Vec<Value> = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    let converted = convert_all(&rules, &none, Target::Sumo, &Options::default());
    // Keywords are a stated policy (a search of `_raw`, the raw text), not Sigma's "any
    // value": counted apart, not compared.
    let has_keyword = |r: &Rule| {
        let mut keyword = false;
        r.detection().unwrap().for_each_predicate(&mut |p| keyword |= p.field == vigil_ir::Field::Keyword);
        keyword
    };
    let kept: Vec<(&Rule, &String)> =
        converted.iter().filter_map(|c| c.query.as_ref().ok().map(|q| (&*c.rule, q))).filter(|(r, _)| !has_keyword(r)).step_by(step).collect();
    let keyword_rules = converted.iter().filter(|c| c.query.as_ref().is_ok_and(|_| has_keyword(&c.rule))).count();
    let (rows, own) = with_generated(kept.iter().map(|(r, _)| *r), real.clone(), true);
    let texts: Vec<String> = rows.iter().map(Value::to_string).collect();
    let sees = |rule: usize, row: usize| row < real.len() || own[rule].contains(&row);
    let mapped: Vec<Rule> = kept.iter().map(|(r, _)| (*r).clone()).collect();
    let expected = native_matches(&mapped, &none, &texts, &sees);
    let mut report = Report { events: rows.len(), ..Report::default() };
    report.count(&converted);
    for (i, (rule, query)) in kept.iter().enumerate() {
        let visible: Vec<Value> = rows[..real.len()].iter().chain(&rows[own[i].clone()]).cloned().collect();
        let index = |k: usize| if k < real.len() { k } else { own[i].start + k - real.len() };
        let got = sumo(query, &visible).map(|v| v.into_iter().map(index).collect::<Vec<_>>());
        report.compare(rule, query, "Sumo Logic", got.as_deref().map_err(String::clone), &expected[i], &texts);
    }
    report.summary(&format!("sumo ({keyword_rules} keyword rules not compared)"));
    report.assert_agree();
    (report.compared, report.with_matches)
}

/// A change made to an emitted query before it runs.
type Mutation = fn(&str) -> String;

/// The comparison is not vacuous: dropping the `!isNull` guards (Sigma's `not` on a missing
/// field) or the lower-casing makes rules disagree.
#[test]
fn deliberately_wrong_sumo_is_caught() {
    let data = sigma_testdata();
    let rules = load_rules(&data.rules);
    let none = pipeline("none");
    let converted = convert_all(&rules, &none, Target::Sumo, &Options::default());
    let mutations: [(&str, Mutation); 2] = [("guard", |q| q.replace("!isNull(", "isNull(")), ("case", |q| q.replace("toLowerCase(", "("))];
    for (name, mutate) in mutations {
        let mut wrong = 0;
        for c in converted.iter().take(300) {
            let Ok(query) = &c.query else { continue };
            let rows: Vec<Value> = events_for(c.rule.detection().unwrap()).iter().filter_map(nest).take(PER_RULE).collect();
            let texts: Vec<String> = rows.iter().map(Value::to_string).collect();
            wrong += usize::from(sumo(&mutate(query), &rows).ok() != Some(native(&c.rule, &none, &texts)));
        }
        assert!(wrong >= 5, "{name}: only {wrong} rules disagree");
    }
}

#[test]
fn seed_004_runs_and_agrees_with_vigils_emission_of_the_same_detection() {
    let seed = std::fs::read_to_string(root().join("testdata/emit-sumo-seed004.sumo")).unwrap();
    let samples = read_events(&root().join("testdata/emit-sumo-seed004.ndjson"), "ndjson");
    let text = std::fs::read_to_string(root().join("testdata/emit-sumo-seed004.yml")).unwrap();
    let rules = vigil_conformance::rules(&text);
    let cse = pipeline("sumo-cse");
    let converted = convert_all(&rules, &cse, Target::Sumo, &Options::default());
    let ours = converted[0].query.clone().unwrap();
    assert!(ours.starts_with("_index=sec_record_process | where "), "{ours}");

    // The seed's whole pipeline runs: branch labels and the root-store flag per record.
    let out = run(&parse(&seed).unwrap(), &samples).unwrap();
    let label = |i: usize| out.iter().find(|(r, _)| *r == i).map(|(_, f)| f["detectionBranch"].clone());
    assert_eq!(label(0), Some(Val::Str("CertGenToolWithArgs".into())));
    assert_eq!(label(1), Some(Val::Str("PSCertificateCreation".into())));
    assert_eq!(label(2), Some(Val::Str("CertUtilStoreImport".into())));
    assert_eq!(label(3), Some(Val::Str("CertGenToolExecution".into())));
    assert_eq!(out.iter().find(|(r, _)| *r == 2).map(|(_, f)| f["targetsRootStore"].clone()), Some(Val::Str("true".into())));
    assert_eq!(out.first().map(|(r, _)| *r), Some(8), "sorted by _messagetime, newest first");

    // Seed, vigil's emission and native evaluation over the samples and the events generated
    // from the rule (in CSE names). The one difference is Sigma's `not` on a missing field:
    // `gen_tool and not gen_args` holds on a tool record without a command line, which the
    // seed's `not matches(…)` leaves unknown.
    let mut rows = samples.clone();
    let mapped = &converted[0].rule;
    rows.extend(events_for(mapped.detection().unwrap()).iter().filter_map(nest));
    let texts: Vec<String> = rows.iter().map(Value::to_string).collect();
    let expected = native(mapped, &cse, &texts);
    let vigil = sumo(&ours, &rows).unwrap();
    let seeded = sumo(&seed, &rows).unwrap();
    assert_eq!(vigil, expected, "vigil's sumo query keeps what native evaluation matches");
    let only_native: Vec<usize> = expected.iter().copied().filter(|r| !seeded.contains(r)).collect();
    assert!(seeded.iter().all(|r| expected.contains(r)), "the seed keeps nothing vigil does not");
    assert!(
        only_native.iter().all(|&r| rows[r].get("commandLine").is_none_or(Value::is_null)),
        "{:?}",
        only_native.iter().map(|&r| &texts[r]).collect::<Vec<_>>()
    );
    assert!(only_native.contains(&9), "the sample tool record without a command line");
    assert_eq!(expected.iter().filter(|&&r| r < samples.len()).count(), 7, "{expected:?}");
    eprintln!("seed 004: {} rows, native {} kept, vigil {} kept, seed {} kept", rows.len(), expected.len(), vigil.len(), seeded.len());
}
