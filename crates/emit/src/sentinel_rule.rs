//! The `kql` target's native rule file: a Microsoft Sentinel scheduled analytic rule in the
//! YAML layout of the Azure-Sentinel repository's detections (`kind: Scheduled`).
//!
//! From the Sigma rule: `id` the Sigma id (Sentinel wants a GUID; a rule without one gets
//! a GUID made from its title, the same on every run), `name` the title, `description`
//! (the title when absent), `severity` from the level (Sentinel has no Critical: critical →
//! High; informational → Informational), `tactics` from the ATT&CK tactic tags in
//! Sentinel's spelling (`defense-evasion` → `DefenseEvasion`), `relevantTechniques` the
//! technique ids without their sub-technique (`T1059.001` → `T1059`, once each). The rule
//! runs hourly over the last hour and alerts on any result (`queryFrequency`,
//! `queryPeriod`, `triggerOperator: gt`, `triggerThreshold: 0`); `requiredDataConnectors`
//! is left empty (the connector depends on how the logs arrive, not on the rule). Every
//! string is a YAML double-quoted scalar, so no value can change the document's shape.

use vigil_ir::{AttackTag, Level, Rule};

/// The analytic rule for `rule`, holding `query`.
pub fn sentinel_rule(rule: &Rule, query: &str) -> String {
    let meta = &rule.meta;
    let severity = match meta.level {
        Some(Level::Informational) => "Informational",
        Some(Level::Low) => "Low",
        Some(Level::Medium) | None => "Medium",
        Some(Level::High | Level::Critical) => "High",
    };
    let id = meta.id.clone().filter(|id| is_guid(id)).unwrap_or_else(|| guid_from(&meta.title));
    let mut out = format!("id: {}\n", yaml_string(&id));
    out.push_str(&format!("name: {}\n", yaml_string(&meta.title)));
    out.push_str(&format!("description: {}\n", yaml_string(meta.description.as_deref().unwrap_or(&meta.title))));
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
    out
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

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A GUID made from `text` (two FNV-1a hashes), marked version 8 (custom) and RFC 4122
/// variant, so the same title always gets the same id.
fn guid_from(text: &str) -> String {
    let fnv = |seed: u64| text.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & !0xf000) | 0x8000;
    let b = (b & !(0xc000_u64 << 48)) | (0x8000_u64 << 48);
    format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tactics_and_strings() {
        assert!(is_guid("5d8fd9da-6916-45ef-8d4d-3fa9d19d1a64"));
        assert!(!is_guid("not-a-guid"));
        let g = guid_from("Some title");
        assert!(is_guid(&g), "{g}");
        assert_eq!(g, guid_from("Some title"));
        assert_ne!(g, guid_from("Some title."));
        assert_eq!(&g[14..15], "8");
        assert_eq!(tactic("command-and-control"), Some("CommandAndControl"));
        assert_eq!(tactic("defense_evasion"), Some("DefenseEvasion"));
        assert_eq!(tactic("t1059"), None);
        assert_eq!(yaml_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
