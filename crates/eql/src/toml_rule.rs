//! Elastic detection-rules TOML files (`elastic/detection-rules`): read into the IR's rule
//! metadata and written back with only what vigil changed.
//!
//! Read: `[rule]` `query` (lowered like an `.eql` file), `language` (must be `eql`),
//! `rule_id` → id, `name` → title, `description`, `author` (joined), `severity` → level,
//! `risk_score`, `false_positives`, `references`, `tags`, `[[rule.threat]]` technique,
//! sub-technique and tactic → ATT&CK tags; `[metadata]` `creation_date` → date,
//! `updated_date` → modified, `maturity` → status (`production` stable, `development`
//! experimental, `deprecated`). Everything else (`index`, `from`, `type`, `license`,
//! `integration`, `[rule.meta]` …) is not modelled and is kept as written.
//!
//! Written: the document is held format-preserving (`toml_edit`), so writing it back gives
//! the same bytes, and a changed value (the query, the severity) changes only that value.

use toml_edit::{Document, DocumentMut, Item, Value};
use vigil_ir::{AttackTag, Diagnostic, Level, Rule, SourceId, Span, Status};

use crate::diagnostics::code;
use crate::lower::{lower_rule, LowerOptions};

/// An Elastic rule file, as written.
#[derive(Clone, Debug)]
pub struct TomlRule {
    doc: DocumentMut,
    /// The document as read, with the spans of its values (the editable one has none).
    read: Document<String>,
}

/// The line and column (1-based) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
}

fn str_list(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
}

impl TomlRule {
    /// Parses a rule file; a TOML error is a diagnostic at its position.
    pub fn parse(source: &SourceId, text: &str) -> Result<TomlRule, Diagnostic> {
        let read = Document::parse(text.to_string()).map_err(|e: toml_edit::TomlError| {
            let span = e.span().unwrap_or(0..0);
            let (line, col) = position(text, span.start);
            Diagnostic::error(code::TOML, source.clone(), Span::new(span.start, span.end.max(span.start), line, col), e.message().to_string())
                .with_hint("an Elastic rule file is TOML with `[metadata]` and `[rule]` tables")
        })?;
        let doc = read.clone().into_mut();
        Ok(TomlRule { doc, read })
    }

    fn text(&self) -> &str {
        self.read.raw()
    }

    /// The span of `[rule] key`'s value in the text read.
    fn read_span(&self, key: &str) -> Option<std::ops::Range<usize>> {
        self.read.as_table().get("rule").and_then(Item::as_table).and_then(|t| t.get(key)).and_then(Item::span)
    }

    fn rule_table(&self) -> Option<&toml_edit::Table> {
        self.doc.get("rule").and_then(Item::as_table)
    }

    fn rule_str(&self, key: &str) -> Option<&str> {
        self.rule_table().and_then(|t| t.get(key)).and_then(Item::as_str)
    }

    fn metadata_str(&self, key: &str) -> Option<&str> {
        self.doc.get("metadata").and_then(Item::as_table).and_then(|t| t.get(key)).and_then(Item::as_str)
    }

    /// `[rule] query`.
    pub fn query(&self) -> Option<&str> {
        self.rule_str("query")
    }

    /// The span of `[rule] query`'s value in the text read (the whole text when unknown).
    fn query_span(&self) -> Span {
        match self.read_span("query") {
            Some(r) => {
                let (line, col) = position(self.text(), r.start);
                Span::new(r.start, r.end, line, col)
            }
            None => Span::new(0, self.text().len(), 1, 1),
        }
    }

    /// The rule as the IR holds it: the query lowered, the metadata read.
    pub fn to_rule(&self, source: &SourceId, options: &LowerOptions) -> Result<Rule, Diagnostic> {
        let whole = Span::new(0, self.text().len(), 1, 1);
        let language = self.rule_str("language");
        if language != Some("eql") {
            let what = language.map_or("no `language`".to_string(), |l| format!("language `{l}`"));
            return Err(Diagnostic::error(code::TOML, source.clone(), whole, format!("the rule has {what}; vigil runs `eql` rules"))
                .with_hint("only `language = \"eql\"` rules are read from TOML"));
        }
        let Some(query) = self.query() else {
            return Err(
                Diagnostic::error(code::TOML, source.clone(), whole, "the rule has no `query`").with_hint("write the EQL query as `[rule] query = '''…'''`")
            );
        };
        let title = self.rule_str("name").unwrap_or("untitled").to_string();
        // The query is checked on its own text; its diagnostics are moved to where it is.
        let at = self.query_span();
        let mut rule = lower_rule(source, &title, query, options).map_err(|mut d| {
            d.span = Span::new(at.start, at.end, at.line, at.col);
            d.message = format!("in `query` (line {} of the query): {}", d.span.line.max(1), d.message);
            d
        })?;
        rule.span = at;
        let table = self.rule_table();
        let meta = &mut rule.meta;
        meta.id = self.rule_str("rule_id").map(String::from);
        meta.description = self.rule_str("description").map(String::from);
        let authors = str_list(table.and_then(|t| t.get("author")));
        meta.author = (!authors.is_empty()).then(|| authors.join(", "));
        meta.level = self.rule_str("severity").and_then(Level::parse);
        meta.risk_score = table.and_then(|t| t.get("risk_score")).and_then(Item::as_integer).and_then(|n| u32::try_from(n).ok());
        meta.falsepositives = str_list(table.and_then(|t| t.get("false_positives")));
        meta.references = str_list(table.and_then(|t| t.get("references")));
        meta.tags = str_list(table.and_then(|t| t.get("tags")));
        meta.attack = self.attack();
        meta.date = self.metadata_str("creation_date").map(String::from);
        meta.modified = self.metadata_str("updated_date").map(String::from);
        meta.status = self.metadata_str("maturity").and_then(|m| match m {
            "production" => Some(Status::Stable),
            "development" => Some(Status::Experimental),
            "deprecated" => Some(Status::Deprecated),
            _ => None,
        });
        Ok(rule)
    }

    /// `[[rule.threat]]`: techniques and sub-techniques by id, tactics by short name.
    fn attack(&self) -> Vec<AttackTag> {
        let mut out = Vec::new();
        let Some(threats) = self.rule_table().and_then(|t| t.get("threat")).and_then(Item::as_array_of_tables) else { return out };
        for threat in threats {
            if let Some(tactic) = threat.get("tactic").and_then(|t| t.get("name")).and_then(Item::as_str) {
                out.push(AttackTag::Tactic(tactic.to_ascii_lowercase().replace(' ', "-")));
            }
            let techniques = threat.get("technique").and_then(Item::as_array_of_tables).into_iter().flatten();
            for technique in techniques {
                if let Some(id) = technique.get("id").and_then(Item::as_str) {
                    out.push(AttackTag::Technique(id.to_ascii_uppercase()));
                }
                for sub in technique.get("subtechnique").and_then(Item::as_array_of_tables).into_iter().flatten() {
                    if let Some(id) = sub.get("id").and_then(Item::as_str) {
                        out.push(AttackTag::Technique(id.to_ascii_uppercase()));
                    }
                }
            }
        }
        out
    }

    /// Replaces `[rule] query`, keeping the string's style (a multi-line literal stays one).
    pub fn set_query(&mut self, query: &str) {
        self.set_rule_str("query", query);
    }

    /// Replaces `[rule] severity`.
    pub fn set_severity(&mut self, level: Level) {
        self.set_rule_str("severity", level.as_str());
    }

    fn set_rule_str(&mut self, key: &str, new: &str) {
        let literal = self.read_span(key).and_then(|r| self.read.raw().get(r)).is_some_and(|raw| raw.starts_with("'''"));
        let Some(item) = self.doc.get_mut("rule").and_then(Item::as_table_mut).and_then(|t| t.get_mut(key)) else { return };
        let decor = item.as_value().map(|v| v.decor().clone());
        let mut value = Value::from(new);
        // A value first written as a `'''` literal is written the same way when it can be.
        if literal && !new.contains("'''") {
            if let Ok(v) = format!("'''{new}'''").parse::<Value>() {
                value = v;
            }
        }
        if let Some(decor) = decor {
            *value.decor_mut() = decor;
        }
        *item = Item::Value(value);
    }

    /// The file as it is now: the bytes read, except the values changed.
    pub fn to_text(&self) -> String {
        self.doc.to_string()
    }
}
