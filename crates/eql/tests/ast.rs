#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The tree the parser builds: precedence as in `EqlBase.g4`, string escapes and raw
//! strings, numbers, names, sequences and samples, spans, and the printed normal form.

use std::sync::Arc;

use vigil_eql::ast::{ArithOp, Category, CompareOp, Expr, ExprKind, Field, Literal, MatchOp, PipeKind, Query, TimeUnit, UnaryOp};
use vigil_eql::{parse, Statement};
use vigil_ir::SourceId;

fn source() -> SourceId {
    Arc::from("test.eql")
}

fn statement(text: &str) -> Statement {
    parse(&source(), text).unwrap_or_else(|d| panic!("{}", d.render(Some(text))))
}

fn condition(text: &str) -> Expr {
    match statement(&format!("any where {text}")).query {
        Query::Event(f) => f.condition,
        other => panic!("not an event query: {other:?}"),
    }
}

fn field(path: &[&str]) -> ExprKind {
    ExprKind::Field(Field { optional: false, path: path.iter().map(|s| s.to_string()).collect() })
}

fn string(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Literal(Literal::String(s)) => s,
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn and_binds_tighter_than_or_and_not_binds_tighter_than_and() {
    let e = condition("not a and b or c");
    let ExprKind::Or(or) = &e.kind else { panic!("{e:?}") };
    assert_eq!(or.len(), 2);
    let ExprKind::And(and) = &or[0].kind else { panic!("{:?}", or[0]) };
    assert!(matches!(&and[0].kind, ExprKind::Not(inner) if inner.kind == field(&["a"])));
    assert_eq!(and[1].kind, field(&["b"]));
    // Parenthesised `or`s inside an `or` are spliced into one list.
    let ExprKind::Or(flat) = condition("(a or b) or (c or d)").kind else { panic!() };
    assert_eq!(flat.len(), 4);
}

#[test]
fn a_predicate_binds_to_the_primary_before_it() {
    // `EqlBase.g4`: operatorExpression := primaryExpression predicate? | … so the `:` takes `b`.
    let e = condition("a + b : \"x\"");
    let ExprKind::Arith { op: ArithOp::Add, right, .. } = &e.kind else { panic!("{e:?}") };
    assert!(matches!(&right.kind, ExprKind::Match { op: MatchOp::Colon, .. }));
    // and multiplication binds tighter than addition, unary minus tighter than both.
    let e = condition("-a * b + c == 2");
    let ExprKind::Compare { op: CompareOp::Eq, left, .. } = &e.kind else { panic!("{e:?}") };
    let ExprKind::Arith { op: ArithOp::Add, left: product, .. } = &left.kind else { panic!("{left:?}") };
    let ExprKind::Arith { op: ArithOp::Mul, left: negated, .. } = &product.kind else { panic!("{product:?}") };
    assert!(matches!(&negated.kind, ExprKind::Unary { op: UnaryOp::Minus, .. }));
    // Subtraction is left-associative.
    let ExprKind::Arith { op: ArithOp::Sub, left, right } = condition("a - b - c").kind else { panic!() };
    assert!(matches!(left.kind, ExprKind::Arith { op: ArithOp::Sub, .. }));
    assert_eq!(right.kind, field(&["c"]));
}

#[test]
fn in_not_in_and_the_insensitive_forms() {
    let ExprKind::In { negated, insensitive, values, .. } = condition("x not in~ (\"A\", 1, y)").kind else { panic!() };
    assert!(negated && insensitive);
    assert_eq!(values.len(), 3);
    assert_eq!(values[2].kind, field(&["y"]));
    let ExprKind::Match { op, patterns, .. } = condition("x regex~ (\"a.*\", \"b\")").kind else { panic!() };
    assert_eq!(op, MatchOp::RegexInsensitive);
    let values: Vec<&Literal> = patterns.iter().map(|p| &p.value).collect();
    assert_eq!(values, [&Literal::String("a.*".into()), &Literal::String("b".into())]);
    let text = "any where x regex~ (\"a.*\", \"b\")";
    assert_eq!(patterns.iter().map(|p| &text[p.span.0.start..p.span.0.end]).collect::<Vec<_>>(), ["\"a.*\"", "\"b\""]);
}

#[test]
fn strings_escapes_and_raw_strings() {
    let ExprKind::Compare { right, .. } = condition(r#"a == "C:\\Windows\\*\t\"q\" \u{20AC}\u{1F600}""#).kind else { panic!() };
    assert_eq!(string(&right), "C:\\Windows\\*\t\"q\" €😀");
    let ExprKind::Match { patterns, .. } = condition("a : \"\"\"C:\\path\\\"x\"\"\"\"").kind else { panic!() };
    // Up to two quotes after the closing triple belong to the content.
    assert_eq!(patterns[0].value, Literal::String(r#"C:\path\"x""#.into()));
    // A string with a line break and a control character prints escaped and reads back.
    let e = condition(r#"a == "l1\nl2\u{01}\b\f\r""#);
    let printed = e.to_string();
    assert!(!printed.contains('\n'), "{printed}");
    assert_eq!(condition(&printed), e);
}

#[test]
fn numbers_are_typed_integer_before_float() {
    assert_eq!(condition("7").kind, ExprKind::Literal(Literal::Integer(7)));
    assert_eq!(condition("1.5").kind, ExprKind::Literal(Literal::Float(1.5)));
    assert_eq!(condition(".5").kind, ExprKind::Literal(Literal::Float(0.5)));
    assert_eq!(condition("1.").kind, ExprKind::Literal(Literal::Float(1.0)));
    assert_eq!(condition("2e3").kind, ExprKind::Literal(Literal::Float(2000.0)));
    assert_eq!(condition("9223372036854775807").kind, ExprKind::Literal(Literal::Integer(i64::MAX)));
    // Wider than a long: read as a double, as Elasticsearch does.
    assert_eq!(condition("100000000000000000000000000000000").kind, ExprKind::Literal(Literal::Float(1e32)));
    // No literal sign: `-1` is a unary minus.
    assert!(matches!(condition("-1").kind, ExprKind::Unary { op: UnaryOp::Minus, .. }));
    for text in ["1.0", "1e32", "0.1", "123.456"] {
        let e = condition(text);
        assert_eq!(condition(&e.to_string()), e, "{text}");
    }
}

#[test]
fn names_optional_fields_back_quotes_and_keywords() {
    let ExprKind::Field(f) = condition("?`my-field`.`a.b`.@timestamp").kind else { panic!() };
    assert!(f.optional);
    assert_eq!(f.path, vec!["my-field", "a.b", "@timestamp"]);
    let ExprKind::Field(f) = condition("`a``b`").kind else { panic!() };
    assert_eq!(f.path, vec!["a`b"]);
    // A keyword as a name must be back-quoted, and is printed back-quoted.
    let e = condition("event.`sequence` == 1");
    assert_eq!(e.to_string(), "event.`sequence` == 1");
    assert!(parse(&source(), "any where event.sequence == 1").is_err());
    // Function names keep their spelling and `~`.
    let ExprKind::Call { name, insensitive, args } = condition("startswith~(a, \"x\")").kind else { panic!() };
    assert_eq!((name.as_str(), insensitive, args.len()), ("startswith", true, 2));
}

#[test]
fn categories_any_identifiers_and_strings() {
    let cat = |text: &str| match statement(text).query {
        Query::Event(f) => f.category,
        _ => panic!(),
    };
    assert_eq!(cat("any where true"), Category::Any);
    assert_eq!(cat("process where true"), Category::Named("process".into()));
    assert_eq!(cat("\"my-cat\" where true"), Category::Named("my-cat".into()));
    assert_eq!(cat("\"any\" where true"), Category::Named("any".into()));
    assert_eq!(statement("\"any\" where true").to_string(), "\"any\" where true");
}

#[test]
fn sequences_keep_keys_maxspan_runs_missing_events_and_until() {
    let s = statement("sequence by host.id with maxspan=30s [process where true] by pid with runs=2 ![file where true] by pid [network where true] by pid until [process where stop] by pid | head 3 | tail 1");
    let Query::Sequence(seq) = &s.query else { panic!() };
    assert_eq!(seq.by.len(), 1);
    let maxspan = seq.maxspan.as_ref().unwrap();
    assert_eq!((maxspan.value, maxspan.unit), (30, TimeUnit::Seconds));
    assert_eq!(seq.terms.len(), 3);
    assert_eq!((seq.terms[0].runs, seq.terms[0].missing, seq.terms[0].by.len()), (Some(2), false, 1));
    assert!(seq.terms[1].missing);
    assert_eq!(seq.until.as_ref().unwrap().by.len(), 1);
    assert_eq!(s.pipes.iter().map(|p| (p.kind.clone(), p.count)).collect::<Vec<_>>(), vec![(PipeKind::Head, 3), (PipeKind::Tail, 1)]);
    assert_eq!(statement(&s.to_string()), s);
    // One term repeated twice is a sequence of two stages.
    assert!(parse(&source(), "sequence [a where true] with runs=2").is_ok());
    let Query::Sample(sample) = statement("sample by x [a where true] by y [b where true] by z").query else { panic!() };
    assert_eq!((sample.by.len(), sample.terms.len(), sample.terms[0].by.len()), (1, 2, 1));
}

#[test]
fn spans_point_at_the_text_of_each_node() {
    let text = "process where\n  process.name : \"cmd.exe\" and length(x) > 3";
    let Query::Event(filter) = statement(text).query else { panic!() };
    assert_eq!(&text[filter.category_span.0.start..filter.category_span.0.end], "process");
    let ExprKind::And(operands) = &filter.condition.kind else { panic!() };
    let at = |e: &Expr| (&text[e.span.0.start..e.span.0.end], e.span.0.line, e.span.0.col);
    assert_eq!(at(&operands[0]), ("process.name : \"cmd.exe\"", 2, 3));
    assert_eq!(at(&operands[1]), ("length(x) > 3", 2, 32));
    let ExprKind::Compare { left, .. } = &operands[1].kind else { panic!() };
    assert_eq!(at(left), ("length(x)", 2, 32));
    // Comments and whitespace are skipped; spans stay exact.
    let text = "/* a /* nested */ comment */ any where // note\n x == 1";
    let Query::Event(filter) = statement(text).query else { panic!() };
    assert_eq!(&text[filter.condition.span.0.start..filter.condition.span.0.end], "x == 1");
}

#[test]
fn the_printer_parenthesises_only_where_precedence_needs_it() {
    for (text, printed) in [
        ("a and (b or c)", "a and (b or c)"),
        ("(a and b) or c", "a and b or c"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) == b", "(not a) == b"),
        ("(a + b) * c", "(a + b) * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a + b) : \"x\"", "(a + b) : \"x\""),
        ("-(a + b)", "-(a + b)"),
        ("x : (\"a\")", "x : \"a\""),
        ("not not x in (1,2)", "not not x in (1, 2)"),
    ] {
        let e = condition(text);
        assert_eq!(e.to_string(), printed, "{text}");
        assert_eq!(condition(printed), e, "{text}");
    }
}
