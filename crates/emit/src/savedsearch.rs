//! The `spl` target's native rule file: a Splunk `savedsearches.conf` stanza (the layout
//! of Splunk's `savedsearches.conf.spec`), one per rule.
//!
//! The stanza is named by the rule's title; `search` holds the query; the rule runs every
//! 10 minutes over the last 10 (`cron_schedule`, `dispatch.earliest_time`/`latest_time`)
//! and alerts on any result (`counttype`/`relation`/`quantity`, `alert.track`).
//! `alert.severity` follows the level on Splunk's 1–6 scale (informational 2, low 3,
//! medium 4, high 5, critical 6), and the Sigma metadata stays in `description` and in
//! Splunk Enterprise Security's `action.correlationsearch.*` keys (label, and the ATT&CK
//! techniques and tactics as `annotations`). A value that spans lines is continued with a
//! trailing backslash, as the spec says; a line of it that itself ends in a backslash gets
//! a space after it, so it is not read as a continuation.

use vigil_ir::{AttackTag, Level, Rule};

/// The stanza for `rule`, holding `query`.
pub fn savedsearch(rule: &Rule, query: &str) -> String {
    let meta = &rule.meta;
    let severity = match meta.level {
        Some(Level::Informational) => 2,
        Some(Level::Low) => 3,
        Some(Level::Medium) | None => 4,
        Some(Level::High) => 5,
        Some(Level::Critical) => 6,
    };
    let mut description = meta.description.clone().unwrap_or_else(|| meta.title.clone());
    if let Some(author) = &meta.author {
        description.push_str(&format!("\nAuthor: {author}"));
    }
    if let Some(id) = &meta.id {
        description.push_str(&format!("\nSigma rule id: {id}"));
    }
    for r in &meta.references {
        description.push_str(&format!("\nReference: {r}"));
    }
    for f in &meta.falsepositives {
        description.push_str(&format!("\nFalse positive: {f}"));
    }
    let mut out = format!("[{}]\n", stanza_name(&meta.title));
    let mut set = |key: &str, value: &str| out.push_str(&format!("{key} = {}\n", conf_value(value)));
    set("search", query);
    set("description", &description);
    set("disabled", "0");
    set("enableSched", "1");
    set("cron_schedule", "*/10 * * * *");
    set("dispatch.earliest_time", "-10m");
    set("dispatch.latest_time", "now");
    set("counttype", "number of events");
    set("relation", "greater than");
    set("quantity", "0");
    set("alert.track", "1");
    set("alert.suppress", "0");
    set("alert.severity", &severity.to_string());
    set("action.correlationsearch.enabled", "1");
    set("action.correlationsearch.label", &meta.title);
    let techniques: Vec<String> = meta.techniques().map(json_string).collect();
    let tactics: Vec<String> = meta.attack.iter().filter_map(|t| if let AttackTag::Tactic(t) = t { Some(json_string(t)) } else { None }).collect();
    if !techniques.is_empty() || !tactics.is_empty() {
        let mut parts = Vec::new();
        if !techniques.is_empty() {
            parts.push(format!("\"mitre_attack\": [{}]", techniques.join(", ")));
        }
        if !tactics.is_empty() {
            parts.push(format!("\"mitre_attack_tactics\": [{}]", tactics.join(", ")));
        }
        set("action.correlationsearch.annotations", &format!("{{{}}}", parts.join(", ")));
    }
    out
}

/// A stanza name on one line: line breaks become spaces, and a `]` (which would end the
/// name early) becomes `)`.
fn stanza_name(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' {
                ' '
            } else if c == ']' {
                ')'
            } else {
                c
            }
        })
        .collect()
}

/// A value as the conf reader takes it back: lines after the first continued by a trailing
/// backslash.
fn conf_value(value: &str) -> String {
    let lines: Vec<String> = value.lines().map(|l| if l.ends_with('\\') { format!("{l} ") } else { l.to_string() }).collect();
    lines.join("\\\n")
}

/// A JSON string literal (the annotations are JSON).
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_continue_across_lines_and_names_stay_on_one() {
        assert_eq!(conf_value("a\nb\\\nc"), "a\\\nb\\ \\\nc");
        assert_eq!(stanza_name("x [y]\nz"), "x [y) z");
        assert_eq!(json_string("a\"b"), "\"a\\\"b\"");
    }
}
