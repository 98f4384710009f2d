//! A rule: its metadata, where its events come from, and what it detects.

use crate::correlation::Correlation;
use crate::diagnostic::Diagnostic;
use crate::expr::Expr;
use crate::span::{SourceId, Span};

/// Maturity of a rule (Sigma `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Stable,
    Test,
    Experimental,
    Deprecated,
    Unsupported,
}

impl Status {
    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "stable" => Status::Stable,
            "test" => Status::Test,
            "experimental" => Status::Experimental,
            "deprecated" => Status::Deprecated,
            "unsupported" => Status::Unsupported,
            _ => return None,
        })
    }

    /// The Sigma spelling (what [`Status::parse`] reads).
    pub fn name(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Test => "test",
            Status::Experimental => "experimental",
            Status::Deprecated => "deprecated",
            Status::Unsupported => "unsupported",
        }
    }
}

/// Severity of what a rule finds (Sigma `level`), ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// An ATT&CK reference decoded from a rule's tags.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttackTag {
    /// A technique or sub-technique id, upper case: `T1553.004`.
    Technique(String),
    /// A tactic by its short name: `defense-evasion`.
    Tactic(String),
    /// A group (`G0001`), software (`S0001`) or other ATT&CK object id, upper case.
    Other(String),
}

/// Where a rule's events come from (Sigma `logsource`). All parts are lower case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub definition: Option<String>,
}

impl LogSource {
    /// True when every part this log source names is equal in `other` (used to decide whether
    /// a Sigma filter applies to a rule, and by pipelines' logsource conditions).
    pub fn is_within(&self, other: &LogSource) -> bool {
        let part = |mine: &Option<String>, theirs: &Option<String>| mine.as_ref().is_none_or(|m| theirs.as_ref() == Some(m));
        part(&self.product, &other.product) && part(&self.category, &other.category) && part(&self.service, &other.service)
    }
}

impl LogSource {
    /// True when nothing the two log sources both state differs: an event from `self` may
    /// be one a rule for `other` is written for. Used to route events that say where they
    /// came from.
    pub fn compatible(&self, other: &LogSource) -> bool {
        let part = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        part(&self.product, &other.product) && part(&self.category, &other.category) && part(&self.service, &other.service)
    }
}

/// Descriptive metadata shared by every kind of rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleMeta {
    pub id: Option<String>,
    /// Sigma `name`: a stable handle correlations may use instead of the id.
    pub name: Option<String>,
    pub title: String,
    pub status: Option<Status>,
    pub level: Option<Level>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub modified: Option<String>,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub attack: Vec<AttackTag>,
    pub falsepositives: Vec<String>,
    pub fields: Vec<String>,
    /// Elastic `risk_score` (0–100), when the rule gives one.
    pub risk_score: Option<u32>,
    /// The detection as the author wrote it (Sigma items, modifiers, values with spans),
    /// beside the lowered body; `None` for front ends that keep no written form (EQL).
    /// Shared, not copied, by the rule's clones (pipelines, hidden stages).
    pub written: Option<std::sync::Arc<crate::written::WrittenDetection>>,
}

impl RuleMeta {
    /// The handle alerts and references use: the id, else the name, else the title.
    pub fn handle(&self) -> &str {
        self.id.as_deref().or(self.name.as_deref()).unwrap_or(&self.title)
    }

    /// The handles other rules may refer to this one by: its id and its name, when given.
    pub fn handles(&self) -> impl Iterator<Item = &str> {
        [self.id.as_deref(), self.name.as_deref()].into_iter().flatten()
    }

    /// The ATT&CK technique ids of the rule.
    pub fn techniques(&self) -> impl Iterator<Item = &str> {
        self.attack.iter().filter_map(|t| match t {
            AttackTag::Technique(id) => Some(id.as_str()),
            _ => None,
        })
    }
}

/// What a rule evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleBody {
    /// A stateless test of one event.
    Detection(Expr),
    /// A stateful test over the matches of other rules.
    Correlation(Correlation),
    /// Events joined by key, in order (`sequence`) or not (`sample`).
    Sequence(crate::sequence::Sequence),
}

/// A rule as every later stage sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    pub body: RuleBody,
    /// The file the rule came from, and the span of its document.
    pub source: SourceId,
    pub span: Span,
    /// Warnings found while loading the rule (it loaded nonetheless).
    pub warnings: Vec<Diagnostic>,
}

impl Rule {
    pub fn detection(&self) -> Option<&Expr> {
        match &self.body {
            RuleBody::Detection(e) => Some(e),
            RuleBody::Correlation(_) | RuleBody::Sequence(_) => None,
        }
    }

    /// Checks the IR depth bound ([`crate::MAX_NESTING`]) on the rule as it is now: after
    /// filters and pipelines, which add levels the front end never saw. Every stage that
    /// walks a detection recursively (compile, evaluate, print) relies on it.
    pub fn check_depth(&self) -> Result<(), Diagnostic> {
        let too_deep = match &self.body {
            RuleBody::Detection(expr) => !expr.within_depth(crate::MAX_NESTING),
            RuleBody::Sequence(s) => s.all_stages().any(|st| !st.expr.within_depth(crate::MAX_NESTING)),
            RuleBody::Correlation(_) => false,
        };
        if too_deep {
            return Err(Diagnostic::error(
                "ir::too-deep",
                self.source.clone(),
                self.span,
                format!("the detection is nested deeper than {} levels once filters and pipelines are applied", crate::MAX_NESTING),
            )
            .with_hint("simplify the condition, or apply fewer filters to this rule"));
        }
        Ok(())
    }

    pub fn correlation(&self) -> Option<&Correlation> {
        match &self.body {
            RuleBody::Correlation(c) => Some(c),
            RuleBody::Detection(_) | RuleBody::Sequence(_) => None,
        }
    }

    pub fn sequence(&self) -> Option<&crate::sequence::Sequence> {
        match &self.body {
            RuleBody::Sequence(s) => Some(s),
            RuleBody::Detection(_) | RuleBody::Correlation(_) => None,
        }
    }
}
