//! Duplicate rule ids and names across a rule set: two documents with the same `id` (or
//! the same `name`) load, but references by it (correlations, filters) can only mean one of
//! them, so the later one gets a warning that names both places.

use std::collections::HashMap;

use vigil_ir::{Diagnostic, SourceId, Span};

/// Where a document's `id` or `name` was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleId {
    /// `"id"` or `"name"`: the key the handle was written under.
    pub key: &'static str,
    pub id: String,
    pub source: SourceId,
    pub span: Span,
}

/// One warning for every id (or name) already used by an earlier document, in the order
/// given (the first document with it is the one references resolve to).
pub fn duplicate_ids(ids: &[RuleId]) -> Vec<Diagnostic> {
    let mut first: HashMap<(&str, &str), &RuleId> = HashMap::new();
    let mut warnings = Vec::new();
    for rule_id in ids {
        let Some(earlier) = first.get(&(rule_id.key, rule_id.id.as_str())) else {
            first.insert((rule_id.key, &rule_id.id), rule_id);
            continue;
        };
        let (code, fresh) = if rule_id.key == "name" { ("sigma::duplicate-name", "a unique name") } else { ("sigma::duplicate-id", "a fresh UUID") };
        let message = format!(
            "rule {} `{}` is already used at {}:{}:{}; both documents load",
            rule_id.key, rule_id.id, earlier.source, earlier.span.line, earlier.span.col
        );
        let hint = format!("give one of them a new {} ({fresh}); references to `{}` resolve to the one in {}", rule_id.key, rule_id.id, earlier.source);
        warnings.push(Diagnostic::warning(code, rule_id.source.clone(), rule_id.span, message).with_hint(hint));
    }
    warnings
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed expectation is a test failure
mod tests {
    use super::*;

    fn id(id: &str, file: &str, line: u32) -> RuleId {
        RuleId { key: "id", id: id.into(), source: SourceId::from(file), span: Span::new(0, 0, line, 5) }
    }

    fn name(name: &str, file: &str, line: u32) -> RuleId {
        RuleId { key: "name", ..id(name, file, line) }
    }

    #[test]
    fn each_later_use_of_an_id_names_the_first() {
        let ids = [id("a", "x.yml", 3), id("b", "x.yml", 20), id("a", "y.yml", 4), id("a", "z.yml", 7)];
        let warnings = duplicate_ids(&ids);
        assert_eq!(warnings.len(), 2);
        assert_eq!((&*warnings[0].source, warnings[0].span.line), ("y.yml", 4));
        assert!(warnings[0].message.contains("x.yml:3:5"), "{}", warnings[0].message);
        assert_eq!(&*warnings[1].source, "z.yml");
        assert!(warnings[1].message.contains("x.yml:3:5"), "{}", warnings[1].message);
        assert!(warnings.iter().all(|w| w.severity == vigil_ir::Severity::Warning));
    }

    #[test]
    fn distinct_ids_give_no_warning() {
        assert!(duplicate_ids(&[id("a", "x.yml", 1), id("b", "x.yml", 9)]).is_empty());
    }

    #[test]
    fn names_are_compared_with_names_only() {
        let warnings = duplicate_ids(&[id("a", "x.yml", 1), name("a", "x.yml", 2), name("a", "y.yml", 3)]);
        assert_eq!(warnings.len(), 1);
        assert_eq!((warnings[0].code, &*warnings[0].source), ("sigma::duplicate-name", "y.yml"));
        assert!(warnings[0].message.contains("rule name `a`") && warnings[0].message.contains("x.yml:2:5"), "{}", warnings[0].message);
    }
}
