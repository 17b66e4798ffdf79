//! Header field writer with folding (RFC 5322 §2.1.1, §2.2.3) and unstructured text.
//!
//! A field body is written as a sequence of pieces, each optionally preceded by white space.
//! A fold (CRLF) may only be inserted right before such white space, so the unfolded field is
//! exactly the pieces concatenated. The writer folds when a line would pass 78 characters (76
//! on lines holding an encoded word, RFC 2047 §2), and never folds where it would not help.
//! Pieces are short by construction (words, encoded words, parameter segments, addresses of at
//! most 320 octets), so no line can reach 998.

use super::encoded_word::{choose_word_encoding, encode_word_prefix, WordEncoding, WORD_OVERHEAD};

/// Lines SHOULD be no longer than this, CRLF excluded (RFC 5322 §2.1.1).
pub const SOFT_LINE_LIMIT: usize = 78;
/// Lines MUST be no longer than this, CRLF excluded (RFC 5322 §2.1.1).
pub const HARD_LINE_LIMIT: usize = 998;
/// Lines holding an encoded word are limited to this (RFC 2047 §2).
pub const ENCODED_WORD_LINE_LIMIT: usize = 76;

/// Smallest room worth starting an encoded word in, rather than folding first.
const MIN_WORD_ROOM: usize = WORD_OVERHEAD + 9;

/// Builds one header field, folding as it goes.
#[derive(Debug)]
pub(crate) struct FieldWriter {
    out: Vec<u8>,
    line_start: usize,
    line_has_encoded_word: bool,
    /// Whether anything follows the field name yet.
    has_piece: bool,
}

impl FieldWriter {
    /// Starts a field; `name` must already be a valid field name.
    pub(crate) fn new(name: &str) -> Self {
        let mut out = Vec::with_capacity(name.len() + 80);
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        FieldWriter {
            out,
            line_start: 0,
            line_has_encoded_word: false,
            has_piece: false,
        }
    }

    fn line_len(&self) -> usize {
        self.out.len() - self.line_start
    }

    fn limit(&self) -> usize {
        if self.line_has_encoded_word {
            ENCODED_WORD_LINE_LIMIT
        } else {
            SOFT_LINE_LIMIT
        }
    }

    fn fold(&mut self) {
        self.out.extend_from_slice(b"\r\n");
        self.line_start = self.out.len();
        self.line_has_encoded_word = false;
    }

    /// Appends `space` (white space, possibly empty) then `text` (no white space a fold could
    /// use). Folds before `space` when the line would grow past the limit and folding helps.
    pub(crate) fn push(&mut self, space: &str, text: &str) {
        let needed = self.line_len() + space.len() + text.len();
        // Right after the field name a fold only helps against the hard limit; elsewhere a
        // piece that does not fit starts a new line (alone there if it is itself too long).
        if !space.is_empty()
            && needed > self.limit()
            && (self.has_piece || needed > HARD_LINE_LIMIT)
        {
            self.fold();
        }
        self.out.extend_from_slice(space.as_bytes());
        self.out.extend_from_slice(text.as_bytes());
        self.has_piece = true;
    }

    /// Like [`Self::push`] for a piece holding encoded words: the line limit is 76.
    pub(crate) fn push_word(&mut self, space: &str, text: &str) {
        let needed = self.line_len() + space.len() + text.len();
        if !space.is_empty() && needed > ENCODED_WORD_LINE_LIMIT {
            self.fold();
        }
        self.out.extend_from_slice(space.as_bytes());
        self.out.extend_from_slice(text.as_bytes());
        self.line_has_encoded_word = true;
        self.has_piece = true;
    }

    /// Appends text glued to the previous piece (no fold possible before it).
    pub(crate) fn glue(&mut self, text: &str) {
        self.push("", text);
    }

    /// Appends `text` as RFC 2047 encoded words, the first preceded by `space`, the others by a
    /// single space (dropped by decoders between adjacent encoded words). Word sizes follow the
    /// room left on each line; `space` should not be empty so a fold is possible.
    pub(crate) fn push_encoded(&mut self, space: &str, text: &str) {
        let encoding = choose_word_encoding(text);
        let mut rest = text;
        let mut separator = space;
        while !rest.is_empty() {
            let room = ENCODED_WORD_LINE_LIMIT.saturating_sub(self.line_len() + separator.len());
            // On the current line only a word that ends the text or ends after a space: else a
            // fresh line, where a longer word can reach a space.
            let on_this_line = encode_word_prefix(rest, encoding, room)
                .filter(|(_, used)| *used == rest.len() || room >= MIN_WORD_ROOM)
                .map(|found| split_after_space(rest, encoding, found))
                .filter(|(_, used)| {
                    *used == rest.len()
                        || rest
                            .get(..*used)
                            .is_some_and(|prefix| prefix.ends_with(' '))
                        || !self.has_piece
                });
            let next = match on_this_line {
                Some(found) => Some(found),
                None => {
                    if !separator.is_empty() {
                        self.fold();
                    }
                    let room =
                        ENCODED_WORD_LINE_LIMIT.saturating_sub(self.line_len() + separator.len());
                    encode_word_prefix(rest, encoding, room)
                        .or_else(|| encode_word_prefix(rest, encoding, usize::MAX))
                }
            };
            let Some((word, used)) = next.map(|found| split_after_space(rest, encoding, found))
            else {
                // Unreachable: a full-size word holds any single character.
                break;
            };
            self.out.extend_from_slice(separator.as_bytes());
            self.out.extend_from_slice(word.as_bytes());
            self.line_has_encoded_word = true;
            self.has_piece = true;
            rest = rest.get(used..).unwrap_or_default();
            separator = " ";
        }
    }

    /// Ends the field with CRLF and returns its bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(b"\r\n");
        self.out
    }
}

/// Moves the end of an encoded word back to just after the last space it holds, if any.
///
/// RFC 2047 readers drop the white space between adjacent encoded words wherever the split
/// is, but Python's `email` package (3.11) keeps one space between adjacent encoded words of a
/// display name; splitting after a space keeps the text identical for RFC readers and limits
/// Python's difference to one doubled space (a split inside a word is only left for words too
/// long for one encoded word).
fn split_after_space(
    rest: &str,
    encoding: WordEncoding,
    found: (String, usize),
) -> (String, usize) {
    let (_, used) = &found;
    if *used >= rest.len() {
        return found;
    }
    match rest.get(..*used).and_then(|prefix| prefix.rfind(' ')) {
        Some(space) if space > 0 => rest
            .get(..=space)
            .and_then(|prefix| encode_word_prefix(prefix, encoding, usize::MAX))
            .unwrap_or(found),
        _ => found,
    }
}

fn is_wsp(character: char) -> bool {
    character == ' ' || character == '\t'
}

/// Longest plain word that still fits a fresh folded line (" " + word <= 78).
const MAX_PLAIN_WORD: usize = SOFT_LINE_LIMIT - 1;

/// True when an unstructured word can be written as it is: printable ASCII, not mistakable for
/// an encoded word, and short enough for a line of its own.
fn is_plain_word(word: &str) -> bool {
    word.len() <= MAX_PLAIN_WORD
        && word.bytes().all(|byte| byte.is_ascii_graphic())
        && !word.contains("=?")
}

/// One word of unstructured text with the white space before it.
struct Token<'a> {
    space: &'a str,
    word: &'a str,
}

fn tokens(value: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let space_end = rest.find(|c: char| !is_wsp(c)).unwrap_or(rest.len());
        let (space, after) = rest.split_at(space_end);
        let word_end = after.find(is_wsp).unwrap_or(after.len());
        let (word, remaining) = after.split_at(word_end);
        tokens.push(Token { space, word });
        rest = remaining;
    }
    tokens
}

/// Writes an unstructured field body (RFC 5322 §3.2.5, RFC 2047 §5 (1)).
///
/// Plain words are copied; runs of words that need encoding (non-ASCII, control characters,
/// `=?`, or longer than a line) become encoded words, together with the white space between
/// them so it survives decoding. Leading and trailing white space is encoded too, because
/// readers strip it otherwise.
pub(crate) fn write_unstructured(writer: &mut FieldWriter, value: &str) {
    let tokens = tokens(value);
    // Byte offsets in `value`: where the kept (plain) leading white space of each token ends
    // and where its text ends. Leading/trailing white space joins the first/last word.
    struct Word {
        space: std::ops::Range<usize>,
        text: std::ops::Range<usize>,
        encode: bool,
    }
    let mut words: Vec<Word> = Vec::with_capacity(tokens.len());
    let mut offset = 0usize;
    for (index, token) in tokens.iter().enumerate() {
        let space_start = offset;
        let text_start = space_start + token.space.len();
        let text_end = text_start + token.word.len();
        offset = text_end;
        if token.word.is_empty() {
            // Trailing white space: glue it to the previous word, which then must be encoded.
            if let Some(previous) = words.last_mut() {
                previous.text.end = text_end;
                previous.encode = true;
                continue;
            }
        }
        if index == 0 && !token.space.is_empty() {
            words.push(Word {
                space: space_start..space_start,
                text: space_start..text_end,
                encode: true,
            });
            continue;
        }
        words.push(Word {
            space: space_start..text_start,
            text: text_start..text_end,
            encode: !is_plain_word(token.word),
        });
    }
    let mut index = 0;
    while let Some(word) = words.get(index) {
        let space = if index == 0 {
            " "
        } else {
            value.get(word.space.clone()).unwrap_or(" ")
        };
        if !word.encode {
            writer.push(space, value.get(word.text.clone()).unwrap_or_default());
            index += 1;
            continue;
        }
        // A run of words needing encoding is encoded as one text, spaces between them included.
        let run_start = word.text.start;
        let mut run_end = word.text.end;
        index += 1;
        while let Some(next) = words.get(index) {
            if !next.encode {
                break;
            }
            run_end = next.text.end;
            index += 1;
        }
        writer.push_encoded(space, value.get(run_start..run_end).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unstructured(name: &str, value: &str) -> String {
        let mut writer = FieldWriter::new(name);
        write_unstructured(&mut writer, value);
        String::from_utf8(writer.finish()).unwrap()
    }

    fn assert_lines_within(field: &str, limit: usize) {
        for line in field.split_terminator("\r\n") {
            assert!(line.len() <= limit, "line of {}: {line:?}", line.len());
            assert!(
                !line.trim().is_empty(),
                "white-space-only line in {field:?}"
            );
        }
    }

    #[test]
    fn short_ascii_is_one_line() {
        assert_eq!(
            unstructured("Subject", "Hello world"),
            "Subject: Hello world\r\n"
        );
        assert_eq!(unstructured("Subject", ""), "Subject:\r\n");
    }

    #[test]
    fn long_ascii_folds_before_white_space_at_78() {
        let value = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";
        let field = unstructured("Subject", value);
        assert_lines_within(&field, SOFT_LINE_LIMIT);
        let unfolded = field.replace("\r\n ", " ");
        assert_eq!(unfolded, format!("Subject: {value}\r\n"));
    }

    #[test]
    fn non_ascii_words_become_encoded_words_and_spaces_between_them_are_kept() {
        let field = unstructured("Subject", "Gr\u{fc}\u{df}e aus K\u{f6}ln today");
        assert_eq!(
            field,
            "Subject: =?utf-8?b?R3LDvMOfZQ==?= aus =?utf-8?b?S8O2bG4=?= today\r\n"
        );
        let field = unstructured("Subject", "Keld J\u{f8}rn-Simonsen");
        assert_eq!(field, "Subject: Keld =?utf-8?q?J=C3=B8rn-Simonsen?=\r\n");
    }

    #[test]
    fn long_encoded_text_fills_lines_up_to_76() {
        let value = "\u{65e5}\u{672c}\u{8a9e}".repeat(30);
        let field = unstructured("Subject", &value);
        assert_lines_within(&field, ENCODED_WORD_LINE_LIMIT);
        for word in field.split_whitespace().skip(1) {
            assert!(word.len() <= 75);
        }
        assert!(field.starts_with("Subject: =?utf-8?b?"));
    }

    #[test]
    fn an_unbreakable_long_token_is_encoded_into_several_words() {
        let value = "x".repeat(2000);
        let field = unstructured("X-Long", &value);
        assert_lines_within(&field, ENCODED_WORD_LINE_LIMIT);
    }

    #[test]
    fn text_that_looks_encoded_is_encoded() {
        let field = unstructured("Subject", "=?utf-8?q?x?=");
        assert!(field.starts_with("Subject: =?utf-8?"));
        assert!(!field.contains(" =?utf-8?q?x?="));
    }

    #[test]
    fn leading_and_trailing_space_and_controls_are_encoded() {
        assert_eq!(unstructured("Subject", " a"), "Subject: =?utf-8?q?_a?=\r\n");
        assert_eq!(
            unstructured("Subject", "a b "),
            "Subject: a =?utf-8?q?b_?=\r\n"
        );
        assert_eq!(
            unstructured("Subject", "line\r\nbreak"),
            "Subject: =?utf-8?q?line=0D=0Abreak?=\r\n"
        );
    }
}
