//! Boundary delimiter lines (RFC 2046 §5.1.1), shared by both parsers.
//!
//! A delimiter line starts at the beginning of a line with `--` and the boundary,
//! then optionally `--` (the close delimiter), then transport padding (spaces and
//! tabs, at most [`Limits::max_transport_padding`](crate::limits::Limits)), then the
//! end of the line: CRLF, a bare LF, or the end of the input (a lone CR at the very
//! end counts as a cut CRLF). Anything else after the boundary (another character,
//! as in `--abcdef` when the boundary is `abc`) makes it an ordinary line, so a
//! boundary that is a prefix of a nested one is never confused with it.
//!
//! The line break before a delimiter line belongs to the delimiter (RFC 2046), so
//! the content before it ends before that CRLF or LF. Lines are matched as they come,
//! like Python's `email` package does, so `--b` right after another delimiter line
//! ends an empty part.

/// What a line that may be a delimiter line turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineMatch {
    /// Not a delimiter line of this boundary.
    No,
    /// The available bytes are a prefix of a delimiter line; more input decides.
    NeedMore,
    /// A delimiter line: `close` for `--boundary--`; `length` covers the line and its
    /// line break (if any).
    Delimiter { close: bool, length: usize },
}

/// Matches the line starting at `line[0]` against `boundary`. `at_end` says that no
/// input follows `line` (the end of the message), so a partial match is decided.
pub(crate) fn match_delimiter(
    line: &[u8],
    boundary: &[u8],
    max_padding: usize,
    at_end: bool,
) -> LineMatch {
    let undecided = if at_end {
        LineMatch::No
    } else {
        LineMatch::NeedMore
    };
    // "--" then the boundary.
    let dashes_and_boundary = 2 + boundary.len();
    let head = line
        .get(..dashes_and_boundary.min(line.len()))
        .unwrap_or_default();
    let matches_prefix = head.iter().enumerate().all(|(i, &byte)| match i {
        0 | 1 => byte == b'-',
        _ => boundary.get(i - 2) == Some(&byte),
    });
    if !matches_prefix {
        return LineMatch::No;
    }
    if line.len() < dashes_and_boundary {
        return undecided;
    }
    let mut pos = dashes_and_boundary;
    let mut close = false;
    if line.get(pos) == Some(&b'-') {
        match line.get(pos + 1) {
            Some(b'-') => {
                close = true;
                pos += 2;
            }
            Some(_) => return LineMatch::No,
            None => return undecided,
        }
    }
    let padding_start = pos;
    while matches!(line.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
        if pos - padding_start > max_padding {
            return LineMatch::No;
        }
    }
    match line.get(pos) {
        Some(b'\n') => LineMatch::Delimiter {
            close,
            length: pos + 1,
        },
        Some(b'\r') => match line.get(pos + 1) {
            Some(b'\n') => LineMatch::Delimiter {
                close,
                length: pos + 2,
            },
            Some(_) => LineMatch::No,
            None if at_end => LineMatch::Delimiter {
                close,
                length: pos + 1,
            },
            None => LineMatch::NeedMore,
        },
        Some(_) => LineMatch::No,
        None if at_end => LineMatch::Delimiter { close, length: pos },
        None => LineMatch::NeedMore,
    }
}

/// Start of the line break that ends at `line_start` (which is preceded by a LF):
/// CRLF when the CR is at or after `floor`, else the LF alone. `line_start` must be
/// greater than `floor`.
pub(crate) fn line_break_start(input: &[u8], floor: usize, line_start: usize) -> usize {
    if line_start >= floor + 2 && input.get(line_start - 2) == Some(&b'\r') {
        line_start - 2
    } else {
        line_start.saturating_sub(1)
    }
}

/// How often a byte turns up in the bodies a multipart holds: 3 for the base64
/// alphabet (letters, digits, `+`, `/`), which is also most of any text; 2 for the
/// punctuation of text and quoted-printable, and the dashes of delimiter lines; 1 for
/// the rest.
fn commonness_in_bodies(byte: u8) -> u8 {
    match byte {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => 3,
        b'-' | b' ' | b'.' | b',' | b'=' | b'\r' | b'\n' => 2,
        _ => 1,
    }
}

/// Delimiter candidates found among the bytes of the boundary before the search for
/// them is given up for the substring search.
const MAX_RARE_MISSES: usize = 64;

/// Finds `needle` (LF `--` boundary) in the bodies of a large multipart.
///
/// Boundaries are usually made with bytes that base64 and most text never hold
/// (`=`, `_`, `.` ...), so the fastest search is a byte search for the boundary's
/// rarest byte, each hit checked for the whole needle: a body that lacks the byte
/// is crossed at memchr's speed, several times faster than a substring search. A
/// boundary of letters and digits only, or one whose rare byte turns out to be
/// common in this body (more than [`MAX_RARE_MISSES`] hits that were not the
/// needle), is looked for with memchr's substring finder instead.
pub(crate) struct DelimiterFinder<'n> {
    needle: &'n [u8],
    /// The boundary byte searched for, and its offset in the needle.
    rare: Option<(u8, usize)>,
    misses: usize,
    finder: Option<memchr::memmem::Finder<'n>>,
}

impl<'n> DelimiterFinder<'n> {
    /// A finder for `needle`, which starts with the 3 bytes LF `--`.
    pub(crate) fn new(needle: &'n [u8]) -> Self {
        let rare = needle
            .iter()
            .enumerate()
            .skip(3)
            .map(|(offset, &byte)| (commonness_in_bodies(byte), byte, offset))
            .min_by_key(|&(commonness, _, _)| commonness)
            .filter(|&(commonness, _, _)| commonness < 3)
            .map(|(_, byte, offset)| (byte, offset));
        DelimiterFinder {
            needle,
            rare,
            misses: 0,
            finder: None,
        }
    }

    /// Offset of the first occurrence of the needle in `window`.
    pub(crate) fn find(&mut self, window: &[u8]) -> Option<usize> {
        if let Some((byte, offset)) = self.rare {
            // A needle starting at `start` has the byte at `start + offset`, so the
            // hits come in the order of the needles they may belong to.
            let mut from = offset;
            while let Some(hit) = window
                .get(from..)
                .and_then(|rest| memchr::memchr(byte, rest))
            {
                let start = from + hit - offset;
                if window
                    .get(start..)
                    .is_some_and(|rest| rest.starts_with(self.needle))
                {
                    return Some(start);
                }
                self.misses += 1;
                if self.misses > MAX_RARE_MISSES {
                    // Every needle starting at or before `start` is ruled out.
                    self.rare = None;
                    let rest = window.get(start + 1..).unwrap_or_default();
                    return self.substring(rest).map(|found| start + 1 + found);
                }
                from = start + offset + 1;
            }
            return None;
        }
        self.substring(window)
    }

    fn substring(&mut self, window: &[u8]) -> Option<usize> {
        let needle = self.needle;
        self.finder
            .get_or_insert_with(|| memchr::memmem::Finder::new(needle))
            .find(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(line: &[u8], at_end: bool) -> LineMatch {
        match_delimiter(line, b"abc", 4, at_end)
    }

    #[test]
    fn delimiter_lines() {
        assert_eq!(
            matched(b"--abc\r\nX", false),
            LineMatch::Delimiter {
                close: false,
                length: 7
            }
        );
        assert_eq!(
            matched(b"--abc\nX", false),
            LineMatch::Delimiter {
                close: false,
                length: 6
            }
        );
        assert_eq!(
            matched(b"--abc--\r\n", false),
            LineMatch::Delimiter {
                close: true,
                length: 9
            }
        );
        assert_eq!(
            matched(b"--abc \t \r\n", false),
            LineMatch::Delimiter {
                close: false,
                length: 10
            }
        );
        assert_eq!(
            matched(b"--abc--", true),
            LineMatch::Delimiter {
                close: true,
                length: 7
            }
        );
        assert_eq!(
            matched(b"--abc\r", true),
            LineMatch::Delimiter {
                close: false,
                length: 6
            }
        );
    }

    #[test]
    fn ordinary_lines() {
        assert_eq!(matched(b"--abcdef\r\n", false), LineMatch::No);
        assert_eq!(matched(b"--abc-x\r\n", false), LineMatch::No);
        assert_eq!(matched(b"--abc--x\r\n", false), LineMatch::No);
        assert_eq!(matched(b"--abc x\r\n", false), LineMatch::No);
        assert_eq!(matched(b"--abc\rx", false), LineMatch::No);
        assert_eq!(matched(b"-abc\r\n", false), LineMatch::No);
        assert_eq!(matched(b"x--abc\r\n", false), LineMatch::No);
        assert_eq!(matched(b"--ab\r\n", false), LineMatch::No);
        // Too much padding.
        assert_eq!(matched(b"--abc     \r\n", false), LineMatch::No);
        assert_eq!(
            matched(b"--abc    \r\n", false),
            LineMatch::Delimiter {
                close: false,
                length: 11
            }
        );
    }

    #[test]
    fn partial_lines_wait_unless_at_end() {
        for partial in [
            &b""[..],
            b"-",
            b"--",
            b"--a",
            b"--abc",
            b"--abc-",
            b"--abc--",
            b"--abc  ",
            b"--abc\r",
        ] {
            assert_eq!(matched(partial, false), LineMatch::NeedMore, "{partial:?}");
        }
        assert_eq!(matched(b"--ab", true), LineMatch::No);
        assert_eq!(matched(b"--abc-", true), LineMatch::No);
        assert_eq!(matched(b"", true), LineMatch::No);
    }

    #[test]
    fn line_break_before_a_line() {
        assert_eq!(line_break_start(b"x\r\n--", 0, 3), 1);
        assert_eq!(line_break_start(b"x\n--", 0, 2), 1);
        assert_eq!(line_break_start(b"\r\n--", 1, 2), 1);
    }

    fn naive_find(window: &[u8], needle: &[u8]) -> Option<usize> {
        window.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn the_rarest_boundary_byte_is_searched_for() {
        assert_eq!(
            DelimiterFinder::new(b"\n------=_Part_0_1.2").rare,
            Some((b'_', 8))
        );
        assert_eq!(DelimiterFinder::new(b"\n--abc.def").rare, Some((b'.', 6)));
        // Letters and digits only: the substring search.
        assert_eq!(DelimiterFinder::new(b"\n--000000000000a1b2c3").rare, None);
    }

    /// The needle is found wherever it is, after any number of hits of its rare
    /// byte that are not it (up to and past the switch to the substring search),
    /// as a plain search finds it.
    #[test]
    fn finds_what_a_plain_search_finds() {
        let needle = b"\n--a_b";
        for distractors in [0, 1, 5, MAX_RARE_MISSES, MAX_RARE_MISSES + 1, 200] {
            let mut body = Vec::new();
            for i in 0..distractors {
                body.extend_from_slice(if i % 2 == 0 { b"x_y\r\n" } else { b"\n--a_c " });
            }
            for tail in [&b""[..], b"\n--a_b\r\n", b"_\n--a_b--"] {
                let mut window = body.clone();
                window.extend_from_slice(tail);
                for start in 0..window.len().min(40) {
                    let window = &window[start..];
                    let mut finder = DelimiterFinder::new(needle);
                    assert_eq!(
                        finder.find(window),
                        naive_find(window, needle),
                        "{distractors} distractors, {:?}",
                        String::from_utf8_lossy(window)
                    );
                }
            }
        }
        // Repeated searches with one finder, as a multipart's split does.
        let mut window = Vec::new();
        for i in 0..300 {
            window.extend_from_slice(if i % 7 == 0 {
                b"\n--a_b\r\n"
            } else {
                b"a_x\r\n"
            });
        }
        let mut finder = DelimiterFinder::new(needle);
        let mut from = 0;
        let mut found = Vec::new();
        while let Some(at) = finder.find(&window[from..]) {
            found.push(from + at);
            from += at + 1;
        }
        let mut expected = Vec::new();
        let mut from = 0;
        while let Some(at) = naive_find(&window[from..], needle) {
            expected.push(from + at);
            from += at + 1;
        }
        assert_eq!(found, expected);
        assert!(
            finder.rare.is_none(),
            "many misses switch to the substring search"
        );
    }
}
