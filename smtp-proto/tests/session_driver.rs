//! The client machine through the tokio driver (feature `tokio`), over an in-memory
//! duplex stream: against the server machine in its own driver, and against a silent
//! peer on tokio's paused clock (the timer a decision arms is started by the driver).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[cfg(not(feature = "tokio"))]
#[test]
fn session_driver_needs_the_tokio_feature() {
    eprintln!("SKIPPED: session_driver needs --features tokio");
}

#[cfg(feature = "tokio")]
mod driven {
    use std::time::Duration;

    use mailwire_smtp::client::{
        Client, ClientConfig, ClientEvent, MailEnvelope, TransactionOutcome, Waiting,
    };
    use mailwire_smtp::server::{ServerConfig, ServerEvent, ServerSession};
    use mailwire_smtp::tokio::{Driver, Next};
    use mailwire_smtp::types::{Command, Host, Mailbox};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn now() -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }

    fn envelope(to: &[&str]) -> MailEnvelope {
        to.iter().fold(
            MailEnvelope::new(Mailbox::parse("alice@client.test").unwrap().into_owned()),
            |e, t| e.to(Mailbox::parse(t).unwrap().into_owned()),
        )
    }

    fn client() -> Client {
        Client::new(
            ClientConfig::new(Host::new("client.test").unwrap().into_owned()),
            now(),
        )
    }

    /// The server machine in its own driver; accepts everything, returns the messages.
    async fn serve(stream: tokio::io::DuplexStream) -> Vec<Vec<u8>> {
        let config = ServerConfig::builder("mx.test").build().unwrap();
        let mut driver = Driver::new(stream, ServerSession::new(config, now()));
        let mut messages = Vec::new();
        let mut current = Vec::new();
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(event) => {
                    let server = driver.machine_mut();
                    match event {
                        ServerEvent::Mail { id, .. } | ServerEvent::Recipient { id, .. } => {
                            server.accept(id).unwrap();
                        }
                        ServerEvent::MessageData(bytes) => current.extend_from_slice(&bytes),
                        ServerEvent::MessageEnd { id, .. } => {
                            messages.push(std::mem::take(&mut current));
                            server.accept(id).unwrap();
                        }
                        _ => {}
                    }
                }
                Next::StartTls => panic!("no tls here"),
                Next::Closed => return messages,
            }
        }
    }

    #[tokio::test]
    async fn client_and_server_drivers_exchange_a_large_message() {
        let (client_end, server_end) = tokio::io::duplex(1024);
        let server = tokio::spawn(serve(server_end));
        // Larger than the pipe: the drivers must write and read at the same time.
        let content: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}: .dots. and text\r\n").into_bytes())
            .collect();
        let mut driver = Driver::new(client_end, client());
        let mut sent = false;
        let mut outcome = None;
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(ClientEvent::Ready { .. }) if !sent => {
                    sent = true;
                    let client = driver.machine_mut();
                    client.start_mail(envelope(&["bob@mx.test"])).unwrap();
                    for chunk in content.chunks(7_000) {
                        client.send_body(chunk.to_vec()).unwrap();
                    }
                    client.finish_body().unwrap();
                }
                Next::Event(ClientEvent::TransactionDone(report)) => {
                    outcome = Some(report.outcome);
                    driver.machine_mut().quit().unwrap();
                }
                Next::Event(ClientEvent::ProtocolError(error)) => panic!("{error}"),
                Next::Event(_) => {}
                Next::StartTls => panic!("no tls here"),
                Next::Closed => break,
            }
        }
        assert_eq!(
            outcome,
            Some(TransactionOutcome::Accepted { recipients: 1 })
        );
        let messages = server.await.unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0], content);
    }

    /// A server that answers faster than the application decides: its replies to the
    /// NOOP and QUIT the application sends on `Ready` arrive in the same read as the
    /// greeting and the EHLO reply. They wait in the machine for their commands, and
    /// the driver reads them when the machine asks for its timer at once.
    #[tokio::test]
    async fn replies_that_arrive_before_their_commands_reach_them_through_the_driver() {
        let (client_end, mut peer) = tokio::io::duplex(4096);
        peer.write_all(
            b"220 mx.test ESMTP\r\n250-mx.test\r\n250 PIPELINING\r\n\
              250 2.0.0 noop\r\n221 2.0.0 bye\r\n",
        )
        .await
        .unwrap();
        let mut driver = Driver::new(client_end, client());
        let mut noop = None;
        let mut replies = Vec::new();
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(ClientEvent::Ready { .. }) => {
                    let client = driver.machine_mut();
                    noop = Some(client.send(Command::Noop { argument: None }).unwrap());
                    client.quit().unwrap();
                }
                Next::Event(ClientEvent::Reply { id, reply }) => {
                    replies.push((Some(id) == noop, reply.code().get()));
                }
                Next::Event(ClientEvent::ProtocolError(error)) => panic!("{error}"),
                Next::Event(_) => {}
                Next::StartTls => panic!("no tls here"),
                Next::Closed => break,
            }
        }
        assert_eq!(replies, [(true, 250), (false, 221)]);
        drop(driver);
        let mut sent = String::new();
        peer.read_to_string(&mut sent).await.unwrap();
        assert_eq!(sent, "EHLO client.test\r\nNOOP\r\nQUIT\r\n");
    }

    #[tokio::test(start_paused = true)]
    async fn driver_times_out_a_silent_server() {
        let (client_end, mut peer) = tokio::io::duplex(4096);
        // A server that greets, answers EHLO, then never says anything again.
        let silent = tokio::spawn(async move {
            peer.write_all(b"220 mx.test ESMTP\r\n").await.unwrap();
            let mut seen = Vec::new();
            let mut buffer = [0u8; 1024];
            while !seen.ends_with(b"\r\n") {
                let n = peer.read(&mut buffer).await.unwrap();
                seen.extend_from_slice(&buffer[..n]);
            }
            peer.write_all(b"250-mx.test\r\n250 PIPELINING\r\n")
                .await
                .unwrap();
            let mut rest = Vec::new();
            let _ = peer.read_to_end(&mut rest).await;
            rest
        });
        let mut driver = Driver::new(client_end, client());
        let started = loop {
            match driver.next_event().await.unwrap() {
                Next::Event(ClientEvent::Ready { .. }) => {
                    // Some time passes before the application decides.
                    tokio::time::sleep(Duration::from_secs(1000)).await;
                    driver
                        .machine_mut()
                        .start_mail(envelope(&["bob@mx.test"]))
                        .unwrap();
                    break tokio::time::Instant::now();
                }
                Next::Event(_) => {}
                other => panic!("{other:?}"),
            }
        };
        let mut timed_out = None;
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(ClientEvent::TimedOut { waiting }) => {
                    timed_out = Some((waiting, started.elapsed()));
                }
                Next::Event(_) => {}
                Next::Closed => break,
                Next::StartTls => panic!("no tls here"),
            }
        }
        let (waiting, elapsed) = timed_out.expect("a timeout");
        assert_eq!(waiting, Waiting::Mail);
        // Five minutes from the decision, not from the last input 1000 s earlier.
        assert!(elapsed >= Duration::from_secs(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(301), "{elapsed:?}");
        drop(driver);
        let rest = silent.await.unwrap();
        assert_eq!(
            rest,
            b"MAIL FROM:<alice@client.test>\r\nRCPT TO:<bob@mx.test>\r\nDATA\r\n"
        );
    }
}
