//! Rule filters (`--min-level`, `--level`, `--status`, `--exclude-status`, `--include-tag`,
//! `--exclude-tag`, `--rule-id`): which loaded rules a run selects, decided before compile.
//!
//! Semantics:
//! - Every filter given must hold (they combine with `and`); values of one repeated or
//!   comma-separated filter combine with `or`.
//! - A rule without a `level` fails `--min-level` and `--level`; a rule without a `status`
//!   fails `--status` and passes `--exclude-status`.
//! - Tags compare case-insensitively, with `_` and `-` alike, and the `attack.` namespace is
//!   optional in the query: `t1553.004`, `T1553.004` and `attack.t1553.004` are the same
//!   filter, as are `persistence` and `attack.persistence`. A technique id also matches its
//!   sub-techniques (`t1553` matches `attack.t1553.004`), as ATT&CK nests them; a
//!   sub-technique matches only itself. Other namespaces are written in full (`cve.2021-4034`).
//! - `--rule-id` matches a rule's `id` (case-insensitively, UUIDs are written either way) or
//!   its `name`.
//! - A correlation the filters select keeps the rules it reads as its inputs, even those the
//!   filters leave out; those raise no alerts of their own (see [`Selection`]).

use std::collections::HashSet;
use std::sync::Arc;

use vigil_ir::{Level, Rule, RuleBody, Status};

/// A Sigma level as a command-line value.
pub fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(&text.to_ascii_lowercase()).ok_or_else(|| format!("unknown level `{text}` (use informational, low, medium, high, critical)"))
}

/// A Sigma status as a command-line value.
pub fn parse_status(text: &str) -> Result<Status, String> {
    Status::parse(&text.to_ascii_lowercase()).ok_or_else(|| format!("unknown status `{text}` (use stable, test, experimental, deprecated, unsupported)"))
}

/// The filter flags, shared by `hunt`, `check` and `list rules`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RuleFilter {
    /// Only rules of this level or above (informational < low < medium < high < critical).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level, help_heading = "Rule filters")]
    pub min_level: Option<Level>,
    /// Only rules of these levels (repeat or separate with commas).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level, value_delimiter = ',', help_heading = "Rule filters")]
    pub level: Vec<Level>,
    /// Only rules of these statuses (stable, test, experimental, deprecated, unsupported).
    #[arg(long, value_name = "STATUS", value_parser = parse_status, value_delimiter = ',', help_heading = "Rule filters")]
    pub status: Vec<Status>,
    /// Leave out rules of these statuses.
    #[arg(long, value_name = "STATUS", value_parser = parse_status, value_delimiter = ',', help_heading = "Rule filters")]
    pub exclude_status: Vec<Status>,
    /// Only rules with one of these tags: ATT&CK ids (t1553, t1553.004; a technique also
    /// selects its sub-techniques), tactics (persistence, attack.persistence), or any Sigma tag.
    #[arg(long, value_name = "TAG", value_delimiter = ',', help_heading = "Rule filters")]
    pub include_tag: Vec<String>,
    /// Leave out rules with one of these tags (matched as for --include-tag).
    #[arg(long, value_name = "TAG", value_delimiter = ',', help_heading = "Rule filters")]
    pub exclude_tag: Vec<String>,
    /// Only the rules with these ids or names.
    #[arg(long, value_name = "ID|NAME", value_delimiter = ',', help_heading = "Rule filters")]
    pub rule_id: Vec<String>,
}

/// A tag in the form both sides are compared in: lower case, `-` for `_`.
fn normalise(tag: &str) -> String {
    tag.trim().to_lowercase().replace('_', "-")
}

/// True when `text` is a technique id without a sub-technique: `t` then digits.
fn is_technique(text: &str) -> bool {
    text.strip_prefix('t').is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Does the rule tag `tag` satisfy the query `query` (both normalised)?
fn tag_matches(query: &str, tag: &str) -> bool {
    if tag == query {
        return true;
    }
    let Some(attack) = tag.strip_prefix("attack.") else { return false };
    let query = query.strip_prefix("attack.").unwrap_or(query);
    attack == query || (is_technique(query) && attack.strip_prefix(query).is_some_and(|sub| sub.starts_with('.')))
}

impl RuleFilter {
    /// True when no filter is given.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.level.is_empty()
            && self.status.is_empty()
            && self.exclude_status.is_empty()
            && self.include_tag.is_empty()
            && self.exclude_tag.is_empty()
            && self.rule_id.is_empty()
    }

    /// Does the filter select `rule` (on its own metadata)?
    pub fn selects(&self, rule: &Rule) -> bool {
        let meta = &rule.meta;
        if let Some(min) = self.min_level {
            if meta.level.is_none_or(|l| l < min) {
                return false;
            }
        }
        if !self.level.is_empty() && !meta.level.is_some_and(|l| self.level.contains(&l)) {
            return false;
        }
        if !self.status.is_empty() && !meta.status.is_some_and(|s| self.status.contains(&s)) {
            return false;
        }
        if meta.status.is_some_and(|s| self.exclude_status.contains(&s)) {
            return false;
        }
        let tags: Vec<String> = meta.tags.iter().map(|t| normalise(t)).collect();
        let has = |query: &String| {
            let query = normalise(query);
            tags.iter().any(|t| tag_matches(&query, t))
        };
        if !self.include_tag.is_empty() && !self.include_tag.iter().any(has) {
            return false;
        }
        if self.exclude_tag.iter().any(has) {
            return false;
        }
        if !self.rule_id.is_empty() {
            let id_matches = |q: &String| meta.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(q)) || meta.name.as_deref() == Some(q.as_str());
            if !self.rule_id.iter().any(id_matches) {
                return false;
            }
        }
        true
    }

    /// Applies the filter to a linked rule set: keeps the selected rules and the inputs of
    /// selected correlations, in their order.
    pub fn apply(&self, rules: Vec<Rule>) -> Selection {
        if self.is_empty() {
            return Selection { rules, left_out: 0, inputs_only: HashSet::new() };
        }
        let selected: Vec<bool> = rules.iter().map(|r| self.selects(r)).collect();
        // The handles read by selected correlations, followed through correlations of
        // correlations until nothing new is reached.
        let mut wanted: HashSet<String> = HashSet::new();
        let mut keep = selected.clone();
        loop {
            let before = wanted.len();
            for (rule, _) in rules.iter().zip(&keep).filter(|(_, k)| **k) {
                if let RuleBody::Correlation(c) = &rule.body {
                    wanted.extend(c.rules.iter().map(|r| r.name.clone()));
                }
            }
            for (rule, k) in rules.iter().zip(keep.iter_mut()) {
                if !*k && rule.meta.handles().any(|h| wanted.contains(h)) {
                    *k = true;
                }
            }
            if wanted.len() == before {
                break;
            }
        }
        let left_out = selected.iter().filter(|s| !**s).count();
        let mut inputs_only = HashSet::new();
        let mut kept = Vec::new();
        for ((rule, selected), keep) in rules.into_iter().zip(selected).zip(keep) {
            if keep && !selected {
                inputs_only.insert(DocumentKey::of(&rule));
            }
            if keep {
                kept.push(rule);
            }
        }
        Selection { rules: kept, left_out, inputs_only }
    }
}

/// A rule document: its file and where its document starts (unique within a file).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocumentKey(Arc<str>, usize);

impl DocumentKey {
    pub fn of(rule: &Rule) -> DocumentKey {
        DocumentKey(rule.source.clone(), rule.span.start)
    }
}

/// The rules a filter selected.
pub struct Selection {
    /// The rules to compile: the selected ones and the inputs of selected correlations.
    pub rules: Vec<Rule>,
    /// How many loaded rules the filters did not select (inputs of correlations included).
    pub left_out: usize,
    /// Rules kept only to feed selected correlations: they raise no alerts of their own.
    pub inputs_only: HashSet<DocumentKey>,
}

impl Selection {
    /// Silences the rules kept only as correlation inputs in a compiled program.
    pub fn silence_inputs(&self, program: &mut vigil_engine::Program) {
        for compiled in &mut program.rules {
            if self.inputs_only.contains(&DocumentKey::of(&compiled.rule)) {
                compiled.emits = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_with_or_without_the_attack_namespace_and_techniques_cover_sub_techniques() {
        let m = |q: &str, t: &str| tag_matches(&normalise(q), &normalise(t));
        assert!(m("t1553.004", "attack.t1553.004"));
        assert!(m("T1553.004", "attack.t1553.004"));
        assert!(m("attack.t1553.004", "attack.t1553.004"));
        assert!(m("t1553", "attack.t1553.004"));
        assert!(m("attack.t1553", "attack.t1553.004"));
        assert!(!m("t1553.004", "attack.t1553"));
        assert!(!m("t1553.00", "attack.t1553.004"));
        assert!(!m("t155", "attack.t1553.004"));
        assert!(m("persistence", "attack.persistence"));
        assert!(m("defense_evasion", "attack.defense-evasion"));
        assert!(!m("persistence", "attack.privilege-escalation"));
        assert!(m("cve.2021-4034", "cve.2021-4034"));
        assert!(!m("2021-4034", "cve.2021-4034"));
    }
}
