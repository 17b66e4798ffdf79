//! Bad input on every port (MX, submission, submissions, the delivery agent's LMTP) gets
//! an answer, and the sessions of other clients go on as if nothing happened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use frontend::{
    peer, python, test_config, wait_for_messages, Raw, RawReply, TestServer, ALICE, BOB,
};
use mailwire_examples::delivery::LmtpTarget;
use mailwire_examples::inbound::Role;

/// Sends junk lines until the server gives up on the session; returns every reply.
async fn flood(raw: &mut Raw<tokio::net::TcpStream>) -> Vec<RawReply> {
    let junk: [&[u8]; 5] = [
        b"\x00\xff\xfe\x80 binary junk\r\n",
        b"MAIL FROM:<<<>>>\r\n",
        b"RCPT TO:nobody\r\n",
        b"BDAT x LAST\r\n",
        b"\x1b[2J\r\n",
    ];
    let mut replies = Vec::new();
    for round in 0..40 {
        let line = junk[round % junk.len()];
        raw.send(line).await;
        let reply = raw.reply().await;
        let done = reply.code == 421 || reply.code == 0;
        replies.push(reply);
        if done {
            break;
        }
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_every_port_gets_an_answer_and_other_sessions_keep_working() {
    let server = TestServer::start("garbage", test_config()).await;

    // A well-behaved client is in the middle of a transaction on the MX port.
    let mut good = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(good.reply().await.code, 220);
    assert_eq!(good.command("EHLO good.example").await.code, 250);
    assert_eq!(
        good.command("MAIL FROM:<good@good.example>").await.code,
        250
    );
    assert_eq!(
        good.command("RCPT TO:<alice@mailwire.test>").await.code,
        250
    );

    for role in [Role::Mx, Role::Submission] {
        let mut bad = Raw::connect(server.address(role)).await;
        assert_eq!(bad.reply().await.code, 220);
        // An over-long line is refused and skipped, not buffered.
        let long = format!("EHLO {}\r\n", "a".repeat(100_000));
        bad.send(long.as_bytes()).await;
        let reply = bad.reply().await;
        assert_eq!(reply.code, 500, "{role}: {reply:?}");
        // Bare LF line ends are refused too.
        bad.send(b"NOOP\n").await;
        assert_eq!(bad.reply().await.code, 500, "{role}");
        let replies = flood(&mut bad).await;
        // Every junk line was answered with a 5yz, until the error limit closed it.
        let (last, answered) = replies.split_last().unwrap();
        assert!(
            answered.iter().all(|r| r.code >= 500),
            "{role}: {replies:?}"
        );
        assert_eq!(last.code, 421, "{role}: {replies:?}");
        assert!(
            bad.read_to_end().await.is_empty(),
            "{role}: closed after 421"
        );
    }

    // Plain text on the implicit TLS port: rustls answers with a TLS alert and closes.
    let mut bad_tls = Raw::connect(server.address(Role::Submissions)).await;
    bad_tls.send(b"EHLO not-tls.example\r\n\r\n\r\n").await;
    let answer = bad_tls.read_to_end().await;
    assert_eq!(
        answer.first(),
        Some(&0x15),
        "a TLS alert record: {answer:?}"
    );

    // Junk on the delivery agent's LMTP port gets 500 and the agent serves the next
    // command.
    let LmtpTarget::Tcp(lmtp) = server.running().lmtp().clone() else {
        panic!("the test server's agent listens on TCP");
    };
    let mut bad_lmtp = Raw::connect(lmtp).await;
    assert_eq!(bad_lmtp.reply().await.code, 220);
    assert_eq!(bad_lmtp.command("\u{1}\u{2} junk").await.code, 500);
    assert_eq!(bad_lmtp.command("EHLO smtp.example").await.code, 500);
    assert_eq!(bad_lmtp.command("LHLO lmtp.example").await.code, 250);
    assert_eq!(bad_lmtp.command("QUIT").await.code, 221);

    // Junk inside an implicit TLS session is answered like anywhere else.
    if peer("python3") {
        let script = r#"
import smtplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
client = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=context, timeout=30)
client.ehlo("client.example")
print("junk", client.docmd("\x01JUNK\x7f")[0])
print("bad-auth", client.docmd("AUTH", "PLAIN !!!notbase64!!!")[0])
client.login(sys.argv[3], sys.argv[4])
print("noop", client.docmd("NOOP")[0])
client.quit()
"#;
        let port = server.port(Role::Submissions).to_string();
        let cert = server.cert();
        let (ok, out, err) = python(script, &[&port, cert.to_str().unwrap(), BOB.0, BOB.1]).await;
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("junk 500"), "{out}");
        assert!(out.contains("bad-auth 501"), "{out}");
        assert!(out.contains("noop 250"), "{out}");
    }

    // The well-behaved client finishes its message as if nothing happened.
    assert_eq!(good.command("DATA").await.code, 354);
    good.send(b"Subject: undisturbed\r\n\r\nstill here\r\n.\r\n")
        .await;
    assert_eq!(good.reply().await.code, 250);
    assert_eq!(good.command("QUIT").await.code, 221);
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    assert!(String::from_utf8_lossy(&delivered[0])
        .ends_with("Subject: undisturbed\r\n\r\nstill here\r\n"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_full_of_clients_refuses_more_with_421_and_frees_slots() {
    let mut config = test_config();
    config.mx.max_connections = 2;
    let server = TestServer::start("connections", config).await;
    let address = server.address(Role::Mx);
    let mut first = Raw::connect(address).await;
    let mut second = Raw::connect(address).await;
    assert_eq!(first.reply().await.code, 220);
    assert_eq!(second.reply().await.code, 220);
    let mut third = Raw::connect(address).await;
    let refused = third.reply().await;
    assert_eq!(refused.code, 421, "{refused:?}");
    assert!(refused.text().starts_with("4.7.0"), "{refused:?}");
    assert_eq!(first.command("QUIT").await.code, 221);
    // The slot is free once the first session has ended.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut again = Raw::connect(address).await;
        let reply = again.reply().await;
        if reply.code == 220 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no slot freed: {reply:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(second.command("NOOP").await.code, 250);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_tells_open_sessions_and_keeps_what_was_acknowledged() {
    let server = TestServer::start("shutdown", test_config()).await;
    let mut idle = Raw::connect(server.address(Role::Submission)).await;
    assert_eq!(idle.reply().await.code, 220);
    let mut busy = Raw::connect(server.address(Role::Mx)).await;
    busy.reply().await;
    busy.command("EHLO busy.example").await;
    assert_eq!(busy.command("MAIL FROM:<a@busy.example>").await.code, 250);
    assert_eq!(
        busy.command("RCPT TO:<alice@mailwire.test>").await.code,
        250
    );
    assert_eq!(busy.command("DATA").await.code, 354);
    busy.send(b"Subject: half a message\r\n\r\nnever fini")
        .await;
    let queue_dir = server.running().queue().dir().to_path_buf();
    server.stop().await;
    // Both clients are told, then the connection closes.
    let idle_reply = idle.reply().await;
    assert_eq!(idle_reply.code, 421, "{idle_reply:?}");
    assert!(idle_reply.text().starts_with("4.3.2"), "{idle_reply:?}");
    assert_eq!(busy.reply().await.code, 421);
    // The unacknowledged message left nothing in the spool.
    let queued = mailwire_examples::queue::Queue::scan(&queue_dir)
        .await
        .unwrap();
    assert!(queued.is_empty(), "{queued:?}");
}
