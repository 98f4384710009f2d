//! The Sigma front end: Sigma YAML (rules, correlation rules, filters) to vigil's IR.
//!
//! Stages: strict YAML with positions (`vigil-yaml`) → per-document kind and metadata
//! (`document`) → detection items with modifiers (`item`, `modifier`, `transform`, `value`)
//! and the condition (`condition`, `detection`) → IR. Correlations and filters refer to other
//! rules by id or name, so they are resolved over the whole rule set by [`link`].
//!
//! Every refusal is a [`Diagnostic`] with file, line and column; nothing here panics on input.

pub mod condition;
pub mod context;
pub mod correlation;
pub mod detection;
pub mod document;
pub mod filter;
pub mod item;
pub mod link;
pub mod modifier;
pub mod string_value;
pub mod transform;
pub mod typed;
pub mod value;

use vigil_ir::{Diagnostic, Rule, RuleBody, SourceId};
use vigil_yaml::{parse_documents, ScalarValue};

pub use context::LoadOptions;
pub use filter::Filter;
pub use link::link;

use context::Context;
use document::{kind_of, Kind};

/// What one file yielded.
#[derive(Debug, Default)]
pub struct LoadedFile {
    pub rules: Vec<Rule>,
    pub filters: Vec<Filter>,
    /// Errors: each one means a document of the file was refused.
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Loads every document of a Sigma file held in `text`.
pub fn load_str(source: SourceId, text: &str, options: &LoadOptions) -> LoadedFile {
    let mut out = LoadedFile::default();
    let docs = match parse_documents(&source, text) {
        Ok(docs) => docs,
        Err(errors) => {
            out.errors = errors;
            return out;
        }
    };
    for doc in docs {
        if doc.root.scalar() == Some(ScalarValue::Null) {
            continue; // an empty document, e.g. a trailing `---`
        }
        let mut cx = Context::new(source.clone(), text, options);
        load_document(&mut cx, &doc.root, &mut out);
        out.errors.append(&mut cx.errors);
        out.warnings.append(&mut cx.warnings);
    }
    out
}

fn load_document(cx: &mut Context, root: &vigil_yaml::Node, out: &mut LoadedFile) {
    let Some(kind) = kind_of(cx, root) else { return };
    let meta = document::metadata(cx, root);
    match kind {
        Kind::Rule | Kind::Correlation => {
            // Rules need a log source; correlations may name one.
            let logsource = document::logsource(cx, root, kind == Kind::Rule);
            let body = if kind == Kind::Rule {
                root.get("detection").and_then(|d| detection::lower_detection(cx, d)).map(RuleBody::Detection)
            } else {
                root.get("correlation").and_then(|c| correlation::lower_correlation(cx, root, c)).map(RuleBody::Correlation)
            };
            if let (Some(meta), Some(logsource), Some(body), true) = (meta, logsource, body, cx.errors.is_empty()) {
                let warnings = cx.warnings.clone();
                out.rules.push(Rule { meta, logsource, body, source: cx.source.clone(), span: document::doc_start(root), warnings });
            }
        }
        Kind::Filter => {
            let logsource = document::logsource(cx, root, true);
            let lowered = root.get("filter").and_then(|f| filter::lower_filter(cx, f));
            if let (Some(meta), Some(logsource), Some((rules, expr))) = (meta, logsource, lowered) {
                if cx.errors.is_empty() {
                    out.filters.push(Filter {
                        title: meta.title,
                        id: meta.id,
                        logsource,
                        rules,
                        expr,
                        source: cx.source.clone(),
                        span: document::doc_start(root),
                    });
                }
            }
        }
    }
}
