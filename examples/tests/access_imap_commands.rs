//! The IMAP listener command by command, as a client sees it on the wire: a raw
//! session (Python's ssl socket, nothing of ours on the client side) sends each
//! command and the test checks the responses: mailbox management, LIST-EXTENDED and
//! LIST-STATUS, STATUS, NAMESPACE, ID, FETCH items computed from the message (ENVELOPE,
//! BODYSTRUCTURE, sections, partials, BINARY), SEARCH and ESEARCH, CONDSTORE, COPY with
//! COPYUID, UID EXPUNGE, MULTIAPPEND with APPENDUID, EXAMINE being read-only; QRESYNC.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use frontend::{peer, python, test_config, TestServer, BOB};
use mailwire_examples::access::AccessRole;

/// Logs in over implicit TLS and runs the commands of a file, one per line (`\n`
/// stands for CRLF inside a line, for literals); prints each command's responses
/// after a `>>> TAG` line. Arguments: `PORT CAFILE USER PASSWORD COMMANDS-FILE`.
const RAW: &str = r#"
import socket, ssl, sys
port, cafile, user, password, path = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
raw = context.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=30), server_hostname="127.0.0.1")
reader = raw.makefile("rb")
def read_response(tag):
    while True:
        line = reader.readline()
        if not line:
            print("EOF")
            return
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        # A literal: read its octets and show them inline.
        while text.endswith("}") and "{" in text:
            size = int(text[text.rindex("{") + 1:-1])
            data = reader.read(size).decode("utf-8", "replace")
            rest = reader.readline().decode("utf-8", "replace").rstrip("\r\n")
            text = text + "<<" + data + ">>" + rest
        print(text, flush=True)
        remember(text)
        if text.startswith(tag + " ") or text.startswith("+ "):
            return
seen = {}
def remember(text):
    for code in ("UIDVALIDITY", "HIGHESTMODSEQ"):
        marker = "[" + code + " "
        if marker in text:
            seen[code] = text.split(marker, 1)[1].split("]", 1)[0]
reader.readline()
raw.sendall(b"L LOGIN " + user.encode() + b" \"" + password.encode() + b"\"\r\n")
read_response("L")
for number, command in enumerate(open(path).read().splitlines()):
    if not command:
        continue
    tag = "T%d" % number
    for code, value in seen.items():
        command = command.replace("$" + code, value)
    parts = command.replace("\\n", "\r\n").split("<CONTINUE>")
    print(">>> " + tag + " " + parts[0].split("\r\n")[0], flush=True)
    for index, part in enumerate(parts):
        raw.sendall(((tag + " ") if index == 0 else "").encode() + part.encode() + b"\r\n")
        read_response(tag)
"#;

const MESSAGE: &str = "From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\\n\
To: Bob <bob@mailwire.test>, carol@example.net\\n\
Subject: Quarterly report\\n\
Date: Tue, 3 Mar 2026 10:00:00 +0000\\n\
Message-ID: <q1@example.org>\\n\
MIME-Version: 1.0\\n\
Content-Type: multipart/mixed; boundary=xyz\\n\
\\n\
--xyz\\n\
Content-Type: text/plain; charset=utf-8\\n\
Content-Transfer-Encoding: quoted-printable\\n\
\\n\
Die Zahlen f=C3=BCr M=C3=A4rz.\\n\
--xyz\\n\
Content-Type: application/octet-stream\\n\
Content-Transfer-Encoding: base64\\n\
\\n\
AAECAwQ=\\n\
--xyz--\\n";

/// The responses of each command, by the command's first line.
fn responses(out: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        if let Some(command) = line.strip_prefix(">>> ") {
            all.push((command.to_string(), String::new()));
        } else if let Some((_, text)) = all.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    all
}

fn find<'a>(all: &'a [(String, String)], command: &str) -> &'a str {
    all.iter()
        .find(|(sent, _)| sent.split_once(' ').map(|(_, rest)| rest) == Some(command))
        .map(|(_, text)| text.as_str())
        .unwrap_or_else(|| panic!("no command {command} in {all:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_answer_as_the_rfcs_say() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-commands", test_config()).await;
    let length = MESSAGE.replace("\\n", "\r\n").len();
    let commands = [
        "CAPABILITY".to_string(),
        "NAMESPACE".to_string(),
        "ID (\"name\" \"test\")".to_string(),
        "CREATE Projects/2026/".to_string(),
        "CREATE Projects".to_string(),
        "CREATE Entw&APw-rfe".to_string(),
        "LIST \"\" Entw*".to_string(),
        "LIST \"\" \"\"".to_string(),
        "LIST \"\" %".to_string(),
        "LIST \"Projects/\" *".to_string(),
        "LIST (SPECIAL-USE) \"\" *".to_string(),
        "LIST \"\" INBOX RETURN (STATUS (MESSAGES UIDNEXT UNSEEN SIZE))".to_string(),
        "RENAME Projects/2026 Projects/Done".to_string(),
        "SUBSCRIBE Projects/Done".to_string(),
        "LSUB \"\" *".to_string(),
        "LIST (SUBSCRIBED) \"\" Projects/*".to_string(),
        "UNSUBSCRIBE Projects/Done".to_string(),
        "DELETE Projects".to_string(),
        "DELETE Projects/Done".to_string(),
        "DELETE INBOX".to_string(),
        "SELECT Nowhere".to_string(),
        format!(
            "APPEND INBOX (\\Flagged) {{{length}}}<CONTINUE>{MESSAGE} (\\Seen $Work) {{{}}}<CONTINUE>Subject: second\\n\\nhello\\n",
            "Subject: second\r\n\r\nhello\r\n".len()
        ),
        "APPEND Nowhere {5}".to_string(),
        "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ)"
            .to_string(),
        "SELECT INBOX (CONDSTORE)".to_string(),
        "FETCH 1 (ENVELOPE)".to_string(),
        "FETCH 1 (BODYSTRUCTURE)".to_string(),
        "FETCH 1 (BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[]<0.10>)".to_string(),
        "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])".to_string(),
        "FETCH 1:2 (FLAGS MODSEQ)".to_string(),
        "SEARCH CHARSET UTF-8 BODY {10}<CONTINUE>für märz".to_string(),
        "SEARCH RETURN (MIN MAX COUNT ALL) OR FLAGGED KEYWORD $Work".to_string(),
        "UID SEARCH RETURN (COUNT) SUBJECT quarterly".to_string(),
        "SEARCH MODSEQ 1".to_string(),
        "SEARCH CHARSET KOI8-R ALL".to_string(),
        "STORE 2 (UNCHANGEDSINCE 1) +FLAGS (\\Answered)".to_string(),
        "STORE 1 +FLAGS (\\Answered)".to_string(),
        "FETCH 1:* (UID FLAGS) (CHANGEDSINCE 1)".to_string(),
        "COPY 1:2 Trash".to_string(),
        "UID STORE 1 +FLAGS.SILENT (\\Deleted)".to_string(),
        "UID EXPUNGE 1".to_string(),
        "EXAMINE Trash".to_string(),
        "STORE 1 +FLAGS (\\Seen)".to_string(),
        "FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)] FLAGS)".to_string(),
        "UNSELECT".to_string(),
        "STATUS Trash (MESSAGES UNSEEN)".to_string(),
        "LOGOUT".to_string(),
    ];
    let path = server.dir.path().join("commands.txt");
    std::fs::write(&path, commands.join("\n")).unwrap();
    let port = server.imap_port(AccessRole::Imaps).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        RAW,
        &[
            &port,
            cert.to_str().unwrap(),
            BOB.0,
            BOB.1,
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "python failed: {out}\n{err}");
    let all = responses(&out);
    let check = |command: &str, expected: &[&str]| {
        let text = find(&all, command);
        for part in expected {
            assert!(text.contains(part), "{command}: {part:?} not in\n{text}");
        }
    };
    check(
        "CAPABILITY",
        &["CONDSTORE", "ESEARCH", "BINARY", "MULTIAPPEND", "OK"],
    );
    check("NAMESPACE", &["* NAMESPACE ((\"\" \"/\")) NIL NIL"]);
    check("ID (\"name\" \"test\")", &["* ID (\"name\" \"mailwire\""]);
    check("CREATE Projects/2026/", &["OK CREATE completed"]);
    check("CREATE Projects", &["NO [ALREADYEXISTS]"]);
    // Modified UTF-7 on the wire, Unicode in the store, the same name back.
    check("CREATE Entw&APw-rfe", &["OK CREATE completed"]);
    check(
        "LIST \"\" Entw*",
        &["* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe"],
    );
    check("LIST \"\" \"\"", &["* LIST (\\Noselect) \"/\" \"\""]);
    check(
        "LIST \"\" %",
        &["* LIST (\\HasChildren) \"/\" Projects", "\"/\" INBOX"],
    );
    check(
        "LIST \"Projects/\" *",
        &["* LIST (\\HasNoChildren) \"/\" Projects/2026"],
    );
    let special = find(&all, "LIST (SPECIAL-USE) \"\" *");
    assert!(
        !special.contains("INBOX") && special.contains("\\Trash"),
        "{special}"
    );
    check(
        "LIST \"\" INBOX RETURN (STATUS (MESSAGES UIDNEXT UNSEEN SIZE))",
        &["* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UNSEEN 0 SIZE 0)"],
    );
    check(
        "RENAME Projects/2026 Projects/Done",
        &["OK RENAME completed"],
    );
    check(
        "LSUB \"\" *",
        &["* LSUB () \"/\" Projects/Done", "* LSUB () \"/\" Sent"],
    );
    check(
        "LIST (SUBSCRIBED) \"\" Projects/*",
        &["* LIST (\\HasNoChildren \\Subscribed) \"/\" Projects/Done"],
    );
    check("DELETE Projects", &["NO [HASCHILDREN]"]);
    check("DELETE Projects/Done", &["OK DELETE completed"]);
    check("DELETE INBOX", &["NO [CANNOT]"]);
    check("SELECT Nowhere", &["NO [NONEXISTENT]"]);
    let append = all
        .iter()
        .find(|(sent, _)| sent.contains("APPEND INBOX (\\Flagged)"))
        .map(|(_, text)| text.as_str())
        .unwrap();
    assert!(append.contains("+ Ready for literal data"), "{append}");
    assert!(append.contains("OK [APPENDUID "), "{append}");
    assert!(append.contains(" 1:2] APPEND completed"), "{append}");
    check("APPEND Nowhere {5}", &["NO [TRYCREATE]"]);
    check(
        "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ)",
        &[
            "* STATUS INBOX (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY ",
            "UNSEEN 1 SIZE ",
        ],
    );
    check(
        "SELECT INBOX (CONDSTORE)",
        &[
            "* 2 EXISTS",
            "* 2 RECENT",
            "* OK [UNSEEN 1]",
            "* OK [UIDNEXT 3]",
            "* OK [HIGHESTMODSEQ ",
            "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work \\*)]",
            "OK [READ-WRITE]",
        ],
    );
    check(
        "FETCH 1 (ENVELOPE)",
        &[
            "ENVELOPE (\"Tue, 3 Mar 2026 10:00:00 +0000\" \"Quarterly report\" ((\"=?utf-8?",
            "\"jurgen\" \"example.org\"",
            "((\"Bob\" NIL \"bob\" \"mailwire.test\")(NIL NIL \"carol\" \"example.net\"))",
            "\"<q1@example.org>\"",
        ],
    );
    check(
        "FETCH 1 (BODYSTRUCTURE)",
        &[
            "BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\"",
            "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"BASE64\" 8 ",
            "\"MIXED\" (\"BOUNDARY\" \"xyz\")",
        ],
    );
    check(
        "FETCH 1 (BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[]<0.10>)",
        &[
            "BODY[1] \"Die Zahlen f=C3=BCr M=C3=A4rz.\"",
            "BODY[HEADER.FIELDS (SUBJECT)] {29}<<Subject: Quarterly report\n\n>>",
            "BODY[]<0> \"From: =?ut\"",
        ],
    );
    check(
        "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])",
        &["BINARY[2] ~{5}", "BINARY.SIZE[2] 5", "Die Zahlen für März."],
    );
    check(
        "FETCH 1:2 (FLAGS MODSEQ)",
        &[
            "* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (",
            "* 2 FETCH (FLAGS (\\Seen $Work \\Recent) MODSEQ (",
        ],
    );
    check(
        "SEARCH CHARSET UTF-8 BODY {10}",
        &["+ Ready", "* SEARCH 1\n"],
    );
    check(
        "SEARCH RETURN (MIN MAX COUNT ALL) OR FLAGGED KEYWORD $Work",
        &["* ESEARCH (TAG \"T", "MIN 1 MAX 2 ALL 1:2 COUNT 2"],
    );
    check(
        "UID SEARCH RETURN (COUNT) SUBJECT quarterly",
        &["UID COUNT 1"],
    );
    check("SEARCH MODSEQ 1", &["* SEARCH 1 2 (MODSEQ "]);
    check(
        "SEARCH CHARSET KOI8-R ALL",
        &["NO [BADCHARSET (US-ASCII UTF-8)]"],
    );
    check(
        "STORE 2 (UNCHANGEDSINCE 1) +FLAGS (\\Answered)",
        &["OK [MODIFIED 2]"],
    );
    check(
        "STORE 1 +FLAGS (\\Answered)",
        &["* 1 FETCH (UID 1 FLAGS (\\Answered \\Flagged \\Recent) MODSEQ ("],
    );
    let changed = find(&all, "FETCH 1:* (UID FLAGS) (CHANGEDSINCE 1)");
    assert!(changed.contains("* 1 FETCH (UID 1 FLAGS"), "{changed}");
    check(
        "COPY 1:2 Trash",
        &["OK [COPYUID ", " 1:2 1:2] COPY completed"],
    );
    check("UID EXPUNGE 1", &["* 1 EXPUNGE", "OK EXPUNGE completed"]);
    check(
        "EXAMINE Trash",
        &["* 2 EXISTS", "OK [READ-ONLY]", "[PERMANENTFLAGS ()]"],
    );
    check("STORE 1 +FLAGS (\\Seen)", &["NO [CANNOT]"]);
    // Reading in a read-only mailbox sets no \Seen.
    let read = find(&all, "FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)] FLAGS)");
    assert!(!read.contains("\\Seen"), "{read}");
    check("UNSELECT", &["OK UNSELECT completed"]);
    check(
        "STATUS Trash (MESSAGES UNSEEN)",
        &["* STATUS Trash (MESSAGES 2 UNSEEN 1)"],
    );
    check("LOGOUT", &["* BYE"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qresync_reports_vanished_messages_and_changed_flags() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-qresync", test_config()).await;
    let message = |subject: &str| {
        let text = format!("Subject: {subject}\\n\\nbody\\n");
        let length = text.replace("\\n", "\r\n").len();
        format!("APPEND INBOX {{{length}}}<CONTINUE>{text}")
    };
    let commands = [
        "ENABLE QRESYNC".to_string(),
        message("one"),
        message("two"),
        message("three"),
        "SELECT INBOX".to_string(),
        "STORE 2 +FLAGS.SILENT (\\Flagged)".to_string(),
        "STORE 3 +FLAGS.SILENT (\\Deleted)".to_string(),
        "EXPUNGE".to_string(),
        "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)".to_string(),
        // Selecting again (the UIDVALIDITY is the one SELECT gave) closes the mailbox
        // first.
        "SELECT INBOX (QRESYNC ($UIDVALIDITY 1 1:3))".to_string(),
        "LOGOUT".to_string(),
    ];
    let path = server.dir.path().join("commands.txt");
    std::fs::write(&path, commands.join("\n")).unwrap();
    let port = server.imap_port(AccessRole::Imaps).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        RAW,
        &[
            &port,
            cert.to_str().unwrap(),
            BOB.0,
            BOB.1,
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "python failed: {out}\n{err}");
    let all = responses(&out);
    let check = |command: &str, expected: &[&str], absent: &[&str]| {
        let text = find(&all, command);
        for part in expected {
            assert!(text.contains(part), "{command}: {part:?} not in\n{text}");
        }
        for part in absent {
            assert!(!text.contains(part), "{command}: {part:?} in\n{text}");
        }
    };
    check("ENABLE QRESYNC", &["* ENABLED QRESYNC"], &[]);
    check("SELECT INBOX", &["* 3 EXISTS", "[HIGHESTMODSEQ "], &[]);
    // Under QRESYNC an expunge is reported as VANISHED, never EXPUNGE.
    check("EXPUNGE", &["* VANISHED 3\n"], &["EXPUNGE\n* "]);
    check(
        "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)",
        &[
            "* VANISHED (EARLIER) 3",
            "(UID 2 FLAGS (\\Flagged \\Recent) MODSEQ (",
        ],
        &[],
    );
    let resync = all
        .iter()
        .find(|(sent, _)| sent.contains("SELECT INBOX (QRESYNC"))
        .map(|(_, text)| text.as_str())
        .unwrap();
    for part in [
        "* OK [CLOSED]",
        "* VANISHED (EARLIER) 3",
        "* 1 FETCH (UID 1 FLAGS (",
        "* 2 FETCH (UID 2 FLAGS (\\Flagged) MODSEQ (",
        "OK [READ-WRITE]",
    ] {
        assert!(resync.contains(part), "{part:?} not in\n{resync}");
    }
    server.stop().await;
}
