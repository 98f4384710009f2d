//! Fuzzes the Sigma loader end to end: YAML, lowering, linking, compiling and rendering
//! diagnostics must never panic, whatever the input.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut loaded = vigil_sigma::load_str(Arc::from("fuzz.yml"), text, &vigil_sigma::LoadOptions::default());
    for d in loaded.errors.iter().chain(&loaded.warnings) {
        let _ = d.render(Some(text));
    }
    let _ = vigil_sigma::link(&mut loaded.rules, &loaded.filters);
    if let Some(Ok(pipeline)) = vigil_pipeline::builtin("evtx") {
        let mapped = vigil_pipeline::apply_all(&loaded.rules, &pipeline);
        let _ = vigil_engine::Program::compile(mapped.rules, &mapped.timestamp_fields);
    }
});
