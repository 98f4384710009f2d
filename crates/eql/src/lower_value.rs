//! EQL expressions → IR computed values ([`vigil_ir::Value`]): what `lower.rs` cannot write
//! as a literal field predicate (function calls, arithmetic, comparisons of computed
//! values, `date` fields) is lowered here and evaluated by the engine three-valued.
//!
//! As Elasticsearch's verifier does, calls whose argument types are visibly wrong (a number
//! where a function needs a string, `number(1)`, `startsWith("a", 1)`) are refused with
//! `eql::function`. Field types come from the schema (`schema.rs`); a field the schema does
//! not know is not checked. `x == null` is a two-valued null test; any other comparison with
//! null is null. An optional field the mapping does not have (`?x`) is the constant null,
//! as Elasticsearch makes it, so `?x == ?y` with neither mapped holds. A string compared with a `date` field is read as a date (ISO 8601) and a
//! number as epoch milliseconds.

use vigil_ir::{Arith, Case, Cmp, Diagnostic, FieldRead, FieldType, Func, Network, RegexPattern, Scalar, SourceId, Value};

use crate::ast::{ArithOp, CompareOp, Expr, ExprKind, Field, Literal, MatchOp, UnaryOp};
use crate::diagnostics::code;
use crate::schema::Schema;

/// The static type of an expression, where it can be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
}

/// Lowers expressions into computed values for one query.
pub struct ValueLowering<'a> {
    pub source: &'a SourceId,
    pub schema: &'a Schema,
}

impl ValueLowering<'_> {
    /// The computed value of `e`.
    pub fn value(&self, e: &Expr) -> Result<Value, Diagnostic> {
        let boxed = |x: &Expr| self.value(x).map(Box::new);
        Ok(match &e.kind {
            ExprKind::Literal(lit) => Value::Lit(scalar(lit)),
            ExprKind::Field(f) if self.absent(f) => Value::Lit(Scalar::Null),
            ExprKind::Field(f) => Value::Field(self.field(f)),
            ExprKind::Unary { op: UnaryOp::Minus, operand } => Value::Neg(boxed(operand)?),
            ExprKind::Unary { op: UnaryOp::Plus, operand } => self.value(operand)?,
            ExprKind::Arith { op, left, right } => Value::Arith { op: arith(*op), left: boxed(left)?, right: boxed(right)? },
            ExprKind::Compare { op, left, right } => self.compare(*op, left, right)?,
            ExprKind::In { operand, negated, insensitive, values } => {
                if let Some(v) = values.iter().find(|v| !matches!(v.kind, ExprKind::Literal(_))) {
                    return Err(Diagnostic::error(code::UNSUPPORTED, self.source.clone(), v.span.0, "comparisons against fields are not supported")
                        .with_hint("an `in` list holds constants only, as in Elasticsearch"));
                }
                let values = values.iter().map(|v| self.value(v)).collect::<Result<_, _>>()?;
                let case = if *insensitive { Case::Insensitive } else { Case::Sensitive };
                let test = Value::In { operand: boxed(operand)?, values, case };
                if *negated {
                    Value::Not(Box::new(test))
                } else {
                    test
                }
            }
            ExprKind::Match { operand, op, patterns } => {
                let mut texts = Vec::with_capacity(patterns.len());
                for p in patterns {
                    match &p.value {
                        Literal::String(s) => texts.push(s.as_str()),
                        _ => return Err(self.error(e, format!("`{}` needs string constants", op.symbol()), "write the pattern as a string: \"abc*\"")),
                    }
                }
                let operand = boxed(operand)?;
                match op {
                    MatchOp::Colon | MatchOp::LikeInsensitive => {
                        Value::Wildcard { operand, case: Case::Insensitive, patterns: texts.iter().map(|t| crate::lower::wildcards(t)).collect() }
                    }
                    MatchOp::Like => Value::Wildcard { operand, case: Case::Sensitive, patterns: texts.iter().map(|t| crate::lower::wildcards(t)).collect() },
                    MatchOp::Regex | MatchOp::RegexInsensitive => {
                        let patterns = texts.iter().map(|t| self.regex(e, t, *op == MatchOp::RegexInsensitive)).collect::<Result<_, _>>()?;
                        Value::Regex { operand, patterns }
                    }
                }
            }
            ExprKind::Call { name, insensitive, args } => self.call(e, name, *insensitive, args)?,
            ExprKind::Not(inner) => Value::Not(boxed(inner)?),
            ExprKind::And(items) => Value::And(items.iter().map(|i| self.value(i)).collect::<Result<_, _>>()?),
            ExprKind::Or(items) => Value::Or(items.iter().map(|i| self.value(i)).collect::<Result<_, _>>()?),
        })
    }

    /// An EQL `regex` pattern as an anchored `regex`-crate pattern (see `regex.rs`).
    pub fn regex(&self, e: &Expr, lucene: &str, insensitive: bool) -> Result<RegexPattern, Diagnostic> {
        let source = crate::regex::translate(lucene).map_err(|what| crate::lower::not_lowered(self.source, e.span.0, &format!("`regex` with {what}")))?;
        Ok(RegexPattern { source, case_insensitive: insensitive, multi_line: false, dot_matches_new_line: true })
    }

    /// A field read, through the schema's aliases and with its type.
    pub fn field(&self, f: &Field) -> FieldRead {
        let name = f.path.join(".");
        let ty = self.schema.type_of(&name);
        FieldRead { name: self.schema.resolve(&name).to_string(), ty }
    }

    /// True for an optional field (`?x`) the mapping does not have: Elasticsearch reads it
    /// as the constant `null`. Without a schema nothing is known to be absent.
    pub fn absent(&self, f: &Field) -> bool {
        f.optional && !self.schema.is_empty() && !self.schema.knows(&f.path.join("."))
    }

    fn error(&self, e: &Expr, message: String, hint: &str) -> Diagnostic {
        Diagnostic::error(code::FUNCTION, self.source.clone(), e.span.0, message).with_hint(hint.to_string())
    }

    fn compare(&self, op: CompareOp, left: &Expr, right: &Expr) -> Result<Value, Diagnostic> {
        // `?x == ?y` with `?y` not mapped is `?x == null`, as Elasticsearch rewrites it.
        let is_null = |x: &Expr| match &x.kind {
            ExprKind::Literal(Literal::Null) => true,
            ExprKind::Field(f) => self.absent(f),
            _ => false,
        };
        if matches!(op, CompareOp::Eq | CompareOp::NotEq) && (is_null(left) || is_null(right)) {
            let other = if is_null(left) { right } else { left };
            let test = Value::IsNull(Box::new(self.value(other)?));
            return Ok(if op == CompareOp::Eq { test } else { Value::Not(Box::new(test)) });
        }
        let (l, r) = (self.value(left)?, self.value(right)?);
        let l2 = self.as_date(&r, l.clone(), left)?;
        let r = self.as_date(&l, r, right)?;
        let l = l2;
        let op = match op {
            CompareOp::Eq => Cmp::Eq,
            CompareOp::NotEq => Cmp::NotEq,
            CompareOp::Lt => Cmp::Lt,
            CompareOp::LtEq => Cmp::Lte,
            CompareOp::Gt => Cmp::Gt,
            CompareOp::GtEq => Cmp::Gte,
        };
        Ok(Value::Compare { op, left: Box::new(l), right: Box::new(r) })
    }

    /// `value` as the other side of a comparison with `other`: a string compared with a
    /// `date` field is read as a date.
    fn as_date(&self, other: &Value, value: Value, e: &Expr) -> Result<Value, Diagnostic> {
        let date_field = matches!(other, Value::Field(FieldRead { ty: FieldType::Date, .. }));
        match value {
            Value::Lit(Scalar::Str(text)) if date_field => match crate::date::epoch_millis(&text) {
                Some(ms) => Ok(Value::Lit(Scalar::Int(ms))),
                None => Err(Diagnostic::error(code::NUMBER, self.source.clone(), e.span.0, format!("`{text}` is not a date"))
                    .with_hint("compare a date field with an ISO 8601 date (\"2017-08-30T20:47:33Z\") or epoch milliseconds")),
            },
            other => Ok(other),
        }
    }

    fn call(&self, e: &Expr, name: &str, insensitive: bool, args: &[Expr]) -> Result<Value, Diagnostic> {
        let Some(f) = crate::function::lookup(name) else {
            return Err(self.error(e, format!("unknown function `{name}`"), "see the Elasticsearch EQL function reference"));
        };
        let func = func(f.name).ok_or_else(|| self.error(e, format!("unknown function `{name}`"), "see the Elasticsearch EQL function reference"))?;
        if func == Func::CidrMatch {
            return self.cidr(e, args);
        }
        for (i, a) in args.iter().enumerate() {
            let Some(kind) = self.kind(a) else { continue };
            let want = argument(func, i);
            if want.is_some_and(|w| w != kind) {
                return Err(self.error(
                    a,
                    format!("argument {} of `{}` must be {}", i + 1, f.name, want.map_or("", describe)),
                    "Elasticsearch's verifier refuses this call; convert the value with `string()` or `number()`",
                ));
            }
        }
        let args = args.iter().map(|a| self.value(a)).collect::<Result<_, _>>()?;
        Ok(Value::Call { func, insensitive, args })
    }

    fn cidr(&self, e: &Expr, args: &[Expr]) -> Result<Value, Diagnostic> {
        let Some((first, rest)) = args.split_first() else {
            return Err(self.error(e, "`cidrMatch` needs an address".into(), "cidrMatch(source.ip, \"10.0.0.0/8\")"));
        };
        let mut networks = Vec::with_capacity(rest.len());
        for a in rest {
            let ExprKind::Literal(Literal::String(text)) = &a.kind else {
                return Err(self.error(a, "a `cidrMatch` network must be a string constant".into(), "write the network as \"10.0.0.0/8\""));
            };
            networks.push(
                Network::parse(text).ok_or_else(|| {
                    self.error(a, format!("`{text}` is not an IP network"), "write an address or a CIDR block, as in \"10.0.0.0/8\" or \"::1\"")
                })?,
            );
        }
        Ok(Value::Cidr { operand: Box::new(self.value(first)?), networks })
    }

    /// The static type of `e`, where it is visible.
    fn kind(&self, e: &Expr) -> Option<Kind> {
        match &e.kind {
            ExprKind::Literal(Literal::String(_)) => Some(Kind::Str),
            ExprKind::Literal(Literal::Integer(_) | Literal::Float(_)) => Some(Kind::Num),
            ExprKind::Literal(Literal::Bool(_)) => Some(Kind::Bool),
            ExprKind::Literal(Literal::Null) => None,
            ExprKind::Field(f) => match self.field(f).ty {
                FieldType::Keyword | FieldType::Text | FieldType::Ip | FieldType::Version => Some(Kind::Str),
                FieldType::Long | FieldType::Double => Some(Kind::Num),
                FieldType::Boolean => Some(Kind::Bool),
                FieldType::Date | FieldType::Unknown => None,
            },
            ExprKind::Unary { .. } | ExprKind::Arith { .. } => Some(Kind::Num),
            ExprKind::Compare { .. } | ExprKind::In { .. } | ExprKind::Match { .. } | ExprKind::Not(_) | ExprKind::And(_) | ExprKind::Or(_) => Some(Kind::Bool),
            ExprKind::Call { name, .. } => match crate::function::lookup(name).and_then(|f| func(f.name))? {
                Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo | Func::IndexOf | Func::Length | Func::Number => Some(Kind::Num),
                Func::Between | Func::Concat | Func::String | Func::Substring => Some(Kind::Str),
                Func::CidrMatch | Func::EndsWith | Func::StartsWith | Func::StringContains => Some(Kind::Bool),
            },
        }
    }
}

/// The type argument `i` of `func` must have, when it has one.
fn argument(func: Func, i: usize) -> Option<Kind> {
    use Func::*;
    match (func, i) {
        (Add | Subtract | Multiply | Divide | Modulo, _) => Some(Kind::Num),
        (Between, 0..=2) | (EndsWith | StartsWith | StringContains | IndexOf, 0..=1) | (Length | Number | Substring, 0) => Some(Kind::Str),
        (Between, 3) => Some(Kind::Bool),
        (IndexOf, 2) | (Substring, 1..=2) | (Number, 1) => Some(Kind::Num),
        _ => None,
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Num => "a number",
        Kind::Bool => "a boolean",
    }
}

/// The IR function of a registry name.
fn func(name: &str) -> Option<Func> {
    Some(match name {
        "add" => Func::Add,
        "between" => Func::Between,
        "cidrMatch" => Func::CidrMatch,
        "concat" => Func::Concat,
        "divide" => Func::Divide,
        "endsWith" => Func::EndsWith,
        "indexOf" => Func::IndexOf,
        "length" => Func::Length,
        "modulo" => Func::Modulo,
        "multiply" => Func::Multiply,
        "number" => Func::Number,
        "startsWith" => Func::StartsWith,
        "string" => Func::String,
        "stringContains" => Func::StringContains,
        "substring" => Func::Substring,
        "subtract" => Func::Subtract,
        _ => return None,
    })
}

fn arith(op: ArithOp) -> Arith {
    match op {
        ArithOp::Add => Arith::Add,
        ArithOp::Sub => Arith::Sub,
        ArithOp::Mul => Arith::Mul,
        ArithOp::Div => Arith::Div,
        ArithOp::Mod => Arith::Mod,
    }
}

fn scalar(lit: &Literal) -> Scalar {
    match lit {
        Literal::Null => Scalar::Null,
        Literal::Bool(b) => Scalar::Bool(*b),
        Literal::Integer(i) => Scalar::Int(*i),
        Literal::Float(x) => Scalar::Float(*x),
        Literal::String(s) => Scalar::Str(s.clone()),
    }
}
