//! EQL's `regex` patterns (Lucene regular-expression syntax, matched against the whole
//! value) translated into the `regex` crate's syntax, anchored: `\A(?:…)\z`, with `.`
//! matching any character (new lines too). Translated exactly: literals (a backslash
//! escapes any character), `.`, `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, `|`, groups, and
//! character classes (`[a-z]`, `[^…]`), and the shorthand classes as Lucene (8.6 and
//! later) defines them: `\d` = `[0-9]`, `\s` = `[ \t\n\r]`, `\w` = `[a-zA-Z_0-9]`, and
//! `\D`, `\S`, `\W` their complements (outside brackets). Refused, because their meaning
//! depends on the flags Elasticsearch runs with: the optional operators `"…"`, `~`, `&`,
//! `@`, `#`, `<n-m>`; and a range from a shorthand class.

use std::fmt::Write;

/// The anchored `regex`-crate source for a Lucene pattern, or what cannot be translated.
pub fn translate(lucene: &str) -> Result<String, String> {
    let mut out = String::with_capacity(lucene.len() + 8);
    out.push_str(r"\A(?:");
    let mut chars = lucene.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else { return Err("a pattern that ends in a lone `\\`".into()) };
                match e {
                    'd' | 's' | 'w' | 'D' | 'S' | 'W' => out.push_str(shorthand(e)),
                    _ => literal(&mut out, e),
                }
            }
            '.' | '*' | '+' | '?' | '|' | '(' | ')' => out.push(c),
            '{' => {
                let mut body = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(d) if d.is_ascii_digit() || d == ',' => body.push(d),
                        _ => return Err("a `{` that is not a repetition `{n}`, `{n,}` or `{n,m}`".into()),
                    }
                }
                let valid = match body.split_once(',') {
                    None => !body.is_empty(),
                    Some((lo, hi)) => !lo.is_empty() && !hi.contains(','),
                };
                if !valid {
                    return Err(format!("the repetition `{{{body}}}`"));
                }
                let _ = write!(out, "{{{body}}}");
            }
            '[' => class(&mut chars, &mut out)?,
            '"' | '~' | '&' | '@' | '#' | '<' | '>' => return Err(format!("the Lucene operator `{c}` (it depends on the regular-expression flags)")),
            _ => literal(&mut out, c),
        }
    }
    out.push_str(r")\z");
    Ok(out)
}

/// Lucene's shorthand classes.
fn shorthand(c: char) -> &'static str {
    match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => r"[ \t\n\r]",
        'S' => r"[^ \t\n\r]",
        'w' => "[a-zA-Z_0-9]",
        _ => "[^a-zA-Z_0-9]",
    }
}

fn literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&escape(c.encode_utf8(&mut buf)));
}

/// A character class after its `[`: `^` negates, `a-z` is a range, `\` escapes.
fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) -> Result<(), String> {
    out.push('[');
    if chars.peek() == Some(&'^') {
        chars.next();
        out.push('^');
    }
    let mut empty = true;
    loop {
        let c = match chars.next() {
            None => return Err("a character class without its `]`".into()),
            Some(']') if !empty => break,
            Some('\\') => match chars.next() {
                Some(e @ ('d' | 's' | 'w' | 'D' | 'S' | 'W')) => {
                    // A nested class (the `regex` crate's union inside brackets).
                    out.push_str(shorthand(e));
                    empty = false;
                    if chars.peek() == Some(&'-') {
                        return Err(format!("a range that starts at the class `\\{e}`"));
                    }
                    continue;
                }
                Some(e) => e,
                None => return Err("a character class without its `]`".into()),
            },
            Some(c) => c,
        };
        empty = false;
        class_char(out, c);
        if chars.peek() == Some(&'-') {
            chars.next();
            match chars.next() {
                Some(']') => {
                    class_char(out, '-');
                    break;
                }
                Some('\\') => {
                    out.push('-');
                    class_char(out, chars.next().ok_or("a character class without its `]`")?);
                }
                Some(hi) => {
                    out.push('-');
                    class_char(out, hi);
                }
                None => return Err("a character class without its `]`".into()),
            }
        }
    }
    out.push(']');
    Ok(())
}

/// `text` with every character the `regex` crate gives a meaning escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if matches!(c, '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn class_char(out: &mut String, c: char) {
    if matches!(c, '[' | ']' | '\\' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_the_common_syntax_anchored() {
        assert_eq!(translate("a.*b").unwrap(), r"\A(?:a.*b)\z");
        assert_eq!(translate(r"C:\\Windows\\.+\.exe").unwrap(), r"\A(?:C:\\Windows\\.+\.exe)\z");
        assert_eq!(translate("[a-z0-9]{2,4}(x|y)?").unwrap(), r"\A(?:[a-z0-9]{2,4}(x|y)?)\z");
        assert_eq!(translate("[^-a]$^").unwrap(), r"\A(?:[^\-a]\$\^)\z");
        assert_eq!(translate(r"\d+\s\W").unwrap(), r"\A(?:[0-9]+[ \t\n\r][^a-zA-Z_0-9])\z");
        assert_eq!(translate(r"[\sx]").unwrap(), r"\A(?:[[ \t\n\r]x])\z");
        assert!(translate(r"[\d-z]").is_err());
        assert!(translate("a~b").is_err());
        assert!(translate("[ab").is_err());
        assert!(translate("x{a}").is_err());
    }
}
