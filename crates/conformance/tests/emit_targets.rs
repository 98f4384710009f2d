#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The query-language targets without an engine here (`esql`, `lucene`, `kql`, `spl`,
//! `sumo`), each through its default pipeline: per target, the rules of SigmaHQ it emits
//! and refuses (`testdata/emit-<target>-refusals.tsv`; whole corpus:
//! `emit-<target>-refusals-corpus.tsv`, from the ignored test), the text of ~50
//! representative rules (`testdata/emit-<target>-snapshots.txt`), and checks every emitted
//! query must pass: each regular expression printed in the portable flavour compiles
//! (`regex` reads the RE2/PCRE/Java subset it uses), and means what the rule's own
//! pattern means on the rule's generated events. `VIGIL_BLESS=1` rewrites the files;
//! `scripts/emit_parse_check.sh` parses the emitted KQL with Microsoft's Kusto.Language (npm),
//! the ES|QL with Elasticsearch's grammar (esql-parser, PyPI) and the Lucene with luqum (PyPI).

use vigil_conformance::emit_harness::{expect_file, load_rules, EmitSuite};
use vigil_conformance::{pipeline, sigma_data, sigma_testdata, SigmaData};
use vigil_emit::{convert_all, Converted, Options, Target};
use vigil_ir::Test;

const TARGETS: &[Target] = &[Target::Esql, Target::Lucene, Target::Kql, Target::Spl, Target::Sumo];

fn convert(data: &SigmaData, target: Target) -> Vec<Converted> {
    let rules = load_rules(&data.rules);
    convert_all(&rules, &pipeline(target.default_pipeline()), target, &Options::default())
}

/// Each target without an engine here: its text's feature words, its files' titles.
struct Suite(Target);

impl EmitSuite for Suite {
    fn target(&self) -> Target {
        self.0
    }

    fn feature_words(&self) -> &[&str] {
        &[
            " LIKE ",
            " RLIKE ",
            "TO_LOWER",
            " IN (",
            "NOT ",
            "IS NULL",
            "COALESCE",
            "CIDR_MATCH",
            "TO_DOUBLE",
            ":/",
            ":\"",
            ":*",
            "_exists_",
            "=~",
            "in~",
            "contains",
            "startswith",
            "endswith",
            "matches regex",
            "isempty",
            "ipv4_is_in_range",
            "toreal",
            "match(",
            "lower(",
            "cidrmatch",
            "tonumber",
            "isnull",
            "matches(",
            "toLowerCase",
            "num(",
            "compareCIDRPrefix",
            "isNull",
            " not(",
            "!(",
            "_raw",
            "message",
        ]
    }

    fn snapshot_title(&self) -> String {
        format!(
            "# The {} target's text (pipeline {}) for representative rules of testdata/sigmahq (VIGIL_BLESS=1 rewrites it).\n",
            self.0.name(),
            self.0.default_pipeline()
        )
    }

    fn refusal_title(&self, name: &str, corpus: bool) -> String {
        let flag = if corpus { " -- --include-ignored" } else { "" };
        format!(
            "# Rules of {name} the {} target refuses (pipeline {}), with the refusal's code.\n# VIGIL_BLESS=1 cargo test -p vigil-conformance --test emit_targets{flag} rewrites it.\n",
            self.0.name(),
            self.0.default_pipeline()
        )
    }
}

fn emitted(converted: &[Converted]) -> usize {
    converted.iter().filter(|c| c.query.is_ok()).count()
}

#[test]
fn every_target_emits_the_project_rules_with_tables_and_snapshots() {
    let data = sigma_testdata();
    for &target in TARGETS {
        let converted = convert(&data, target);
        let n = emitted(&converted);
        eprintln!("{}: {n} of {} rules emitted", target.name(), converted.len());
        // Real counts on the project's own data, so the test cannot pass on nothing.
        assert!(converted.len() >= 500, "{}", converted.len());
        // The project's sample keeps 23 placeholder and 5 correlation rules on purpose;
        // targets without a value-list reference or a correlation refuse them. Of the
        // rest, at most 1% may be refused.
        let inherent =
            converted.iter().filter(|c| c.query.as_ref().is_err_and(|d| d.code.ends_with("::placeholder") || d.code.ends_with("::correlation"))).count();
        assert!(inherent <= 30, "{inherent}");
        assert!((converted.len() - n - inherent) * 100 <= converted.len(), "{}: {n} of {}", target.name(), converted.len());
        expect_file(&format!("emit-{}-refusals.tsv", target.name()), &Suite(target).refusal_table(&data.name, &converted, false));
        expect_file(&format!("emit-{}-snapshots.txt", target.name()), &Suite(target).snapshots(&converted));
    }
}

/// The whole SigmaHQ corpus of the shared directory, ≥ 99% emitted per target:
/// `VIGIL_SHARED=… cargo test -p vigil-conformance --test emit_targets -- --ignored`.
#[test]
#[ignore]
fn every_target_emits_99_percent_of_the_whole_sigmahq_corpus() {
    let all = sigma_data();
    let data = all.iter().find(|d| d.name != "testdata/sigmahq").expect("the shared directory with the SigmaHQ corpus (set VIGIL_SHARED)");
    let mut short = Vec::new();
    for &target in TARGETS {
        let converted = convert(data, target);
        let n = emitted(&converted);
        eprintln!("{}: {n} of {} rules emitted ({:.3}%)", target.name(), converted.len(), 100.0 * n as f64 / converted.len() as f64);
        expect_file(&format!("emit-{}-refusals-corpus.tsv", target.name()), &Suite(target).refusal_table("the SigmaHQ corpus", &converted, true));
        let floor = (converted.len() * 99).div_ceil(100);
        if n < floor {
            short.push(format!("{}: {n} of {}", target.name(), converted.len()));
        }
    }
    assert!(short.is_empty(), "{short:?}");
}

/// vigil's own reading of one test, on one value.
type Native = Box<dyn Fn(&str) -> bool>;

/// The regexes the portable flavour prints (KQL, SPL, Sumo Logic) mean what the rule's
/// own patterns mean: each string and regex test of every project rule, printed, compiled
/// with `regex` and run on the values generated for the rule, matches exactly where vigil's
/// own matcher does (a differential over the construct every one of those targets leans on).
#[test]
fn portable_regexes_agree_with_the_rules_own_tests() {
    use vigil_emit::regex_text::{pattern_hir, portable, regex_hir};
    use vigil_ir::{Case, StrOp};
    let data = sigma_testdata();
    let rules = load_rules(&data.rules);
    let (mut compared, mut matched, mut printed) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for rule in &rules {
        let Some(expr) = rule.detection() else { continue };
        let values: Vec<String> = vigil_conformance::generate::events_for(expr).iter().flat_map(|a| a.values().filter_map(|v| v.clone())).collect();
        expr.for_each_predicate(&mut |p| {
            let tests: Vec<(String, Native)> = match &p.test {
                Test::Str { op, case, patterns } => patterns
                    .iter()
                    .filter(|pat| pat.placeholders().next().is_none())
                    .filter_map(|pat| {
                        let printed = portable(&pattern_hir(pat, *op, *case == Case::Insensitive).ok()?).ok()?;
                        let (op, ci, pat) = (*op, *case == Case::Insensitive, pat.clone());
                        let native = move |v: &str| {
                            let (v, t) = if ci { (v.to_lowercase(), pat.literal_text().to_lowercase()) } else { (v.to_string(), pat.literal_text()) };
                            match (pat.is_literal(), op) {
                                (true, StrOp::Equals) => v == t,
                                (true, StrOp::Contains) => v.contains(&t),
                                (true, StrOp::StartsWith) => v.starts_with(&t),
                                (true, StrOp::EndsWith) => v.ends_with(&t),
                                _ => wildcard(&pat, op, ci, &v),
                            }
                        };
                        Some((printed, Box::new(native) as Native))
                    })
                    .collect(),
                Test::Regex { patterns } => patterns
                    .iter()
                    .filter_map(|r| {
                        let printed = portable(&regex_hir(r).ok()?).ok()?;
                        let native = regex::RegexBuilder::new(&r.source)
                            .case_insensitive(r.case_insensitive)
                            .multi_line(r.multi_line)
                            .dot_matches_new_line(r.dot_matches_new_line)
                            .build()
                            .ok()?;
                        Some((printed, Box::new(move |v: &str| native.is_match(v)) as Native))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (text, native) in tests {
                printed += 1;
                let Ok(re) = regex::Regex::new(&text) else {
                    failures.push(format!("{}: `{text}` does not compile", rule.source));
                    continue;
                };
                for v in &values {
                    compared += 1;
                    let (a, b) = (native(v), re.is_match(v));
                    matched += usize::from(a);
                    if a != b {
                        failures.push(format!("{}: `{text}` on {v:?}: native {a}, printed {b}", rule.source));
                    }
                }
            }
        });
    }
    eprintln!("{printed} regexes printed, {compared} value comparisons, {matched} matches");
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n"));
    assert!(printed >= 5000 && matched >= 5000, "{printed} {matched}");
}

/// Sigma's wildcard match (`*`, `?`), on already folded text: the reference the printed
/// regexes are compared with.
fn wildcard(pattern: &vigil_ir::StrPattern, op: vigil_ir::StrOp, ci: bool, value: &str) -> bool {
    use vigil_ir::{Piece, StrOp};
    let mut source = String::from("(?s)");
    if matches!(op, StrOp::Equals | StrOp::StartsWith) {
        source.push('^');
    }
    for piece in pattern.pieces() {
        match piece {
            Piece::Lit(t) => source.push_str(&regex::escape(&if ci { t.to_lowercase() } else { t.clone() })),
            Piece::AnyRun => source.push_str(".*"),
            Piece::AnyChar => source.push('.'),
            Piece::Placeholder(_) => {}
        }
    }
    if matches!(op, StrOp::Equals | StrOp::EndsWith) {
        source.push('$');
    }
    regex::Regex::new(&source).unwrap().is_match(value)
}
