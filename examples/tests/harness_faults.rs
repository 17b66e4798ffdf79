//! Faults of the embeddable test server (`mailwire_examples::harness::FaultRule`), each
//! observed from the client side: by Python's smtplib (codes, refusals, a dropped
//! connection, 421 after DATA) and by a hand-driven client timed on tokio's clock
//! (delays, where exactly the connection drops).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::time::Duration;

use frontend::{peer, python, read_messages, Raw};
use mailwire_examples::harness::{FaultRule, Role, SmtpCommand, TestServer};
use tokio::time::Instant;

const ALICE: &str = "alice@mailwire.test";
const BOB: &str = "bob@mailwire.test";

async fn server_with(rules: Vec<FaultRule>) -> TestServer {
    let mut builder = TestServer::builder()
        .user(ALICE, "alice pw")
        .user(BOB, "bob pw");
    for rule in rules {
        builder = builder.fault(rule);
    }
    builder.start().await.unwrap()
}

/// One transaction with smtplib's step-by-step calls on the MX port. Arguments: PORT
/// SENDER RECIPIENTS(comma separated). Prints one line per step: `ehlo CODE`, `mail CODE
/// TEXT`, `rcpt ADDRESS CODE TEXT`, `data CODE TEXT`, `quit`; or `connect CODE TEXT` when
/// the greeting refuses, `disconnected at STEP` when the server closes.
const STEPS: &str = r#"
import smtplib, sys
port, sender, recipients = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
message = b"Subject: fault test\r\n\r\nbody\r\n"
step = "connect"
try:
    smtp = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
    step = "ehlo"
    code, _ = smtp.ehlo("client.test")
    print("ehlo", code)
    step = "mail"
    code, text = smtp.mail(sender)
    print("mail", code, text.decode())
    if code == 250:
        accepted = 0
        for recipient in recipients:
            step = "rcpt"
            code, text = smtp.rcpt(recipient)
            print("rcpt", recipient, code, text.decode())
            accepted += code == 250
        if accepted:
            step = "data"
            try:
                code, text = smtp.data(message)
                print("data", code, text.decode())
            except smtplib.SMTPDataError as error:
                print("data", error.smtp_code, error.smtp_error.decode())
    step = "quit"
    smtp.quit()
    print("quit")
except smtplib.SMTPConnectError as error:
    print("connect", error.smtp_code, error.smtp_error.decode())
except smtplib.SMTPServerDisconnected:
    print("disconnected at", step)
"#;

async fn steps(server: &TestServer, sender: &str, recipients: &str) -> Vec<String> {
    let port = server.smtp_address().port().to_string();
    let (ok, out, err) = python(STEPS, &[&port, sender, recipients]).await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    out.lines().map(str::to_string).collect()
}

#[tokio::test]
async fn smtplib_sees_the_injected_rcpt_refusal_and_the_message_keeps_the_others() {
    if !peer("python3") {
        return;
    }
    let server = server_with(vec![FaultRule::reply(
        SmtpCommand::Rcpt,
        550,
        "5.1.1 Mailbox gone (injected)",
    )
    .unwrap()
    .matching(BOB)])
    .await;
    let lines = steps(&server, "x@example.org", &format!("{ALICE},{BOB}")).await;
    assert_eq!(
        lines,
        [
            "ehlo 250",
            "mail 250 2.1.0 Sender OK",
            &format!("rcpt {ALICE} 250 2.1.5 Recipient OK"),
            &format!("rcpt {BOB} 550 5.1.1 Mailbox gone (injected)"),
            &lines[4],
            "quit",
        ]
    );
    assert!(lines[4].starts_with("data 250 "), "{lines:?}");
    let received = server
        .wait_for_messages(1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(received[0].rcpt_to, [ALICE]);
    server.shutdown().await;
}

#[tokio::test]
async fn smtplib_sees_mail_451_once_then_the_retry_goes_through() {
    if !peer("python3") {
        return;
    }
    let server = server_with(vec![FaultRule::reply(
        SmtpCommand::Mail,
        451,
        "4.3.0 Busy, retry",
    )
    .unwrap()
    .times(1)])
    .await;
    let first = steps(&server, "x@example.org", ALICE).await;
    assert_eq!(first, ["ehlo 250", "mail 451 4.3.0 Busy, retry", "quit"]);
    assert!(server.received().is_empty());
    let second = steps(&server, "x@example.org", ALICE).await;
    assert_eq!(second[1], "mail 250 2.1.0 Sender OK", "{second:?}");
    assert!(second[3].starts_with("data 250 "), "{second:?}");
    assert_eq!(server.received().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn smtplib_sees_the_connection_dropped_at_rcpt() {
    if !peer("python3") {
        return;
    }
    let server = server_with(vec![FaultRule::disconnect(SmtpCommand::Rcpt)]).await;
    let lines = steps(&server, "x@example.org", ALICE).await;
    assert_eq!(
        lines,
        [
            "ehlo 250",
            "mail 250 2.1.0 Sender OK",
            "disconnected at rcpt"
        ]
    );
    assert!(server.received().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn smtplib_sees_421_after_data_and_the_message_is_not_taken() {
    if !peer("python3") {
        return;
    }
    let server = server_with(vec![FaultRule::reply(
        SmtpCommand::DataEnd,
        421,
        "4.3.2 Going down (injected)",
    )
    .unwrap()])
    .await;
    let lines = steps(&server, "x@example.org", ALICE).await;
    assert_eq!(
        lines,
        [
            "ehlo 250",
            "mail 250 2.1.0 Sender OK",
            &format!("rcpt {ALICE} 250 2.1.5 Recipient OK"),
            "data 421 4.3.2 Going down (injected)",
            // 421 closes the session: QUIT finds the connection gone.
            "disconnected at quit",
        ]
    );
    // Not recorded, not queued, never delivered.
    assert!(server.received().is_empty());
    assert!(server.running().queue().is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(read_messages(&server.maildir(ALICE)).is_empty());
    assert!(server
        .wait_for_messages(1, Duration::from_millis(200))
        .await
        .is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn smtplib_sees_a_refused_greeting() {
    if !peer("python3") {
        return;
    }
    let server = server_with(vec![FaultRule::reply(
        SmtpCommand::Connect,
        554,
        "5.7.1 No service for you (injected)",
    )
    .unwrap()
    .on_role(Role::Mx)])
    .await;
    let lines = steps(&server, "x@example.org", ALICE).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("connect 554 ") && lines[0].contains("No service for you"),
        "{lines:?}"
    );
    server.shutdown().await;
}

/// Time from sending `line` to its reply.
async fn timed<S>(smtp: &mut Raw<S>, line: &str) -> (u16, Duration)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    let started = Instant::now();
    let reply = smtp.command(line).await;
    (reply.code, started.elapsed())
}

#[tokio::test]
async fn delays_hold_back_exactly_the_chosen_reply() {
    let wait = Duration::from_millis(1500);
    let server = server_with(vec![
        FaultRule::delay(SmtpCommand::Mail, wait),
        FaultRule::delay(SmtpCommand::Data, wait),
    ])
    .await;
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    let (code, quick) = timed(&mut smtp, "EHLO client.test").await;
    assert_eq!(code, 250);
    assert!(quick < wait, "EHLO took {quick:?}");
    let (code, slow) = timed(&mut smtp, "MAIL FROM:<x@example.org>").await;
    assert_eq!(code, 250);
    assert!(slow >= wait, "MAIL took {slow:?}");
    let (code, quick) = timed(&mut smtp, &format!("RCPT TO:<{ALICE}>")).await;
    assert_eq!(code, 250);
    assert!(quick < wait, "RCPT took {quick:?}");
    // The machine's own 354 is held back too.
    let (code, slow) = timed(&mut smtp, "DATA").await;
    assert_eq!(code, 354);
    assert!(slow >= wait, "DATA took {slow:?}");
    smtp.send(b"Subject: slow\r\n\r\nbody\r\n").await;
    assert_eq!(smtp.command(".").await.code, 250);
    assert_eq!(server.received().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn delays_of_the_greeting_and_of_the_final_reply() {
    let wait = Duration::from_millis(600);
    let server = server_with(vec![
        FaultRule::delay(SmtpCommand::Connect, wait),
        FaultRule::delay(SmtpCommand::DataEnd, wait),
    ])
    .await;
    let started = Instant::now();
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert!(
        started.elapsed() >= wait,
        "greeting after {:?}",
        started.elapsed()
    );
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(smtp.command(&format!("RCPT TO:<{ALICE}>")).await.code, 250);
    assert_eq!(smtp.command("DATA").await.code, 354);
    smtp.send(b"Subject: slow end\r\n\r\nbody\r\n").await;
    let (code, slow) = timed(&mut smtp, ".").await;
    assert_eq!(code, 250);
    assert!(slow >= wait, "end of data took {slow:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn disconnections_at_hello_data_and_data_end() {
    let server = server_with(vec![]).await;
    // At EHLO: no 250 at all, the connection just ends.
    server.add_fault(FaultRule::disconnect(SmtpCommand::Hello).matching("dropme.test"));
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    let reply = smtp.command("EHLO dropme.test").await;
    assert_eq!(reply.code, 0, "{reply:?}");
    // Another name is served as usual.
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO keep.test").await.code, 250);
    drop(smtp);

    // At DATA: no 354.
    server.clear_faults();
    server.add_fault(FaultRule::disconnect(SmtpCommand::Data));
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(smtp.command(&format!("RCPT TO:<{ALICE}>")).await.code, 250);
    assert_eq!(smtp.command("DATA").await.code, 0);

    // At the end of the data: the message is not taken.
    server.clear_faults();
    server.add_fault(FaultRule::disconnect(SmtpCommand::DataEnd));
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(smtp.command(&format!("RCPT TO:<{ALICE}>")).await.code, 250);
    assert_eq!(smtp.command("DATA").await.code, 354);
    smtp.send(b"Subject: lost\r\n\r\nbody\r\n").await;
    assert_eq!(smtp.command(".").await.code, 0);
    assert!(server.received().is_empty());
    assert!(server.running().queue().is_empty());

    // Without faults the same transaction goes through.
    server.clear_faults();
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(smtp.command(&format!("RCPT TO:<{ALICE}>")).await.code, 250);
    assert_eq!(smtp.command("DATA").await.code, 354);
    smtp.send(b"Subject: kept\r\n\r\nbody\r\n").await;
    assert_eq!(smtp.command(".").await.code, 250);
    assert_eq!(server.received().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn auth_faults_and_role_limited_rules() {
    let server = server_with(vec![
        FaultRule::reply(SmtpCommand::Auth, 454, "4.7.0 Auth backend down (injected)")
            .unwrap()
            .matching(ALICE),
        FaultRule::reply(SmtpCommand::Mail, 550, "5.7.1 Not on submission (injected)")
            .unwrap()
            .on_role(Role::Submissions),
    ])
    .await;
    let connector = tokio_rustls::TlsConnector::from(server.client_config().unwrap());
    let connect = || async {
        let tcp = tokio::net::TcpStream::connect(server.submissions_address())
            .await
            .unwrap();
        let tls = connector
            .connect(
                tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                tcp,
            )
            .await
            .unwrap();
        let mut smtp = Raw::over(tls);
        assert_eq!(smtp.reply().await.code, 220);
        assert_eq!(smtp.command("EHLO client.test").await.code, 250);
        smtp
    };
    use base64::Engine;
    let plain = |user: &str, password: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
    };
    // Alice's AUTH gets the injected 454 even with the right password; Bob's goes on.
    let mut smtp = connect().await;
    let reply = smtp
        .command(&format!("AUTH PLAIN {}", plain(ALICE, "alice pw")))
        .await;
    assert_eq!(reply.code, 454);
    assert_eq!(reply.text(), "4.7.0 Auth backend down (injected)");
    let mut smtp = connect().await;
    let reply = smtp
        .command(&format!("AUTH PLAIN {}", plain(BOB, "bob pw")))
        .await;
    assert_eq!(reply.code, 235);
    // The MAIL rule is for submissions only ...
    let reply = smtp.command(&format!("MAIL FROM:<{BOB}>")).await;
    assert_eq!(reply.code, 550);
    assert_eq!(reply.text(), "5.7.1 Not on submission (injected)");
    // ... the MX listener handles MAIL as usual.
    let mut mx = Raw::connect(server.smtp_address()).await;
    assert_eq!(mx.reply().await.code, 220);
    assert_eq!(mx.command("EHLO client.test").await.code, 250);
    assert_eq!(mx.command("MAIL FROM:<x@example.org>").await.code, 250);
    server.shutdown().await;
}

#[tokio::test]
async fn pipelined_commands_keep_their_order_around_a_fault() {
    let server = server_with(vec![
        FaultRule::reply(SmtpCommand::Rcpt, 452, "4.2.2 Mailbox full (injected)")
            .unwrap()
            .matching(BOB),
        FaultRule::delay(SmtpCommand::Rcpt, Duration::from_millis(300)).matching(ALICE),
    ])
    .await;
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    smtp.send(
        format!("MAIL FROM:<x@example.org>\r\nRCPT TO:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
            .as_bytes(),
    )
    .await;
    let codes = [
        smtp.reply().await.code,
        smtp.reply().await.code,
        smtp.reply().await.code,
        smtp.reply().await.code,
    ];
    assert_eq!(codes, [250, 250, 452, 354]);
    smtp.send(b"Subject: pipelined\r\n\r\nbody\r\n").await;
    assert_eq!(smtp.command(".").await.code, 250);
    let received = server.received();
    assert_eq!(received[0].rcpt_to, [ALICE]);
    server.shutdown().await;
}
