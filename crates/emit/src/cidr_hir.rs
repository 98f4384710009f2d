//! CIDR tests as regex trees, built directly: the tree `regex-syntax` gives for the text
//! [`cidr_text::networks_regex`] writes, without writing that text and parsing it again.
//!
//! A network list's regex spells every way of writing every address in it, tens of
//! kilobytes of regex for the usual private ranges, and parsing that text was most of what
//! the SQL and Spark targets spent on a rule set. Each function here mirrors the text
//! function of the same name in `cidr_text` and calls the constructors the parser's
//! translator calls (`Hir::concat`, `Hir::alternation`, `Hir::class`, which also merge
//! literals, flatten alternations and lift common prefixes), so the tree is the same; the
//! tests check it equal to the parsed text for single networks and lists.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, Look, Repetition};
use vigil_ir::Network;

use crate::cidr_text::{group_digits, may_be_zero};

/// The tree of [`crate::cidr_text::networks_regex`]`(networks)`.
pub fn networks_hir(networks: &[Network]) -> Hir {
    let branches = networks.iter().flat_map(network_branches).collect();
    Hir::concat(vec![Hir::look(Look::Start), white_space_run(), Hir::alternation(branches), white_space_run(), Hir::look(Look::End)])
}

/// `\s*`: Unicode white space (the `White_Space` property, as `regex-syntax` reads `\s`).
fn white_space_run() -> Hir {
    const WHITE_SPACE: [(char, char); 10] = [
        ('\t', '\r'),
        (' ', ' '),
        ('\u{85}', '\u{85}'),
        ('\u{A0}', '\u{A0}'),
        ('\u{1680}', '\u{1680}'),
        ('\u{2000}', '\u{200A}'),
        ('\u{2028}', '\u{2029}'),
        ('\u{202F}', '\u{202F}'),
        ('\u{205F}', '\u{205F}'),
        ('\u{3000}', '\u{3000}'),
    ];
    let class = ClassUnicode::new(WHITE_SPACE.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)));
    Hir::repetition(Repetition { min: 0, max: None, greedy: true, sub: Box::new(Hir::class(Class::Unicode(class))) })
}

fn literal(text: &str) -> Hir {
    Hir::literal(text.as_bytes())
}

fn class(ranges: &[(char, char)]) -> Hir {
    Hir::class(Class::Unicode(ClassUnicode::new(ranges.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)))))
}

/// The alternatives a network adds to the list's alternation (`v4|(?:…)` for IPv4).
fn network_branches(network: &Network) -> Vec<Hir> {
    match network.addr {
        std::net::IpAddr::V4(addr) => {
            let value = u32::from(addr);
            let prefix = u32::from(network.prefix);
            let mut v4 = Vec::with_capacity(7);
            for o in 0..4 {
                if o > 0 {
                    v4.push(literal("."));
                }
                v4.push(octet(value, prefix, o));
            }
            let mapped = (0xffff_u128 << 32) | u128::from(value);
            vec![Hir::concat(v4), ipv6(mapped, 96 + prefix)]
        }
        std::net::IpAddr::V6(addr) => vec![ipv6(u128::from(addr), u32::from(network.prefix))],
    }
}

/// `cidr_text::ANY_OCTET`.
fn any_octet() -> Hir {
    let digit = || class(&[('0', '9')]);
    Hir::alternation(vec![
        Hir::concat(vec![literal("25"), class(&[('0', '5')])]),
        Hir::concat(vec![literal("2"), class(&[('0', '4')]), digit()]),
        Hir::concat(vec![literal("1"), digit(), digit()]),
        Hir::concat(vec![class(&[('1', '9')]), digit()]),
        digit(),
    ])
}

fn octet(value: u32, prefix: u32, o: u32) -> Hir {
    let fixed = prefix.saturating_sub(8 * o).min(8);
    let byte = (value >> (24 - 8 * o)) & 0xff;
    let mask = if fixed == 0 { 0 } else { (0xff_u32 << (8 - fixed)) & 0xff };
    let (lo, hi) = (byte & mask, (byte & mask) | (!mask & 0xff));
    if lo == 0 && hi == 255 {
        return any_octet();
    }
    Hir::alternation((lo..=hi).map(|n| literal(&n.to_string())).collect())
}

fn hex_class(lo: u32, hi: u32) -> Hir {
    if lo == 0 && hi == 15 {
        return class(&[('0', '9'), ('A', 'F'), ('a', 'f')]);
    }
    let mut ranges = Vec::new();
    for d in lo..=hi {
        let c = char::from_digit(d, 16).unwrap_or('0');
        ranges.push((c, c));
        if c.is_ascii_alphabetic() {
            let upper = c.to_ascii_uppercase();
            ranges.push((upper, upper));
        }
    }
    class(&ranges)
}

fn group(value: u128, prefix: u32, g: u32) -> Hir {
    let digits = group_digits(value, prefix, g);
    if digits.iter().all(|&(lo, hi)| lo == 0 && hi == 15) {
        return Hir::repetition(Repetition { min: 1, max: Some(4), greedy: true, sub: Box::new(hex_class(0, 15)) });
    }
    let mut forms = Vec::new();
    for skip in 0..4 {
        if digits.iter().take(skip).any(|&(lo, _)| lo != 0) {
            break;
        }
        forms.push(Hir::concat(digits.iter().skip(skip).map(|&(lo, hi)| hex_class(lo, hi)).collect()));
    }
    Hir::alternation(forms)
}

/// Groups `range` (trees of `all`, the eight groups) written out, separated by `:`,
/// appended to `items`.
fn groups(items: &mut Vec<Hir>, all: &[Hir], range: std::ops::Range<u32>) {
    let start = range.start;
    for g in range {
        if g > start {
            items.push(literal(":"));
        }
        items.extend(all.get(g as usize).cloned());
    }
}

/// Groups 6 and 7 written as an IPv4 address.
fn ipv4_tail(value: u128, prefix: u32) -> Vec<Hir> {
    let low = (value & 0xffff_ffff) as u32;
    let prefix = prefix.saturating_sub(96);
    let mut items = Vec::with_capacity(7);
    for o in 0..4 {
        if o > 0 {
            items.push(literal("."));
        }
        items.push(octet(low, prefix, o));
    }
    items
}

fn ipv6(value: u128, prefix: u32) -> Hir {
    // Each group and the IPv4 tail built once, copied into every spelling that writes them.
    let all: Vec<Hir> = (0..8).map(|g| group(value, prefix, g)).collect();
    let tail4 = ipv4_tail(value, prefix);
    let mut forms = Vec::new();
    let mut full = Vec::new();
    groups(&mut full, &all, 0..8);
    forms.push(Hir::concat(full));
    let mut with_tail = Vec::new();
    groups(&mut with_tail, &all, 0..6);
    with_tail.push(literal(":"));
    with_tail.extend(tail4.iter().cloned());
    forms.push(Hir::concat(with_tail));
    for head in 0..8u32 {
        for tail in 0..(8 - head) {
            if !(head..(8 - tail)).all(|g| may_be_zero(value, prefix, g)) {
                continue;
            }
            let mut form = Vec::new();
            groups(&mut form, &all, 0..head);
            form.push(literal("::"));
            let before = form.clone();
            groups(&mut form, &all, (8 - tail)..8);
            forms.push(Hir::concat(form));
            if tail >= 2 {
                let mut form = before;
                groups(&mut form, &all, (8 - tail)..6);
                if tail > 2 {
                    form.push(literal(":"));
                }
                form.extend(tail4.iter().cloned());
                forms.push(Hir::concat(form));
            }
        }
    }
    Hir::alternation(forms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr_text::networks_regex;

    fn parsed(networks: &[Network]) -> Hir {
        regex_syntax::ParserBuilder::new().build().parse(&networks_regex(networks)).unwrap()
    }

    #[test]
    fn the_built_tree_is_the_parsed_tree_of_the_text() {
        let texts = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "100.64.0.0/10",
            "192.168.1.7/32",
            "0.0.0.0/0",
            "1.2.3.0/31",
            "8.0.0.0/7",
            "fe80::/10",
            "::1/128",
            "fc00::/7",
            "2001:db8::/32",
            "::/0",
            "::ffff:0:0/96",
            "2001:db8:1:2:3:4:5:6/128",
            "2001:db8:abcd::/48",
            "fe80::/64",
            "ff02::1:ff00:0/104",
        ];
        let networks: Vec<Network> = texts.iter().map(|t| Network::parse(t).unwrap()).collect();
        for (text, network) in texts.iter().zip(&networks) {
            assert_eq!(networks_hir(std::slice::from_ref(network)), parsed(std::slice::from_ref(network)), "{text}");
        }
        // Lists: the alternation of several networks is flattened and factored as one.
        for window in [&networks[..5], &networks[10..14], &networks[..], &networks[3..12]] {
            assert_eq!(networks_hir(window), parsed(window));
        }
        let reversed: Vec<Network> = networks.iter().rev().copied().collect();
        assert_eq!(networks_hir(&reversed), parsed(&reversed));
    }
}
