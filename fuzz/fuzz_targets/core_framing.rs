#![no_main]
//! Line framing and dot-unstuffing give the same result whether the input comes whole
//! or split at arbitrary points, and never hold more than the line limit.

use libfuzzer_sys::fuzz_target;
use mailwire_core::dot::DotUnstuffer;
use mailwire_core::line::{Line, LineBuffer};

const MAX_LINE: usize = 64;

fn frame(chunks: &[&[u8]]) -> Vec<Line> {
    let mut buffer = LineBuffer::new(MAX_LINE);
    let mut lines = Vec::new();
    for chunk in chunks {
        buffer.extend(chunk);
        while let Some(line) = buffer.next_line() {
            lines.push(line);
        }
        assert!(buffer.len() <= MAX_LINE + chunk.len());
    }
    lines
}

fn unstuff(chunks: &[&[u8]]) -> (Vec<u8>, bool, usize) {
    let mut unstuffer = DotUnstuffer::new();
    let mut body = Vec::new();
    let mut consumed = 0;
    for chunk in chunks {
        if unstuffer.is_finished() {
            break;
        }
        consumed += unstuffer
            .feed(chunk, |part| body.extend_from_slice(part))
            .consumed;
    }
    (body, unstuffer.is_finished(), consumed)
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks where to cut the rest.
    let Some((&seed, data)) = input.split_first() else {
        return;
    };
    let step = usize::from(seed % 17) + 1;
    let split: Vec<&[u8]> = data.chunks(step).collect();
    assert_eq!(frame(&[data]), frame(&split));
    assert_eq!(unstuff(&[data]), unstuff(&split));
});
