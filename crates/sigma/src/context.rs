//! What the lowering of one file carries around: its name, text, options and findings.

use vigil_ir::{Diagnostic, SourceId};

/// Options of the Sigma front end (none yet: the loader follows the specification strictly;
/// callers already pass this so that options can be added without changing signatures).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {}

/// Lowering state for one file.
pub struct Context<'a> {
    pub source: SourceId,
    pub text: &'a str,
    pub options: &'a LoadOptions,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    pub fn new(source: SourceId, text: &'a str, options: &'a LoadOptions) -> Context<'a> {
        Context { source, text, options, errors: Vec::new(), warnings: Vec::new() }
    }

    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    pub fn warn(&mut self, diagnostic: Diagnostic) {
        self.warnings.push(diagnostic);
    }
}
