//! Whole-value matching of wildcard patterns with `?` (one character) and `*` (any run),
//! without a regex.
//!
//! Elastic rules write paths as `?:\Windows\...` by the dozen per predicate; compiling each
//! to a regex cost about 300,000 instructions at start-up (1,600 of them made loading the EQL
//! rules beside the Sigma rules slower than hunting with them). This is the classic greedy
//! matcher: on a mismatch it goes back to the last `*` and lets it take one more character,
//! which is exact for patterns of literals, `?` and `*` (a later `*` can always absorb what
//! an earlier one would have). `?` is one Unicode scalar value, like a regex's `.` under `(?s)`.

use vigil_ir::Piece;

/// One step of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// This character.
    Char(char),
    /// Any one character.
    One,
    /// Any run of characters, possibly empty.
    Star,
}

/// A compiled wildcard pattern, matched against whole values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Box<[Token]>,
}

impl Glob {
    /// Compiles `pieces`, literals folded by `fold`; `None` when a placeholder is left
    /// unfilled (such a pattern matches nothing).
    pub fn new(pieces: &[Piece], fold: impl Fn(&str) -> String) -> Option<Glob> {
        let mut tokens = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Lit(text) => tokens.extend(fold(text).chars().map(Token::Char)),
                Piece::AnyChar => tokens.push(Token::One),
                Piece::AnyRun if tokens.last() == Some(&Token::Star) => {}
                Piece::AnyRun => tokens.push(Token::Star),
                Piece::Placeholder(_) => return None,
            }
        }
        Some(Glob { tokens: tokens.into() })
    }

    /// True when the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let tokens = &*self.tokens;
        let (mut p, mut t) = (0usize, 0usize);
        // The last `*` seen and the text position it was last resumed from.
        let mut star: Option<(usize, usize)> = None;
        loop {
            let next = text.get(t..).and_then(|rest| rest.chars().next());
            let Some(c) = next else { break };
            match tokens.get(p) {
                Some(Token::Star) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Token::One) => {
                    p += 1;
                    t += c.len_utf8();
                    continue;
                }
                Some(Token::Char(x)) if *x == c => {
                    p += 1;
                    t += c.len_utf8();
                    continue;
                }
                _ => {}
            }
            // Mismatch (or pattern exhausted with text left): the last star takes one more.
            let Some((sp, st)) = star else { return false };
            let skipped = text.get(st..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8);
            star = Some((sp, st + skipped));
            p = sp + 1;
            t = st + skipped;
        }
        tokens.get(p..).is_some_and(|rest| rest.iter().all(|tok| *tok == Token::Star))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_ir::StrPattern;

    fn glob(pattern: &str) -> Glob {
        Glob::new(StrPattern::parse_wildcards(pattern).pieces(), str::to_string).unwrap_or_else(|| panic!("{pattern}"))
    }

    /// The regex the matcher replaced, as the reference.
    fn reference(pattern: &str, text: &str) -> bool {
        let mut re = String::from("(?s)^");
        for p in StrPattern::parse_wildcards(pattern).pieces() {
            match p {
                Piece::Lit(t) => re.push_str(&regex::escape(t)),
                Piece::AnyRun => re.push_str(".*"),
                Piece::AnyChar => re.push('.'),
                Piece::Placeholder(_) => return false,
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap().is_match(text)
    }

    #[test]
    fn question_marks_and_stars() {
        let g = glob(r"?:\Windows\\*\cmd.exe");
        assert!(g.matches(r"c:\Windows\System32\cmd.exe"));
        assert!(g.matches(r"d:\Windows\a\b\cmd.exe"));
        assert!(!g.matches(r"cd:\Windows\System32\cmd.exe") && !g.matches(r"c:\Windows\cmd.exe.bak"));
        assert!(glob("a?c").matches("abc") && !glob("a?c").matches("ac") && !glob("a?c").matches("abbc"));
        assert!(glob("*a?").matches("xxab") && glob("*a?").matches("aaa") && !glob("*a?").matches("xxa"));
        assert!(glob("?").matches("é") && !glob("?").matches("") && glob("*").matches(""));
    }

    #[test]
    fn agrees_with_the_regex_it_replaced() {
        let patterns = ["a?c", "*a?b*", "?*?", "a*b?c*d", "*.?x?", "??", "*", "a**b", "?é*", "x?*y*?z", "*ab*ab*"];
        let texts =
            ["", "a", "abc", "aXbYcZd", "ab", "abab", "aab", "é", "éa", "xyz", "x1y2z", "xAyz", "abcabd", "f.txt", "f.x1", "ababab", "a\nb", "ab\u{212A}ab"];
        let mut checked = 0;
        for p in patterns {
            let g = glob(p);
            for t in texts {
                assert_eq!(g.matches(t), reference(p, t), "{p} / {t:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, patterns.len() * texts.len());
    }

    #[test]
    fn unfilled_placeholders_compile_to_nothing() {
        let pieces = [Piece::Lit("a".into()), Piece::Placeholder("x".into())];
        assert!(Glob::new(&pieces, str::to_string).is_none());
    }
}
