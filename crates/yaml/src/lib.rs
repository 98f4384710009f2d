//! A YAML node tree with positions, built on `yaml-rust2`'s event parser.
//!
//! Rules are security content: a rule that YAML would read ambiguously must be refused, not
//! guessed at. So, unlike a plain YAML loader, this one:
//! - keeps the line and column of every node, for diagnostics;
//! - rejects duplicate mapping keys (last-key-wins would silently change a detection);
//! - expands aliases within a fixed node budget and refuses "billion laughs" documents;
//! - refuses nesting deeper than [`MAX_DEPTH`];
//! - refuses characters YAML 1.2 forbids (control characters), at their position;
//! - parses each document of a stream on its own, so one bad document costs only itself.
//!
//! Bytes become text through [`decode`], which places invalid UTF-8 at its line and column.

mod decode;
mod printable;
mod split;

use std::collections::HashMap;

use vigil_ir::{Diagnostic, SourceId, Span};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

pub use decode::decode;
use printable::check_printable;
use split::split_documents;

/// The deepest YAML nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// The most nodes one document may hold once aliases are expanded.
pub const MAX_NODES: usize = 100_000;

/// A YAML node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar as written; `plain` is false for quoted and block scalars, which are always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// The type a scalar resolves to under the YAML 1.2 core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Node {
    /// The resolved scalar value, or `None` for collections.
    pub fn scalar(&self) -> Option<ScalarValue<'_>> {
        let NodeKind::Scalar { text, plain } = &self.kind else { return None };
        if !plain {
            return Some(ScalarValue::Str(text));
        }
        Some(match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => ScalarValue::Null,
            "true" | "True" | "TRUE" => ScalarValue::Bool(true),
            "false" | "False" | "FALSE" => ScalarValue::Bool(false),
            t => {
                if let Some(i) = parse_int(t) {
                    ScalarValue::Int(i)
                } else if let Some(f) = parse_float(t) {
                    ScalarValue::Float(f)
                } else {
                    ScalarValue::Str(t)
                }
            }
        })
    }

    /// The text of a scalar that resolves to a string.
    pub fn as_str(&self) -> Option<&str> {
        match self.scalar()? {
            ScalarValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The raw text of any scalar (what was written, before type resolution).
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.scalar_text() == Some(key)).map(|(_, v)| v)
    }

    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar { .. } => match self.scalar() {
                Some(ScalarValue::Null) => "null",
                Some(ScalarValue::Bool(_)) => "a boolean",
                Some(ScalarValue::Int(_)) | Some(ScalarValue::Float(_)) => "a number",
                _ => "a string",
            },
        }
    }
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -value } else { value })
}

fn parse_float(t: &str) -> Option<f64> {
    let body = t.trim_start_matches(['-', '+']);
    let looks_numeric = body.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        return t.parse().ok();
    }
    match body {
        ".inf" | ".Inf" | ".INF" => Some(if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        _ => None,
    }
}

/// One YAML document of a file.
#[derive(Debug)]
pub struct Document {
    pub root: Node,
}

/// Parses every document of `text`, all or nothing: on failure, returns the diagnostics of
/// every refused document. Use [`parse_each_document`] to keep the good documents.
pub fn parse_documents(source: &SourceId, text: &str) -> Result<Vec<Document>, Vec<Diagnostic>> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for outcome in parse_each_document(source, text) {
        match outcome {
            Ok(doc) => docs.push(doc),
            Err(mut refused) => errors.append(&mut refused),
        }
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    }
}

/// Parses every document of `text` on its own: each is a tree, or the diagnostics that
/// refused it (a syntax error ends that document only; structural errors such as duplicate
/// keys are collected). A stream of comments only has no document.
pub fn parse_each_document(source: &SourceId, text: &str) -> Vec<Result<Document, Vec<Diagnostic>>> {
    let mut out = Vec::new();
    for piece in split_documents(text) {
        let Some(mut chunk) = text.get(piece.start..piece.end) else { continue };
        let mut start = piece.start;
        // A byte order mark may open the stream; yaml-rust2 would read it as content.
        if start == 0 {
            if let Some(rest) = chunk.strip_prefix('\u{FEFF}') {
                chunk = rest;
                start = '\u{FEFF}'.len_utf8();
            }
        }
        if let Some(d) = check_printable(source, chunk, start, piece.line) {
            out.push(Err(vec![d]));
            continue;
        }
        match parse_piece(source, chunk, start, piece.line) {
            Ok(docs) => out.extend(docs.into_iter().map(Ok)),
            Err(errors) => out.push(Err(errors)),
        }
    }
    out
}

/// Parses one piece of a stream (at most one document, unless the splitter missed a marker)
/// that starts at byte `start` and line `line` of its file.
fn parse_piece(source: &SourceId, text: &str, start: usize, line: u32) -> Result<Vec<Document>, Vec<Diagnostic>> {
    let offsets = ByteOffsets::new(text, start, line);
    let mut builder = Builder {
        source: source.clone(),
        offsets: &offsets,
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        errors: Vec::new(),
        nodes: 0,
        stop: false,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        let mark = e.marker();
        let span = offsets.span(mark, mark);
        let message = e.info().to_string();
        let hint = if message.contains("escape") {
            "in double quotes a backslash starts an escape: write Windows paths in single quotes ('C:\\Windows\\...')"
        } else if message.contains("tab") {
            "indent with spaces; YAML does not allow tabs for indentation"
        } else {
            "check indentation (spaces only, no tabs), quotes and brackets on this line and the one before it"
        };
        let diagnostic = Diagnostic::error("yaml::syntax", source.clone(), span, format!("YAML syntax error: {message}")).with_hint(hint);
        builder.errors.insert(0, diagnostic);
    }
    if builder.errors.is_empty() {
        Ok(builder.docs)
    } else {
        Err(builder.errors)
    }
}

/// Converts the parser's character offsets into byte offsets.
struct ByteOffsets {
    /// Byte offset of each character, or empty when the text is ASCII (then they are equal).
    table: Vec<usize>,
    len: usize,
    /// Where the parsed text starts in its file: byte offset and 1-based line.
    base: usize,
    base_line: u32,
}

impl ByteOffsets {
    fn new(text: &str, base: usize, base_line: u32) -> ByteOffsets {
        let table = if text.is_ascii() { Vec::new() } else { text.char_indices().map(|(i, _)| i).collect() };
        ByteOffsets { table, len: text.len(), base, base_line }
    }

    /// The byte offset in the file of the parser's character index.
    fn byte(&self, char_index: usize) -> usize {
        let local = if self.table.is_empty() { char_index.min(self.len) } else { self.table.get(char_index).copied().unwrap_or(self.len) };
        self.base + local
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let local_line = u32::try_from(start.line()).unwrap_or(u32::MAX).max(1);
        let line = self.base_line.saturating_add(local_line - 1);
        let col = u32::try_from(start.col() + 1).unwrap_or(u32::MAX);
        Span::new(self.byte(start.index()), self.byte(end.index()), line, col)
    }
}

enum Frame {
    Seq { anchor: usize, items: Vec<Node>, span: Span },
    Map { anchor: usize, entries: Vec<(Node, Node)>, pending_key: Option<Node>, span: Span },
}

struct Builder<'a> {
    source: SourceId,
    offsets: &'a ByteOffsets,
    stack: Vec<Frame>,
    docs: Vec<Document>,
    anchors: HashMap<usize, Node>,
    errors: Vec<Diagnostic>,
    nodes: usize,
    stop: bool,
}

impl Builder<'_> {
    fn fail(&mut self, code: &'static str, span: Span, message: String, hint: &str) {
        self.errors.push(Diagnostic::error(code, self.source.clone(), span, message).with_hint(hint));
        self.stop = true;
    }

    fn count(node: &Node) -> usize {
        match &node.kind {
            NodeKind::Scalar { .. } => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Builder::count).sum::<usize>(),
            NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| Builder::count(k) + Builder::count(v)).sum::<usize>(),
        }
    }

    /// Attaches a finished node to its parent (or ends the document).
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(Document { root: node }),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => {
                    if !matches!(node.kind, NodeKind::Scalar { .. }) {
                        let span = node.span;
                        self.fail("yaml::complex-key", span, "a mapping key must be a plain value".into(), "write the key as a string");
                        return;
                    }
                    let duplicate = entries.iter().find(|(k, _)| k.scalar_text() == node.scalar_text()).map(|(k, _)| k.span);
                    if let Some(first) = duplicate {
                        let key = node.scalar_text().unwrap_or_default().to_string();
                        let span = node.span;
                        self.fail(
                            "yaml::duplicate-key",
                            span,
                            format!("duplicate key `{key}` (first defined at line {})", first.line),
                            "YAML would silently keep only the last value; merge the two entries or rename one",
                        );
                        return;
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.stop {
            return;
        }
        let span = self.offsets.span(&mark, &mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                self.nodes += 1;
                let plain = matches!(style, TScalarStyle::Plain);
                let end = self.offsets.byte(mark.index()) + text.len();
                let span = Span::new(span.start, end, span.line, span.col);
                self.push(Node { kind: NodeKind::Scalar { text, plain }, span }, anchor);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.nodes += 1;
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        "yaml::too-deep",
                        span,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                        "flatten the structure; Sigma detections need only a few levels",
                    );
                    return;
                }
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq { anchor, items: Vec::new(), span }
                } else {
                    Frame::Map { anchor, entries: Vec::new(), pending_key: None, span }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else { return };
                let (node, anchor) = match frame {
                    Frame::Seq { anchor, items, span } => (Node { kind: NodeKind::Seq(items), span }, anchor),
                    Frame::Map { anchor, entries, span, .. } => {
                        // A block mapping's start event is marked where the parser noticed it,
                        // which can be the end of the previous line; its first key is exact.
                        let span = match entries.first() {
                            Some((key, _)) if key.span.line > span.line => key.span,
                            _ => span,
                        };
                        (Node { kind: NodeKind::Map(entries), span }, anchor)
                    }
                };
                self.push(node, anchor);
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    self.fail("yaml::unknown-alias", span, "alias to an unknown anchor".into(), "define the anchor (&name) before using it");
                    return;
                };
                self.nodes += Builder::count(&node);
                if self.nodes > MAX_NODES {
                    self.fail(
                        "yaml::alias-bomb",
                        span,
                        format!("aliases expand this document beyond {MAX_NODES} nodes"),
                        "write the values out instead of nesting aliases",
                    );
                    return;
                }
                self.push(node, 0);
            }
            Event::DocumentStart => {
                self.anchors.clear();
                self.nodes = 0;
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}
