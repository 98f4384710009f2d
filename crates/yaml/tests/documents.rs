#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Each document of a stream is parsed on its own: a bad document costs only itself, and
//! positions in later documents stay those of the file.

use vigil_ir::SourceId;
use vigil_yaml::{parse_documents, parse_each_document, Document};

fn source() -> SourceId {
    SourceId::from("t.yml")
}

/// What became of one document: `Ok(line of its first key)` or `Err(line, column and code
/// of each diagnostic)`.
type Outline = Result<u32, Vec<(u32, u32, &'static str)>>;

fn outline(text: &str) -> Vec<Outline> {
    parse_each_document(&source(), text)
        .into_iter()
        .map(|r| match r {
            Ok(Document { root }) => Ok(root.as_map().and_then(|m| m.first()).map_or(root.span.line, |(k, _)| k.span.line)),
            Err(ds) => Err(ds.iter().map(|d| (d.span.line, d.span.col, d.code)).collect()),
        })
        .collect()
}

#[test]
fn a_syntax_error_costs_only_its_document() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
    let got = outline(text);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], Ok(1));
    assert!(matches!(&got[1], Err(ds) if ds.iter().any(|d| d.0 == 4 && d.2 == "yaml::syntax")), "{got:?}");
    assert_eq!(got[2], Ok(6));
    // The all-or-nothing form reports the same error.
    assert_eq!(parse_documents(&source(), text).unwrap_err()[0].span.line, 4);
}

#[test]
fn a_duplicate_key_costs_only_its_document_and_later_spans_are_exact() {
    let text = "a: 1\na: 2\n---\nb: é\nc: x\n";
    let got = outline(text);
    assert_eq!(got[0], Err(vec![(2, 1, "yaml::duplicate-key")]));
    assert_eq!(got[1], Ok(4));
    let Ok(doc) = parse_each_document(&source(), text).into_iter().nth(1).unwrap() else { panic!() };
    let c = doc.root.get("c").unwrap();
    assert_eq!((c.span.line, c.span.col, &text[c.span.start..c.span.end]), (5, 4, "x"));
}

#[test]
fn a_control_character_is_refused_at_its_position_in_its_document() {
    let got = outline("a: 1\n---\nb: x\u{1}y\n");
    assert_eq!(got, vec![Ok(1), Err(vec![(3, 5, "yaml::control-character")])]);
}

#[test]
fn comments_only_and_empty_streams_have_no_document() {
    assert!(outline("").is_empty());
    assert!(outline("# just a note\n\n# another\n").is_empty());
    assert_eq!(outline("---\n").len(), 1);
}

#[test]
fn a_byte_order_mark_opens_the_stream_without_becoming_content() {
    let docs = parse_documents(&source(), "\u{FEFF}title: x\n").unwrap();
    let (key, _) = &docs[0].root.as_map().unwrap()[0];
    assert_eq!(key.scalar_text(), Some("title"));
    assert_eq!((key.span.line, key.span.col, key.span.start), (1, 1, 3));
}
