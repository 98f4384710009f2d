#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The generic printer and the sql capability table on hand-built IR: precedence and
//! parentheses, `not` guards, long chains, constants, and each refusal's code and span.
//! (Correlation refusals are covered by the SigmaHQ refusal table in the conformance suite.)

use std::sync::Arc;

use vigil_emit::{emit_rule, Options, Target, MAX_CHAIN};
use vigil_ir::{Case, Expr, Field, NumOp, Predicate, RegexPattern, Rule, RuleBody, RuleMeta, Span, StrOp, StrPattern, Test, Value};

fn rule(expr: Expr) -> Rule {
    Rule {
        meta: RuleMeta { id: Some("r-1".into()), title: "Test rule".into(), ..RuleMeta::default() },
        logsource: Default::default(),
        body: RuleBody::Detection(expr),
        source: Arc::from("r.yml"),
        span: Span::default(),
        warnings: Vec::new(),
    }
}

fn pred(field: &str, test: Test) -> Expr {
    Expr::Pred(Predicate { field: Field::Named(field.into()), test, span: Span::new(10, 20, 7, 5) })
}

fn s(field: &str, op: StrOp, case: Case, values: &[&str]) -> Expr {
    pred(field, Test::Str { op, case, patterns: values.iter().map(|v| StrPattern::parse_wildcards(v)).collect() })
}

fn sql(expr: Expr) -> String {
    emit_rule(&rule(expr), Target::Sql, &Options::default()).unwrap()
}

#[test]
fn or_inside_and_is_parenthesised_and_and_inside_or_is_not() {
    let a = s("A", StrOp::Equals, Case::Sensitive, &["1"]);
    let b = s("B", StrOp::Equals, Case::Sensitive, &["2"]);
    let c = s("C", StrOp::Equals, Case::Sensitive, &["3"]);
    let text = sql(Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(text, r#"SELECT * FROM "events" WHERE ("A" = '1' OR "B" = '2') AND "C" = '3'"#);
    let text = sql(Expr::Or(vec![Expr::And(vec![a, b]), c]));
    assert_eq!(text, r#"SELECT * FROM "events" WHERE "A" = '1' AND "B" = '2' OR "C" = '3'"#);
}

#[test]
fn comparisons_under_not_are_false_on_a_missing_field() {
    let text = sql(Expr::not(s("User", StrOp::Contains, Case::Insensitive, &["adm", "root"])));
    assert_eq!(text, r#"SELECT * FROM "events" WHERE NOT ("User" IS NOT NULL AND ("User" LIKE '%adm%' OR "User" LIKE '%root%'))"#);
    // Null tests and numbers are two-valued already: no guard.
    assert_eq!(sql(Expr::not(pred("X", Test::Null))), r#"SELECT * FROM "events" WHERE NOT ("X" IS NULL)"#);
    assert!(!sql(Expr::not(pred("N", Test::Num { op: NumOp::Gt, value: 3.0 }))).contains("IS NOT NULL"));
}

#[test]
fn case_and_placement_choose_like_glob_or_equality() {
    assert!(sql(s("F", StrOp::StartsWith, Case::Sensitive, &["a*b?"])).ends_with(r#""F" GLOB 'a*b?*'"#));
    assert!(sql(s("F", StrOp::Equals, Case::Sensitive, &[r"a\*"])).ends_with(r#""F" = 'a*'"#));
    assert!(sql(s("F", StrOp::Equals, Case::Sensitive, &[r"a\*?"])).ends_with(r#""F" GLOB 'a[*]?'"#));
    assert!(sql(s("F", StrOp::EndsWith, Case::Insensitive, &["X_Y"])).ends_with(r#""F" LIKE '%x\_y' ESCAPE '\'"#));
    assert!(sql(s("F", StrOp::Contains, Case::Insensitive, &["Link"])).ends_with(r#"replace("F", char(8490), 'k') LIKE '%link%'"#));
}

#[test]
fn long_chains_are_grouped_so_parsers_stay_shallow() {
    let values: Vec<String> = (0..(MAX_CHAIN * MAX_CHAIN + 5)).map(|i| format!("v{i}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let text = sql(s("F", StrOp::Equals, Case::Sensitive, &refs));
    let mut depth: i32 = 0;
    let mut deepest = 0;
    for c in text.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        deepest = deepest.max(depth);
    }
    assert_eq!(depth, 0);
    assert_eq!(deepest, 2, "4101 alternatives: groups of groups");
    assert_eq!(text.matches(" OR ").count(), values.len() - 1);
}

#[test]
fn empty_connectives_and_constants() {
    assert_eq!(sql(Expr::And(Vec::new())), r#"SELECT * FROM "events" WHERE TRUE"#);
    assert_eq!(sql(Expr::Or(Vec::new())), r#"SELECT * FROM "events" WHERE FALSE"#);
    assert_eq!(sql(Expr::not(Expr::Const(true))), r#"SELECT * FROM "events" WHERE NOT (TRUE)"#);
}

#[test]
fn refusals_name_the_rule_the_construct_and_the_item() {
    let keyword = Test::Str { op: StrOp::Contains, case: Case::Insensitive, patterns: vec![StrPattern::parse_wildcards("a*b")] };
    let boundary = RegexPattern { source: r"\bx\b".into(), case_insensitive: false, multi_line: false, dot_matches_new_line: false };
    let cases = [
        (pred("F", Test::Regex { patterns: vec![boundary] }), "emit::sql::regex"),
        (pred("F", Test::Exists(true)), "emit::sql::exists"),
        (Expr::Compute { value: Box::new(Value::field_ref("F", StrOp::Equals, Case::Insensitive, "G")), span: Span::new(10, 20, 7, 5) }, "emit::sql::fieldref"),
        (s("F", StrOp::Contains, Case::Insensitive, &["σκ"]), "emit::sql::unicode-case"),
        (s("Event.UserData.*.F", StrOp::Contains, Case::Sensitive, &["x"]), "emit::sql::field-pattern"),
        (s("F", StrOp::Contains, Case::Sensitive, &["a\0b"]), "emit::sql::text"),
        (Expr::Pred(Predicate { field: Field::Keyword, test: keyword, span: Span::new(10, 20, 7, 5) }), "emit::sql::keyword"),
    ];
    for (expr, code) in cases {
        let d = emit_rule(&rule(Expr::And(vec![s("OK", StrOp::Equals, Case::Sensitive, &["1"]), expr])), Target::Sql, &Options::default()).unwrap_err();
        assert_eq!(d.code, code);
        assert!(d.message.starts_with("rule `Test rule` (r-1) cannot be converted to sql: "), "{}", d.message);
        assert_eq!((d.span.line, d.span.col), (7, 5), "{code}: the diagnostic points at the item");
    }
    // Non-ASCII characters without case are fine; `|cased` keeps any text.
    assert!(sql(s("F", StrOp::Contains, Case::Insensitive, &["→€"])).contains("LIKE '%→€%'"));
    assert!(sql(s("F", StrOp::Contains, Case::Sensitive, &["média"])).contains("GLOB '*média*'"));
    // Letters with case beyond ASCII become classes of their variants.
    assert!(sql(s("F", StrOp::Contains, Case::Insensitive, &["média"])).contains("GLOB '*[mM][éÉ][dD][iI][aA]*'"));
}
