//! EQL rule files beside Sigma YAML: `.eql` (one query per file) and Elastic
//! detection-rules `.toml` (`[metadata]`, `[rule]` with an EQL query).
//!
//! An `.eql` file's metadata comes from its leading `//` comment lines of the form
//! `// key: value` (`title`, `id`, `level`, `author`, `description`, `tags` comma-separated,
//! `category-field`); without a title the file's name is the title. Queries are lowered with
//! Elasticsearch's defaults (`event.category` as the category field). A `.toml` rule whose
//! language is not EQL is refused by name, never run as something else.

use std::sync::Arc;

use vigil_eql::lower::{lower_rule, LowerOptions};
use vigil_eql::toml_rule::TomlRule;
use vigil_ir::{Diagnostic, Level, SourceId, Span};

use crate::rules::{FileReport, LoadedRules};

/// The metadata comment lines of an `.eql` file: `// key: value` before the query.
fn comment_meta(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("//"))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

/// Loads an `.eql` file's text under a display name.
pub fn load_eql_text(loaded: &mut LoadedRules, name: String, text: String) {
    let source: SourceId = Arc::from(name.as_str());
    let meta = comment_meta(&text);
    let get = |key: &str| meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let stem = std::path::Path::new(&name).file_stem().and_then(|s| s.to_str()).unwrap_or(&name).to_string();
    let title = get("title").unwrap_or(stem);
    let mut options = LowerOptions::default();
    if let Some(field) = get("category-field") {
        options.category_field = field;
    }
    let mut errors = Vec::new();
    match lower_rule(&source, &title, &text, &options) {
        Ok(mut rule) => {
            rule.meta.id = get("id");
            rule.meta.author = get("author");
            rule.meta.description = get("description");
            rule.meta.tags = get("tags").map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
            if let Some(l) = get("level") {
                match Level::parse(&l) {
                    Some(level) => rule.meta.level = Some(level),
                    None => errors.push(
                        Diagnostic::error("eql::metadata", source.clone(), Span::new(0, 0, 1, 1), format!("`{l}` is not a level"))
                            .with_hint("use informational, low, medium, high or critical"),
                    ),
                }
            }
            if errors.is_empty() {
                push_rule(loaded, rule);
            }
        }
        Err(d) => errors.push(d),
    }
    loaded.rejected += usize::from(!errors.is_empty());
    loaded.files.push(FileReport { path: name, text: Arc::from(text), errors, warnings: Vec::new() });
}

/// Loads an Elastic detection-rules `.toml` file's text under a display name.
pub fn load_toml_text(loaded: &mut LoadedRules, name: String, text: String) {
    let source: SourceId = Arc::from(name.as_str());
    let result = TomlRule::parse(&source, &text).and_then(|rule| rule.to_rule(&source, &LowerOptions::default()));
    let errors = match result {
        Ok(rule) => {
            push_rule(loaded, rule);
            Vec::new()
        }
        Err(d) => {
            loaded.rejected += 1;
            vec![d]
        }
    };
    loaded.files.push(FileReport { path: name, text: Arc::from(text), errors, warnings: Vec::new() });
}

/// Adds a loaded rule, with its id for the duplicate-id warnings.
fn push_rule(loaded: &mut LoadedRules, rule: vigil_ir::Rule) {
    if let Some(id) = &rule.meta.id {
        loaded.ids.push(vigil_sigma::RuleId { key: "id", id: id.clone(), source: rule.source.clone(), span: rule.span });
    }
    loaded.rules.push(rule);
}
