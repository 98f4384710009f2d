//! Duplicate rule ids across a rule set: two documents with the same `id` load, but
//! references by that id (correlations, filters) can only mean one of them, so the later
//! one gets a warning that names both places.

use std::collections::HashMap;

use vigil_ir::{Diagnostic, SourceId, Span};

/// Where a document's `id` was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleId {
    pub id: String,
    pub source: SourceId,
    pub span: Span,
}

/// One warning for every id already used by an earlier document, in the order given (the
/// first document with an id is the one references resolve to).
pub fn duplicate_ids(ids: &[RuleId]) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &RuleId> = HashMap::new();
    let mut warnings = Vec::new();
    for rule_id in ids {
        match first.get(rule_id.id.as_str()) {
            None => {
                first.insert(&rule_id.id, rule_id);
            }
            Some(earlier) => warnings.push(
                Diagnostic::warning(
                    "sigma::duplicate-id",
                    rule_id.source.clone(),
                    rule_id.span,
                    format!("rule id `{}` is already used at {}:{}:{}; both documents load", rule_id.id, earlier.source, earlier.span.line, earlier.span.col),
                )
                .with_hint(format!("give one of them a new id (a fresh UUID); references to `{}` resolve to the one in {}", rule_id.id, earlier.source)),
            ),
        }
    }
    warnings
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed expectation is a test failure
mod tests {
    use super::*;

    fn id(id: &str, file: &str, line: u32) -> RuleId {
        RuleId { id: id.into(), source: SourceId::from(file), span: Span::new(0, 0, line, 5) }
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
}
