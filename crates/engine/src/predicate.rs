//! Compiled predicates and their evaluation against an event view.

use std::net::IpAddr;

use vigil_ir::{Network, NumOp, TimePart};

use crate::fields::Slot;
use crate::matcher::StrSet;
use crate::number;
use crate::time::{parse_timestamp, CivilTime};
use crate::view::{EventView, Kind, Value};

/// A test compiled for evaluation.
#[derive(Debug)]
pub enum Check {
    Str(StrSet),
    Regex(Vec<regex::Regex>),
    Cidr(Vec<Network>),
    Num { op: NumOp, value: f64 },
    Exists(bool),
    Null,
    Time { part: TimePart, values: Vec<i64> },
}

/// A predicate: a check on one slot.
#[derive(Debug)]
pub struct CompiledPredicate {
    pub slot: Slot,
    pub check: Check,
}

fn scalar(v: &Value) -> bool {
    matches!(v.kind, Kind::Str | Kind::Num | Kind::Bool)
}

fn time_part(text: &str, part: TimePart) -> Option<i64> {
    let t = CivilTime::from_epoch_ms(parse_timestamp(text)?)?;
    Some(match part {
        TimePart::Minute => t.minute,
        TimePart::Hour => t.hour,
        TimePart::Day => t.day,
        TimePart::Week => t.iso_week,
        TimePart::Month => t.month,
        TimePart::Year => t.year,
    })
}

impl CompiledPredicate {
    /// Evaluates the predicate. Array fields hold when any element does; a missing field
    /// fails every test but `Null` and `Exists(false)`.
    pub fn eval(&self, view: &EventView) -> bool {
        match &self.check {
            Check::Exists(wanted) => view.has(self.slot) == *wanted,
            Check::Null => view.values(self.slot).all(|v| v.kind == Kind::Null),
            _ => view.values(self.slot).any(|v| self.holds_for(view, &v)),
        }
    }

    /// True when the predicate holds on `v`, one value of its slot (the tests on presence,
    /// `Exists` and `Null`, are about the whole slot and hold on no single value).
    pub fn holds_for(&self, _view: &EventView, v: &Value) -> bool {
        match &self.check {
            Check::Str(set) => scalar(v) && set.matches(v.text, v.lower),
            Check::Regex(res) => scalar(v) && res.iter().any(|r| r.is_match(v.text)),
            Check::Cidr(nets) => v.text.trim().parse::<IpAddr>().is_ok_and(|ip| nets.iter().any(|n| n.contains(ip))),
            Check::Num { op, value } => {
                matches!(v.kind, Kind::Num | Kind::Str)
                    && number::parse(v.text).is_some_and(|x| match op {
                        NumOp::Lt => x < *value,
                        NumOp::Lte => x <= *value,
                        NumOp::Gt => x > *value,
                        NumOp::Gte => x >= *value,
                        NumOp::Eq => x == *value,
                    })
            }
            Check::Exists(_) | Check::Null => false,
            Check::Time { part, values: wanted } => time_part(v.text, *part).is_some_and(|got| wanted.contains(&got)),
        }
    }
}
