#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The EQL front end over real queries: every Elastic detection rule and hunting query, the
//! three seed queries, and Elasticsearch's own parser acceptance lists. Each accepted query
//! is also printed and parsed back to an equal tree.

use std::path::Path;
use std::sync::Arc;

use vigil_conformance::{root, shared};
use vigil_eql::{parse, parse_checked, Statement};
use vigil_ir::SourceId;

/// `(file, query)` of every line of a JSONL file with those fields.
fn queries(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (v["file"].as_str().unwrap().to_string(), v["query"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Parses (with the function check), prints, parses the print again and compares.
fn parse_and_round_trip(name: &str, text: &str) -> Result<Statement, String> {
    let source: SourceId = Arc::from(name);
    let ast = parse_checked(&source, text).map_err(|d| format!("{name}: {}", d.render(Some(text))))?;
    let printed = ast.to_string();
    let again = parse_checked(&source, &printed).map_err(|d| format!("{name}: printed form does not parse: {}\n{printed}", d.render(Some(&printed))))?;
    if again != ast {
        return Err(format!("{name}: round trip changed the tree\n--- printed ---\n{printed}"));
    }
    Ok(ast)
}

fn all_parse(list: &[(String, String)]) -> Vec<Statement> {
    let mut failures = Vec::new();
    let mut out = Vec::new();
    for (file, query) in list {
        match parse_and_round_trip(file, query) {
            Ok(ast) => out.push(ast),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{} of {} queries failed:\n{}", failures.len(), list.len(), failures.join("\n"));
    out
}

#[test]
fn every_elastic_rule_query_parses_and_round_trips() {
    let rules = queries(&root().join("testdata/eql/elastic-rules.jsonl"));
    assert_eq!(rules.len(), 1081);
    let asts = all_parse(&rules);
    let sequences = asts.iter().filter(|a| matches!(a.query, vigil_eql::ast::Query::Sequence(_))).count();
    let samples = asts.iter().filter(|a| matches!(a.query, vigil_eql::ast::Query::Sample(_))).count();
    // The corpus README counts 861 event queries, 217 sequences and 3 samples.
    assert_eq!((asts.len() - sequences - samples, sequences, samples), (861, 217, 3));

    // The shared corpus, when present, is the same list.
    let shared_rules = shared().join("corpus/elastic-eql-rules.jsonl");
    if shared_rules.is_file() {
        assert_eq!(queries(&shared_rules), rules, "testdata/eql/elastic-rules.jsonl differs from the shared corpus");
    }
}

#[test]
fn every_elastic_hunting_query_parses_and_round_trips() {
    let hunts = queries(&root().join("testdata/eql/elastic-hunting.jsonl"));
    assert_eq!(hunts.len(), 13);
    all_parse(&hunts);
    let shared_hunts = shared().join("corpus/elastic-eql-hunting.jsonl");
    if shared_hunts.is_file() {
        assert_eq!(queries(&shared_hunts), hunts);
    }
}

#[test]
fn the_three_seed_queries_parse() {
    let dir = root().join("testdata/eql/seeds");
    let mut list = Vec::new();
    for name in ["t1608_003.eql", "t1587_003.eql", "root_ca_registry.eql"] {
        list.push((name.to_string(), std::fs::read_to_string(dir.join(name)).unwrap()));
    }
    let asts = all_parse(&list);
    assert_eq!(asts.len(), 3);
    assert!(asts.iter().all(|a| matches!(a.query, vigil_eql::ast::Query::Event(_))));
}

/// Splits an Elasticsearch query list the way its `GrammarTests` does: lines starting with
/// `//` and empty lines are skipped, lines are joined until one ends with `;`. Returns the
/// query and the line it starts on. Lines left after the last `;` (the optional-field and
/// sample block at the end of `queries-supported.eql`) are one query each: Elasticsearch's
/// reader drops them, but they are meant as queries and vigil checks them too.
fn es_query_list(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut query = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if query.is_empty() {
            start = i + 1;
        }
        query.push_str(line);
        if let Some(q) = query.strip_suffix(';') {
            out.push((q.to_string(), start));
            query.clear();
        } else {
            query.push('\n');
        }
    }
    for (i, rest) in query.lines().enumerate() {
        out.push((rest.to_string(), start + i));
    }
    out
}

#[test]
fn elasticsearch_supported_queries_parse() {
    let text = std::fs::read_to_string(root().join("testdata/eql/es-unit/queries-supported.eql")).unwrap();
    let list = es_query_list(&text);
    assert_eq!(list.len(), 219);
    let source: SourceId = Arc::from("queries-supported.eql");
    let mut failures = Vec::new();
    let mut joins = 0;
    let mut inconsistent = 0;
    for (query, line) in &list {
        // The grammar test runs only the parser: unknown functions (`safe`) are refused
        // later by Elasticsearch's verifier, so the plain parser is the right comparison.
        // `join` is in Elasticsearch's grammar but is never run; vigil refuses it at once,
        // naming it, so those queries must give exactly that diagnostic.
        match parse(&source, query) {
            Ok(ast) => {
                let printed = ast.to_string();
                match parse(&source, &printed) {
                    Ok(again) if again == ast => {}
                    _ => failures.push(format!("line {line}: round trip failed:\n{printed}")),
                }
            }
            Err(d) if query.trim_start().starts_with("join") && d.code == "eql::unsupported" && d.message.contains("`join`") => joins += 1,
            // The trailing block (one query per line, which Elasticsearch's reader never
            // runs) has terms with different numbers of keys, which Elasticsearch's
            // `LogicalPlanBuilder` refuses ("Inconsistent number of join keys").
            Err(d) if *line > 700 && d.message.starts_with("inconsistent number of join keys") => inconsistent += 1,
            Err(d) => failures.push(format!("line {line}: {}", d.render(Some(query)))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((joins, inconsistent), (14, 4));
}

#[test]
fn elasticsearch_unsupported_queries_are_refused_with_a_located_diagnostic() {
    let text = std::fs::read_to_string(root().join("testdata/eql/es-unit/queries-unsupported.eql")).unwrap();
    let list = es_query_list(&text);
    let source: SourceId = Arc::from("queries-unsupported.eql");
    let mut accepted = Vec::new();
    let mut refused = 0;
    let mut problems = Vec::new();
    for (query, line) in &list {
        match parse_checked(&source, query) {
            // The list predates Elasticsearch's `head`/`tail` pipes, which it now runs;
            // queries whose only pipes are those are accepted (and counted below).
            Ok(ast) => {
                if ast.pipes.is_empty() {
                    problems.push(format!("line {line}: accepted without pipes:\n{query}"));
                }
                accepted.push(*line);
            }
            Err(d) => {
                refused += 1;
                let located = d.span.line >= 1 && d.span.col >= 1 && d.span.end <= query.len() && d.hint.is_some();
                // One chunk is two queries glued by a `; ` line (trailing space), which the
                // list reader does not split: its first error is the stray `;`.
                let named = d.message.contains("not supported") || (d.message == "unexpected character `;`" && *line == 323);
                if !located || !named {
                    problems.push(format!("line {line}: {}", d.render(Some(query))));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!((list.len(), refused, accepted.len()), (115, 99, 16), "accepted: {accepted:?}");
}
