//! Fuzzes event extraction and evaluation: any bytes as a JSON record must give a value or an
//! error, never a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vigil_engine::{Program, Scratch};

fn program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let rule = "title: t\nlogsource: {product: test}\ndetection:\n  a:\n    Image|endswith: '\\\\cmd.exe'\n    N|gt: 3\n  b:\n    - x\n  c:\n    Ip|cidr: 10.0.0.0/8\n  condition: a or b or c\n";
        let loaded = vigil_sigma::load_str(Arc::from("r.yml"), rule, &vigil_sigma::LoadOptions::default());
        let pipeline = vigil_pipeline::builtin("none").and_then(Result::ok).unwrap_or_default();
        let mapped = vigil_pipeline::apply_all(&loaded.rules, &pipeline);
        Program::compile(mapped.rules, &mapped.timestamp_fields).0
    })
}

fuzz_target!(|data: &[u8]| {
    let program = program();
    let mut view = program.new_view();
    if vigil_events::extract(data, &program.fields, &mut view).is_ok() {
        let mut out = Vec::new();
        program.matches(&view, None, &mut Scratch::default(), &mut out);
    }
});
