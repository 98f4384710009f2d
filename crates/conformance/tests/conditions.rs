#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! One test per Sigma condition form (specification v2 §condition), with events that must
//! and must not match, plus the condition errors a loader must report.

use vigil_conformance::{diagnostics, hit};

const SELECTIONS: &str = "  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n  filter_c:\n    C: 1\n  _hidden:\n    H: 1\n";

fn rule(condition: &str) -> String {
    format!("title: t\nlogsource: {{product: test}}\ndetection:\n{SELECTIONS}  condition: {condition}\n")
}

/// Events with A, B, C, H set (1) or absent, in bit order A=1, B=2, C=4, H=8.
fn event(bits: u8) -> String {
    let mut parts = Vec::new();
    for (i, name) in ["A", "B", "C", "H"].iter().enumerate() {
        if bits & (1 << i) != 0 {
            parts.push(format!("\"{name}\":1"));
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// Asserts that `condition` holds exactly for the events where `truth(a, b, c, h)` holds.
fn truth_table(condition: &str, truth: impl Fn(bool, bool, bool, bool) -> bool) {
    let yaml = rule(condition);
    for bits in 0..16u8 {
        let (a, b, c, h) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0);
        assert_eq!(hit(&yaml, &event(bits)), truth(a, b, c, h), "condition `{condition}` on A={a} B={b} C={c} H={h}");
    }
}

#[test]
fn identifier() {
    truth_table("sel_a", |a, _, _, _| a);
}

#[test]
fn and_or_not() {
    truth_table("sel_a and sel_b", |a, b, _, _| a && b);
    truth_table("sel_a or sel_b", |a, b, _, _| a || b);
    truth_table("not sel_a", |a, _, _, _| !a);
    truth_table("sel_a and not filter_c", |a, _, c, _| a && !c);
}

#[test]
fn precedence_and_parentheses() {
    // `and` binds tighter than `or`; `not` tighter than `and`.
    truth_table("sel_a or sel_b and filter_c", |a, b, c, _| a || (b && c));
    truth_table("(sel_a or sel_b) and filter_c", |a, b, c, _| (a || b) && c);
    truth_table("not sel_a and sel_b", |a, b, _, _| !a && b);
    truth_table("not (sel_a and sel_b)", |a, b, _, _| !(a && b));
}

#[test]
fn one_of_and_all_of_patterns() {
    truth_table("1 of sel_*", |a, b, _, _| a || b);
    truth_table("any of sel_*", |a, b, _, _| a || b);
    truth_table("all of sel_*", |a, b, _, _| a && b);
    truth_table("1 of sel_* and not 1 of filter_*", |a, b, c, _| (a || b) && !c);
}

#[test]
fn them_skips_underscore_identifiers() {
    truth_table("1 of them", |a, b, c, _| a || b || c);
    truth_table("all of them", |a, b, c, _| a && b && c);
    truth_table("1 of _*", |_, _, _, h| h);
}

#[test]
fn condition_lists_are_ored() {
    let yaml = format!("title: t\nlogsource: {{product: test}}\ndetection:\n{SELECTIONS}  condition:\n    - sel_a and sel_b\n    - filter_c\n");
    for bits in 0..8u8 {
        let (a, b, c) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        assert_eq!(hit(&yaml, &event(bits)), (a && b) || c);
    }
}

#[test]
fn maps_are_anded_and_lists_of_maps_ored() {
    let yaml = "title: t\nlogsource: {product: test}\ndetection:\n  sel:\n    - A: 1\n      B: 1\n    - C: 1\n  condition: sel\n";
    assert!(hit(yaml, &event(0b011)));
    assert!(hit(yaml, &event(0b100)));
    assert!(!hit(yaml, &event(0b001)));
}

#[test]
fn condition_errors_point_at_the_condition() {
    let cases = [
        ("sel_x", "not a search identifier"),
        ("1 of nothing_*", "matches no search identifier"),
        ("(sel_a and sel_b", "unbalanced"),
        ("sel_a AND sel_b", "lower case"),
        ("sel_a and", "ends where"),
        ("sel_a | count() > 5", "obsolete"),
        ("sel_a near sel_b", "operator"),
        ("2 of sel_*", "only `1 of`"),
        ("sel_a sel_b", "operator"),
    ];
    for (condition, expected) in cases {
        let d = diagnostics(&rule(condition));
        assert!(d.iter().any(|d| d.message.contains(expected)), "`{condition}` → {d:?}");
        assert_eq!(d[0].span.line, 12, "`{condition}` → {:?}", d[0]);
    }
}
