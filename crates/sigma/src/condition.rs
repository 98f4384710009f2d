//! The Sigma condition language: lexer, parser and resolution against search identifiers.
//!
//! ```text
//! condition := or ;  or := and ("or" and)* ;  and := not ("and" not)*
//! not := "not" not | primary ;  primary := "(" or ")" | ("1"|"any"|"all") "of" (PATTERN|"them") | IDENT
//! ```
//! Keywords are lower case only. Pipes (`| count() > 5`) and `near` are Sigma v1
//! aggregations, obsolete in v2; they are refused with a pointer to correlation rules.

use vigil_ir::{Diagnostic, Expr, Span, MAX_NESTING};

use crate::context::Context;

/// The parsed condition, before identifiers are resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Ident(String, Span),
    /// `1 of` (`all = false`) or `all of` (`all = true`) a pattern; `None` is `them`.
    Of {
        all: bool,
        pattern: Option<String>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
    Pipe,
}

fn lex(cx: &mut Context, text: &str, base: Span) -> Option<Vec<(Tok, Span)>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let here = i;
        let at = |len: usize| base.sub(here, len);
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, at(1)));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, at(1)));
                i += 1;
            }
            b'|' => {
                out.push((Tok::Pipe, at(1)));
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'*' | b'.') => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-' | b'*' | b'.')) {
                    i += 1;
                }
                out.push((Tok::Word(text[start..i].to_string()), base.sub(start, i - start)));
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                cx.error(Diagnostic::error(
                    "sigma::condition-syntax",
                    cx.source.clone(),
                    at(ch.len_utf8()),
                    format!("unexpected character `{ch}` in condition"),
                ));
                return None;
            }
        }
    }
    Some(out)
}

struct Parser<'c, 'a> {
    cx: &'c mut Context<'a>,
    toks: Vec<(Tok, Span)>,
    pos: usize,
    end: Span,
    depth: usize,
}

const KEYWORDS: &[&str] = &["and", "or", "not", "of", "them"];

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&(Tok, Span)> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some((Tok::Word(w), _)) => Some(w),
            _ => None,
        }
    }

    fn fail(&mut self, span: Span, message: String, hint: &str) -> Option<Cond> {
        self.cx.error(Diagnostic::error("sigma::condition-syntax", self.cx.source.clone(), span, message).with_hint(hint));
        None
    }

    fn here(&self) -> Span {
        self.peek().map(|(_, s)| *s).unwrap_or(self.end)
    }

    fn or(&mut self) -> Option<Cond> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let span = self.here();
            return self.fail(span, format!("condition nested deeper than {MAX_NESTING} levels"), "simplify the condition");
        }
        let mut items = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Some(if items.len() == 1 { items.remove(0) } else { Cond::Or(items) })
    }

    fn and(&mut self) -> Option<Cond> {
        let mut items = vec![self.not()?];
        while self.peek_word() == Some("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Some(if items.len() == 1 { items.remove(0) } else { Cond::And(items) })
    }

    fn not(&mut self) -> Option<Cond> {
        if self.peek_word() == Some("not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                let span = self.here();
                return self.fail(span, "condition nested too deeply".into(), "simplify the condition");
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Some(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Cond> {
        let Some((tok, span)) = self.peek().cloned() else {
            let end = self.end;
            return self.fail(end, "the condition ends where an identifier was expected".into(), "complete the expression, e.g. `selection and not filter`");
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let inner = self.or()?;
                match self.peek() {
                    Some((Tok::RParen, _)) => {
                        self.pos += 1;
                        Some(inner)
                    }
                    _ => self.fail(span, "unbalanced parenthesis: this `(` is never closed".into(), "add the missing `)`"),
                }
            }
            Tok::RParen => self.fail(span, "unexpected `)`".into(), "remove it or add the matching `(`"),
            Tok::Pipe => self.fail(
                span,
                "aggregations with `|` are Sigma v1 syntax, obsolete in Sigma v2".into(),
                "write a correlation rule (`correlation: type: event_count`) instead",
            ),
            Tok::Word(w) => {
                if let Some(quant) = ["1", "any", "all"].iter().find(|q| **q == w) {
                    if self.peek_word() == Some("of") {
                        self.pos += 1;
                        let Some((Tok::Word(target), tspan)) = self.peek().cloned() else {
                            return self.fail(span, format!("`{w} of` needs a pattern or `them`"), "write `1 of selection_*` or `all of them`");
                        };
                        self.pos += 1;
                        let whole = Span::new(span.start, tspan.end, span.line, span.col);
                        let pattern = if target == "them" { None } else { Some(target) };
                        return Some(Cond::Of { all: *quant == "all", pattern, span: whole });
                    }
                }
                if w.chars().all(|c| c.is_ascii_digit()) && self.peek_word() == Some("of") {
                    return self.fail(span, format!("`{w} of` is not Sigma: only `1 of`, `any of` and `all of` exist"), "use `1 of` or `all of`");
                }
                let lower = w.to_ascii_lowercase();
                if KEYWORDS.contains(&lower.as_str()) && lower != w {
                    return self.fail(span, format!("`{w}`: condition keywords are lower case"), &format!("write `{lower}`"));
                }
                if w == "near" {
                    return self.fail(span, "`near` is Sigma v1 syntax, obsolete in Sigma v2".into(), "write a `temporal` correlation rule instead");
                }
                if KEYWORDS.contains(&w.as_str()) || w == "1" || w == "any" || w == "all" {
                    return self.fail(span, format!("unexpected `{w}` where an identifier was expected"), "check the operators around it");
                }
                Some(Cond::Ident(w, span))
            }
        }
    }
}

/// Parses a condition string whose text starts at `base`.
pub fn parse_condition(cx: &mut Context, text: &str, base: Span) -> Option<Cond> {
    if let Some(pipe) = text.find('|') {
        cx.error(
            Diagnostic::error(
                "sigma::obsolete-aggregation",
                cx.source.clone(),
                base.sub(pipe, text.len() - pipe),
                "aggregations with `|` are Sigma v1 syntax, obsolete in Sigma v2",
            )
            .with_hint("write a correlation rule (`correlation: type: event_count`) instead"),
        );
        return None;
    }
    let toks = lex(cx, text, base)?;
    let end = base.sub(text.len(), 0);
    if toks.is_empty() {
        cx.error(Diagnostic::error("sigma::condition-syntax", cx.source.clone(), base, "empty condition").with_hint("write e.g. `condition: selection`"));
        return None;
    }
    let mut p = Parser { cx, toks, pos: 0, end, depth: 0 };
    let cond = p.or()?;
    if let Some((tok, span)) = p.peek().cloned() {
        let what = match tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or") => {
                format!("`{w}`: condition keywords are lower case")
            }
            Tok::Word(w) => format!("unexpected `{w}`: an operator (`and`, `or`) is missing before it"),
            Tok::RParen => "unexpected `)`".to_string(),
            Tok::LParen => "unexpected `(`".to_string(),
            Tok::Pipe => {
                return p.fail(
                    span,
                    "aggregations with `|` are Sigma v1 syntax, obsolete in Sigma v2".into(),
                    "write a correlation rule (`correlation: type: event_count`) instead",
                );
            }
        };
        return p.fail(span, what, "join expressions with `and`/`or`");
    }
    Some(cond)
}

/// True when `name` matches the `*`-glob `pattern` (whole name).
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Resolves identifiers and `x of` selectors against the search identifiers, in their order.
pub fn resolve(cx: &mut Context, cond: &Cond, idents: &[(String, Span, Expr)]) -> Option<Expr> {
    Some(match cond {
        Cond::And(items) => Expr::And(items.iter().map(|c| resolve(cx, c, idents)).collect::<Option<_>>()?),
        Cond::Or(items) => Expr::Or(items.iter().map(|c| resolve(cx, c, idents)).collect::<Option<_>>()?),
        Cond::Not(inner) => Expr::not(resolve(cx, inner, idents)?),
        Cond::Ident(name, span) => match idents.iter().find(|(n, _, _)| n == name) {
            Some((n, s, e)) => Expr::Named { name: n.clone(), span: *s, expr: Box::new(e.clone()) },
            None => {
                let known: Vec<&str> = idents.iter().map(|(n, _, _)| n.as_str()).collect();
                cx.error(
                    Diagnostic::error("sigma::undefined-identifier", cx.source.clone(), *span, format!("`{name}` is not a search identifier of this rule"))
                        .with_hint(format!("defined identifiers: {}", known.join(", "))),
                );
                return None;
            }
        },
        Cond::Of { all, pattern, span } => {
            let chosen: Vec<Expr> = idents
                .iter()
                .filter(|(n, _, _)| match pattern {
                    None => !n.starts_with('_'),
                    Some(p) => glob_matches(p, n) && (p.starts_with('_') || !n.starts_with('_')),
                })
                .map(|(n, s, e)| Expr::Named { name: n.clone(), span: *s, expr: Box::new(e.clone()) })
                .collect();
            if chosen.is_empty() {
                let what = pattern.as_deref().unwrap_or("them");
                cx.error(
                    Diagnostic::error("sigma::empty-selector", cx.source.clone(), *span, format!("`{what}` matches no search identifier"))
                        .with_hint("check the pattern against the identifiers defined under `detection`"),
                );
                return None;
            }
            if *all {
                Expr::and(chosen)
            } else {
                Expr::or(chosen)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        assert!(glob_matches("sel*", "selection"));
        assert!(glob_matches("*", "x"));
        assert!(glob_matches("a*b*c", "aXbYc"));
        assert!(!glob_matches("sel*", "filter"));
        assert!(glob_matches("selection", "selection"));
        assert!(!glob_matches("selection", "selection2"));
    }
}
