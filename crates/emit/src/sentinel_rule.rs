//! The `kql` target's native rule file: a Microsoft Sentinel scheduled analytic rule in the
//! YAML layout of the Azure-Sentinel repository's detections (`kind: Scheduled`).
//!
//! From the Sigma rule: `id` the Sigma id (Sentinel wants a GUID; a rule without one gets
//! a GUID made from its title, the same on every run: [`crate::rule_id`]), `name` the title, `description`
//! (the title when absent), `severity` from the level (Sentinel has no Critical: critical →
//! High; informational → Informational), `tactics` from the ATT&CK tactic tags in
//! Sentinel's spelling (`defense-evasion` → `DefenseEvasion`), `relevantTechniques` the
//! technique ids without their sub-technique (`T1059.001` → `T1059`, once each). The rule
//! runs hourly over the last hour and alerts on any result (`queryFrequency`,
//! `queryPeriod`, `triggerOperator: gt`, `triggerThreshold: 0`); `requiredDataConnectors`
//! is left empty (the connector depends on how the logs arrive, not on the rule). Every
//! string is a YAML double-quoted scalar, so no value can change the document's shape.
//! Sentinel takes at most 256 characters of name, 5,000 of description and 10,000 of query:
//! a rule over a limit gets no file, and the reason is returned instead.

use vigil_ir::{AttackTag, Level, Rule};

/// Sentinel's limits on an analytic rule template (the Azure-Sentinel repository's template
/// validation): characters of the name, the description and the query.
const MAX_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 5000;
const MAX_QUERY: usize = 10_000;

/// The analytic rule for `rule`, holding `query`; the reason when Sentinel would not take it
/// (a name, description or query longer than Sentinel allows).
pub fn sentinel_rule(rule: &Rule, query: &str) -> Result<String, String> {
    let meta = &rule.meta;
    let description = meta.description.as_deref().unwrap_or(&meta.title);
    for (what, text, max) in [("name", meta.title.as_str(), MAX_NAME), ("description", description, MAX_DESCRIPTION), ("query", query, MAX_QUERY)] {
        let n = text.chars().count();
        if n > max {
            return Err(format!("a Sentinel analytic rule's {what} has at most {max} characters; this one has {n}"));
        }
    }
    let severity = match meta.level {
        Some(Level::Informational) => "Informational",
        Some(Level::Low) => "Low",
        Some(Level::Medium) | None => "Medium",
        Some(Level::High | Level::Critical) => "High",
    };
    let id = crate::rule_id::rule_guid(meta.id.as_deref(), &meta.title);
    let mut out = format!("id: {}\n", yaml_string(&id));
    out.push_str(&format!("name: {}\n", yaml_string(&meta.title)));
    out.push_str(&format!("description: {}\n", yaml_string(description)));
    out.push_str(&format!("severity: {severity}\n"));
    out.push_str("requiredDataConnectors: []\n");
    out.push_str("queryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\n");
    let tactics: Vec<&str> = meta.attack.iter().filter_map(|t| if let AttackTag::Tactic(t) = t { tactic(t) } else { None }).collect();
    list(&mut out, "tactics", tactics.iter().map(|t| t.to_string()));
    let mut techniques: Vec<String> = Vec::new();
    for t in meta.techniques() {
        let parent = t.split('.').next().unwrap_or(t).to_string();
        if !techniques.contains(&parent) {
            techniques.push(parent);
        }
    }
    list(&mut out, "relevantTechniques", techniques.into_iter());
    out.push_str(&format!("query: {}\n", yaml_string(query)));
    out.push_str("version: 1.0.0\nkind: Scheduled\n");
    if let Some(author) = &meta.author {
        out.push_str(&format!("metadata:\n  author:\n    name: {}\n", yaml_string(author)));
    }
    Ok(out)
}

/// `key:` and its items as a block list, or `key: []`.
fn list(out: &mut String, key: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.map(|i| format!("  - {}\n", yaml_string(&i))).collect();
    if items.is_empty() {
        out.push_str(&format!("{key}: []\n"));
    } else {
        out.push_str(&format!("{key}:\n{}", items.concat()));
    }
}

/// Sentinel's name of an ATT&CK tactic given by its short name; `None` for one it has not.
fn tactic(short: &str) -> Option<&'static str> {
    Some(match short.replace('_', "-").as_str() {
        "reconnaissance" => "Reconnaissance",
        "resource-development" => "ResourceDevelopment",
        "initial-access" => "InitialAccess",
        "execution" => "Execution",
        "persistence" => "Persistence",
        "privilege-escalation" => "PrivilegeEscalation",
        "defense-evasion" => "DefenseEvasion",
        "credential-access" => "CredentialAccess",
        "discovery" => "Discovery",
        "lateral-movement" => "LateralMovement",
        "collection" => "Collection",
        "command-and-control" => "CommandAndControl",
        "exfiltration" => "Exfiltration",
        "impact" => "Impact",
        _ => return None,
    })
}

/// A YAML double-quoted scalar (JSON's escapes, which YAML reads the same way).
pub fn yaml_string(text: &str) -> String {
    crate::text::backslash_quoted(text, crate::yaml_text::needs_escape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactics_and_strings() {
        assert_eq!(tactic("command-and-control"), Some("CommandAndControl"));
        assert_eq!(tactic("defense_evasion"), Some("DefenseEvasion"));
        assert_eq!(tactic("t1059"), None);
        assert_eq!(yaml_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
