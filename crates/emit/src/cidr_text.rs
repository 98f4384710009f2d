//! CIDR tests as regular expressions over the text of a value, exact to native evaluation.
//!
//! vigil reads a value as an address with Rust's parser after trimming Unicode white space:
//! IPv4 is four decimal octets without leading zeros (`0` alone is fine), at most 255 each;
//! IPv6 is eight groups of one to four hex digits (either case, leading zeros allowed), one
//! `::` standing for one or more zero groups (at most seven groups written around it), and
//! the last two groups may be written as an IPv4 address (never before a `::`). An IPv4
//! network also holds IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d` in any spelling).
//!
//! [`network_regex`] writes, in Rust `regex` syntax (then printed for the target by
//! `regex_text`), exactly the texts whose address lies in a network: every way of spelling
//! an address is enumerated (where the `::` stands, whether the tail is IPv4), each group
//! constrained by the network's fixed bits, digit by digit.

use std::net::IpAddr;

use vigil_ir::Network;

/// Any hex group.
const ANY_GROUP: &str = "[0-9a-fA-F]{1,4}";
/// Any IPv4 octet as Rust reads it.
const ANY_OCTET: &str = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";

/// A regex (Rust syntax) matching exactly the values (texts) whose address lies in one of
/// `networks`.
pub fn networks_regex(networks: &[Network]) -> String {
    let parts: Vec<String> = networks.iter().map(network_regex).collect();
    format!(r"\A\s*(?:{})\s*\z", parts.join("|"))
}

fn network_regex(network: &Network) -> String {
    match network.addr {
        IpAddr::V4(addr) => {
            let value = u32::from(addr);
            let prefix = u32::from(network.prefix);
            let octets: Vec<String> = (0..4).map(|o| octet(value, prefix, o)).collect();
            let v4 = octets.join(r"\.");
            // IPv4-mapped IPv6: ::ffff:0:0/96 and the IPv4 bits.
            let mapped = (0xffff_u128 << 32) | u128::from(value);
            format!("{v4}|{}", ipv6(mapped, 96 + prefix))
        }
        IpAddr::V6(addr) => ipv6(u128::from(addr), u32::from(network.prefix)),
    }
}

/// The decimal octet `o` (0 = first) of a 32-bit value whose first `prefix` bits are fixed.
fn octet(value: u32, prefix: u32, o: u32) -> String {
    let fixed = prefix.saturating_sub(8 * o).min(8);
    let byte = (value >> (24 - 8 * o)) & 0xff;
    let mask = if fixed == 0 { 0 } else { (0xff_u32 << (8 - fixed)) & 0xff };
    let (lo, hi) = (byte & mask, (byte & mask) | (!mask & 0xff));
    if lo == 0 && hi == 255 {
        return ANY_OCTET.to_string();
    }
    let numbers: Vec<String> = (lo..=hi).map(|n| n.to_string()).collect();
    format!("(?:{})", numbers.join("|"))
}

/// The hex digit classes (padded to four digits) group `g` may hold.
pub(crate) fn group_digits(value: u128, prefix: u32, g: u32) -> [(u32, u32); 4] {
    let word = ((value >> (112 - 16 * g)) & 0xffff) as u32;
    let fixed_in_group = prefix.saturating_sub(16 * g).min(16);
    let mut out = [(0, 15); 4];
    for (d, slot) in out.iter_mut().enumerate() {
        let d = d as u32;
        let fixed = fixed_in_group.saturating_sub(4 * d).min(4);
        let digit = (word >> (12 - 4 * d)) & 0xf;
        let mask = if fixed == 0 { 0 } else { (0xf_u32 << (4 - fixed)) & 0xf };
        *slot = (digit & mask, (digit & mask) | (!mask & 0xf));
    }
    out
}

fn hex_class(lo: u32, hi: u32) -> String {
    if lo == 0 && hi == 15 {
        return "[0-9a-fA-F]".to_string();
    }
    let mut class = String::from("[");
    for d in lo..=hi {
        let c = char::from_digit(d, 16).unwrap_or('0');
        class.push(c);
        if c.is_ascii_alphabetic() {
            class.push(c.to_ascii_uppercase());
        }
    }
    class.push(']');
    class
}

/// A written group `g`: one to four digits, leading zeros optional.
fn group(value: u128, prefix: u32, g: u32) -> String {
    let digits = group_digits(value, prefix, g);
    if digits.iter().all(|&(lo, hi)| lo == 0 && hi == 15) {
        return ANY_GROUP.to_string();
    }
    let mut forms = Vec::new();
    for skip in 0..4 {
        // The first `skip` digits are left out: they must be allowed to be zero.
        if digits.iter().take(skip).any(|&(lo, _)| lo != 0) {
            break;
        }
        forms.push(digits.iter().skip(skip).map(|&(lo, hi)| hex_class(lo, hi)).collect::<String>());
    }
    format!("(?:{})", forms.join("|"))
}

/// Group `g` may be zero (so it may stand inside a `::`).
pub(crate) fn may_be_zero(value: u128, prefix: u32, g: u32) -> bool {
    group_digits(value, prefix, g).iter().all(|&(lo, _)| lo == 0)
}

/// Groups `range` written out, separated by `:`.
fn groups(value: u128, prefix: u32, range: std::ops::Range<u32>) -> String {
    range.map(|g| group(value, prefix, g)).collect::<Vec<_>>().join(":")
}

/// Groups 6 and 7 written as an IPv4 address.
fn ipv4_tail(value: u128, prefix: u32) -> String {
    let low = (value & 0xffff_ffff) as u32;
    let prefix = prefix.saturating_sub(96);
    (0..4).map(|o| octet(low, prefix, o)).collect::<Vec<_>>().join(r"\.")
}

/// Every spelling of an IPv6 address in the network `value`/`prefix`.
fn ipv6(value: u128, prefix: u32) -> String {
    let mut forms = vec![groups(value, prefix, 0..8), format!("{}:{}", groups(value, prefix, 0..6), ipv4_tail(value, prefix))];
    // `::` after `head` written groups, then `tail` written groups (the last of which may
    // be an IPv4 address, counting two).
    for head in 0..8u32 {
        for tail in 0..(8 - head) {
            let zeros = head..(8 - tail);
            if !zeros.clone().all(|g| may_be_zero(value, prefix, g)) {
                continue;
            }
            let before = groups(value, prefix, 0..head);
            forms.push(format!("{before}::{}", groups(value, prefix, (8 - tail)..8)));
            if tail >= 2 {
                let hex = groups(value, prefix, (8 - tail)..6);
                let sep = if tail > 2 { ":" } else { "" };
                forms.push(format!("{before}::{hex}{sep}{}", ipv4_tail(value, prefix)));
            }
        }
    }
    format!("(?:{})", forms.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling the regex accepts must parse (after trimming) to an address in the
    /// network, and every address text in a sample must be accepted exactly when it is in.
    fn agrees(network: &str, texts: &[&str]) {
        let net = Network::parse(network).unwrap();
        let re = regex_lite_match(&networks_regex(&[net]));
        for t in texts {
            let native = t.trim().parse::<IpAddr>().is_ok_and(|ip| net.contains(ip));
            assert_eq!(re(t), native, "{network} on {t:?}");
        }
    }

    /// A tiny matcher for the tests: the emit crate has no regex engine, so the regex is
    /// parsed by `regex-syntax` and checked against the spellings by trying each form.
    fn regex_lite_match(source: &str) -> impl Fn(&str) -> bool {
        let hir = regex_syntax::parse(source).unwrap();
        move |text: &str| matches_hir(&hir, text)
    }

    fn matches_hir(hir: &regex_syntax::hir::Hir, text: &str) -> bool {
        // Backtracking over the (acyclic apart from counted repeats) tree: enough for the
        // short texts of these tests.
        fn go<'a>(h: &regex_syntax::hir::Hir, t: &'a str, k: &mut dyn FnMut(&'a str) -> bool) -> bool {
            use regex_syntax::hir::{Class, HirKind, Look};
            match h.kind() {
                HirKind::Empty => k(t),
                HirKind::Literal(l) => std::str::from_utf8(&l.0).is_ok_and(|s| t.strip_prefix(s).is_some_and(&mut *k)),
                HirKind::Class(Class::Unicode(c)) => {
                    t.chars().next().is_some_and(|ch| c.ranges().iter().any(|r| r.start() <= ch && ch <= r.end()) && k(&t[ch.len_utf8()..]))
                }
                HirKind::Class(_) => false,
                HirKind::Look(Look::Start) | HirKind::Look(Look::End) => k(t),
                HirKind::Look(_) => false,
                HirKind::Capture(c) => go(&c.sub, t, k),
                HirKind::Concat(items) => {
                    fn seq<'a>(items: &[regex_syntax::hir::Hir], t: &'a str, k: &mut dyn FnMut(&'a str) -> bool) -> bool {
                        match items.split_first() {
                            None => k(t),
                            Some((first, rest)) => go(first, t, &mut |r| seq(rest, r, k)),
                        }
                    }
                    seq(items, t, k)
                }
                HirKind::Alternation(items) => items.iter().any(|i| go(i, t, k)),
                HirKind::Repetition(r) => {
                    fn rep<'a>(r: &regex_syntax::hir::Repetition, n: u32, t: &'a str, k: &mut dyn FnMut(&'a str) -> bool) -> bool {
                        if r.max.is_none_or(|m| n < m) && go(&r.sub, t, &mut |rest| rest.len() < t.len() && rep(r, n + 1, rest, k)) {
                            return true;
                        }
                        n >= r.min && k(t)
                    }
                    rep(r, 0, t, k)
                }
            }
        }
        go(hir, text, &mut |rest| rest.is_empty())
    }

    #[test]
    fn ipv4_networks_and_their_mapped_spellings() {
        agrees(
            "10.0.0.0/8",
            &[
                "10.1.2.3",
                " 10.0.0.0 ",
                "010.1.2.3",
                "10.1.2",
                "11.0.0.1",
                "10.256.0.1",
                "::ffff:10.1.2.3",
                "::FFFF:a01:203",
                "0:0:0:0:0:ffff:10.0.0.1",
                "::10.1.2.3",
                "10.1.2.3x",
            ],
        );
        agrees("172.16.0.0/12", &["172.16.0.1", "172.31.255.255", "172.32.0.0", "172.15.9.9", "::ffff:172.20.1.1"]);
        agrees("192.168.1.7/32", &["192.168.1.7", "192.168.1.70", "192.168.1.07"]);
    }

    #[test]
    fn ipv6_networks_in_every_spelling() {
        agrees("fe80::/10", &["fe80::1", "FE80::", "febf:0:0:0:0:0:0:1", "fec0::1", "fe80::1.2.3.4", "fe80:0::", "fe8::1", "fe80:::1", "fe80::1::2"]);
        agrees("::1/128", &["::1", "0::1", "0:0:0:0:0:0:0:1", "0000::0001", "::0.0.0.1", "::2", "::", "1::"]);
        agrees("fc00::/7", &["fc00::", "fdff:ffff::1", "fe00::", "::", "fd12:3456:789a:1::1"]);
        agrees("2001:db8::/32", &["2001:db8::1", "2001:DB8:0:0:1::", "2001:db9::", "2001:0db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6:7"]);
    }
}
