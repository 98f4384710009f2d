#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Elasticsearch's EQL unit cases for functions and constant folding
//! (`testdata/eql/es-unit/test_string_functions.toml`, `test_folding.toml`): each
//! `expression` is parsed, lowered to a computed value and evaluated over an empty event
//! (`vigil_engine::compute::fold`); the result must equal `expected` in type and value (a
//! case without `expected` expects null). `verifier.failures` must be refused with a
//! diagnostic. `loop` sections are expanded over their parameter types. A case that does
//! not hold must be listed in `testdata/eql/es-unit-known-failures.tsv` with its reason;
//! a listed case that holds fails the test.
//!
//! The Endgame copies of these suites (`../shared/conformance/eql/test_string_functions.toml`,
//! `test_folding.toml`; AGPL, read from the shared data only, shared-gated like
//! `eql_endgame.rs`) run the same way; each case vigil does not fold as Endgame does is
//! listed by file and position in `testdata/eql/endgame-unit-classified.tsv` as
//! `endgame-only` or `failing`, with its reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_conformance::root;
use vigil_eql::ast::Query;
use vigil_eql::lower_value::ValueLowering;
use vigil_eql::schema::Schema;
use vigil_ir::{Diagnostic, Scalar, SourceId};

/// One case: the expression and what it must give (`Ok(value)`, or `Err(())`: refused).
struct Case {
    section: String,
    expression: String,
    expected: Result<Scalar, ()>,
}

fn scalar(v: Option<&toml::Value>) -> Scalar {
    match v {
        None => Scalar::Null,
        Some(toml::Value::Integer(i)) => Scalar::Int(*i),
        Some(toml::Value::Float(x)) => Scalar::Float(*x),
        Some(toml::Value::String(s)) => Scalar::Str(s.clone()),
        Some(toml::Value::Boolean(b)) => Scalar::Bool(*b),
        Some(other) => panic!("unexpected expected value {other}"),
    }
}

/// A constant of each type a `loop` names.
fn constant(ty: &str) -> &'static str {
    match ty {
        "bool" => "true",
        "int" => "1",
        "float" => "1.5",
        "string" => "\"abc\"",
        "null" => "null",
        other => panic!("loop type {other}"),
    }
}

fn fold_tests(section: &str, fold: Option<&toml::Value>, out: &mut Vec<Case>, substitute: &dyn Fn(&str) -> String) {
    for test in fold.and_then(|f| f.get("tests")).and_then(toml::Value::as_array).into_iter().flatten() {
        let expression = substitute(test["expression"].as_str().unwrap());
        out.push(Case { section: section.to_string(), expression, expected: Ok(scalar(test.get("expected"))) });
    }
}

fn cases(file: &str) -> Vec<Case> {
    cases_at(&root().join("testdata/eql/es-unit").join(file))
}

fn cases_at(path: &std::path::Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table = text.parse().unwrap();
    let mut out = Vec::new();
    for (section, body) in &table {
        fold_tests(section, body.get("fold"), &mut out, &|e| e.to_string());
        // One section lists its tests without the `fold` level.
        fold_tests(section, Some(body), &mut out, &|e| e.to_string());
        for failure in body.get("verifier").and_then(|v| v.get("failures")).and_then(toml::Value::as_array).into_iter().flatten() {
            out.push(Case { section: section.clone(), expression: failure["expression"].as_str().unwrap().to_string(), expected: Err(()) });
        }
        for lp in body.get("loop").and_then(toml::Value::as_array).into_iter().flatten() {
            let name = lp["param"]["name"].as_str().unwrap();
            for ty in lp["param"]["type"].as_array().unwrap() {
                let value = constant(ty.as_str().unwrap());
                fold_tests(section, lp.get("fold"), &mut out, &|e| e.replace(&format!("${name}"), value));
            }
        }
    }
    out
}

/// Parses, lowers and folds one expression.
fn fold(expression: &str) -> Result<Scalar, Diagnostic> {
    let source: SourceId = Arc::from("fold.eql");
    let statement = vigil_eql::parse_checked(&source, &format!("any where {expression}"))?;
    let Query::Event(filter) = &statement.query else { unreachable!() };
    let schema = Schema::default();
    let value = ValueLowering { source: &source, schema: &schema }.value(&filter.condition)?;
    vigil_engine::compute::fold(&value).map_err(|e| Diagnostic::error("engine::compile", source.clone(), filter.span.0, e))
}

fn same(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        // Floats written with more digits than a double holds (`2.33333333333333333`).
        (Scalar::Float(x), Scalar::Float(y)) => x == y || (x - y).abs() <= 1e-15 * y.abs(),
        _ => a == b,
    }
}

#[test]
fn elasticsearch_function_and_folding_cases_fold_as_elasticsearch_does() {
    let known = vigil_conformance::eql_qa::known_failures("eql/es-unit-known-failures.tsv");
    let mut failures = BTreeMap::new();
    let mut counts = Vec::new();
    for (file, total) in [("test_string_functions.toml", 92), ("test_folding.toml", 150)] {
        let cases = cases(file);
        assert_eq!(cases.len(), total, "{file}: cases (loops expanded)");
        let mut pass = 0;
        for case in cases {
            let got = fold(&case.expression);
            let ok = match (&case.expected, &got) {
                (Ok(want), Ok(got)) => same(got, want),
                (Err(()), Err(_)) => true,
                _ => false,
            };
            if ok {
                pass += 1;
            } else {
                let got = got.map_or_else(|d| format!("refused: {} {}", d.code, d.message), |v| format!("{v:?}"));
                failures.insert(format!("{file}\t{}", case.expression), format!("[{}] expected {:?}, got {got}", case.section, case.expected));
            }
        }
        counts.push((file, pass, total));
    }
    for (k, why) in &failures {
        eprintln!("FAIL {k}: {why}");
    }
    eprintln!("ES unit function/folding cases (pass, total): {counts:?}; known failures: {}", known.len());
    let unexpected: Vec<String> = failures.iter().filter(|(k, _)| !known.contains_key(*k)).map(|(k, v)| format!("{k}: {v}")).collect();
    let fixed: Vec<&String> = known.keys().filter(|k| !failures.contains_key(*k)).collect();
    assert!(unexpected.is_empty(), "failures not in es-unit-known-failures.tsv:\n{}", unexpected.join("\n"));
    assert!(fixed.is_empty(), "listed as known failures but passing (remove them): {fixed:?}");
    assert_eq!(counts, [("test_string_functions.toml", 92, 92), ("test_folding.toml", 142, 150)]);
}

#[test]
fn endgame_function_and_folding_cases_pass_or_are_classified() {
    let dir = vigil_conformance::shared().join("conformance/eql");
    if !dir.join("test_folding.toml").is_file() {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} has no test_folding.toml", dir.display());
        eprintln!("eql_fold: Endgame cases DID NOT RUN: they are read from ../shared only, and {} is absent", dir.display());
        return;
    }
    let text = std::fs::read_to_string(root().join("testdata/eql/endgame-unit-classified.tsv")).unwrap();
    let mut listed = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        assert!(f.len() == 4 && matches!(f[2], "endgame-only" | "failing") && !f[3].trim().is_empty(), "bad line: {line}");
        assert!(listed.insert((f[0].to_string(), f[1].parse::<usize>().unwrap()), f[2].to_string()).is_none(), "listed twice: {line}");
    }
    let dump = std::env::var_os("VIGIL_ENDGAME_DUMP").is_some();
    let (mut wrong, mut counts) = (Vec::new(), Vec::new());
    for file in ["test_string_functions.toml", "test_folding.toml"] {
        let cases = cases_at(&dir.join(file));
        let (mut pass, mut endgame_only, mut failing, mut respelled_pass) = (0, 0, 0, 0);
        for (i, case) in cases.iter().enumerate() {
            let number = i + 1;
            let holds = |got: &Result<Scalar, Diagnostic>| match (&case.expected, got) {
                (Ok(want), Ok(got)) => same(got, want),
                (Err(()), Err(_)) => true,
                _ => false,
            };
            let mut got = fold(&case.expression);
            let mut ok = holds(&got);
            // Endgame-only spellings (`'…'`, `=`) written as Elasticsearch spells them; a
            // refusal the case expects is not respelled away.
            if !ok && case.expected.is_ok() {
                if let Some(respelled) = vigil_conformance::endgame::respell(&case.expression) {
                    got = fold(&respelled);
                    ok = holds(&got);
                    respelled_pass += usize::from(ok);
                }
            }
            if dump {
                eprintln!(
                    "{file}\t{number}\t[{}] {:?} expected {:?} got {:?}",
                    case.section,
                    case.expression,
                    case.expected,
                    got.as_ref().map_err(|d| &d.message)
                );
            }
            match (ok, listed.get(&(file.to_string(), number)).map(String::as_str)) {
                (true, None) => pass += 1,
                (true, Some(class)) => wrong.push(format!("{file} {number}: passes but is listed as {class}")),
                (false, Some("endgame-only")) => endgame_only += 1,
                (false, Some(_)) => failing += 1,
                (false, None) => wrong.push(format!("{file} {number} [{}]: not classified", case.section)),
            }
        }
        counts.push((file, cases.len(), pass, respelled_pass, endgame_only, failing));
    }
    eprintln!("Endgame function/folding cases (file, total, pass, of which respelled, Endgame-only, failing): {counts:?}");
    assert!(wrong.is_empty(), "{} case(s) not as listed:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(counts, ENDGAME_UNIT);
}

/// Endgame function and folding cases: (file, total with loops expanded, pass, of which
/// pass only respelled, Endgame-only, failing).
const ENDGAME_UNIT: [(&str, usize, usize, usize, usize, usize); 2] =
    [("test_string_functions.toml", 114, 90, 28, 24, 0), ("test_folding.toml", 154, 145, 6, 9, 0)];
