#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The malformed-rule corpus (`testdata/sigma-malformed/`): every file must be refused with
//! a diagnostic on the line its first-line comment names (`# expect-line: N reason`), with a
//! column, and the loader must not panic.

use std::sync::Arc;

use vigil_conformance::root;
use vigil_sigma::{link, load_str, LoadOptions};

#[test]
fn every_malformed_rule_is_diagnosed_on_its_line() {
    let dir = root().join("testdata/sigma-malformed");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "yml")).collect();
    files.sort();
    assert!(files.len() >= 100, "only {} malformed rules", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let expected: u32 = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-line:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect-line: N reason`"));
        let loaded = std::panic::catch_unwind(|| load_str(Arc::from(name.as_str()), &text, &LoadOptions::default()));
        let Ok(mut loaded) = loaded else {
            problems.push(format!("{name}: the loader panicked"));
            continue;
        };
        let mut diagnostics = std::mem::take(&mut loaded.errors);
        diagnostics.extend(link(&mut loaded.rules, &loaded.filters).into_iter().filter(|d| d.severity == vigil_ir::Severity::Error));
        if diagnostics.is_empty() {
            problems.push(format!("{name}: accepted"));
            continue;
        }
        if diagnostics.iter().any(|d| d.span.col == 0) {
            problems.push(format!("{name}: a diagnostic has no column"));
        }
        if !diagnostics.iter().any(|d| d.span.line == expected) {
            let got: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.span, d.message)).collect();
            problems.push(format!("{name}: expected a diagnostic on line {expected}, got {got:?}"));
        }
        // The rendering never panics and shows the position.
        for d in &diagnostics {
            let rendered = d.render(Some(&text));
            assert!(rendered.contains(&format!("{name}:{}:{}", d.span.line, d.span.col)), "{rendered}");
        }
    }
    assert!(problems.is_empty(), "{} of {} files:\n{}", problems.len(), files.len(), problems.join("\n"));
}
