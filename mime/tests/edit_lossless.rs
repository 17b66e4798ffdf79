//! Lossless editing: with no edit the output is the input, byte for byte, for every message of
//! the corpus (CPython's 48 test messages, RFC examples, builder output); with edits, every byte
//! outside the edited ranges is unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod build_support;

use build_support::{date, full_message, mailbox, python3_available, python_leaves, TestRandom};
use mailwire_mime::build::{MessageBuilder, Part};
use mailwire_mime::edit::{EditError, Editor};
use mailwire_mime::encode::{structured_field, unstructured_field};
use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::tree::{Message, Part as TreePart};

/// RFC 5322 Appendix A and RFC 2046 §5.1.1 examples, with CRLF line ends.
const RFC_EXAMPLES: [&str; 7] = [
    // RFC 5322 A.1.1
    "From: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n",
    // RFC 5322 A.1.3
    "From: Pete <pete@silly.example>\nTo: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\nCc: Undisclosed recipients:;\nDate: Thu, 13 Feb 1969 23:32:54 -0330\nMessage-ID: <testabcd.1234@silly.example>\n\nTesting.\n",
    // RFC 5322 A.4
    "Received: from x.y.test\n   by example.net\n   via TCP\n   with ESMTP\n   id ABC12345\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\nReceived: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\nFrom: John Doe <jdoe@node.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.node.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n",
    // RFC 5322 A.5
    "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\nTo:A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)\nCc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\nDate: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)\nMessage-ID:              <testabcd.1234@silly.test>\n\nTesting.\n",
    // RFC 5322 A.6.1 (obsolete)
    "Message-ID: <1234@local.machine.example>\nTo: Mary Smith <mary@example.net>\nFrom: John Doe <jdoe@machine.example>\nSubject: Saying Hello\nDate: 21 Nov 97 09:55:06 GMT\n\nThis is a message just to say hello.\nSo, \"Hello\".\n",
    // RFC 5322 A.6.3 (obsolete white space and comments)
    "From  : John Doe <jdoe@machine(comment).  example>\nTo    : Mary Smith\n  \n          <mary@example.net>\nSubject     : Saying Hello\nDate  : Fri, 21\n Nov 1997 09(comment):   55  :  06 -0600\nMessage-ID  : <1234   @   local(blah)  .machine .example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n",
    // RFC 2046 §5.1.1
    "From: Nathaniel Borenstein <nsb@bellcore.com>\nTo: Ned Freed <ned@innosoft.com>\nDate: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\nSubject: Sample message\nMIME-Version: 1.0\nContent-type: multipart/mixed; boundary=\"simple boundary\"\n\nThis is the preamble.  It is to be ignored, though it\nis a handy place for composition agents to include an\nexplanatory note to non-MIME conformant readers.\n\n--simple boundary\n\nThis is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.\n--simple boundary\nContent-type: text/plain; charset=us-ascii\n\nThis is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n\n--simple boundary--\n\nThis is the epilogue.  It is also to be ignored.\n",
];

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

/// The CPython test messages (as stored: bare LF), or None when python3 is missing.
fn cpython_messages() -> Option<Vec<(String, Vec<u8>)>> {
    if !python3_available() {
        return None;
    }
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import test.test_email, os; print(os.path.dirname(test.test_email.__file__))",
        ])
        .output()
        .unwrap();
    let dir =
        std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().trim()).join("data");
    let mut messages: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("msg_") && name.ends_with(".txt")
        })
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    messages.sort();
    assert_eq!(
        messages.len(),
        48,
        "CPython's test_email set has 48 messages"
    );
    Some(messages)
}

fn built_messages() -> Vec<(String, Vec<u8>)> {
    let mut messages = vec![(
        "full".to_owned(),
        full_message()
            .build(&mut TestRandom::new(4))
            .unwrap()
            .to_bytes(),
    )];
    let simple = MessageBuilder::new()
        .from(mailbox(None, "a@example.com"))
        .to(mailbox(Some("B"), "b@example.com"))
        .subject("plain")
        .date(date())
        .text("just text\n")
        .build(&mut TestRandom::new(5))
        .unwrap();
    messages.push(("simple".to_owned(), simple.to_bytes()));
    messages
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut corpus: Vec<(String, Vec<u8>)> = RFC_EXAMPLES
        .iter()
        .enumerate()
        .flat_map(|(index, text)| {
            [
                (format!("rfc-{index}-crlf"), crlf(text)),
                (format!("rfc-{index}-lf"), text.as_bytes().to_vec()),
            ]
        })
        .collect();
    corpus.extend(built_messages());
    corpus.extend(cpython_messages().unwrap_or_default());
    corpus
}

#[test]
fn no_edit_is_byte_identical_for_the_whole_corpus() {
    let corpus = corpus();
    assert!(corpus.len() >= 16);
    for (name, bytes) in &corpus {
        let parsed = Message::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let editor = Editor::new(&parsed);
        assert_eq!(&editor.to_bytes(), bytes, "{name}");
    }
}

#[test]
fn prepended_received_leaves_the_rest_identical() {
    for (name, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let mut editor = Editor::new(&parsed);
        let field = structured_field(
            "Received",
            "from client.example ([192.0.2.1]) by mx.example.net with ESMTPS id 4XyZ for <mary@example.net>; Thu, 29 Feb 2024 13:37:05 +0100",
        )
        .unwrap();
        editor.prepend_field(field.clone()).unwrap();
        let output = editor.to_bytes();
        let expected_field = if parsed.header().has_bare_lf() {
            String::from_utf8(field)
                .unwrap()
                .replace("\r\n", "\n")
                .into_bytes()
        } else {
            field
        };
        let at = parsed.header().mbox_from().map_or(0, |range| range.end);
        assert_eq!(&output[..at], &bytes[..at], "{name}");
        assert_eq!(
            &output[at..at + expected_field.len()],
            &expected_field[..],
            "{name}"
        );
        assert_eq!(&output[at + expected_field.len()..], &bytes[at..], "{name}");
        let reparsed = Message::parse(&output).unwrap();
        assert!(reparsed.header().fields()[0].is("Received"), "{name}");
        assert_eq!(reparsed.part_count(), parsed.part_count(), "{name}");
    }
}

#[test]
fn set_subject_changes_only_the_subject_bytes() {
    for (name, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let subjects: Vec<_> = parsed
            .header()
            .get_all("Subject")
            .map(|field| parsed.root().field_range(field))
            .collect();
        let mut editor = Editor::new(&parsed);
        let field = unstructured_field("Subject", "R\u{e9}sum\u{e9} of the edit").unwrap();
        editor.set_field(parsed.root(), field).unwrap();
        let output = editor.to_bytes();
        let reparsed = Message::parse(&output).unwrap();
        assert_eq!(
            decode_unstructured(reparsed.header().get("Subject").unwrap().raw_value()),
            "R\u{e9}sum\u{e9} of the edit",
            "{name}"
        );
        assert_eq!(reparsed.header().get_all("Subject").count(), 1, "{name}");
        match subjects.first() {
            Some(first) => {
                // Everything before the first Subject field is untouched, and so is everything
                // after it apart from removed duplicates.
                assert_eq!(&output[..first.start], &bytes[..first.start], "{name}");
                let mut expected_tail = Vec::new();
                let mut copied = first.end;
                for duplicate in subjects.iter().skip(1) {
                    expected_tail.extend_from_slice(&bytes[copied..duplicate.start]);
                    copied = duplicate.end;
                }
                expected_tail.extend_from_slice(&bytes[copied..]);
                assert!(output.ends_with(&expected_tail), "{name}");
            }
            None => {
                let end = parsed.header().header_end();
                assert_eq!(&output[..end], &bytes[..end], "{name}");
                assert!(output.ends_with(&bytes[end..]), "{name}");
            }
        }
    }
}

/// Leaves of a parsed message by part path: (path, raw entity bytes, decoded body).
fn leaves(parsed: &Message<'_>) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    parsed
        .parts()
        .filter(|part| part.children().is_empty() && part.message().is_none())
        .map(|part| {
            (
                part.path().to_string(),
                parsed.input()[part.range()].to_vec(),
                part.decoded().into_owned(),
            )
        })
        .collect()
}

fn top_level_children<'t, 'a>(parsed: &'t Message<'a>) -> &'t [TreePart<'a>] {
    parsed.root().children()
}

#[test]
fn removing_a_part_keeps_every_other_part_byte_identical() {
    let mut checked = 0;
    for (name, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let children = top_level_children(&parsed);
        if children.len() < 2 {
            continue;
        }
        for victim in 0..children.len() {
            let mut editor = Editor::new(&parsed);
            editor.remove_part(&children[victim]).unwrap();
            let output = editor.to_bytes();
            let reparsed = Message::parse(&output).unwrap();
            let remaining = top_level_children(&reparsed);
            assert_eq!(remaining.len(), children.len() - 1, "{name} #{victim}");
            let originals: Vec<&[u8]> = children
                .iter()
                .enumerate()
                .filter(|(index, _)| *index != victim)
                .map(|(_, child)| &bytes[child.range()])
                .collect();
            let now: Vec<&[u8]> = remaining
                .iter()
                .map(|child| &output[child.range()])
                .collect();
            assert_eq!(now, originals, "{name} #{victim}");
            // Preamble and epilogue are untouched.
            let multipart = parsed.root().multipart().unwrap();
            let new_multipart = reparsed.root().multipart().unwrap();
            assert_eq!(
                &output[new_multipart.preamble()],
                &bytes[multipart.preamble()],
                "{name}"
            );
            assert_eq!(
                new_multipart.epilogue().map(|range| output[range].to_vec()),
                multipart.epilogue().map(|range| bytes[range].to_vec()),
                "{name}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} removals checked");
}

#[test]
fn replacing_a_text_body_changes_only_that_part() {
    let mut checked = 0;
    for (name, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let Some(target) = parsed.parts().find(|part| {
            part.children().is_empty() && part.message().is_none() && part.content_type().is_text()
        }) else {
            continue;
        };
        let target_path = target.path().to_string();
        let before = leaves(&parsed);
        let mut editor = Editor::new(&parsed);
        let text = "Replaced by the editor: \u{e9}\u{e8}\u{ea}\n--not a boundary\n";
        editor.replace_text(target, text).unwrap();
        let output = editor.to_bytes();
        let reparsed = Message::parse(&output).unwrap_or_else(|e| panic!("{name}: {e}"));
        let after = leaves(&reparsed);
        assert_eq!(after.len(), before.len(), "{name}");
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(old.0, new.0, "{name}");
            if old.0 == target_path {
                let part = reparsed
                    .parts()
                    .find(|part| part.path().to_string() == target_path)
                    .unwrap();
                // New bytes follow the message's line ends: bare LF in a bare-LF message.
                let expected = "Replaced by the editor: \u{e9}\u{e8}\u{ea}\r\n--not a boundary\r\n";
                let expected = if parsed.header().has_bare_lf() {
                    expected.replace("\r\n", "\n")
                } else {
                    expected.to_owned()
                };
                assert_eq!(part.text(), expected, "{name}");
                assert_eq!(part.charset(), Some("utf-8"), "{name}");
            } else {
                assert_eq!(old.1, new.1, "{name}: part {} changed", old.0);
                assert_eq!(old.2, new.2, "{name}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} replacements checked");
}

#[test]
fn appended_and_replaced_parts_come_back() {
    let bytes = full_message()
        .build(&mut TestRandom::new(8))
        .unwrap()
        .to_bytes();
    let parsed = Message::parse(&bytes).unwrap();
    let root = parsed.root();
    let mut editor = Editor::new(&parsed);
    editor
        .append_part(
            root,
            &Part::attachment("notes.txt", "text/plain", b"appended".to_vec()),
            &mut TestRandom::new(9),
        )
        .unwrap();
    editor
        .replace_part(
            &root.children()[1],
            &Part::attachment("other.bin", "application/octet-stream", vec![9u8; 300]),
            &mut TestRandom::new(10),
        )
        .unwrap();
    let output = editor.to_bytes();
    let reparsed = Message::parse(&output).unwrap();
    let children = reparsed.root().children();
    assert_eq!(children.len(), root.children().len() + 1);
    assert_eq!(children[1].filename().unwrap(), "other.bin");
    assert_eq!(&*children[1].decoded(), &[9u8; 300][..]);
    assert_eq!(children.last().unwrap().filename().unwrap(), "notes.txt");
    assert_eq!(&*children.last().unwrap().decoded(), b"appended");
    // The first part (the alternative) and the header are untouched.
    assert_eq!(
        &output[children[0].range()],
        &bytes[root.children()[0].range()]
    );
    assert_eq!(
        &output[reparsed.root().header_range()],
        &bytes[root.header_range()]
    );
}

#[test]
fn refused_edits() {
    let bytes = full_message()
        .build(&mut TestRandom::new(8))
        .unwrap()
        .to_bytes();
    let parsed = Message::parse(&bytes).unwrap();
    let other = Message::parse(&bytes).unwrap();
    let root = parsed.root();
    let mut editor = Editor::new(&parsed);
    assert_eq!(
        editor.remove_part(&other.root().children()[0]),
        Err(EditError::ForeignPart)
    );
    assert_eq!(editor.remove_part(root), Err(EditError::NotInMultipart));
    assert_eq!(
        editor.replace_part(root, &Part::text("x"), &mut TestRandom::new(1)),
        Err(EditError::RootPart)
    );
    assert_eq!(
        editor.prepend_field(b"Bad Field: x\r\n".to_vec()),
        Err(EditError::MalformedField)
    );
    assert_eq!(
        editor.prepend_field(b"X-Injected: x\r\nBcc: y\r\n".to_vec()),
        Err(EditError::MalformedField)
    );
    assert_eq!(editor.replace_text(root, "x"), Err(EditError::NotLeaf));
    editor.remove_part(&root.children()[1]).unwrap();
    assert_eq!(
        editor.replace_data(&root.children()[1], b"x"),
        Err(EditError::Overlap)
    );
    // The alternative holds two parts; a single-part multipart refuses to lose its part.
    let single = MessageBuilder::new()
        .from(mailbox(None, "a@example.com"))
        .date(date())
        .body(Part::multipart("mixed", vec![Part::text("only")]))
        .build(&mut TestRandom::new(2))
        .unwrap()
        .to_bytes();
    let single = Message::parse(&single).unwrap();
    let mut editor = Editor::new(&single);
    assert_eq!(
        editor.remove_part(&single.root().children()[0]),
        Err(EditError::LastPart)
    );
    // New content may not carry a line that is the enclosing boundary.
    let boundary = root.multipart().unwrap().boundary().to_owned();
    let mut editor = Editor::new(&parsed);
    assert_eq!(
        editor.append_part(
            root,
            &Part::text(format!("--{boundary}--\n")),
            &mut TestRandom::new(3)
        ),
        Err(EditError::BoundaryCollision)
    );
    // ...but a replaced text body that would collide goes out in base64 instead.
    let text_part = &root.children()[0].children()[0];
    editor
        .replace_text(text_part, &format!("--{boundary}\n"))
        .unwrap();
    let output = editor.to_bytes();
    let reparsed = Message::parse(&output).unwrap();
    assert_eq!(reparsed.root().children().len(), root.children().len());
    let part = &reparsed.root().children()[0].children()[0];
    assert_eq!(part.transfer_encoding().as_str(), "base64");
    assert_eq!(part.text(), format!("--{boundary}\r\n"));
}

#[test]
fn bare_lf_messages_get_bare_lf_edits() {
    let bytes = RFC_EXAMPLES[0].as_bytes();
    let parsed = Message::parse(bytes).unwrap();
    let mut editor = Editor::new(&parsed);
    editor
        .add_field(parsed.root(), unstructured_field("X-Tag", "one").unwrap())
        .unwrap();
    let output = String::from_utf8(editor.to_bytes()).unwrap();
    assert!(output.contains("Message-ID: <1234@local.machine.example>\nX-Tag: one\n\nThis"));
    assert!(!output.contains('\r'));
}

#[test]
fn field_without_final_line_end_is_handled() {
    let bytes = b"Subject: a\r\nX-Last: b";
    let parsed = Message::parse(bytes).unwrap();
    let mut editor = Editor::new(&parsed);
    editor
        .add_field(parsed.root(), unstructured_field("X-New", "c").unwrap())
        .unwrap();
    assert_eq!(
        editor.to_bytes(),
        b"Subject: a\r\nX-Last: b\r\nX-New: c\r\n"
    );
    let mut editor = Editor::new(&parsed);
    editor
        .set_field(parsed.root(), unstructured_field("X-Last", "z").unwrap())
        .unwrap();
    assert_eq!(editor.to_bytes(), b"Subject: a\r\nX-Last: z");
}

/// Python's `email` package (an independent parser) sees the edits as intended: a removed part
/// is gone and every other leaf decodes to the same payload; a replaced text body reads back.
#[test]
fn python_reads_edited_messages_as_intended() {
    if !python3_available() {
        return;
    }
    let mut originals = Vec::new();
    let mut removed = Vec::new();
    let mut victims = Vec::new();
    for (_, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let children = top_level_children(&parsed);
        if children.len() < 2 {
            continue;
        }
        // Remove the last top-level part that is a single leaf for both parsers (Python splits
        // message/delivery-status into one sub-message per field block).
        let Some(victim) = children.iter().rposition(|child| {
            child.children().is_empty()
                && child.message().is_none()
                && !child.content_type().is_message()
        }) else {
            continue;
        };
        let mut editor = Editor::new(&parsed);
        editor.remove_part(&children[victim]).unwrap();
        removed.push(editor.to_bytes());
        let our_leaves = parsed
            .parts()
            .filter(|part| part.children().is_empty() && part.message().is_none())
            .count();
        victims.push((children[victim].decoded().into_owned(), our_leaves));
        originals.push(bytes);
    }
    assert!(originals.len() >= 10, "only {} messages", originals.len());
    let before = python_leaves("edit-before", &originals);
    let after = python_leaves("edit-after", &removed);
    let mut compared = 0;
    for ((before, after), (victim, our_leaves)) in before.iter().zip(&after).zip(&victims) {
        if before.len() != *our_leaves {
            // The parsers already disagree on the structure of the original (msg_37's empty
            // parts between consecutive delimiters, which Python drops; message/delivery-status,
            // which Python splits): nothing to learn about the edit there.
            continue;
        }
        compared += 1;
        // Python sees exactly one leaf fewer: the removed part (same payload as ours).
        let gone = (0..before.len()).find(|&index| {
            let mut expected = before.clone();
            expected.remove(index);
            &expected == after
        });
        let gone = gone.unwrap_or_else(|| panic!("before {before:?}\nafter {after:?}"));
        assert_eq!(&before[gone].1, victim);
    }
    assert!(compared >= 8, "only {compared} removals compared");

    // Replacing the first text leaf: Python decodes the new text, the rest is unchanged.
    let mut edited = Vec::new();
    let mut originals = Vec::new();
    let mut targets = Vec::new();
    for (_, bytes) in corpus() {
        let parsed = Message::parse(&bytes).unwrap();
        let leaves: Vec<&TreePart<'_>> = parsed
            .parts()
            .filter(|part| part.children().is_empty() && part.message().is_none())
            .collect();
        let Some(target) = leaves.iter().position(|part| part.content_type().is_text()) else {
            continue;
        };
        let mut editor = Editor::new(&parsed);
        editor
            .replace_text(leaves[target], "\u{e9}dit\u{e9}\n")
            .unwrap();
        edited.push(editor.to_bytes());
        originals.push(bytes.clone());
        targets.push((
            target,
            parsed.header().has_bare_lf(),
            leaves.len(),
            leaves[target].decoded().into_owned(),
        ));
    }
    let before = python_leaves("replace-before", &originals);
    let after = python_leaves("replace-after", &edited);
    let mut compared = 0;
    for ((before, after), (target, bare_lf, our_leaves, our_payload)) in
        before.iter().zip(&after).zip(&targets)
    {
        if before.len() != *our_leaves || before[*target].1 != *our_payload {
            // Python reads the original differently (RFC 5322 A.6.3's obsolete `From  :` ends
            // its header section; msg_37's empty parts): the edit is not what differs.
            continue;
        }
        compared += 1;
        assert_eq!(before.len(), after.len());
        for (index, (old, new)) in before.iter().zip(after).enumerate() {
            if index == *target {
                let expected: &[u8] = if *bare_lf {
                    "\u{e9}dit\u{e9}\n".as_bytes()
                } else {
                    "\u{e9}dit\u{e9}\r\n".as_bytes()
                };
                assert_eq!(new.1, expected);
            } else {
                assert_eq!(old, new);
            }
        }
    }
    assert!(compared >= 30, "only {compared} replacements compared");
}
