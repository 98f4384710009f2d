//! The registry of Elasticsearch's EQL functions, one line each, and the check of calls
//! against it: the name (resolved case-insensitively), the `~` form where one exists, and
//! the number of arguments. Evaluation is not here; it comes with the engine.

use vigil_ir::{Diagnostic, SourceId};

use crate::ast::{Expr, ExprKind, Statement};
use crate::diagnostics::code;

/// One function: its name as documented, whether `name~` exists, and its argument counts.
pub struct Function {
    pub name: &'static str,
    pub insensitive_form: bool,
    pub min_args: usize,
    /// `None`: any number from `min_args` up.
    pub max_args: Option<usize>,
}

const fn function(name: &'static str, insensitive_form: bool, min_args: usize, max_args: Option<usize>) -> Function {
    Function { name, insensitive_form, min_args, max_args }
}

/// Every function Elasticsearch's EQL has.
pub const FUNCTIONS: [Function; 16] = [
    function("add", false, 2, Some(2)),
    function("between", true, 3, Some(4)),
    function("cidrMatch", false, 2, None),
    function("concat", false, 1, None),
    function("divide", false, 2, Some(2)),
    function("endsWith", true, 2, Some(2)),
    function("indexOf", true, 2, Some(3)),
    function("length", false, 1, Some(1)),
    function("modulo", false, 2, Some(2)),
    function("multiply", false, 2, Some(2)),
    function("number", false, 1, Some(2)),
    function("startsWith", true, 2, Some(2)),
    function("string", false, 1, Some(1)),
    function("stringContains", true, 2, Some(2)),
    function("substring", false, 2, Some(3)),
    function("subtract", false, 2, Some(2)),
];

/// The function a name resolves to (names are case-insensitive: `startswith` is `startsWith`).
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Checks every call in the statement; the first bad call is the error.
pub fn check_statement(source: &SourceId, statement: &Statement) -> Result<(), Diagnostic> {
    let mut exprs: Vec<&Expr> = Vec::new();
    for filter in statement.query.filters() {
        exprs.push(&filter.condition);
    }
    match &statement.query {
        crate::ast::Query::Sequence(s) => {
            exprs.extend(&s.by);
            exprs.extend(s.terms.iter().chain(&s.until).flat_map(|t| &t.by));
        }
        crate::ast::Query::Sample(s) => {
            exprs.extend(&s.by);
            exprs.extend(s.terms.iter().flat_map(|t| &t.by));
        }
        crate::ast::Query::Event(_) => {}
    }
    // An explicit stack: the walk needs no recursion.
    while let Some(e) = exprs.pop() {
        match &e.kind {
            ExprKind::Literal(_) | ExprKind::Field(_) => {}
            ExprKind::Call { name, insensitive, args } => {
                check_call(source, e, name, *insensitive, args.len())?;
                exprs.extend(args);
            }
            ExprKind::Unary { operand, .. } | ExprKind::Not(operand) | ExprKind::Match { operand, .. } => exprs.push(operand),
            ExprKind::Arith { left, right, .. } | ExprKind::Compare { left, right, .. } => {
                exprs.push(left);
                exprs.push(right);
            }
            ExprKind::In { operand, values, .. } => {
                exprs.push(operand);
                exprs.extend(values);
            }
            ExprKind::And(operands) | ExprKind::Or(operands) => exprs.extend(operands),
        }
    }
    Ok(())
}

fn check_call(source: &SourceId, e: &Expr, name: &str, insensitive: bool, count: usize) -> Result<(), Diagnostic> {
    let span = e.span.0;
    let Some(f) = lookup(name) else {
        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        return Err(Diagnostic::error(code::FUNCTION, source.clone(), span, format!("unknown function `{name}`"))
            .with_hint(format!("Elasticsearch's EQL functions are {}", names.join(", "))));
    };
    if insensitive && !f.insensitive_form {
        return Err(Diagnostic::error(code::FUNCTION, source.clone(), span, format!("`{name}` has no case-insensitive `~` form"))
            .with_hint(format!("call `{}(…)` without `~`", f.name)));
    }
    let too_few = count < f.min_args;
    let too_many = f.max_args.is_some_and(|max| count > max);
    if too_few || too_many {
        let expected = match f.max_args {
            Some(max) if max == f.min_args => format!("{max}"),
            Some(max) => format!("{} to {max}", f.min_args),
            None => format!("at least {}", f.min_args),
        };
        return Err(Diagnostic::error(
            code::FUNCTION,
            source.clone(),
            span,
            format!("`{}` takes {expected} argument{}, found {count}", f.name, if expected == "1" { "" } else { "s" }),
        )
        .with_hint(format!("see the `{}` reference in the Elasticsearch EQL function docs", f.name)));
    }
    Ok(())
}
