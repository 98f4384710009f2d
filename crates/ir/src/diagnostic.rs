//! The one diagnostic type of vigil and its one renderer.
//!
//! Every stage that refuses input (a rule, a pipeline, an event) says why with a
//! [`Diagnostic`]: the file, the span, what is wrong, and what to write instead. The renderer
//! prints it the way rustc does: a header, the offending source line, and a caret line.

use std::fmt::{self, Write as _};

use crate::span::{SourceId, Span};

/// How serious a diagnostic is. Errors reject the rule; warnings are printed and the rule loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, short code such as `sigma::unknown-modifier`, usable in expectation files.
    pub code: &'static str,
    pub message: String,
    pub source: SourceId,
    pub span: Span,
    /// What to write instead, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `span` in `source`.
    pub fn error(code: &'static str, source: SourceId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), source, span, hint: None }
    }

    /// A warning with `code` and `message` at `span` in `source`.
    pub fn warning(code: &'static str, source: SourceId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, code, message: message.into(), source, span, hint: None }
    }

    /// The same diagnostic with a hint attached.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Renders the diagnostic against the text of its source file, rustc style:
    ///
    /// ```text
    /// error[sigma::unknown-modifier]: unknown modifier `endswithh`
    ///   --> rules/x.yml:7:15
    ///    |
    ///  7 |         Image|endswithh: '\cmd.exe'
    ///    |               ^^^^^^^^^
    ///    = hint: did you mean `endswith`?
    /// ```
    ///
    /// `text` may be `None` when the source is not at hand; then only the header is printed.
    pub fn render(&self, text: Option<&str>) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}[{}]: {}", self.code, self.message);
        let _ = writeln!(out, "  --> {}:{}:{}", self.source, self.span.line, self.span.col);
        if let Some(line_text) = text.and_then(|t| t.lines().nth(self.span.line.saturating_sub(1) as usize)) {
            let number = self.span.line.to_string();
            let pad = " ".repeat(number.len());
            let col = self.span.col.saturating_sub(1) as usize;
            let line_len = line_text.chars().count();
            let width = if self.span.end > self.span.start {
                let len = text.and_then(|t| t.get(self.span.start..self.span.end)).map(|s| s.lines().next().unwrap_or("").chars().count()).unwrap_or(1);
                len.clamp(1, line_len.saturating_sub(col).max(1))
            } else {
                1
            };
            let _ = writeln!(out, " {pad} |");
            let _ = writeln!(out, " {number} | {}", line_text.replace('\t', " "));
            let _ = writeln!(out, " {pad} | {}{}", " ".repeat(col), "^".repeat(width));
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = hint: {hint}");
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.span, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
