//! String patterns: literal text with `*` and `?` wildcards, and how they are compared.

use std::fmt;

/// Whether a string comparison folds case. Every string predicate states it explicitly,
/// because Sigma (insensitive by default), EQL (`:` vs `==`) and the targets all differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    Insensitive,
    Sensitive,
}

/// How a pattern is placed against the field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrOp {
    /// The whole value matches the pattern.
    Equals,
    /// The pattern occurs somewhere in the value.
    Contains,
    /// The value begins with the pattern.
    StartsWith,
    /// The value ends with the pattern.
    EndsWith,
}

impl StrOp {
    /// The Sigma modifier name of this operator (`equals` has none).
    pub fn name(self) -> &'static str {
        match self {
            StrOp::Equals => "equals",
            StrOp::Contains => "contains",
            StrOp::StartsWith => "startswith",
            StrOp::EndsWith => "endswith",
        }
    }
}

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Literal text (wildcard characters in here were escaped in the source and are literal).
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
    /// `%name%` of Sigma `|expand`: a value list a pipeline must supply before evaluation.
    Placeholder(String),
}

/// A string pattern: a sequence of literal pieces and wildcards, adjacent literals merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StrPattern {
    pieces: Vec<Piece>,
}

impl StrPattern {
    /// A pattern that is exactly `text`, with no wildcards.
    pub fn literal(text: impl Into<String>) -> StrPattern {
        let text = text.into();
        let pieces = if text.is_empty() { Vec::new() } else { vec![Piece::Lit(text)] };
        StrPattern { pieces }
    }

    /// Parses wildcard syntax: `*` and `?` are wildcards; `\*`, `\?` and `\\` escape; a
    /// backslash before any other character (or at the end) is a literal backslash, so
    /// Windows paths such as `C:\Windows\x.exe` need no escaping. This is the Sigma string
    /// syntax (as pySigma reads it), shared by rules and pipelines.
    pub fn parse_wildcards(text: &str) -> StrPattern {
        let mut pattern = StrPattern::default();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        literal.push(next);
                        chars.next();
                    }
                    _ => literal.push('\\'),
                },
                '*' | '?' => {
                    pattern.push(Piece::Lit(std::mem::take(&mut literal)));
                    pattern.push(if c == '*' { Piece::AnyRun } else { Piece::AnyChar });
                }
                _ => literal.push(c),
            }
        }
        pattern.push(Piece::Lit(literal));
        pattern
    }

    /// Builds a pattern from pieces, merging adjacent literals and dropping empty ones.
    pub fn from_pieces(pieces: impl IntoIterator<Item = Piece>) -> StrPattern {
        let mut out = StrPattern::default();
        for piece in pieces {
            out.push(piece);
        }
        out
    }

    /// Appends a piece, keeping the invariant that no two literals are adjacent.
    pub fn push(&mut self, piece: Piece) {
        match (self.pieces.last_mut(), piece) {
            (_, Piece::Lit(text)) if text.is_empty() => {}
            (Some(Piece::Lit(prev)), Piece::Lit(text)) => prev.push_str(&text),
            (_, piece) => self.pieces.push(piece),
        }
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The names of unresolved placeholders in the pattern.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Placeholder(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// True when the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
    }

    /// The text of a wildcard-free pattern.
    pub fn as_literal(&self) -> Option<String> {
        if !self.is_literal() {
            return None;
        }
        Some(self.literal_text())
    }

    /// All literal text concatenated (wildcards dropped).
    pub fn literal_text(&self) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            if let Piece::Lit(t) = piece {
                out.push_str(t);
            }
        }
        out
    }

    /// The longest literal piece: a substring every matching value must contain.
    pub fn longest_literal(&self) -> Option<&str> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Lit(t) => Some(t.as_str()),
                _ => None,
            })
            .max_by_key(|t| t.len())
    }
}

impl fmt::Display for StrPattern {
    /// Prints the pattern in Sigma syntax: wildcards bare, literal `*`, `?` and `\` escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                Piece::AnyRun => f.write_str("*")?,
                Piece::AnyChar => f.write_str("?")?,
                Piece::Placeholder(name) => write!(f, "%{name}%")?,
                Piece::Lit(text) => {
                    for c in text.chars() {
                        if matches!(c, '*' | '?') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                }
            }
        }
        Ok(())
    }
}
