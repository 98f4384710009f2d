//! Native rule files (`vigil convert --format rule`): a converted query wrapped in the
//! target's own rule format, with the Sigma rule's metadata.
//!
//! One writer per target that has a rule format, chosen in [`rule_file`]; a target without
//! one returns `None` (the command says so before converting). Built: `eql` → an Elastic
//! detection rule (TOML, the layout of Elastic's detection-rules repository, `type =
//! "eql"`), `spl` → a `savedsearches.conf` stanza ([`crate::savedsearch`]), `kql` → a
//! Microsoft Sentinel scheduled analytic rule, YAML ([`crate::sentinel_rule`]).
//!
//! Elastic rule fields from Sigma: `rule_id` the id (else the title), `name` the title,
//! `description` (the title when absent), `author`, `references`, `tags` (the Sigma tags),
//! `severity` and `risk_score` from the level (informational and low → low/21, medium/47,
//! high/73, critical/99, as Elastic's own rules pair them), `maturity` production for a
//! stable rule else development, dates with `/`, `index` the `--table` value, `false_positives`.

use vigil_ir::{Level, Rule, Status};

use crate::dialect::Options;
use crate::target::Target;

/// The file `target` keeps `rule` in, holding `query`, and the file's extension; `None` when
/// the target has no rule format.
pub fn rule_file(target: Target, rule: &Rule, query: &str, options: &Options) -> Option<(String, &'static str)> {
    match target {
        Target::Eql => Some((elastic_toml(rule, query, options), "toml")),
        Target::Spl => Some((crate::savedsearch::savedsearch(rule, query), "conf")),
        Target::Kql => Some((crate::sentinel_rule::sentinel_rule(rule, query), "yaml")),
        // A printed Sigma rule is its own rule file.
        Target::Sigma => Some((query.to_string(), "yml")),
        _ => None,
    }
}

/// Whether `target` has a rule format.
pub fn has_rule_file(target: Target) -> bool {
    matches!(target, Target::Eql | Target::Spl | Target::Kql | Target::Sigma)
}

/// A TOML basic string: `"` and `\` escaped, control characters as `\uXXXX`.
pub fn toml_string(text: &str) -> String {
    crate::text::backslash_quoted(text, char::is_control)
}

fn toml_array(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// Sigma dates (`2023-01-05`, `2023/01/05`) in Elastic's `YYYY/MM/DD`.
fn elastic_date(date: &str) -> String {
    date.trim().replace('-', "/")
}

fn elastic_toml(rule: &Rule, query: &str, options: &Options) -> String {
    let meta = &rule.meta;
    let (severity, risk) = match meta.level {
        Some(Level::Critical) => ("critical", 99),
        Some(Level::High) => ("high", 73),
        Some(Level::Medium) | None => ("medium", 47),
        Some(Level::Low | Level::Informational) => ("low", 21),
    };
    let maturity = if meta.status == Some(Status::Stable) { "production" } else { "development" };
    let mut out = String::from("[metadata]\n");
    if let Some(date) = &meta.date {
        out.push_str(&format!("creation_date = {}\n", toml_string(&elastic_date(date))));
    }
    out.push_str(&format!("maturity = {}\n", toml_string(maturity)));
    if let Some(date) = meta.modified.as_ref().or(meta.date.as_ref()) {
        out.push_str(&format!("updated_date = {}\n", toml_string(&elastic_date(date))));
    }
    out.push_str("\n[rule]\n");
    if let Some(author) = &meta.author {
        let authors: Vec<String> = author.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        out.push_str(&format!("author = {}\n", toml_array(&authors)));
    }
    out.push_str(&format!("description = {}\n", toml_string(meta.description.as_deref().unwrap_or(&meta.title))));
    if !meta.falsepositives.is_empty() {
        out.push_str(&format!("false_positives = {}\n", toml_array(&meta.falsepositives)));
    }
    out.push_str("from = \"now-9m\"\n");
    out.push_str(&format!("index = {}\n", toml_array(std::slice::from_ref(&options.table))));
    out.push_str("language = \"eql\"\n");
    out.push_str(&format!("name = {}\n", toml_string(&meta.title)));
    if !meta.references.is_empty() {
        out.push_str(&format!("references = {}\n", toml_array(&meta.references)));
    }
    out.push_str(&format!("risk_score = {risk}\n"));
    out.push_str(&format!("rule_id = {}\n", toml_string(meta.handle())));
    out.push_str(&format!("severity = {}\n", toml_string(severity)));
    if !meta.tags.is_empty() {
        out.push_str(&format!("tags = {}\n", toml_array(&meta.tags)));
    }
    out.push_str("type = \"eql\"\n");
    out.push_str(&format!("query = {}\n", toml_string(query)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_toml_needs() {
        assert_eq!(toml_string("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
        assert_eq!(elastic_date("2023-01-05"), "2023/01/05");
    }
}
