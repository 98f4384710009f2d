//! Sigma string values: `%placeholder%` splitting for `|expand`. Wildcards and the backslash
//! escape rules are `vigil_ir::StrPattern::parse_wildcards` (shared with pipelines); the tests
//! here pin them to the Sigma specification and pySigma's reference parser.

/// Parses a string for `|expand`: `%name%` placeholders become `Err(name)` parts,
/// `\%` is a literal percent sign.
pub fn split_placeholders(text: &str) -> Vec<Result<String, String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'%') {
            current.push_str("\\%");
            chars.next();
        } else if c == '%' {
            let rest: String = chars.clone().take_while(|&c| c != '%').collect();
            let closed = chars.clone().nth(rest.chars().count()) == Some('%');
            if closed && !rest.is_empty() && rest.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                if !current.is_empty() {
                    parts.push(Ok(std::mem::take(&mut current)));
                }
                parts.push(Err(rest.clone()));
                for _ in 0..=rest.chars().count() {
                    chars.next();
                }
            } else {
                current.push(c);
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(Ok(current));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_ir::{Piece, StrPattern};

    fn show(text: &str) -> Vec<Piece> {
        StrPattern::parse_wildcards(text).pieces().to_vec()
    }

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.to_string())
    }

    #[test]
    fn windows_paths_need_no_escaping() {
        assert_eq!(show(r"C:\Windows\x.exe"), vec![lit(r"C:\Windows\x.exe")]);
        assert_eq!(show(r"C:\Windows\"), vec![lit(r"C:\Windows\")]);
    }

    #[test]
    fn escapes_follow_the_specification() {
        assert_eq!(show(r"a\*b"), vec![lit("a*b")]);
        assert_eq!(show(r"a\?b"), vec![lit("a?b")]);
        assert_eq!(show(r"C:\\Windows"), vec![lit(r"C:\Windows")]);
        assert_eq!(show(r"a\\*"), vec![lit(r"a\"), Piece::AnyRun]);
        assert_eq!(show(r"a\\\*"), vec![lit(r"a\*")]);
        assert_eq!(show(r"\\\\x"), vec![lit(r"\\x")]);
    }

    #[test]
    fn wildcards_split_literals() {
        assert_eq!(show("*a?b*"), vec![Piece::AnyRun, lit("a"), Piece::AnyChar, lit("b"), Piece::AnyRun]);
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(split_placeholders("%Admins%"), vec![Err("Admins".to_string())]);
        assert_eq!(split_placeholders("x %a% y"), vec![Ok("x ".into()), Err("a".into()), Ok(" y".into())]);
        assert_eq!(split_placeholders("100%"), vec![Ok("100%".into())]);
    }
}
