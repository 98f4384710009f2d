//! The progress bar of `hunt` on stderr: bytes and events read, rate, ETA (`indicatif`).
//!
//! Shown only when stderr is a terminal and not turned off (`--no-progress`); never written
//! to stdout. It is moved at the merge, once per chunk (about 1 MB of JSON, one 64 KiB EVTX
//! chunk), never per event, and indicatif redraws at most 20 times a second, so the hot
//! path does not see it. Lines written to stderr during the run go through
//! [`Progress::suspend`], so they are not drawn over; the bar is cleared before the summary.
//!
//! The total, for the bar and the ETA, is the inputs' size when every input is a plain JSON
//! or EVTX file (or bundled data): chunks of those count the bytes of the file. Stdin,
//! gzip, and the formats whose chunks hold their events rendered as JSON (auditd, Zeek,
//! crt.sh) have no total: a spinner then shows bytes, events and rates.

use std::io::Read;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vigil_events::{Format, Input};

/// The run's progress display (hidden when not shown).
pub struct Progress {
    bar: ProgressBar,
    events: u64,
}

impl Progress {
    /// A bar on stderr when `show`, for inputs of `total` bytes when known.
    pub fn new(show: bool, total: Option<u64>) -> Progress {
        if !show {
            return Progress { bar: ProgressBar::hidden(), events: 0 };
        }
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
                "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({bytes_per_sec}), {msg}, ETA {eta}",
            ),
            None => (ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()), "{spinner} [{elapsed_precise}] {bytes} read ({bytes_per_sec}), {msg}"),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("0 events");
        // Redraws between chunks too (a huge record, a slow input): the spinner and rates move.
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar, events: 0 }
    }

    /// A chunk of `bytes` holding `events` events was merged.
    pub fn chunk(&mut self, bytes: u64, events: u64) {
        if self.bar.is_hidden() {
            return;
        }
        self.events += events;
        let secs = self.bar.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!("{} events ({:.0}/s)", self.events, self.events as f64 / secs));
        self.bar.inc(bytes);
    }

    /// Runs `write` (lines to stderr) with the bar out of the way.
    pub fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        self.bar.suspend(write)
    }

    /// Removes the bar (before the summary).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The bytes a run will read, when every input's chunks count the bytes of the input (plain
/// JSON or EVTX files, bundled data); None otherwise.
pub fn known_total(inputs: &[Input], format: Option<Format>) -> Option<u64> {
    let mut total = 0u64;
    for input in inputs {
        total += match input {
            Input::Stdin => return None,
            Input::Embedded { data, .. } => data.len() as u64,
            Input::Path(path) => {
                let mut magic = [0u8; 2];
                let gzip = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [0x1f, 0x8b];
                let format = format.unwrap_or_else(|| vigil_events::sniff_format(input).ok().flatten().unwrap_or_default());
                let plain = matches!(format, Format::Json | Format::Evtx);
                if gzip || !plain {
                    return None;
                }
                std::fs::metadata(path).ok()?.len()
            }
        };
    }
    Some(total)
}
