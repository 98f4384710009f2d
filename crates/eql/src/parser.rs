//! The EQL parser, statement level: event queries, `sequence`, `sample`, pipes, and the
//! refusals of constructs Elasticsearch does not run (`join`, Endgame pipes, `fork`,
//! fractional or unit-less `maxspan`, `runs` out of 1..=100, missing events without
//! `maxspan`). Expressions are in `expr.rs`; both share [`Parser`].

use vigil_ir::{Diagnostic, SourceId, Span};

use crate::ast::{Category, EventFilter, Loc, Pipe, PipeKind, Query, Sample, SampleTerm, Sequence, SequenceTerm, Statement, TimeSpan, TimeUnit};
use crate::diagnostics::code;
use crate::lexer::{tokenize, Keyword, Punct, Tok, Token};

/// Parses one EQL statement. The first error stops parsing and is returned.
pub fn parse(source: &SourceId, text: &str) -> Result<Statement, Diagnostic> {
    let tokens = tokenize(source, text)?;
    let mut parser = Parser { source, tokens, pos: 0, depth: 0 };
    parser.statement()
}

/// Token cursor shared by the statement and expression parsers.
pub(crate) struct Parser<'a> {
    pub(crate) source: &'a SourceId,
    pub(crate) tokens: Vec<Token>,
    pub(crate) pos: usize,
    /// Current recursion depth, bounded by `vigil_ir::MAX_NESTING`.
    pub(crate) depth: usize,
}

impl Parser<'_> {
    pub(crate) fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub(crate) fn peek_at(&self, n: usize) -> &Tok {
        self.tokens.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub(crate) fn span(&self) -> Span {
        self.tokens.get(self.pos).or(self.tokens.last()).map_or_else(Span::default, |t| t.span)
    }

    /// The span of the previous token (the last one consumed).
    pub(crate) fn prev_span(&self) -> Span {
        self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)).map_or_else(|| self.span(), |t| t.span)
    }

    pub(crate) fn bump(&mut self) -> Token {
        let token = self.tokens.get(self.pos).cloned().unwrap_or(Token { tok: Tok::Eof, span: self.span() });
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    pub(crate) fn is_punct(&self, p: Punct) -> bool {
        *self.peek() == Tok::Punct(p)
    }

    pub(crate) fn is_keyword(&self, k: Keyword) -> bool {
        *self.peek() == Tok::Keyword(k)
    }

    pub(crate) fn eat_punct(&mut self, p: Punct) -> bool {
        let found = self.is_punct(p);
        if found {
            self.bump();
        }
        found
    }

    pub(crate) fn eat_keyword(&mut self, k: Keyword) -> bool {
        let found = self.is_keyword(k);
        if found {
            self.bump();
        }
        found
    }

    pub(crate) fn error(&self, code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, self.source.clone(), span, message)
    }

    /// "expected X, found Y" at the current token.
    pub(crate) fn expected(&self, what: &str) -> Diagnostic {
        let found = describe(self.peek());
        let mut d = self.error(code::SYNTAX, self.span(), format!("expected {what}, found {found}"));
        d.hint = Some(match self.peek() {
            Tok::Punct(Punct::Assign) => "`=` is not an EQL operator: use `==` (case-sensitive) or `:` (case-insensitive, wildcards)".into(),
            Tok::Keyword(k) => format!("`{}` is a keyword; back-quote it to use it as a name", keyword_text(*k)),
            Tok::Ident(w) if crate::lexer::KEYWORDS.iter().any(|(k, _)| *k == w.to_lowercase()) => {
                format!("keywords are lower case: write `{}`", w.to_lowercase())
            }
            Tok::Eof => "the query ends too early".into(),
            _ => format!("write {what} here"),
        });
        d
    }

    pub(crate) fn expect_punct(&mut self, p: Punct, what: &str) -> Result<Span, Diagnostic> {
        if self.is_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(what))
        }
    }

    /// A span from `start` to the end of the previous token.
    pub(crate) fn since(&self, start: Span) -> Span {
        let end = self.prev_span().end.max(start.start);
        Span::new(start.start, end, start.line, start.col)
    }

    fn statement(&mut self) -> Result<Statement, Diagnostic> {
        let start = self.span();
        let query = self.query()?;
        let mut pipes = Vec::new();
        while self.is_punct(Punct::Pipe) {
            if let Query::Sample(_) = query {
                return Err(self
                    .error(code::UNSUPPORTED, self.span(), "pipes are not supported after `sample`")
                    .with_hint("remove the pipe; `sample` returns every sample"));
            }
            pipes.push(self.pipe()?);
        }
        if !matches!(self.peek(), Tok::Eof) {
            if let Tok::Ident(word) = self.peek() {
                if word == "fork" {
                    return Err(self
                        .error(code::UNSUPPORTED, self.span(), "`fork` is not supported")
                        .with_hint("Elasticsearch sequences do not fork; remove it"));
                }
            }
            return Err(self.expected("the end of the query or `|`"));
        }
        Ok(Statement { query, pipes, span: Loc(self.since(start)) })
    }

    fn query(&mut self) -> Result<Query, Diagnostic> {
        match self.peek() {
            Tok::Keyword(Keyword::Sequence) => self.sequence().map(Query::Sequence),
            Tok::Keyword(Keyword::Sample) => self.sample().map(Query::Sample),
            Tok::Keyword(Keyword::Join) => Err(self
                .error(code::UNSUPPORTED, self.span(), "`join` is not supported")
                .with_hint("Elasticsearch runs `sequence` and `sample`; use `sample by …` for unordered matches")),
            _ => self.event_filter().map(Query::Event),
        }
    }

    /// `(any | category) where expression`.
    pub(crate) fn event_filter(&mut self) -> Result<EventFilter, Diagnostic> {
        let start = self.span();
        let category_span = Loc(self.span());
        let category = match self.peek().clone() {
            Tok::Keyword(Keyword::Any) => Category::Any,
            Tok::Ident(name) | Tok::Str(name) => Category::Named(name),
            _ => return Err(self.expected("an event category or `any`")),
        };
        self.bump();
        if !self.eat_keyword(Keyword::Where) {
            return Err(self.expected("`where`"));
        }
        let condition = self.expression()?;
        Ok(EventFilter { category, category_span, condition, span: Loc(self.since(start)) })
    }

    fn join_keys(&mut self) -> Result<Vec<crate::ast::Expr>, Diagnostic> {
        let mut keys = Vec::new();
        if self.eat_keyword(Keyword::By) {
            keys.push(self.expression()?);
            while self.eat_punct(Punct::Comma) {
                keys.push(self.expression()?);
            }
        }
        Ok(keys)
    }

    fn sequence(&mut self) -> Result<Sequence, Diagnostic> {
        let start = self.bump().span;
        let by = self.join_keys()?;
        let mut maxspan = None;
        if self.is_keyword(Keyword::With) {
            maxspan = Some(self.maxspan()?);
            if by.is_empty() && self.is_keyword(Keyword::By) {
                return Err(self
                    .error(code::SYNTAX, self.span(), "`by` after `with maxspan`")
                    .with_hint("write `sequence by … with maxspan=…`: `by` comes before `with`"));
            }
        }
        let mut terms = Vec::new();
        while matches!(self.peek(), Tok::Punct(Punct::LBracket | Punct::MissingOpen)) {
            terms.push(self.sequence_term()?);
        }
        let until = if self.eat_keyword(Keyword::Until) { Some(self.sequence_term()?) } else { None };
        let span = self.since(start);
        consistent_keys(self, terms.iter().chain(&until).map(|t| (t.by.len(), t.span.0)))?;
        let stages: u32 = terms.iter().map(|t| t.runs.unwrap_or(1)).sum();
        if stages < 2 {
            return Err(self
                .error(code::SYNTAX, span, format!("a sequence needs at least 2 queries, found {stages}"))
                .with_hint("add a second `[category where …]` term, or use `with runs=N`"));
        }
        if let Some(missing) = terms.iter().chain(&until).find(|t| t.missing) {
            if maxspan.is_none() {
                return Err(self
                    .error(code::SYNTAX, missing.span.0, "a missing event `![…]` needs `with maxspan`")
                    .with_hint("add `with maxspan=…` after `sequence [by …]`"));
            }
            if until.as_ref().is_some_and(|u| u.missing) {
                return Err(self.error(code::SYNTAX, missing.span.0, "`until` cannot be a missing event").with_hint("write `until [ … ]`"));
            }
            if terms.iter().all(|t| t.missing) {
                return Err(self
                    .error(code::SYNTAX, span, "a sequence needs at least one term that is not a missing event")
                    .with_hint("add a `[category where …]` term"));
            }
        }
        Ok(Sequence { by, maxspan, terms, until, span: Loc(span) })
    }

    /// `with maxspan=N unit`.
    fn maxspan(&mut self) -> Result<TimeSpan, Diagnostic> {
        self.bump();
        if !self.eat_keyword(Keyword::Maxspan) {
            return Err(self.expected("`maxspan`"));
        }
        self.expect_punct(Punct::Assign, "`=`")?;
        let start = self.span();
        let value = match self.peek().clone() {
            Tok::Integer(digits) => {
                self.bump();
                digits.parse::<u64>().map_err(|_| self.error(code::NUMBER, start, format!("maxspan `{digits}` is too large")).with_hint("use a larger unit"))?
            }
            Tok::Decimal(text) => {
                return Err(self
                    .error(code::UNSUPPORTED, start, format!("fractional maxspan `{text}` is not supported"))
                    .with_hint("write a whole number of a smaller unit, as in `90s` for 1.5m"));
            }
            _ => return Err(self.expected("a whole number for maxspan")),
        };
        if value == 0 {
            return Err(self.error(code::NUMBER, start, "maxspan must be positive").with_hint("write a maxspan above zero, as in `1s`"));
        }
        let unit = match self.peek().clone() {
            Tok::Ident(unit) => {
                let at = self.bump().span;
                TimeUnit::from_suffix(&unit)
                    .ok_or_else(|| self.error(code::SYNTAX, at, format!("unknown time unit `{unit}`")).with_hint("use one of ms, s, m, h, d"))?
            }
            _ => return Err(self.error(code::SYNTAX, self.since(start), "maxspan has no time unit").with_hint(format!("write a unit, as in `{value}s`"))),
        };
        if value.checked_mul(unit.millis()).is_none() {
            return Err(self.error(code::NUMBER, self.since(start), "maxspan is too large").with_hint("a maxspan must fit in 64-bit milliseconds"));
        }
        Ok(TimeSpan { value, unit, span: Loc(self.since(start)) })
    }

    /// `[filter]` or `![filter]`, then optional `by` keys and `with runs=N`.
    fn sequence_term(&mut self) -> Result<SequenceTerm, Diagnostic> {
        let start = self.span();
        let (missing, filter) = self.subquery()?;
        let by = self.join_keys()?;
        let mut runs = None;
        if self.eat_keyword(Keyword::With) {
            let at = self.span();
            match self.peek().clone() {
                Tok::Ident(word) if word == "runs" => {
                    self.bump();
                }
                Tok::Keyword(Keyword::Maxspan) => {
                    return Err(self
                        .error(code::SYNTAX, at, "`maxspan` belongs to the sequence, not to a term")
                        .with_hint("write `sequence [by …] with maxspan=…` before the first term"))
                }
                _ => return Err(self.expected("`runs`")),
            }
            self.expect_punct(Punct::Assign, "`=`")?;
            let number_at = self.span();
            let n = match self.peek().clone() {
                Tok::Integer(digits) => {
                    self.bump();
                    digits.parse::<u32>().ok().filter(|n| (1..=100).contains(n))
                }
                _ => return Err(self.expected("a whole number of runs")),
            };
            runs =
                Some(n.ok_or_else(|| {
                    self.error(code::NUMBER, number_at, "runs must be between 1 and 100").with_hint("write `with runs=N` with 1 <= N <= 100")
                })?);
            if missing {
                return Err(self.error(code::SYNTAX, self.since(at), "a missing event cannot repeat").with_hint("remove `with runs` from the `![…]` term"));
            }
        }
        if let Tok::Ident(word) = self.peek() {
            if word == "fork" {
                return Err(self.error(code::UNSUPPORTED, self.span(), "`fork` is not supported").with_hint("Elasticsearch sequences do not fork; remove it"));
            }
        }
        Ok(SequenceTerm { filter, by, runs, missing, span: Loc(self.since(start)) })
    }

    /// `[ filter ]` or `![ filter ]`; returns whether it is a missing event.
    fn subquery(&mut self) -> Result<(bool, EventFilter), Diagnostic> {
        let missing = match self.peek() {
            Tok::Punct(Punct::LBracket) => false,
            Tok::Punct(Punct::MissingOpen) => true,
            _ => return Err(self.expected("`[`")),
        };
        self.bump();
        let filter = self.event_filter()?;
        self.expect_punct(Punct::RBracket, "`]`")?;
        Ok((missing, filter))
    }

    fn sample(&mut self) -> Result<Sample, Diagnostic> {
        let start = self.bump().span;
        let by = self.join_keys()?;
        if self.is_keyword(Keyword::With) {
            return Err(self
                .error(code::SYNTAX, self.span(), "`sample` takes no `with` parameters")
                .with_hint("samples are unordered: maxspan and runs do not apply"));
        }
        let mut terms = Vec::new();
        while matches!(self.peek(), Tok::Punct(Punct::LBracket | Punct::MissingOpen)) {
            let term_start = self.span();
            let (missing, filter) = self.subquery()?;
            if missing {
                return Err(self.error(code::SYNTAX, term_start, "`sample` has no missing events").with_hint("write `[ … ]`"));
            }
            let term_by = self.join_keys()?;
            terms.push(SampleTerm { filter, by: term_by, span: Loc(self.since(term_start)) });
        }
        if self.is_keyword(Keyword::Until) {
            return Err(self.error(code::SYNTAX, self.span(), "`sample` takes no `until`").with_hint("remove the `until` term"));
        }
        consistent_keys(self, terms.iter().map(|t| (t.by.len(), t.span.0)))?;
        if terms.len() < 2 {
            return Err(self
                .error(code::SYNTAX, self.since(start), format!("a sample needs at least 2 queries, found {}", terms.len()))
                .with_hint("add a second `[category where …]` term"));
        }
        Ok(Sample { by, terms, span: Loc(self.since(start)) })
    }

    /// `| head N` or `| tail N`; any other pipe is named and refused.
    fn pipe(&mut self) -> Result<Pipe, Diagnostic> {
        let start = self.bump().span;
        let name_at = self.span();
        if self.is_punct(Punct::Pipe) {
            return Err(self.error(code::SYNTAX, self.since(start), "`||` is not an EQL operator").with_hint("write `or`"));
        }
        let kind = match self.peek().clone() {
            Tok::Ident(name) if name == "head" => PipeKind::Head,
            Tok::Ident(name) if name == "tail" => PipeKind::Tail,
            Tok::Ident(name) => {
                return Err(self
                    .error(code::UNSUPPORTED, name_at, format!("pipe `{name}` is not supported"))
                    .with_hint("Elasticsearch runs only `| head N` and `| tail N`"));
            }
            _ => return Err(self.expected("a pipe name (`head` or `tail`)")),
        };
        self.bump();
        let count_at = self.span();
        let count = match self.peek().clone() {
            Tok::Integer(digits) => {
                self.bump();
                digits.parse::<u64>().map_err(|_| self.error(code::NUMBER, count_at, format!("`{digits}` is too large")))?
            }
            _ => return Err(self.expected("a whole number").with_hint("write the number of results, as in `| head 10`")),
        };
        Ok(Pipe { kind, count, span: Loc(self.since(start)) })
    }
}

/// Every term of a sequence or sample must add the same number of keys to the shared ones,
/// since keys are compared by position.
fn consistent_keys(parser: &Parser<'_>, mut terms: impl Iterator<Item = (usize, Span)>) -> Result<(), Diagnostic> {
    let Some((first, _)) = terms.next() else { return Ok(()) };
    match terms.find(|(n, _)| *n != first) {
        Some((n, span)) => Err(parser
            .error(code::SYNTAX, span, format!("inconsistent number of join keys: expected {first}, found {n}"))
            .with_hint("give every term the same number of `by` keys; keys are compared by position")),
        None => Ok(()),
    }
}

/// The keyword as written.
pub(crate) fn keyword_text(k: Keyword) -> &'static str {
    crate::lexer::KEYWORDS.iter().find(|(_, kw)| *kw == k).map_or("?", |(t, _)| t)
}

/// A token for "found …" messages.
pub(crate) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::QuotedIdent(s) => format!("`{s}`"),
        Tok::TildeIdent(s) => format!("`{s}~`"),
        Tok::Str(_) => "a string".into(),
        Tok::Integer(s) | Tok::Decimal(s) => format!("`{s}`"),
        Tok::Keyword(k) => format!("`{}`", keyword_text(*k)),
        Tok::Punct(p) => format!("`{}`", punct_text(*p)),
        Tok::Eof => "the end of the query".into(),
    }
}

fn punct_text(p: Punct) -> &'static str {
    match p {
        Punct::Colon => ":",
        Punct::Assign => "=",
        Punct::EqEq => "==",
        Punct::NotEq => "!=",
        Punct::Lt => "<",
        Punct::LtEq => "<=",
        Punct::Gt => ">",
        Punct::GtEq => ">=",
        Punct::Plus => "+",
        Punct::Minus => "-",
        Punct::Star => "*",
        Punct::Slash => "/",
        Punct::Percent => "%",
        Punct::Dot => ".",
        Punct::Comma => ",",
        Punct::LBracket => "[",
        Punct::RBracket => "]",
        Punct::LParen => "(",
        Punct::RParen => ")",
        Punct::Pipe => "|",
        Punct::Question => "?",
        Punct::MissingOpen => "![",
    }
}
