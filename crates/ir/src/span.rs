//! Source positions: which file and which byte range an IR node was written at.

use std::fmt;
use std::sync::Arc;

/// The file (or other named source) a rule came from, shared by all spans of that file.
pub type SourceId = Arc<str>;

/// A byte range in a source file, with the 1-based line and column of its start.
///
/// Lines and columns are kept next to the byte offsets so that a diagnostic can be printed
/// without re-reading the file; the offsets let a renderer underline the exact range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character (equal to `start` for a point).
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters) of `start`.
    pub col: u32,
}

impl Span {
    /// A span covering `start..end` that starts at `line`:`col`.
    pub fn new(start: usize, end: usize, line: u32, col: u32) -> Span {
        Span { start, end: end.max(start), line, col }
    }

    /// A span `len` bytes long starting `offset` bytes after this one's start on the same line.
    /// Used to point inside a scalar, for example at one word of a condition.
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let col = self.col.saturating_add(u32::try_from(offset).unwrap_or(u32::MAX));
        Span::new(self.start + offset, self.start + offset + len, self.line, col)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}
