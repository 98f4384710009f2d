//! The Sigma front end: Sigma YAML (rules, correlation rules, filters) to vigil's IR.
//!
//! Stages: strict YAML with positions (`vigil-yaml`) → per-document kind and metadata
//! (`document`) → detection items with modifiers (`item`, `modifier`, `transform`, `value`)
//! and the condition (`condition`, `detection`) → IR. Correlations and filters refer to other
//! rules by id or name, so they are resolved over the whole rule set by [`link`].
//!
//! Each document of a file is loaded or refused on its own, and [`duplicate_ids`] warns
//! when two documents of a rule set share an `id` or a `name`.
//!
//! Every refusal is a [`Diagnostic`] with file, line and column; nothing here panics on input.

pub mod condition;
pub mod context;
pub mod correlation;
pub mod detection;
pub mod document;
pub mod duplicate;
pub mod filter;
pub mod item;
pub mod link;
pub mod modifier;
pub mod string_value;
pub mod transform;
pub mod typed;
pub mod value;
pub mod written;

use vigil_ir::{Diagnostic, Rule, RuleBody, SourceId};
use vigil_yaml::parse_each_document;

pub use context::LoadOptions;
pub use duplicate::{duplicate_ids, RuleId};
pub use filter::Filter;
pub use link::link;

use context::Context;
use document::{kind_of, Kind};

/// What one file yielded.
#[derive(Debug, Default)]
pub struct LoadedFile {
    pub rules: Vec<Rule>,
    pub filters: Vec<Filter>,
    /// Errors: each refused document has at least one.
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// How many documents were refused (a file with no document at all counts as one).
    pub refused: usize,
    /// The `id` and `name` of every document that has them, for [`duplicate_ids`] over a
    /// rule set.
    pub ids: Vec<RuleId>,
}

impl LoadedFile {
    /// How many documents loaded: rules, correlations and filters, one each.
    pub fn loaded(&self) -> usize {
        self.rules.len() + self.filters.len()
    }
}

/// Loads every document of a Sigma file held in `text`. Each document is loaded or refused
/// on its own; a file with no document (empty, comments only, only empty documents) is
/// refused as a whole.
pub fn load_str(source: SourceId, text: &str, options: &LoadOptions) -> LoadedFile {
    let mut out = LoadedFile::default();
    let mut documents = 0;
    let mut empty: Option<vigil_ir::Span> = None;
    for parsed in parse_each_document(&source, text) {
        let doc = match parsed {
            Ok(doc) => doc,
            Err(mut errors) => {
                documents += 1;
                out.refused += 1;
                out.errors.append(&mut errors);
                continue;
            }
        };
        if is_empty_document(&doc.root) {
            empty.get_or_insert(doc.root.span); // e.g. a trailing `---`
            continue;
        }
        documents += 1;
        for key in ["id", "name"] {
            if let Some(handle) = doc.root.get(key).and_then(|n| Some((n.as_str()?, n.span))) {
                out.ids.push(RuleId { key, id: handle.0.to_string(), source: source.clone(), span: handle.1 });
            }
        }
        let mut cx = Context::new(source.clone(), text, options);
        load_document(&mut cx, &doc.root, &mut out);
        if !cx.errors.is_empty() {
            out.refused += 1;
        }
        out.errors.append(&mut cx.errors);
        out.warnings.append(&mut cx.warnings);
    }
    if documents == 0 {
        out.refused += 1;
        out.errors.push(no_rule(&source, text, empty));
    }
    out
}

/// A document with nothing in it: what an empty stream or a lone `---` parses to. An
/// explicit `null` or `~` is not empty: it is a document of the wrong kind.
fn is_empty_document(root: &vigil_yaml::Node) -> bool {
    matches!(&root.kind, vigil_yaml::NodeKind::Scalar { text, plain: true } if text.is_empty())
}

/// The error for a file that holds no rule, placed where a rule would start.
fn no_rule(source: &SourceId, text: &str, empty: Option<vigil_ir::Span>) -> Diagnostic {
    let what = if text.trim().is_empty() {
        "the file is empty"
    } else if empty.is_some() {
        "the file holds only empty documents"
    } else {
        "the file holds only comments"
    };
    // Point at the first line that is not a comment (a `---` marker), else at the start.
    let mut offset = 0;
    let mut span = vigil_ir::Span::new(0, 0, 1, 1);
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim();
        if !bare.is_empty() && !bare.starts_with('#') {
            let line_number = u32::try_from(number + 1).unwrap_or(u32::MAX);
            span = vigil_ir::Span::new(offset, offset + line.trim_end().len(), line_number, 1);
            break;
        }
        offset += line.len();
    }
    Diagnostic::error("sigma::no-rule", source.clone(), span, format!("{what}: no rule, correlation or filter"))
        .with_hint("a Sigma file holds one or more documents separated by `---`, each a mapping that starts with `title:`; add a rule or delete the file")
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
            if let (Some(mut meta), Some(logsource), Some(body), true) = (meta, logsource, body, cx.errors.is_empty()) {
                if kind == Kind::Rule {
                    meta.written = root.get("detection").and_then(|d| written::detection(d, &logsource)).map(std::sync::Arc::new);
                }
                let warnings = cx.warnings.clone();
                out.rules.push(Rule { meta, logsource, body, source: cx.source.clone(), span: document::doc_start(root), warnings });
            }
        }
        Kind::Filter => {
            let logsource = document::logsource(cx, root, true);
            let lowered = root.get("filter").and_then(|f| filter::lower_filter(cx, f));
            if let (Some(meta), Some(logsource), Some((rules, expr))) = (meta, logsource, lowered) {
                if cx.errors.is_empty() {
                    let written = root.get("filter").and_then(|f| written::filter(f, &meta.title, meta.id.as_deref(), &logsource));
                    out.filters.push(Filter {
                        written,
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
