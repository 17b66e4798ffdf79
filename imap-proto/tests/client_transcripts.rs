//! RFC 9051 §8, the sample IMAP4rev2 connection, replayed from the client side:
//! STARTTLS, AUTHENTICATE SCRAM-SHA-256 stepped by the application with its initial
//! response inline (SASL-IR is part of IMAP4rev2), ENABLE IMAP4rev2, SELECT, FETCH FULL,
//! FETCH BODY[HEADER] streamed, STORE, LOGOUT.
//!
//! One deviation, on purpose: after STARTTLS and after the login our client asks
//! CAPABILITY again (RFC 9051 §6.2.1 says cached capabilities must be discarded after
//! TLS, and the OK of AUTHENTICATE carried none); the sample's client goes straight on,
//! so the replay adds those two exchanges.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::time::Instant;

use base64::Engine as _;
use mailwire_core::{Secret, Session, Transport};
use mailwire_imap::client::{BodyItem, Client, ClientConfig, ClientEvent, CloseReason};
use mailwire_imap::codec::Version;
use mailwire_imap::types::{
    Capability, CommandBody, Data, FetchAttribute, FetchAttributes, Flag, MessageDataItem,
    NonEmpty, Section, SequenceSet, State, StoreAction, Tag,
};

const HEADER: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev2 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n";

const CLIENT_FIRST: &str = "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=";
const SERVER_FIRST: &str = "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=";
const CLIENT_FINAL: &str = "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==";
const SERVER_FINAL: &str = "dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==";

fn decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

struct Run {
    client: Client,
    now: Instant,
    events: Vec<ClientEvent>,
    wire: String,
}

impl Run {
    fn feed(&mut self, server: &str) {
        self.client.handle_input(self.now, server.as_bytes());
        self.collect();
    }

    fn collect(&mut self) {
        let mut out = Vec::new();
        while self.client.poll_transmit(&mut out) > 0 {}
        self.wire.push_str(&String::from_utf8(out).unwrap());
        self.events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
    }

    /// The client's output since the last call.
    fn sent(&mut self) -> String {
        std::mem::take(&mut self.wire)
    }
}

#[test]
fn rfc9051_sample_session_from_the_client_side() {
    let mut tags = vec![
        "a000", "A001", "babc", "a002", "a003", "a004", "a005", "a006", "cap1", "cap2",
    ];
    tags.reverse();
    let now = Instant::now();
    let client = Client::with_tag_generator(ClientConfig::default(), now, move || {
        Tag::new(tags.pop().unwrap()).unwrap()
    });
    let mut run = Run {
        client,
        now,
        events: Vec::new(),
        wire: String::new(),
    };
    run.feed(
        "* OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] \
         IMAP4rev2 Service Ready\r\n",
    );
    assert_eq!(run.client.version(), Version::Rev2, "offered alone");

    // Everything queued at once; the barriers keep the sample's order.
    let client = &mut run.client;
    let starttls = client.starttls().unwrap();
    let authenticate = client
        .authenticate("SCRAM-SHA-256", Some(Secret::new(decode(CLIENT_FIRST))))
        .unwrap();
    let enable = client.enable(NonEmpty::new(Capability::Imap4Rev2)).unwrap();
    let select = client.select("inbox").unwrap();
    let twelve = SequenceSet::single(NonZeroU32::new(12).unwrap());
    let full = client
        .send(CommandBody::Fetch {
            uid: false,
            sequence_set: twelve.clone(),
            attributes: FetchAttributes::Full,
            modifiers: Vec::new(),
        })
        .unwrap();
    let header = client
        .send(CommandBody::Fetch {
            uid: false,
            sequence_set: twelve.clone(),
            attributes: FetchAttributes::Attributes(NonEmpty::new(FetchAttribute::BodySection {
                peek: false,
                section: Some(Section::Header(None)),
                partial: None,
            })),
            modifiers: Vec::new(),
        })
        .unwrap();
    let store = client
        .send(CommandBody::Store {
            uid: false,
            sequence_set: twelve,
            modifiers: Vec::new(),
            action: StoreAction::Add,
            silent: false,
            flags: vec![Flag::Deleted],
        })
        .unwrap();
    let logout = client.logout().unwrap();
    run.collect();
    assert_eq!(run.sent(), "a000 STARTTLS\r\n");

    run.feed("a000 OK Proceed with TLS negotiation\r\n");
    assert_eq!(run.client.transport(), Transport::StartTls);
    assert_eq!(run.sent(), "");
    run.client.handle_tls_established(now);
    run.collect();
    assert_eq!(run.sent(), "cap1 CAPABILITY\r\n");
    run.feed("* CAPABILITY IMAP4rev2 AUTH=SCRAM-SHA-256\r\ncap1 OK done\r\n");
    assert_eq!(
        run.sent(),
        format!("A001 AUTHENTICATE SCRAM-SHA-256 {CLIENT_FIRST}\r\n")
    );

    run.feed(&format!("+ {SERVER_FIRST}\r\n"));
    assert!(run.events.contains(&ClientEvent::SaslChallenge {
        id: authenticate,
        challenge: decode(SERVER_FIRST)
    }));
    run.client
        .sasl_respond(authenticate, Secret::new(decode(CLIENT_FINAL)))
        .unwrap();
    run.collect();
    assert_eq!(run.sent(), format!("{CLIENT_FINAL}\r\n"));
    run.feed(&format!("+ {SERVER_FINAL}\r\n"));
    run.client
        .sasl_respond(authenticate, Secret::new(Vec::new()))
        .unwrap();
    run.collect();
    assert_eq!(run.sent(), "\r\n");
    run.feed("A001 OK SCRAM-SHA-256 authentication successful\r\n");
    assert_eq!(run.sent(), "cap2 CAPABILITY\r\n");
    run.feed("* CAPABILITY IMAP4rev2 IDLE ENABLE\r\ncap2 OK\r\n");
    assert_eq!(run.sent(), "babc ENABLE IMAP4rev2\r\n");
    run.feed("* ENABLED IMAP4rev2\r\nbabc OK Some capabilities enabled\r\n");
    assert_eq!(run.client.enabled(), [Capability::Imap4Rev2]);
    assert_eq!(run.sent(), "a002 SELECT INBOX\r\n");
    run.feed(
        "* 18 EXISTS\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [UIDVALIDITY 3857529045] UIDs valid\r\n\
         * LIST () \"/\" INBOX (\"OLDNAME\" (\"inbox\"))\r\n\
         a002 OK [READ-WRITE] SELECT completed\r\n",
    );
    // FETCH, FETCH and STORE go together (RFC 9051 §5.5 allows it).
    assert_eq!(
        run.sent(),
        "a003 FETCH 12 FULL\r\na004 FETCH 12 BODY[HEADER]\r\na005 STORE 12 +FLAGS (\\Deleted)\r\n"
    );
    run.feed(
        "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
         RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
         \"IMAP4rev2 WG mtg summary and minutes\" \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) \
         ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
         (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
         \"<B27397-0100000@cac.washington.ed>\") \
         BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n\
         a003 OK FETCH completed\r\n",
    );
    run.feed(&format!(
        "* 12 FETCH (BODY[HEADER] {{342}}\r\n{HEADER})\r\na004 OK FETCH completed\r\n"
    ));
    run.feed("* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\na005 OK +FLAGS completed\r\n");
    assert_eq!(run.sent(), "a006 LOGOUT\r\n");
    run.feed("* BYE IMAP4rev2 server terminating connection\r\na006 OK LOGOUT completed\r\n");

    // What the application saw.
    let events = &run.events;
    for event in events {
        assert!(
            !matches!(event, ClientEvent::ProtocolError { .. }),
            "{event:?}"
        );
    }
    let completed: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::Completed { id, state, .. } => Some((*id, *state)),
            _ => None,
        })
        .collect();
    let ids = [
        starttls,
        authenticate,
        enable,
        select,
        full,
        header,
        store,
        logout,
    ];
    assert_eq!(
        completed,
        ids.iter().map(|id| (*id, State::Ok)).collect::<Vec<_>>()
    );
    assert!(events.iter().any(|event| matches!(
        event,
        ClientEvent::Data { command, data: Data::List(list) }
            if *command == Some(select) && list.mailbox.is_inbox()
    )));
    let mailbox = events
        .iter()
        .find_map(|event| match event {
            ClientEvent::Selected { mailbox, .. } => Some(mailbox.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(mailbox.exists, 18);
    assert_eq!(mailbox.uid_validity, NonZeroU32::new(3_857_529_045));
    assert!(events.iter().any(|event| matches!(
        event,
        ClientEvent::Fetch { command, items, .. }
            if *command == Some(full)
                && items.iter().any(|item| matches!(item, MessageDataItem::Envelope(_)))
    )));
    let content: Vec<u8> = events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::BodyChunk { command, chunk, .. } if *command == Some(header) => {
                Some(chunk.to_vec())
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(content, HEADER.as_bytes());
    assert!(events.contains(&ClientEvent::BodyStart {
        command: Some(header),
        sequence_number: NonZeroU32::new(12).unwrap(),
        item: BodyItem::Section {
            section: Some(Section::Header(None)),
            origin: None
        },
        length: 342
    }));
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::Logout,
            unanswered: Vec::new()
        })
    );
}
