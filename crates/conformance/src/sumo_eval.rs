//! A small parser and evaluator for the Sumo Logic CSE query subset the seed pages use and
//! vigil's `sumo` target prints, so both run here over JSON records:
//! `_index=… | where <expr> | if (<expr>, <expr>, <expr>) as f | fields a, b | sort by f desc`.
//!
//! Expressions: `and`, `or`, `not`/`!`, parentheses; `=`, `!=`, `<`, `<=`, `>`, `>=`;
//! `x in ("a", "b")`; calls `matches(x, /re/)`, `toLowerCase`, `isNull`, `num`, `toInt`,
//! `compareCIDRPrefix`, `isValidIPv4`, `if`; literals `"…"` (C escapes), `/…/` (a regex; `\/` is a
//! slash), numbers, `true`/`false`; fields as names or `%"a.b"`.
//!
//! Semantics (what the `sumo` target assumes of Sumo Logic, stated once here):
//! - a field the record lacks, or holds as JSON null, is null; a nested field is read by
//!   its dotted path, or by a key holding the dots;
//! - `matches(x, /re/)` is a regex *search* (RE2 syntax, read by the `regex` crate) and
//!   `toLowerCase` is Unicode lower case;
//! - logic is three-valued: a comparison or call on null is unknown, `not` of unknown is
//!   unknown, and `where` keeps a record only when its condition is true. (This is the
//!   strictest reading: the target's `!isNull(f) and …` guards must hold under it.)

use std::collections::BTreeMap;

use serde_json::Value;

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    /// The text before the first `|` (`_index=sec_record_process`).
    pub source: String,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone)]
pub enum Stage {
    Where(Expr),
    If { cond: Expr, then: Expr, otherwise: Expr, name: String },
    Fields(Vec<String>),
    Sort { field: String, descending: bool },
}

#[derive(Debug, Clone)]
pub enum Expr {
    Field(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Regex(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(String, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    Call(String, Vec<Expr>),
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Str(String),
    Num(f64),
    Bool(bool),
    Regex(String),
}

/// Parses a query, or says where it stops making sense.
pub fn parse(text: &str) -> Result<Query, String> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, at: 0 };
    let mut source = Vec::new();
    while let Some(t) = p.peek() {
        if t == &Tok::Pipe {
            break;
        }
        source.push(p.next_text());
    }
    let mut stages = Vec::new();
    while p.eat(&Tok::Pipe) {
        let word = p.word()?;
        stages.push(match word.as_str() {
            "where" => Stage::Where(p.expr()?),
            "if" => {
                let Expr::Call(_, args) = p.call("if".into())? else { return Err("`if` needs arguments".into()) };
                let [cond, then, otherwise]: [Expr; 3] = args.try_into().map_err(|_| "`if` takes three arguments".to_string())?;
                if p.word()? != "as" {
                    return Err("`if (…)` needs `as name`".into());
                }
                Stage::If { cond, then, otherwise, name: p.word()? }
            }
            "fields" => {
                let mut names = vec![p.word()?];
                while p.eat(&Tok::Comma) {
                    names.push(p.word()?);
                }
                Stage::Fields(names)
            }
            "sort" => {
                if p.word()? != "by" {
                    return Err("`sort` needs `by`".into());
                }
                let field = p.word()?;
                let descending = match p.peek() {
                    Some(Tok::Word(w)) if w == "desc" || w == "asc" => p.word()? == "desc",
                    _ => true,
                };
                Stage::Sort { field, descending }
            }
            other => return Err(format!("unsupported stage `{other}`")),
        });
    }
    if p.at != p.tokens.len() {
        return Err(format!("unexpected {:?}", p.tokens.get(p.at)));
    }
    Ok(Query { source: source.join(" "), stages })
}

/// The fields a query computed for one record (`if … as f`, `fields`).
pub type Computed = BTreeMap<String, Val>;

/// Runs `query` over `records`: the indices of the records it keeps, in output order, with
/// each one's record after the `if` and `fields` stages.
pub fn run(query: &Query, records: &[Value]) -> Result<Vec<(usize, Computed)>, String> {
    let mut rows: Vec<(usize, BTreeMap<String, Val>, &Value)> = records.iter().enumerate().map(|(i, r)| (i, BTreeMap::new(), r)).collect();
    for stage in &query.stages {
        match stage {
            Stage::Where(e) => {
                let mut kept = Vec::new();
                for row in rows {
                    if eval(e, row.2, &row.1)? == Val::Bool(true) {
                        kept.push(row);
                    }
                }
                rows = kept;
            }
            Stage::If { cond, then, otherwise, name } => {
                for row in &mut rows {
                    let v = if eval(cond, row.2, &row.1)? == Val::Bool(true) { eval(then, row.2, &row.1)? } else { eval(otherwise, row.2, &row.1)? };
                    row.1.insert(name.clone(), v);
                }
            }
            Stage::Fields(names) => {
                for row in &mut rows {
                    let kept: BTreeMap<String, Val> = names.iter().map(|n| (n.clone(), row.1.get(n).cloned().unwrap_or_else(|| field(row.2, n)))).collect();
                    row.1 = kept;
                }
            }
            Stage::Sort { field: f, descending } => {
                let key = |row: &(usize, BTreeMap<String, Val>, &Value)| format!("{:?}", row.1.get(f).cloned().unwrap_or_else(|| field(row.2, f)));
                rows.sort_by_key(key);
                if *descending {
                    rows.reverse();
                }
            }
        }
    }
    Ok(rows.into_iter().map(|(i, computed, _)| (i, computed)).collect())
}

fn field(record: &Value, name: &str) -> Val {
    let direct = record.get(name);
    let nested = || name.split('.').try_fold(record, |v, part| v.get(part));
    match direct.or_else(nested) {
        None | Some(Value::Null) => Val::Null,
        Some(Value::String(s)) => Val::Str(s.clone()),
        Some(Value::Number(n)) => Val::Str(n.to_string()),
        Some(Value::Bool(b)) => Val::Str(b.to_string()),
        Some(other) => Val::Str(other.to_string()),
    }
}

fn eval(e: &Expr, record: &Value, computed: &BTreeMap<String, Val>) -> Result<Val, String> {
    let ev = |x: &Expr| eval(x, record, computed);
    Ok(match e {
        Expr::Field(name) => computed.get(name).cloned().unwrap_or_else(|| field(record, name)),
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Num(n) => Val::Num(*n),
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Regex(r) => Val::Regex(r.clone()),
        Expr::Not(x) => match ev(x)? {
            Val::Bool(b) => Val::Bool(!b),
            _ => Val::Null,
        },
        Expr::And(a, b) => match (ev(a)?, ev(b)?) {
            (Val::Bool(false), _) | (_, Val::Bool(false)) => Val::Bool(false),
            (Val::Bool(true), Val::Bool(true)) => Val::Bool(true),
            _ => Val::Null,
        },
        Expr::Or(a, b) => match (ev(a)?, ev(b)?) {
            (Val::Bool(true), _) | (_, Val::Bool(true)) => Val::Bool(true),
            (Val::Bool(false), Val::Bool(false)) => Val::Bool(false),
            _ => Val::Null,
        },
        Expr::Cmp(op, a, b) => compare(op, &ev(a)?, &ev(b)?),
        Expr::In(x, list) => {
            let v = ev(x)?;
            if v == Val::Null {
                return Ok(Val::Null);
            }
            let mut found = false;
            for item in list {
                found |= compare("=", &v, &ev(item)?) == Val::Bool(true);
            }
            Val::Bool(found)
        }
        Expr::Call(name, args) => {
            let vals = args.iter().map(ev).collect::<Result<Vec<_>, _>>()?;
            call(name, &vals)?
        }
    })
}

fn compare(op: &str, a: &Val, b: &Val) -> Val {
    let ordering = match (a, b) {
        (Val::Null, _) | (_, Val::Null) => return Val::Null,
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(o) = ordering else { return Val::Null };
    Val::Bool(match op {
        "=" => o.is_eq(),
        "!=" => o.is_ne(),
        "<" => o.is_lt(),
        "<=" => o.is_le(),
        ">" => o.is_gt(),
        _ => o.is_ge(),
    })
}

fn call(name: &str, args: &[Val]) -> Result<Val, String> {
    Ok(match (name, args) {
        ("matches", [Val::Null, _]) => Val::Null,
        ("matches", [Val::Str(s), Val::Regex(r)]) => Val::Bool(compiled(r)?.is_match(s)),
        ("isValidIPv4", [v]) => Val::Bool(matches!(v, Val::Str(s) if s.parse::<std::net::Ipv4Addr>().is_ok())),
        ("toLowerCase", [Val::Str(s)]) => Val::Str(s.to_lowercase()),
        ("toLowerCase", [Val::Null]) => Val::Null,
        ("isNull", [v]) => Val::Bool(*v == Val::Null),
        ("num", [Val::Str(s)]) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map_or(Val::Null, Val::Num),
        ("num" | "toInt", [Val::Num(n)]) => Val::Num(*n),
        ("num", [Val::Null]) => Val::Null,
        ("compareCIDRPrefix", [Val::Str(a), Val::Str(b), Val::Num(n)]) => {
            let (Ok(a), Ok(b)) = (a.trim().parse::<std::net::Ipv4Addr>(), b.trim().parse::<std::net::Ipv4Addr>()) else { return Ok(Val::Null) };
            let mask = if *n <= 0.0 { 0 } else { u32::MAX << (32 - (*n as u32).min(32)) };
            Val::Bool(u32::from(a) & mask == u32::from(b) & mask)
        }
        ("compareCIDRPrefix", [_, Val::Null, _]) => Val::Null,
        ("if", [c, a, b]) => {
            if *c == Val::Bool(true) {
                a.clone()
            } else {
                b.clone()
            }
        }
        _ => return Err(format!("unsupported call {name}({args:?})")),
    })
}

/// A regex compiled once per thread (queries run the same few regexes on every record).
fn compiled(source: &str) -> Result<regex::Regex, String> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> = Default::default();
    }
    CACHE.with(|cache| {
        if let Some(re) = cache.borrow().get(source) {
            return Ok(re.clone());
        }
        let re = regex::Regex::new(source).map_err(|e| format!("regex /{source}/: {e}"))?;
        cache.borrow_mut().insert(source.to_string(), re.clone());
        Ok(re)
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Regex(String),
    Num(f64),
    Op(String),
    Pipe,
    Comma,
    Open,
    Close,
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // A `/` starts a regex where a value may stand (after `(`, `,`, an operator or `matches`).
    let value_expected = |out: &Vec<Tok>| matches!(out.last(), Some(Tok::Open | Tok::Comma | Tok::Op(_)) | Some(Tok::Word(_)));
    while let Some(&c) = chars.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '|' => (out.push(Tok::Pipe), i += 1).1,
            ',' => (out.push(Tok::Comma), i += 1).1,
            '(' => (out.push(Tok::Open), i += 1).1,
            ')' => (out.push(Tok::Close), i += 1).1,
            '"' | '%' => {
                let start = if c == '%' { i + 1 } else { i };
                if chars.get(start) != Some(&'"') {
                    return Err(format!("`%` must be followed by a quoted field name at {i}"));
                }
                let mut s = String::new();
                let mut j = start + 1;
                loop {
                    match chars.get(j) {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') if c == '"' => {
                            j += 1;
                            s.push(match chars.get(j) {
                                Some('n') => '\n',
                                Some('r') => '\r',
                                Some('t') => '\t',
                                Some(&e) => e,
                                None => return Err("unterminated escape".into()),
                            });
                        }
                        Some(&x) => s.push(x),
                    }
                    j += 1;
                }
                out.push(if c == '%' { Tok::Word(s) } else { Tok::Str(s) });
                i = j + 1;
            }
            '/' if value_expected(&out) => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err("unterminated regex".into()),
                        Some('/') => break,
                        Some('\\') if chars.get(j + 1) == Some(&'/') => {
                            s.push('/');
                            j += 1;
                        }
                        Some('\\') => {
                            s.push('\\');
                            j += 1;
                            s.extend(chars.get(j));
                        }
                        Some(&x) => s.push(x),
                    }
                    j += 1;
                }
                out.push(Tok::Regex(s));
                i = j + 1;
            }
            '=' | '!' | '<' | '>' => {
                let two: String = chars.get(i..i + 2).map(|s| s.iter().collect()).unwrap_or_default();
                let op = if ["!=", "<=", ">="].contains(&two.as_str()) { two } else { c.to_string() };
                i += op.chars().count();
                out.push(Tok::Op(op));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let j = (i + 1..chars.len())
                    .find(|&j| !chars.get(j).is_some_and(|d| d.is_ascii_alphanumeric() || matches!(d, '.' | '+' | '-' | '_')))
                    .unwrap_or(chars.len());
                let s: String = chars.get(i..j).map(|s| s.iter().collect()).unwrap_or_default();
                out.push(s.parse::<f64>().map(Tok::Num).unwrap_or(Tok::Word(s)));
                i = j;
            }
            _ => {
                let j = (i..chars.len())
                    .find(|&j| chars.get(j).is_none_or(|d| d.is_whitespace() || matches!(d, '|' | ',' | '(' | ')' | '"' | '=' | '!' | '<' | '>')))
                    .unwrap_or(chars.len());
                if j == i {
                    return Err(format!("unexpected `{c}`"));
                }
                out.push(Tok::Word(chars.get(i..j).map(|s| s.iter().collect()).unwrap_or_default()));
                i = j;
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        let hit = self.peek() == Some(t);
        self.at += usize::from(hit);
        hit
    }

    fn next_text(&mut self) -> String {
        let t = self.peek().cloned();
        self.at += 1;
        match t {
            Some(Tok::Word(w)) => w,
            Some(Tok::Op(o)) => o,
            other => format!("{other:?}"),
        }
    }

    fn word(&mut self) -> Result<String, String> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) => {
                self.at += 1;
                Ok(w)
            }
            other => Err(format!("expected a word, found {other:?}")),
        }
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.is_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.is_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.is_word("not") || self.eat(&Tok::Op("!".into())) {
            if self.is_word("not") {
                self.at += 1;
            }
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let left = self.primary()?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.at += 1;
            return Ok(Expr::Cmp(op, Box::new(left), Box::new(self.primary()?)));
        }
        if self.is_word("in") {
            self.at += 1;
            let Expr::Call(_, items) = self.call("in".into())? else { return Err("`in` needs a list".into()) };
            return Ok(Expr::In(Box::new(left), items));
        }
        Ok(left)
    }

    fn call(&mut self, name: String) -> Result<Expr, String> {
        if !self.eat(&Tok::Open) {
            return Err(format!("`{name}` needs `(`"));
        }
        let mut args = Vec::new();
        if !self.eat(&Tok::Close) {
            loop {
                args.push(self.expr()?);
                if self.eat(&Tok::Close) {
                    break;
                }
                if !self.eat(&Tok::Comma) {
                    return Err(format!("expected `,` or `)` in `{name}(…)`"));
                }
            }
        }
        Ok(Expr::Call(name, args))
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let t = self.peek().cloned().ok_or("unexpected end")?;
        self.at += 1;
        Ok(match t {
            Tok::Open => {
                let e = self.expr()?;
                if !self.eat(&Tok::Close) {
                    return Err("expected `)`".into());
                }
                e
            }
            Tok::Str(s) => Expr::Str(s),
            Tok::Regex(r) => Expr::Regex(r),
            Tok::Num(n) => Expr::Num(n),
            Tok::Word(w) if w == "true" || w == "false" => Expr::Bool(w == "true"),
            Tok::Word(w) if self.peek() == Some(&Tok::Open) => self.call(w)?,
            Tok::Word(w) => Expr::Field(w),
            other => return Err(format!("unexpected {other:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn three_valued_logic_keeps_only_true() {
        let q = parse(r#"_index=x | where !(matches(toLowerCase(a), /x\/y/)) | fields a"#).unwrap();
        let records = [serde_json::json!({"a": "X/Y"}), serde_json::json!({"a": "z"}), serde_json::json!({})];
        let kept: Vec<usize> = run(&q, &records).unwrap().into_iter().map(|(i, _)| i).collect();
        assert_eq!(kept, [1], "a missing field makes `matches` unknown, and `!` of unknown is unknown");
        let q = parse(
            r#"_index=x | where !(!isNull(a) and matches(a, /x/)) and num(%"b.c") > 2 and compareCIDRPrefix("10.0.0.0", ip, toInt(8)) and a in ("z", "q")"#,
        )
        .unwrap();
        let records = [serde_json::json!({"a": "z", "b": {"c": "3"}, "ip": "10.1.2.3"}), serde_json::json!({"a": "z", "b": {"c": "1"}, "ip": "10.1.2.3"})];
        assert_eq!(run(&q, &records).unwrap().len(), 1);
    }
}
