//! Reading commands line by line and literal by literal.
//!
//! The codec's [`frame_command`] finds where a whole command ends; the server needs one
//! step more: a decision at every literal announcement, even when the literal's octets
//! are already buffered (a client that did not wait for `+` gets the same answers
//! whatever the arrival chunks). So the machine feeds the codec one line at a time and
//! reads the announcement at its end here.
//!
//! APPEND's message is never gathered: at its announcement the command so far is decoded
//! with an empty literal in its place (the codec's grammar reads the mailbox, flags and
//! date), and the octets then stream to the application.

use crate::codec::{decode_command, frame_command, DecodeOptions, Frame, Limits, NonSyncLiterals};
use crate::error::DecodeError;
use crate::types::{AppendData, CommandBody, IntoOwned, Mailbox};

use super::event::{AppendFormat, AppendedMessage};

/// A literal announced at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Announcement {
    /// Octets announced.
    pub(crate) length: u64,
    /// `{n}`: the client waits for `+`.
    pub(crate) synchronizing: bool,
    /// Offset of the `{` in the line.
    pub(crate) brace: usize,
}

/// How a line (LF included) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineEnd {
    /// No literal follows: the command ends with this line.
    Plain,
    /// A literal follows.
    Literal(Announcement),
    /// A literal whose length does not even fit 64 bits.
    Overflow {
        /// `{n+}`: its octets are on their way.
        non_synchronizing: bool,
    },
}

/// Options under which the codec only reports announcements: the machine applies its
/// own limits, with answers the codec cannot choose.
pub(crate) fn announcement_options() -> DecodeOptions {
    let limits = Limits {
        max_literal_length: u64::MAX,
        max_line_length: usize::MAX,
        ..Limits::default()
    };
    DecodeOptions::default()
        .with_non_sync_literals(NonSyncLiterals::Plus)
        .with_limits(limits)
}

/// Reads the literal announcement at the end of `line`, which ends with its LF.
pub(crate) fn line_end(line: &[u8]) -> LineEnd {
    match frame_command(line, &announcement_options()) {
        Ok(Frame::Literal(pending)) => match memchr::memrchr(b'{', line) {
            Some(brace) => LineEnd::Literal(Announcement {
                length: pending.length,
                synchronizing: pending.synchronizing,
                brace,
            }),
            None => LineEnd::Plain,
        },
        Err(DecodeError::LiteralTooLarge { .. }) => LineEnd::Overflow {
            non_synchronizing: line.ends_with(b"+}\r\n"),
        },
        // A line with its LF is complete; anything else cannot be a literal.
        Ok(_) | Err(_) => LineEnd::Plain,
    }
}

/// Where the mailbox argument starts when `command` begins `tag SP APPEND SP`.
pub(crate) fn append_arguments(command: &[u8]) -> Option<usize> {
    let tag = crate::codec::command_tag(command)?;
    let name_start = tag.as_str().len() + 1;
    let name = command.get(name_start..name_start + 7)?;
    name.eq_ignore_ascii_case(b"APPEND ")
        .then_some(name_start + 7)
}

/// Decodes an APPEND whose last message literal is announced at `brace` of `line`, with
/// an empty literal in its place. `head` is what precedes the line in the command.
/// Returns the mailbox and the last message's attributes.
pub(crate) fn announced_message(
    head: &[u8],
    line: &[u8],
    brace: usize,
    options: &DecodeOptions,
) -> Option<(Mailbox<'static>, AppendedMessage)> {
    let before = line.get(..brace)?;
    // `UTF8 (~{n})` needs its closing parenthesis after the literal.
    for ending in [&b"\r\n"[..], b")\r\n"] {
        let mut synthetic = Vec::with_capacity(head.len() + before.len() + 8);
        synthetic.extend_from_slice(head);
        synthetic.extend_from_slice(before);
        synthetic.extend_from_slice(b"{0}\r\n");
        synthetic.extend_from_slice(ending);
        let Ok(status) = decode_command(&synthetic, options) else {
            continue;
        };
        let Some((command, consumed)) = status.complete() else {
            continue;
        };
        if consumed != synthetic.len() {
            continue;
        }
        let CommandBody::Append { mailbox, messages } = command.body else {
            return None;
        };
        let message = messages.into_vec().pop()?;
        let format = match message.data {
            AppendData::Literal(_) => AppendFormat::Literal,
            AppendData::Literal8(_) => AppendFormat::Literal8,
            AppendData::Utf8(_) => AppendFormat::Utf8,
        };
        return Some((
            mailbox.into_owned(),
            AppendedMessage {
                mailbox: Mailbox::inbox(),
                index: 0,
                flags: message.flags.into_owned(),
                date: message.date,
                length: 0,
                format,
            },
        ));
    }
    None
}

/// What follows a message literal of an APPEND, read from the line after its octets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterMessage {
    /// The command ends here.
    End,
    /// Another message (MULTIAPPEND) is announced at `brace` of the line.
    Next(AppendedMessage, Announcement),
    /// Anything else.
    Invalid,
}

/// Reads the rest of an APPEND after a message's octets: `line` (LF included) starts
/// right after them; `utf8` when that message was `UTF8 (~{n}` and owes its `)`.
pub(crate) fn after_message(line: &[u8], utf8: bool, options: &DecodeOptions) -> AfterMessage {
    let rest = if utf8 {
        match line.strip_prefix(b")") {
            Some(rest) => rest,
            None => return AfterMessage::Invalid,
        }
    } else {
        line
    };
    if rest == b"\r\n" {
        return AfterMessage::End;
    }
    if !rest.starts_with(b" ") {
        return AfterMessage::Invalid;
    }
    let LineEnd::Literal(announcement) = line_end(rest) else {
        return AfterMessage::Invalid;
    };
    // The mailbox was read from the first line; a stand-in keeps the grammar whole.
    match announced_message(b"X APPEND X", rest, announcement.brace, options) {
        Some((_, message)) => AfterMessage::Next(
            message,
            Announcement {
                brace: announcement.brace + usize::from(utf8),
                ..announcement
            },
        ),
        None => AfterMessage::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Flag;

    fn options() -> DecodeOptions {
        announcement_options()
    }

    #[test]
    fn reads_announcements_at_line_ends() {
        assert_eq!(line_end(b"A1 NOOP\r\n"), LineEnd::Plain);
        assert_eq!(
            line_end(b"A1 LOGIN {5}\r\n"),
            LineEnd::Literal(Announcement {
                length: 5,
                synchronizing: true,
                brace: 9
            })
        );
        assert_eq!(
            line_end(b"A1 APPEND x ~{12+}\r\n"),
            LineEnd::Literal(Announcement {
                length: 12,
                synchronizing: false,
                brace: 13
            })
        );
        assert_eq!(
            line_end(b"A1 APPEND x {99999999999999999999999}\r\n"),
            LineEnd::Overflow {
                non_synchronizing: false
            }
        );
        assert_eq!(
            line_end(b"A1 APPEND x {99999999999999999999999+}\r\n"),
            LineEnd::Overflow {
                non_synchronizing: true
            }
        );
        // A bare LF line end carries no literal (CRLF is required).
        assert_eq!(line_end(b"A1 LOGIN {5}\n"), LineEnd::Plain);
    }

    #[test]
    fn finds_append_arguments() {
        assert_eq!(append_arguments(b"a1 append INBOX {3}\r\n"), Some(10));
        assert_eq!(append_arguments(b"a1 APPENDX"), None);
        assert_eq!(append_arguments(b"a1 LOGIN x y\r\n"), None);
        assert_eq!(append_arguments(b"APPEND x"), None);
    }

    #[test]
    fn decodes_the_announced_message_with_the_codec_grammar() {
        let line = b"A003 APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {310}\r\n";
        let brace = memchr::memrchr(b'{', line).unwrap();
        let (mailbox, message) = announced_message(b"", line, brace, &options()).unwrap();
        assert_eq!(mailbox, Mailbox::try_from("saved-messages").unwrap());
        assert_eq!(message.flags, vec![Flag::Seen]);
        assert!(message.date.is_some());
        assert_eq!(message.format, AppendFormat::Literal);

        let line = b"A1 APPEND INBOX UTF8 (~{5}\r\n";
        let brace = memchr::memrchr(b'{', line).unwrap();
        let (_, message) = announced_message(b"", line, brace, &options()).unwrap();
        assert_eq!(message.format, AppendFormat::Utf8);

        // A mailbox sent as a literal before the line.
        let head = b"A1 APPEND {5}\r\nINBOX";
        let line = b" ~{7}\r\n";
        let (mailbox, message) = announced_message(head, line, 2, &options()).unwrap();
        assert!(mailbox.is_inbox());
        assert_eq!(message.format, AppendFormat::Literal8);

        // Broken flags: not an APPEND the grammar accepts.
        let line = b"A1 APPEND INBOX (\\Seen {5}\r\n";
        let brace = memchr::memrchr(b'{', line).unwrap();
        assert!(announced_message(b"", line, brace, &options()).is_none());
    }

    #[test]
    fn reads_what_follows_a_message() {
        assert_eq!(after_message(b"\r\n", false, &options()), AfterMessage::End);
        assert_eq!(after_message(b")\r\n", true, &options()), AfterMessage::End);
        assert_eq!(
            after_message(b"\r\n", true, &options()),
            AfterMessage::Invalid
        );
        assert_eq!(
            after_message(b" junk\r\n", false, &options()),
            AfterMessage::Invalid
        );
        match after_message(b" (\\Draft) {7+}\r\n", false, &options()) {
            AfterMessage::Next(message, announcement) => {
                assert_eq!(message.flags, vec![Flag::Draft]);
                assert_eq!(announcement.length, 7);
                assert!(!announcement.synchronizing);
            }
            other => panic!("{other:?}"),
        }
        match after_message(b") UTF8 (~{4}\r\n", true, &options()) {
            AfterMessage::Next(message, announcement) => {
                assert_eq!(message.format, AppendFormat::Utf8);
                assert_eq!(announcement.brace, 9);
            }
            other => panic!("{other:?}"),
        }
    }
}
