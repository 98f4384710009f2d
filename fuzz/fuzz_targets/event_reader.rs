//! Fuzzes the event reader (decoding and splitting) with tiny read blocks and a small
//! record limit, and with the defaults: any bytes must give records and reports, never a
//! panic; every record span lies inside its chunk, and records come in line order.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_events::{decode::decode, split::split, Limits};

fuzz_target!(|data: &[u8]| {
    for limits in [Limits { chunk: 3, max_record: 16 }, Limits::default()] {
        let Ok(mut text) = decode(Box::new(Cursor::new(data.to_vec()))) else { continue };
        let mut last_line = 0;
        let _ = split(Arc::from("fuzz"), &mut text, limits, &mut |chunk| {
            for span in &chunk.records {
                assert!(span.start <= span.end && span.end <= chunk.data.len());
                assert!(span.line >= last_line);
                last_line = span.line;
            }
            true
        });
    }
});
