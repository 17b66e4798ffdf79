//! Errors of the server machine's decision methods: caller bugs, never protocol errors
//! (those are answered on the wire by the machine itself).

/// Why a decision of the application was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// No decision with this id is owed (already answered, or never issued).
    #[error("no decision is owed under this id")]
    UnknownId,
    /// The session was closed; decisions owed before are void.
    #[error("the session is closed")]
    Closed,
    /// A 3yz reply was given where only a final reply fits (challenges go through
    /// `sasl_challenge`).
    #[error("an intermediate reply cannot answer this decision")]
    IntermediateReply,
    /// The typed helper has no sensible default for this decision (VRFY, EXPN, HELP):
    /// give the reply with `reply`.
    #[error("this decision needs an explicit reply")]
    ReplyRequired,
    /// A SASL challenge was given for a decision that is not a generic SASL step.
    #[error("a challenge only answers a generic sasl step")]
    NotSaslStep,
}
