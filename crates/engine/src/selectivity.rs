//! Choosing each rule's candidate-index requirement by selectivity across the whole rule set.
//!
//! Compiling a rule yields a [`Need`] tree: which needle sets (witness groups) an event must
//! carry for each part of its condition to hold. Which groups to index is decided only once
//! every rule is compiled, from [`Stats`] over all of them: a needle shared by many rules
//! (the log-source conditions a pipeline adds, such as `Channel:
//! Microsoft-Windows-Sysmon/Operational` or `EventID: 1`, are shared by hundreds) or on a
//! field with few distinct values across the rule set is likely present in many events, so
//! it is worth little; a rule's own rare needles (`endswith \cmd.exe`) are preferred.
//!
//! The choice never changes what the index requires to be sound: `and` keeps up to
//! [`MAX_GROUPS`] of its operands' groups (any subset of an `and`'s requirements is still
//! required), `or` unions one group per operand. Only *which* groups are kept changes.

use std::collections::{HashMap, HashSet};

use crate::fields::Slot;
use crate::prefilter::{Place, Requirement, Witness, MAX_GROUPS};

/// Bits of surprise per byte of a needle when estimating how often it turns up by accident
/// (log text is far from random; 3 bits puts an 8-byte needle at about one event in 16
/// million and a 2-byte one at one in 64).
const BITS_PER_BYTE: f64 = 3.0;

/// A group beyond the first is kept only when its estimated share of events is below this.
const SECOND_GROUP_MAX_COST: f64 = 0.5;

/// What an expression requires of an event, before the index's groups are chosen.
#[derive(Debug, Clone)]
pub enum Need {
    /// Nothing usable (a negation, a null test, a regex without a required literal): the
    /// expression may hold for any event.
    Any,
    /// The expression never holds (a constant `false`).
    Never,
    /// One of these needles must be present (one predicate's witness set).
    Group(Vec<Witness>),
    /// Every operand's requirement holds.
    And(Vec<Need>),
    /// Some operand's requirement holds.
    Or(Vec<Need>),
}

impl Need {
    /// Calls `f` with every witness in the tree.
    fn for_each_witness<'a>(&'a self, f: &mut impl FnMut(&'a Witness)) {
        match self {
            Need::Any | Need::Never => {}
            Need::Group(set) => set.iter().for_each(&mut *f),
            Need::And(items) | Need::Or(items) => items.iter().for_each(|n| n.for_each_witness(f)),
        }
    }
}

/// How often each needle and each field occur across a rule set.
#[derive(Debug, Default)]
pub struct Stats {
    rules: usize,
    /// Per needle: how many rules mention it.
    needle_rules: HashMap<(Slot, Place, Box<str>), usize>,
    /// Per slot: how many distinct needles the rule set places on it.
    slot_needles: HashMap<Slot, usize>,
}

impl Stats {
    /// Counts the needles of every rule's tree (each needle once per rule).
    pub fn new<'a>(needs: impl IntoIterator<Item = &'a Need>) -> Stats {
        let mut stats = Stats::default();
        for need in needs {
            stats.rules += 1;
            let mut seen: HashSet<&Witness> = HashSet::new();
            need.for_each_witness(&mut |w| {
                seen.insert(w);
            });
            for (slot, place, needle) in seen {
                let count = stats.needle_rules.entry((*slot, *place, needle.clone())).or_insert(0);
                if *count == 0 {
                    *stats.slot_needles.entry(*slot).or_insert(0) += 1;
                }
                *count += 1;
            }
        }
        stats
    }

    /// An estimate of the share of events that carry a needle (0 to 1; lower is better).
    ///
    /// The rule set stands in for the data: the share of rules that name the needle, but no
    /// less than one over the field's distinct needles (a field with few values, such as an
    /// event ID or a channel, has each of them often), and no less than the chance of a
    /// short needle turning up by accident ([`BITS_PER_BYTE`] bits of surprise per byte;
    /// anchored needles count one byte more than free ones, whole values are never
    /// accidental).
    pub fn share(&self, (slot, place, needle): &Witness) -> f64 {
        let rules = self.rules.max(1) as f64;
        let named = self.needle_rules.get(&(*slot, *place, needle.clone())).copied().unwrap_or(1) as f64 / rules;
        let field = 1.0 / self.slot_needles.get(slot).copied().unwrap_or(1).max(1) as f64;
        let bytes = match place {
            Place::Exact => f64::INFINITY,
            Place::Prefix | Place::Suffix => needle.len() as f64 + 1.0,
            Place::Anywhere => needle.len() as f64,
        };
        named.max(field).max(0.5f64.powf(BITS_PER_BYTE * bytes))
    }

    /// The estimated share of events that carry some needle of a group (lower is better).
    /// Not capped at 1: of two groups that both seem to hit every event, the one with fewer
    /// or more specific needles still ranks first.
    pub fn cost(&self, group: &[Witness]) -> f64 {
        group.iter().map(|w| self.share(w)).sum::<f64>()
    }

    /// Orders groups from most to least selective: lower cost, then fewer needles.
    fn order(&self, groups: &mut [Vec<Witness>]) {
        groups.sort_by(|a, b| self.cost(a).total_cmp(&self.cost(b)).then(a.len().cmp(&b.len())));
    }

    /// The requirement the index uses for `need` (`None`: evaluate the rule for every event).
    pub fn requirement(&self, need: &Need) -> Option<Requirement> {
        match need {
            Need::Any => None,
            Need::Never => Some(vec![Vec::new()]),
            Need::Group(set) => Some(vec![set.clone()]),
            Need::And(items) => {
                let mut groups: Requirement = items.iter().filter_map(|n| self.requirement(n)).flatten().collect();
                if groups.is_empty() {
                    return None;
                }
                self.order(&mut groups);
                // The best group always; a second only when it filters on its own: a group
                // most events carry (the log-source conditions) would be hit, and counted, for
                // hundreds of rules on every event while ruling out almost nothing.
                let keep = 1 + groups.iter().skip(1).take(MAX_GROUPS - 1).take_while(|g| self.cost(g) < SECOND_GROUP_MAX_COST).count();
                groups.truncate(keep);
                Some(groups)
            }
            Need::Or(items) => {
                let mut union = Vec::new();
                for item in items {
                    let mut groups = self.requirement(item)?;
                    if groups.is_empty() {
                        return None;
                    }
                    self.order(&mut groups);
                    union.extend(groups.into_iter().next().unwrap_or_default());
                }
                Some(vec![union])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(slot: Slot, place: Place, needle: &str) -> Witness {
        (slot, place, needle.into())
    }

    /// A rule as a pipeline leaves it: its own condition and a log-source condition.
    fn rule(own: Witness) -> Need {
        Need::And(vec![
            Need::Group(vec![w(0, Place::Exact, "microsoft-windows-sysmon/operational")]),
            Need::Group(vec![w(1, Place::Exact, "1")]),
            Need::Group(vec![own]),
        ])
    }

    #[test]
    fn shared_log_source_needles_lose_to_a_rules_own() {
        let mut needs: Vec<Need> = (0..50).map(|i| rule(w(2, Place::Suffix, &format!("\\t{i}.exe")))).collect();
        needs.push(rule(w(2, Place::Suffix, "\\cmd.exe")));
        let stats = Stats::new(&needs);
        let chosen = stats.requirement(needs.last().unwrap()).unwrap();
        // The own needle only: the log-source ones are in every rule, so likely in every
        // event, and would be counted for all 51 rules on each event for nothing.
        assert_eq!(chosen, vec![vec![w(2, Place::Suffix, "\\cmd.exe")]]);
        assert!(stats.cost(&[w(0, Place::Exact, "microsoft-windows-sysmon/operational")]) >= SECOND_GROUP_MAX_COST);
    }

    #[test]
    fn two_selective_groups_are_both_kept() {
        // "image is powershell and the command line has -enc": each common enough alone.
        let filler =
            |i| Need::And(vec![Need::Group(vec![w(2, Place::Suffix, &format!("\\t{i}.exe"))]), Need::Group(vec![w(3, Place::Anywhere, &format!("-x{i}"))])]);
        let mut needs: Vec<Need> = (0..2000).map(filler).collect();
        needs.push(Need::And(vec![Need::Group(vec![w(2, Place::Suffix, "\\powershell.exe")]), Need::Group(vec![w(3, Place::Anywhere, "-enc")])]));
        let stats = Stats::new(&needs);
        let chosen = stats.requirement(needs.last().unwrap()).unwrap();
        assert_eq!(chosen.len(), 2);
        assert!(chosen.contains(&vec![w(3, Place::Anywhere, "-enc")]));
    }

    #[test]
    fn a_large_own_group_still_beats_a_log_source_group() {
        // A rule with hundreds of hashes: its group's cost is the sum of many small shares,
        // still far below that of a needle every rule names.
        let hashes: Vec<Witness> = (0..300).map(|i| w(2, Place::Anywhere, &format!("{i:08x}"))).collect();
        let mut needs: Vec<Need> = (0..50).map(|i| rule(w(2, Place::Suffix, &format!("\\t{i}.exe")))).collect();
        needs.extend((0..2000).map(|i| Need::Group(vec![w(2, Place::Suffix, &format!("\\u{i}.exe"))])));
        needs.push(Need::And(vec![Need::Group(vec![w(1, Place::Exact, "1")]), Need::Group(hashes.clone())]));
        let stats = Stats::new(&needs);
        assert_eq!(stats.requirement(needs.last().unwrap()).unwrap(), vec![hashes]);
    }

    #[test]
    fn or_unions_each_operands_best_and_any_poisons() {
        let needs = vec![Need::Or(vec![rule(w(2, Place::Suffix, "\\a.exe")), rule(w(2, Place::Suffix, "\\b.exe"))])];
        let stats = Stats::new(&needs);
        let union = stats.requirement(&needs[0]).unwrap();
        assert_eq!(union.len(), 1);
        assert_eq!(union[0].len(), 2);
        assert!(stats.requirement(&Need::Or(vec![Need::Group(vec![w(2, Place::Exact, "x")]), Need::Any])).is_none());
        assert!(stats.requirement(&Need::And(vec![Need::Any, Need::Any])).is_none());
        assert_eq!(stats.requirement(&Need::Never), Some(vec![Vec::new()]));
    }

    #[test]
    fn short_free_needles_are_worth_little() {
        // Many rules, each with its own needles, so no needle is common by name.
        let needs: Vec<Need> = (0..1000).map(|i| Need::Group(vec![w(3, Place::Exact, &format!("v{i}"))])).collect();
        let stats = Stats::new(&needs);
        assert!(stats.share(&w(3, Place::Anywhere, "ab")) > stats.share(&w(3, Place::Anywhere, "abcdefgh")));
        assert!(stats.share(&w(3, Place::Anywhere, "ab")) > stats.share(&w(3, Place::Suffix, "ab")));
    }
}
