//! Embeds the built-in rule pack and its sample telemetry (`content/`) into the binary.

use std::fmt::Write as _;
use std::path::Path;

fn list(dir: &Path, exts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)))
                .map(|p| p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let mut code = String::new();
    for (name, sub, exts) in [("RULES", "rules", &["yml", "yaml"][..]), ("SAMPLES", "samples", &["ndjson", "json"][..])] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let files = list(&dir, exts);
        let _ = writeln!(code, "pub const {name}: &[(&str, &str)] = &[");
        for f in &files {
            let path = dir.join(f);
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(code, "    ({f:?}, include_str!({:?})),", path.display().to_string());
        }
        let _ = writeln!(code, "];");
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("content.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
