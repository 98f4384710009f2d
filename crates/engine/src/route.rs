//! Routing by a record's source label, decided once per distinct label.
//!
//! A [`Route`] says, for one [`SourceLabel`], which rules the label admits (the log-source
//! check of every candidate) and which parts of the candidate index can still select an
//! admitted rule. A part whose needles all belong to rules the label excludes is not scanned
//! at all: on a Sysmon record, the keyword needles of rules for the Application log cost
//! nothing. Skipping it loses nothing, because a rule the label excludes is never evaluated.
//!
//! Labels are few (one per channel and event ID a reader knows), so routes are computed on
//! first sight, kept by the program for every thread ([`Routes`]), and looked up per record
//! through a small per-thread list (see `program::Scratch`).

use std::sync::{Arc, RwLock};

use vigil_view::SourceLabel;

/// What one source label admits.
#[derive(Debug)]
pub struct Route {
    /// Per rule: its log source admits records of this label.
    pub admitted: Vec<bool>,
    /// Per candidate-index part: some rule of it is admitted (see `Prefilter::parts`).
    pub parts: Vec<bool>,
    /// Whether its records need their strings collected for keyword search (see
    /// `keyword_gate`).
    pub keywords: crate::keyword_gate::KeywordNeed,
}

impl Route {
    /// The route of a label, given which rules it admits and the rules of each index part.
    pub fn new(admitted: Vec<bool>, part_rules: &[Vec<u32>]) -> Route {
        let parts = part_rules.iter().map(|rules| rules.iter().any(|&r| admitted.get(r as usize).copied().unwrap_or(true))).collect();
        Route { admitted, parts, keywords: crate::keyword_gate::KeywordNeed::Always }
    }
}

/// True when `a` and `b` are the same label; labels come from static tables, so the pointer
/// test usually decides.
pub fn same_label(a: &SourceLabel, b: &SourceLabel) -> bool {
    let same_str = |x: Option<&'static str>, y: Option<&'static str>| match (x, y) {
        (Some(x), Some(y)) => std::ptr::eq(x, y) || x == y,
        (None, None) => true,
        _ => false,
    };
    same_str(a.product, b.product) && same_str(a.service, b.service) && (std::ptr::eq(a.categories, b.categories) || a.categories == b.categories)
}

/// The routes of the labels seen so far, shared by every thread evaluating one program.
#[derive(Debug, Default)]
pub struct Routes {
    known: RwLock<Vec<(SourceLabel, Arc<Route>)>>,
}

impl Routes {
    /// The route of `label`, computed with `make` the first time any thread asks.
    pub fn get(&self, label: &SourceLabel, make: impl FnOnce() -> Route) -> Arc<Route> {
        let find = |known: &[(SourceLabel, Arc<Route>)]| known.iter().find(|(l, _)| same_label(l, label)).map(|(_, r)| r.clone());
        // A poisoned lock only means another thread panicked while holding it; the list
        // itself is always whole (entries are pushed complete).
        if let Some(route) = find(&self.known.read().unwrap_or_else(|e| e.into_inner())) {
            return route;
        }
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        if let Some(route) = find(&known) {
            return route;
        }
        let route = Arc::new(make());
        known.push((*label, route.clone()));
        route
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_kept_when_any_of_its_rules_is_admitted() {
        let route = Route::new(vec![false, true, false], &[vec![0, 2], vec![0, 1], vec![]]);
        assert_eq!(route.parts, vec![false, true, false]);
    }

    #[test]
    fn each_label_is_routed_once_and_equal_labels_share_it() {
        let routes = Routes::default();
        let a = SourceLabel { product: Some("windows"), service: Some("sysmon"), categories: &["process_creation"] };
        let copy = SourceLabel { product: Some("windows"), service: Some("sysmon"), categories: &["process_creation"] };
        let b = SourceLabel { product: Some("windows"), service: Some("security"), categories: &[] };
        let mut made = 0;
        for label in [a, copy, b, a] {
            routes.get(&label, || {
                made += 1;
                Route::new(vec![true], &[])
            });
        }
        assert_eq!(made, 2);
        assert!(same_label(&a, &copy) && !same_label(&a, &b));
    }
}
