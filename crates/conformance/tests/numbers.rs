#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Numbers compare as numbers where the rule says so, and as text where it does not.
//!
//! - A value written as a YAML number under plain equality (`N: 1`) and the numeric
//!   modifiers (`lt`, `lte`, `gt`, `gte`) read the event value as a number: a JSON number or
//!   a string holding one, so `-0` equals `0`, `1.0` equals `1`, `1e3` equals `1000`.
//!   pySigma types such a value as `SigmaNumber` and backends emit it unquoted (`N=1`), so
//!   the store compares numerically.
//! - A quoted value (`N: '1'`) or a string modifier (`contains`, `startswith`, ...) is text:
//!   it matches the JSON text of a number as written (`'1.0'` matches `1.0`, not `1`).
//! - Text that is not a finite number (`NaN`, `inf`, `0x10`) is never a number.
//! - An integer of 2^53 or more (where 64-bit floats no longer tell integers apart) is text.
//!
//! Every check goes through `vigil_conformance::matches`, which also checks the candidate
//! index against exhaustive evaluation (numeric equality is indexed by canonical text).

use std::sync::Arc;

use vigil_conformance::{compile, hit, matches, rules};

fn rule(item: &str, value: &str) -> String {
    format!("title: t\nlogsource: {{product: test}}\ndetection:\n  sel:\n    {item}: {value}\n  condition: sel\n")
}

fn event(json_value: &str) -> String {
    format!(r#"{{"N":{json_value},"Other":"x"}}"#)
}

fn assert_matches(item: &str, value: &str, yes: &[&str], no: &[&str]) {
    let r = rule(item, value);
    for v in yes {
        assert!(hit(&r, &event(v)), "{item}: {value} should match N = {v}");
    }
    for v in no {
        assert!(!hit(&r, &event(v)), "{item}: {value} should not match N = {v}");
    }
}

#[test]
fn zero_and_negative_zero_are_one_number() {
    assert_matches("N", "0", &["0", "-0", "0.0", "-0.0", "0e5", r#""0""#, r#""-0""#, r#"" 0 ""#], &["1", r#""zero""#, "false", "null"]);
    assert_matches("N", "-0", &["0", "-0"], &["-1"]);
}

#[test]
fn integer_and_float_spellings_are_one_number() {
    assert_matches("N", "1", &["1", "1.0", "1e0", "10e-1", r#""1""#, r#""1.00""#, "[2, 1.0]"], &["1.5", "11", "true", r#""1abc""#, r#""one""#, "[]", "{}"]);
    assert_matches("N", "1000", &["1000", "1e3", "1E3", "1000.000", r#""1e3""#], &["100", "1e4"]);
    assert_matches("N", "1.5", &["1.5", "1.50", "15e-1", r#""1.5""#], &["1", "2"]);
    assert_matches("N", "4688", &["4688", "4688.0", "4.688e3"], &["46880", "468"]);
}

#[test]
fn quoted_values_and_string_modifiers_match_the_text() {
    assert_matches("N", "'1.0'", &["1.0", r#""1.0""#], &["1", "1.00", r#""1""#]);
    assert_matches("N", "'4688'", &["4688", r#""4688""#], &["4688.0", "4.688e3"]);
    assert_matches("N|contains", "68", &["4688", r#""4688""#], &["4.6e1"]);
    assert_matches("N|startswith", "1", &["1.5", "10"], &["2"]);
    // Keywords search text.
    let keyword = "title: t\nlogsource: {product: test}\ndetection:\n  k:\n    - 1000\n  condition: k\n";
    assert!(hit(keyword, &event(r#""id 1000""#)));
    assert!(!hit(keyword, &event("1e3")));
}

#[test]
fn integers_beyond_float_precision_match_their_text() {
    // Below 2^53 every integer is its own float: numeric equality is exact.
    assert_matches("N", "9007199254740991", &["9007199254740991", "9007199254740991.0"], &["9007199254740992", "9007199254740990"]);
    // From 2^53 on a float no longer tells integers apart, so the value stays exact text.
    assert_matches("N", "9007199254740992", &["9007199254740992", r#""9007199254740992""#], &["9007199254740993", "9007199254740992.0"]);
    assert_matches("N", "9007199254740993", &["9007199254740993"], &["9007199254740992"]);
}

#[test]
fn lists_mix_numbers_and_strings() {
    assert_matches("N", "[1, 'x*']", &["1.0", r#""xyz""#, r#""1""#], &["2", r#""y""#]);
}

#[test]
fn numeric_modifiers_compare_numbers() {
    assert_matches("N|gte", "0", &["0", "-0", "0.0", "1e3", r#""5""#], &["-1", "-1e-9"]);
    assert_matches("N|lt", "0", &["-1", "-1e-9"], &["0", "-0"]);
    assert_matches("N|gt", "999", &["1e3", "1000.5", r#"" 1000 ""#], &["999", "999.0", r#""9e2""#]);
    assert_matches("N|lte", "1", &["1.0", "1", "0.5"], &["1.0000001"]);
}

#[test]
fn non_finite_and_non_numeric_text_is_not_a_number() {
    for v in [r#""inf""#, r#""Infinity""#, r#""NaN""#, r#""nan""#, r#""1e400""#, r#""0x10""#, "true", "null", r#""""#] {
        assert!(!hit(&rule("N|gt", "5"), &event(v)), "gt 5 on {v}");
        assert!(!hit(&rule("N|lt", "5"), &event(v)), "lt 5 on {v}");
        assert!(!hit(&rule("N|gte", "-1e300"), &event(v)), "gte -1e300 on {v}");
    }
}

#[test]
fn pipeline_conditions_with_numbers_compare_numbers() {
    let p = vigil_pipeline::parse_pipeline(Arc::from("p.yml"), "name: p\ntransformations:\n  - type: add_condition\n    conditions: {EventID: [1, '7*']}\n")
        .unwrap();
    let program = compile(&rules(&rule("Other", "x")), &p);
    let m = matches(&program, &[r#"{"EventID":1.0,"Other":"x"}"#, r#"{"EventID":"70","Other":"x"}"#, r#"{"EventID":2,"Other":"x"}"#]);
    assert_eq!(m.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1, 0]);
}
