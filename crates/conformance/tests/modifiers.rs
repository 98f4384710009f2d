#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! One test per Sigma value modifier, derived from the Sigma specification v2: each with
//! events that must match and events that must not.

use vigil_conformance::{diagnostics, hit};

/// A rule whose only selection is `key: value` (value written as YAML).
fn rule(key: &str, value: &str) -> String {
    format!("title: t\nlogsource: {{product: test}}\ndetection:\n  sel:\n    {key}: {value}\n  condition: sel\n")
}

fn yes(key: &str, value: &str, event: &str) {
    assert!(hit(&rule(key, value), event), "`{key}: {value}` should match {event}");
}

fn no(key: &str, value: &str, event: &str) {
    assert!(!hit(&rule(key, value), event), "`{key}: {value}` should not match {event}");
}

#[test]
fn plain_values_match_whole_values_case_insensitively() {
    yes("Image", "'C:\\Windows\\cmd.exe'", r#"{"Image":"c:\\windows\\CMD.EXE"}"#);
    no("Image", "'C:\\Windows\\cmd.exe'", r#"{"Image":"C:\\Windows\\cmd.exe.bak"}"#);
    no("Image", "'cmd.exe'", r#"{"Other":"cmd.exe"}"#);
}

#[test]
fn wildcards_and_escapes() {
    yes("F", "'a*c'", r#"{"F":"abbbc"}"#);
    yes("F", "'a?c'", r#"{"F":"abc"}"#);
    no("F", "'a?c'", r#"{"F":"abbc"}"#);
    yes("F", "'a\\*c'", r#"{"F":"a*c"}"#);
    no("F", "'a\\*c'", r#"{"F":"abc"}"#);
    yes("F", "'C:\\Windows\\'", r#"{"F":"C:\\Windows\\"}"#);
    yes("F", "'x\\\\*'", r#"{"F":"x\\anything"}"#);
}

#[test]
fn numbers_match_their_text_and_strings() {
    yes("EventID", "4688", r#"{"EventID":4688}"#);
    yes("EventID", "4688", r#"{"EventID":"4688"}"#);
    no("EventID", "4688", r#"{"EventID":46880}"#);
    yes("Flag", "true", r#"{"Flag":true}"#);
}

#[test]
fn lists_are_ored() {
    yes("F", "[a, b]", r#"{"F":"b"}"#);
    no("F", "[a, b]", r#"{"F":"c"}"#);
}

#[test]
fn arrays_in_events_match_any_element() {
    yes("F", "b", r#"{"F":["a","b"]}"#);
    no("F", "c", r#"{"F":["a","b"]}"#);
}

#[test]
fn nested_and_dotted_paths() {
    yes("process.name", "x.exe", r#"{"process":{"name":"X.EXE"}}"#);
    yes("process.name", "x.exe", r#"{"process.name":"x.exe"}"#);
    yes("a.b.c", "v", r#"{"a":{"b.c":"v"}}"#);
}

#[test]
fn contains() {
    yes("CommandLine|contains", "'-enc '", r#"{"CommandLine":"powershell -ENC abc"}"#);
    no("CommandLine|contains", "'-enc '", r#"{"CommandLine":"powershell -encoded"}"#);
}

#[test]
fn startswith_and_endswith() {
    yes("F|startswith", "'C:\\Users\\'", r#"{"F":"c:\\users\\bob"}"#);
    no("F|startswith", "'C:\\Users\\'", r#"{"F":"D:\\c:\\users\\"}"#);
    yes("Image|endswith", "'\\cmd.exe'", r#"{"Image":"C:\\x\\cmd.exe"}"#);
    no("Image|endswith", "'\\cmd.exe'", r#"{"Image":"C:\\x\\cmd.exe2"}"#);
}

#[test]
fn all() {
    yes("C|contains|all", "[a, b]", r#"{"C":"xbxa"}"#);
    no("C|contains|all", "[a, b]", r#"{"C":"xbx"}"#);
}

#[test]
fn base64() {
    // base64("/bin/sh") = L2Jpbi9zaA==
    yes("C|base64", "/bin/sh", r#"{"C":"L2Jpbi9zaA=="}"#);
    yes("C|base64|contains", "/bin/sh", r#"{"C":"echo L2Jpbi9zaA== | base64 -d"}"#);
    no("C|base64", "/bin/sh", r#"{"C":"/bin/sh"}"#);
}

#[test]
fn base64offset() {
    // The specification's three forms of "/bin/bash".
    for encoded in ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"] {
        yes("C|base64offset|contains", "/bin/bash", &format!(r#"{{"C":"xx{encoded}yy"}}"#));
    }
    no("C|base64offset|contains", "/bin/bash", r#"{"C":"/bin/bash"}"#);
}

#[test]
fn utf16_encodings_then_base64() {
    // base64(utf16le("ab")) = YQBiAA==
    yes("C|utf16le|base64", "ab", r#"{"C":"YQBiAA=="}"#);
    yes("C|wide|base64", "ab", r#"{"C":"YQBiAA=="}"#);
    // base64(utf16be("ab")) = AGEAYg==
    yes("C|utf16be|base64", "ab", r#"{"C":"AGEAYg=="}"#);
    // base64(FF FE + utf16le("ab")) = //5hAGIA
    yes("C|utf16|base64", "ab", r#"{"C":"//5hAGIA"}"#);
    no("C|utf16le|base64", "ab", r#"{"C":"YWI="}"#);
}

#[test]
fn windash() {
    for flag in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        yes("C|windash|contains", "' -addstore '", &format!(r#"{{"C":"certutil {flag}addstore root"}}"#));
    }
    no("C|windash|contains", "' -addstore '", r#"{"C":"certutil +addstore root"}"#);
}

/// The five dash characters of the specification ("creates all possible permutations of the
/// `-`, `/`, `–`, `—` and `―` characters ... converts the aforementioned characters
/// interchangeably").
const DASHES: [&str; 5] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"];

#[test]
fn windash_expands_whichever_dash_the_rule_writes() {
    // The specification makes the five characters interchangeable, so the dash written in the
    // rule is a windash position too: a rule written with `/`, an en dash, an em dash or a
    // horizontal bar matches every spelling, as one written with `-` does.
    for written in DASHES {
        let value = format!("' {written}addstore '");
        for flag in DASHES {
            yes("C|windash|contains", &value, &format!(r#"{{"C":"certutil {flag}addstore root"}}"#));
        }
        no("C|windash|contains", &value, r#"{"C":"certutil +addstore root"}"#);
        no("C|windash|contains", &value, r#"{"C":"certutil addstore root"}"#);
    }
}

#[test]
fn windash_only_touches_dashes_that_start_a_flag() {
    // pySigma finds the positions with `\B[-/]\b`: a dash not preceded by a word character and
    // followed by one. "-param-name": the first dash is a flag, the second stays as written.
    for flag in DASHES {
        yes("C|windash|contains", "'-param-name'", &format!(r#"{{"C":"x {flag}param-name"}}"#));
    }
    no("C|windash|contains", "'-param-name'", r#"{"C":"x /param/name"}"#);
    no("C|windash|contains", "'-param-name'", r#"{"C":"x -param\u2013name"}"#);
    // An en dash inside a word is not a flag either.
    yes("C|windash|contains", "'a\u{2013}b'", r#"{"C":"a\u2013b"}"#);
    no("C|windash|contains", "'a\u{2013}b'", r#"{"C":"a-b"}"#);
    // A dash followed by a non-word character (a path separator, a space) is not a flag.
    no("C|windash|contains", "'x / y'", r#"{"C":"x - y"}"#);
    // Each flag of a value expands on its own: 5 × 5 spellings.
    for (a, b) in [("-", "/"), ("\u{2014}", "-"), ("/", "\u{2015}")] {
        yes("C|windash|contains", "' -a -b'", &format!(r#"{{"C":"x {a}a {b}b"}}"#));
    }
}

#[test]
fn regular_expressions() {
    yes("C|re", "'^a.c$'", r#"{"C":"abc"}"#);
    no("C|re", "'^a.c$'", r#"{"C":"ABC"}"#);
    yes("C|re|i", "'^a.c$'", r#"{"C":"ABC"}"#);
    yes("C|re|m", "'^b$'", r#"{"C":"a\nb\nc"}"#);
    no("C|re", "'^b$'", r#"{"C":"a\nb\nc"}"#);
    yes("C|re|s", "'a.b'", r#"{"C":"a\nb"}"#);
    no("C|re", "'a.b'", r#"{"C":"a\nb"}"#);
    yes("C|re", "'\\d{3}'", r#"{"C":"x123"}"#);
}

#[test]
fn cidr() {
    yes("Ip|cidr", "10.0.0.0/8", r#"{"Ip":"10.1.2.3"}"#);
    no("Ip|cidr", "10.0.0.0/8", r#"{"Ip":"11.1.2.3"}"#);
    yes("Ip|cidr", "'fe80::/10'", r#"{"Ip":"fe80::1"}"#);
    no("Ip|cidr", "10.0.0.0/8", r#"{"Ip":"not an ip"}"#);
}

#[test]
fn numeric_comparisons() {
    yes("N|lt", "10", r#"{"N":9}"#);
    no("N|lt", "10", r#"{"N":10}"#);
    yes("N|lte", "10", r#"{"N":10}"#);
    yes("N|gt", "10", r#"{"N":"11"}"#);
    no("N|gt", "10", r#"{"N":10}"#);
    yes("N|gte", "10.5", r#"{"N":10.5}"#);
    no("N|gte", "10", r#"{"N":"ten"}"#);
}

#[test]
fn exists() {
    yes("F|exists", "true", r#"{"F":""}"#);
    no("F|exists", "true", r#"{"G":1}"#);
    yes("F|exists", "false", r#"{"G":1}"#);
    no("F|exists", "false", r#"{"F":"x"}"#);
}

#[test]
fn null_and_empty() {
    yes("F", "null", r#"{"G":1}"#);
    yes("F", "null", r#"{"F":null}"#);
    no("F", "null", r#"{"F":""}"#);
    yes("F", "''", r#"{"F":""}"#);
    no("F", "''", r#"{"G":1}"#);
}

#[test]
fn fieldref() {
    yes("A|fieldref", "B", r#"{"A":"x","B":"X"}"#);
    no("A|fieldref", "B", r#"{"A":"x","B":"y"}"#);
    no("A|fieldref", "B", r#"{"A":"x"}"#);
    yes("A|fieldref|contains", "B", r#"{"A":"abc","B":"b"}"#);
    yes("A|fieldref|startswith", "B", r#"{"A":"abc","B":"a"}"#);
    yes("A|fieldref|endswith", "B", r#"{"A":"abc","B":"c"}"#);
    // A computed comparison since fieldref became a case of the IR expression node: the
    // same meaning as Sigma gives it.
    no("A|fieldref", "B", r#"{"B":"x"}"#);
    no("A|fieldref", "B", r#"{"A":null,"B":null}"#);
    no("A|fieldref", "B", r#"{"A":{"x":1},"B":{"x":1}}"#);
    yes("A|fieldref|contains", "B", r#"{"A":"aBc","B":"b"}"#);
    no("A|fieldref|startswith", "B", r#"{"A":"abc","B":"b"}"#);
    no("A|fieldref|endswith", "B", r#"{"A":"abc","B":"b"}"#);
    // Values compare as text: numbers and booleans as written.
    yes("A|fieldref", "B", r#"{"A":10,"B":"10"}"#);
    yes("A|fieldref", "B", r#"{"A":true,"B":"TRUE"}"#);
    no("A|fieldref", "B", r#"{"A":10,"B":"10.0"}"#);
    // A multi-valued field holds when one of its values does.
    yes("A|fieldref", "B", r#"{"A":["y","x"],"B":"x"}"#);
    yes("A|fieldref", "B", r#"{"A":"x","B":["y","X"]}"#);
    // Several fields: any of them (the list is `or`).
    yes("A|fieldref", "[C, B]", r#"{"A":"x","B":"x","C":"y"}"#);
    yes("A|fieldref|all", "[C, B]", r#"{"A":"x","B":"x","C":"X"}"#);
    no("A|fieldref|all", "[C, B]", r#"{"A":"x","B":"x","C":"y"}"#);
    // `neq`: the negation, two-valued (a missing field satisfies it).
    yes("A|fieldref|neq", "B", r#"{"A":"x","B":"y"}"#);
    no("A|fieldref|neq", "B", r#"{"A":"x","B":"X"}"#);
    yes("A|fieldref|neq", "B", r#"{"A":"x"}"#);
}

#[test]
fn fieldref_is_cased_with_the_cased_modifier() {
    yes("A|fieldref|cased", "B", r#"{"A":"x","B":"x"}"#);
    no("A|fieldref|cased", "B", r#"{"A":"x","B":"X"}"#);
    no("A|fieldref|contains|cased", "B", r#"{"A":"aBc","B":"b"}"#);
}

#[test]
fn cased() {
    yes("F|cased", "Abc", r#"{"F":"Abc"}"#);
    no("F|cased", "Abc", r#"{"F":"abc"}"#);
    yes("F|contains|cased", "B", r#"{"F":"aBc"}"#);
    no("F|contains|cased", "B", r#"{"F":"abc"}"#);
}

#[test]
fn neq() {
    yes("F|neq", "a", r#"{"F":"b"}"#);
    no("F|neq", "a", r#"{"F":"A"}"#);
    no("F|neq", "[a, b]", r#"{"F":"b"}"#);
    yes("F|neq", "[a, b]", r#"{"F":"c"}"#);
}

#[test]
fn expand_needs_a_pipeline() {
    // The rule loads (placeholders are values a deployment supplies) ...
    assert!(diagnostics(&rule("User|expand", "'%Admins%'")).is_empty());
    // ... and a pipeline with `vars` resolves it.
    let yaml = rule("User|expand", "'%Admins%'");
    let rules = vigil_conformance::rules(&yaml);
    let pipeline = vigil_pipeline::parse_pipeline(
        std::sync::Arc::from("p.yml"),
        "name: p\nvars:\n  Admins: [alice, 'adm_*']\ntransformations:\n  - type: value_placeholders\n",
    )
    .unwrap();
    let program = vigil_conformance::compile(&rules, &pipeline);
    let m = vigil_conformance::matches(&program, &[r#"{"User":"alice"}"#, r#"{"User":"adm_bob"}"#, r#"{"User":"eve"}"#]);
    assert_eq!(m.iter().map(|v| v.len()).collect::<Vec<_>>(), vec![1, 1, 0]);
    // Without values the engine refuses to run it and says why.
    let (_, report) = vigil_conformance::compile_report(&rules, &vigil_conformance::pipeline("none"));
    assert_eq!(report.refused.len(), 1);
    assert!(report.refused[0].message.contains("%Admins%"));
}

#[test]
fn time_parts() {
    yes("T|hour", "13", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    no("T|hour", "12", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    yes("T|minute", "45", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    yes("T|day", "30", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    yes("T|month", "12", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    yes("T|year", "2024", r#"{"T":"2024-12-30T13:45:00Z"}"#);
    yes("T|week", "1", r#"{"T":"2024-12-30T13:45:00Z"}"#);
}

#[test]
fn keywords() {
    let yaml = "title: t\nlogsource: {product: test}\ndetection:\n  keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\n  condition: keywords\n";
    assert!(hit(yaml, r#"{"a":{"b":"run MIMIKATZ.exe"}}"#));
    assert!(hit(yaml, r#"{"list":["x","sekurlsa::logonpasswords"]}"#));
    assert!(!hit(yaml, r#"{"a":"benign","mimikatz":1}"#));
    let all = "title: t\nlogsource: {product: test}\ndetection:\n  keywords:\n    '|all':\n      - 'foo'\n      - 'bar'\n  condition: keywords\n";
    assert!(hit(all, r#"{"a":"foo","b":"bar"}"#));
    assert!(!hit(all, r#"{"a":"foo"}"#));
}

#[test]
fn modifier_errors_are_diagnosed() {
    let cases = [
        ("Image|endswithh", "x", "unknown modifier"),
        ("Image|re|contains", "x", "cannot be combined"),
        ("Image|base64", "'a*'", "wildcards"),
        ("N|lt", "abc", "compares numbers"),
        ("F|exists", "'yes'", "true"),
        ("Ip|cidr", "'300.1.1.1/8'", "IP network"),
        ("C|re", "'(a'", "invalid regular expression"),
        ("C|i", "x", "only valid after `re`"),
    ];
    for (key, value, expected) in cases {
        let d = diagnostics(&rule(key, value));
        assert!(d.iter().any(|d| d.message.contains(expected)), "{key}: {value} → {d:?}");
        assert_eq!(d[0].span.line, 5, "{key}: {:?}", d[0]);
    }
}
