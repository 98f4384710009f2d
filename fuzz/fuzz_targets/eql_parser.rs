//! Fuzzes the EQL front end: lexing, parsing, the function check and rendering diagnostics
//! must never panic, and every accepted query must print to text that parses back to an
//! equal tree.
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
        }
        Err(d) => {
            let _ = d.render(Some(text));
        }
    }
});
