//! The real `mailserver` binary: the first start writes the configuration with every
//! default (and it parses back to the defaults), makes the certificate and the demo
//! user whose password it prints; `user add` (password on stdin) makes a user who can
//! then log in to the running server; `queue list|flush` and `user list` work; SIGTERM
//! stops it cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::process::Stdio;
use std::time::Duration;

use frontend::{peer, python, run_peer, test_config, wait_for_messages, DataDir};
use mailwire_examples::config::{Config, CONFIG_FILE_NAME};
use tokio::io::{AsyncBufReadExt, BufReader};

const MAILSERVER: &str = env!("CARGO_BIN_EXE_mailserver");

/// Runs the binary with `args` and `stdin`; exit code, stdout, stderr.
async fn mailserver(args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    let mut child = tokio::process::Command::new(MAILSERVER)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The program may exit without reading its input.
    let _ = tokio::io::AsyncWriteExt::write_all(&mut input, stdin).await;
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("mailserver finished within 60 s")
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Logs in over STARTTLS and sends one message; prints `auth CODE` and `data CODE`.
const LOGIN_AND_SEND: &str = r#"
import smtplib, ssl, sys
port, cafile, user, password, recipient = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
client.starttls(context=context)
client.ehlo("cli-test.example")
print("auth", client.login(user, password)[0])
client.mail(user)
client.rcpt(recipient)
print("data", client.data(b"Subject: from " + user.encode() + b"\r\n\r\nhello\r\n")[0])
client.quit()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_defaults_demo_user_user_add_and_queue_commands() {
    let dir = DataDir::new("binary");
    let data = dir.path().to_str().unwrap().to_string();

    // First start of any command: the configuration is written with every default.
    let (code, out, err) = mailserver(&["--data-dir", &data, "queue", "list"], b"").await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("wrote the default configuration"), "{out}");
    assert!(out.contains("0 queued messages"), "{out}");
    let written = dir.path().join(CONFIG_FILE_NAME);
    assert_eq!(Config::load(&written).unwrap(), Config::default());
    let (code, out, _) = mailserver(&["--data-dir", &data, "queue", "list"], b"").await;
    assert_eq!(code, Some(0));
    assert!(!out.contains("wrote the default configuration"), "{out}");

    // Run with a configuration on free ports: the certificate and the demo user are
    // made, the password printed once.
    let config_file = dir.path().join("test.toml");
    std::fs::write(&config_file, test_config().render().unwrap()).unwrap();
    let config_arg = config_file.to_str().unwrap().to_string();
    let mut server = tokio::process::Command::new(MAILSERVER)
        .args(["--data-dir", &data, "--config", &config_arg])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The logs go to stderr: keep reading them so the server never blocks on a full pipe.
    let mut stderr = server.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut all = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut all).await;
        String::from_utf8_lossy(&all).into_owned()
    });
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut demo = None;
    let mut submission = None;
    let started = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("mailserver: demo user ") {
                let (user, password) = rest.split_once(" password ").unwrap();
                demo = Some((user.to_string(), password.to_string()));
            }
            if let Some(address) = line.strip_prefix("mailserver: submission listening on ") {
                submission = Some(address.rsplit_once(':').unwrap().1.to_string());
            }
            if line.starts_with("mailserver: data in ") {
                return;
            }
        }
        panic!("mailserver ended before listening");
    })
    .await;
    assert!(started.is_ok(), "mailserver did not start within 60 s");
    let (demo_user, demo_password) = demo.expect("the demo user is printed");
    assert_eq!(demo_user, "demo@mailwire.test");
    assert_eq!(demo_password.len(), 20);
    let submission = submission.expect("the submission port is printed");
    let users_file = std::fs::read_to_string(dir.path().join("users")).unwrap();
    assert!(users_file.contains("demo@mailwire.test $argon2id$"));
    assert!(!users_file.contains(&demo_password), "stored hashed");
    let cert = dir.path().join("tls/cert.pem");
    assert!(cert.exists());

    // A user added from the command line while the server runs can log in at once.
    let (code, out, err) = mailserver(
        &[
            "--data-dir",
            &data,
            "--config",
            &config_arg,
            "user",
            "add",
            "Carol@MailWire.test",
        ],
        b"carol's new password\n",
    )
    .await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("user carol@mailwire.test added"), "{out}");
    let (code, _, err) = mailserver(
        &[
            "--data-dir",
            &data,
            "--config",
            &config_arg,
            "user",
            "add",
            "dave@elsewhere.example",
        ],
        b"pw\n",
    )
    .await;
    assert_eq!(code, Some(2), "{err}");
    let (code, out, _) = mailserver(
        &["--data-dir", &data, "--config", &config_arg, "user", "list"],
        b"",
    )
    .await;
    assert_eq!(code, Some(0));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["carol@mailwire.test", "demo@mailwire.test"]
    );

    if peer("python3") {
        let cert = cert.to_str().unwrap();
        let (ok, out, err) = python(
            LOGIN_AND_SEND,
            &[
                &submission,
                cert,
                "carol@mailwire.test",
                "carol's new password",
                "demo@mailwire.test",
            ],
        )
        .await;
        assert!(ok, "{out}\n{err}");
        assert!(
            out.contains("auth 235") && out.contains("data 250"),
            "{out}"
        );
        let (ok, out, err) = python(
            LOGIN_AND_SEND,
            &[
                &submission,
                cert,
                &demo_user,
                &demo_password,
                "carol@mailwire.test",
            ],
        )
        .await;
        assert!(ok, "{out}\n{err}");
        assert!(
            out.contains("auth 235") && out.contains("data 250"),
            "{out}"
        );
        let demo_box = dir.path().join("mail/demo@mailwire.test/Maildir");
        let delivered = wait_for_messages(&demo_box, 1).await;
        assert!(
            String::from_utf8_lossy(&delivered[0]).contains("Subject: from carol@mailwire.test")
        );
        wait_for_messages(&dir.path().join("mail/carol@mailwire.test/Maildir"), 1).await;
    }

    let (code, out, _) = mailserver(
        &[
            "--data-dir",
            &data,
            "--config",
            &config_arg,
            "queue",
            "list",
        ],
        b"",
    )
    .await;
    assert_eq!(code, Some(0));
    assert!(out.contains("queued messages"), "{out}");
    let (code, out, _) = mailserver(
        &[
            "--data-dir",
            &data,
            "--config",
            &config_arg,
            "queue",
            "flush",
        ],
        b"",
    )
    .await;
    assert_eq!(code, Some(0));
    assert!(out.contains("flush requested"), "{out}");

    // SIGTERM: a clean stop.
    let pid = server.id().unwrap().to_string();
    let (ok, _, _) = run_peer("kill", &["-TERM", &pid], b"").await;
    assert!(ok);
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("stopped within 30 s")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let logs = logs.await.unwrap();
    // One line per event an administrator needs.
    for event in [
        "listening",
        "connect",
        "auth ok",
        "message accepted",
        "delivered",
        "stopped",
    ] {
        assert!(logs.contains(event), "{event} in the logs:\n{logs}");
    }
}
