#![no_main]
//! mailwire-auth DKIM verifier on an arbitrary message with arbitrary key answers: nothing
//! panics, it always ends, it asks at most one question per verified signature, and the
//! outcomes are the same whether the message comes whole or in chunks.
//!
//! Input: byte 0 is the chunk size (0: whole); byte 1 picks the answer to each question
//! (two bits per question: RFC 8463's published keys, NXDOMAIN, a DNS error, or a TXT
//! record made from the rest of the input); the rest is the message.

use libfuzzer_sys::fuzz_target;
use mailwire_auth::dkim::{DkimConfig, DkimOutcome, DkimPoll, DkimVerifier};
use mailwire_auth::dns::{Answer, Question, Record};

const ED25519: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const RSA: &str = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
const NOW: u64 = 1_790_910_000;

fn answer(question: &Question, index: usize, picks: u8, message: &[u8]) -> Answer {
    match (picks >> ((index * 2) % 8)) & 3 {
        0 if question.name.starts_with("brisbane.") => {
            Answer::Records(vec![Record::Txt(ED25519.to_owned())])
        }
        0 => Answer::Records(vec![Record::Txt(RSA.to_owned())]),
        1 => Answer::NxDomain,
        2 => Answer::Error,
        _ => {
            let tail = &message[message.len().saturating_sub(120)..];
            Answer::Records(vec![
                Record::Txt(String::from_utf8_lossy(tail).into_owned()),
                Record::Txt(format!(
                    "v=DKIM1; k=ed25519; p={}",
                    String::from_utf8_lossy(tail)
                )),
            ])
        }
    }
}

fn run(message: &[u8], chunk: usize, picks: u8) -> Vec<DkimOutcome> {
    let config = DkimConfig::default();
    let max_signatures = config.max_signatures;
    let mut verifier = DkimVerifier::new(config, NOW);
    let mut asked = 0;
    for piece in message.chunks(chunk.max(1)) {
        verifier.update(piece);
    }
    verifier.finish();
    loop {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                let reply = answer(&question, asked, picks, message);
                asked += 1;
                assert!(asked <= max_signatures, "too many questions");
                verifier
                    .answer(&question, reply)
                    .expect("asked question accepted");
            }
            DkimPoll::Done(outcomes) => {
                assert!(outcomes.len() <= max_signatures);
                return outcomes;
            }
            DkimPoll::NeedMessage => panic!("the message was finished"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [chunk, picks, message @ ..] = data else {
        return;
    };
    let whole = run(message, message.len(), *picks);
    if *chunk > 0 {
        assert_eq!(run(message, usize::from(*chunk), *picks), whole);
    }
});
