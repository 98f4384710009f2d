//! The `sigma` target: a rule printed back as a whole Sigma rule, from the detection as its
//! author wrote it (`vigil_ir::WrittenDetection`), so modifiers round-trip (`base64offset`,
//! `windash`, `cidr`, `expand` …) instead of their expansions.
//!
//! With a pipeline, field names are the pipeline's (each item's field mapped as the pipeline
//! maps it for the rule's log source as written), the log source is the pipeline's result,
//! and the conditions the pipeline adds are printed as identifiers of their own, ANDed to the
//! condition. A Sigma filter linked into the rule follows it as a filter document naming
//! only this rule. Refused, each with its code: rules with no written form (EQL), sequences,
//! a filtered rule with no id or name (`emit::sigma::filter`), a field the pipeline maps to
//! several names (`emit::sigma::field-alternatives`), items a pipeline drops or whose
//! placeholders it resolves, added conditions that are not a conjunction of simple tests
//! (`emit::sigma::pipeline`), and correlations whose fields a pipeline renames.

use std::fmt::Write;

use vigil_ir::{
    Case, Diagnostic, Expr, Field, NumOp, Predicate, Rule, RuleBody, RuleMeta, Search, Span, StrOp, Test, ValueKind, WrittenDetection, WrittenItem,
};
use vigil_pipeline::model::Transformation;
use vigil_pipeline::Pipeline;

use crate::yaml_text::{quoted, string};

pub(crate) const IND: &str = "    ";

/// Prints `rule` (as `pipeline` mapped it, when one is given) as a Sigma rule, or says why
/// it cannot be.
pub fn print(rule: &Rule, pipeline: Option<&Pipeline>) -> Result<String, Diagnostic> {
    let mut out = String::new();
    header(&mut out, &rule.meta);
    logsource(&mut out, &rule.logsource);
    match &rule.body {
        RuleBody::Detection(_) => {
            let Some(written) = rule.meta.written.as_deref() else {
                return Err(refuse(
                    rule,
                    "emit::sigma::written-form",
                    rule.span,
                    "the rule keeps no Sigma detection as written (it was not loaded from Sigma)",
                ));
            };
            detection(&mut out, rule, written, pipeline)?;
        }
        RuleBody::Correlation(c) => crate::sigma_correlation::correlation(&mut out, rule, c, pipeline)?,
        RuleBody::Sequence(_) => return Err(refuse(rule, "emit::sigma::sequence", rule.span, "sequence and sample rules have no Sigma form")),
    }
    footer(&mut out, &rule.meta);
    if let (RuleBody::Detection(_), Some(written)) = (&rule.body, rule.meta.written.as_deref()) {
        filters(&mut out, rule, written, pipeline)?;
    }
    Ok(out)
}

fn logsource(out: &mut String, ls: &vigil_ir::LogSource) {
    let parts = [("product", &ls.product), ("category", &ls.category), ("service", &ls.service), ("definition", &ls.definition)];
    if parts.iter().any(|(_, v)| v.is_some()) {
        out.push_str("logsource:\n");
        for (key, value) in parts {
            if let Some(v) = value {
                let _ = writeln!(out, "{IND}{key}: {}", string(v));
            }
        }
    }
}

pub(crate) fn refuse(rule: &Rule, code: &'static str, span: Span, why: &str) -> Diagnostic {
    let message = format!("rule `{}` ({}) cannot be converted to sigma: {why}", rule.meta.title, rule.meta.handle());
    Diagnostic::error(code, rule.source.clone(), span, message)
}

fn list(out: &mut String, key: &str, items: &[String]) {
    if !items.is_empty() {
        let _ = writeln!(out, "{key}:");
        for item in items {
            let _ = writeln!(out, "{IND}- {}", string(item));
        }
    }
}

fn header(out: &mut String, m: &RuleMeta) {
    let _ = writeln!(out, "title: {}", string(&m.title));
    for (key, value) in [("id", &m.id), ("name", &m.name)] {
        if let Some(v) = value {
            let _ = writeln!(out, "{key}: {}", string(v));
        }
    }
    if let Some(s) = m.status {
        let _ = writeln!(out, "status: {}", s.name());
    }
    if let Some(d) = &m.description {
        let _ = writeln!(out, "description: {}", string(d));
    }
    list(out, "references", &m.references);
    for (key, value) in [("author", &m.author), ("date", &m.date), ("modified", &m.modified)] {
        if let Some(v) = value {
            // Dates are written plain: quoted or not, the loader reads their text.
            let _ = writeln!(out, "{key}: {}", if key == "author" { string(v) } else { quoted(v) });
        }
    }
    list(out, "tags", &m.tags);
}

fn footer(out: &mut String, m: &RuleMeta) {
    list(out, "falsepositives", &m.falsepositives);
    if let Some(l) = m.level {
        let _ = writeln!(out, "level: {}", l.as_str());
    }
    list(out, "fields", &m.fields);
}

/// How one rule's fields and added conditions come out of the pipeline.
struct Mapping<'a> {
    rule: &'a Rule,
    pipeline: Option<&'a Pipeline>,
    written: &'a WrittenDetection,
}

impl Mapping<'_> {
    fn field(&self, name: &str, span: Span) -> Result<String, Diagnostic> {
        let Some(p) = self.pipeline else { return Ok(name.to_string()) };
        match p.map_field(name, &self.written.logsource).as_slice() {
            [one] => Ok(one.clone()),
            many => Err(refuse(
                self.rule,
                "field-alternatives",
                span,
                &format!("pipeline `{}` maps field `{name}` to several names ({}), which one Sigma item cannot name", p.name, many.join(", ")),
            )
            .with_hint("use a pipeline that maps each field to one name")),
        }
    }
}

fn detection(out: &mut String, rule: &Rule, written: &WrittenDetection, pipeline: Option<&Pipeline>) -> Result<(), Diagnostic> {
    let map = Mapping { rule, pipeline, written };
    let added = added_conditions(&map)?;
    out.push_str("detection:\n");
    identifiers(out, &written.identifiers, &map)?;
    let names: Vec<&str> = written.identifiers.iter().map(|i| &*i.name).collect();
    let conditions: Vec<&str> = written.condition.texts.iter().map(|(t, _)| &**t).collect();
    if added.is_empty() {
        written_condition(out, &written.condition);
        return Ok(());
    }
    // Added conditions: identifiers no pattern of the condition matches, and `them` spelled
    // out so that it keeps meaning the rule's own identifiers.
    let mut parts = Vec::new();
    let mut taken: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    for (index, items) in added.iter().enumerate() {
        let mut name = format!("pipeline_condition_{}", index + 1);
        while taken.contains(&name)
            || conditions.iter().any(|c| c.split(|ch: char| ch.is_whitespace() || ch == '(' || ch == ')').any(|w| w.contains('*') && glob(w, &name)))
        {
            name.push('_');
        }
        let _ = writeln!(out, "{IND}{name}:");
        out.push_str(items);
        parts.push(name.clone());
        taken.push(name);
    }
    let own: Vec<String> = conditions.iter().map(|c| format!("({})", spell_them(c, &names))).collect();
    parts.push(if own.len() == 1 { own.concat() } else { format!("({})", own.join(" or ")) });
    let _ = writeln!(out, "{IND}condition: {}", string(&parts.join(" and ")));
    Ok(())
}

/// The search identifiers of a `detection` or `filter` section.
fn identifiers(out: &mut String, idents: &[vigil_ir::Identifier], map: &Mapping) -> Result<(), Diagnostic> {
    for ident in idents {
        let key = string(&ident.name);
        match &ident.search {
            Search::Map(items) => {
                let _ = writeln!(out, "{IND}{key}:");
                for item in items {
                    write_item(out, &format!("{IND}{IND}"), item, map)?;
                }
            }
            Search::Maps(maps) => {
                let _ = writeln!(out, "{IND}{key}:");
                for items in maps {
                    for (i, item) in items.iter().enumerate() {
                        let prefix = if i == 0 { format!("{IND}{IND}- ") } else { format!("{IND}{IND}  ") };
                        write_item(out, &prefix, item, map)?;
                    }
                }
            }
            Search::Keywords(item) if item.list => {
                let _ = writeln!(out, "{IND}{key}:");
                for v in &item.values {
                    let _ = writeln!(out, "{IND}{IND}- {}", value(v));
                }
            }
            Search::Keywords(item) => {
                let text = item.values.first().map(value).unwrap_or_else(|| "''".to_string());
                let _ = writeln!(out, "{IND}{key}: {text}");
            }
        }
    }
    Ok(())
}

/// A condition as written: one text, or a list.
fn written_condition(out: &mut String, condition: &vigil_ir::WrittenCondition) {
    if condition.list {
        let _ = writeln!(out, "{IND}condition:");
        for (c, _) in &condition.texts {
            let _ = writeln!(out, "{IND}{IND}- {}", string(c));
        }
    } else {
        let text = condition.texts.first().map(|(t, _)| &**t).unwrap_or_default();
        let _ = writeln!(out, "{IND}condition: {}", string(text));
    }
}

/// The Sigma filters linked into the rule, each as a filter document naming only this rule.
fn filters(out: &mut String, rule: &Rule, written: &WrittenDetection, pipeline: Option<&Pipeline>) -> Result<(), Diagnostic> {
    let map = Mapping { rule, pipeline, written };
    for f in &written.filters {
        let Some(handle) = rule.meta.id.as_deref().or(rule.meta.name.as_deref()) else {
            return Err(refuse(
                rule,
                "emit::sigma::filter",
                rule.span,
                &format!("the Sigma filter `{}` was linked into it, and the rule has no id or name a filter can name", f.title),
            ));
        };
        let _ = writeln!(out, "---\ntitle: {}", string(&f.title));
        if let Some(id) = &f.id {
            let _ = writeln!(out, "id: {}", string(id));
        }
        logsource(out, &f.logsource);
        let _ = writeln!(out, "filter:\n{IND}rules:\n{IND}{IND}- {}", string(handle));
        identifiers(out, &f.identifiers, &map)?;
        written_condition(out, &f.condition);
    }
    Ok(())
}

/// `*` patterns of a condition (`selection_*`) matched against a name.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = parts.collect();
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// `1 of them` / `all of them` with the identifiers spelled out.
fn spell_them(condition: &str, names: &[&str]) -> String {
    let spaced = condition.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let (Some(q), Some(&"of"), Some(&"them")) = (words.get(i), words.get(i + 1), words.get(i + 2)) {
            if matches!(*q, "1" | "any" | "all") {
                let op = if *q == "all" { " and " } else { " or " };
                out.push(format!("({})", names.join(op)));
                i += 3;
                continue;
            }
        }
        out.push(words.get(i).copied().unwrap_or_default().to_string());
        i += 1;
    }
    out.join(" ").replace("( ", "(").replace(" )", ")")
}

fn value(v: &vigil_ir::WrittenValue) -> String {
    match v.kind {
        ValueKind::String if v.quoted => quoted(&v.text),
        ValueKind::String => string(&v.text),
        // Numbers, booleans and null as written: they read back as the same kind.
        ValueKind::Int | ValueKind::Float | ValueKind::Bool | ValueKind::Null => v.text.to_string(),
    }
}

/// One item under `prefix` (its key's indentation, or `- ` for a list of maps); values one
/// level deeper.
fn write_item(out: &mut String, prefix: &str, item: &WrittenItem, map: &Mapping) -> Result<(), Diagnostic> {
    let mut key = match &item.field {
        Some(f) => map.field(f, item.span)?,
        None => String::new(),
    };
    for m in &item.modifiers {
        key.push('|');
        key.push_str(m);
    }
    let fieldref = item.modifiers.contains(&"fieldref");
    let text = |v: &vigil_ir::WrittenValue| -> Result<String, Diagnostic> {
        if fieldref && v.kind == ValueKind::String {
            return Ok(string(&map.field(&v.text, v.span)?));
        }
        Ok(value(v))
    };
    let key = string(&key);
    if !item.list {
        let v = item.values.first().map(&text).transpose()?.unwrap_or_else(|| "''".to_string());
        let _ = writeln!(out, "{prefix}{key}: {v}");
    } else if item.values.is_empty() {
        let _ = writeln!(out, "{prefix}{key}: []");
    } else {
        let _ = writeln!(out, "{prefix}{key}:");
        let pad = " ".repeat(prefix.len() + IND.len());
        for v in &item.values {
            let _ = writeln!(out, "{pad}- {}", text(v)?);
        }
    }
    Ok(())
}

/// The conditions the pipeline adds to this rule, each printed as the items of one
/// identifier; refuses transformations that change the rule's own items.
fn added_conditions(map: &Mapping) -> Result<Vec<String>, Diagnostic> {
    let Some(p) = map.pipeline else { return Ok(Vec::new()) };
    let fits = p.applicability(&map.written.logsource);
    let mut added = Vec::new();
    for (index, item) in p.items.iter().enumerate() {
        if !fits.applies(index) {
            continue;
        }
        match &item.transformation {
            Transformation::AddCondition(expr) => added.push(simple_conjunction(map, expr)?),
            Transformation::DropDetectionItem => {
                if let Some(dropped) = map.written.items().find(|i| i.field.as_deref().is_some_and(|f| item.touches_field(f))) {
                    return Err(refuse(map.rule, "emit::sigma::pipeline", dropped.span, &format!("pipeline `{}` drops this detection item", p.name)));
                }
            }
            Transformation::ValuePlaceholders { .. } => {
                if let Some(expand) = map.written.items().find(|i| i.modifiers.contains(&"expand")) {
                    return Err(refuse(
                        map.rule,
                        "emit::sigma::placeholder",
                        expand.span,
                        &format!("pipeline `{}` resolves the placeholders of this item", p.name),
                    )
                    .with_hint("convert with the `none` pipeline to keep `|expand` as written"));
                }
            }
            Transformation::FieldNameMapping(_)
            | Transformation::FieldNamePrefix { .. }
            | Transformation::ChangeLogsource(_)
            | Transformation::SetState { .. } => {}
        }
    }
    Ok(added)
}

/// A pipeline's added condition (a conjunction of simple tests) as the items of a map.
fn simple_conjunction(map: &Mapping, expr: &Expr) -> Result<String, Diagnostic> {
    let preds: Vec<&Predicate> = match expr {
        Expr::Pred(p) => vec![p],
        Expr::And(items) => items.iter().map(|e| if let Expr::Pred(p) = e { Some(p) } else { None }).collect::<Option<Vec<_>>>().unwrap_or_default(),
        _ => Vec::new(),
    };
    let unsupported =
        |span: Span| refuse(map.rule, "emit::sigma::pipeline", span, "the pipeline adds a condition that is not a conjunction of simple field tests");
    if preds.is_empty() {
        return Err(unsupported(map.rule.span));
    }
    let mut out = String::new();
    for p in preds {
        let Field::Named(name) = &p.field else { return Err(unsupported(p.span)) };
        let mut key = map.field(name, p.span)?;
        let values: Vec<String> = match &p.test {
            Test::Str { op, case, patterns } => {
                if *op != StrOp::Equals {
                    key.push('|');
                    key.push_str(op.name());
                }
                if *case == Case::Sensitive {
                    key.push_str("|cased");
                }
                let texts: Vec<String> = patterns.iter().map(|pat| pat.to_string()).collect();
                if patterns.iter().zip(&texts).any(|(pat, t)| vigil_ir::StrPattern::parse_wildcards(t) != *pat) {
                    return Err(unsupported(p.span));
                }
                texts.iter().map(|t| quoted(t)).collect()
            }
            Test::Num { op: NumOp::Eq, value } => vec![format!("{value}")],
            Test::Null => vec!["null".to_string()],
            Test::Exists(b) => {
                key.push_str("|exists");
                vec![b.to_string()]
            }
            _ => return Err(unsupported(p.span)),
        };
        let _ = writeln!(out, "{IND}{IND}{}:", string(&key));
        for v in values {
            let _ = writeln!(out, "{IND}{IND}{IND}- {v}");
        }
    }
    Ok(out)
}

/// The `sigma` target's entry in the dialect registry. The target prints whole rules
/// ([`print`]), never through the generic printer, so as a dialect it only names itself.
pub struct SigmaDialect;

impl crate::dialect::Dialect for SigmaDialect {
    fn name(&self) -> &'static str {
        "sigma"
    }
    crate::refusal_codes!("sigma");
    fn and(&self) -> &'static str {
        " and "
    }
    fn or(&self) -> &'static str {
        " or "
    }
    fn not(&self, inner: &str) -> String {
        format!("not {inner}")
    }
    fn constant(&self, value: bool) -> String {
        value.to_string()
    }
    fn statement(&self, condition: &str, _options: &crate::dialect::Options) -> String {
        condition.to_string()
    }
    fn string(
        &self,
        _: &str,
        _: StrOp,
        _: Case,
        _: &[vigil_ir::StrPattern],
        _: crate::dialect::Context,
    ) -> Result<crate::dialect::Emitted, crate::dialect::Refusal> {
        Err(crate::dialect::Refusal::new(crate::dialect::Construct::Text, "the sigma target prints whole rules from their written form"))
    }
    fn null(&self, _: &str, _: crate::dialect::Context) -> Result<crate::dialect::Emitted, crate::dialect::Refusal> {
        Err(crate::dialect::Refusal::new(crate::dialect::Construct::Text, "the sigma target prints whole rules from their written form"))
    }
}
