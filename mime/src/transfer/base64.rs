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
//! The decoder never fails and never reserves more than three quarters of its input
//! (plus a few bytes) for the output.

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

/// Marks a [`PAIR`] entry whose two bytes are not both in the alphabet; OR-ing the
/// entries of a quantum (or of a whole line) leaves it set if any byte was not base64.
const PAIR_INVALID: u16 = 0x8000;

/// The twelve bits of every pair of alphabet bytes, indexed by the two bytes as a
/// little-endian `u16`, or [`PAIR_INVALID`]. Two lookups make a quantum instead of
/// four: the bulk paths are bound by memory reads, and this halves them. 128 KiB, of
/// which the valid pairs touch about 12 KiB.
static PAIR: [u16; 65536] = build_pair_table();

// Compile time only, as above.
#[allow(clippy::indexing_slicing)]
const fn build_pair_table() -> [u16; 65536] {
    let sextets = build_sextet_table();
    let mut table = [PAIR_INVALID; 65536];
    let mut i = 0;
    while i < 65536 {
        let first = sextets[i & 0xFF];
        let second = sextets[i >> 8];
        if first < 64 && second < 64 {
            table[i] = ((first as u16) << 6) | second as u16;
        }
        i += 1;
    }
    table
}

/// The [`PAIR`] entry of two input bytes.
#[inline(always)]
fn pair(bytes: [u8; 2]) -> u32 {
    // The table has an entry for every u16, so `get` never misses; the fallback is
    // for the lint.
    u32::from(
        PAIR.get(usize::from(u16::from_le_bytes(bytes)))
            .copied()
            .unwrap_or(PAIR_INVALID),
    )
}

/// Whether an OR of [`PAIR`] entries saw a byte outside the alphabet.
#[inline(always)]
fn is_invalid(seen: u32) -> bool {
    seen & u32::from(PAIR_INVALID) != 0
}

/// Decodes one quantum into `dst`; returns its two [`PAIR`] entries OR-ed together
/// (see [`is_invalid`]; what was written is meaningless then).
#[inline(always)]
fn decode_quantum(src: &[u8; 4], dst: &mut [u8; 3]) -> u32 {
    let [a, b, c, d] = *src;
    let (high, low) = (pair([a, b]), pair([c, d]));
    let [_, x0, x1, x2] = ((high << 12) | low).to_be_bytes();
    *dst = [x0, x1, x2];
    high | low
}

#[inline(always)]
fn sextet(byte: u8) -> u32 {
    // The table has 256 entries, so `get` never misses; the fallback is for the lint.
    u32::from(SEXTET.get(usize::from(byte)).copied().unwrap_or(INVALID))
}

/// Decodes four quanta (16 bytes in, 12 out); returns their [`PAIR`] entries OR-ed
/// together (see [`is_invalid`]; what was written is meaningless then).
#[inline(always)]
fn decode_block(src: &[u8; 16], dst: &mut [u8; 12]) -> u32 {
    // Pairs read straight from the input (one 16-bit read each, which the compiler
    // keeps only when the bytes are not taken apart first).
    let mut entries = [0u32; 8];
    for (entry, bytes) in entries.iter_mut().zip(src.chunks_exact(2)) {
        *entry = <[u8; 2]>::try_from(bytes).map_or(u32::from(PAIR_INVALID), pair);
    }
    let [p0, p1, p2, p3, p4, p5, p6, p7] = entries;
    // Two stores instead of twelve: the first eight bytes as one big-endian u64, the
    // last four as a u32.
    let high = (u64::from(p0) << 52)
        | (u64::from(p1) << 40)
        | (u64::from(p2) << 28)
        | (u64::from(p3) << 16)
        | (u64::from(p4) << 4)
        | (u64::from(p5) >> 8);
    let low = (p5 << 24) | (p6 << 12) | p7;
    let [h0, h1, h2, h3, h4, h5, h6, h7] = high.to_be_bytes();
    let [l0, l1, l2, l3] = low.to_be_bytes();
    *dst = [h0, h1, h2, h3, h4, h5, h6, h7, l0, l1, l2, l3];
    p0 | p1 | p2 | p3 | p4 | p5 | p6 | p7
}

/// Decodes one line of whole quanta (`line.len()` a multiple of 4, `dst` exactly
/// three quarters of it) and says whether every byte was base64. Validity is
/// checked once for the line, not per quantum, since nearly every line is clean.
#[inline(always)]
fn decode_line(line: &[u8], dst: &mut [u8]) -> bool {
    let blocks = line.len() / 16;
    let (Some((src_blocks, src_tail)), Some((dst_blocks, dst_tail))) = (
        line.split_at_checked(blocks * 16),
        dst.split_at_mut_checked(blocks * 12),
    ) else {
        return false;
    };
    let mut seen = 0u32;
    for (src, dst) in src_blocks
        .chunks_exact(16)
        .zip(dst_blocks.chunks_exact_mut(12))
    {
        if let (Ok(src), Ok(dst)) = (<&[u8; 16]>::try_from(src), <&mut [u8; 12]>::try_from(dst)) {
            seen |= decode_block(src, dst);
        }
    }
    for (src, dst) in src_tail.chunks_exact(4).zip(dst_tail.chunks_exact_mut(3)) {
        if let (Ok(src), Ok(dst)) = (<&[u8; 4]>::try_from(src), <&mut [u8; 3]>::try_from(dst)) {
            seen |= decode_quantum(src, dst);
        }
    }
    !is_invalid(seen)
}

/// What [`decode_lines`] did.
struct Lines {
    /// Input bytes consumed: whole lines with their line breaks.
    consumed: usize,
    /// Bytes written.
    produced: usize,
    /// Length (with its line break) of the line it stopped at; 0 at the end of input.
    stopped_line: usize,
}

/// Decodes whole lines of clean base64 (every byte in the alphabet, a multiple of
/// four of them, then CRLF or LF, or the end of the input), the shape of nearly every
/// base64 body, and stops at the first line of any other shape. `guess` is the
/// length of the last line decoded: lines of a body usually have one length, so the
/// next line break is looked for there before it is searched for.
fn decode_lines(input: &[u8], dst: &mut [u8], guess: &mut usize) -> Lines {
    let mut consumed = 0;
    let mut produced = 0;
    loop {
        let rest = input.get(consumed..).unwrap_or_default();
        if rest.is_empty() {
            return Lines {
                consumed,
                produced,
                stopped_line: 0,
            };
        }
        let expected = *guess;
        let (length, ending) = match (rest.get(expected), rest.get(expected.wrapping_add(1))) {
            (Some(b'\r'), Some(b'\n')) if expected > 0 => (expected, 2),
            (Some(b'\n'), _) if expected > 0 => (expected, 1),
            _ => match memchr::memchr(b'\n', rest) {
                Some(lf) if lf > 0 && rest.get(lf - 1) == Some(&b'\r') => (lf - 1, 2),
                Some(lf) => (lf, 1),
                None => (rest.len(), 0),
            },
        };
        let decoded = length % 4 == 0
            && match (
                rest.get(..length),
                dst.get_mut(produced..produced + length / 4 * 3),
            ) {
                (Some(line), Some(slot)) => decode_line(line, slot),
                _ => false,
            };
        if !decoded {
            return Lines {
                consumed,
                produced,
                stopped_line: length + ending,
            };
        }
        consumed += length + ending;
        produced += length / 4 * 3;
        if length > 0 {
            *guess = length;
        }
    }
}

/// Decodes whole quanta and steps over the line breaks and blanks between them
/// (which a decoder at a quantum boundary skips anyway), checking each group of four
/// quanta, then each quantum. Returns (consumed, produced), stopping before the
/// first quantum that holds anything else: the byte-wise path takes it from there.
fn decode_quanta(input: &[u8], dst: &mut [u8]) -> (usize, usize) {
    let mut pos = 0;
    let mut produced = 0;
    loop {
        while let Some(b'\r' | b'\n' | b' ' | b'\t') = input.get(pos) {
            pos += 1;
        }
        let start = pos;
        while let (Some(src), Some(slot)) = (
            input.get(pos..).and_then(|rest| rest.first_chunk::<16>()),
            dst.get_mut(produced..)
                .and_then(|rest| rest.first_chunk_mut::<12>()),
        ) {
            if is_invalid(decode_block(src, slot)) {
                break;
            }
            pos += 16;
            produced += 12;
        }
        while let (Some(src), Some(slot)) = (
            input.get(pos..).and_then(|rest| rest.first_chunk::<4>()),
            dst.get_mut(produced..)
                .and_then(|rest| rest.first_chunk_mut::<3>()),
        ) {
            if is_invalid(decode_quantum(src, slot)) {
                break;
            }
            pos += 4;
            produced += 3;
        }
        if pos == start {
            return (pos, produced);
        }
    }
}

/// Where decoded bytes go: `out` was grown ahead (with zeros) by an upper bound of
/// what the input can give, the bulk paths write into that space directly, and
/// `written` says how much of it is real.
struct Sink<'o> {
    out: &'o mut Vec<u8>,
    written: usize,
}

impl Sink<'_> {
    /// The space not written yet.
    fn spare(&mut self) -> &mut [u8] {
        self.out.get_mut(self.written..).unwrap_or_default()
    }

    /// Appends `bytes`, growing `out` should the bound ever be short.
    fn put(&mut self, bytes: &[u8]) {
        let end = self.written + bytes.len();
        match self.out.get_mut(self.written..end) {
            Some(slot) => slot.copy_from_slice(bytes),
            None => {
                self.out.truncate(self.written);
                self.out.extend_from_slice(bytes);
            }
        }
        self.written = end;
    }
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
        let start = out.len();
        // Three bytes per four sextets, plus what the (at most three) pending
        // sextets complete: `input.len() / 4 * 3 + 6` is never short.
        out.resize(start + input.len() / 4 * 3 + 6, 0);
        let mut sink = Sink {
            out: &mut *out,
            written: start,
        };
        self.decode_into(input, &mut sink);
        let written = sink.written;
        out.truncate(written);
    }

    fn decode_into(&mut self, input: &[u8], sink: &mut Sink<'_>) {
        let mut pos = 0;
        // End (past its line break) of the line holding `pos`, once a bulk path
        // stopped in it; before that, `pos` is at a line start.
        let mut line_end = 0;
        let mut guess = 0;
        loop {
            if self.pending == 0 {
                if pos >= line_end {
                    let lines = decode_lines(
                        input.get(pos..).unwrap_or_default(),
                        sink.spare(),
                        &mut guess,
                    );
                    pos += lines.consumed;
                    sink.written += lines.produced;
                    line_end = pos + lines.stopped_line;
                }
                // An odd line: whole quanta up to its first odd byte.
                let (consumed, produced) =
                    decode_quanta(input.get(pos..line_end).unwrap_or_default(), sink.spare());
                pos += consumed;
                sink.written += produced;
            }
            // One byte at a time from there (a quantum broken by a line break, a
            // stray byte, padding), back to the bulk paths at the next quantum
            // boundary.
            let Some(&byte) = input.get(pos) else {
                return;
            };
            pos += 1;
            let value = sextet(byte);
            if value < 64 {
                self.acc = (self.acc << 6) | value;
                self.pending += 1;
                if self.pending == 4 {
                    let [_, b0, b1, b2] = self.acc.to_be_bytes();
                    sink.put(&[b0, b1, b2]);
                    self.acc = 0;
                    self.pending = 0;
                }
            } else if value == u32::from(PAD) && self.pending >= 2 {
                self.flush_partial(sink);
                self.ended = true;
                return;
            }
        }
    }

    /// Ends the data, appending the bytes of a quantum left without padding.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.ended {
            let written = out.len();
            self.flush_partial(&mut Sink { out, written });
            self.ended = true;
        }
    }

    fn flush_partial(&mut self, sink: &mut Sink<'_>) {
        match self.pending {
            2 => sink.put(&[(self.acc >> 4) as u8]),
            3 => {
                let bits = self.acc >> 2;
                sink.put(&[(bits >> 8) as u8, bits as u8]);
            }
            // 0: nothing pending; 1: six bits are not a byte, dropped.
            _ => {}
        }
        self.acc = 0;
        self.pending = 0;
    }
}

/// Decodes a whole base64 body (see the module docs for what is tolerated).
pub fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
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

    /// What the module docs describe, one byte at a time and nothing more: the
    /// yardstick the bulk paths are held to.
    fn reference_decode(input: &[u8]) -> Vec<u8> {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut pending) = (0u32, 0);
        for &byte in input {
            if let Some(value) = alphabet.iter().position(|&a| a == byte) {
                acc = (acc << 6) | value as u32;
                pending += 1;
                if pending == 4 {
                    out.extend_from_slice(&acc.to_be_bytes()[1..]);
                    (acc, pending) = (0, 0);
                }
            } else if byte == b'=' && pending >= 2 {
                break;
            }
        }
        match pending {
            2 => out.push((acc >> 4) as u8),
            3 => out.extend_from_slice(&(acc >> 2).to_be_bytes()[2..]),
            _ => {}
        }
        out
    }

    /// Base64 of `data` in lines of `width` characters (0: one line) ending in
    /// `ending`, with or without a line break after the last line.
    fn encode_lines(data: &[u8], width: usize, ending: &[u8], final_break: bool) -> Vec<u8> {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut chars = Vec::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                chars.push(if i <= chunk.len() {
                    alphabet[((v >> (18 - 6 * i)) & 63) as usize]
                } else {
                    b'='
                });
            }
        }
        let mut out = Vec::new();
        let width = if width == 0 {
            chars.len().max(1)
        } else {
            width
        };
        let lines: Vec<&[u8]> = chars.chunks(width).collect();
        for (i, line) in lines.iter().enumerate() {
            out.extend_from_slice(line);
            if i + 1 < lines.len() || final_break {
                out.extend_from_slice(ending);
            }
        }
        out
    }

    fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn check_against_reference(input: &[u8], cuts: &[usize]) {
        let expected = reference_decode(input);
        assert_eq!(
            decode_base64(input),
            expected,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        for &cut in cuts {
            let cut = cut.min(input.len());
            let mut decoder = Base64Decoder::new();
            let mut out = vec![7u8; 3];
            decoder.decode(&input[..cut], &mut out);
            decoder.decode(&input[cut..], &mut out);
            decoder.finish(&mut out);
            assert_eq!(out[..3], [7u8; 3], "bytes before the output are kept");
            assert_eq!(
                out[3..],
                expected,
                "cut at {cut} of {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// Line-wrapped bodies of many shapes (line lengths that are and are not
    /// multiples of four, CRLF and bare LF, every padding, with and without a final
    /// line break), clean and with one odd byte put in or written over at every
    /// position: the line path, the quantum path and the byte path agree with the
    /// reference, whole and split.
    #[test]
    fn odd_bytes_anywhere_in_wrapped_bodies_decode_like_the_reference() {
        let odd_bytes = [b' ', b'\t', b'=', b'!', 0x80, b'\n', b'\r', b'-'];
        for data_len in [45, 46, 47] {
            let data = pseudo_random(data_len, data_len as u64);
            for width in [0, 4, 8, 16, 20, 28, 75, 76] {
                for ending in [&b"\r\n"[..], &b"\n"[..]] {
                    for final_break in [false, true] {
                        let body = encode_lines(&data, width, ending, final_break);
                        assert_eq!(decode_base64(&body), data);
                        let all_cuts: Vec<usize> = (0..=body.len()).collect();
                        check_against_reference(&body, &all_cuts);
                        for at in 0..=body.len() {
                            for odd in odd_bytes {
                                let mut inserted = body.clone();
                                inserted.insert(at, odd);
                                check_against_reference(&inserted, &[at, at + 1, 17]);
                                if at < body.len() {
                                    let mut replaced = body.clone();
                                    replaced[at] = odd;
                                    check_against_reference(&replaced, &[at, 33]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Long bodies: one unwrapped line, 76-column lines, lines of 75 columns, blanks
    /// at line ends, and garbage sprinkled through; the bulk paths cover most of
    /// them and must still agree with the reference.
    #[test]
    fn long_bodies_of_every_shape_decode_like_the_reference() {
        let data = pseudo_random(3000, 99);
        let mut bodies = vec![
            encode_lines(&data, 0, b"\r\n", true),
            encode_lines(&data, 76, b"\r\n", false),
            encode_lines(&data, 76, b"\n", true),
            encode_lines(&data, 75, b"\r\n", true),
            encode_lines(&data, 64, b" \r\n", true),
            encode_lines(&data[..2999], 72, b"\r\n", true),
        ];
        let mut sprinkled = encode_lines(&data[..2998], 76, b"\r\n", true);
        for at in (5..sprinkled.len()).step_by(97).rev() {
            sprinkled.insert(at, b"\t!\x80 "[at % 4]);
        }
        bodies.push(sprinkled);
        for body in &bodies {
            let cuts: Vec<usize> = (0..body.len()).step_by(61).collect();
            check_against_reference(body, &cuts);
        }
        // Clean bodies give the data back exactly.
        for body in &bodies[..4] {
            assert_eq!(decode_base64(body), data);
        }
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
