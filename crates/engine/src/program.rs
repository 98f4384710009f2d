//! Compiling a rule set into one program, and evaluating one event against it.

use std::collections::HashMap;
use std::sync::Arc;

use vigil_ir::{Case, Diagnostic, Expr, Field, HandleIndex, LogSource, NumOp, Rule, RuleBody, StrOp, StrPattern, Test};

use crate::automatons::Automatons;
use crate::correlate::{compile_correlations, CorrelationPlan};
use crate::fields::{FieldTrie, Slot, KEYWORD_SLOT};
use crate::keyword_gate::{KeywordGate, KeywordNeed};
use crate::matcher::StrSet;
use crate::predicate::{Check, CompiledPredicate};
use crate::prefilter::{regex_witnesses, string_witnesses, Candidates, Prefilter};
use crate::route::{same_label, Route, Routes};
use crate::selectivity::{Need, Stats};
use crate::sequence::SequencePlan;
use crate::view::EventView;
use vigil_view::SourceLabel;

/// A boolean expression over compiled predicates.
#[derive(Debug)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Pred(u32),
    Const(bool),
    /// A computed expression (index into the program's computed expressions).
    Compute(u32),
}

/// One stateless rule of the program.
#[derive(Debug)]
pub struct CompiledRule {
    /// The rule as compiled: after the pipeline stage, field names are the data source's.
    pub rule: Arc<Rule>,
    pub root: Node,
    /// False when only correlations with `generate: false` use it.
    pub emits: bool,
}

/// A compiled rule set.
pub struct Program {
    pub fields: FieldTrie,
    pub rules: Vec<CompiledRule>,
    pub(crate) predicates: Vec<CompiledPredicate>,
    pub(crate) computes: Vec<crate::compute::Compiled>,
    prefilter: Prefilter,
    pub correlations: CorrelationPlan,
    /// Sequences, fed by hidden stage rules of `rules`.
    pub sequences: SequencePlan,
    /// Slots of the timestamp fields, in preference order.
    pub timestamp_slots: Vec<Slot>,
    /// What each source label seen so far admits (see `route`).
    routes: Routes,
    /// Which JSON records need not be parsed (see `raw_prefilter`); `None` when every one must.
    pub raw_prefilter: Option<crate::raw_prefilter::RawPrefilter>,
    /// Which records need their strings collected for keyword rules (see `keyword_gate`).
    keyword_gate: KeywordGate,
}

/// What compiling produced besides the program.
pub struct CompileReport {
    /// Rules that cannot run on this data source, with why.
    pub refused: Vec<Diagnostic>,
}

/// Per-thread scratch space for evaluation.
#[derive(Default)]
pub struct Scratch {
    candidates: Candidates,
    /// The routes this thread used, most recent first (a few labels per file).
    routes: Vec<(SourceLabel, Arc<Route>)>,
    /// A record's text lower-cased, for the keyword gate.
    lowered: Vec<u8>,
}

struct Builder {
    fields: FieldTrie,
    predicates: Vec<CompiledPredicate>,
    computes: Vec<crate::compute::Compiled>,
    /// Why the rule being compiled cannot run, if something in it failed to compile.
    failure: Option<(vigil_ir::Span, String)>,
    /// Each distinct regular expression is compiled once (a `Regex` clone shares it).
    regexes: HashMap<vigil_ir::RegexPattern, Result<regex::Regex, String>>,
    /// Set when the rule being compiled reads the keyword slot.
    reads_keywords: bool,
    /// Substring automatons, one per distinct needle list (prebuilt on several threads).
    automatons: Automatons,
}

/// The most memory one compiled regular expression may take; bounds hostile rules.
const REGEX_SIZE_LIMIT: usize = 1 << 22;

impl Builder {
    fn slot_of(&mut self, field: &Field) -> Slot {
        match field {
            Field::Keyword => {
                self.fields.enable_keywords();
                self.reads_keywords = true;
                KEYWORD_SLOT
            }
            Field::Named(name) => self.fields.slot(name),
        }
    }

    /// Compiles an expression; returns the node and what an event needs for it to hold
    /// (the candidate index chooses from it once every rule is compiled).
    fn node(&mut self, expr: &Expr) -> (Node, Need) {
        match expr {
            Expr::And(items) => {
                let (nodes, needs): (Vec<_>, Vec<_>) = items.iter().map(|item| self.node(item)).unzip();
                (Node::And(nodes), Need::And(needs))
            }
            Expr::Or(items) => {
                let (nodes, needs): (Vec<_>, Vec<_>) = items.iter().map(|item| self.node(item)).unzip();
                (Node::Or(nodes), Need::Or(needs))
            }
            Expr::Not(inner) => (Node::Not(Box::new(self.node(inner).0)), Need::Any),
            Expr::Named { expr, .. } => self.node(expr),
            Expr::Const(b) => (Node::Const(*b), if *b { Need::Any } else { Need::Never }),
            // A computed expression gives the candidate index nothing to require.
            Expr::Compute { value, span } => match crate::compute::compile(value, &mut self.fields) {
                Ok(compiled) => {
                    self.computes.push(compiled);
                    (Node::Compute(self.computes.len() as u32 - 1), Need::Any)
                }
                Err(e) => {
                    self.failure = Some((*span, e));
                    (Node::Const(false), Need::Any)
                }
            },
            Expr::Pred(p) => {
                let slot = self.slot_of(&p.field);
                let (check, witness) = match &p.test {
                    Test::Str { op, case, patterns } => {
                        (Check::Str(StrSet::with_automatons(*op, *case, patterns, &mut self.automatons)), string_witnesses(slot, *op, *case, patterns))
                    }
                    Test::Regex { patterns } => {
                        let mut compiled = Vec::with_capacity(patterns.len());
                        for r in patterns {
                            let built = self.regexes.entry(r.clone()).or_insert_with(|| {
                                regex::RegexBuilder::new(&r.source)
                                    .case_insensitive(r.case_insensitive)
                                    .multi_line(r.multi_line)
                                    .dot_matches_new_line(r.dot_matches_new_line)
                                    .size_limit(REGEX_SIZE_LIMIT)
                                    .build()
                                    .map_err(|e| e.to_string())
                            });
                            match built {
                                Ok(re) => compiled.push(re.clone()),
                                Err(e) => self.failure = Some((p.span, format!("regular expression `{}` does not compile: {e}", r.source))),
                            }
                        }
                        (Check::Regex(compiled), regex_witnesses(slot, patterns))
                    }
                    Test::Cidr { networks } => (Check::Cidr(networks.clone()), None),
                    Test::Num { op, value } => {
                        // Numeric equality is indexed by the number's canonical text (the
                        // index looks numeric event values up by theirs too).
                        let witness = match op {
                            NumOp::Eq => string_witnesses(slot, StrOp::Equals, Case::Insensitive, &[StrPattern::literal(crate::number::canonical(*value))]),
                            NumOp::Lt | NumOp::Lte | NumOp::Gt | NumOp::Gte => None,
                        };
                        (Check::Num { op: *op, value: *value }, witness)
                    }
                    Test::Exists(b) => (Check::Exists(*b), None),
                    Test::Null => (Check::Null, None),
                    Test::Time { part, values } => (Check::Time { part: *part, values: values.clone() }, None),
                };
                let index = self.predicates.len() as u32;
                self.predicates.push(CompiledPredicate { slot, check });
                (Node::Pred(index), witness.map_or(Need::Any, Need::Group))
            }
        }
    }
}

impl Builder {
    /// Compiles a sequence's stages as hidden rules (no id or name, so nothing can refer to
    /// them; they raise no alerts of their own) and registers the sequence.
    fn sequence(
        &mut self,
        rule: Rule,
        seq: vigil_ir::Sequence,
        compiled: &mut Vec<CompiledRule>,
        witnesses: &mut Vec<Need>,
        plan: &mut SequencePlan,
        refused: &mut Vec<Diagnostic>,
    ) {
        if let Err(d) = rule.check_depth() {
            refused.push(d);
            return;
        }
        let mut stages = Vec::new();
        for (i, stage) in seq.all_stages().enumerate() {
            let (root, witness) = self.node(&stage.expr);
            if let Some((span, message)) = self.failure.take() {
                refused.push(Diagnostic::error("engine::compile", rule.source.clone(), span, message));
                return;
            }
            let mut meta = rule.meta.clone();
            meta.id = None;
            meta.name = None;
            meta.title = format!("{} (stage {})", rule.meta.title, i + 1);
            // Field by field: `..rule.clone()` would copy the whole sequence once per stage.
            let hidden = Rule {
                meta,
                logsource: rule.logsource.clone(),
                body: RuleBody::Detection(stage.expr.clone()),
                source: rule.source.clone(),
                span: stage.span,
                warnings: Vec::new(),
            };
            stages.push((CompiledRule { rule: Arc::new(hidden), root, emits: false }, witness));
        }
        let mut indices = Vec::with_capacity(stages.len());
        for (c, w) in stages {
            indices.push(compiled.len() as u32);
            compiled.push(c);
            witnesses.push(w);
        }
        plan.add(Arc::new(rule), seq, &indices, &mut self.fields);
    }
}

impl Program {
    /// The fields read for the event time when the pipeline names none, in order.
    pub const DEFAULT_TIMESTAMP_FIELDS: &'static [&'static str] = &["@timestamp", "timestamp", "UtcTime", "TimeCreated", "EventTime", "ts", "time"];

    /// Compiles `rules` (taken, not copied), already mapped to one data source by the pipeline stage
    /// (`vigil_pipeline::apply_all`): field names are read as they are. The event time is
    /// read from the first of `timestamp_fields` that parses ([`Self::DEFAULT_TIMESTAMP_FIELDS`]
    /// when empty). Rules that cannot run (nested deeper than the IR bound, a regex that
    /// does not compile, or correlations over such rules) are reported, not dropped silently.
    pub fn compile(rules: Vec<Rule>, timestamp_fields: &[String]) -> (Program, CompileReport) {
        let mut b = Builder {
            fields: FieldTrie::default(),
            predicates: Vec::new(),
            computes: Vec::new(),
            failure: None,
            regexes: HashMap::new(),
            reads_keywords: false,
            automatons: Automatons::default(),
        };
        b.automatons.prebuild(crate::automatons::needle_lists(&rules), crate::parallel::cores());
        let mut refused = Vec::new();
        let mut compiled = Vec::new();
        let mut witnesses = Vec::new();
        let mut correlations = Vec::new();
        let mut sequences = SequencePlan::default();
        // Per compiled rule: it reads the keyword slot.
        let mut readers = Vec::new();
        for rule in rules {
            b.reads_keywords = false;
            if let RuleBody::Sequence(seq) = &rule.body {
                let seq = seq.clone();
                b.sequence(rule, seq, &mut compiled, &mut witnesses, &mut sequences, &mut refused);
                readers.resize(compiled.len(), b.reads_keywords);
                continue;
            }
            let RuleBody::Detection(expr) = &rule.body else {
                correlations.push(rule);
                continue;
            };
            if let Err(d) = rule.check_depth() {
                refused.push(d);
                continue;
            }
            let (root, witness) = b.node(expr);
            if let Some((span, message)) = b.failure.take() {
                refused.push(Diagnostic::error("engine::compile", rule.source.clone(), span, message));
                continue;
            }
            witnesses.push(witness);
            compiled.push(CompiledRule { rule: Arc::new(rule), root, emits: true });
            readers.resize(compiled.len(), b.reads_keywords);
        }
        let timestamp_slots = if timestamp_fields.is_empty() {
            Self::DEFAULT_TIMESTAMP_FIELDS.iter().map(|f| b.fields.slot(f)).collect()
        } else {
            timestamp_fields.iter().map(|f| b.fields.slot(f)).collect()
        };
        let handles = HandleIndex::new(compiled.iter().map(|c| c.rule.as_ref()));
        let correlations = compile_correlations(&correlations, &mut compiled, &handles, &mut b.fields, &mut refused);
        // Groups are chosen by selectivity across the whole rule set (see `selectivity`).
        let stats = Stats::new(&witnesses);
        let requirements: Vec<_> = witnesses.iter().map(|need| stats.requirement(need)).collect();
        let prefilter = Prefilter::build(&requirements);
        let keyword_gate = KeywordGate::build(&readers, &requirements, &prefilter.always);
        let raw_prefilter = crate::raw_prefilter::RawPrefilter::build(&compiled);
        let program = Program {
            fields: b.fields,
            rules: compiled,
            predicates: b.predicates,
            computes: b.computes,
            prefilter,
            correlations,
            sequences,
            timestamp_slots,
            routes: Routes::default(),
            raw_prefilter,
            keyword_gate,
        };
        (program, CompileReport { refused })
    }

    /// Number of rules with no literal the candidate index could use.
    pub fn unindexed_rules(&self) -> usize {
        self.prefilter.always_count()
    }

    /// A fresh event view sized for this program.
    pub fn new_view(&self) -> EventView {
        EventView::new(self.fields.slot_count())
    }

    fn eval(&self, node: &Node, view: &EventView) -> bool {
        match node {
            Node::And(items) => items.iter().all(|n| self.eval(n, view)),
            Node::Or(items) => items.iter().any(|n| self.eval(n, view)),
            Node::Not(inner) => !self.eval(inner, view),
            Node::Pred(i) => self.predicates.get(*i as usize).is_some_and(|p| p.eval(view)),
            Node::Const(b) => *b,
            Node::Compute(i) => self.computes.get(*i as usize).is_some_and(|c| c.matches(view)),
        }
    }

    /// Appends to `out` the indices of the rules that match the event in `view`, ascending.
    ///
    /// `source` is where the event came from, when the user says so: then only rules whose
    /// log source is compatible are considered (logsource routing). Events of unknown source
    /// are evaluated against every rule.
    pub fn matches(&self, view: &EventView, source: Option<&LogSource>, scratch: &mut Scratch, out: &mut Vec<u32>) {
        self.matches_labelled(view, source, None, scratch, out);
    }

    /// Like [`Program::matches`], and when `source` is `None`, routed by the record's own
    /// `label` (read by its reader): only rules whose log source the label admits are
    /// considered (a part the label does not know admits every rule).
    pub fn matches_labelled(&self, view: &EventView, source: Option<&LogSource>, label: Option<&SourceLabel>, scratch: &mut Scratch, out: &mut Vec<u32>) {
        let route = match (source, label) {
            (None, Some(l)) => Some(self.route(l, &mut scratch.routes)),
            _ => None,
        };
        self.prefilter.candidates(view, route.as_ref().map(|r| r.parts.as_slice()), &mut scratch.candidates);
        self.evaluate_candidates(view, source, route.as_deref(), scratch, out);
    }

    /// Like [`Program::matches_labelled`] with no `--logsource`, for a view extracted
    /// without keyword values from the JSON text `raw`: false (and `out` untouched) when the
    /// record needs them after all (some keyword rule its label admits may be a candidate;
    /// see `keyword_gate`), and then it must be extracted with them and evaluated again.
    pub fn matches_without_keywords(&self, view: &EventView, raw: &[u8], label: Option<&SourceLabel>, scratch: &mut Scratch, out: &mut Vec<u32>) -> bool {
        if !self.fields.wants_keywords() {
            self.matches_labelled(view, None, label, scratch, out);
            return true;
        }
        let Some(label) = label else { return false };
        let route = self.route(label, &mut scratch.routes);
        let indexed = match &route.keywords {
            KeywordNeed::No => false,
            KeywordNeed::Always => return false,
            KeywordNeed::Check(scan) => {
                if scan.as_ref().is_some_and(|ac| crate::keyword_gate::found(ac, raw, &mut scratch.lowered)) {
                    return false;
                }
                true
            }
        };
        self.prefilter.candidates(view, Some(&route.parts), &mut scratch.candidates);
        let admitted = |r: u32| route.admitted.get(r as usize).copied().unwrap_or(true);
        if indexed && scratch.candidates.list.iter().any(|&r| admitted(r) && self.keyword_gate.indexed_reader(r)) {
            return false;
        }
        self.evaluate_candidates(view, None, Some(&route), scratch, out);
        true
    }

    /// Evaluates the candidates the index left in `scratch` (the log-source check first).
    fn evaluate_candidates(&self, view: &EventView, source: Option<&LogSource>, route: Option<&Route>, scratch: &mut Scratch, out: &mut Vec<u32>) {
        scratch.candidates.list.sort_unstable();
        for &r in &scratch.candidates.list {
            if let Some(rule) = self.rules.get(r as usize) {
                let admitted = match (source, route) {
                    (Some(s), _) => s.compatible(&rule.rule.logsource),
                    (None, Some(route)) => route.admitted.get(r as usize).copied().unwrap_or(true),
                    (None, None) => true,
                };
                if admitted && self.eval(&rule.root, view) {
                    out.push(r);
                }
            }
        }
    }

    /// The route of `label`: from this thread's recent routes, else the program's (computed
    /// on the first record of the label any thread sees).
    fn route(&self, label: &SourceLabel, recent: &mut Vec<(SourceLabel, Arc<Route>)>) -> Arc<Route> {
        if let Some(i) = recent.iter().position(|(l, _)| same_label(l, label)) {
            if i > 0 {
                recent.swap(0, i);
            }
            if let Some((_, route)) = recent.first() {
                return route.clone();
            }
        }
        let route = self.routes.get(label, || {
            let admitted = self
                .rules
                .iter()
                .map(|c| {
                    let ls = &c.rule.logsource;
                    label.admits(ls.product.as_deref(), ls.service.as_deref(), ls.category.as_deref())
                })
                .collect();
            let mut route = Route::new(admitted, &self.prefilter.parts);
            route.keywords = self.keyword_gate.need(|r| route.admitted.get(r).copied().unwrap_or(true));
            route
        });
        recent.insert(0, (*label, route.clone()));
        route
    }

    /// How many rules the candidate index selects for the event in `view`, before logsource
    /// routing: what measures the index (evaluation does not call it).
    pub fn candidate_count(&self, view: &EventView, scratch: &mut Scratch) -> usize {
        self.prefilter.candidates(view, None, &mut scratch.candidates);
        scratch.candidates.list.len()
    }

    /// Evaluates every rule without the candidate index (the reference the index is
    /// tested against).
    pub fn matches_exhaustive(&self, view: &EventView, out: &mut Vec<u32>) {
        for (i, rule) in self.rules.iter().enumerate() {
            if self.eval(&rule.root, view) {
                out.push(i as u32);
            }
        }
    }

    /// The event time of the view, from the first timestamp field that parses.
    pub fn timestamp(&self, view: &EventView) -> Option<i64> {
        self.timestamp_slots.iter().find_map(|&s| view.first(s).and_then(|v| crate::time::parse_timestamp(v.text)))
    }

    /// Like [`Program::timestamp`], but a timestamp field that is present and is not a valid
    /// time (an impossible date such as `2024-02-31`, a malformed value) is returned as
    /// `Err(text)` when no timestamp field parses, so the caller can report it.
    pub fn timestamp_checked<'v>(&self, view: &'v EventView) -> Result<Option<i64>, &'v str> {
        let mut bad = None;
        for &slot in &self.timestamp_slots {
            if let Some(v) = view.first(slot) {
                match crate::time::parse_timestamp(v.text) {
                    Some(t) => return Ok(Some(t)),
                    None => bad = bad.or(Some(v.text)),
                }
            }
        }
        bad.map_or(Ok(None), Err)
    }
}
