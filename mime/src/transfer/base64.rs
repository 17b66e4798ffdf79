//! Tolerant base64 decoding (RFC 2045 §6.8), one-shot and streaming.
//!
//! What the decoder does with input that is not clean base64:
//! - Every byte outside the base64 alphabet (`A-Z a-z 0-9 + /`) is skipped: line
//!   breaks, spaces and tabs, and any garbage, as RFC 2045 §6.8 tells decoders to do.
//! - A `=` that follows at least two sextets of a quantum ends the data: the partial
//!   quantum is flushed (1 or 2 bytes) and everything after it is ignored, as the RFC
//!   allows ("the occurrence of any `=` characters may be taken as evidence that the
//!   end of the data has been reached"). A `=` at the start of a quantum, or after a
//!   single sextet, cannot be padding and is skipped like any other non-alphabet byte.
//! - Missing padding at the end of the input is tolerated: 2 or 3 pending sextets
//!   still give 1 or 2 bytes. A single dangling sextet (6 bits, not a whole byte)
//!   is dropped.
//!
//! The decoder never fails and never allocates more than the output needs.

/// Marks a byte outside the alphabet in [`SEXTET`].
const INVALID: u8 = 0xFF;
/// Marks `=` in [`SEXTET`].
const PAD: u8 = 0xFE;

/// Sextet value of every byte, or [`INVALID`] / [`PAD`].
static SEXTET: [u8; 256] = build_sextet_table();

// Runs only at compile time (it fills a static), where an index out of range would
// fail the build rather than panic.
#[allow(clippy::indexing_slicing)]
const fn build_sextet_table() -> [u8; 256] {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table[b'=' as usize] = PAD;
    table
}

/// Bit set in a [`SHIFTED`] entry of a byte outside the alphabet: OR-ing the four
/// entries of a quantum leaves it set if any byte was not base64.
const SHIFTED_INVALID: u32 = 1 << 24;

/// The sextet of every byte already shifted to its place in a quantum (first
/// character at bit 18, then 12, 6, 0), so a quantum is four lookups OR-ed together.
static SHIFTED: [[u32; 256]; 4] = [
    build_shifted_table(18),
    build_shifted_table(12),
    build_shifted_table(6),
    build_shifted_table(0),
];

// Compile time only, as above.
#[allow(clippy::indexing_slicing)]
const fn build_shifted_table(shift: u32) -> [u32; 256] {
    let sextets = build_sextet_table();
    let mut table = [SHIFTED_INVALID; 256];
    let mut i = 0;
    while i < 256 {
        if sextets[i] < 64 {
            table[i] = (sextets[i] as u32) << shift;
        }
        i += 1;
    }
    table
}

/// The 24 bits of the quantum `[a, b, c, d]`, or a value with [`SHIFTED_INVALID`] set.
#[inline(always)]
fn quantum(a: u8, b: u8, c: u8, d: u8) -> u32 {
    let [t0, t1, t2, t3] = &SHIFTED;
    // Each table has 256 entries, so `get` never misses; the fallback is for the lint.
    let at = |table: &[u32; 256], byte: u8| {
        table
            .get(usize::from(byte))
            .copied()
            .unwrap_or(SHIFTED_INVALID)
    };
    at(t0, a) | at(t1, b) | at(t2, c) | at(t3, d)
}

#[inline(always)]
fn sextet(byte: u8) -> u32 {
    // The table has 256 entries, so `get` never misses; the fallback is for the lint.
    u32::from(SEXTET.get(usize::from(byte)).copied().unwrap_or(INVALID))
}

/// Streaming base64 decoder: feed chunks split anywhere, get the same bytes as the
/// one-shot [`decode_base64`] on the whole input.
#[derive(Debug, Clone, Default)]
pub struct Base64Decoder {
    /// Sextets of the current quantum, most recent in the low bits.
    acc: u32,
    /// How many sextets `acc` holds (0..=3).
    pending: u8,
    /// Padding ended the data; the rest is ignored.
    ended: bool,
}

impl Base64Decoder {
    /// A decoder at the start of the data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a `=` padding already ended the data (further input is ignored).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Decodes `input`, appending the bytes to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        out.reserve(input.len() / 4 * 3 + 3);
        let mut rest = input;
        loop {
            if self.pending == 0 {
                // Base64 bodies are lines of whole quanta: decode them in bulk and step
                // over the line breaks between them; anything odd goes to the loop
                // below, one byte at a time.
                rest = decode_lines(rest, out);
            }
            let Some((&byte, tail)) = rest.split_first() else {
                return;
            };
            rest = tail;
            let value = sextet(byte);
            if value < 64 {
                self.acc = (self.acc << 6) | value;
                self.pending += 1;
                if self.pending == 4 {
                    let [_, b0, b1, b2] = self.acc.to_be_bytes();
                    out.extend_from_slice(&[b0, b1, b2]);
                    self.acc = 0;
                    self.pending = 0;
                }
            } else if value == u32::from(PAD) && self.pending >= 2 {
                self.flush_partial(out);
                self.ended = true;
                return;
            }
        }
    }

    /// Ends the data, appending the bytes of a quantum left without padding.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.ended {
            self.flush_partial(out);
            self.ended = true;
        }
    }

    fn flush_partial(&mut self, out: &mut Vec<u8>) {
        match self.pending {
            2 => out.push((self.acc >> 4) as u8),
            3 => {
                let bits = self.acc >> 2;
                out.extend_from_slice(&[(bits >> 8) as u8, bits as u8]);
            }
            // 0: nothing pending; 1: six bits are not a byte, dropped.
            _ => {}
        }
        self.acc = 0;
        self.pending = 0;
    }
}

/// Decodes whole quanta and steps over the line breaks and blanks between them (which
/// a decoder at a quantum boundary skips anyway); returns the input from the first
/// byte that needs the byte-wise path.
#[inline]
fn decode_lines<'a>(mut input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
    loop {
        while let Some((b'\r' | b'\n' | b' ' | b'\t', tail)) = input.split_first() {
            input = tail;
        }
        let before = input.len();
        input = decode_whole_quanta(input, out);
        if input.len() == before {
            return input;
        }
    }
}

/// Decodes runs of four alphabet bytes and returns the input from the first quantum
/// that holds anything else.
#[inline]
fn decode_whole_quanta<'a>(mut input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
    // Four quanta (16 bytes in, 12 out) at a time, checked once.
    while let Some((&[a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3], tail)) =
        input.split_first_chunk::<16>()
    {
        let q0 = quantum(a0, b0, c0, d0);
        let q1 = quantum(a1, b1, c1, d1);
        let q2 = quantum(a2, b2, c2, d2);
        let q3 = quantum(a3, b3, c3, d3);
        if (q0 | q1 | q2 | q3) & SHIFTED_INVALID != 0 {
            // Keep the whole quanta before the odd one (a line usually ends inside
            // the block); the odd quantum is left to the caller.
            let valid = [q0, q1, q2]
                .iter()
                .take_while(|q| *q & SHIFTED_INVALID == 0)
                .count();
            for q in [q0, q1, q2].iter().take(valid) {
                let [_, x0, x1, x2] = q.to_be_bytes();
                out.extend_from_slice(&[x0, x1, x2]);
            }
            return input.get(4 * valid..).unwrap_or_default();
        }
        let [_, x0, x1, x2] = q0.to_be_bytes();
        let [_, y0, y1, y2] = q1.to_be_bytes();
        let [_, z0, z1, z2] = q2.to_be_bytes();
        let [_, w0, w1, w2] = q3.to_be_bytes();
        out.extend_from_slice(&[x0, x1, x2, y0, y1, y2, z0, z1, z2, w0, w1, w2]);
        input = tail;
    }
    while let Some((&[a, b, c, d], tail)) = input.split_first_chunk::<4>() {
        let q = quantum(a, b, c, d);
        if q & SHIFTED_INVALID != 0 {
            break;
        }
        let [_, x0, x1, x2] = q.to_be_bytes();
        out.extend_from_slice(&[x0, x1, x2]);
        input = tail;
    }
    input
}

/// Decodes a whole base64 body (see the module docs for what is tolerated).
pub fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut decoder = Base64Decoder::new();
    decoder.decode(input, &mut out);
    decoder.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(input: &[u8]) {
        let whole = decode_base64(input);
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let mut decoder = Base64Decoder::new();
            let mut out = Vec::new();
            decoder.decode(a, &mut out);
            decoder.decode(b, &mut out);
            decoder.finish(&mut out);
            assert_eq!(
                out,
                whole,
                "cut at {cut} of {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn known_answers() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"YQ==", b"a"),
            (b"YWI=", b"ab"),
            (b"YWJj", b"abc"),
            (b"SGVsbG8sIFdvcmxkIQ==", b"Hello, World!"),
            // Line breaks, both kinds, and stray whitespace.
            (b"SGVs\r\nbG8s\nIFdv cmxk\tIQ==\r\n", b"Hello, World!"),
            // Missing padding.
            (b"YQ", b"a"),
            (b"YWI", b"ab"),
            // A dangling sextet is not a byte.
            (b"YWJjZ", b"abc"),
            // Garbage inside is skipped.
            (b"YW!!Jj", b"abc"),
            // Padding ends the data; what follows is ignored.
            (b"YQ==YQ==", b"a"),
            (b"YQ=x", b"a"),
            (b"YWI=\r\nZGVm", b"ab"),
            // '=' where it cannot be padding is skipped.
            (b"=YWJj", b"abc"),
            (b"YWJj=ZGVm", b"abcdef"),
            (b"Y=WJj", b"abc"),
            (&[0xFF, b'Y', 0x80, b'Q', b'='], b"a"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                decode_base64(input),
                *expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
            split_everywhere(input);
        }
    }

    #[test]
    fn all_byte_values_round_trip_through_a_reference_encoding() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut encoded = Vec::new();
        // A tiny independent encoder for the test, with 76-column lines.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut column = 0;
        for chunk in data.chunks(3) {
            let n = chunk.len();
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= n {
                    encoded.push(alphabet[((v >> (18 - 6 * i)) & 63) as usize]);
                } else {
                    encoded.push(b'=');
                }
            }
            column += 4;
            if column == 76 {
                encoded.extend_from_slice(b"\r\n");
                column = 0;
            }
        }
        assert_eq!(decode_base64(&encoded), data);
        for cut in [1, 7, 76, 77, 78, 500, encoded.len() - 1] {
            let mut decoder = Base64Decoder::new();
            let mut out = Vec::new();
            decoder.decode(&encoded[..cut], &mut out);
            decoder.decode(&encoded[cut..], &mut out);
            decoder.finish(&mut out);
            assert_eq!(out, data);
        }
    }

    /// Every short string over the bytes that matter decodes the same whole (fast
    /// paths) and byte by byte.
    #[test]
    fn fast_path_agrees_with_the_byte_path() {
        let alphabet = [b'Y', b'Q', b'=', b'\r', b'\n', b' ', b'!', b'W'];
        let mut input = Vec::new();
        for length in 0..=6u32 {
            for mut code in 0..alphabet.len().pow(length) {
                input.clear();
                for _ in 0..length {
                    input.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                let whole = decode_base64(&input);
                let mut decoder = Base64Decoder::new();
                let mut out = Vec::new();
                for byte in &input {
                    decoder.decode(std::slice::from_ref(byte), &mut out);
                }
                decoder.finish(&mut out);
                assert_eq!(whole, out, "{:?}", String::from_utf8_lossy(&input));
            }
        }
        // Long clean lines go through the 32-byte blocks.
        let line =
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
        let body: Vec<u8> = line.iter().copied().cycle().take(line.len() * 5).collect();
        let expected: Vec<u8> = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234"
            .iter()
            .copied()
            .cycle()
            .take(57 * 5)
            .collect();
        assert_eq!(decode_base64(&body), expected);
    }

    #[test]
    fn input_after_padding_is_ignored_by_the_streaming_decoder() {
        let mut decoder = Base64Decoder::new();
        let mut out = Vec::new();
        decoder.decode(b"YQ=", &mut out);
        assert!(decoder.is_ended());
        decoder.decode(b"=YWJj", &mut out);
        decoder.finish(&mut out);
        assert_eq!(out, b"a");
    }
}
