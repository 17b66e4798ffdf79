#![no_main]
//! mailwire-mime builder: arbitrary message values (names, subjects, custom fields, bodies,
//! attachments with arbitrary file names and media types, inline images, forwarded messages,
//! nested part trees). Building never panics; when it succeeds the output has CRLF line ends
//! and no line over 998 octets, the crate's tree parser accepts it, and the subject, custom
//! field, addresses, file names and payloads read back as given. The editor with no edit gives
//! the same bytes back, and removing Bcc matches the transmission form.

use std::borrow::Cow;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mailwire_mime::build::{
    normalize_line_ends, BccHandling, Disposition, MessageBuilder, Part, Randomness,
};
use mailwire_mime::edit::Editor;
use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::header::{AddressList, DateTime, Mailbox};
use mailwire_mime::tree::Message;

#[derive(Arbitrary, Debug)]
struct Person {
    name: Option<String>,
    local: String,
    domain: String,
}

#[derive(Arbitrary, Debug)]
enum Media {
    Pdf,
    Png,
    Octet,
    Given(String),
}

#[derive(Arbitrary, Debug)]
struct Attachment {
    filename: String,
    media: Media,
    data: Vec<u8>,
    inline: bool,
}

#[derive(Arbitrary, Debug)]
enum Node {
    Text(String),
    Html(String),
    Data(Vec<u8>),
    Forward(Vec<u8>),
    Multipart(String, Vec<Node>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    from: Person,
    to: Vec<Person>,
    bcc: Vec<Person>,
    subject: String,
    field: (String, String),
    text: Option<String>,
    html: Option<String>,
    inline: Vec<Vec<u8>>,
    attachments: Vec<Attachment>,
    tree: Option<Node>,
    seed: u64,
}

struct Xorshift(u64);

impl Randomness for Xorshift {
    fn fill(&mut self, buffer: &mut [u8]) {
        for byte in buffer {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *byte = self.0.to_le_bytes()[0];
        }
    }
}

fn mailbox(person: &Person) -> Mailbox<'static> {
    Mailbox::new(
        person.name.clone().map(Cow::Owned),
        format!("{}@{}", person.local, person.domain),
    )
}

fn media(media: &Media) -> String {
    match media {
        Media::Pdf => "application/pdf".to_owned(),
        Media::Png => "image/png".to_owned(),
        Media::Octet => "application/octet-stream".to_owned(),
        Media::Given(text) => text.clone(),
    }
}

fn part(node: &Node, depth: usize) -> Part {
    match node {
        Node::Text(text) => Part::text(text.clone()),
        Node::Html(html) => Part::html(html.clone()),
        Node::Data(data) => Part::binary("application/octet-stream", data.clone()),
        Node::Forward(raw) => Part::message(raw.clone()),
        Node::Multipart(subtype, children) if depth < 8 => Part::multipart(
            subtype,
            children
                .iter()
                .take(8)
                .map(|child| part(child, depth + 1))
                .collect(),
        ),
        Node::Multipart(..) => Part::text("leaf"),
    }
}

/// Phrases compare word by word: readers join the words of a display name with one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The crate's charset decoding drops a byte order mark at the start of decoded text
/// (WHATWG decode), so U+FEFF is not compared.
fn without_bom(text: &str) -> String {
    text.replace('\u{feff}', "")
}

fn check_lines(bytes: &[u8]) {
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(!line.contains(&b'\r'), "bare CR");
        assert!(line.len() <= 998, "line of {} octets", line.len());
    }
    let lone_lf = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'));
    assert!(!lone_lf, "bare LF");
}

fuzz_target!(|input: Input| {
    let mut builder = MessageBuilder::new()
        .from(mailbox(&input.from))
        .subject(input.subject.clone())
        .date(DateTime::new(2024, 2, 29, 13, 37, 5, 60).unwrap_or_else(|| unreachable!()))
        .field(input.field.0.clone(), input.field.1.clone());
    for person in input.to.iter().take(8) {
        builder = builder.to(mailbox(person));
    }
    for person in input.bcc.iter().take(4) {
        builder = builder.bcc(mailbox(person));
    }
    let explicit_tree = input.tree.is_some();
    if let Some(tree) = &input.tree {
        builder = builder.body(part(tree, 0));
    } else {
        if let Some(text) = &input.text {
            builder = builder.text(text.clone());
        }
        if let Some(html) = &input.html {
            builder = builder.html(html.clone());
        }
        for (index, data) in input.inline.iter().take(4).enumerate() {
            builder = builder.inline(
                format!("img{index}@fuzz.example"),
                "image/png",
                data.clone(),
            );
        }
        for attachment in input.attachments.iter().take(6) {
            let mut part = Part::attachment(
                attachment.filename.clone(),
                media(&attachment.media),
                attachment.data.clone(),
            );
            if attachment.inline {
                part = part.with_disposition(Disposition::Inline);
            }
            builder = builder.attach(part);
        }
    }
    let Ok(message) = builder.build(&mut Xorshift(input.seed | 1)) else {
        return;
    };
    let bytes = message.to_bytes();
    check_lines(&bytes);
    let parsed = Message::parse(&bytes).expect("the parser accepts built messages");
    assert_eq!(Editor::new(&parsed).to_bytes(), bytes);

    let header = parsed.header();
    let subject = decode_unstructured(header.get("Subject").expect("subject").raw_value());
    assert_eq!(without_bom(&subject), without_bom(&input.subject));
    let field = header.get(&input.field.0).expect("custom field");
    assert_eq!(
        without_bom(&decode_unstructured(field.raw_value())),
        without_bom(&input.field.1)
    );
    let from = AddressList::parse(header.get("From").expect("from").raw_value());
    let from = from.mailboxes().next().expect("a from mailbox");
    assert_eq!(
        from.name()
            .map(|name| words(&without_bom(name)))
            .filter(|n| !n.is_empty()),
        input
            .from
            .name
            .as_deref()
            .map(|name| words(&without_bom(name)))
            .filter(|n| !n.is_empty())
    );
    let recipients = message.envelope().recipients().len();
    assert!(recipients <= input.to.len().min(8) + input.bcc.len().min(4));
    assert!(input.to.is_empty() || recipients > 0);

    // The kept form differs from the transmission form exactly by the Bcc field.
    let mut kept = Vec::new();
    message.write(BccHandling::Keep, &mut kept);
    let kept_parsed = Message::parse(&kept).expect("kept form parses");
    if let Some(bcc) = kept_parsed.header().get("Bcc") {
        let mut without = kept.clone();
        without.drain(bcc.range());
        assert_eq!(without, bytes);
    } else {
        assert_eq!(kept, bytes);
    }

    if explicit_tree {
        return;
    }
    // Leaves in order: text, html, inline images, then the attachments.
    let leaves: Vec<_> = parsed
        .parts()
        .filter(|part| part.children().is_empty() && part.message().is_none())
        .collect();
    let mut index = 0;
    let nothing = input.text.is_none()
        && input.html.is_none()
        && input.inline.is_empty()
        && input.attachments.is_empty();
    if nothing {
        // An empty text/plain body stands in for no content.
        assert_eq!(leaves.len(), 1);
        assert!(leaves[0].decoded().is_empty());
        return;
    }
    if let Some(text) = &input.text {
        assert_eq!(
            &*leaves[index].decoded(),
            &normalize_line_ends(text.as_bytes())[..]
        );
        index += 1;
    }
    if let Some(html) = &input.html {
        assert_eq!(
            &*leaves[index].decoded(),
            &normalize_line_ends(html.as_bytes())[..]
        );
        index += 1;
        for data in input.inline.iter().take(4) {
            assert_eq!(&*leaves[index].decoded(), &data[..]);
            index += 1;
        }
    } else {
        // Without HTML the inline images are plain parts of the mixed level.
        for data in input.inline.iter().take(4) {
            assert_eq!(&*leaves[index].decoded(), &data[..]);
            index += 1;
        }
    }
    for attachment in input.attachments.iter().take(6) {
        let leaf = &leaves[index];
        assert_eq!(
            leaf.filename().as_deref().map(without_bom),
            Some(without_bom(&attachment.filename))
        );
        assert_eq!(&*leaf.decoded(), &attachment.data[..]);
        index += 1;
    }
    assert_eq!(index, leaves.len());
});
