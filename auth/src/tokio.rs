//! Answering the evaluators' DNS questions with hickory-resolver (feature `tokio`).
//!
//! [`HickoryDns`] turns a [`Question`] into an [`Answer`] (NXDOMAIN, no data, and failures
//! kept apart as the evaluators need them) and drives each evaluator to its end. DKIM key
//! questions are resolved concurrently; SPF and DMARC ask one question at a time, as their
//! algorithms are sequential.

use hickory_resolver::proto::rr::{RData, RecordType as HickoryType};
use hickory_resolver::{Name, TokioResolver};

use crate::dkim::{DkimOutcome, DkimPoll, DkimVerifier};
use crate::dmarc::{DmarcEvaluator, DmarcOutcome, DmarcPoll};
use crate::dns::{Answer, Question, Record, RecordType};
use crate::spf::{SpfEvaluator, SpfOutcome, SpfPoll};

/// Why an evaluation could not be driven to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriveError {
    /// The DKIM verifier still wants message bytes: call `finish` before driving it.
    #[error("the dkim verifier has not been given the whole message")]
    MessageNotFinished,
}

/// A resolver for the evaluators' questions; cheap to clone.
#[derive(Debug, Clone)]
pub struct HickoryDns {
    resolver: TokioResolver,
}

/// The name without its final dot.
fn plain(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_owned()
}

impl HickoryDns {
    /// Uses `resolver` (build it with the options you need: timeouts, name servers).
    pub fn new(resolver: TokioResolver) -> Self {
        Self { resolver }
    }

    /// Resolves one question. The name is looked up fully qualified (no search list).
    pub async fn answer(&self, question: &Question) -> Answer {
        let text = question.name.trim_end_matches('.');
        let Ok(name) = Name::from_ascii(format!("{text}.")) else {
            // A name DNS cannot carry does not exist.
            return Answer::NxDomain;
        };
        let record_type = match question.record_type {
            RecordType::Txt => HickoryType::TXT,
            RecordType::A => HickoryType::A,
            RecordType::Aaaa => HickoryType::AAAA,
            RecordType::Mx => HickoryType::MX,
            RecordType::Ptr => HickoryType::PTR,
        };
        match self.resolver.lookup(name, record_type).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .iter()
                    .filter_map(|data| match data {
                        RData::TXT(txt) => Some(Record::Txt(
                            txt.iter()
                                .map(|part| String::from_utf8_lossy(part).into_owned())
                                .collect(),
                        )),
                        RData::A(a) => Some(Record::A(a.0)),
                        RData::AAAA(aaaa) => Some(Record::Aaaa(aaaa.0)),
                        RData::MX(mx) => Some(Record::Mx {
                            preference: mx.preference(),
                            exchange: plain(mx.exchange()),
                        }),
                        RData::PTR(ptr) => Some(Record::Ptr(plain(&ptr.0))),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(error) if error.is_nx_domain() => Answer::NxDomain,
            Err(error) if error.is_no_records_found() => Answer::Records(Vec::new()),
            Err(_) => Answer::Error,
        }
    }

    /// Runs check_host() to its outcome.
    pub async fn check_spf(&self, mut evaluator: SpfEvaluator) -> SpfOutcome {
        loop {
            match evaluator.poll() {
                SpfPoll::Query(question) => {
                    let answer = self.answer(&question).await;
                    // The question was just asked, so the answer is always accepted.
                    let _ = evaluator.answer(&question, answer);
                }
                SpfPoll::Done(outcome) => return outcome,
            }
        }
    }

    /// Resolves every key question of a verifier that has the whole message, concurrently,
    /// and gives the outcomes.
    pub async fn verify_dkim(
        &self,
        mut verifier: DkimVerifier,
    ) -> Result<Vec<DkimOutcome>, DriveError> {
        loop {
            match verifier.poll() {
                DkimPoll::Done(outcomes) => return Ok(outcomes),
                DkimPoll::NeedMessage => return Err(DriveError::MessageNotFinished),
                DkimPoll::Query(_) => {
                    let questions = verifier.pending_questions();
                    let answers = futures_util::future::join_all(
                        questions.iter().map(|question| self.answer(question)),
                    )
                    .await;
                    for (question, answer) in questions.iter().zip(answers) {
                        let _ = verifier.answer(question, answer);
                    }
                }
            }
        }
    }

    /// Runs a DMARC evaluation to its outcome.
    pub async fn check_dmarc(&self, mut evaluator: DmarcEvaluator) -> DmarcOutcome {
        loop {
            match evaluator.poll() {
                DmarcPoll::Query(question) => {
                    let answer = self.answer(&question).await;
                    let _ = evaluator.answer(&question, answer);
                }
                DmarcPoll::Done(outcome) => return outcome,
            }
        }
    }
}
