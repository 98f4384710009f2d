//! Fuzzes the CEF reader: the input is read as CEF text as it is and after a `CEF:0|` header
//! prefix (so header and extension parsing are reached), with small limits so that long
//! lines and chunk ends are reached. Any bytes must give records and reports, never a panic;
//! every record rendered is valid JSON the scanner reads and is labelled by the labeller
//! without a panic; every report names the file.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_engine::{EventView, FieldTrie};
use vigil_events::cef_read::read_cef;
use vigil_events::label::Labeller;
use vigil_events::Limits;

fuzz_target!(|data: &[u8]| {
    let mut fields = FieldTrie::default();
    fields.slot("destination.ip");
    fields.slot("url.original");
    fields.enable_keywords();
    let labeller = Labeller::new(&fields);
    let mut view = EventView::new(labeller.trie().slot_count());
    let prefixed = [b"CEF:0|V|P|1|1|n|3|".as_slice(), data].concat();
    for input in [data, prefixed.as_slice()] {
        let name: Arc<str> = Arc::from("fuzz.cef");
        let mut text = input;
        let _ = read_cef(name, &mut text, Limits { chunk: 512, max_record: 256 }, &mut |chunk| {
            assert!(chunk.errors.iter().all(|b| &*b.source == "fuzz.cef"));
            for span in &chunk.records {
                view.clear();
                assert!(vigil_events::extract(chunk.record(span), labeller.trie(), &mut view).is_ok(), "a rendered record is valid JSON");
                let _ = labeller.label(&view);
            }
            true
        });
    }
});
