//! The one rule-handle index: a rule's id or name → its position in a rule set.
//!
//! Correlations and filters refer to other rules by id or by name; every stage that
//! resolves such a reference (linking, pipelines, compiling) uses this index, so they all
//! resolve a handle to the same rule. The first rule to carry a handle keeps it.

use std::collections::HashMap;

use crate::rule::Rule;

/// Rule id or name → index into the slice the index was built from.
#[derive(Clone, Debug, Default)]
pub struct HandleIndex {
    map: HashMap<String, usize>,
}

impl HandleIndex {
    /// Indexes `rules` by id and by name; on a clash the earlier rule keeps the handle.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> HandleIndex {
        let mut map = HashMap::new();
        for (i, rule) in rules.into_iter().enumerate() {
            for handle in rule.meta.handles() {
                map.entry(handle.to_string()).or_insert(i);
            }
        }
        HandleIndex { map }
    }

    /// The index of the rule known by `handle` (its id or its name).
    pub fn get(&self, handle: &str) -> Option<usize> {
        self.map.get(handle).copied()
    }

    pub fn contains(&self, handle: &str) -> bool {
        self.map.contains_key(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Expr, LogSource, RuleBody, RuleMeta, Span};

    fn rule(id: Option<&str>, name: Option<&str>) -> Rule {
        Rule {
            meta: RuleMeta { id: id.map(str::to_string), name: name.map(str::to_string), ..RuleMeta::default() },
            logsource: LogSource::default(),
            body: RuleBody::Detection(Expr::Const(true)),
            source: "t.yml".into(),
            span: Span::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn ids_and_names_resolve_and_the_first_holder_keeps_a_handle() {
        let rules = [rule(Some("a"), Some("alpha")), rule(Some("b"), None), rule(Some("a"), Some("beta"))];
        let index = HandleIndex::new(&rules);
        assert_eq!(index.get("a"), Some(0));
        assert_eq!(index.get("alpha"), Some(0));
        assert_eq!(index.get("b"), Some(1));
        assert_eq!(index.get("beta"), Some(2));
        assert_eq!(index.get("c"), None);
        assert!(!index.contains("gamma"));
    }
}
