//! Correlation rules for the `sql` (SQLite) and `duckdb` targets: one statement that returns
//! exactly the alerts vigil's correlation engine raises, one row per alert.
//!
//! The engine's semantics (`vigil-engine::correlate`), spelled in SQL:
//!
//! - the feeds: every event a referenced rule matches, once per referenced rule (a
//!   `UNION ALL` of the rules' conditions), with its group key (each group-by field's first
//!   candidate column the event carries, `''` when none: a missing field is a group of its
//!   own), its value (`value_count`: the fields' values joined with U+001F, missing ones as
//!   `''`; an empty value is not counted) and its time;
//! - the time: the first of the pipeline's `timestamp_fields` (`@timestamp` when it names
//!   none) when it holds RFC 3339 UTC text, `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, as epoch
//!   milliseconds (the fraction truncated); an event without one is left out (the engine
//!   counts it as untimed). The stated narrowing: the engine also reads the pipeline's later
//!   time fields and other spellings (offsets, epoch numbers), which SQL leaves out;
//! - order: per group, by time, then the table's `rowid` (the input order the engine reads
//!   events in), then, for one event several referenced rules match, the rules' order in the
//!   rule set (as the engine feeds them), then their place in `rules`;
//! - lower bounds only (`gt`, `gte`; `temporal` without a condition): a *sliding* window of
//!   `timespan` ending at each event (events at most `timespan` older, inclusive), decided
//!   at every event; a group that fires starts over, so the walk over a group's events is a
//!   recursive CTE carrying the index of the last firing event;
//! - any upper bound (`lt`, `lte`, `eq`, `neq`): *tumbling* windows opened by a group's first
//!   event and closed by the first event more than `timespan` after it; the recursive CTE
//!   carries the window's first event, and each window is decided whole;
//! - measures: `event_count` counts events, `value_count` distinct non-empty values,
//!   `temporal` distinct referenced rules, `temporal_ordered` the longest prefix of the rule
//!   order found in order (the first match of each rule after the previous one's).
//!
//! The statement is one line (`convert --format text` prints one statement per line). It
//! returns the group-by columns (named as in `group-by`), `window_start` and
//! `window_end` (epoch milliseconds of the window's first and last event) and `value` (the
//! measure), as the engine's alert carries them. Refused (`emit::<target>::correlation`):
//! numeric aggregates (`value_sum`, `value_avg`, `value_median`, `value_percentile`) and
//! correlations over another correlation's alerts. The engine's memory bounds (groups, events
//! per window) are not spelled: past them the engine evicts and counts, SQL does not.

use std::sync::Arc;

use vigil_ir::{Correlation, CorrelationKind, CountCondition, Diagnostic, Rule, RuleBody};
use vigil_pipeline::Pipeline;

use crate::dialect::{Construct, Options, Refusal};
use crate::sql::{Engine, Sql};
use crate::sql_text::{identifier, literal};

/// The time column when the pipeline names none.
pub const DEFAULT_TIME_FIELD: &str = "@timestamp";

/// One referenced rule, as the statement reads it.
#[derive(Clone, Debug)]
pub struct Input {
    /// The rule's condition, as the target prints it (the `WHERE` of its own statement).
    pub condition: String,
    /// Per group-by field, the candidate columns (the first the event carries holds it).
    pub group_by: Vec<Vec<String>>,
    /// Per value field (`value_count`), the candidate columns.
    pub values: Vec<Vec<String>>,
    /// The rule's place in the rule set: one event matched by several referenced rules feeds
    /// them in this order, as the engine does (it matters to `temporal_ordered`).
    pub rank: usize,
}

/// Converts correlation rule `rule` of the set `rules` (as loaded, before the pipeline): the
/// correlation and the rules it references are mapped through `pipeline` together (so
/// group-by and value fields are mapped by each referenced rule's log source), each
/// referenced rule's condition is printed by `sql`, and they are read as [`statement`] says.
pub fn convert(rule: &Rule, rules: &[Arc<Rule>], pipeline: &Pipeline, sql: &Sql, options: &Options) -> Result<String, Diagnostic> {
    let RuleBody::Correlation(c) = &rule.body else {
        return Err(crate::printer::diagnostic(rule, sql, rule.span, Refusal::new(Construct::Correlation, "not a correlation rule")));
    };
    let refuse = |refusal: Refusal| crate::printer::diagnostic(rule, sql, c.span, refusal);
    let mut set = vec![rule.clone()];
    let mut ranks = Vec::with_capacity(c.rules.len());
    for reference in &c.rules {
        let Some((rank, base)) = rules.iter().enumerate().find(|(_, r)| r.meta.handles().any(|h| h == reference.name)) else {
            return Err(refuse(Refusal::new(Construct::Correlation, format!("the referenced rule `{}` is not among the rules converted", reference.name))));
        };
        if !matches!(base.body, RuleBody::Detection(_)) {
            return Err(refuse(
                Refusal::new(
                    Construct::Correlation,
                    format!("`{}` is not a detection rule: a correlation over another correlation's alerts (or a sequence)", reference.name),
                )
                .with_hint("vigil hunt runs chained correlations; convert the inner correlation on its own"),
            ));
        }
        set.push(Rule::clone(base));
        ranks.push(rank);
    }
    let mapped = vigil_pipeline::apply_all(&set, pipeline);
    if let Some(d) = mapped.refused.into_iter().next() {
        return Err(d);
    }
    let Some(RuleBody::Correlation(mc)) = mapped.rules.first().map(|r| &r.body) else {
        return Err(refuse(Refusal::new(Construct::Correlation, "the pipeline did not keep the correlation")));
    };
    let mut inputs = Vec::with_capacity(mc.rules.len());
    for ((reference, base), &rank) in mc.rules.iter().zip(mapped.rules.iter().skip(1)).zip(&ranks) {
        let RuleBody::Detection(expr) = &base.body else { continue };
        let condition = crate::printer::condition(base, expr, sql)?;
        let names: Vec<&str> = base.meta.handles().collect();
        let input = match mc.mapped_input(&reference.name) {
            Some(m) => Input { condition, group_by: m.group_by.clone(), values: m.values.clone(), rank },
            None => Input {
                condition,
                group_by: mc.group_by.iter().map(|g| vec![g.field_for(&names).to_string()]).collect(),
                values: mc.value_fields().into_iter().map(|f| vec![f]).collect(),
                rank,
            },
        };
        inputs.push(input);
    }
    statement(mc, &inputs, sql.engine, options, &mapped.timestamp_fields).map_err(refuse)
}

/// The statement for correlation `c` over its `inputs` (in `rules` order).
pub fn statement(c: &Correlation, inputs: &[Input], engine: Engine, options: &Options, time_fields: &[String]) -> Result<String, Refusal> {
    if let CorrelationKind::Value { .. } = c.kind {
        return Err(Refusal::new(Construct::Correlation, "a numeric aggregate (value_sum, value_avg, value_median, value_percentile) over a tumbling window")
            .with_hint("convert the referenced rules and aggregate in the target; vigil hunt runs the correlation itself"));
    }
    if inputs.is_empty() {
        return Err(Refusal::new(Construct::Correlation, "a correlation with no referenced rule to read"));
    }
    let groups = c.group_by.len();
    let g = |k: usize| identifier(&format!("_g{k}"));
    let table = identifier(&options.table);
    let time = identifier(time_fields.first().map(String::as_str).unwrap_or(DEFAULT_TIME_FIELD));
    let mut matches = Vec::with_capacity(inputs.len());
    for (k, input) in inputs.iter().enumerate() {
        let mut cols = vec![format!("{time} AS \"_ts\""), "rowid AS \"_o\"".to_string(), format!("{} AS \"_rank\"", input.rank), format!("{k} AS \"_input\"")];
        for gi in 0..groups {
            let candidates = input.group_by.get(gi).map(Vec::as_slice).unwrap_or_default();
            cols.push(format!("{} AS {}", first_present(candidates), g(gi)));
        }
        cols.push(format!("{} AS \"_v\"", value_expr(engine, &input.values)));
        matches.push(format!("SELECT {} FROM {table} WHERE {}", cols.join(", "), input.condition));
    }
    let gcols: Vec<String> = (0..groups).map(g).collect();
    let partition = if gcols.is_empty() { String::new() } else { format!("PARTITION BY {} ", gcols.join(", ")) };
    let feeds =
        format!("SELECT *, ROW_NUMBER() OVER ({partition}ORDER BY \"_t\", \"_o\", \"_rank\", \"_input\") AS \"_i\" FROM \"_timed\" WHERE \"_t\" IS NOT NULL");
    let timed = format!("SELECT *, {} AS \"_t\" FROM \"_matches\"", time_expr(engine, "\"_ts\""));
    let same = |a: &str, b: &str| -> String {
        if gcols.is_empty() {
            "TRUE".to_string()
        } else {
            gcols.iter().map(|c| format!("{a}.{c} = {b}.{c}")).collect::<Vec<_>>().join(" AND ")
        }
    };
    let gsel = |a: &str| gcols.iter().map(|c| format!("{a}.{c}")).collect::<Vec<_>>();
    let span = c.timespan_ms;
    let n = inputs.len();
    let names: Vec<String> = c.group_by.iter().enumerate().map(|(k, f)| format!("\"_x\".{} AS {}", g(k), identifier(&f.name))).collect();
    let sliding = c.condition.is_monotone();
    let body = if sliding {
        let window =
            |x: &str, lo: &str, j: &str| format!("{} AND {j}.\"_i\" > {lo} AND {j}.\"_i\" <= {x}.\"_i\" AND {j}.\"_t\" >= {x}.\"_t\" - {span}", same(j, x));
        let measure = |x: &str, lo: &str| measure(&c.kind, n, &|j: &str| window(x, lo, j));
        let holds = |m: &str| condition(&c.kind, &c.condition, n, m);
        let reset = format!("CASE WHEN {} THEN \"_w\".\"_i\" ELSE \"_w\".\"_r\" END", holds("\"_w\".\"_m\""));
        let head = [gcols.clone(), vec!["\"_i\"".into(), "\"_t\"".into(), "\"_r\"".into(), "\"_m\"".into()]].concat().join(", ");
        let first = [gsel("\"_x\""), vec!["\"_x\".\"_i\"".into(), "\"_x\".\"_t\"".into(), "0".into(), measure("\"_x\"", "0")]].concat().join(", ");
        let step = [gsel("\"_x\""), vec!["\"_x\".\"_i\"".into(), "\"_x\".\"_t\"".into(), reset.clone(), measure("\"_x\"", &reset)]].concat().join(", ");
        let start = format!("(SELECT MIN(\"_j\".\"_t\") FROM \"_feeds\" AS \"_j\" WHERE {})", window("\"_x\"", "\"_x\".\"_r\"", "\"_j\""));
        let out = [names, vec![format!("{start} AS \"window_start\""), "\"_x\".\"_t\" AS \"window_end\"".into(), "\"_x\".\"_m\" AS \"value\"".into()]]
            .concat()
            .join(", ");
        format!(
            "\"_walk\"({head}) AS (SELECT {first} FROM \"_feeds\" AS \"_x\" WHERE \"_x\".\"_i\" = 1 UNION ALL SELECT {step} FROM \"_walk\" AS \"_w\" JOIN \"_feeds\" AS \"_x\" ON {} AND \"_x\".\"_i\" = \"_w\".\"_i\" + 1) SELECT {out} FROM \"_walk\" AS \"_x\" WHERE {}",
            same("\"_w\"", "\"_x\""),
            holds("\"_x\".\"_m\"")
        )
    } else {
        let window = |x: &str, j: &str| format!("{} AND {j}.\"_i\" >= {x}.\"_s\" AND {j}.\"_i\" <= {x}.\"_i\"", same(j, x));
        let opens = format!("\"_x\".\"_t\" > \"_w\".\"_st\" + {span}");
        let head = [gcols.clone(), vec!["\"_i\"".into(), "\"_t\"".into(), "\"_s\"".into(), "\"_st\"".into()]].concat().join(", ");
        let first = [gsel("\"_x\""), vec!["\"_x\".\"_i\"".into(), "\"_x\".\"_t\"".into(), "\"_x\".\"_i\"".into(), "\"_x\".\"_t\"".into()]].concat().join(", ");
        let step = [
            gsel("\"_x\""),
            vec![
                "\"_x\".\"_i\"".into(),
                "\"_x\".\"_t\"".into(),
                format!("CASE WHEN {opens} THEN \"_x\".\"_i\" ELSE \"_w\".\"_s\" END"),
                format!("CASE WHEN {opens} THEN \"_x\".\"_t\" ELSE \"_w\".\"_st\" END"),
            ],
        ]
        .concat()
        .join(", ");
        let by = [gcols.clone(), vec!["\"_s\"".into()]].concat().join(", ");
        let windows = format!("SELECT {by}, MAX(\"_i\") AS \"_i\", MAX(\"_t\") AS \"_t\", MIN(\"_st\") AS \"_st\" FROM \"_walk\" GROUP BY {by}");
        let m = measure(&c.kind, n, &|j: &str| window("\"_x\"", j));
        let out = [names, vec!["\"_x\".\"_st\" AS \"window_start\"".into(), "\"_x\".\"_t\" AS \"window_end\"".into(), "\"_x\".\"_m\" AS \"value\"".into()]]
            .concat()
            .join(", ");
        format!(
            "\"_walk\"({head}) AS (SELECT {first} FROM \"_feeds\" AS \"_x\" WHERE \"_x\".\"_i\" = 1 UNION ALL SELECT {step} FROM \"_walk\" AS \"_w\" JOIN \"_feeds\" AS \"_x\" ON {} AND \"_x\".\"_i\" = \"_w\".\"_i\" + 1), \"_windows\" AS ({windows}), \"_measured\" AS (SELECT \"_x\".*, {m} AS \"_m\" FROM \"_windows\" AS \"_x\") SELECT {out} FROM \"_measured\" AS \"_x\" WHERE {}",
            same("\"_w\"", "\"_x\""),
            condition(&c.kind, &c.condition, n, "\"_x\".\"_m\"")
        )
    };
    Ok(format!("WITH RECURSIVE \"_matches\" AS ({}), \"_timed\" AS ({timed}), \"_feeds\" AS MATERIALIZED ({feeds}), {body}", matches.join(" UNION ALL ")))
}

/// The measure of the window whose rows `window(alias)` selects from `_feeds`.
fn measure(kind: &CorrelationKind, inputs: usize, window: &dyn Fn(&str) -> String) -> String {
    let of = |what: &str| format!("(SELECT {what} FROM \"_feeds\" AS \"_j\" WHERE {})", window("\"_j\""));
    match kind {
        CorrelationKind::EventCount => of("COUNT(*)"),
        CorrelationKind::ValueCount { .. } => of("COUNT(DISTINCT NULLIF(\"_j\".\"_v\", ''))"),
        CorrelationKind::Temporal | CorrelationKind::Value { .. } => of("COUNT(DISTINCT \"_j\".\"_input\")"),
        CorrelationKind::TemporalOrdered => {
            // The first match of rule k after the first match of rule k-1 (greedy, as the
            // engine scans the window).
            let mut found: Vec<String> = Vec::with_capacity(inputs);
            for k in 0..inputs {
                let j = format!("\"_j{k}\"");
                let after = found.last().map(|p| format!(" AND {j}.\"_i\" > {p}")).unwrap_or_default();
                found.push(format!("(SELECT MIN({j}.\"_i\") FROM \"_feeds\" AS {j} WHERE {} AND {j}.\"_input\" = {k}{after})", window(&j)));
            }
            let arms: String = found.iter().enumerate().rev().map(|(k, p)| format!(" WHEN {p} IS NOT NULL THEN {}", k + 1)).collect();
            format!("(CASE{arms} ELSE 0 END)")
        }
    }
}

/// The correlation's condition over the measure `m`.
fn condition(kind: &CorrelationKind, cond: &CountCondition, inputs: usize, m: &str) -> String {
    if cond.is_empty() {
        return match kind {
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => format!("{m} >= {inputs}"),
            _ => format!("{m} IS NOT NULL"),
        };
    }
    let bounds = [(">", cond.gt), (">=", cond.gte), ("<", cond.lt), ("<=", cond.lte), ("=", cond.eq), ("<>", cond.neq)];
    bounds.iter().filter_map(|(op, b)| b.map(|b| format!("{m} {op} {}", number(b)))).collect::<Vec<_>>().join(" AND ")
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// The first of `candidates` the event carries, `''` when none (the engine's missing group).
fn first_present(candidates: &[String]) -> String {
    let mut parts: Vec<String> = candidates.iter().map(|c| identifier(c)).collect();
    parts.push("''".to_string());
    format!("COALESCE({})", parts.join(", "))
}

/// The value fields joined as the engine joins them (U+001F between, missing as `''`).
fn value_expr(engine: Engine, values: &[Vec<String>]) -> String {
    if values.is_empty() {
        return "NULL".to_string();
    }
    let sep = match engine {
        Engine::Sqlite => " || char(31) || ",
        Engine::Duckdb => " || chr(31) || ",
    };
    values.iter().map(|v| first_present(v)).collect::<Vec<_>>().join(sep)
}

/// Epoch milliseconds of the RFC 3339 UTC text in `col`, else NULL.
fn time_expr(engine: Engine, col: &str) -> String {
    const D: &str = "[0-9]";
    let base = format!("{D}{D}{D}{D}-{D}{D}-{D}{D}T{D}{D}:{D}{D}:{D}{D}");
    // `…SSZ` or `…SS.<1 to 9 digits>Z`; the fraction is truncated to milliseconds, as the
    // engine reads it.
    let fraction = format!("substr({col}, 21, length({col}) - 21)");
    let shape = format!(
        "({col} GLOB {} OR ({col} GLOB {} AND length({col}) BETWEEN 22 AND 30 AND trim({fraction}, '0123456789') = ''))",
        literal(&format!("{base}Z")),
        literal(&format!("{base}.{D}*Z"))
    );
    // Hours, minutes and seconds in range: SQLite would carry an overflow into the next unit.
    let ranges = format!("substr({col}, 12, 2) < '24' AND substr({col}, 15, 2) < '60' AND substr({col}, 18, 2) < '60'");
    let millis = format!("CAST(substr(CASE WHEN length({col}) > 20 THEN {fraction} ELSE '' END || '000', 1, 3) AS INTEGER)");
    let seconds = format!("substr({col}, 1, 19)");
    match engine {
        // `date()` normalises an impossible day (2024-02-31 → 2024-03-02): it must read back.
        Engine::Sqlite => format!(
            "CASE WHEN {shape} AND {ranges} AND date(julianday(substr({col}, 1, 10))) = substr({col}, 1, 10) THEN CAST(round((julianday({seconds}) - 2440587.5) * 86400000) AS INTEGER) + {millis} END"
        ),
        Engine::Duckdb => format!("CASE WHEN {shape} AND {ranges} THEN epoch_ms(TRY_CAST({seconds} || 'Z' AS TIMESTAMPTZ)) + {millis} END"),
    }
}
