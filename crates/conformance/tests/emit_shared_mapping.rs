#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! `vigil convert` maps the rules once per distinct pipeline and lets every target that
//! names it print from that one mapping (`vigil_emit::map_all`, `print_all`); a pipeline
//! without items shares the rules as read instead of copying them. Over the project's
//! SigmaHQ sample: a pipeline without items changes no rule (so sharing it is exact), a
//! shared mapping is what `vigil_pipeline::apply` gives rule by rule, and two targets
//! printed from one mapping print what each prints converting alone.

use std::sync::Arc;

use vigil_conformance::emit_harness::load_rules;
use vigil_conformance::{pipeline, sigma_testdata};
use vigil_emit::{convert_all, map_all, print_all, Options, Target};
use vigil_ir::Rule;

fn sample() -> Vec<Arc<Rule>> {
    let rules = load_rules(&sigma_testdata().rules);
    assert!(rules.len() > 500, "the project's sample: {} rules", rules.len());
    rules.into_iter().map(Arc::new).collect()
}

#[test]
fn a_pipeline_without_items_changes_no_rule_and_shares_it() {
    let rules = sample();
    let none = pipeline("none");
    assert!(none.items.is_empty(), "the `none` pipeline has no items");
    let mapped = map_all(&rules, &none);
    assert_eq!(mapped.len(), rules.len());
    for (rule, m) in rules.iter().zip(&mapped) {
        assert!(Arc::ptr_eq(rule, &m.rule), "{}: shared, not copied", rule.meta.handle());
        assert!(m.state.is_empty());
        assert_eq!(vigil_pipeline::apply(&none, rule).rule, **rule, "{}: applying no items changes nothing", rule.meta.handle());
    }
}

#[test]
fn targets_printed_from_one_mapping_print_what_they_print_alone() {
    let rules = sample();
    let ecs = pipeline(Target::Esql.default_pipeline());
    assert_eq!(Target::Esql.default_pipeline(), Target::Lucene.default_pipeline(), "esql and lucene share their pipeline");
    let mapped = map_all(&rules, &ecs);
    let mut changed = 0;
    for (rule, m) in rules.iter().zip(&mapped) {
        let alone = vigil_pipeline::apply(&ecs, rule);
        assert_eq!(*m.rule, alone.rule, "{}", rule.meta.handle());
        assert_eq!(m.state, alone.state, "{}", rule.meta.handle());
        changed += usize::from(*m.rule != **rule);
    }
    assert!(changed > 100, "the pipeline maps fields of many rules: {changed}");
    let plain: Vec<Rule> = rules.iter().map(|r| Rule::clone(r)).collect();
    for target in [Target::Esql, Target::Lucene] {
        let shared = print_all(&mapped, &ecs, target, &Options::default());
        let alone = convert_all(&plain, &ecs, target, &Options::default());
        assert_eq!(shared.len(), alone.len());
        let emitted = shared.iter().filter(|c| c.query.is_ok()).count();
        assert!(emitted > 500, "{}: {emitted} emitted", target.name());
        for (s, a) in shared.iter().zip(&alone) {
            assert_eq!(s.query, a.query, "{} {}", target.name(), s.rule.meta.handle());
            assert_eq!(*s.rule, *a.rule);
        }
    }
}
