//! The generic printer: walks a rule's boolean tree once for every target and asks the
//! target's [`Dialect`] for each predicate, adding only the parentheses precedence needs.

use vigil_ir::{Case, Diagnostic, Expr, Field, Piece, Predicate, Rule, RuleBody, StrOp, StrPattern, Test};

use crate::dialect::{Construct, Context, Dialect, Emitted, ListPattern, Options, Precedence, Refusal};
use crate::target::Target;

/// Prints one rule (already mapped by its pipeline) as a query of `target`, or says why not.
pub fn emit_rule(rule: &Rule, target: Target, options: &Options) -> Result<String, Diagnostic> {
    if target == Target::Sigma {
        return crate::sigma::print(rule, None);
    }
    emit_with(rule, target.dialect(), options)
}

/// [`emit_rule`] with an explicit dialect.
pub fn emit_with(rule: &Rule, dialect: &dyn Dialect, options: &Options) -> Result<String, Diagnostic> {
    let expr = match &rule.body {
        RuleBody::Detection(expr) => expr,
        RuleBody::Sequence(_) => {
            let refusal = Refusal::new(Construct::Correlation, "sequence and sample rules need state across events, which a single query does not keep")
                .with_hint("convert the stages one by one, and join them in the target");
            return Err(diagnostic(rule, dialect, rule.span, refusal));
        }
        RuleBody::Correlation(_) => {
            // vigil's windows open at a group's first event (tumbling) or slide and start over
            // after each alert; clock-aligned buckets (`bin`, `BUCKET`, `summarize … bin()`)
            // and running statistics without that restart return other alerts.
            let refusal = Refusal::new(
                Construct::Correlation,
                "correlation windows open at a group's first event or slide and start over after each alert, which this target's aggregations (clock-aligned buckets, running statistics) do not reproduce exactly",
            )
            .with_hint("convert to sql or duckdb (one statement returning the same alerts), or run the correlation with vigil hunt");
            return Err(diagnostic(rule, dialect, rule.span, refusal));
        }
    };
    Ok(dialect.statement(&condition(rule, expr, dialect)?, options))
}

/// The condition of a detection rule as `dialect` prints it (what its statement tests).
pub(crate) fn condition(rule: &Rule, expr: &Expr, dialect: &dyn Dialect) -> Result<String, Diagnostic> {
    // Every recursive walk relies on the IR's depth bound; pipelines may have added levels.
    rule.check_depth()?;
    Ok(print(expr, dialect, Context::default()).map_err(|(span, refusal)| diagnostic(rule, dialect, span, refusal))?.text)
}

pub(crate) fn diagnostic(rule: &Rule, dialect: &dyn Dialect, span: vigil_ir::Span, refusal: Refusal) -> Diagnostic {
    let message = format!("rule `{}` ({}) cannot be converted to {}: {}", rule.meta.title, rule.meta.handle(), dialect.name(), refusal.message);
    let d = Diagnostic::error(dialect.code(refusal.construct), rule.source.clone(), span, message);
    match refusal.hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

type Failure = (vigil_ir::Span, Refusal);

fn print(expr: &Expr, d: &dyn Dialect, ctx: Context) -> Result<Emitted, Failure> {
    Ok(match expr {
        Expr::And(items) if items.is_empty() => Emitted::atom(d.constant(true)),
        Expr::Or(items) if items.is_empty() => Emitted::atom(d.constant(false)),
        Expr::And(items) => join(items, d, ctx, d.and(), Precedence::And)?,
        Expr::Or(items) => join(items, d, ctx, d.or(), Precedence::Or)?,
        Expr::Not(inner) => {
            let inner = print(inner, d, Context { negated: true })?;
            Emitted::atom(d.not(&inner.text))
        }
        Expr::Named { expr, .. } => print(expr, d, ctx)?,
        Expr::Const(value) => Emitted::atom(d.constant(*value)),
        Expr::Pred(p) => predicate(p, d, ctx).map_err(|r| (p.span, r))?,
        // Sigma's `|fieldref` is a computed comparison of two fields; targets print it as
        // their field comparison, as before it was one.
        Expr::Compute { value, span } if value.as_field_ref().is_some() => field_ref(value, d, ctx).map_err(|r| (*span, r))?,
        Expr::Compute { span, .. } => {
            return Err((*span, Refusal::new(Construct::Expression, "a computed expression (functions, arithmetic, comparisons of computed values)")));
        }
    })
}

fn join(items: &[Expr], d: &dyn Dialect, ctx: Context, op: &str, precedence: Precedence) -> Result<Emitted, Failure> {
    if let [only] = items {
        return print(only, d, ctx);
    }
    let parts = items.iter().map(|e| print(e, d, ctx)).collect::<Result<Vec<_>, _>>()?;
    Ok(Emitted::join(parts, op, precedence))
}

fn field_ref(value: &vigil_ir::Value, d: &dyn Dialect, ctx: Context) -> Result<Emitted, Refusal> {
    let Some(parts) = value.as_field_ref() else { return Err(Refusal::new(Construct::Expression, "a computed expression")) };
    if parts.field.split('.').any(|segment| segment == "*") {
        let name = parts.field;
        return Err(Refusal::new(Construct::FieldPattern, format!("field `{name}` has a `*` path segment (any child), which names no single column or field"))
            .with_hint("use a pipeline that maps the field to concrete names"));
    }
    d.field_ref(parts.field, parts.op, parts.case, parts.other, ctx)
}

fn predicate(p: &Predicate, d: &dyn Dialect, ctx: Context) -> Result<Emitted, Refusal> {
    let field = match &p.field {
        Field::Named(name) if name.split('.').any(|segment| segment == "*") => {
            return Err(Refusal::new(
                Construct::FieldPattern,
                format!("field `{name}` has a `*` path segment (any child), which names no single column or field"),
            )
            .with_hint("use a pipeline that maps the field to concrete names"));
        }
        Field::Named(name) => name.as_str(),
        Field::Keyword => {
            return match &p.test {
                Test::Str { patterns, .. } if patterns.iter().any(|pat| pat.placeholders().next().is_some()) => {
                    Err(Refusal::new(Construct::Placeholder, "a keyword search over a value list (`%name%` without a field) names no field to compare")
                        .with_hint("name the field the values are expected in"))
                }
                Test::Str { op, case, patterns } => d.keyword(*op, *case, patterns, ctx),
                _ => Err(Refusal::new(Construct::Keyword, "a keyword search that is not a string comparison")),
            }
        }
    };
    match &p.test {
        Test::Str { op, case, patterns } if patterns.iter().any(|pat| pat.placeholders().next().is_some()) => lists(field, *op, *case, patterns, d, ctx),
        Test::Str { op, case, patterns } => d.string(field, *op, *case, patterns, ctx),
        Test::Regex { patterns } => d.regex(field, patterns, ctx),
        Test::Cidr { networks } => d.cidr(field, networks, ctx),
        Test::Num { op, value } => d.number(field, *op, *value, ctx),
        Test::Exists(present) => d.exists(field, *present, ctx),
        Test::Null => d.null(field, ctx),
        Test::Time { part, values } => d.time_part(field, *part, values, ctx),
    }
}

/// A string comparison some of whose patterns hold a placeholder: the plain patterns as one
/// comparison, each placeholder pattern as a test against its value list, any of them.
fn lists(field: &str, op: StrOp, case: Case, patterns: &[StrPattern], d: &dyn Dialect, ctx: Context) -> Result<Emitted, Refusal> {
    let (listed, plain): (Vec<&StrPattern>, Vec<&StrPattern>) = patterns.iter().partition(|pat| pat.placeholders().next().is_some());
    let mut parts = Vec::with_capacity(listed.len() + 1);
    if !plain.is_empty() {
        let plain: Vec<StrPattern> = plain.into_iter().cloned().collect();
        parts.push(d.string(field, op, case, &plain, ctx)?);
    }
    for pattern in listed {
        parts.push(d.placeholder(field, op, case, &split_list(pattern)?, ctx)?);
    }
    Ok(Emitted::any(d, parts))
}

/// The pattern split around its one placeholder; two placeholders in one value (a product of
/// two lists) are refused.
fn split_list(pattern: &StrPattern) -> Result<ListPattern, Refusal> {
    let names: Vec<&str> = pattern.placeholders().collect();
    if let [first, second, ..] = names.as_slice() {
        return Err(Refusal::new(Construct::Placeholder, format!("`{pattern}` joins two value lists (`%{first}%`, `%{second}%`) in one value"))
            .with_hint("resolve the placeholders with a pipeline's `vars` and a `value_placeholders` transformation"));
    }
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut name = None;
    for piece in pattern.pieces() {
        match (piece, &name) {
            (Piece::Placeholder(n), _) => name = Some(n.clone()),
            (_, None) => before.push(piece.clone()),
            (_, Some(_)) => after.push(piece.clone()),
        }
    }
    Ok(ListPattern { name: name.unwrap_or_default(), before: StrPattern::from_pieces(before), after: StrPattern::from_pieces(after) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_pattern_is_split_around_its_one_placeholder() {
        let pattern = StrPattern::from_pieces([Piece::AnyRun, Piece::Lit("run ".into()), Piece::Placeholder("tools".into()), Piece::Lit(" -x".into())]);
        let list = split_list(&pattern).unwrap();
        assert_eq!(list.name, "tools");
        assert_eq!(list.before, StrPattern::from_pieces([Piece::AnyRun, Piece::Lit("run ".into())]));
        assert_eq!(list.after, StrPattern::literal(" -x"));
        let two = StrPattern::from_pieces([Piece::Placeholder("a".into()), Piece::Placeholder("b".into())]);
        assert_eq!(split_list(&two).unwrap_err().construct, Construct::Placeholder);
    }
}
