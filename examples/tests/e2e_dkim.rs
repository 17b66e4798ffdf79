//! Submission signs mail from a local domain with the key made at first start: the
//! delivered copy carries a DKIM-Signature that dkimpy and our verifier accept with the
//! TXT record the server wrote to its data folder, and that fails once the body changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use frontend::{peer, python, test_config, wait_for_messages, TestServer, ALICE, BOB};
use mailwire_auth::dkim::{DkimConfig, DkimPoll, DkimResult, DkimVerifier};
use mailwire_auth::dns::{Answer, Record};
use mailwire_examples::inbound::Role;

/// Submits `MESSAGE-FILE` over implicit TLS: `PORT CAFILE USER PASSWORD TO MESSAGE-FILE`.
const SUBMIT: &str = r#"
import smtplib, ssl, sys
port, cafile, user, password, recipient, path = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
client = smtplib.SMTP_SSL("127.0.0.1", int(port), context=context, timeout=30)
client.login(user, password)
client.sendmail(user, [recipient], open(path, "rb").read())
client.quit()
print("sent")
"#;

/// dkimpy's verdict on `MESSAGE-FILE` with the TXT record `RECORD` at `NAME`:
/// `NAME RECORD MESSAGE-FILE`.
const VERIFY: &str = r#"
import dkim, sys
name, record, path = sys.argv[1:4]
def dns(query, timeout=5):
    return record.encode() if query.decode().rstrip(".") == name else None
print("dkimpy", dkim.verify(open(path, "rb").read(), dnsfunc=dns))
"#;

const NAME: &str = "mailwire._domainkey.mailwire.test";

fn our_result(message: &[u8], record: &str) -> DkimResult {
    let mut verifier = DkimVerifier::for_message(message, DkimConfig::default(), now());
    loop {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                assert_eq!(question.name.trim_end_matches('.'), NAME);
                let answer = Answer::Records(vec![Record::Txt(record.to_owned())]);
                verifier.answer(&question, answer).unwrap();
            }
            DkimPoll::Done(outcomes) => {
                assert_eq!(outcomes.len(), 1, "{outcomes:?}");
                assert_eq!(outcomes[0].domain, "mailwire.test");
                return outcomes[0].result.clone();
            }
            DkimPoll::NeedMessage => panic!("the message was finished"),
        }
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn dkimpy(server: &TestServer, record: &str, message: &[u8], name: &str) -> String {
    let path = server.dir.path().join(name);
    std::fs::write(&path, message).unwrap();
    let (ok, out, err) = python(VERIFY, &[NAME, record, path.to_str().unwrap()]).await;
    assert!(ok, "dkimpy failed: {out}\n{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_mail_is_signed_with_the_key_made_at_first_start() {
    if !peer("python3") {
        return;
    }
    let (ok, _, _) = python("import dkim, nacl", &[]).await;
    if !ok {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer dkimpy (python3-dkim with nacl) missing");
        }
        eprintln!("SKIPPED: peer dkimpy missing");
        return;
    }
    let mut config = test_config();
    config.dkim_selector = String::from("mailwire");
    let server = TestServer::start("dkim", config).await;

    // The key and the record to publish are in the data folder.
    let key = std::fs::read_to_string(server.dir.path().join("dkim/mailwire.key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{key}");
    let records = std::fs::read_to_string(server.dir.path().join("dkim/mailwire.txt")).unwrap();
    let line = records
        .lines()
        .find(|line| line.starts_with(&format!("{NAME}. IN TXT \"")))
        .unwrap_or_else(|| panic!("no record for mailwire.test: {records}"));
    let record = line
        .split_once('"')
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .unwrap();
    assert!(record.starts_with("v=DKIM1; k=ed25519; p="), "{record}");

    let message = "From: Alice <alice@mailwire.test>\r\nTo: bob@mailwire.test\r\n\
Subject: signed   on submission\r\n\r\nHello Bob,\r\n\r\n  spaced   line \r\n\r\n\r\n";
    let path = server.dir.path().join("outgoing.eml");
    std::fs::write(&path, message).unwrap();
    let port = server.port(Role::Submissions).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            &port,
            cert.to_str().unwrap(),
            ALICE.0,
            ALICE.1,
            BOB.0,
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok && out.contains("sent"), "smtplib failed: {out}\n{err}");

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let delivered = &delivered[0];
    let text = String::from_utf8_lossy(delivered);
    let signature = text
        .split("\r\n")
        .find(|line| line.starts_with("DKIM-Signature:"))
        .unwrap_or_else(|| panic!("not signed: {text}"));
    assert!(signature.contains("a=ed25519-sha256;"), "{signature}");
    let unfolded = text.replace("\r\n ", " ").replace("\r\n\t", " ");
    assert!(unfolded.contains(" d=mailwire.test;"), "{unfolded}");
    assert!(unfolded.contains(" s=mailwire;"), "{unfolded}");
    // Date and Message-ID, added on submission before signing, are signed too.
    let tags = unfolded
        .split("\r\n")
        .find(|line| line.starts_with("DKIM-Signature:"))
        .unwrap()
        .replace(' ', "");
    assert!(
        tags.contains(":date:") && tags.contains(":message-id:"),
        "{tags}"
    );

    // Both verifiers accept the delivered copy (with the delivery trace on top)...
    let verdict = dkimpy(&server, record, delivered, "delivered.eml").await;
    assert!(verdict.contains("dkimpy True"), "{verdict}");
    assert_eq!(our_result(delivered, record), DkimResult::Pass);
    // ...and refuse it once the body changed.
    let tampered = text.replacen("Hello Bob,", "Hello Eve,", 1).into_bytes();
    let verdict = dkimpy(&server, record, &tampered, "tampered.eml").await;
    assert!(verdict.contains("dkimpy False"), "{verdict}");
    assert!(
        matches!(our_result(&tampered, record), DkimResult::Fail(_)),
        "tampered message passed"
    );
    server.stop().await;
}
