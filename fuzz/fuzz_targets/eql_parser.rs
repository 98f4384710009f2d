//! Fuzzes the EQL front end: lexing, parsing, the function check and rendering diagnostics
//! must never panic, and every accepted query must print to text that parses back to an
//! equal tree. Every event filter of an accepted query is lowered, and every computed
//! expression it lowers to is evaluated over an empty event (constant folding): neither
//! may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source: vigil_ir::SourceId = Arc::from("fuzz.eql");
    match vigil_eql::parse_checked(&source, text) {
        Ok(ast) => {
            let printed = ast.to_string();
            match vigil_eql::parse_checked(&source, &printed) {
                Ok(again) => assert!(again == ast, "round trip changed the tree:\n{text}\n---\n{printed}"),
                Err(d) => panic!("printed form does not parse: {}\n{printed}", d.render(Some(&printed))),
            }
            for filter in ast.query.filters() {
                match vigil_eql::lower::lower_filter(&source, filter, &vigil_eql::lower::LowerOptions::default()) {
                    Ok(expr) => fold_all(&expr),
                    Err(d) => {
                        let _ = d.render(Some(text));
                    }
                }
            }
        }
        Err(d) => {
            let _ = d.render(Some(text));
        }
    }
});

/// Folds every computed expression of a lowered filter.
fn fold_all(expr: &vigil_ir::Expr) {
    match expr {
        vigil_ir::Expr::Compute { value, .. } => {
            let _ = vigil_engine::compute::fold(value);
        }
        vigil_ir::Expr::And(items) | vigil_ir::Expr::Or(items) => items.iter().for_each(fold_all),
        vigil_ir::Expr::Not(inner) | vigil_ir::Expr::Named { expr: inner, .. } => fold_all(inner),
        vigil_ir::Expr::Pred(_) | vigil_ir::Expr::Const(_) => {}
    }
}
