#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Emitters refuse computed expressions (EQL functions, arithmetic) by name, at the span of
//! the expression, and still print the rules whose every part is a literal predicate.

use std::sync::Arc;

use vigil_emit::{emit_rule, Options, Target};
use vigil_eql::lower::{lower_rule, LowerOptions};

#[test]
fn every_target_refuses_a_computed_expression_with_its_code_and_span() {
    let query = "any where a == \"x\" or length(b) == 2";
    let rule = lower_rule(&Arc::from("q.eql"), "q", query, &LowerOptions::default()).unwrap();
    let plain = lower_rule(&Arc::from("p.eql"), "p", "any where a == \"x\"", &LowerOptions::default()).unwrap();
    let mut targets = 0;
    for target in [Target::Sql, Target::Eql] {
        let d = emit_rule(&rule, target, &Options::default()).unwrap_err();
        assert!(d.code.starts_with("emit::") && d.code.ends_with("::expression"), "{}", d.code);
        assert_eq!(&query[d.span.start..d.span.end], "length(b) == 2");
        assert!(emit_rule(&plain, target, &Options::default()).is_ok());
        targets += 1;
    }
    assert_eq!(targets, 2);
}
