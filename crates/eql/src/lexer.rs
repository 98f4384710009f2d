//! The EQL lexer: text → tokens with spans, as Elasticsearch's `EqlBase` lexer cuts it.
//!
//! Keywords are lower case and case-sensitive (`AND` is an identifier); `in~`, `like~` and
//! `regex~` are keywords, `name~` before a call is one token. Strings are `"…"` with the
//! escapes `\t \b \f \n \r \" \' \\ \u{XXXX}` or raw `"""…"""` on one line; single-quoted
//! and `?"…"` strings are refused with the form to write instead. Comments (`//`, nested
//! `/* */`) and whitespace are skipped.

use vigil_ir::{Diagnostic, SourceId, Span};

use crate::diagnostics::{self, code};

/// What a token is. Identifiers and strings carry their decoded text.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    /// A back-quoted identifier, with ` `` ` decoded to one back-quote.
    QuotedIdent(String),
    /// `name~`, the case-insensitive form of a function (the `~` is not included).
    TildeIdent(String),
    Str(String),
    /// The digits of an integer literal.
    Integer(String),
    /// The text of a decimal literal (`1.5`, `.5`, `1.`, `1e5`).
    Decimal(String),
    Keyword(Keyword),
    Punct(Punct),
    Eof,
}

/// The reserved words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    And,
    Any,
    By,
    False,
    In,
    InInsensitive,
    Join,
    Like,
    LikeInsensitive,
    Maxspan,
    Not,
    Null,
    Of,
    Or,
    Regex,
    RegexInsensitive,
    Sample,
    Sequence,
    True,
    Until,
    Where,
    With,
}

/// Every keyword with its text; identifiers equal to one of these must be back-quoted.
pub const KEYWORDS: [(&str, Keyword); 22] = [
    ("and", Keyword::And),
    ("any", Keyword::Any),
    ("by", Keyword::By),
    ("false", Keyword::False),
    ("in", Keyword::In),
    ("in~", Keyword::InInsensitive),
    ("join", Keyword::Join),
    ("like", Keyword::Like),
    ("like~", Keyword::LikeInsensitive),
    ("maxspan", Keyword::Maxspan),
    ("not", Keyword::Not),
    ("null", Keyword::Null),
    ("of", Keyword::Of),
    ("or", Keyword::Or),
    ("regex", Keyword::Regex),
    ("regex~", Keyword::RegexInsensitive),
    ("sample", Keyword::Sample),
    ("sequence", Keyword::Sequence),
    ("true", Keyword::True),
    ("until", Keyword::Until),
    ("where", Keyword::Where),
    ("with", Keyword::With),
];

/// Operators and punctuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punct {
    Colon,
    Assign,
    EqEq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    Comma,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Pipe,
    /// `?` before a field: optional field.
    Question,
    /// `![`: opens a missing event.
    MissingOpen,
}

/// A token and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Cuts `text` into tokens, ending with [`Tok::Eof`]; the first lexical error stops it.
pub fn tokenize(source: &SourceId, text: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut lexer = Lexer { source, text, pos: 0, line: 1, col: 1, tokens: Vec::new() };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    source: &'a SourceId,
    text: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().nth(n))
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    /// A span from `start` (offset, line, column) to the current position.
    fn span_from(&self, start: (usize, u32, u32)) -> Span {
        Span::new(start.0, self.pos, start.1, start.2)
    }

    fn here(&self) -> (usize, u32, u32) {
        (self.pos, self.line, self.col)
    }

    fn error(&self, code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, self.source.clone(), span, message)
    }

    fn push(&mut self, tok: Tok, start: (usize, u32, u32)) {
        let span = self.span_from(start);
        self.tokens.push(Token { tok, span });
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        loop {
            self.skip_trivia()?;
            let start = self.here();
            let Some(c) = self.peek() else {
                self.push(Tok::Eof, start);
                return Ok(());
            };
            match c {
                '"' => self.string(start)?,
                '\'' => return Err(self.single_quoted(start)),
                '`' => self.quoted_ident(start)?,
                '?' if matches!(self.peek_at(1), Some('"' | '\'')) => {
                    self.bump();
                    let _ = self.single_quoted(start);
                    return Err(self
                        .error(code::STRING, self.span_from(start), "`?\"…\"` raw strings are not supported")
                        .with_hint("use triple double quotes for an unescaped string: \"\"\"C:\\path\"\"\""));
                }
                c if c.is_ascii_digit() || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) => self.number(start)?,
                c if is_letter(c) || c == '_' || c == '@' => self.word(start),
                _ => self.punct(start, c)?,
            }
        }
    }

    fn skip_trivia(&mut self) -> Result<(), Diagnostic> {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r' | '\n') => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => self.block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    /// `/* … */`, nesting allowed as in the Elasticsearch lexer.
    fn block_comment(&mut self) -> Result<(), Diagnostic> {
        let start = self.here();
        let mut depth = 0usize;
        loop {
            if self.rest().starts_with("/*") {
                self.bump();
                self.bump();
                depth += 1;
            } else if self.rest().starts_with("*/") {
                self.bump();
                self.bump();
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            } else if self.bump().is_none() {
                let span = Span::new(start.0, start.0 + 2, start.1, start.2);
                return Err(self.error(code::SYNTAX, span, "unterminated `/*` comment").with_hint("close the comment with `*/`"));
            }
        }
    }

    fn word(&mut self, start: (usize, u32, u32)) {
        let first = self.bump();
        while self.peek().is_some_and(is_ident_char) {
            self.bump();
        }
        let word = self.text.get(start.0..self.pos).unwrap_or("").to_string();
        // `name~` is one token when the name starts with a letter; `in~`, `like~` and
        // `regex~` are keywords.
        if self.peek() == Some('~') && first.is_some_and(is_letter) {
            self.bump();
            let with_tilde = format!("{word}~");
            match KEYWORDS.iter().find(|(k, _)| *k == with_tilde) {
                Some((_, kw)) => self.push(Tok::Keyword(*kw), start),
                None => self.push(Tok::TildeIdent(word), start),
            }
            return;
        }
        match KEYWORDS.iter().find(|(k, _)| *k == word) {
            Some((_, kw)) => self.push(Tok::Keyword(*kw), start),
            None => self.push(Tok::Ident(word), start),
        }
    }

    fn quoted_ident(&mut self, start: (usize, u32, u32)) -> Result<(), Diagnostic> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                Some('`') if self.peek() == Some('`') => {
                    self.bump();
                    out.push('`');
                }
                Some('`') => break,
                Some(c) => out.push(c),
                None => {
                    let span = Span::new(start.0, start.0 + 1, start.1, start.2);
                    return Err(self
                        .error(code::SYNTAX, span, "unterminated back-quoted name")
                        .with_hint("close the name with a back-quote; write `` for a back-quote inside it"));
                }
            }
        }
        self.push(Tok::QuotedIdent(out), start);
        Ok(())
    }

    fn number(&mut self, start: (usize, u32, u32)) -> Result<(), Diagnostic> {
        let mut decimal = false;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.peek() == Some('.') {
            decimal = true;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek_at(1), Some('+' | '-')));
            if self.peek_at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                decimal = true;
                for _ in 0..=sign {
                    self.bump();
                }
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
            }
        }
        let text = self.text.get(start.0..self.pos).unwrap_or("").to_string();
        self.push(if decimal { Tok::Decimal(text) } else { Tok::Integer(text) }, start);
        Ok(())
    }

    fn string(&mut self, start: (usize, u32, u32)) -> Result<(), Diagnostic> {
        if self.rest().starts_with("\"\"\"") {
            return self.raw_string(start);
        }
        self.bump();
        let mut out = String::new();
        loop {
            let at = self.here();
            match self.bump() {
                Some('"') => break,
                Some('\\') => out.push(self.escape(at)?),
                Some('\n' | '\r') | None => {
                    let span = Span::new(start.0, start.0 + 1, start.1, start.2);
                    return Err(self
                        .error(code::STRING, span, "unterminated string")
                        .with_hint("close the string with `\"` on the same line; write `\\n` for a line break"));
                }
                Some(c) => out.push(c),
            }
        }
        self.push(Tok::Str(out), start);
        Ok(())
    }

    /// One escape after a backslash at `at`.
    fn escape(&mut self, at: (usize, u32, u32)) -> Result<char, Diagnostic> {
        let c = self.bump();
        let decoded = match c {
            Some('t') => '\t',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('"') => '"',
            Some('\'') => '\'',
            Some('\\') => '\\',
            Some('u') if self.peek() == Some('{') => {
                self.bump();
                let digits_at = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    self.bump();
                }
                let digits = self.text.get(digits_at..self.pos).unwrap_or("");
                let closed = self.peek() == Some('}');
                if closed {
                    self.bump();
                }
                let span = self.span_from(at);
                if !closed || !(2..=8).contains(&digits.len()) {
                    return Err(self.error(code::STRING, span, "invalid unicode escape").with_hint("write 2 to 8 hex digits in braces, as in `\\u{20AC}`"));
                }
                return u32::from_str_radix(digits, 16).ok().and_then(char::from_u32).ok_or_else(|| {
                    self.error(code::STRING, span, format!("`\\u{{{digits}}}` is not a unicode character"))
                        .with_hint("surrogates (D800–DFFF) and values above 10FFFF have no character")
                });
            }
            _ => {
                let span = self.span_from(at);
                let shown = c.map(String::from).unwrap_or_default();
                return Err(self
                    .error(code::STRING, span, format!("unknown escape sequence `\\{shown}`"))
                    .with_hint("write `\\\\` for a backslash, or use a raw string \"\"\"…\"\"\" where backslashes are literal"));
            }
        };
        Ok(decoded)
    }

    /// `"""…"""` on one line, no escapes; up to two more quotes after the closing triple
    /// belong to the content, as in the Elasticsearch lexer.
    fn raw_string(&mut self, start: (usize, u32, u32)) -> Result<(), Diagnostic> {
        for _ in 0..3 {
            self.bump();
        }
        let content_start = self.pos;
        loop {
            if self.rest().starts_with("\"\"\"") {
                break;
            }
            match self.bump() {
                Some('\n' | '\r') | None => {
                    let span = Span::new(start.0, start.0 + 3, start.1, start.2);
                    return Err(self.error(code::STRING, span, "unterminated raw string").with_hint("close the raw string with `\"\"\"` on the same line"));
                }
                Some(_) => {}
            }
        }
        let mut content_end = self.pos;
        for _ in 0..3 {
            self.bump();
        }
        for _ in 0..2 {
            if self.peek() == Some('"') {
                self.bump();
                content_end += 1;
            }
        }
        let content = self.text.get(content_start..content_end).unwrap_or("").to_string();
        self.push(Tok::Str(content), start);
        Ok(())
    }

    /// A single-quoted string is refused; the diagnostic covers it when it is closed.
    fn single_quoted(&mut self, start: (usize, u32, u32)) -> Diagnostic {
        let quote = self.bump();
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
            if Some(c) == quote {
                break;
            }
            if c == '\\' {
                self.bump();
            }
        }
        self.error(code::STRING, self.span_from(start), "single-quoted strings are not supported")
            .with_hint("use double quotes [\"] for string literals, not single quotes [']")
    }

    fn punct(&mut self, start: (usize, u32, u32), c: char) -> Result<(), Diagnostic> {
        let two = |s: &Self, second: char| s.peek_at(1) == Some(second);
        let (p, len) = match c {
            ':' => (Punct::Colon, 1),
            '=' if two(self, '=') => (Punct::EqEq, 2),
            '=' => (Punct::Assign, 1),
            '!' if two(self, '=') => (Punct::NotEq, 2),
            '!' if two(self, '[') => (Punct::MissingOpen, 2),
            '<' if two(self, '=') => (Punct::LtEq, 2),
            '<' => (Punct::Lt, 1),
            '>' if two(self, '=') => (Punct::GtEq, 2),
            '>' => (Punct::Gt, 1),
            '+' => (Punct::Plus, 1),
            '-' => (Punct::Minus, 1),
            '*' => (Punct::Star, 1),
            '/' => (Punct::Slash, 1),
            '%' => (Punct::Percent, 1),
            '.' => (Punct::Dot, 1),
            ',' => (Punct::Comma, 1),
            '[' => (Punct::LBracket, 1),
            ']' => (Punct::RBracket, 1),
            '(' => (Punct::LParen, 1),
            ')' => (Punct::RParen, 1),
            '|' => (Punct::Pipe, 1),
            '?' => (Punct::Question, 1),
            _ => {
                self.bump();
                let span = self.span_from(start);
                return Err(diagnostics::unexpected_character(self.source, span, c));
            }
        };
        for _ in 0..len {
            self.bump();
        }
        self.push(Tok::Punct(p), start);
        Ok(())
    }
}
