//! Elasticsearch's EQL functions over evaluated arguments. A null required argument gives
//! null; an argument of the wrong type gives null (Elasticsearch's verifier refuses such
//! calls when it can see the types; `vigil-eql` does the same at lowering). Positions and
//! lengths count UTF-16 units, as Java's strings do. The `~` forms compare with both sides
//! lower-cased.

use std::borrow::Cow;

use vigil_ir::{Arith, Func};

use crate::compute::{arith, V};

/// Calls `func` on `args` (the arity was checked when the query was lowered).
pub fn call<'v>(func: Func, insensitive: bool, mut args: Vec<V<'v>>) -> V<'v> {
    let arg = |args: &mut Vec<V<'v>>, i: usize| args.get_mut(i).map_or(V::Null, |v| std::mem::replace(v, V::Null));
    match func {
        Func::Add => arith(Arith::Add, arg(&mut args, 0), arg(&mut args, 1)),
        Func::Subtract => arith(Arith::Sub, arg(&mut args, 0), arg(&mut args, 1)),
        Func::Multiply => arith(Arith::Mul, arg(&mut args, 0), arg(&mut args, 1)),
        Func::Divide => arith(Arith::Div, arg(&mut args, 0), arg(&mut args, 1)),
        Func::Modulo => arith(Arith::Mod, arg(&mut args, 0), arg(&mut args, 1)),
        Func::Concat => {
            let mut out = String::new();
            for a in &args {
                match a.text() {
                    Some(t) => out.push_str(&t),
                    None => return V::Null,
                }
            }
            V::Str(Cow::Owned(out))
        }
        Func::String => args.first().and_then(V::text).map_or(V::Null, |t| V::Str(Cow::Owned(t.into_owned()))),
        Func::Length => match args.first() {
            Some(V::Str(s)) => V::Int(s.encode_utf16().count() as i64),
            _ => V::Null,
        },
        Func::StartsWith | Func::EndsWith | Func::StringContains => {
            let (Some(V::Str(s)), Some(V::Str(p))) = (args.first(), args.get(1)) else { return V::Null };
            let (s, p) = fold(s, p, insensitive);
            V::Bool(match func {
                Func::StartsWith => s.starts_with(p.as_ref()),
                Func::EndsWith => s.ends_with(p.as_ref()),
                _ => s.contains(p.as_ref()),
            })
        }
        Func::IndexOf => index_of(&args, insensitive),
        Func::Between => between(&args, insensitive),
        Func::Substring => substring(&args),
        Func::Number => number(&args),
        // Lowered to `Value::Cidr` over constant networks; a call form never reaches here.
        Func::CidrMatch => V::Null,
    }
}

/// Both strings lower-cased for a `~` function (when lower-casing keeps every position).
fn fold<'a>(s: &'a str, p: &'a str, insensitive: bool) -> (Cow<'a, str>, Cow<'a, str>) {
    if insensitive {
        (Cow::Owned(lower(s)), Cow::Owned(lower(p)))
    } else {
        (Cow::Borrowed(s), Cow::Borrowed(p))
    }
}

/// Lower case, one UTF-16 unit per unit where Unicode lower-casing would change lengths
/// (then only ASCII is folded), so positions found in it are positions in the original.
fn lower(s: &str) -> String {
    let full = s.to_lowercase();
    if full.encode_utf16().count() == s.encode_utf16().count() {
        full
    } else {
        s.to_ascii_lowercase()
    }
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn find(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    (from..=hay.len().saturating_sub(needle.len())).find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

fn rfind(hay: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).rev().find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

fn string_of(units: &[u16]) -> V<'static> {
    V::Str(Cow::Owned(String::from_utf16_lossy(units)))
}

/// `indexOf(s, sub[, start])`: the first position of `sub` at or after `start` (a null or
/// negative start is 0), or null.
fn index_of(args: &[V<'_>], insensitive: bool) -> V<'static> {
    let (Some(V::Str(s)), Some(V::Str(p))) = (args.first(), args.get(1)) else { return V::Null };
    let start = match args.get(2) {
        None | Some(V::Null) => 0,
        Some(V::Int(i)) => usize::try_from(*i).unwrap_or(0),
        Some(_) => return V::Null,
    };
    let (s, p) = fold(s, p, insensitive);
    find(&units(&s), &units(&p), start).map_or(V::Null, |i| V::Int(i as i64))
}

/// `between(s, left, right[, greedy])`: the text after the first `left` and before the next
/// `right` (greedy: the last `right`); null when either is not found.
fn between(args: &[V<'_>], insensitive: bool) -> V<'static> {
    let (Some(V::Str(s)), Some(V::Str(l)), Some(V::Str(r))) = (args.first(), args.get(1), args.get(2)) else { return V::Null };
    let greedy = match args.get(3) {
        None | Some(V::Null) => false,
        Some(V::Bool(b)) => *b,
        Some(_) => return V::Null,
    };
    let original = units(s);
    let (hay, (l, r)) = if insensitive { (units(&lower(s)), (units(&lower(l)), units(&lower(r)))) } else { (original.clone(), (units(l), units(r))) };
    let Some(at) = find(&hay, &l, 0) else { return V::Null };
    let start = at + l.len();
    let end = if greedy { rfind(&hay, &r).filter(|&e| e >= start) } else { find(&hay, &r, start) };
    match end.and_then(|e| original.get(start..e)) {
        Some(part) => string_of(part),
        None => V::Null,
    }
}

/// `substring(s, start[, end])`: Python slice positions (negative counts from the end,
/// out-of-range clamps, a null bound is open).
fn substring(args: &[V<'_>]) -> V<'static> {
    let Some(V::Str(s)) = args.first() else { return V::Null };
    let u = units(s);
    let len = u.len() as i64;
    let bound = |v: Option<&V<'_>>, default: i64| match v {
        None | Some(V::Null) => Some(default),
        Some(V::Int(i)) => Some(if *i < 0 { len.saturating_add(*i).max(0) } else { (*i).min(len) }),
        Some(_) => None,
    };
    let (Some(start), Some(end)) = (bound(args.get(1), 0), bound(args.get(2), len)) else { return V::Null };
    if start >= end {
        return V::Str(Cow::Borrowed(""));
    }
    u.get(start as usize..end as usize).map_or(V::Null, string_of)
}

/// `number(s[, base])`: an integer in `base` (default 10; `0x…` is base 16), or in base 10
/// a decimal; surrounding spaces and a sign allowed; null when it is not a number.
fn number(args: &[V<'_>]) -> V<'static> {
    let Some(V::Str(s)) = args.first() else { return V::Null };
    let base = match args.get(1) {
        None | Some(V::Null) => None,
        Some(V::Int(b)) if (2..=36).contains(b) => Some(*b as u32),
        Some(_) => return V::Null,
    };
    let t = s.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (base, digits) = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) if base.is_none_or(|b| b == 16) => (16, hex),
        _ => (base.unwrap_or(10), digits),
    };
    if let Ok(n) = i64::from_str_radix(digits, base) {
        return V::Int(if negative { -n } else { n });
    }
    if base == 10 {
        if let Some(x) = crate::number::parse(digits) {
            return V::Float(if negative { -x } else { x });
        }
    }
    V::Null
}
