//! Cutting a YAML stream into its documents before parsing, so that a syntax error in one
//! document costs that document only.
//!
//! YAML 1.2 makes this exact: a line that starts with `---` or `...` followed by a space, a
//! tab or the end of the line is a document marker wherever it stands (production
//! `c-forbidden`: not even a quoted or block scalar may contain one at the start of a line).
//! A `---` opens a new document unless the current piece holds nothing yet but comments,
//! blank lines and directives (those belong to the document the `---` opens); a `...` ends
//! the current piece after its line.

/// One piece of a stream: the byte range of at most one document, and the 1-based line it
/// starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

/// True when `line` (without its line break) is the marker `marker` (`---` or `...`).
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// Cuts `text` into pieces that each hold at most one document; together they cover `text`.
pub fn split_documents(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut piece = Piece { start: 0, end: 0, line: 1 };
    let mut has_content = false;
    let mut offset = 0;
    let mut line_number: u32 = 1;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if is_marker(bare, "---") {
            if has_content {
                piece.end = offset;
                pieces.push(piece);
                piece = Piece { start: offset, end: offset, line: line_number };
            }
            has_content = true;
        } else if is_marker(bare, "...") {
            piece.end = offset + line.len();
            pieces.push(piece);
            piece = Piece { start: piece.end, end: piece.end, line: line_number.saturating_add(1) };
            has_content = false;
        } else {
            let trimmed = bare.trim_start();
            let ignorable = trimmed.is_empty() || trimmed.starts_with('#') || (!has_content && bare.starts_with('%'));
            has_content |= !ignorable;
        }
        offset += line.len();
        line_number = line_number.saturating_add(1);
    }
    piece.end = text.len();
    if piece.end > piece.start || pieces.is_empty() {
        pieces.push(piece);
    }
    pieces
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed expectation is a test failure
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(&str, u32)> {
        split_documents(text).iter().map(|p| (&text[p.start..p.end], p.line)).collect()
    }

    #[test]
    fn one_document_is_one_piece() {
        assert_eq!(texts("a: 1\nb: 2\n"), vec![("a: 1\nb: 2\n", 1)]);
        assert_eq!(texts(""), vec![("", 1)]);
    }

    #[test]
    fn markers_start_new_pieces_and_leading_comments_stay_with_their_document() {
        let text = "# head\n---\na: 1\n---\nb: 2\n--- c\n";
        assert_eq!(texts(text), vec![("# head\n---\na: 1\n", 1), ("---\nb: 2\n", 4), ("--- c\n", 6)]);
    }

    #[test]
    fn an_end_marker_ends_a_piece_and_directives_go_with_the_next_document() {
        let text = "a: 1\n...\n%YAML 1.2\n---\nb: 2\n";
        assert_eq!(texts(text), vec![("a: 1\n...\n", 1), ("%YAML 1.2\n---\nb: 2\n", 3)]);
    }

    #[test]
    fn dashes_that_are_not_markers_do_not_cut() {
        let text = "a: |\n  ---\nb: ---x\n----\n- --- \n";
        assert_eq!(texts(text).len(), 1);
        assert_eq!(texts("a: 1\r\n---\r\nb: 2\r\n"), vec![("a: 1\r\n", 1), ("---\r\nb: 2\r\n", 2)]);
    }
}
