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

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use vigil_conformance::emit_harness::{expect_file, load_rules, nest, read_events, sigma_row, walk};
use vigil_conformance::generate::events_for;
use vigil_conformance::{pipeline, root, sigma_data, sigma_testdata, SigmaData};
use vigil_emit::{convert_all, Converted, Options, Target};
use vigil_engine::{Program, Scratch};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_ir::{Expr, Rule};
use vigil_pipeline::Pipeline;

/// At most this many generated events per rule (evenly spread), to keep the suite fast.
const PER_RULE: usize = 40;

/// The outcome of one differential run.
#[derive(Debug, Default)]
struct Report {
    emitted: usize,
    refused: BTreeMap<String, String>,
    compared: usize,
    with_matches: usize,
    agreements: usize,
    events: usize,
    mismatches: Vec<String>,
}

/// The rows each rule matches among `texts`, counting only the rows it sees.
fn matches(rules: Vec<Rule>, pipeline: &Pipeline, texts: &[String], sees: &dyn Fn(usize, usize) -> bool) -> Vec<Vec<usize>> {
    let count = rules.len();
    let (program, compiled) = Program::compile(rules, &pipeline.timestamp_fields);
    assert!(compiled.refused.is_empty(), "{:?}", compiled.refused);
    // Each rule's position is its title's number (the rules are renamed by the caller).
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    for (row, text) in texts.iter().enumerate() {
        view.clear();
        vigil_events::extract(text.as_bytes(), &program.fields, &mut view).unwrap();
        let mut found = Vec::new();
        program.matches(&view, None, &mut scratch, &mut found);
        for r in found {
            let i: usize = program.rules[r as usize].rule.meta.title.parse().unwrap();
            if sees(i, row) {
                out[i].push(row);
            }
        }
    }
    out
}

/// `rule` with its title replaced by `i` (and no id), so results map back to positions.
fn numbered(mut rule: Rule, i: usize) -> Rule {
    rule.meta.title = i.to_string();
    rule.meta.id = None;
    rule
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
    let mut emitted: Vec<(Rule, String)> = Vec::new();
    for c in &converted {
        match &c.query {
            Ok(q) => emitted.push((c.rule.clone(), q.clone())),
            Err(d) => drop(report.refused.insert(format!("{}\t{}", c.rule.source, c.rule.meta.handle()), d.code.to_string())),
        }
    }
    report.emitted = emitted.len();
    // The emitted text, parsed and lowered back: a failure here is a bug of the target.
    let mut originals = Vec::new();
    let mut lowered = Vec::new();
    let mut kept: Vec<(&Rule, &String)> = Vec::new();
    for (rule, query) in &emitted {
        match lower_rule(&rule.source, &rule.meta.title, query, &LowerOptions::default()) {
            Ok(back) => {
                originals.push(numbered(rule.clone(), kept.len()));
                lowered.push(numbered(back, kept.len()));
                kept.push((rule, query));
            }
            Err(d) => report.mismatches.push(format!("{} ({}): EQL does not lower back: {d}\n  {query}", rule.source, rule.meta.handle())),
        }
    }
    // Events: the real ones, then those generated from each rule.
    let shared = real_events.len();
    let mut events = real_events;
    let mut own: Vec<std::ops::Range<usize>> = Vec::new();
    for (rule, _) in &kept {
        let start = events.len();
        let generated: Vec<Value> = events_for(rule.detection().unwrap()).iter().filter_map(nest).collect();
        let stride = generated.len().div_ceil(PER_RULE).max(1);
        events.extend(generated.into_iter().step_by(stride));
        own.push(start..events.len());
    }
    report.events = events.len();
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let sees = |rule: usize, row: usize| row < shared || own[rule].contains(&row);
    let native = matches(originals, pipeline, &texts, &sees);
    let eql = matches(lowered, pipeline, &texts, &sees);
    for (i, (rule, query)) in kept.iter().enumerate() {
        report.compared += 1;
        if eql[i] == native[i] {
            report.agreements += 1;
            report.with_matches += usize::from(!native[i].is_empty());
        } else {
            let only_eql: Vec<&usize> = eql[i].iter().filter(|r| !native[i].contains(r)).collect();
            let only_native: Vec<&usize> = native[i].iter().filter(|r| !eql[i].contains(r)).collect();
            let first = only_eql.first().or(only_native.first()).map(|&&r| texts[r].as_str()).unwrap_or("");
            report.mismatches.push(format!(
                "{} ({}): {} events only in EQL, {} only native; first: {first}\n  {query}",
                rule.source,
                rule.meta.handle(),
                only_eql.len(),
                only_native.len()
            ));
        }
    }
    (report, converted)
}

fn summary(name: &str, r: &Report) {
    eprintln!(
        "{name}: {} rules emitted, {} refused; {} events; {} rules compared, {} with at least one matching event, {} agree",
        r.emitted,
        r.refused.len(),
        r.events,
        r.compared,
        r.with_matches,
        r.agreements
    );
}

fn sigmahq(data: &SigmaData) -> (Report, Vec<Converted>) {
    let rules = load_rules(&data.rules);
    let events = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    differential(&rules, &pipeline("none"), events)
}

fn refusal_table(name: &str, report: &Report) -> String {
    let mut table = format!("# Rules of {name} the eql target refuses, with the refusal's code.\n# VIGIL_BLESS=1 cargo test -p vigil-conformance --test emit_eql -- --include-ignored rewrites it.\nfile\thandle\tcode\n");
    for (rule, code) in &report.refused {
        table.push_str(&format!("{rule}\t{code}\n"));
    }
    table
}

#[test]
fn eql_agrees_with_native_evaluation_on_sigmahq_rules() {
    let data = sigma_testdata();
    let (report, converted) = sigmahq(&data);
    summary(&data.name, &report);
    assert!(report.mismatches.is_empty(), "{} of {} rules disagree:\n{}", report.mismatches.len(), report.compared, report.mismatches.join("\n"));
    // Real counts on the project's own data, so the test cannot pass on nothing.
    assert!(report.emitted >= 500, "{report:?}");
    assert!(report.with_matches >= 400, "{}", report.with_matches);
    expect_file("emit-eql-refusals.tsv", &refusal_table(&data.name, &report));
    expect_file("emit-eql-snapshots.txt", &snapshots(&converted));
}

/// The whole SigmaHQ corpus of the shared directory:
/// `VIGIL_SHARED=… cargo test -p vigil-conformance --test emit_eql -- --ignored`.
#[test]
#[ignore]
fn eql_agrees_with_native_evaluation_on_the_whole_sigmahq_corpus() {
    let all = sigma_data();
    let data = all.iter().find(|d| d.name != "testdata/sigmahq").expect("the shared directory with the SigmaHQ corpus (set VIGIL_SHARED)");
    let (report, _) = sigmahq(data);
    summary(&data.name, &report);
    assert!(report.mismatches.is_empty(), "{} of {} rules disagree:\n{}", report.mismatches.len(), report.compared, report.mismatches.join("\n"));
    assert!(report.emitted >= 3400, "{report:?}");
    expect_file("emit-eql-refusals-corpus.tsv", &refusal_table("the SigmaHQ corpus", &report));
}

#[test]
fn eql_agrees_with_native_evaluation_on_the_content_pack() {
    let rules = load_rules(&root().join("content/rules"));
    let events = read_events(&root().join("content/samples"), "ndjson");
    let (report, _) = differential(&rules, &pipeline("ecs-windows"), events);
    summary("content", &report);
    assert!(report.mismatches.is_empty(), "{}", report.mismatches.join("\n"));
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
        summary(name, &report);
        assert!(report.mismatches.len() >= 5, "{name}: {report:?}");
    }
}

/// The features of a rule's emitted text, for picking representative rules.
fn features(c: &Converted) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match &c.query {
        Err(d) => {
            out.insert(d.code.to_string());
        }
        Ok(q) => {
            for word in [" : ", " like ", " in~ ", " in (", " == ", "not (", "== null", "cidrMatch", " < ", " > ", "`", "\\\\", " or ", "true", "false"] {
                if q.contains(word) {
                    out.insert(word.to_string());
                }
            }
        }
    }
    if let Some(e) = c.rule.detection() {
        let mut has_not = false;
        walk(e, &mut |x| has_not |= matches!(x, Expr::Not(_)));
        if has_not {
            out.insert("not".into());
        }
        e.for_each_predicate(&mut |p| {
            let kind = format!("{:?}", p.test);
            out.insert(kind.split([' ', '(', '{']).next().unwrap_or_default().to_string());
        });
    }
    out
}

/// About 50 rules: first those that bring a feature no earlier pick has, then evenly spread.
fn snapshots(converted: &[Converted]) -> String {
    let mut picked: Vec<usize> = Vec::new();
    let mut covered = BTreeSet::new();
    for (i, c) in converted.iter().enumerate() {
        let f = features(c);
        if !f.is_subset(&covered) {
            covered.extend(f);
            picked.push(i);
        }
    }
    let stride = (converted.len() / 50).max(1);
    for i in (0..converted.len()).step_by(stride) {
        if picked.len() >= 50 {
            break;
        }
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    let mut out = String::from("# The eql target's text for representative rules of testdata/sigmahq (VIGIL_BLESS=1 rewrites it).\n");
    for i in picked {
        let c = &converted[i];
        let text = match &c.query {
            Ok(q) => q.clone(),
            Err(d) => format!("refused [{}]: {}", d.code, d.message),
        };
        out.push_str(&format!("\n== {} ({})\n{text}\n", c.rule.source, c.rule.meta.handle()));
    }
    out
}
