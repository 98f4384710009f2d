//! A record's source label: the product and service it comes from and the Sigma log-source
//! categories it belongs to, which a reader knows from the record itself (an EVTX record's
//! channel and event ID), for log-source routing.
//!
//! A record can be in several categories: Sysmon event 13 is both `registry_set` and
//! `registry_event`.

/// Where one record comes from, in Sigma's log-source terms.
///
/// A part the record does not know is `None` (or no category): every rule is eligible on it,
/// as Sigma's log-source semantics say of a field a rule states and the source lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceLabel {
    pub product: Option<&'static str>,
    pub service: Option<&'static str>,
    pub categories: &'static [&'static str],
}

impl SourceLabel {
    /// True when a rule with this log source can apply to the record: every part the rule
    /// states is either unknown for the record or equal to it (a category: one of the
    /// record's).
    pub fn admits(&self, product: Option<&str>, service: Option<&str>, category: Option<&str>) -> bool {
        let same = |mine: Option<&str>, rule: Option<&str>| match (mine, rule) {
            (Some(m), Some(r)) => m.eq_ignore_ascii_case(r),
            _ => true,
        };
        same(self.product, product)
            && same(self.service, service)
            && match category {
                Some(c) if !self.categories.is_empty() => self.categories.iter().any(|m| m.eq_ignore_ascii_case(c)),
                _ => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_admits_rules_of_any_of_its_categories() {
        let label = SourceLabel { product: Some("windows"), service: Some("sysmon"), categories: &["registry_set", "registry_event"] };
        assert!(label.admits(Some("windows"), None, Some("registry_event")));
        assert!(label.admits(Some("windows"), None, Some("registry_set")));
        assert!(!label.admits(Some("windows"), None, Some("process_creation")));
        assert!(!label.admits(Some("linux"), None, None));
        assert!(!label.admits(None, Some("security"), None));
        assert!(SourceLabel::default().admits(Some("linux"), Some("auditd"), Some("process_creation")));
    }
}
