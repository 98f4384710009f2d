//! The Endgame EQL suites (endgameinc/eql's `test_queries.toml`, `test_folding.toml`,
//! `test_string_functions.toml`, AGPL, read from `../shared/conformance/eql` only): how
//! their Endgame-only spellings are written the way Elasticsearch spells the same thing, so
//! that a case whose meaning both engines share runs through vigil.
//! `tests/eql_endgame.rs` and `tests/eql_fold.rs` run the suites.

/// The query with Endgame-only spellings written as Elasticsearch spells the same thing:
/// `'…'` → `"…"`, `?"…"`/`?'…'` (raw) → `"""…"""`, a lone `=` → `==`. Nothing else is
/// touched (strings, operators and names are copied as they are); `None` when nothing
/// needed respelling or a string cannot be respelled.
pub fn respell(query: &str) -> Option<String> {
    let chars: Vec<char> = query.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let text = |from: usize, to: usize| chars.get(from..to).map(|s| s.iter().collect::<String>());
    let mut out = String::with_capacity(query.len() + 8);
    let mut changed = false;
    let mut i = 0;
    while let Some(c) = at(i) {
        if c == '?' && matches!(at(i + 1), Some('"' | '\'')) {
            // A raw string: no escapes, ends at the same quote.
            let quote = at(i + 1)?;
            let end = (i + 2..chars.len()).find(|&j| at(j) == Some(quote))?;
            let body = text(i + 2, end)?;
            if body.contains("\"\"\"") || body.ends_with('"') {
                return None;
            }
            out.push_str(&format!("\"\"\"{body}\"\"\""));
            changed = true;
            i = end + 1;
        } else if c == '"' && at(i + 1) == Some('"') && at(i + 2) == Some('"') {
            let end = (i + 3..chars.len()).find(|&j| at(j) == Some('"') && at(j + 1) == Some('"') && at(j + 2) == Some('"'))?;
            out.push_str(&text(i, end + 3)?);
            i = end + 3;
        } else if c == '"' || c == '\'' {
            let mut j = i + 1;
            let mut body = String::new();
            loop {
                match at(j)? {
                    q if q == c => break,
                    '\\' => {
                        let next = at(j + 1)?;
                        // `\'` in a single-quoted string is a plain `'` in a double-quoted one.
                        if !(c == '\'' && next == '\'') {
                            body.push('\\');
                        }
                        body.push(next);
                        j += 2;
                    }
                    q => {
                        if c == '\'' && q == '"' {
                            body.push('\\');
                        }
                        body.push(q);
                        j += 1;
                    }
                }
            }
            out.push('"');
            out.push_str(&body);
            out.push('"');
            changed |= c == '\'';
            i = j + 1;
        } else if c == '=' && !matches!(i.checked_sub(1).and_then(at), Some('=' | '!' | '<' | '>')) && at(i + 1) != Some('=') {
            out.push_str("==");
            changed = true;
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::respell;

    #[test]
    fn respelling_changes_only_endgame_spellings() {
        assert_eq!(respell("process where a = 'x\\'y\"z' and b == \"q'\"").as_deref(), Some("process where a == \"x'y\\\"z\" and b == \"q'\""));
        assert_eq!(
            respell("any where a <= 1 and b >= 2 and c != 3 and d == ?'C:\\x'").as_deref(),
            Some("any where a <= 1 and b >= 2 and c != 3 and d == \"\"\"C:\\x\"\"\"")
        );
        assert_eq!(respell("any where a == \"=\" and b : \"\"\"'='\"\"\""), None);
        assert_eq!(respell("any where a == 'unterminated"), None);
    }
}
