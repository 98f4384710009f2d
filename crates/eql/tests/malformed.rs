#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Malformed queries give a located diagnostic with the expected code, line and column, a
//! hint, and a span inside the query, and rendering it never panics
//! (`testdata/eql-malformed/cases.tsv`).

use std::sync::Arc;

use vigil_conformance::root;
use vigil_eql::parse_checked;
use vigil_ir::SourceId;

#[test]
fn malformed_queries_give_located_diagnostics() {
    let text = std::fs::read_to_string(root().join("testdata/eql-malformed/cases.tsv")).unwrap();
    let source: SourceId = Arc::from("cases.tsv");
    let mut problems = Vec::new();
    let mut cases = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let mut columns = line.splitn(3, '\t');
        let (position, code, query) = (columns.next().unwrap(), columns.next().unwrap(), columns.next().unwrap());
        let query = query.replace('⏎', "\n");
        cases += 1;
        match parse_checked(&source, &query) {
            Ok(ast) => problems.push(format!("accepted: {query:?} as {ast}")),
            Err(d) => {
                let found = format!("{}:{}", d.span.line, d.span.col);
                if found != position || d.code != code {
                    problems.push(format!("{query:?}: expected {code} at {position}, got {} at {found}: {}", d.code, d.message));
                }
                if d.hint.is_none() || d.span.start > d.span.end || d.span.end > query.len() {
                    problems.push(format!("{query:?}: no hint or span outside the query: {d:?}"));
                }
                let rendered = d.render(Some(&query));
                if !rendered.contains(&format!("cases.tsv:{found}")) {
                    problems.push(format!("{query:?}: rendering lacks the position:\n{rendered}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(cases, 148);
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let source: SourceId = Arc::from("deep.eql");
    for (open, close) in [("(", ")"), ("not (", ")"), ("length(", ")")] {
        let query = format!("any where {}a{}", open.repeat(10_000), close.repeat(10_000));
        let d = parse_checked(&source, &query).unwrap_err();
        assert_eq!(d.code, "eql::too-deep", "{open}");
    }
    let minus = format!("any where {}1 == 1", "-".repeat(10_000));
    assert_eq!(parse_checked(&source, &minus).unwrap_err().code, "eql::too-deep");
    let chain = format!("any where 1{} == 1", " + 1".repeat(10_000));
    assert_eq!(parse_checked(&source, &chain).unwrap_err().code, "eql::too-deep");
    // Long `and`/`or` chains are flat lists and cost no depth.
    let wide = format!("any where a == 1{}", " or a == 1".repeat(10_000));
    let ast = parse_checked(&source, &wide).unwrap();
    assert_eq!(vigil_eql::parse(&source, &ast.to_string()).unwrap(), ast);
}

/// Every prefix of a spread of real rule queries, and byte-level edits of them: the parser
/// answers each with a tree or a diagnostic, and every tree it accepts round-trips.
#[test]
fn prefixes_and_edits_of_real_queries_never_panic() {
    let text = std::fs::read_to_string(root().join("testdata/eql/elastic-rules.jsonl")).unwrap();
    let queries: Vec<String> =
        text.lines().step_by(108).map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["query"].as_str().unwrap().to_string()).collect();
    assert_eq!(queries.len(), 11);
    let source: SourceId = Arc::from("edit.eql");
    let check = |q: &str| -> bool {
        let Ok(ast) = parse_checked(&source, q) else { return false };
        let printed = ast.to_string();
        assert_eq!(parse_checked(&source, &printed).as_ref(), Ok(&ast), "{q}\n---\n{printed}");
        true
    };
    let mut accepted_prefixes = 0;
    for q in &queries {
        for (i, _) in q.char_indices().step_by(5) {
            accepted_prefixes += usize::from(check(&q[..i]));
        }
    }
    // Some prefixes are whole queries (`… and a` cut before `and b`).
    assert!(accepted_prefixes > 0);
    // Deterministic edits: delete a byte, or insert one of the characters EQL gives meaning to.
    let inserts = b"()[]\"'`\\|:=!<>~?*/ \n";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..2_000 {
        let q = queries[round % queries.len()].as_bytes();
        let at = (next() as usize) % (q.len() + 1);
        let mut edited = q.to_vec();
        if round % 2 == 0 && at < q.len() {
            edited.remove(at);
        } else {
            edited.insert(at, inserts[(next() as usize) % inserts.len()]);
        }
        if let Ok(s) = std::str::from_utf8(&edited) {
            check(s);
        }
    }
}
