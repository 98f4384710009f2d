//! Lowering of EQL event queries into the IR, for the constructs the IR expresses exactly
//! with Elasticsearch's meaning. Anything else is refused with a diagnostic naming the
//! construct (`eql::not-lowered`); nothing is approximated.
//!
//! What lowers, and to what:
//! - `category where c`: `category_field == category` (case-sensitive, exact) and `c`;
//!   `any where c`: `c`.
//! - `f == "s"`, `f in ("a", "b")`: case-sensitive whole-value string tests, no wildcards;
//!   `in~`: the same, case-insensitive.
//! - `f : "a*"`, `f like~ …`: case-insensitive whole-value wildcard match; `like`:
//!   case-sensitive. Only `*` and `?` are special; a backslash is a literal character.
//! - `f == 4`, `f < 2.5` …: numeric comparisons of a numeric field (integers within ±2^53,
//!   so the IR's 64-bit float compares them exactly).
//! - `f == null` / `f != null`: absent-or-null / present.
//! - `!=`, `not`, `not in`: negation, so an event without the field satisfies it
//!   (Elasticsearch's `must_not` over a term query).
//! - `cidrMatch(f, "10.0.0.0/8", …)`: the IP value lies in one of the networks
//!   (Elasticsearch runs it as a terms query on the ip field, so it negates like `==`).
//! - `and`, `or`, `true`, `false`.
//!
//! Refused: `regex` (anchored Lucene syntax; the IR's regex is unanchored Rust syntax),
//! the other functions (three-valued, or translated by Elasticsearch in ways to be checked
//! first), arithmetic, field-to-field comparisons, string ordering (`"a" < f`), a bare
//! field as a condition, `sequence`, `sample` and pipes.

use vigil_ir::{
    Case, Diagnostic, Expr as IrExpr, Field as IrField, LogSource, Network, NumOp, Piece, Predicate, Rule, RuleMeta, SourceId, Span, StrOp, StrPattern, Test,
    MAX_NESTING,
};

use crate::ast::{CompareOp, Expr, ExprKind, Field, Literal, MatchOp, Query, Statement};
use crate::diagnostics::code;

/// Where the lowered query finds what the EQL query leaves implicit.
#[derive(Clone, Debug)]
pub struct LowerOptions {
    /// The field `category where` tests (Elasticsearch's `event_category_field`).
    pub category_field: String,
    /// Samples built per join key (Elasticsearch's `max_samples_per_key`).
    pub max_samples_per_key: usize,
}

impl Default for LowerOptions {
    fn default() -> LowerOptions {
        LowerOptions { category_field: "event.category".into(), max_samples_per_key: 1 }
    }
}

/// The largest integer a 64-bit float holds exactly, with all smaller ones.
const EXACT_INTEGER: i64 = 1 << 53;

/// Lowers an event query (no pipes) to an IR expression.
pub fn lower_event_query(source: &SourceId, statement: &Statement, options: &LowerOptions) -> Result<IrExpr, Diagnostic> {
    let refuse = |span: Span, what: &str| not_lowered(source, span, what);
    let filter = match &statement.query {
        Query::Event(filter) => filter,
        Query::Sequence(s) => return Err(refuse(s.span.0, "`sequence` (it needs the sequence engine)")),
        Query::Sample(s) => return Err(refuse(s.span.0, "`sample` (it needs the sample engine)")),
    };
    if let Some(pipe) = statement.pipes.first() {
        return Err(refuse(pipe.span.0, "pipes (`head`/`tail` select among results)"));
    }
    lower_filter(source, filter, options)
}

/// Lowers one event filter (`category where condition`) to an IR expression.
pub fn lower_filter(source: &SourceId, filter: &crate::ast::EventFilter, options: &LowerOptions) -> Result<IrExpr, Diagnostic> {
    let lowering = Lowering { source };
    let condition = lowering.expr(&filter.condition)?;
    let expr = match &filter.category {
        crate::ast::Category::Any => condition,
        crate::ast::Category::Named(name) => {
            let test = Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal(name.clone())] };
            let category = IrExpr::Pred(Predicate { field: IrField::Named(options.category_field.clone()), test, span: filter.span.0 });
            IrExpr::and(vec![category, condition])
        }
    };
    if !expr.within_depth(MAX_NESTING) {
        return Err(Diagnostic::error(code::TOO_DEEP, source.clone(), filter.span.0, format!("the lowered query is nested deeper than {MAX_NESTING} levels"))
            .with_hint("flatten the condition"));
    }
    Ok(expr)
}

/// A detection rule titled `title` whose body is the lowered event query in `text`.
pub fn lower_rule(source: &SourceId, title: &str, text: &str, options: &LowerOptions) -> Result<Rule, Diagnostic> {
    let statement = crate::parse_checked(source, text)?;
    let body = crate::lower_sequence::lower_statement(source, &statement, options)?;
    let meta = RuleMeta { title: title.to_string(), ..RuleMeta::default() };
    Ok(Rule { meta, logsource: LogSource::default(), body, source: source.clone(), span: statement.span.0, warnings: Vec::new() })
}

pub(crate) fn not_lowered(source: &SourceId, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(code::NOT_LOWERED, source.clone(), span, format!("{what} cannot be lowered into the IR yet"))
        .with_hint("vigil lowers event queries over field comparisons, `:`, `like`, `in` and `null` tests; this construct waits for the EQL expression engine")
}

struct Lowering<'a> {
    source: &'a SourceId,
}

impl Lowering<'_> {
    fn refuse(&self, e: &Expr, what: &str) -> Diagnostic {
        not_lowered(self.source, e.span.0, what)
    }

    fn expr(&self, e: &Expr) -> Result<IrExpr, Diagnostic> {
        match &e.kind {
            ExprKind::And(operands) => Ok(IrExpr::And(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?)),
            ExprKind::Or(operands) => Ok(IrExpr::Or(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?)),
            ExprKind::Not(inner) => Ok(IrExpr::not(self.expr(inner)?)),
            ExprKind::Literal(Literal::Bool(b)) => Ok(IrExpr::Const(*b)),
            ExprKind::Compare { op, left, right } => self.compare(e, *op, left, right),
            ExprKind::In { operand, negated, insensitive, values } => {
                let field = self.field(operand, "an `in` test on something other than a field")?;
                let mut strings = Vec::new();
                let mut alternatives = Vec::new();
                for v in values {
                    match &v.kind {
                        ExprKind::Literal(Literal::String(s)) => strings.push(StrPattern::literal(s.clone())),
                        ExprKind::Literal(lit @ (Literal::Integer(_) | Literal::Float(_))) => alternatives.push(self.number(v, &field, NumOp::Eq, lit)?),
                        ExprKind::Literal(Literal::Null) => alternatives.push(self.pred(v, &field, Test::Null)),
                        _ => return Err(self.refuse(v, "an `in` list entry that is not a string, number or null")),
                    }
                }
                if !strings.is_empty() {
                    let case = if *insensitive { Case::Insensitive } else { Case::Sensitive };
                    alternatives.insert(0, self.pred(e, &field, Test::Str { op: StrOp::Equals, case, patterns: strings }));
                }
                let any = IrExpr::or(alternatives);
                Ok(if *negated { IrExpr::not(any) } else { any })
            }
            ExprKind::Match { operand, op, patterns } => {
                let case = match op {
                    MatchOp::Colon | MatchOp::LikeInsensitive => Case::Insensitive,
                    MatchOp::Like => Case::Sensitive,
                    MatchOp::Regex | MatchOp::RegexInsensitive => return Err(self.refuse(e, "`regex` (anchored Lucene syntax)")),
                };
                let field = self.field(operand, &format!("`{}` on something other than a field", op.symbol()))?;
                let mut out = Vec::with_capacity(patterns.len());
                for p in patterns {
                    match &p.value {
                        Literal::String(s) => out.push(wildcards(s)),
                        _ => return Err(self.refuse(e, &format!("`{}` with a constant that is not a string", op.symbol()))),
                    }
                }
                Ok(self.pred(e, &field, Test::Str { op: StrOp::Equals, case, patterns: out }))
            }
            ExprKind::Field(_) => Err(self.refuse(e, "a field as a condition on its own")),
            ExprKind::Literal(_) => Err(self.refuse(e, "a constant that is not `true` or `false` as a condition")),
            ExprKind::Call { name, args, .. } if crate::function::lookup(name).is_some_and(|f| f.name == "cidrMatch") => self.cidr_match(e, args),
            ExprKind::Call { name, .. } => Err(self.refuse(e, &format!("the function `{name}`"))),
            ExprKind::Unary { .. } | ExprKind::Arith { .. } => Err(self.refuse(e, "arithmetic")),
        }
    }

    fn compare(&self, e: &Expr, op: CompareOp, left: &Expr, right: &Expr) -> Result<IrExpr, Diagnostic> {
        // `"x" == f` is `f == "x"`; `3 < f` is `f > 3`.
        let (field_side, literal_side, op) = match (&left.kind, &right.kind) {
            (ExprKind::Field(_), ExprKind::Literal(_)) => (left, right, op),
            (ExprKind::Literal(_), ExprKind::Field(_)) => (right, left, mirror(op)),
            (ExprKind::Field(_), ExprKind::Field(_)) => return Err(self.refuse(e, "a comparison of two fields")),
            _ => return Err(self.refuse(e, "a comparison of something other than a field with a constant")),
        };
        let field = self.field(field_side, "a comparison")?;
        let ExprKind::Literal(lit) = &literal_side.kind else { return Err(self.refuse(e, "a comparison")) };
        let negate = op == CompareOp::NotEq;
        let positive = match (lit, op) {
            (Literal::Null, CompareOp::Eq | CompareOp::NotEq) => self.pred(e, &field, Test::Null),
            (Literal::String(s), CompareOp::Eq | CompareOp::NotEq) => {
                self.pred(e, &field, Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal(s.clone())] })
            }
            (Literal::Bool(b), CompareOp::Eq | CompareOp::NotEq) => {
                self.pred(e, &field, Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal(b.to_string())] })
            }
            (Literal::Integer(_) | Literal::Float(_), _) => {
                let num_op = match op {
                    CompareOp::Eq | CompareOp::NotEq => NumOp::Eq,
                    CompareOp::Lt => NumOp::Lt,
                    CompareOp::LtEq => NumOp::Lte,
                    CompareOp::Gt => NumOp::Gt,
                    CompareOp::GtEq => NumOp::Gte,
                };
                self.number(e, &field, num_op, lit)?
            }
            (Literal::String(_), _) => return Err(self.refuse(e, "an ordering comparison of strings")),
            (Literal::Null | Literal::Bool(_), _) => return Err(self.refuse(e, "an ordering comparison with `null` or a boolean")),
        };
        Ok(if negate { IrExpr::not(positive) } else { positive })
    }

    /// `cidrMatch(field, "10.0.0.0/8", …)`: Elasticsearch runs it as a terms query on the
    /// (ip-mapped) field, so it is a plain field test, negated as `must_not`.
    fn cidr_match(&self, e: &Expr, args: &[Expr]) -> Result<IrExpr, Diagnostic> {
        let Some((first, rest)) = args.split_first() else { return Err(self.refuse(e, "`cidrMatch` without arguments")) };
        let field = self.field(first, "`cidrMatch` on something other than a field")?;
        let mut networks = Vec::with_capacity(rest.len());
        for a in rest {
            let ExprKind::Literal(Literal::String(text)) = &a.kind else { return Err(self.refuse(a, "a `cidrMatch` network that is not a string")) };
            let network = Network::parse(text).ok_or_else(|| {
                Diagnostic::error(code::FUNCTION, self.source.clone(), a.span.0, format!("`{text}` is not an IP network"))
                    .with_hint("write an address or a CIDR block, as in \"10.0.0.0/8\" or \"::1\"")
            })?;
            networks.push(network);
        }
        Ok(self.pred(e, &field, Test::Cidr { networks }))
    }

    fn number(&self, e: &Expr, field: &str, op: NumOp, lit: &Literal) -> Result<IrExpr, Diagnostic> {
        let value = match lit {
            Literal::Integer(i) if (-EXACT_INTEGER..=EXACT_INTEGER).contains(i) => *i as f64,
            Literal::Integer(_) => return Err(self.refuse(e, "an integer beyond ±2^53 (the IR compares numbers as 64-bit floats)")),
            Literal::Float(x) => *x,
            _ => return Err(self.refuse(e, "a numeric test with a constant that is not a number")),
        };
        Ok(self.pred(e, field, Test::Num { op, value }))
    }

    fn field(&self, e: &Expr, what: &str) -> Result<String, Diagnostic> {
        match &e.kind {
            ExprKind::Field(Field { path, .. }) => Ok(path.join(".")),
            _ => Err(self.refuse(e, what)),
        }
    }

    fn pred(&self, e: &Expr, field: &str, test: Test) -> IrExpr {
        IrExpr::Pred(Predicate { field: IrField::Named(field.to_string()), test, span: e.span.0 })
    }
}

/// The operator with its operands swapped.
fn mirror(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::LtEq => CompareOp::GtEq,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::GtEq => CompareOp::LtEq,
        other => other,
    }
}

/// An EQL wildcard pattern: `*` any run, `?` one character, everything else literal
/// (a backslash included: EQL has no escape for `*` and `?`).
fn wildcards(text: &str) -> StrPattern {
    StrPattern::from_pieces(text.split_inclusive(['*', '?']).flat_map(|chunk| {
        let (literal, wildcard) = match chunk.strip_suffix('*') {
            Some(l) => (l, Some(Piece::AnyRun)),
            None => match chunk.strip_suffix('?') {
                Some(l) => (l, Some(Piece::AnyChar)),
                None => (chunk, None),
            },
        };
        let literal = (!literal.is_empty()).then(|| Piece::Lit(literal.to_string()));
        literal.into_iter().chain(wildcard)
    }))
}
