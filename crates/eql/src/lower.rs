//! Lowering of EQL event queries into the IR, with Elasticsearch's meaning. Plain
//! field-vs-constant tests become literal predicates (which the candidate index reads);
//! everything else (functions, arithmetic, comparisons of computed values, `date` fields,
//! tests on computed operands) becomes a computed expression (`lower_value.rs`), evaluated
//! three-valued by the engine. Nothing is approximated: what cannot be expressed exactly is
//! refused with a diagnostic naming the construct (`eql::not-lowered`).
//!
//! Literal predicates, and to what:
//! - `category where c`: `category_field == category` (case-sensitive, exact) and `c`;
//!   `any where c`: `c`.
//! - `f == "s"`, `f in ("a", "b")`: case-sensitive whole-value string tests, no wildcards;
//!   `in~`: the same, case-insensitive.
//! - `f : "a*"`, `f like~ …`: case-insensitive whole-value wildcard match; `like`:
//!   case-sensitive. Only `*` and `?` are special; a backslash is a literal character.
//! - `f regex "…"`, `regex~`: the Lucene pattern translated into an anchored `regex`-crate
//!   pattern (`regex.rs`); patterns whose meaning depends on Lucene's flags are refused.
//! - `f == 4`, `f < 2.5` …: numeric comparisons of a numeric field (integers within ±2^53,
//!   so the IR's 64-bit float compares them exactly; wider ones are computed exactly).
//! - `f == null` / `f != null`: absent-or-null / present.
//! - `!=`, `not`, `not in` over literal predicates: two-valued negation, so an event
//!   without the field satisfies it (Elasticsearch's `must_not` over a term query).
//! - `cidrMatch(f, "10.0.0.0/8", …)` on a field: the IP value lies in one of the networks
//!   (Elasticsearch runs it as a terms query on the ip field, so it negates like `==`).
//!
//! - `startsWith`/`endsWith`/`stringContains` (and `~`) of a field and a string constant:
//!   prefix/suffix/substring tests (Elasticsearch's prefix and wildcard queries);
//!   `p == true`, `p != false` are `p`, `p == false`, `p != true` are `not p`.
//!
//! Computed expressions are leaves like literal predicates, and `and`/`or`/`not` over
//! leaves are two-valued, as in Elasticsearch: its query translator turns the connectives
//! into a bool query and each other leaf into a script query
//! `multiValueDocValues(doc, field, v -> nullSafeFilter(leaf(v)))`: true when one value of
//! the field makes the leaf true, and a null leaf is false, so `not` over a script leaf
//! holds on a missing field just as `must_not` over a term query does. Three-valued logic
//! is what happens inside one leaf (and in constant folding). Fields go through the schema's aliases (`event.category` → `event_type`) and carry
//! its types (`LowerOptions::schema`).

use vigil_ir::{
    Case, Diagnostic, Expr as IrExpr, Field as IrField, LogSource, Network, NumOp, Piece, Predicate, Rule, RuleMeta, SourceId, Span, StrOp, StrPattern, Test,
    MAX_NESTING,
};

use crate::ast::{CompareOp, EventFilter, Expr, ExprKind, Literal, MatchOp, Query, Statement};
use crate::diagnostics::code;
use crate::lower_value::ValueLowering;
use crate::schema::Schema;

/// Where the lowered query finds what the EQL query leaves implicit.
#[derive(Clone, Debug)]
pub struct LowerOptions {
    /// The field `category where` tests (Elasticsearch's `event_category_field`).
    pub category_field: String,
    /// Field types and aliases (an Elasticsearch mapping); empty: every field is read as the
    /// event holds it.
    pub schema: Schema,
    /// Samples built per join key (Elasticsearch's `max_samples_per_key`).
    pub max_samples_per_key: usize,
}

impl Default for LowerOptions {
    fn default() -> LowerOptions {
        LowerOptions { category_field: "event.category".into(), schema: Schema::default(), max_samples_per_key: 1 }
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

/// Lowers one event filter (`category where condition`): an event query's, or one stage of
/// a sequence or sample.
pub fn lower_filter(source: &SourceId, filter: &EventFilter, options: &LowerOptions) -> Result<IrExpr, Diagnostic> {
    let lowering = Lowering { source, values: ValueLowering { source, schema: &options.schema } };
    let condition = lowering.expr(&filter.condition)?;
    let expr = match &filter.category {
        crate::ast::Category::Any => condition,
        crate::ast::Category::Named(name) => {
            let test = Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal(name.clone())] };
            let field = options.schema.resolve(&options.category_field).to_string();
            let category = IrExpr::Pred(Predicate { field: IrField::Named(field), test, span: filter.span.0 });
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

/// The refusal of a construct the IR cannot express exactly.
pub(crate) fn not_lowered(source: &SourceId, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(code::NOT_LOWERED, source.clone(), span, format!("{what} cannot be lowered into the IR"))
        .with_hint("vigil refuses what it cannot run with Elasticsearch's exact meaning; rewrite the condition without it")
}

struct Lowering<'a> {
    source: &'a SourceId,
    values: ValueLowering<'a>,
}

impl Lowering<'_> {
    fn refuse(&self, e: &Expr, what: &str) -> Diagnostic {
        not_lowered(self.source, e.span.0, what)
    }

    fn expr(&self, e: &Expr) -> Result<IrExpr, Diagnostic> {
        match &e.kind {
            ExprKind::And(operands) => Ok(IrExpr::And(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?)),
            ExprKind::Or(operands) => Ok(IrExpr::Or(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?)),
            // Two-valued over any leaf: a script leaf is already null-safe (see the module doc).
            ExprKind::Not(inner) => Ok(IrExpr::not(self.expr(inner)?)),
            // `p == true`, `p != false`: `p`; `p == false`, `p != true`: `not p` (a bool query
            // over `p`, as Elasticsearch translates it).
            ExprKind::Compare { op: op @ (CompareOp::Eq | CompareOp::NotEq), left, right }
                if boolean_literal(left).or(boolean_literal(right)).is_some() && is_condition(if boolean_literal(left).is_some() { right } else { left }) =>
            {
                let (literal, other) = match boolean_literal(left) {
                    Some(b) => (b, right),
                    None => (boolean_literal(right).unwrap_or(true), left),
                };
                let inner = self.expr(other)?;
                Ok(if literal == (*op == CompareOp::Eq) { inner } else { IrExpr::not(inner) })
            }
            ExprKind::Literal(Literal::Bool(b)) => Ok(IrExpr::Const(*b)),
            ExprKind::Literal(_) => Err(self.refuse(e, "a constant that is not `true` or `false` as a condition")),
            // A field on its own holds where its value is `true` (computed: null does not).
            _ => match self.literal_predicate(e) {
                Err(d) if d.code == code::NOT_LOWERED => self.computed(e),
                other => other,
            },
        }
    }

    /// `e` as a computed leaf. `!=` and `not in` are the negation of the `==` / `in` leaf,
    /// as for literal predicates (`must_not`): a missing field satisfies them.
    fn computed(&self, e: &Expr) -> Result<IrExpr, Diagnostic> {
        let leaf = |value| IrExpr::Compute { value: Box::new(value), span: e.span.0 };
        match &e.kind {
            ExprKind::Compare { op: CompareOp::NotEq, left, right } => {
                let eq = Expr { kind: ExprKind::Compare { op: CompareOp::Eq, left: left.clone(), right: right.clone() }, span: e.span };
                Ok(IrExpr::not(leaf(self.values.value(&eq)?)))
            }
            ExprKind::In { operand, negated: true, insensitive, values } => {
                let positive =
                    Expr { kind: ExprKind::In { operand: operand.clone(), negated: false, insensitive: *insensitive, values: values.clone() }, span: e.span };
                Ok(IrExpr::not(leaf(self.values.value(&positive)?)))
            }
            _ => Ok(leaf(self.values.value(e)?)),
        }
    }

    /// `e` as literal field predicates, or `eql::not-lowered` when it is not one.
    fn literal_predicate(&self, e: &Expr) -> Result<IrExpr, Diagnostic> {
        match &e.kind {
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
                let field = self.field(operand, &format!("`{}` on something other than a field", op.symbol()))?;
                let case = match op {
                    MatchOp::Colon | MatchOp::LikeInsensitive => Case::Insensitive,
                    MatchOp::Like => Case::Sensitive,
                    MatchOp::Regex | MatchOp::RegexInsensitive => {
                        let mut regexes = Vec::with_capacity(patterns.len());
                        for p in patterns {
                            let Literal::String(s) = &p.value else { return Err(self.refuse(e, "`regex` with a constant that is not a string")) };
                            regexes.push(self.values.regex(e, s, *op == MatchOp::RegexInsensitive)?);
                        }
                        return Ok(self.pred(e, &field, Test::Regex { patterns: regexes }));
                    }
                };
                let mut out = Vec::with_capacity(patterns.len());
                for p in patterns {
                    match &p.value {
                        Literal::String(s) => out.push(wildcards(s)),
                        _ => return Err(self.refuse(e, &format!("`{}` with a constant that is not a string", op.symbol()))),
                    }
                }
                Ok(self.pred(e, &field, Test::Str { op: StrOp::Equals, case, patterns: out }))
            }
            ExprKind::Call { name, args, .. } if crate::function::lookup(name).is_some_and(|f| f.name == "cidrMatch") => self.cidr_match(e, args),
            ExprKind::Call { name, insensitive, args } => self.string_query(e, name, *insensitive, args),
            _ => Err(self.refuse(e, "a computed value")),
        }
    }

    fn compare(&self, e: &Expr, op: CompareOp, left: &Expr, right: &Expr) -> Result<IrExpr, Diagnostic> {
        // `"x" == f` is `f == "x"`; `3 < f` is `f > 3`.
        let (field_side, literal_side, op) = match (&left.kind, &right.kind) {
            (ExprKind::Field(_), ExprKind::Literal(_)) => (left, right, op),
            (ExprKind::Literal(_), ExprKind::Field(_)) => (right, left, mirror(op)),
            (ExprKind::Field(a), ExprKind::Field(b)) if self.values.absent(a) || self.values.absent(b) => {
                return Err(self.refuse(e, "a comparison with an optional field the mapping does not have"))
            }
            (ExprKind::Field(_), ExprKind::Field(_)) => {
                return Err(Diagnostic::error(code::UNSUPPORTED, self.source.clone(), e.span.0, "comparisons against fields are not supported")
                    .with_hint("Elasticsearch compares a field only with constants; compare each field with a constant"))
            }
            _ => return Err(self.refuse(e, "a comparison of something other than a field with a constant")),
        };
        let field = self.field(field_side, "a comparison")?;
        let ExprKind::Literal(lit) = &literal_side.kind else { return Err(self.refuse(e, "a comparison")) };
        // Dates, versions and wide longs compare as typed values, computed.
        if matches!(self.values.schema.type_of(&field), vigil_ir::FieldType::Date | vigil_ir::FieldType::Version) {
            return Err(self.refuse(e, "a typed comparison"));
        }
        let negate = op == CompareOp::NotEq;
        // A mapping's `null_value` indexes an explicit null as that value: `== null` then
        // means absent, and `== "NULL"` also holds on an explicit null.
        if let Some(null_value) = self.values.schema.null_value(&field).map(str::to_string) {
            let explicit_null = || IrExpr::And(vec![self.pred(e, &field, Test::Exists(true)), self.pred(e, &field, Test::Null)]);
            let positive = match lit {
                Literal::Null => Some(self.pred(e, &field, Test::Exists(false))),
                Literal::String(s) if *s == null_value && matches!(op, CompareOp::Eq | CompareOp::NotEq) => Some(IrExpr::Or(vec![
                    self.pred(e, &field, Test::Str { op: StrOp::Equals, case: Case::Sensitive, patterns: vec![StrPattern::literal(s.clone())] }),
                    explicit_null(),
                ])),
                _ => None,
            };
            if let Some(positive) = positive {
                return Ok(if negate { IrExpr::not(positive) } else { positive });
            }
        }
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

    /// `startsWith(field, "c")`, `endsWith`, `stringContains` (and `~`) over a field and a
    /// string constant: Elasticsearch runs them as prefix and wildcard queries, so they are
    /// plain field tests, negated as `must_not`.
    fn string_query(&self, e: &Expr, name: &str, insensitive: bool, args: &[Expr]) -> Result<IrExpr, Diagnostic> {
        let op = match crate::function::lookup(name).map(|f| f.name) {
            Some("startsWith") => StrOp::StartsWith,
            Some("endsWith") => StrOp::EndsWith,
            Some("stringContains") => StrOp::Contains,
            _ => return Err(self.refuse(e, &format!("the function `{name}`"))),
        };
        let [first, second] = args else { return Err(self.refuse(e, "a function with other arguments")) };
        let field = self.field(first, "a function of something other than a field")?;
        let ExprKind::Literal(Literal::String(text)) = &second.kind else { return Err(self.refuse(e, "a function of something other than a string constant")) };
        if !matches!(self.values.schema.type_of(&field), vigil_ir::FieldType::Unknown | vigil_ir::FieldType::Keyword | vigil_ir::FieldType::Text) {
            return Err(self.refuse(e, "a string function of a typed field"));
        }
        let case = if insensitive { Case::Insensitive } else { Case::Sensitive };
        Ok(self.pred(e, &field, Test::Str { op, case, patterns: vec![StrPattern::literal(text.clone())] }))
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
            // Strictly inside ±2^53: an event integer beyond it reads as a float at or past
            // ±2^53, so it can never equal (or order wrongly against) the literal.
            Literal::Integer(i) if (-EXACT_INTEGER + 1..EXACT_INTEGER).contains(i) => *i as f64,
            Literal::Integer(_) => return Err(self.refuse(e, "an integer beyond ±2^53 (the IR compares numbers as 64-bit floats)")),
            Literal::Float(x) => *x,
            _ => return Err(self.refuse(e, "a numeric test with a constant that is not a number")),
        };
        Ok(self.pred(e, field, Test::Num { op, value }))
    }

    fn field(&self, e: &Expr, what: &str) -> Result<String, Diagnostic> {
        match &e.kind {
            ExprKind::Field(f) if self.values.absent(f) => Err(self.refuse(e, "an optional field the mapping does not have (the constant null)")),
            ExprKind::Field(f) => Ok(self.values.field(f).name),
            _ => Err(self.refuse(e, what)),
        }
    }

    fn pred(&self, e: &Expr, field: &str, test: Test) -> IrExpr {
        IrExpr::Pred(Predicate { field: IrField::Named(field.to_string()), test, span: e.span.0 })
    }
}

/// The value of a `true`/`false` literal.
fn boolean_literal(e: &Expr) -> Option<bool> {
    match e.kind {
        ExprKind::Literal(Literal::Bool(b)) => Some(b),
        _ => None,
    }
}

/// True for an expression that is a condition (a test, a boolean function, a connective).
fn is_condition(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Compare { .. } | ExprKind::In { .. } | ExprKind::Match { .. } | ExprKind::Not(_) | ExprKind::And(_) | ExprKind::Or(_) => true,
        ExprKind::Call { name, .. } => {
            crate::function::lookup(name).is_some_and(|f| matches!(f.name, "cidrMatch" | "startsWith" | "endsWith" | "stringContains"))
        }
        _ => false,
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
pub(crate) fn wildcards(text: &str) -> StrPattern {
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
