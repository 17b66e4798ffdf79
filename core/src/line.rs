//! CRLF line framing with a maximum line length.
//!
//! [`LineBuffer`] accumulates the bytes that arrive from the peer and cuts them into
//! lines. A line longer than the limit is never held: its bytes are dropped as they
//! arrive and, once its line end comes, a single [`Line::TooLong`] is reported, so the
//! protocol can answer it (SMTP 500 5.5.2, IMAP BAD, POP3 -ERR) and go on with the next
//! line (resynchronisation). Memory stays bounded by the limit plus one input chunk.
//!
//! Bodies and literals are read raw with [`LineBuffer::take_up_to`] and friends.

use bytes::{Buf, Bytes, BytesMut};

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\r\n`, the only line end the mail protocols allow.
    Crlf,
    /// A `\n` with no `\r` before it. Protocols refuse it unless a quirk allows it.
    BareLf,
}

/// One framed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whole line.
    Complete {
        /// The line's bytes without its line end.
        bytes: Bytes,
        /// How the line ended.
        ending: LineEnding,
    },
    /// A line longer than the limit arrived and was discarded, up to and including its
    /// line end.
    TooLong,
}

/// Accumulates input and cuts it into lines; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct LineBuffer {
    buffer: BytesMut,
    max_line_length: usize,
    /// Bytes of `buffer` already known to hold no `\n`.
    scanned: usize,
    /// An over-long line is being dropped until its `\n`.
    discarding: bool,
}

impl LineBuffer {
    /// A buffer whose lines may be at most `max_line_length` octets long, line end
    /// included (RFC 5321 counts the CRLF in its 512-octet command line).
    pub fn new(max_line_length: usize) -> Self {
        LineBuffer {
            buffer: BytesMut::new(),
            max_line_length: max_line_length.max(2),
            scanned: 0,
            discarding: false,
        }
    }

    /// The maximum line length, line end included.
    pub fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// Changes the maximum line length for lines not yet framed.
    pub fn set_max_line_length(&mut self, max_line_length: usize) {
        self.max_line_length = max_line_length.max(2);
    }

    /// Appends input from the peer.
    ///
    /// While an over-long line is being discarded, its bytes are dropped here without
    /// being stored.
    pub fn extend(&mut self, input: &[u8]) {
        if self.discarding && self.buffer.is_empty() {
            // Keep the line end so `next_line` reports the resync at the right place.
            if let Some(lf) = memchr::memchr(b'\n', input) {
                self.buffer
                    .extend_from_slice(input.get(lf..).unwrap_or_default());
            }
        } else {
            self.buffer.extend_from_slice(input);
        }
    }

    /// Frames the next line, if a whole one (or the end of an over-long one) is there.
    pub fn next_line(&mut self) -> Option<Line> {
        if self.discarding {
            return match memchr::memchr(b'\n', &self.buffer) {
                Some(lf) => {
                    self.buffer.advance(lf + 1);
                    self.discarding = false;
                    self.scanned = 0;
                    Some(Line::TooLong)
                }
                None => {
                    self.buffer.clear();
                    self.scanned = 0;
                    None
                }
            };
        }
        let unscanned = self.buffer.get(self.scanned..).unwrap_or_default();
        match memchr::memchr(b'\n', unscanned) {
            Some(offset) => {
                let line_length = self.scanned + offset + 1;
                self.scanned = 0;
                if line_length > self.max_line_length {
                    self.buffer.advance(line_length);
                    return Some(Line::TooLong);
                }
                let mut bytes = self.buffer.split_to(line_length);
                bytes.truncate(line_length - 1);
                let ending = if bytes.last() == Some(&b'\r') {
                    bytes.truncate(line_length - 2);
                    LineEnding::Crlf
                } else {
                    LineEnding::BareLf
                };
                Some(Line::Complete {
                    bytes: bytes.freeze(),
                    ending,
                })
            }
            None => {
                if self.buffer.len() >= self.max_line_length {
                    // No line end within the limit: drop what we hold and everything up to
                    // the next `\n`.
                    self.buffer.clear();
                    self.scanned = 0;
                    self.discarding = true;
                } else {
                    self.scanned = self.buffer.len();
                }
                None
            }
        }
    }

    /// The bytes held and not yet framed or taken.
    pub fn buffered(&self) -> &[u8] {
        &self.buffer
    }

    /// How many bytes are held.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    /// True when no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// True while the rest of an over-long line is being dropped.
    pub fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// Takes up to `limit` raw bytes (for a BDAT chunk or an IMAP literal).
    pub fn take_up_to(&mut self, limit: usize) -> Bytes {
        let count = limit.min(self.buffer.len());
        self.scanned = 0;
        self.buffer.split_to(count).freeze()
    }

    /// Takes every held byte.
    pub fn take_all(&mut self) -> Bytes {
        self.scanned = 0;
        self.buffer.split().freeze()
    }

    /// Drops the first `count` held bytes (at most all of them).
    pub fn consume(&mut self, count: usize) {
        let count = count.min(self.buffer.len());
        self.scanned = 0;
        self.buffer.advance(count);
    }

    /// Drops every held byte and any over-long line in progress (after STARTTLS, the
    /// plaintext that was pipelined behind the command must not survive).
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.scanned = 0;
        self.discarding = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: Option<Line>) -> (Vec<u8>, LineEnding) {
        match line {
            Some(Line::Complete { bytes, ending }) => (bytes.to_vec(), ending),
            other => panic!("expected a complete line, got {other:?}"),
        }
    }

    #[test]
    fn frames_crlf_and_bare_lf_lines() {
        let mut lines = LineBuffer::new(100);
        lines.extend(b"NOOP\r\nQUIT\nRS");
        assert_eq!(
            complete(lines.next_line()),
            (b"NOOP".to_vec(), LineEnding::Crlf)
        );
        assert_eq!(
            complete(lines.next_line()),
            (b"QUIT".to_vec(), LineEnding::BareLf)
        );
        assert_eq!(lines.next_line(), None);
        lines.extend(b"ET\r");
        assert_eq!(lines.next_line(), None);
        lines.extend(b"\n");
        assert_eq!(
            complete(lines.next_line()),
            (b"RSET".to_vec(), LineEnding::Crlf)
        );
        assert!(lines.is_empty());
    }

    #[test]
    fn limit_counts_the_line_end() {
        let mut lines = LineBuffer::new(6);
        lines.extend(b"NOOP\r\nNOOPS\r\nOK\r\n");
        assert_eq!(
            complete(lines.next_line()),
            (b"NOOP".to_vec(), LineEnding::Crlf)
        );
        assert_eq!(lines.next_line(), Some(Line::TooLong));
        assert_eq!(
            complete(lines.next_line()),
            (b"OK".to_vec(), LineEnding::Crlf)
        );
    }

    #[test]
    fn over_long_line_is_dropped_while_it_arrives_then_resyncs() {
        let mut lines = LineBuffer::new(512);
        lines.extend(b"MAIL FROM:<");
        for _ in 0..10_000 {
            lines.extend(&[b'a'; 100]);
            assert_eq!(lines.next_line(), None);
            assert!(lines.len() <= 512, "held {} bytes", lines.len());
        }
        lines.extend(b"aaaa>\r\nNOOP\r\n");
        assert_eq!(lines.next_line(), Some(Line::TooLong));
        assert_eq!(
            complete(lines.next_line()),
            (b"NOOP".to_vec(), LineEnding::Crlf)
        );
        assert_eq!(lines.next_line(), None);
    }

    #[test]
    fn raw_reads_take_exact_counts() {
        let mut lines = LineBuffer::new(512);
        lines.extend(b"0123456789BDAT 3 LAST\r\n");
        assert_eq!(&lines.take_up_to(4)[..], b"0123");
        assert_eq!(&lines.take_up_to(6)[..], b"456789");
        assert_eq!(complete(lines.next_line()).0, b"BDAT 3 LAST".to_vec());
        lines.extend(b"ab");
        assert_eq!(&lines.take_up_to(10)[..], b"ab");
        lines.extend(b"xyz");
        lines.consume(1);
        assert_eq!(lines.buffered(), b"yz");
        lines.clear();
        assert!(lines.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn framing_does_not_depend_on_chunking(
            input in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\r', b'\n', b'.']), 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
            max in 2usize..20,
        ) {
            let mut whole = LineBuffer::new(max);
            whole.extend(&input);
            let mut expected = Vec::new();
            while let Some(line) = whole.next_line() { expected.push(line); }

            let mut split = LineBuffer::new(max);
            let mut got = Vec::new();
            let mut cuts = cuts.clone();
            cuts.push(input.len());
            cuts.sort_unstable();
            let mut start = 0;
            for cut in cuts {
                let cut = cut.min(input.len());
                if cut < start { continue; }
                split.extend(&input[start..cut]);
                while let Some(line) = split.next_line() { got.push(line); }
                start = cut;
                proptest::prop_assert!(split.len() <= max.max(2) + input.len());
            }
            proptest::prop_assert_eq!(expected, got);
        }
    }
}
