//! A Sigma detection as its author wrote it: search identifiers, detection items (field,
//! modifiers in order, values with their YAML kind, quoting and span) and the condition
//! text, kept beside the lowered expression of the rule.
//!
//! The lowered [`crate::Expr`] is what every stage evaluates; this form exists so that a
//! printer can give the rule back as written (`field|base64offset|contains: …` instead of
//! its expansions). Front ends that keep no written form (EQL) leave it absent. It holds the
//! scalar text once (not the expansions), and modifier names are the registry's static
//! strings, so it costs little beside the lowered tree.

use crate::rule::LogSource;
use crate::span::Span;

/// What a written scalar resolved to under YAML 1.2's core schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    String,
    Int,
    Float,
    Bool,
    Null,
}

/// One value of a detection item, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenValue {
    /// The scalar's text after YAML unquoting (escapes decoded), before any Sigma reading.
    pub text: Box<str>,
    pub kind: ValueKind,
    /// Written in quotes (or as a block scalar): always a string.
    pub quoted: bool,
    pub span: Span,
}

/// `field|modifier|…: value(s)`, or a keyword list (no field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenItem {
    /// The field name as written; `None` for keywords (also `'|all': […]`).
    pub field: Option<Box<str>>,
    /// The modifiers in written order, spelled as written (`i` and `ignorecase` differ).
    pub modifiers: Vec<&'static str>,
    pub values: Vec<WrittenValue>,
    /// The values were written as a YAML list (one-element lists stay lists).
    pub list: bool,
    /// The span of the key (of the value list for keywords), which is also the span of every
    /// predicate lowered from this item.
    pub span: Span,
}

/// The body of one search identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// `name: {item, item, …}`: all items hold.
    Map(Vec<WrittenItem>),
    /// `name: [{…}, {…}]`: any of the maps holds.
    Maps(Vec<Vec<WrittenItem>>),
    /// `name: [keyword, …]` or `name: keyword`: one keyword item.
    Keywords(WrittenItem),
}

/// A search identifier of a detection or filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identifier {
    pub name: Box<str>,
    pub span: Span,
    pub search: Search,
}

/// A Sigma filter document linked into the rule, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFilter {
    pub title: Box<str>,
    pub id: Option<Box<str>>,
    pub logsource: LogSource,
    pub identifiers: Vec<Identifier>,
    pub condition: WrittenCondition,
}

/// A `condition:` as written: one text, or a list of texts (any of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenCondition {
    pub texts: Vec<(Box<str>, Span)>,
    /// Written as a YAML list.
    pub list: bool,
}

/// A rule's detection as written, with the log source it was written for (before any
/// pipeline changed it) and the filters linking added to it, in the order they were added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenDetection {
    pub logsource: LogSource,
    pub identifiers: Vec<Identifier>,
    pub condition: WrittenCondition,
    pub filters: Vec<WrittenFilter>,
}

impl WrittenDetection {
    /// Every item of the detection and its filters, in written order.
    pub fn items(&self) -> impl Iterator<Item = &WrittenItem> {
        self.identifiers.iter().chain(self.filters.iter().flat_map(|f| f.identifiers.iter())).flat_map(Identifier::items)
    }
}

impl Identifier {
    /// The identifier's items, in written order.
    pub fn items(&self) -> Box<dyn Iterator<Item = &WrittenItem> + '_> {
        match &self.search {
            Search::Map(items) => Box::new(items.iter()),
            Search::Maps(maps) => Box::new(maps.iter().flatten()),
            Search::Keywords(item) => Box::new(std::iter::once(item)),
        }
    }
}
