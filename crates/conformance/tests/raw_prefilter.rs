#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The raw-byte prefilter (`engine/src/raw_prefilter.rs`) must be exactly sound: a record it
//! leaves unparsed is one no rule of the program matches. Checked record by record (which
//! implies byte-identical alerts with and without it): every SigmaHQ rule of the project's
//! sample compiled alone over the regression events, and every query of the Elasticsearch
//! EQL QA suites over its dataset. Each skipped record is parsed and evaluated anyway, and
//! must match nothing; the counts show the filter did skip records and kept the matching ones.

use std::sync::Arc;

use vigil_conformance::rng::Rng;
use vigil_conformance::{eql_qa, files_with_extension, pipeline, sigma_testdata};
use vigil_engine::{Program, RawScratch, Scratch};
use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_sigma::{load_str, LoadOptions};

/// (records skipped, records kept that match) for `program` over the records of `data` at
/// `spans`; panics when a skipped record matches.
fn check(program: &Program, what: &str, data: &[u8], spans: &[(usize, usize)]) -> (usize, usize) {
    let Some(raw) = &program.raw_prefilter else { return (0, 0) };
    let mut scratch = RawScratch::default();
    raw.select(data, spans, &mut scratch);
    assert_eq!(scratch.keep.len(), spans.len());
    let mut view = program.new_view();
    let mut eval = Scratch::default();
    let (mut skipped, mut kept_matching) = (0, 0);
    for (i, &(start, end)) in spans.iter().enumerate() {
        view.clear();
        if vigil_events::extract(&data[start..end], &program.fields, &mut view).is_err() {
            assert!(scratch.keep[i], "{what}: a bad record was skipped: {}", String::from_utf8_lossy(&data[start..end]));
            continue;
        }
        let mut matched = Vec::new();
        program.matches(&view, None, &mut eval, &mut matched);
        if scratch.keep[i] {
            kept_matching += usize::from(!matched.is_empty());
        } else {
            skipped += 1;
            assert!(matched.is_empty(), "{what}: skipped a record it matches: {}", String::from_utf8_lossy(&data[start..end]));
        }
    }
    (skipped, kept_matching)
}

/// Records as NDJSON: the bytes and each record's span.
fn ndjson(records: &[String]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let (mut data, mut spans) = (Vec::new(), Vec::new());
    for r in records {
        let start = data.len();
        data.extend_from_slice(r.as_bytes());
        spans.push((start, data.len()));
        data.push(b'\n');
    }
    (data, spans)
}

/// Every `step`-th rule file of the sample, each rule compiled alone through `pipelines`.
fn sigma_rules_over_the_regression_events(step: usize, pipelines: &[&str], min_kept: usize) {
    let data = sigma_testdata();
    let mut records = Vec::new();
    for row in std::fs::read_to_string(data.regression.join("cases.tsv")).unwrap().lines().skip(1) {
        let path = data.regression.join(row.split('\t').nth(6).unwrap());
        // One record per line, as NDJSON gives it.
        vigil_conformance::read_records(&path, &mut |record, _| {
            records.push(serde_json::from_slice::<serde_json::Value>(record).unwrap().to_string());
        })
        .unwrap();
    }
    assert_eq!(records.len(), 238);
    let (bytes, spans) = ndjson(&records);
    let (mut programs, mut with_raw, mut skipped, mut kept) = (0, 0, 0, 0);
    for f in files_with_extension(&data.rules, "yml").into_iter().step_by(step) {
        let text = std::fs::read_to_string(&f).unwrap();
        for rule in load_str(Arc::from(f.display().to_string().as_str()), &text, &LoadOptions::default()).rules {
            for &name in pipelines {
                let (program, _) = vigil_conformance::compile_report(std::slice::from_ref(&rule), &pipeline(name));
                programs += 1;
                with_raw += usize::from(program.raw_prefilter.is_some());
                let (s, k) = check(&program, &f.display().to_string(), &bytes, &spans);
                skipped += s;
                kept += k;
            }
        }
    }
    eprintln!("{programs} programs, {with_raw} with a raw prefilter; {skipped} records skipped, {kept} matching records kept");
    assert!(with_raw * 2 > programs, "{with_raw} of {programs} programs have a raw prefilter");
    assert!(skipped > 100 * with_raw, "{skipped} records skipped");
    assert!(kept >= min_kept, "{kept} matching records kept");
}

#[test]
fn sigma_rules_one_at_a_time_over_the_regression_events() {
    // A fifth of the sample, to keep the suite fast; all of it below (measured: 1,302
    // programs, 1,270 with a prefilter, 157,046 records skipped, 315 matching kept).
    sigma_rules_over_the_regression_events(5, &["evtx"], 20);
}

#[test]
#[ignore = "slow sweep (minutes): every rule of the sample through two pipelines"]
fn every_sample_sigma_rule_over_the_regression_events() {
    sigma_rules_over_the_regression_events(1, &["none", "evtx"], 300);
}

#[test]
fn eql_qa_queries_over_their_datasets() {
    let (mut cases, mut with_raw, mut skipped, mut kept) = (0, 0, 0, 0);
    for suite in eql_qa::SUITES {
        let datasets: Vec<_> = suite.indices.iter().map(|i| eql_qa::dataset(i)).collect();
        let schema = datasets.first().map(|d| vigil_eql::schema::Schema::from_mapping(&d.mapping).unwrap()).unwrap_or_default();
        let records: Vec<String> = datasets.iter().flat_map(|d| d.events.iter().map(|e| e.json.to_string())).collect();
        let (bytes, spans) = ndjson(&records);
        for case in eql_qa::cases(suite.file) {
            let options = LowerOptions { category_field: "event.category".into(), schema: schema.clone(), ..LowerOptions::default() };
            let Ok(rule) = lower_rule(&Arc::from("query.eql"), "query", &case.query, &options) else { continue };
            let (program, _) = Program::compile(vec![rule], &[]);
            cases += 1;
            with_raw += usize::from(program.raw_prefilter.is_some());
            let (s, k) = check(&program, &format!("{} {}", suite.file, case.name), &bytes, &spans);
            skipped += s;
            kept += k;
        }
    }
    eprintln!("{cases} queries, {with_raw} with a raw prefilter; {skipped} records skipped, {kept} matching records kept");
    assert!(with_raw * 3 > cases, "{with_raw} of {cases} queries have a raw prefilter");
    assert!(skipped > 1000 && kept > 100, "{skipped} skipped, {kept} kept");
}

#[test]
fn records_that_might_spell_a_needle_otherwise_are_parsed() {
    let rule =
        lower_rule(&Arc::from("q.eql"), "q", r#"any where process.name : "*power*" and process.command_line : "*c:\\x/y*""#, &LowerOptions::default()).unwrap();
    let (program, _) = Program::compile(vec![rule], &[]);
    let records: Vec<String> = [
        r#"{"process":{"name":"POWERSHELL","command_line":"C:\\X/Y"}}"#, // plain, matches
        r#"{"process":{"name":"notepad","command_line":"a"}}"#,          // plain, no needle
        r#"{"process":{"name":"\u0070ower","command_line":"c:\\x/y"}}"#, // `\u` escape
        r#"{"process":{"name":"power","command_line":"c:\\x\/y"}}"#,     // `\/` escape
        r#"{"process":{"name":"ünpower","command_line":"c:\\x/y"}}"#,    // non-ASCII
        r#"{"process":{"name":"power","command_line":"c:\\x/y""#,        // truncated
        r#"{"process":{"name":"power","command_line":["c:\\x/y"]}}"#,    // plain, matches
        r#"{"process":{"name":"power","command_line":"c:\\\\x/y"}}"#,    // escaped backslash pair, no match
        r#"{"process":{"name":"notepad",}}"#,                            // malformed, no needle
        r#"{"process":{"name":"notepad","pid":01}}"#,                    // malformed number, no needle
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (bytes, spans) = ndjson(&records);
    let mut scratch = RawScratch::default();
    program.raw_prefilter.as_ref().expect("a prefilter").select(&bytes, &spans, &mut scratch);
    assert_eq!(scratch.keep, [true, false, true, true, true, true, true, false, true, true]);
    let (skipped, kept) = check(&program, "escapes", &bytes, &spans);
    assert_eq!((skipped, kept), (2, 5));
}

/// The validator (`engine/src/raw_json.rs`) against the parser: every one-byte change,
/// deletion and cut of some plain records, none holding a needle, so only the validator
/// stands between a bad record and a silent skip. `check` fails when a record the parser
/// rejects is skipped; the counts show both verdicts were exercised, in the probe and in the
/// anchored part of the chunk.
#[test]
fn every_small_damage_to_a_record_is_parsed_and_reported() {
    let rule =
        lower_rule(&Arc::from("q.eql"), "q", r#"any where process.name : "*power*" and process.command_line : "*http*""#, &LowerOptions::default()).unwrap();
    let (program, _) = Program::compile(vec![rule], &[]);
    let bases = [
        r#"{"@timestamp":1714557600037,"event":{"category":"process","type":"start"},"ok":true,"no":false,"x":null}"#,
        r#"{ "a" : [ 1 , -2.5e+3 , 0.0 , { } , [ ] , "s\"\\\/\b\f\n\r\t" ] , "b" : { "c" : [ [ 7 ] ] } }"#,
        r#"{"process":{"name":"notepad.exe","command_line":"notepad.exe C:\\Windows\\x.txt","pid":-12E-3}}"#,
    ];
    let records = damaged(&bases, b"{}[]\":, \t0-.eEtn\\/a\x01\x7f");
    let (mut data, mut spans) = (Vec::new(), Vec::new());
    for r in &records {
        // One record per line: a damaged record may not hold a line break.
        let r: Vec<u8> = r.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect();
        let start = data.len();
        data.extend_from_slice(&r);
        spans.push((start, data.len()));
        data.push(b'\n');
    }
    assert!(records.len() > 256 * 4, "{} records", records.len());
    let mut view = program.new_view();
    let bad = spans.iter().filter(|&&(s, e)| vigil_events::extract(&data[s..e], &program.fields, &mut view).is_err()).count();
    let (skipped, kept_matching) = check(&program, "damaged", &data, &spans);
    eprintln!("{} records: {bad} bad (all parsed), {skipped} skipped", records.len());
    assert_eq!(kept_matching, 0);
    assert!(bad > records.len() / 2 && skipped > records.len() / 10, "{bad} bad, {skipped} skipped of {}", records.len());
}

/// Every one-byte replacement (by each byte of `damage`), deletion and cut of each base
/// record, in order.
fn damaged(bases: &[&str], damage: &[u8]) -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    for base in bases {
        let bytes = base.as_bytes();
        for at in 0..bytes.len() {
            for &b in damage {
                let mut r = bytes.to_vec();
                r[at] = b;
                records.push(r);
            }
            let mut deleted = bytes.to_vec();
            deleted.remove(at);
            records.push(deleted);
            records.push(bytes[..at].to_vec());
        }
    }
    records
}

/// Records made by damaging and splicing plain ones (one-byte changes, deletions, cuts, and
/// seeded random splices and byte runs), for the validator.
fn validator_inputs() -> Vec<Vec<u8>> {
    let bases = [
        r#"{"@timestamp":1714557600037,"event":{"category":"process","type":"start"},"ok":true,"no":false,"x":null}"#,
        r#"{ "a" : [ 1 , -2.5e+3 , 0.0 , { } , [ ] , "s\"\\\/\b\f\n\r\t" ] , "b" : { "c" : [ [ 7 ] ] } }"#,
        r#"{"process":{"name":"notepad.exe","command_line":"notepad.exe C:\\Windows\\x.txt","pid":-12E-3}}"#,
        r#"{"host":{"name":"host1","os":{"type":"windows"}},"process":{"entity_id":"e000000001","name":"chrome.exe","command_line":"chrome.exe http://198.51.100.7/a.hta with a string longer than sixty-four bytes"},"n":[1,2,3]}"#,
    ];
    let mut records: Vec<Vec<u8>> = bases.iter().map(|b| b.as_bytes().to_vec()).collect();
    records.extend(damaged(&bases, b"{}[]\":, \t0-.eEtn\\/a\x01\x7f\x80\xff"));
    // Seeded xorshift: splices of two bases at random offsets, and runs of JSON-ish bytes.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet: &[u8] = b"{}[]\":,  \"\"ab01-.eE\\tnulfrs";
    for _ in 0..20_000 {
        let a = bases[rng.below(bases.len())].as_bytes();
        let b = bases[rng.below(bases.len())].as_bytes();
        let (i, j) = (rng.below(a.len()), rng.below(b.len()));
        records.push([&a[..i], &b[j..]].concat());
        let len = rng.below(40);
        let mut run = b"{\"k\":".to_vec();
        run.extend((0..len).map(|_| alphabet[rng.below(alphabet.len())]));
        records.push(run);
    }
    records
}

/// The validator (`engine/src/raw_json.rs`) accepts only records the parser accepts, on
/// damaged, spliced and seeded random records (a property check beside the exhaustive
/// one-byte damage above), and refuses a record the parser accepts only when it is not plain
/// (non-ASCII bytes or a `\u` escape: those are parsed anyway); both verdicts occur often.
#[test]
fn the_validator_accepts_only_what_the_parser_accepts_on_random_records() {
    let rule = lower_rule(&Arc::from("q.eql"), "q", r#"any where process.name : "*power*""#, &LowerOptions::default()).unwrap();
    let (program, _) = Program::compile(vec![rule], &[]);
    let mut view = program.new_view();
    let (mut accepted, mut parsed) = (0, 0);
    let records = validator_inputs();
    for r in &records {
        view.clear();
        let parses = vigil_events::extract(r, &program.fields, &mut view).is_ok();
        parsed += usize::from(parses);
        let valid = vigil_engine::raw_json::well_formed(r);
        if valid {
            assert!(parses, "accepted, the parser rejects: {}", String::from_utf8_lossy(r));
            accepted += 1;
        }
        // Only non-ASCII text and `\u` escapes may be refused although they parse.
        if parses && r.is_ascii() && !r.windows(2).any(|w| w == b"\\u") {
            assert!(valid, "plain record refused: {}", String::from_utf8_lossy(r));
        }
    }
    eprintln!("{} records: {parsed} parse, {accepted} accepted by the validator", records.len());
    assert!(accepted > 1000 && accepted < records.len() / 2, "{accepted} accepted of {}", records.len());
}
