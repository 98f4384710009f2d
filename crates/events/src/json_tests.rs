//! Tests of the JSON extraction scanner (`json.rs`): values, escapes, errors and their positions.

use super::*;

fn run(json: &str, fields: &[&str]) -> (FieldTrie, EventView, Result<(), JsonError>) {
    let mut trie = FieldTrie::default();
    for f in fields {
        trie.slot(f);
    }
    let mut view = EventView::new(trie.slot_count());
    let r = extract(json.as_bytes(), &trie, &mut view);
    (trie, view, r)
}

fn texts(trie: &FieldTrie, view: &EventView, field: &str) -> Vec<String> {
    view.values(trie.lookup(field).unwrap()).map(|v| v.text.to_string()).collect()
}

#[test]
fn nested_dotted_and_array_paths() {
    let (t, v, r) = run(
        r#"{"process":{"name":"A.exe","args":["x","y"]},"file.path":"C:\\t","n":42,"skip":{"deep":[1,2,{"x":1}]}}"#,
        &["process.name", "process.args", "file.path", "n"],
    );
    r.unwrap();
    assert_eq!(texts(&t, &v, "process.name"), ["A.exe"]);
    assert_eq!(texts(&t, &v, "process.args"), ["x", "y"]);
    assert_eq!(texts(&t, &v, "file.path"), ["C:\\t"]);
    assert_eq!(texts(&t, &v, "n"), ["42"]);
    assert_eq!(v.first(t.lookup("process.name").unwrap()).unwrap().lower, "a.exe");
}

#[test]
fn escapes_are_decoded() {
    let (t, v, r) = run(r#"{"a":"q\"b\\s\/\n\u00e9\ud83d\ude00","b\u0041":"k"}"#, &["a", "bA"]);
    r.unwrap();
    assert_eq!(texts(&t, &v, "a"), ["q\"b\\s/\né😀"]);
    assert_eq!(texts(&t, &v, "bA"), ["k"]);
}

#[test]
fn evtx_text_nodes_and_wildcard_segments() {
    let json = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4624}},"UserData":{"Op":{"User":"bob"}}}}"##;
    let (t, v, r) = run(json, &["Event.System.EventID", "Event.UserData.*.User"]);
    r.unwrap();
    assert_eq!(texts(&t, &v, "Event.System.EventID"), ["4624"]);
    assert_eq!(texts(&t, &v, "Event.UserData.*.User"), ["bob"]);
}

#[test]
fn malformed_records_report_their_position() {
    for (bad, line) in [
        ("{\"a\": 1,\n \"b\": }", 2),
        ("{\"a\": 1} trailing", 1),
        ("{\"a\": \"unterminated}", 1),
        ("{\"a\": tru}", 1),
        ("{\"a\": 01}", 1),
        ("{\"a\": \"\\x\"}", 1),
        ("{\"a\": \"\\ud800\"}", 1),
        ("{\"a\" 1}", 1),
        ("[1,]", 1),
        ("", 1),
        ("[{\"a\":1}]", 1),
        ("\n42", 2),
        ("\"a\"", 1),
        ("null", 1),
    ] {
        let (_, _, r) = run(bad, &["a"]);
        let e = r.expect_err(bad);
        assert_eq!(e.line, line, "{bad}: {e}");
    }
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert!(run(&deep, &["a"]).2.is_err());
    assert!(extract(b"{\"a\":\"\xff\"}", &FieldTrie::default(), &mut EventView::new(1)).is_err());
}

#[test]
fn valid_json_of_every_kind_is_accepted() {
    let (t, v, r) = run(r#" { "a" : [ true , false , null , -1.5e3 , 0 , {} , [] , "" ] } "#, &["a"]);
    r.unwrap();
    assert_eq!(texts(&t, &v, "a"), ["true", "false", "", "-1.5e3", "0", "", ""]);
}

#[test]
fn a_repeated_key_keeps_every_value() {
    let (t, v, r) = run(r#"{"a":"x","b":1,"a":"y","a":["z"]}"#, &["a"]);
    r.unwrap();
    assert_eq!(texts(&t, &v, "a"), ["x", "y", "z"]);
}

#[test]
fn strings_of_every_length_stop_at_the_first_quote_escape_or_control_character() {
    // Around and across the word-at-a-time search: every length, every kind of stop byte,
    // with multi-byte characters beside it.
    for len in 0..50 {
        for filler in ["xY", "é", "\u{7f}"] {
            let body: String = filler.repeat(len);
            let (t, v, r) = run(&format!("{{\"a\":\"{body}\",\"b\":\"{body}\\n{body}\"}}"), &["a", "b"]);
            r.unwrap();
            assert_eq!(texts(&t, &v, "a"), std::slice::from_ref(&body));
            assert_eq!(texts(&t, &v, "b"), [format!("{body}\n{body}")]);
            assert_eq!(v.first(t.lookup("a").unwrap()).unwrap().lower, body.to_lowercase());
            for control in ['\u{0}', '\u{1f}', '\t', '\n'] {
                for field in ["a", "skipped"] {
                    let prefix = format!("{{\"{field}\":\"{body}");
                    let e = run(&format!("{prefix}{control}\"}}"), &["a"]).2.unwrap_err();
                    assert_eq!((e.line, e.column, e.message.as_str()), (1, prefix.len() + 1, "control character inside a string"));
                }
            }
            let e = run(&format!("{{\"a\":\"{body}"), &["a"]).2.unwrap_err();
            assert_eq!(e.message, "unterminated string");
        }
    }
}

#[test]
fn a_bad_record_gives_the_same_error_whatever_the_fields_read() {
    // Keys and values under no field are only checked, not decoded: the error must be the
    // one a full decode gives, at the same place.
    for bad in [
        "{\"s\":{\"\\x\":1}}",
        "{\"s\":{\"a\u{1}\":1}}",
        "{\"s\":{\"a\\u12\":1}}",
        "{\"s\":{\"a\\ud800\":1}}",
        "{\"s\":{\"a\\n\u{1}\":1}}",
        "{\"s\":{\"abcdefghijklmnopqrstuvwxyz0123456789\\",
        "{\"s\":{\"a\":\"b\\\"\u{1f}\"}}",
        "{\"s\":{\"a\":\"0123456789abcdefghijklmnopqrstuvwxyz\u{0}\"}}",
        "{\"s\":[{\"a\"}]}",
    ] {
        let errors: Vec<JsonError> = [&["s.a"][..], &["s"], &["t"], &[]]
            .into_iter()
            .flat_map(|fields| {
                let mut trie = FieldTrie::default();
                for f in fields {
                    trie.slot(f);
                }
                let plain = extract(bad.as_bytes(), &trie, &mut EventView::new(trie.slot_count())).expect_err(bad);
                trie.enable_keywords();
                let keywords = extract(bad.as_bytes(), &trie, &mut EventView::new(trie.slot_count())).expect_err(bad);
                [plain, keywords]
            })
            .collect();
        assert!(errors.iter().all(|e| *e == errors[0]), "{bad}: {errors:?}");
    }
}

#[test]
fn keywords_collect_every_string() {
    let mut trie = FieldTrie::default();
    trie.enable_keywords();
    let mut view = EventView::new(trie.slot_count());
    extract(br#"{"a":{"b":["x",{"c":"y"}]},"d":1}"#, &trie, &mut view).unwrap();
    let all: Vec<&str> = view.values(KEYWORD_SLOT).map(|v| v.text).collect();
    assert_eq!(all, ["x", "y"]);
}
