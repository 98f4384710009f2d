//! The generic printer: walks a rule's boolean tree once for every target and asks the
//! target's [`Dialect`] for each predicate, adding only the parentheses precedence needs.

use vigil_ir::{Diagnostic, Expr, Field, Predicate, Rule, RuleBody, Test};

use crate::dialect::{Construct, Context, Dialect, Emitted, Options, Precedence, Refusal};
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
            let refusal = Refusal::new(Construct::Correlation, "correlation rules need state across events, which a single query does not keep")
                .with_hint("convert the rules the correlation refers to, and aggregate in the target");
            return Err(diagnostic(rule, dialect, rule.span, refusal));
        }
    };
    // Every recursive walk relies on the IR's depth bound; pipelines may have added levels.
    rule.check_depth()?;
    let condition = print(expr, dialect, Context::default()).map_err(|(span, refusal)| diagnostic(rule, dialect, span, refusal))?;
    Ok(dialect.statement(&condition.text, options))
}

fn diagnostic(rule: &Rule, dialect: &dyn Dialect, span: vigil_ir::Span, refusal: Refusal) -> Diagnostic {
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
                Test::Str { op, case, patterns } => d.keyword(*op, *case, patterns, ctx),
                _ => Err(Refusal::new(Construct::Keyword, "a keyword search that is not a string comparison")),
            }
        }
    };
    match &p.test {
        Test::Str { op, case, patterns } => {
            if let Some(name) = patterns.iter().flat_map(|pat| pat.placeholders()).next() {
                return Err(Refusal::new(Construct::Placeholder, format!("placeholder `%{name}%` has no values"))
                    .with_hint("resolve it with a pipeline's `vars` and a `value_placeholders` transformation"));
            }
            d.string(field, *op, *case, patterns, ctx)
        }
        Test::Regex { patterns } => d.regex(field, patterns, ctx),
        Test::Cidr { networks } => d.cidr(field, networks, ctx),
        Test::Num { op, value } => d.number(field, *op, *value, ctx),
        Test::Exists(present) => d.exists(field, *present, ctx),
        Test::Null => d.null(field, ctx),
        Test::Time { part, values } => d.time_part(field, *part, values, ctx),
    }
}
