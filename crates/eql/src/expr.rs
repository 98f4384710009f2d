//! The EQL parser, expression level, with Elasticsearch's precedence (loosest first): `or`,
//! `and`, `not`, one comparison (`a < b < c` is an error), `+ -`, `* / %`, unary `- +`, and
//! a primary with at most one predicate (`in`, `:`, `like`, `regex`…) bound to it, so
//! `a + b : "x"` is `a + (b : "x")` as in `EqlBase.g4`. Nesting is bounded by
//! `vigil_ir::MAX_NESTING`; `and`/`or` chains are flat lists, so they cost no depth.

use vigil_ir::{Diagnostic, MAX_NESTING};

use crate::ast::{ArithOp, CompareOp, Constant, Expr, ExprKind, Field, Literal, Loc, MatchOp, UnaryOp};
use crate::diagnostics::code;
use crate::lexer::{Keyword, Punct, Tok};
use crate::parser::{describe, Parser};

impl Parser<'_> {
    fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self
                .error(code::TOO_DEEP, self.span(), format!("expression nested deeper than {MAX_NESTING} levels"))
                .with_hint("split the query or flatten the expression"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A full boolean expression.
    pub(crate) fn expression(&mut self) -> Result<Expr, Diagnostic> {
        self.enter()?;
        let result = self.or();
        self.leave();
        result
    }

    fn or(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let first = self.and()?;
        if !self.is_keyword(Keyword::Or) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat_keyword(Keyword::Or) {
            operands.push(self.and()?);
        }
        Ok(Expr { kind: ExprKind::Or(flatten(operands, true)), span: Loc(self.since(start)) })
    }

    fn and(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let first = self.not()?;
        if !self.is_keyword(Keyword::And) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat_keyword(Keyword::And) {
            operands.push(self.not()?);
        }
        Ok(Expr { kind: ExprKind::And(flatten(operands, false)), span: Loc(self.since(start)) })
    }

    fn not(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        if self.eat_keyword(Keyword::Not) {
            self.enter()?;
            let operand = self.not();
            self.leave();
            return Ok(Expr { kind: ExprKind::Not(Box::new(operand?)), span: Loc(self.since(start)) });
        }
        if let (Tok::Ident(relation), Tok::Keyword(Keyword::Of)) = (self.peek(), self.peek_at(1)) {
            return Err(self
                .error(code::UNSUPPORTED, start, format!("lineage (`{relation} of`) is not supported"))
                .with_hint("Elasticsearch has no process lineage; use a `sequence by process.entity_id` instead"));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let left = self.additive()?;
        let Some(op) = self.compare_op() else {
            if self.is_punct(Punct::Assign) {
                return Err(self
                    .error(code::UNSUPPORTED, self.span(), "`=` is not supported")
                    .with_hint("use `==` (case-sensitive) or `:` (case-insensitive, with wildcards)"));
            }
            return Ok(left);
        };
        self.bump();
        let right = self.additive()?;
        if self.compare_op().is_some() {
            return Err(self.error(code::SYNTAX, self.span(), "comparisons cannot be chained").with_hint("write `a < b and b < c`"));
        }
        Ok(Expr { kind: ExprKind::Compare { op, left: Box::new(left), right: Box::new(right) }, span: Loc(self.since(start)) })
    }

    fn compare_op(&self) -> Option<CompareOp> {
        Some(match self.peek() {
            Tok::Punct(Punct::EqEq) => CompareOp::Eq,
            Tok::Punct(Punct::NotEq) => CompareOp::NotEq,
            Tok::Punct(Punct::Lt) => CompareOp::Lt,
            Tok::Punct(Punct::LtEq) => CompareOp::LtEq,
            Tok::Punct(Punct::Gt) => CompareOp::Gt,
            Tok::Punct(Punct::GtEq) => CompareOp::GtEq,
            _ => return None,
        })
    }

    fn additive(&mut self) -> Result<Expr, Diagnostic> {
        self.binary_chain(&[(Punct::Plus, ArithOp::Add), (Punct::Minus, ArithOp::Sub)], Parser::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
        self.binary_chain(&[(Punct::Star, ArithOp::Mul), (Punct::Slash, ArithOp::Div), (Punct::Percent, ArithOp::Mod)], Parser::unary)
    }

    /// A left-associative chain; each link counts as one level of nesting, since the tree
    /// it builds is as deep as the chain is long.
    fn binary_chain(&mut self, ops: &[(Punct, ArithOp)], operand: fn(&mut Self) -> Result<Expr, Diagnostic>) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let mut left = operand(self)?;
        let mut links = 0;
        while let Some(op) = ops.iter().find(|(p, _)| self.is_punct(*p)).map(|(_, op)| *op) {
            self.bump();
            self.enter()?;
            links += 1;
            let right = operand(self);
            let right = match right {
                Ok(r) => r,
                Err(e) => {
                    self.depth = self.depth.saturating_sub(links);
                    return Err(e);
                }
            };
            left = Expr { kind: ExprKind::Arith { op, left: Box::new(left), right: Box::new(right) }, span: Loc(self.since(start)) };
        }
        self.depth = self.depth.saturating_sub(links);
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let op = match self.peek() {
            Tok::Punct(Punct::Minus) => UnaryOp::Minus,
            Tok::Punct(Punct::Plus) => UnaryOp::Plus,
            _ => return self.predicated(),
        };
        self.bump();
        self.enter()?;
        let operand = self.unary();
        self.leave();
        Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand?) }, span: Loc(self.since(start)) })
    }

    /// A primary, then at most one predicate bound to it.
    fn predicated(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let operand = self.primary()?;
        if self.is_keyword(Keyword::Not) {
            let op = match self.peek_at(1) {
                Tok::Keyword(k @ (Keyword::Like | Keyword::LikeInsensitive | Keyword::Regex | Keyword::RegexInsensitive)) => {
                    Some(crate::parser::keyword_text(*k))
                }
                Tok::Punct(Punct::Colon) => Some(":"),
                _ => None,
            };
            if let Some(op) = op {
                return Err(self
                    .error(code::SYNTAX, self.span(), format!("`not` cannot stand before `{op}`"))
                    .with_hint(format!("only `in` has a `not in` form; write `not field {op} …` to negate the whole test")));
            }
        }
        let negated = self.is_keyword(Keyword::Not) && matches!(self.peek_at(1), Tok::Keyword(Keyword::In | Keyword::InInsensitive));
        if negated {
            self.bump();
        }
        let kind = match self.peek() {
            Tok::Keyword(k @ (Keyword::In | Keyword::InInsensitive)) => {
                let insensitive = *k == Keyword::InInsensitive;
                self.bump();
                self.expect_punct(Punct::LParen, "`(` after `in`")?;
                let mut values = vec![self.expression()?];
                while self.eat_punct(Punct::Comma) {
                    values.push(self.expression()?);
                }
                self.expect_punct(Punct::RParen, "`,` or `)`")?;
                ExprKind::In { operand: Box::new(operand), negated, insensitive, values }
            }
            tok => {
                let op = match tok {
                    Tok::Punct(Punct::Colon) => MatchOp::Colon,
                    Tok::Keyword(Keyword::Like) => MatchOp::Like,
                    Tok::Keyword(Keyword::LikeInsensitive) => MatchOp::LikeInsensitive,
                    Tok::Keyword(Keyword::Regex) => MatchOp::Regex,
                    Tok::Keyword(Keyword::RegexInsensitive) => MatchOp::RegexInsensitive,
                    _ => return Ok(operand),
                };
                self.bump();
                let mut patterns = Vec::new();
                if self.eat_punct(Punct::LParen) {
                    patterns.push(self.constant(op)?);
                    while self.eat_punct(Punct::Comma) {
                        patterns.push(self.constant(op)?);
                    }
                    self.expect_punct(Punct::RParen, "`,` or `)`")?;
                } else {
                    patterns.push(self.constant(op)?);
                }
                ExprKind::Match { operand: Box::new(operand), op, patterns }
            }
        };
        Ok(Expr { kind, span: Loc(self.since(start)) })
    }

    /// A constant on the right of `:`, `like` or `regex`.
    fn constant(&mut self, op: MatchOp) -> Result<Constant, Diagnostic> {
        let span = self.span();
        match self.literal()? {
            Some(value) => Ok(Constant { value, span: Loc(span) }),
            None => Err(self.expected(&format!("a constant after `{}`", op.symbol())).with_hint(format!(
                "`{}` compares with literals only, as in `field {} \"value*\"`",
                op.symbol(),
                op.symbol()
            ))),
        }
    }

    /// A literal at the cursor, if there is one.
    fn literal(&mut self) -> Result<Option<Literal>, Diagnostic> {
        let at = self.span();
        let lit = match self.peek().clone() {
            Tok::Keyword(Keyword::Null) => Literal::Null,
            Tok::Keyword(Keyword::True) => Literal::Bool(true),
            Tok::Keyword(Keyword::False) => Literal::Bool(false),
            Tok::Str(s) => Literal::String(s),
            // Elasticsearch reads an integer too wide for a long as a double.
            Tok::Integer(digits) => {
                digits.parse::<i64>().map_or_else(|_| digits.parse::<f64>().map_or(Literal::Float(f64::INFINITY), Literal::Float), Literal::Integer)
            }
            Tok::Decimal(text) => Literal::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)),
            _ => return Ok(None),
        };
        if let Literal::Float(f) = lit {
            if !f.is_finite() {
                return Err(self
                    .error(code::NUMBER, at, format!("number {} is out of range", describe(self.peek())))
                    .with_hint("numbers must fit a 64-bit float"));
            }
        }
        self.bump();
        Ok(Some(lit))
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        if let Some(lit) = self.literal()? {
            return Ok(Expr { kind: ExprKind::Literal(lit), span: Loc(start) });
        }
        match self.peek().clone() {
            Tok::Ident(name) | Tok::TildeIdent(name) if self.peek_at(1) == &Tok::Punct(Punct::LParen) => self.call(name),
            Tok::TildeIdent(name) => Err(self
                .error(code::SYNTAX, start, format!("`{name}~` must be followed by `(`"))
                .with_hint("`~` marks the case-insensitive form of a function call, as in `startsWith~(x, \"a\")`")),
            Tok::Punct(Punct::LParen) => {
                self.bump();
                let inner = self.expression()?;
                self.expect_punct(Punct::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::Ident(_) | Tok::QuotedIdent(_) | Tok::Punct(Punct::Question) => self.field(),
            _ => Err(self.expected("a field, a constant or a function call")),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let insensitive = matches!(self.bump().tok, Tok::TildeIdent(_));
        self.bump();
        let mut args = Vec::new();
        if !self.is_punct(Punct::RParen) {
            args.push(self.expression()?);
            while self.eat_punct(Punct::Comma) {
                args.push(self.expression()?);
            }
        }
        self.expect_punct(Punct::RParen, "`,` or `)`")?;
        Ok(Expr { kind: ExprKind::Call { name, insensitive, args }, span: Loc(self.since(start)) })
    }

    /// `?`? name (`.` name)*; `[n]` after a name is an array index, which Elasticsearch refuses.
    fn field(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let optional = self.eat_punct(Punct::Question);
        let mut path = vec![self.name()?];
        loop {
            if self.eat_punct(Punct::Dot) {
                path.push(self.name()?);
            } else if self.is_punct(Punct::LBracket) && matches!(self.peek_at(1), Tok::Integer(_)) {
                return Err(self
                    .error(code::UNSUPPORTED, self.span(), "array indexes are not supported")
                    .with_hint("a condition on a multi-valued field holds when any element matches; drop the index"));
            } else {
                break;
            }
        }
        Ok(Expr { kind: ExprKind::Field(Field { optional, path }), span: Loc(self.since(start)) })
    }

    fn name(&mut self) -> Result<String, Diagnostic> {
        match self.peek().clone() {
            Tok::Ident(name) | Tok::QuotedIdent(name) => {
                self.bump();
                Ok(name)
            }
            _ => Err(self.expected("a field name")),
        }
    }
}

/// Operands of an `or` (or `and`) that are themselves `or`s (`and`s), written in parentheses,
/// are spliced in: the operators are associative, and the tree stays flat.
fn flatten(operands: Vec<Expr>, or: bool) -> Vec<Expr> {
    let mut out = Vec::with_capacity(operands.len());
    for e in operands {
        match e.kind {
            ExprKind::Or(inner) if or => out.extend(inner),
            ExprKind::And(inner) if !or => out.extend(inner),
            kind => out.push(Expr { kind, span: e.span }),
        }
    }
    out
}
