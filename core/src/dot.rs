//! Streaming dot-stuffing and dot-unstuffing (RFC 5321 §4.5.2, RFC 1939 §3).
//!
//! A body sent after SMTP `DATA`, an LMTP body, and a POP3 multi-line response end with a
//! line holding a single `.`; a body line that starts with `.` gets a second one in front.
//!
//! [`DotUnstuffer`] is strict: only `<CRLF>.<CRLF>` ends the data. A `.` after a bare LF
//! or a bare CR (`\n.\n`, `\r\n.\n`, `\n.\r\n`, `\r.\r`) is body text, so no message can
//! be smuggled past a receiver that reads line ends more loosely than its sender.
//! Bare line ends are counted so a server can refuse them (as Postfix's
//! `smtpd_forbid_bare_newline` does).

/// Where the unstuffer is within the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnstuffState {
    /// Just after a CRLF, or at the very start of the data.
    LineStart,
    /// Inside a line.
    InLine,
    /// Inside a line, right after a `\r` that was passed on.
    AfterCr,
    /// At a line start, after a `.` that was held back.
    LineStartDot,
    /// At a line start, after `.\r`, both held back.
    LineStartDotCr,
    /// `<CRLF>.<CRLF>` was seen.
    Finished,
}

/// What one [`DotUnstuffer::feed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unstuffed {
    /// Input bytes used. Less than the input only when the data ended: the rest belongs
    /// to whatever follows the terminator.
    pub consumed: usize,
    /// The terminating `.` line was read (it is not part of the body).
    pub finished: bool,
}

/// Removes dot-stuffing from a stream and finds its end; see the [module docs](self).
///
/// ```
/// use mailwire_core::dot::DotUnstuffer;
/// let mut body = Vec::new();
/// let mut unstuffer = DotUnstuffer::new();
/// let input = b"Hi\r\n..dot\r\n.\r\nQUIT\r\n";
/// let fed = unstuffer.feed(input, |part| body.extend_from_slice(part));
/// assert!(fed.finished);
/// assert_eq!(body, b"Hi\r\n.dot\r\n");
/// assert_eq!(&input[fed.consumed..], b"QUIT\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotUnstuffer {
    state: UnstuffState,
    bare_lf: u64,
    bare_cr: u64,
    body_octets: u64,
}

impl Default for DotUnstuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotUnstuffer {
    /// An unstuffer at the start of the data.
    pub fn new() -> Self {
        DotUnstuffer {
            state: UnstuffState::LineStart,
            bare_lf: 0,
            bare_cr: 0,
            body_octets: 0,
        }
    }

    /// True once the terminating line was read.
    pub fn is_finished(&self) -> bool {
        self.state == UnstuffState::Finished
    }

    /// How many bare LFs (not preceded by CR) the body held so far.
    pub fn bare_lf_count(&self) -> u64 {
        self.bare_lf
    }

    /// How many bare CRs (not followed by LF) the body held so far.
    pub fn bare_cr_count(&self) -> u64 {
        self.bare_cr
    }

    /// Body octets passed on so far (after unstuffing).
    pub fn body_octets(&self) -> u64 {
        self.body_octets
    }

    /// Unstuffs `input`, passing body bytes to `sink` in order (as slices of `input` where
    /// possible, so nothing is copied here). Stops right after the terminator.
    pub fn feed(&mut self, input: &[u8], mut sink: impl FnMut(&[u8])) -> Unstuffed {
        let mut emitted = 0u64;
        let mut emit = |part: &[u8]| {
            if !part.is_empty() {
                emitted += part.len() as u64;
                sink(part);
            }
        };
        // Start of the run of input bytes that are passed on unchanged.
        let mut run_start = 0usize;
        let mut finished_at = None;
        for (index, &byte) in input.iter().enumerate() {
            self.state = match self.state {
                UnstuffState::Finished => {
                    finished_at = Some(index);
                    break;
                }
                UnstuffState::LineStart => match byte {
                    b'.' => {
                        emit(input.get(run_start..index).unwrap_or_default());
                        run_start = index + 1;
                        UnstuffState::LineStartDot
                    }
                    _ => self.in_line(byte),
                },
                UnstuffState::InLine => self.in_line(byte),
                UnstuffState::AfterCr => match byte {
                    b'\n' => UnstuffState::LineStart,
                    _ => {
                        self.bare_cr += 1;
                        self.in_line(byte)
                    }
                },
                UnstuffState::LineStartDot => match byte {
                    // `.\r` may be the terminator: hold the `\r` back too.
                    b'\r' => {
                        run_start = index + 1;
                        UnstuffState::LineStartDotCr
                    }
                    // A stuffed dot: the held `.` is dropped, this byte starts the run.
                    _ => {
                        run_start = index;
                        self.in_line(byte)
                    }
                },
                UnstuffState::LineStartDotCr => match byte {
                    b'\n' => {
                        run_start = index + 1;
                        finished_at = Some(index + 1);
                        UnstuffState::Finished
                    }
                    // `.\r` then something else: the dot was stuffing, the `\r` is body.
                    _ => {
                        emit(b"\r");
                        run_start = index;
                        self.bare_cr += 1;
                        self.in_line(byte)
                    }
                },
            };
            if finished_at.is_some() {
                break;
            }
        }
        let end = finished_at.unwrap_or(input.len());
        if finished_at.is_none() {
            let held = matches!(
                self.state,
                UnstuffState::LineStartDot | UnstuffState::LineStartDotCr
            );
            if !held {
                emit(input.get(run_start..end).unwrap_or_default());
            }
        }
        self.body_octets += emitted;
        Unstuffed {
            consumed: end,
            finished: self.state == UnstuffState::Finished,
        }
    }

    fn in_line(&mut self, byte: u8) -> UnstuffState {
        match byte {
            b'\r' => UnstuffState::AfterCr,
            b'\n' => {
                // Strict: a bare LF is body text and does not start a new line.
                self.bare_lf += 1;
                UnstuffState::InLine
            }
            _ => UnstuffState::InLine,
        }
    }
}

/// Adds dot-stuffing to a body streamed in chunks, and writes the terminator.
///
/// By default bare LF and bare CR in the body are turned into CRLF, so that what is sent
/// can never be read as a different message by a lenient receiver; see
/// [`DotStuffer::keep_bare_line_ends`].
///
/// ```
/// use mailwire_core::dot::DotStuffer;
/// let mut out = Vec::new();
/// let mut stuffer = DotStuffer::new();
/// stuffer.feed(b".hidden\r\nline\n.", &mut out);
/// stuffer.finish(&mut out);
/// assert_eq!(out, b"..hidden\r\nline\r\n..\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    after_cr: bool,
    normalize_line_ends: bool,
    wrote_anything: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a body, normalising bare line ends to CRLF.
    pub fn new() -> Self {
        DotStuffer {
            at_line_start: true,
            after_cr: false,
            normalize_line_ends: true,
            wrote_anything: false,
        }
    }

    /// A stuffer that passes bare LF and bare CR through unchanged (a `.` after a bare
    /// LF is still doubled, so a lenient receiver cannot see an early end).
    pub fn keep_bare_line_ends() -> Self {
        DotStuffer {
            normalize_line_ends: false,
            ..Self::new()
        }
    }

    /// Stuffs one chunk of the body into `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        out.reserve(chunk.len() + 8);
        for &byte in chunk {
            if self.normalize_line_ends {
                if self.after_cr && byte != b'\n' {
                    // The previous `\r` was bare: complete it to CRLF.
                    out.push(b'\n');
                    self.at_line_start = true;
                }
                if byte == b'\n' && !self.after_cr {
                    out.push(b'\r');
                }
            }
            if self.at_line_start && byte == b'.' {
                out.push(b'.');
            }
            out.push(byte);
            self.wrote_anything = true;
            self.at_line_start = byte == b'\n';
            self.after_cr = byte == b'\r';
        }
    }

    /// Ends the body: completes the last line with CRLF if needed, then writes `.CRLF`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.after_cr {
            out.push(b'\n');
        } else if self.wrote_anything && !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        *self = DotStuffer {
            normalize_line_ends: self.normalize_line_ends,
            ..Self::new()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unstuff_whole(input: &[u8]) -> (Vec<u8>, Unstuffed) {
        let mut body = Vec::new();
        let fed = DotUnstuffer::new().feed(input, |part| body.extend_from_slice(part));
        (body, fed)
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_data() {
        for smuggle in [
            &b"a\n.\nMAIL FROM:<x>\n"[..],
            b"a\r\n.\nMAIL FROM:<x>\r\n",
            b"a\n.\r\nMAIL FROM:<x>\r\n",
            b"a\r.\rMAIL FROM:<x>\r\n",
            b"a\r.\r\nMAIL FROM:<x>\r\n",
        ] {
            let (body, fed) = unstuff_whole(smuggle);
            assert!(!fed.finished, "{smuggle:?} ended the data");
            assert_eq!(fed.consumed, smuggle.len());
            assert!(body.ends_with(b"MAIL FROM:<x>\r\n") || body.ends_with(b"MAIL FROM:<x>\n"));
        }
        let (body, fed) = unstuff_whole(b"a\r\n.\r\nrest");
        assert!(fed.finished);
        assert_eq!(fed.consumed, 6);
        assert_eq!(body, b"a\r\n");
    }

    #[test]
    fn empty_body_and_leading_dots() {
        let (body, fed) = unstuff_whole(b".\r\n");
        assert!(fed.finished);
        assert!(body.is_empty());
        let (body, fed) = unstuff_whole(b"..\r\n...x\r\n.\r\n");
        assert!(fed.finished);
        assert_eq!(body, b".\r\n..x\r\n");
    }

    #[test]
    fn counts_bare_line_ends() {
        let mut unstuffer = DotUnstuffer::new();
        unstuffer.feed(b"a\nb\rc\r\n.\rd\r\n.\r\n", |_| {});
        assert!(unstuffer.is_finished());
        assert_eq!(unstuffer.bare_lf_count(), 1);
        assert_eq!(unstuffer.bare_cr_count(), 2);
    }

    #[test]
    fn stuffer_normalises_and_terminates() {
        let mut out = Vec::new();
        let mut stuffer = DotStuffer::new();
        stuffer.feed(b"a\rb\n.c\r", &mut out);
        stuffer.feed(b"\n.", &mut out);
        stuffer.finish(&mut out);
        assert_eq!(out, b"a\r\nb\r\n..c\r\n..\r\n.\r\n");
        let mut out = Vec::new();
        stuffer.finish(&mut out);
        assert_eq!(out, b".\r\n");
        let mut out = Vec::new();
        let mut keep = DotStuffer::keep_bare_line_ends();
        keep.feed(b"x\n.y", &mut out);
        keep.finish(&mut out);
        assert_eq!(out, b"x\n..y\r\n.\r\n");
    }

    proptest::proptest! {
        #[test]
        fn unstuffing_does_not_depend_on_chunking(
            input in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\r', b'\n', b'.']), 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let (whole_body, whole) = unstuff_whole(&input);
            let mut cuts = cuts.clone();
            cuts.push(input.len());
            cuts.sort_unstable();
            let mut unstuffer = DotUnstuffer::new();
            let mut body = Vec::new();
            let mut consumed = 0;
            let mut start = 0;
            for cut in cuts {
                let cut = cut.min(input.len());
                if cut < start || unstuffer.is_finished() { continue; }
                let fed = unstuffer.feed(&input[start..cut], |p| body.extend_from_slice(p));
                consumed = start + fed.consumed;
                start = cut;
            }
            proptest::prop_assert_eq!(whole_body, body);
            proptest::prop_assert_eq!(whole.finished, unstuffer.is_finished());
            proptest::prop_assert_eq!(whole.consumed, consumed);
        }

        #[test]
        fn stuffing_then_unstuffing_gives_the_crlf_body_back(
            body in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\r', b'\n', b'.']), 0..200),
            cut in 0usize..200,
        ) {
            let cut = cut.min(body.len());
            let mut wire = Vec::new();
            let mut stuffer = DotStuffer::new();
            stuffer.feed(&body[..cut], &mut wire);
            stuffer.feed(&body[cut..], &mut wire);
            stuffer.finish(&mut wire);
            let (unstuffed, fed) = unstuff_whole(&wire);
            proptest::prop_assert!(fed.finished);
            proptest::prop_assert_eq!(fed.consumed, wire.len());
            // What arrives is the body with every line end made CRLF, ending in CRLF.
            let mut expected = Vec::new();
            let mut iter = body.iter().peekable();
            while let Some(&b) = iter.next() {
                match b {
                    b'\r' => { expected.extend_from_slice(b"\r\n"); if iter.peek() == Some(&&b'\n') { iter.next(); } }
                    b'\n' => expected.extend_from_slice(b"\r\n"),
                    other => expected.push(other),
                }
            }
            if !expected.is_empty() && !expected.ends_with(b"\r\n") { expected.extend_from_slice(b"\r\n"); }
            proptest::prop_assert_eq!(unstuffed, expected);
        }
    }
}
