//! What made a rule match an event: the values read by the predicates that were true; and
//! which fields a rule reads at all.
//!
//! Alerts are rare, so this re-evaluates the rule's predicates on the event that matched
//! (nothing is recorded during evaluation). A predicate counts when it is true and not under
//! a `not` (a true predicate under `not` is a reason against the match); tests that hold on
//! absence (`Exists(false)`, `null`) read no value and count nothing.

use crate::fields::Slot;
use crate::predicate::{Check, CompiledPredicate};
use crate::program::{Node, Program};
use crate::view::{EventView, Value};

/// One value that made a predicate of the rule true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedValue {
    /// The slot read (the keyword slot for keyword searches).
    pub slot: Slot,
    /// The value as written in the event.
    pub text: String,
}

impl Program {
    /// The values of `view` that the true predicates of rule `rule` read, in the order of
    /// the rule's expression, each (slot, value) once. Empty when the rule does not exist.
    pub fn matched_values(&self, rule: u32, view: &EventView) -> Vec<MatchedValue> {
        let mut out = Vec::new();
        if let Some(compiled) = self.rules.get(rule as usize) {
            self.collect(&compiled.root, view, false, &mut out);
        }
        out
    }

    fn collect(&self, node: &Node, view: &EventView, negated: bool, out: &mut Vec<MatchedValue>) {
        match node {
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| self.collect(n, view, negated, out)),
            Node::Not(inner) => self.collect(inner, view, !negated, out),
            Node::Const(_) => {}
            Node::Pred(i) => {
                let Some(predicate) = self.predicates.get(*i as usize) else { return };
                if negated {
                    return;
                }
                // One pass: the predicate is true exactly when some value holds (`Exists(true)`
                // on any value; the tests that hold on absence count no value either way), so
                // evaluating it first would only test every value twice.
                for value in view.values(predicate.slot).filter(|v| holds_on(predicate, view, v)) {
                    let found = MatchedValue { slot: predicate.slot, text: value.text.to_string() };
                    if !out.contains(&found) {
                        out.push(found);
                    }
                }
            }
            // A computed expression (EQL) that holds: every value of the fields it reads.
            Node::Compute(i) => {
                let Some(compute) = self.computes.get(*i as usize) else { return };
                if negated || !compute.matches(view) {
                    return;
                }
                for slot in compute.slots() {
                    for value in view.values(slot) {
                        let found = MatchedValue { slot, text: value.text.to_string() };
                        if !out.contains(&found) {
                            out.push(found);
                        }
                    }
                }
            }
        }
    }
}

/// True when `value`, one of the values of the predicate's slot, is one the predicate holds
/// on (a predicate over an array holds when any element does; only those elements count).
fn holds_on(predicate: &CompiledPredicate, view: &EventView, value: &Value) -> bool {
    match &predicate.check {
        Check::Exists(wanted) => *wanted,
        Check::Null => false,
        _ => predicate.holds_for(view, value),
    }
}

impl Program {
    /// The slots the predicates of rule `rule` read, each once, in the order of its
    /// expression (negated predicates included: the rule reads them too).
    pub fn rule_slots(&self, rule: u32) -> Vec<Slot> {
        let mut out = Vec::new();
        if let Some(compiled) = self.rules.get(rule as usize) {
            self.slots_of(&compiled.root, &mut out);
        }
        out
    }

    fn slots_of(&self, node: &Node, out: &mut Vec<Slot>) {
        match node {
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| self.slots_of(n, out)),
            Node::Not(inner) => self.slots_of(inner, out),
            Node::Const(_) => {}
            Node::Pred(i) => {
                if let Some(p) = self.predicates.get(*i as usize) {
                    if !out.contains(&p.slot) {
                        out.push(p.slot);
                    }
                }
            }
            Node::Compute(i) => {
                for slot in self.computes.get(*i as usize).map(|c| c.slots()).unwrap_or_default() {
                    if !out.contains(&slot) {
                        out.push(slot);
                    }
                }
            }
        }
    }
}
