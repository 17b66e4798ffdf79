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
}
