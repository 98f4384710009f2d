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

use regex_syntax::hir::{Class, Hir, HirKind};
use serde_json::Value;
use vigil_conformance::emit_harness::{expect_file, load_rules, native_matches, read_events, sigma_row, with_generated, EmitSuite, Report};
use vigil_conformance::{pipeline, root, sigma_data, sigma_testdata, SigmaData};
use vigil_emit::eql::KEYWORD_FIELD;
use vigil_emit::regex_text::regex_hir;
use vigil_emit::{convert_all, Converted, Options, Target};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_ir::{Expr, Field, Piece, Rule, Test};
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
                originals.push(Rule::clone(rule));
                lowered.push(back);
                kept.push((rule, query));
            }
            Err(d) => report.mismatches.push(format!("{} ({}): EQL does not lower back: {d}\n  {query}", rule.source, rule.meta.handle())),
        }
    }
    // Events: the real ones, then those generated from each rule.
    let shared = real_events.len();
    let (generated, own_generated) = with_generated(kept.iter().map(|(r, _)| *r), real_events, true);
    // Each rule's own events: probes of its keyword searches and regexes, then its generated ones.
    let mut events: Vec<Value> = generated.get(..shared).unwrap_or_default().to_vec();
    let mut own = Vec::new();
    for ((rule, _), range) in kept.iter().zip(own_generated) {
        let start = events.len();
        let mine = &generated[range];
        events.extend(probed(rule.detection().unwrap(), mine));
        events.extend(mine.iter().cloned());
        own.push(start..events.len());
    }
    report.events = events.len();
    let texts: Vec<String> = events.into_iter().map(with_keyword_field).map(|e| e.to_string()).collect();
    let sees = |rule: usize, row: usize| row < shared || own[rule].contains(&row);
    let native = native_matches(&originals, pipeline, &texts, &sees);
    let eql = native_matches(&lowered, pipeline, &texts, &sees);
    for (i, (rule, query)) in kept.iter().enumerate() {
        report.compare(rule, query, "EQL", Ok(&eql[i]), &native[i], &texts);
    }
    (report, converted)
}

/// The event with the keyword field the `eql` target's keyword searches read: an array of
/// every string value of the event (the values native keyword search looks at), absent when
/// there is none.
fn with_keyword_field(mut event: Value) -> Value {
    fn strings(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(map) => map.values().for_each(|x| strings(x, out)),
            Value::Array(items) => items.iter().for_each(|x| strings(x, out)),
            Value::String(_) => out.push(v.clone()),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(&event, &mut all);
    if let (Value::Object(map), false) = (&mut event, all.is_empty()) {
        map.insert(KEYWORD_FIELD.to_string(), Value::Array(all));
    }
    event
}

/// At most this many probe values per rule.
const PROBES: usize = 12;

/// Events probing the predicates the generator leaves out, keyword searches and regexes:
/// each of `base` (or an empty event) with one probe value set, a value the predicate should
/// match or narrowly miss (see [`probe_values`]); and, for rules that need several of them
/// at once, `base` with every predicate's first value set, then with one of them narrowly
/// missing. Each keyword search's probe goes in a field of its own that no rule names.
fn probed(expr: &Expr, base: &[Value]) -> Vec<Value> {
    let mut probes: Vec<(String, Vec<String>)> = Vec::new();
    expr.for_each_predicate(&mut |p| {
        let field = match &p.field {
            Field::Named(name) => name.clone(),
            Field::Keyword => format!("vigil_probe{}", probes.len()),
        };
        let samples: Vec<String> = match &p.test {
            Test::Str { patterns, .. } if p.field == Field::Keyword => patterns.iter().take(4).map(pattern_sample).collect(),
            Test::Regex { patterns } => patterns.iter().take(4).filter_map(|r| regex_hir(r).ok()).flat_map(|h| regex_samples(&h)).collect(),
            _ => return,
        };
        probes.push((field, samples.iter().flat_map(|s| probe_values(s)).collect()));
    });
    let empty = [Value::Object(Default::default())];
    let bases = if base.is_empty() { &empty[..] } else { base };
    let set = |mut e: Value, field: &str, value: &str| {
        let mut node = &mut e;
        for part in field.split('.') {
            if !node.is_object() {
                break;
            }
            node = node.as_object_mut().unwrap().entry(part.to_string()).or_insert_with(|| Value::Object(Default::default()));
        }
        *node = Value::String(value.to_string());
        e
    };
    let singles: Vec<(&String, &String)> = probes.iter().flat_map(|(f, values)| values.iter().map(move |v| (f, v))).collect();
    let stride = singles.len().div_ceil(PROBES).max(1);
    let mut out = Vec::new();
    for (i, (field, value)) in singles.into_iter().step_by(stride).enumerate() {
        for b in [&bases[0], &bases[i % bases.len()]] {
            out.push(set(b.clone(), field, value));
        }
    }
    if probes.len() > 1 {
        let all = |miss: Option<usize>| {
            probes.iter().enumerate().fold(bases[0].clone(), |e, (j, (field, values))| {
                // Value 4 of `probe_values` is the first sample a character short.
                let k = if miss == Some(j) { 4 } else { 0 };
                match values.get(k) {
                    Some(v) => set(e, field, v),
                    None => e,
                }
            })
        };
        out.push(all(None));
        out.extend((0..probes.len().min(PROBES)).map(|j| all(Some(j))));
    }
    out
}

/// A value a Sigma string pattern matches: literal text, `*` as nothing, `?` as `q`.
fn pattern_sample(pattern: &vigil_ir::StrPattern) -> String {
    pattern
        .pieces()
        .iter()
        .map(|piece| match piece {
            Piece::Lit(t) => t.clone(),
            Piece::AnyChar => "q".to_string(),
            _ => String::new(),
        })
        .collect()
}

/// `sample`, with text around it, in other cases, and a character short at either end.
fn probe_values(sample: &str) -> Vec<String> {
    let mut chars = sample.chars();
    chars.next_back();
    let short_end = chars.as_str().to_string();
    let mut chars = sample.chars();
    chars.next();
    let short_start = chars.as_str().to_string();
    vec![sample.to_string(), format!("Ab {sample} cD"), sample.to_uppercase(), sample.to_lowercase(), short_end, short_start, format!("{sample}\nx")]
}

/// A few strings the regex `hir` matches (a whole string, as a search finds it).
fn regex_samples(hir: &Hir) -> Vec<String> {
    let mut out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(lit) => vec![String::from_utf8_lossy(&lit.0).into_owned()],
        HirKind::Class(Class::Unicode(class)) => {
            let chars: Vec<char> = class.ranges().iter().flat_map(|r| [r.start(), r.end()]).collect();
            let nice: Vec<char> = class.ranges().iter().flat_map(|r| r.start()..=r.end().min('~')).filter(|c| c.is_ascii_alphanumeric()).take(2).collect();
            let picked = if nice.is_empty() { chars.into_iter().take(2).collect() } else { nice };
            picked.into_iter().map(String::from).collect()
        }
        HirKind::Class(Class::Bytes(_)) => Vec::new(),
        HirKind::Repetition(rep) => {
            let sub = regex_samples(&rep.sub);
            let first = sub.first().cloned().unwrap_or_default();
            let mut v = vec![first.repeat(rep.min as usize)];
            if rep.max.is_none_or(|m| m > rep.min) {
                v.push(sub.iter().cycle().take(rep.min as usize + 1).cloned().collect());
            }
            v
        }
        HirKind::Capture(c) => regex_samples(&c.sub),
        HirKind::Concat(items) => {
            let parts: Vec<Vec<String>> = items.iter().map(regex_samples).collect();
            let first: Vec<String> = parts.iter().map(|p| p.first().cloned().unwrap_or_default()).collect();
            let mut v = vec![first.concat()];
            for (i, p) in parts.iter().enumerate().filter(|(_, p)| p.len() > 1).take(3) {
                let mut other = first.clone();
                other[i] = p[1].clone();
                v.push(other.concat());
            }
            v
        }
        HirKind::Alternation(branches) => branches.iter().flat_map(|b| regex_samples(b).into_iter().take(2)).collect(),
    };
    out.truncate(6);
    out
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

/// The probes reach regexes and keyword searches: on the rules of the project's sample whose
/// EQL has a `regex` or a keyword search, the honest text agrees everywhere, and text made
/// wrong on purpose (a regex anchored at its start; keywords looked up in the wrong field;
/// a keyword match made case-sensitive) disagrees on many of them.
#[test]
fn deliberately_wrong_regexes_and_keywords_are_caught() {
    let data = sigma_testdata();
    let none = pipeline("none");
    let converted = convert_all(&load_rules(&data.rules), &none, Target::Eql, &Options::default());
    let uses =
        |word: &str| -> Vec<Rule> { converted.iter().filter(|c| c.query.as_ref().is_ok_and(|q| q.contains(word))).map(|c| Rule::clone(&c.rule)).collect() };
    let events: Vec<Value> = read_events(&data.regression.join("regression_data"), "json").iter().map(sigma_row).collect();
    let mutations: [(&str, Mutation); 3] = [
        (" regex ", |q| q.replace(r#"regex ".*"#, r#"regex ""#)),
        (KEYWORD_FIELD, |q| q.replace(KEYWORD_FIELD, "Keywords")),
        (KEYWORD_FIELD, |q| q.replace("_values : ", "_values like ")),
    ];
    for (word, mutate) in mutations {
        let rules = uses(word);
        let (honest, _) = differential(&rules, &none, events.clone());
        honest.summary(word);
        assert!(honest.emitted >= 20 && honest.with_matches >= 15 && honest.mismatches.is_empty(), "{word}: {honest:?}");
        let (report, _) = differential_with(&rules, &none, events.clone(), mutate);
        report.summary(word);
        assert!(report.mismatches.len() >= 5, "{word}: {report:?}");
    }
}
