//! Events generated from a rule's IR, for differential tests of emitters: for each way the
//! rule can match, a positive event, and events that narrowly miss (a field missing, the
//! value with a character more or less, another case, a number written differently), so a
//! comparison with a real engine is not vacuous. Generation is bounded per rule.

use std::collections::BTreeMap;

use vigil_ir::{Case, Expr, Field, NumOp, Piece, Predicate, StrOp, StrPattern, Test};

/// Field values of a generated event: `None` is an absent field.
pub type Assignment = BTreeMap<String, Option<String>>;

/// At most this many ways to satisfy one sub-expression are kept.
const MAX_WITNESSES: usize = 6;

/// Positive assignments for `expr` (events that should satisfy it), then the narrow
/// variants of each (which may or may not satisfy it: the engines decide).
pub fn events_for(expr: &Expr) -> Vec<Assignment> {
    let positives = witnesses(expr);
    let mut out = positives.clone();
    for p in &positives {
        for (field, value) in p {
            let mut absent = p.clone();
            absent.insert(field.clone(), None);
            out.push(absent);
            if let Some(v) = value {
                for variant in variants(v) {
                    let mut e = p.clone();
                    e.insert(field.clone(), Some(variant));
                    out.push(e);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Values a character away from `v`, and `v` in other cases and spellings.
fn variants(v: &str) -> Vec<String> {
    let mut out =
        vec![format!("x{v}"), format!("{v}x"), v.to_uppercase(), v.to_lowercase(), format!(" {v} "), format!("0{v}"), format!("{v}.0"), format!("+{v}")];
    let mut chars = v.chars();
    chars.next();
    out.push(chars.as_str().to_string());
    let mut chars = v.chars();
    chars.next_back();
    out.push(chars.as_str().to_string());
    // Characters whose Unicode lower case is ASCII: Sigma folds them, SQLite's LIKE does not.
    out.push(v.replace(['k', 'K'], "\u{212A}"));
    out.push(v.replace(['i', 'I'], "\u{0130}"));
    out.retain(|x| x != v);
    out
}

fn witnesses(expr: &Expr) -> Vec<Assignment> {
    let mut out = match expr {
        Expr::Pred(p) => predicate(p),
        Expr::Named { expr, .. } => witnesses(expr),
        // A computed expression gives no field assignment to start from.
        Expr::Const(_) | Expr::Compute { .. } => vec![Assignment::new()],
        Expr::Or(items) => items.iter().flat_map(witnesses).collect(),
        // Sigma's `not` holds on missing fields: the empty event, and the inner positives
        // (which the narrow variants then perturb).
        Expr::Not(inner) => std::iter::once(Assignment::new()).chain(witnesses(inner)).collect(),
        Expr::And(items) => {
            let children: Vec<Vec<Assignment>> = items.iter().map(witnesses).collect();
            let base: Option<Assignment> = children.iter().try_fold(Assignment::new(), |acc, c| merge(&acc, c.first()?));
            let mut out: Vec<Assignment> = base.iter().cloned().collect();
            for (i, child) in children.iter().enumerate() {
                for alt in child.iter().skip(1) {
                    let merged = children.iter().enumerate().try_fold(Assignment::new(), |acc, (j, c)| merge(&acc, if i == j { alt } else { c.first()? }));
                    out.extend(merged);
                }
            }
            out
        }
    };
    out.truncate(MAX_WITNESSES);
    out
}

/// Both assignments at once, or `None` when they disagree on a field.
fn merge(a: &Assignment, b: &Assignment) -> Option<Assignment> {
    let mut out = a.clone();
    for (k, v) in b {
        match out.get(k) {
            Some(old) if old != v => return None,
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Some(out)
}

fn predicate(p: &Predicate) -> Vec<Assignment> {
    let Field::Named(field) = &p.field else { return Vec::new() };
    let one = |v: Option<String>| Assignment::from([(field.clone(), v)]);
    match &p.test {
        Test::Str { op, case, patterns } => patterns
            .iter()
            .take(3)
            .flat_map(|pat| {
                let text = instantiate(pat, *op);
                let mut values = vec![text.clone()];
                if *case == Case::Insensitive {
                    values.push(text.to_uppercase());
                }
                values
            })
            .map(|v| one(Some(v)))
            .collect(),
        Test::Num { op, value } => {
            let v = match op {
                NumOp::Eq => *value,
                NumOp::Lt | NumOp::Lte => value - 1.0,
                NumOp::Gt | NumOp::Gte => value + 1.0,
            };
            vec![one(Some(format!("{v}")))]
        }
        Test::Null => vec![one(None)],
        Test::Exists(true) => vec![one(Some(String::new()))],
        Test::Exists(false) => vec![one(None)],
        Test::Cidr { networks } => networks.iter().take(3).map(|n| one(Some(n.addr.to_string()))).collect(),
        Test::Regex { .. } | Test::Time { .. } => Vec::new(),
    }
}

/// A value `pattern` matches under `op`: wildcards filled (`*` with a run, `?` with one
/// character), and text around it when placement allows.
fn instantiate(pattern: &StrPattern, op: StrOp) -> String {
    let mut out = String::new();
    if matches!(op, StrOp::Contains | StrOp::EndsWith) {
        out.push_str("Ab");
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => out.push_str(t),
            Piece::AnyRun => out.push_str("zZ"),
            Piece::AnyChar => out.push('q'),
            Piece::Placeholder(_) => {}
        }
    }
    if matches!(op, StrOp::Contains | StrOp::StartsWith) {
        out.push_str("cD");
    }
    out
}
