//! Colour on terminals: `--color auto|always|never`, `NO_COLOR`, and the styles used for
//! `check`'s diagnostics and `hunt`'s run summary.
//!
//! `auto` colours a stream when it is a terminal and `NO_COLOR` is unset or empty
//! (https://no-color.org); `always` and `never` win over both. The decision is made per
//! stream: `check` writes to stdout, `hunt`'s summary goes to stderr. Diagnostics keep their
//! one renderer (`vigil_ir::Diagnostic::render`); colour is laid over its lines here.

use anstyle::{AnsiColor, Style};
use vigil_ir::Level;

/// The `--color` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour one stream, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const BOLD: Style = Style::new().bold();

impl Paint {
    /// Decides for a stream that is (or is not) a terminal.
    pub fn choose(choice: ColorChoice, is_terminal: bool) -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Paint { enabled }
    }

    /// `text` in `style`, or as is when colour is off.
    pub fn style(self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// `text` in bold.
    pub fn bold(self, text: &str) -> String {
        self.style(BOLD, text)
    }

    /// The style of a rule level, as Hayabusa colours them (critical red, high orange-ish
    /// yellow, medium yellow, low green, informational plain).
    pub fn level_style(level: Option<Level>) -> Style {
        match level {
            Some(Level::Critical) => AnsiColor::BrightRed.on_default().bold(),
            Some(Level::High) => AnsiColor::Red.on_default(),
            Some(Level::Medium) => AnsiColor::Yellow.on_default(),
            Some(Level::Low) => AnsiColor::Green.on_default(),
            Some(Level::Informational) | None => Style::new(),
        }
    }

    /// `text` in the colour of `level`.
    pub fn level(self, level: Option<Level>, text: &str) -> String {
        self.style(Self::level_style(level), text)
    }

    /// Colours a rendered diagnostic: the severity label, the `-->` gutter, the carets and
    /// the hint. The text is unchanged when colour is off.
    pub fn diagnostic(self, rendered: &str) -> String {
        if !self.enabled {
            return rendered.to_string();
        }
        let mut out = String::with_capacity(rendered.len() + 64);
        for line in rendered.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            let painted = if let Some(rest) = body.strip_prefix("error") {
                format!("{}{}", self.style(ERROR, "error"), self.bold(rest))
            } else if let Some(rest) = body.strip_prefix("warning") {
                format!("{}{}", self.style(WARNING, "warning"), self.bold(rest))
            } else if let Some(rest) = body.strip_prefix("  -->") {
                format!("  {}{rest}", self.style(GUTTER, "-->"))
            } else if let Some(rest) = body.strip_prefix("  = hint:") {
                format!("  {}{rest}", self.style(HINT, "= hint:"))
            } else if let Some((gutter, rest)) = body.split_once(" | ").filter(|(g, _)| g.trim().chars().all(|c| c.is_ascii_digit())) {
                let painted_rest = if gutter.trim().is_empty() && rest.trim_start().starts_with('^') { self.style(ERROR, rest) } else { rest.to_string() };
                format!("{}{painted_rest}", self.style(GUTTER, &format!("{gutter} | ")))
            } else if body.trim_end().ends_with(" |") && body.trim().len() == 1 {
                self.style(GUTTER, body)
            } else {
                body.to_string()
            };
            out.push_str(&painted);
            out.push_str(end);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_choice_and_leaves_text_unchanged_when_off() {
        assert!(Paint::choose(ColorChoice::Always, false).enabled);
        assert!(!Paint::choose(ColorChoice::Never, true).enabled);
        assert!(!Paint::choose(ColorChoice::Auto, false).enabled);
        let rendered = "error[x]: bad\n  --> a.yml:1:2\n   |\n 1 | abc\n   |  ^\n  = hint: write b\n";
        assert_eq!(Paint { enabled: false }.diagnostic(rendered), rendered);
        let painted = Paint { enabled: true }.diagnostic(rendered);
        assert!(painted.contains("\u{1b}["), "{painted:?}");
        // Removing the escapes gives back the plain text.
        let plain = regex_free_strip(&painted);
        assert_eq!(plain, rendered);
    }

    /// Removes ANSI escape sequences (`ESC [ … m`).
    fn regex_free_strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for d in chars.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
