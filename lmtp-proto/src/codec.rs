//! The stateless codec. LMTP's commands and replies are SMTP's (RFC 2033 §4), so this is
//! mailwire-smtp's codec, re-exported, plus [`decode_recipient_replies`] for the run of
//! per-recipient replies after the data.
//!
//! `decode_ehlo` reads an LHLO reply as well: the two have the same form.

use mailwire_core::Status;

pub use mailwire_smtp::codec::{
    decode_capability, decode_command, decode_command_line, decode_ehlo, decode_reply,
    decode_reply_line, decode_sasl_response, decode_sasl_response_line, encode_capability,
    encode_command, encode_ehlo, encode_reply, encode_sasl_response, peek_verb, DecodeOptions,
    ReplyLine, DEFAULT_MAX_COMMAND_LINE, DEFAULT_MAX_REPLY_LINE, DEFAULT_MAX_REPLY_LINES,
    DEFAULT_MAX_SASL_LINE,
};
pub use mailwire_smtp::error::DecodeError;

use crate::types::Reply;

/// Decodes the `expected` replies that follow the end of the data (or BDAT LAST), one per
/// successful RCPT in RCPT order (RFC 2033 §4.2; a multi-line reply counts once).
///
/// `Partial` until all of them are there. Each reply is checked against the limits of
/// `opts` as it is read, and the result holds no more entries than replies actually
/// present in `input`, so `expected` cannot make it allocate. A session should use the
/// client machine, which hands each reply on as soon as it arrives (RFC 2033 §5); this
/// is for whole transcripts and tests.
///
/// ```
/// use mailwire_core::Status;
/// use mailwire_lmtp::codec::{decode_recipient_replies, DecodeOptions};
///
/// let input = b"250 2.0.0 <pat@foo.edu> OK\r\n452-4.2.2 <green@foo.edu> is\r\n452 4.2.2 over quota\r\nQUIT";
/// let Ok(Status::Complete { value, consumed }) = decode_recipient_replies(input, 2, &DecodeOptions::default())
/// else { panic!() };
/// assert_eq!(value[1].code().get(), 452);
/// assert_eq!(value[1].line_count(), 2);
/// assert_eq!(&input[consumed..], b"QUIT");
/// ```
pub fn decode_recipient_replies<'a>(
    input: &'a [u8],
    expected: usize,
    opts: &DecodeOptions,
) -> Result<Status<Vec<Reply<'a>>>, DecodeError> {
    let mut replies = Vec::new();
    let mut consumed = 0;
    while replies.len() < expected {
        let rest = input.get(consumed..).unwrap_or_default();
        match decode_reply(rest, opts)? {
            Status::Complete {
                value,
                consumed: used,
            } => {
                replies.push(value);
                consumed += used;
            }
            Status::Partial => return Ok(Status::Partial),
        }
    }
    Ok(Status::Complete {
        value: replies,
        consumed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_until_every_reply_is_there() {
        let opts = DecodeOptions::default();
        let input = b"250 OK\r\n452 <green@foo.edu> is temporarily over quota\r\n";
        for cut in 0..input.len() {
            assert_eq!(
                decode_recipient_replies(&input[..cut], 2, &opts),
                Ok(Status::Partial),
                "cut at {cut}"
            );
        }
        let Ok(Status::Complete { value, consumed }) = decode_recipient_replies(input, 2, &opts)
        else {
            panic!("whole input not decoded");
        };
        assert_eq!(consumed, input.len());
        assert_eq!(
            value.iter().map(|r| r.code().get()).collect::<Vec<_>>(),
            [250, 452]
        );
        // No reply expected (BDAT LAST with no successful RCPT, RFC 2033 §4.3).
        assert_eq!(
            decode_recipient_replies(input, 0, &opts),
            Ok(Status::Complete {
                value: Vec::new(),
                consumed: 0
            })
        );
    }

    #[test]
    fn a_malformed_reply_is_an_error() {
        let opts = DecodeOptions::default();
        assert!(decode_recipient_replies(b"250 OK\r\nhello\r\n", 2, &opts).is_err());
        assert!(decode_recipient_replies(b"250-a\r\n550 b\r\n", 1, &opts).is_err());
    }
}
