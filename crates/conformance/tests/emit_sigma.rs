#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The `sigma` target and the IR's text form, proven by meaning on SigmaHQ's rules.
//!
//! Every rule is printed as Sigma from its detection as written; the printed rule must load
//! back to an IR whose `Display` equals the original's, match exactly the events the
//! original matches (SigmaHQ's regression events and events generated from each rule), and
//! print again to the same text. Checked-in files (`VIGIL_BLESS=1` rewrites them):
//! `testdata/emit-sigma-refusals.tsv`, `testdata/emit-sigma-snapshots.txt` and
//! `testdata/ir-snapshots.txt` (the IR of ~50 representative rules). The whole corpus runs
//! in the ignored test, beside ../shared.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use vigil_conformance::emit_harness::{expect_file, load_rules, nest, read_events, sigma_row};
use vigil_conformance::generate::events_for;
use vigil_conformance::{compile_report, pipeline, sigma_data, sigma_testdata, SigmaData};
use vigil_emit::{convert_all, emit_rule, Options, Target};
use vigil_engine::{Program, Scratch};
use vigil_ir::{Rule, RuleBody};
use vigil_pipeline::Pipeline;
use vigil_sigma::{link, load_str, LoadOptions};

/// Generated events kept per rule (evenly spread over what the generator gives).
const PER_RULE: usize = 40;

/// A rule and what the target printed for it (or the refusal, as text).
type Printed = (Rule, Result<String, String>);

#[derive(Default, Debug)]
struct Report {
    rules: usize,
    printed: usize,
    refused: BTreeMap<String, usize>,
    equal: usize,
    idempotent: usize,
    events: usize,
    events_matching: usize,
    /// (event, rule) pairs that match natively.
    pairs: usize,
    agreeing_events: usize,
    /// What went wrong, per rule: these must be empty.
    failures: Vec<String>,
}

/// Loads a printed rule back (with the filter documents printed after it linked in):
/// exactly one rule, no error.
fn reload(name: &str, text: &str) -> Result<Rule, String> {
    let mut file = load_str(Arc::from(name), text, &LoadOptions::default());
    if !file.errors.is_empty() {
        return Err(format!("does not load: {}", file.errors.iter().map(|d| d.render(Some(text))).collect::<String>()));
    }
    // A correlation printed alone names rules that are not there: only filters are linked.
    if !file.filters.is_empty() {
        let problems = link(&mut file.rules, &file.filters);
        if !problems.is_empty() {
            return Err(format!("does not link: {problems:?}"));
        }
    }
    match file.rules.len() {
        1 => Ok(file.rules.remove(0)),
        n => Err(format!("loads as {n} rules")),
    }
}

/// The handles of the rules of `program` each event matches.
fn run(program: &Program, events: &[String]) -> Vec<BTreeSet<String>> {
    let mut view = program.new_view();
    let mut scratch = Scratch::default();
    events
        .iter()
        .map(|e| {
            view.clear();
            vigil_events::extract(e.as_bytes(), &program.fields, &mut view).expect("valid JSON");
            let mut out = Vec::new();
            program.matches(&view, None, &mut scratch, &mut out);
            out.iter().map(|&r| format!("{}@{}", program.rules[r as usize].rule.meta.handle(), program.rules[r as usize].rule.source)).collect()
        })
        .collect()
}

/// Prints every rule, loads it back, and compares by `Display`, by text and by events.
fn round_trip(rules: &[Rule], real_events: &[Value]) -> (Report, Vec<Printed>) {
    let mut report = Report { rules: rules.len(), ..Report::default() };
    let mut printed = Vec::new();
    let mut originals = Vec::new();
    let mut reloaded = Vec::new();
    for rule in rules {
        let text = match emit_rule(rule, Target::Sigma, &Options::default()) {
            Ok(t) => t,
            Err(d) => {
                *report.refused.entry(d.code.to_string()).or_default() += 1;
                printed.push((rule.clone(), Err(format!("[{}] {}", d.code, d.message))));
                continue;
            }
        };
        report.printed += 1;
        let name = format!("{}", rule.source);
        match reload(&name, &text) {
            Err(why) => report.failures.push(format!("{name}: {why}\n{text}")),
            Ok(back) => {
                if back.to_string() == rule.to_string() {
                    report.equal += 1;
                } else {
                    report.failures.push(format!("{name}: IR differs\n--- original\n{rule}--- printed and loaded\n{back}--- printed\n{text}"));
                }
                match emit_rule(&back, Target::Sigma, &Options::default()) {
                    Ok(again) if again == text => report.idempotent += 1,
                    other => report.failures.push(format!("{name}: printing again differs: {other:?}\n{text}")),
                }
                if matches!(rule.body, RuleBody::Detection(_)) {
                    originals.push(rule.clone());
                    reloaded.push(back);
                }
            }
        }
        printed.push((rule.clone(), Ok(text)));
    }
    // Events: the real ones, and those generated from each printed rule.
    let mut events: Vec<String> = real_events.iter().map(Value::to_string).collect();
    for rule in &originals {
        let generated: Vec<Value> = events_for(rule.detection().unwrap()).iter().filter_map(nest).collect();
        let stride = generated.len().div_ceil(PER_RULE).max(1);
        events.extend(generated.iter().step_by(stride).map(Value::to_string));
    }
    let none = pipeline("none");
    let (a, _) = compile_report(&originals, &none);
    let (b, _) = compile_report(&reloaded, &none);
    assert_eq!(a.rules.len(), b.rules.len(), "both sides compile the same rules");
    let (ma, mb) = (run(&a, &events), run(&b, &events));
    report.events = events.len();
    for (i, (x, y)) in ma.iter().zip(&mb).enumerate() {
        report.events_matching += usize::from(!x.is_empty());
        report.pairs += x.len();
        if x == y {
            report.agreeing_events += 1;
        } else if report.failures.len() < 50 {
            report.failures.push(format!("event {} matches {x:?} natively but {y:?} after printing", events[i]));
        }
    }
    (report, printed)
}

fn refusal_table(name: &str, printed: &[Printed]) -> String {
    let mut out = format!(
        "# Rules of {name} the sigma target refuses (no pipeline), with the reason.\n# VIGIL_BLESS=1 cargo test -p vigil-conformance --test emit_sigma rewrites it.\nfile\thandle\treason\n"
    );
    let mut rows: Vec<String> = printed.iter().filter_map(|(r, t)| t.as_ref().err().map(|e| format!("{}\t{}\t{e}\n", r.source, r.meta.handle()))).collect();
    rows.sort();
    out.extend(rows);
    out
}

/// About 50 rules: first those that bring a modifier, value kind or body no earlier pick
/// has, then evenly spread.
fn representative(rules: &[Rule]) -> Vec<usize> {
    let features = rules.iter().map(|rule| {
        let mut f = BTreeSet::new();
        f.insert(format!("{:?}", std::mem::discriminant(&rule.body)));
        if let Some(w) = rule.meta.written.as_deref() {
            for item in w.items() {
                f.extend(item.modifiers.iter().map(|m| m.to_string()));
                f.extend(item.values.iter().map(|v| format!("{:?}{}", v.kind, v.quoted)));
                f.insert(format!("keyword:{}", item.field.is_none()));
            }
            f.insert(format!("filters:{}", w.filters.len()));
            f.insert(format!("condition-list:{}", w.condition.list));
        }
        f
    });
    vigil_conformance::emit_harness::representative(features)
}

fn summary(name: &str, r: &Report) {
    eprintln!(
        "{name}: {} rules, {} printed, refused {:?}; {} load back to an equal IR, {} print again identically; {} events ({} matching some rule, {} event-rule matches), {} agree",
        r.rules, r.printed, r.refused, r.equal, r.idempotent, r.events, r.events_matching, r.pairs, r.agreeing_events
    );
}

fn check(r: &Report) {
    assert!(r.failures.is_empty(), "{} failures, first ones:\n{}", r.failures.len(), r.failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n"));
    assert_eq!(r.equal, r.printed);
    assert_eq!(r.idempotent, r.printed);
    assert_eq!(r.agreeing_events, r.events);
}

#[test]
fn sigma_target_round_trips_the_project_rules_by_ir_text_and_events() {
    let data = sigma_testdata();
    let rules = load_rules(&data.rules);
    let events: Vec<Value> = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    let (report, printed) = round_trip(&rules, &events);
    summary(&data.name, &report);
    check(&report);
    // Real counts on the project's own data, so the test cannot pass on nothing.
    assert!(report.rules >= 640, "{}", report.rules);
    assert!(report.printed * 100 >= report.rules * 99, "{report:?}");
    assert!(report.events >= 10_000 && report.events_matching >= 1_000, "{report:?}");
    expect_file("emit-sigma-refusals.tsv", &refusal_table(&data.name, &printed));
    let picks = representative(&rules);
    assert!((45..=60).contains(&picks.len()), "{}", picks.len());
    let mut ir = "# The IR (Display) of representative rules of testdata/sigmahq (VIGIL_BLESS=1 rewrites it).\n".to_string();
    let mut sigma = "# The sigma target's text (no pipeline) for representative rules of testdata/sigmahq (VIGIL_BLESS=1 rewrites it).\n".to_string();
    for i in picks {
        let (rule, text) = &printed[i];
        ir.push_str(&format!("\n== {} ({})\n{rule}", rule.source, rule.meta.handle()));
        sigma.push_str(&format!("\n== {} ({})\n{}", rule.source, rule.meta.handle(), text.as_ref().map_or_else(|e| format!("refused {e}\n"), Clone::clone)));
    }
    expect_file("ir-snapshots.txt", &ir);
    expect_file("emit-sigma-snapshots.txt", &sigma);
}

#[test]
fn a_linked_filter_follows_the_rule_as_a_filter_document() {
    let yaml = "title: Shell\nid: r-1\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\\\cmd.exe'\n  condition: sel\n---\ntitle: Not admins\nid: f-1\nlogsource: {product: windows}\nfilter:\n  rules: [r-1, other]\n  admin:\n    User|contains|all: [adm, corp]\n  condition: not admin\n";
    let rules = vigil_conformance::rules(yaml);
    let text = emit_rule(&rules[0], Target::Sigma, &Options::default()).unwrap();
    assert!(text.contains("\n---\ntitle: Not admins\nid: f-1\n"), "{text}");
    assert!(text.contains("filter:\n    rules:\n        - r-1\n    admin:\n        User|contains|all:\n"), "{text}");
    let back = reload("printed.yml", &text).unwrap();
    assert_eq!(back.to_string(), rules[0].to_string());
    assert!(back.to_string().contains("filter:Not admins:"), "{back}");
    assert_eq!(emit_rule(&back, Target::Sigma, &Options::default()).unwrap(), text);
}

/// A rule with no Sigma form as written (EQL) is refused by name, not printed from its
/// expansions.
#[test]
fn rules_without_a_written_form_are_refused() {
    let eql = vigil_eql::lower::lower_rule(&Arc::from("q.eql"), "q", "process where process.name == \"cmd.exe\"", &Default::default()).unwrap();
    assert!(eql.meta.written.is_none());
    let d = emit_rule(&eql, Target::Sigma, &Options::default()).unwrap_err();
    assert_eq!(d.code, "emit::sigma::written-form");
    assert!(d.message.contains("cannot be converted to sigma"), "{}", d.message);
}

/// With a pipeline, the printed rule (field names mapped, conditions the pipeline adds as
/// identifiers of their own) loaded with no pipeline matches what the original matches
/// through the pipeline, on events generated from the mapped rule.
fn through_pipeline(rules: &[Rule], p: &Pipeline) -> (usize, usize, BTreeMap<String, usize>, usize) {
    let converted = convert_all(rules, p, Target::Sigma, &Options::default());
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let (mut originals, mut printed, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for (rule, c) in rules.iter().zip(&converted) {
        match &c.query {
            Err(d) => *refused.entry(d.code.to_string()).or_default() += 1,
            Ok(text) if matches!(rule.body, RuleBody::Detection(_)) => {
                let back = reload("printed.yml", text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", rule.source));
                assert_eq!(back.logsource, c.rule.logsource, "{}", rule.source);
                assert_eq!(emit_rule(&back, Target::Sigma, &Options::default()).unwrap(), *text, "printing again differs");
                let generated: Vec<Value> = events_for(c.rule.detection().unwrap()).iter().filter_map(nest).collect();
                let stride = generated.len().div_ceil(PER_RULE).max(1);
                events.extend(generated.iter().step_by(stride).map(Value::to_string));
                originals.push(rule.clone());
                printed.push(back);
            }
            Ok(_) => {}
        }
    }
    let (a, ra) = compile_report(&originals, p);
    let (b, rb) = compile_report(&printed, &pipeline("none"));
    // Rules with unresolved placeholders (`|expand`, printed as written) are refused on both
    // sides alike.
    assert_eq!(ra.refused.len(), rb.refused.len());
    let (ma, mb) = (run(&a, &events), run(&b, &events));
    let mut matching = 0;
    for (i, (x, y)) in ma.iter().zip(&mb).enumerate() {
        let x: BTreeSet<&str> = x.iter().map(|h| h.split('@').next().unwrap()).collect();
        let y: BTreeSet<&str> = y.iter().map(|h| h.split('@').next().unwrap()).collect();
        assert_eq!(x, y, "event {}", events[i]);
        matching += usize::from(!x.is_empty());
    }
    (printed.len(), events.len(), refused, matching)
}

#[test]
fn sigma_target_with_a_pipeline_prints_mapped_names_and_added_conditions() {
    let data = sigma_testdata();
    let rules: Vec<Rule> = load_rules(&data.rules).into_iter().filter(|r| r.logsource.product.as_deref() == Some("windows")).collect();
    let (printed, events, refused, matching) = through_pipeline(&rules, &pipeline("ecs-windows"));
    eprintln!("ecs-windows: {printed} of {} Windows rules printed, refused {refused:?}; {events} events, {matching} matching, all agree", rules.len());
    assert!(printed * 100 >= rules.len() * 95, "{printed} of {}: {refused:?}", rules.len());
    assert!(events >= 5_000 && matching >= 500, "{events} {matching}");
}

/// The whole SigmaHQ corpus of the shared directory:
/// `VIGIL_SHARED=… cargo test -p vigil-conformance --test emit_sigma -- --ignored`.
#[test]
#[ignore]
fn sigma_target_round_trips_the_whole_sigmahq_corpus() {
    let all = sigma_data();
    let data: &SigmaData = all.iter().find(|d| d.name != "testdata/sigmahq").expect("the shared directory with the SigmaHQ corpus (set VIGIL_SHARED)");
    let rules = load_rules(&data.rules);
    let events: Vec<Value> = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    let (report, printed) = round_trip(&rules, &events);
    summary(&data.name, &report);
    expect_file("emit-sigma-refusals-corpus.tsv", &refusal_table("the SigmaHQ corpus", &printed));
    check(&report);
    let windows: Vec<Rule> = rules.into_iter().filter(|r| r.logsource.product.as_deref() == Some("windows")).collect();
    let (n, events, refused, matching) = through_pipeline(&windows, &pipeline("ecs-windows"));
    eprintln!("ecs-windows: {n} of {} Windows rules printed, refused {refused:?}; {events} events, {matching} matching, all agree", windows.len());
}
