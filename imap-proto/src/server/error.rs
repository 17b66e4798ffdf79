//! Errors of the server machine's decision methods: caller bugs, never protocol errors
//! (those the machine answers on the wire itself).

/// Why a decision or a push of the application was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// No command with this id waits for a decision (already completed, aborted, or
    /// never issued).
    #[error("no command waits for a decision under this id")]
    UnknownId,
    /// The session is over; decisions owed before are void.
    #[error("the session is closed")]
    Closed,
    /// This decision does not fit what the command waits for (a challenge for LOGIN,
    /// `accept_append` when no literal waits, OK for an APPEND whose octets have not all
    /// arrived, a completion while the client owes a SASL response, ...).
    #[error("this decision does not fit the command's current step")]
    WrongDecision,
    /// Mailbox updates (EXISTS, EXPUNGE, FETCH, ...) need a selected mailbox.
    #[error("no mailbox is selected")]
    NoMailboxSelected,
    /// Unsolicited responses need a logged-in session (or an ALERT before it).
    #[error("unsolicited responses are not allowed in this state")]
    NotAllowedInState,
    /// Too many updates are held back already (see
    /// [`ServerConfig::max_held_updates`](crate::server::ServerConfig::max_held_updates)).
    #[error("too many updates are held back")]
    TooManyHeldUpdates,
}
