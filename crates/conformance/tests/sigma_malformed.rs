#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! The malformed-rule corpus (`testdata/sigma-malformed/`): every file is read as `vigil`
//! reads a rule file (bytes, then UTF-8 decoding, then each document on its own) and must
//! be diagnosed where its first-line comment says, without a panic:
//! - `# expect-line: N  reason`: refused with an error on line N (with a column);
//! - `# expect: L:C  reason`: refused with an error at line L, column C;
//! - `# expect-warning: L:C  reason`: loads, with a warning at L:C (duplicate ids included);
//! - an optional second line `# expect-loaded: N` pins how many documents still load.
//!
//! Files that cannot hold a comment (the empty file) are listed in `no-header.tsv`.

use std::sync::Arc;

use vigil_conformance::root;
use vigil_ir::{Diagnostic, Severity};
use vigil_sigma::{duplicate_ids, link, load_str, LoadOptions};

/// What a corpus file must produce.
#[derive(Debug)]
enum Expect {
    ErrorOnLine(u32),
    Error(u32, u32),
    Warning(u32, u32),
}

fn position(text: &str) -> Option<(u32, u32)> {
    let (line, col) = text.split_once(':')?;
    Some((line.parse().ok()?, col.parse().ok()?))
}

fn parse_header(first: &str) -> Option<Expect> {
    let (kind, rest) = first.strip_prefix("# ")?.split_once(": ")?;
    let at = rest.split_whitespace().next()?;
    match kind {
        "expect-line" => at.parse().ok().map(Expect::ErrorOnLine),
        "expect" => position(at).map(|(l, c)| Expect::Error(l, c)),
        "expect-warning" => position(at).map(|(l, c)| Expect::Warning(l, c)),
        _ => None,
    }
}

/// Loads one file the way the CLI does; returns errors, warnings and the number of loaded
/// documents.
fn load(name: &str, bytes: &[u8]) -> (Vec<Diagnostic>, Vec<Diagnostic>, usize) {
    let source: Arc<str> = Arc::from(name);
    let text = match vigil_yaml::decode(&source, bytes) {
        Ok(text) => text,
        Err(d) => return (vec![d], Vec::new(), 0),
    };
    let mut loaded = load_str(source, text, &LoadOptions::default());
    let mut errors = std::mem::take(&mut loaded.errors);
    let mut warnings = std::mem::take(&mut loaded.warnings);
    warnings.extend(duplicate_ids(&loaded.ids));
    let linked = link(&mut loaded.rules, &loaded.filters);
    errors.extend(linked.iter().filter(|d| d.severity == Severity::Error).cloned());
    warnings.extend(linked.into_iter().filter(|d| d.severity == Severity::Warning));
    (errors, warnings, loaded.rules.len() + loaded.filters.len())
}

#[test]
fn every_malformed_rule_is_diagnosed_at_its_position() {
    let dir = root().join("testdata/sigma-malformed");
    let no_header: std::collections::BTreeMap<String, String> = std::fs::read_to_string(dir.join("no-header.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(f, rest)| (f.to_string(), rest.to_string())))
        .collect();
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "yml")).collect();
    files.sort();
    assert!(files.len() >= 160, "only {} malformed rules", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let mut header = bytes.split(|&b| b == b'\n').map(String::from_utf8_lossy);
        let first = header.next().unwrap_or_default().to_string();
        let second = header.next().unwrap_or_default().to_string();
        let expect = match no_header.get(&name) {
            Some(line) => parse_header(&format!("# expect: {line}")),
            None => parse_header(&first),
        };
        let Some(expect) = expect else {
            problems.push(format!("{name}: first line must be `# expect-line: N  reason`, `# expect: L:C  reason` or `# expect-warning: L:C  reason`"));
            continue;
        };
        let loaded = std::panic::catch_unwind(|| load(&name, &bytes));
        let Ok((errors, warnings, loaded)) = loaded else {
            problems.push(format!("{name}: the loader panicked"));
            continue;
        };
        let show = |ds: &[Diagnostic]| ds.iter().map(|d| format!("{}: {}", d.span, d.message)).collect::<Vec<_>>();
        match expect {
            Expect::ErrorOnLine(line) if !errors.iter().any(|d| d.span.line == line) => {
                problems.push(format!("{name}: expected an error on line {line}, got {:?}", show(&errors)));
            }
            Expect::Error(line, col) if !errors.iter().any(|d| (d.span.line, d.span.col) == (line, col)) => {
                problems.push(format!("{name}: expected an error at {line}:{col}, got {:?}", show(&errors)));
            }
            Expect::Warning(line, col) => {
                if !errors.is_empty() {
                    problems.push(format!("{name}: expected to load, got {:?}", show(&errors)));
                }
                if !warnings.iter().any(|d| (d.span.line, d.span.col) == (line, col)) {
                    problems.push(format!("{name}: expected a warning at {line}:{col}, got {:?}", show(&warnings)));
                }
            }
            _ => {}
        }
        if errors.iter().any(|d| d.span.col == 0) {
            problems.push(format!("{name}: a diagnostic has no column"));
        }
        if let Some(n) = second.strip_prefix("# expect-loaded: ").and_then(|n| n.trim().parse::<usize>().ok()) {
            if loaded != n {
                problems.push(format!("{name}: expected {n} document(s) to load, {loaded} did; errors {:?}", show(&errors)));
            }
        }
        // The rendering never panics and shows the position.
        let text = String::from_utf8_lossy(&bytes);
        for d in errors.iter().chain(&warnings) {
            let rendered = d.render(Some(&text));
            assert!(rendered.contains(&format!("{name}:{}:{}", d.span.line, d.span.col)), "{rendered}");
        }
    }
    assert!(problems.is_empty(), "{} of {} files:\n{}", problems.len(), files.len(), problems.join("\n"));
}
