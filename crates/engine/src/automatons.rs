//! Substring automatons of a rule set: one per distinct needle list, shared by every
//! predicate that lists the same needles, and built on several threads before the rules
//! are compiled one after another.
//!
//! Building an Aho-Corasick automaton (its NFA, then its DFA) was most of a rule set's
//! compile time, and SigmaHQ repeats the same `contains` lists across rules. An
//! [`AhoCorasick`] clone shares the built automaton, so a repeated list costs one lookup.
//! Each automaton is built exactly as one predicate would build it alone (same needles, same
//! order, same options), so what runs and what matches does not depend on sharing or on the
//! number of threads.

use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap;
use vigil_ir::{Expr, Rule, RuleBody, Test};

use crate::matcher::StrSet;

/// One needle list, in the order the predicate lists its needles.
pub type Needles = Vec<Box<[u8]>>;

/// Built automatons by needle list (`None`: the list could not be built; the predicate then
/// keeps its needles and scans for them one by one).
#[derive(Debug, Default)]
pub struct Automatons {
    built: FxHashMap<Needles, Option<AhoCorasick>>,
}

/// Builds one automaton as a string predicate does.
fn build(needles: &[Box<[u8]>]) -> Option<AhoCorasick> {
    AhoCorasick::new(needles.iter().map(|n| &**n)).ok()
}

impl Automatons {
    /// The automaton of `needles`, built now unless an equal list was built before.
    pub fn get(&mut self, needles: Needles) -> Option<AhoCorasick> {
        self.built.entry(needles).or_insert_with_key(|n| build(n)).clone()
    }

    /// Number of distinct needle lists built so far.
    pub fn len(&self) -> usize {
        self.built.len()
    }

    /// True when nothing was built yet.
    pub fn is_empty(&self) -> bool {
        self.built.is_empty()
    }

    /// Builds the automatons of `lists` (duplicates and lists already built are skipped) on
    /// up to `threads` threads. The biggest lists are taken first so that the threads end
    /// together.
    pub fn prebuild(&mut self, lists: Vec<Needles>, threads: usize) {
        let mut todo: Vec<Needles> = lists.into_iter().filter(|l| !self.built.contains_key(l)).collect();
        todo.sort_unstable();
        todo.dedup();
        todo.sort_by_key(|l| std::cmp::Reverse(l.iter().map(|n| n.len()).sum::<usize>()));
        let built = crate::parallel::in_order(&todo, threads, |list| build(list));
        self.built.extend(todo.into_iter().zip(built));
    }
}

/// The needle lists of the substring automatons the detection rules among `rules` need
/// (walked without recursion: depth is checked only when a rule is compiled).
pub fn needle_lists(rules: &[Rule]) -> Vec<Needles> {
    let mut lists = Vec::new();
    let mut stack: Vec<&Expr> = rules.iter().filter_map(|r| if let RuleBody::Detection(e) = &r.body { Some(e) } else { None }).collect();
    while let Some(expr) = stack.pop() {
        match expr {
            Expr::And(items) | Expr::Or(items) => stack.extend(items.iter()),
            Expr::Not(inner) | Expr::Named { expr: inner, .. } => stack.push(inner),
            Expr::Pred(p) => {
                if let Test::Str { op, case, patterns } = &p.test {
                    lists.extend(StrSet::automaton_needles(*op, *case, patterns));
                }
            }
            Expr::Const(_) | Expr::Compute { .. } => {}
        }
    }
    lists
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[&str]) -> Needles {
        words.iter().map(|w| Box::<[u8]>::from(w.as_bytes())).collect()
    }

    #[test]
    fn equal_lists_share_one_automaton() {
        let mut a = Automatons::default();
        let one = a.get(list(&["alpha", "beta", "gamma"]));
        let two = a.get(list(&["alpha", "beta", "gamma"]));
        let other = a.get(list(&["beta", "alpha", "gamma"]));
        assert_eq!(a.len(), 2);
        for ac in [&one, &two, &other] {
            let ac = ac.as_ref().unwrap_or_else(|| panic!("built"));
            assert!(ac.is_match("xx gamma yy") && !ac.is_match("delta"));
        }
    }

    #[test]
    fn prebuilt_automatons_do_not_depend_on_the_thread_count() {
        let lists: Vec<Needles> = (0..40).map(|i| list(&[&format!("n{i}a"), &format!("n{i}b"), "shared"])).chain([list(&["n1a", "n1b", "shared"])]).collect();
        let texts = ["xx n7b", "n39a!", "shared", "n40a", "nothing"];
        let mut answers = Vec::new();
        for threads in [1, 2, 5] {
            let mut a = Automatons::default();
            a.prebuild(lists.clone(), threads);
            assert_eq!(a.len(), 40);
            let mut seen = Vec::new();
            for l in &lists {
                let ac = a.built.get(l).cloned().flatten().unwrap_or_else(|| panic!("prebuilt"));
                seen.extend(texts.iter().map(|t| ac.find(t).map(|m| (m.pattern().as_usize(), m.start(), m.end()))));
            }
            answers.push(seen);
            // Prebuilt lists are not built again.
            a.get(list(&["n3a", "n3b", "shared"]));
            assert_eq!(a.len(), 40);
        }
        assert!(answers.windows(2).all(|w| w.first() == w.get(1)));
        assert!(answers.first().is_some_and(|a| a.iter().filter(|m| m.is_some()).count() > 40));
    }
}
