//! Extracting the fields a program reads from one JSON record, skipping everything else.
//!
//! The record is walked with serde_json's streaming deserializer along the program's field
//! trie: keys that lead to no field are skipped with `IgnoredAny` (validated, never
//! decoded into values). Arrays yield one value per element. An object holding `#text` (the
//! `evtx` crate's rendering of an element with attributes, e.g. `EventID`) yields that text.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use vigil_engine::{EventView, FieldTrie, Kind, TrieNode, KEYWORD_SLOT};

/// A record that is not valid JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line and column inside the record.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.column)
    }
}

/// No trie node: the walk only collects keyword strings below here.
const NO_NODE: TrieNode = u32::MAX;

/// Fills `view` with the values `trie` asks for from the JSON `record`.
pub fn extract(record: &[u8], trie: &FieldTrie, view: &mut EventView) -> Result<(), JsonError> {
    let mut de = serde_json::Deserializer::from_slice(record);
    let mut scratch = String::new();
    let walk = Walk { trie, node: trie.root(), view, keywords: trie.wants_keywords(), scratch: &mut scratch };
    let result = walk.deserialize(&mut de).and_then(|()| de.end());
    result.map_err(|e| JsonError { line: e.line(), column: e.column(), message: e.to_string() })
}

struct Walk<'t, 'v> {
    trie: &'t FieldTrie,
    node: TrieNode,
    view: &'v mut EventView,
    keywords: bool,
    scratch: &'v mut String,
}

impl Walk<'_, '_> {
    fn slot(&self) -> Option<u32> {
        if self.node == NO_NODE {
            None
        } else {
            self.trie.slot_at(self.node)
        }
    }

    fn scalar(&mut self, kind: Kind, text: &str) {
        if let Some(slot) = self.slot() {
            self.view.push(slot, kind, text);
        }
        if self.keywords && kind == Kind::Str {
            self.view.push(KEYWORD_SLOT, kind, text);
        }
    }

    fn number(&mut self, value: impl fmt::Display) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        let text = std::mem::take(self.scratch);
        self.scalar(Kind::Num, &text);
        *self.scratch = text;
    }

    fn descend(&mut self, node: TrieNode) -> Walk<'_, '_> {
        Walk { trie: self.trie, node, view: self.view, keywords: self.keywords, scratch: self.scratch }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<(), E> {
        self.scalar(Kind::Bool, if v { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E>(mut self, v: i64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }

    fn visit_u64<E>(mut self, v: u64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }

    fn visit_f64<E>(mut self, v: f64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        self.scalar(Kind::Str, v);
        Ok(())
    }

    fn visit_unit<E>(mut self) -> Result<(), E> {
        self.scalar(Kind::Null, "");
        Ok(())
    }

    fn visit_none<E>(mut self) -> Result<(), E> {
        self.scalar(Kind::Null, "");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let node = self.node;
        while seq.next_element_seed(self.descend(node))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let leaf = self.slot();
        let mut had_text = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if leaf.is_some() && key == "#text" {
                had_text = true;
                let node = self.node;
                map.next_value_seed(self.descend(node))?;
                continue;
            }
            let child = if self.node == NO_NODE { None } else { self.trie.child(self.node, &key) };
            match child {
                Some(c) => map.next_value_seed(self.descend(c))?,
                None if self.keywords => map.next_value_seed(self.descend(NO_NODE))?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let (Some(slot), false) = (leaf, had_text) {
            self.view.push(slot, Kind::Composite, "");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
    fn evtx_text_nodes_and_wildcard_segments() {
        let json = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4624}},"UserData":{"Op":{"User":"bob"}}}}"##;
        let (t, v, r) = run(json, &["Event.System.EventID", "Event.UserData.*.User"]);
        r.unwrap();
        assert_eq!(texts(&t, &v, "Event.System.EventID"), ["4624"]);
        assert_eq!(texts(&t, &v, "Event.UserData.*.User"), ["bob"]);
    }

    #[test]
    fn malformed_records_report_their_position() {
        let (_, _, r) = run("{\"a\": 1,\n \"b\": }", &["a"]);
        let e = r.unwrap_err();
        assert_eq!(e.line, 2);
        let (_, _, r) = run("{\"a\": 1} trailing", &["a"]);
        assert!(r.is_err());
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
}
