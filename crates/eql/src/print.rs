//! Prints the syntax tree back as EQL, in a normal form that parses to an equal tree:
//! parentheses only where precedence needs them, strings always `"…"` with escapes, names
//! back-quoted when they are keywords or not plain identifiers. Every Elastic rule query
//! is printed and parsed back in the tests.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{ArithOp, Category, EventFilter, Expr, ExprKind, Field, Literal, Pipe, PipeKind, Query, Statement, TimeSpan, UnaryOp};
use crate::lexer::KEYWORDS;

// Binding strength, loosest first. A child is written bare when it binds at least as
// tightly as its position needs, else in parentheses.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARE: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const UNARY: u8 = 7;
const PREDICATE: u8 = 8;
const PRIMARY: u8 = 9;

fn strength(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(_) => OR,
        ExprKind::And(_) => AND,
        ExprKind::Not(_) => NOT,
        ExprKind::Compare { .. } => COMPARE,
        ExprKind::Arith { op: ArithOp::Add | ArithOp::Sub, .. } => ADD,
        ExprKind::Arith { .. } => MUL,
        ExprKind::Unary { .. } => UNARY,
        ExprKind::In { .. } | ExprKind::Match { .. } => PREDICATE,
        ExprKind::Literal(_) | ExprKind::Field(_) | ExprKind::Call { .. } => PRIMARY,
    }
}

/// Writes `e` so that it parses back at a position that needs binding strength `min`.
fn write_expr(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if strength(e) < min {
        f.write_char('(')?;
        write_expr(f, e, OR)?;
        return f.write_char(')');
    }
    match &e.kind {
        ExprKind::Literal(lit) => write!(f, "{lit}"),
        ExprKind::Field(field) => write!(f, "{field}"),
        ExprKind::Call { name, insensitive, args } => {
            write!(f, "{name}{}(", if *insensitive { "~" } else { "" })?;
            write_list(f, args)?;
            f.write_char(')')
        }
        ExprKind::Unary { op, operand } => {
            f.write_str(if *op == UnaryOp::Minus { "-" } else { "+" })?;
            write_expr(f, operand, UNARY)
        }
        ExprKind::Arith { op, left, right } => {
            let own = strength(e);
            write_expr(f, left, own)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, own + 1)
        }
        ExprKind::Compare { op, left, right } => {
            write_expr(f, left, ADD)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, ADD)
        }
        ExprKind::In { operand, negated, insensitive, values } => {
            write_expr(f, operand, PRIMARY)?;
            write!(f, "{} in{} (", if *negated { " not" } else { "" }, if *insensitive { "~" } else { "" })?;
            write_list(f, values)?;
            f.write_char(')')
        }
        ExprKind::Match { operand, op, patterns } => {
            write_expr(f, operand, PRIMARY)?;
            write!(f, " {} ", op.symbol())?;
            if let [one] = patterns.as_slice() {
                return write!(f, "{}", one.value);
            }
            f.write_char('(')?;
            for (i, p) in patterns.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", p.value)?;
            }
            f.write_char(')')
        }
        ExprKind::Not(operand) => {
            f.write_str("not ")?;
            write_expr(f, operand, NOT)
        }
        ExprKind::And(operands) | ExprKind::Or(operands) => {
            let (word, child) = if matches!(e.kind, ExprKind::And(_)) { (" and ", NOT) } else { (" or ", AND) };
            for (i, operand) in operands.iter().enumerate() {
                if i > 0 {
                    f.write_str(word)?;
                }
                write_expr(f, operand, child)?;
            }
            Ok(())
        }
    }
}

fn write_list(f: &mut Formatter<'_>, exprs: &[Expr]) -> fmt::Result {
    for (i, e) in exprs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_expr(f, e, OR)?;
    }
    Ok(())
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, OR)
    }
}

/// Writes `s` as a `"…"` string literal with the escapes the lexer reads.
fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c.is_control() => write!(f, "\\u{{{:02x}}}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Integer(i) => write!(f, "{i}"),
            // `{:?}` keeps a fraction or exponent (`1.0`, `1e32`), so it reads back as a float.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::String(s) => write_string(f, s),
        }
    }
}

/// A name that the lexer reads as one identifier (and not as a keyword).
fn is_plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !KEYWORDS.iter().any(|(k, _)| *k == s)
}

fn write_name(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    if is_plain_name(s) {
        f.write_str(s)
    } else {
        write!(f, "`{}`", s.replace('`', "``"))
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.optional {
            f.write_char('?')?;
        }
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write_name(f, segment)?;
        }
        Ok(())
    }
}

impl Display for EventFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.category {
            Category::Any => f.write_str("any")?,
            Category::Named(name) if is_plain_name(name) => f.write_str(name)?,
            Category::Named(name) => write_string(f, name)?,
        }
        write!(f, " where {}", self.condition)
    }
}

fn write_keys(f: &mut Formatter<'_>, keys: &[Expr]) -> fmt::Result {
    if keys.is_empty() {
        return Ok(());
    }
    f.write_str(" by ")?;
    write_list(f, keys)
}

impl Display for TimeSpan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit.suffix())
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Query::Event(filter) => write!(f, "{filter}"),
            Query::Sequence(s) => {
                f.write_str("sequence")?;
                write_keys(f, &s.by)?;
                if let Some(maxspan) = &s.maxspan {
                    write!(f, " with maxspan={maxspan}")?;
                }
                for term in &s.terms {
                    write!(f, "\n  {}{}]", if term.missing { "![" } else { "[" }, term.filter)?;
                    write_keys(f, &term.by)?;
                    if let Some(runs) = term.runs {
                        write!(f, " with runs={runs}")?;
                    }
                }
                if let Some(until) = &s.until {
                    write!(f, "\nuntil [{}]", until.filter)?;
                    write_keys(f, &until.by)?;
                    if let Some(runs) = until.runs {
                        write!(f, " with runs={runs}")?;
                    }
                }
                Ok(())
            }
            Query::Sample(s) => {
                f.write_str("sample")?;
                write_keys(f, &s.by)?;
                for term in &s.terms {
                    write!(f, "\n  [{}]", term.filter)?;
                    write_keys(f, &term.by)?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Pipe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            PipeKind::Head => "head",
            PipeKind::Tail => "tail",
        };
        write!(f, "| {name} {}", self.count)
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.query)?;
        for pipe in &self.pipes {
            write!(f, " {pipe}")?;
        }
        Ok(())
    }
}
