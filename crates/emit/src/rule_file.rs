//! Native rule files (`vigil convert --format rule`): a converted query wrapped in the
//! target's own rule format, with the Sigma rule's metadata.
//!
//! One writer per target that has a rule format, chosen in [`rule_file`]; a target without
//! one returns `None` (the command says so before converting). Built: `eql` → an Elastic
//! detection rule (TOML, the layout of Elastic's detection-rules repository, `type =
//! "eql"`), `spl` → a `savedsearches.conf` stanza ([`crate::savedsearch`]), `kql` → a
//! Microsoft Sentinel scheduled analytic rule, YAML ([`crate::sentinel_rule`]).
//!
//! Elastic rule fields from Sigma, as detection-rules' schema wants them
//! (`testdata/rule-file-schemas.tsv` lists it; a test checks every file against it):
//! `rule_id` a lower-case GUID (the Sigma id, else one made from the title: [`crate::rule_id`]),
//! `name` the title without punctuation around it (Elastic's names start with a letter or
//! digit and end with one or a parenthesis), `description` (the title when absent), `author`
//! (required: an empty list when the rule names none), `references`, `tags` (the Sigma tags),
//! `severity` and `risk_score` from the level (informational and low → low/21, medium/47,
//! high/73, critical/99, as Elastic's own rules pair them), `maturity` production for a
//! stable rule else development, `creation_date`/`updated_date` (required) as `YYYY/MM/DD`
//! from `date` and `modified` (each standing in for the other), `index` the `--table`
//! value, `false_positives`. A rule with no date, or a title with no letters or digits, gets
//! no file: the reason is returned instead.

use vigil_ir::{Level, Rule, Status};

use crate::dialect::Options;
use crate::target::Target;

/// The file `target` keeps `rule` in, holding `query`, and the file's extension; `None` when
/// the target has no rule format, `Some(Err(why))` when this rule cannot be written in it
/// (the format's schema needs what the rule lacks, or limits what it has).
pub fn rule_file(target: Target, rule: &Rule, query: &str, options: &Options) -> Option<Result<(String, &'static str), String>> {
    match target {
        Target::Eql => Some(elastic_toml(rule, query, options).map(|t| (t, "toml"))),
        Target::Spl => Some(Ok((crate::savedsearch::savedsearch(rule, query), "conf"))),
        Target::Kql => Some(crate::sentinel_rule::sentinel_rule(rule, query).map(|t| (t, "yaml"))),
        // A printed Sigma rule is its own rule file.
        Target::Sigma => Some(Ok((query.to_string(), "yml"))),
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

/// Sigma dates (`2023-01-05`, `2023/1/5`) in Elastic's `YYYY/MM/DD`; `None` for text that is
/// not a year, a month and a day.
fn elastic_date(date: &str) -> Option<String> {
    let parts: Vec<u32> = date.trim().split(['-', '/']).map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts.as_slice() {
        &[y, m, d] if (1000..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) => Some(format!("{y}/{m:02}/{d:02}")),
        _ => None,
    }
}

/// Elastic's rule names start with a letter or digit and end with one or `)` (detection-rules'
/// `NAME_PATTERN`): punctuation around the title (a final `.`, quotes) is dropped.
fn elastic_name(title: &str) -> Option<String> {
    let name = title.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let name = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != ')' && c != '(');
    (name.chars().count() >= 3).then(|| name.to_string())
}

fn elastic_toml(rule: &Rule, query: &str, options: &Options) -> Result<String, String> {
    let meta = &rule.meta;
    let date = |d: &Option<String>| d.as_deref().and_then(elastic_date);
    let Some(created) = date(&meta.date).or_else(|| date(&meta.modified)) else {
        return Err("an Elastic rule file needs a creation date (`date` as YYYY-MM-DD); the rule has none".to_string());
    };
    let updated = date(&meta.modified).unwrap_or_else(|| created.clone());
    let Some(name) = elastic_name(&meta.title) else {
        return Err(format!("an Elastic rule name starts with a letter or digit and ends with one or `)`; the title {:?} has too few", meta.title));
    };
    let (severity, risk) = match meta.level {
        Some(Level::Critical) => ("critical", 99),
        Some(Level::High) => ("high", 73),
        Some(Level::Medium) | None => ("medium", 47),
        Some(Level::Low | Level::Informational) => ("low", 21),
    };
    let maturity = if meta.status == Some(Status::Stable) { "production" } else { "development" };
    let mut out = String::from("[metadata]\n");
    out.push_str(&format!("creation_date = {}\n", toml_string(&created)));
    out.push_str(&format!("maturity = {}\n", toml_string(maturity)));
    out.push_str(&format!("updated_date = {}\n", toml_string(&updated)));
    out.push_str("\n[rule]\n");
    // Required by the schema: an empty list when the rule names no author.
    let authors: Vec<String> = meta.author.iter().flat_map(|a| a.split(',')).map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    out.push_str(&format!("author = {}\n", toml_array(&authors)));
    out.push_str(&format!("description = {}\n", toml_string(meta.description.as_deref().unwrap_or(&meta.title))));
    if !meta.falsepositives.is_empty() {
        out.push_str(&format!("false_positives = {}\n", toml_array(&meta.falsepositives)));
    }
    out.push_str("from = \"now-9m\"\n");
    out.push_str(&format!("index = {}\n", toml_array(std::slice::from_ref(&options.table))));
    out.push_str("language = \"eql\"\n");
    out.push_str(&format!("name = {}\n", toml_string(&name)));
    if !meta.references.is_empty() {
        out.push_str(&format!("references = {}\n", toml_array(&meta.references)));
    }
    out.push_str(&format!("risk_score = {risk}\n"));
    out.push_str(&format!("rule_id = {}\n", toml_string(&crate::rule_id::rule_guid(meta.id.as_deref(), &meta.title))));
    out.push_str(&format!("severity = {}\n", toml_string(severity)));
    if !meta.tags.is_empty() {
        out.push_str(&format!("tags = {}\n", toml_array(&meta.tags)));
    }
    out.push_str("type = \"eql\"\n");
    out.push_str(&format!("query = {}\n", toml_string(query)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_toml_needs() {
        assert_eq!(toml_string("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
        assert_eq!(elastic_date("2023-01-05").as_deref(), Some("2023/01/05"));
        assert_eq!(elastic_date("2019/1/5").as_deref(), Some("2019/01/05"));
        assert_eq!(elastic_date("2019-13-05"), None);
        assert_eq!(elastic_date("yesterday"), None);
        assert_eq!(elastic_name("\"Quoted\" title.").as_deref(), Some("Quoted\" title"));
        assert_eq!(elastic_name("Use of X (Y)").as_deref(), Some("Use of X (Y)"));
        assert_eq!(elastic_name("..."), None);
    }
}
