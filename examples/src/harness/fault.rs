//! Fault rules: which command, on which listener, with which argument, gets which fault,
//! how many times.

use std::time::Duration;

use mailwire_smtp::types::{EnhancedStatusCode, Reply, ReplyCode};

use crate::inbound::hook::{Fault, SmtpCommand};
use crate::inbound::Role;

/// Why a fault rule cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// An injected reply must refuse: its code is from 400 to 599.
    #[error("reply code {0} is not a 4yz or 5yz code")]
    NotARefusal(u16),
    /// The command's reply comes from the SMTP machine itself (HELO/EHLO, DATA's 354):
    /// only a delay or a disconnection can be injected there.
    #[error("the reply to {0} cannot be replaced (only delayed or dropped)")]
    ReplyNotReplaceable(SmtpCommand),
    /// The text is not usable in a reply (a control character, over 512 octets, or an
    /// enhanced code of another class than the reply's).
    #[error("the reply text is not usable in an smtp reply")]
    InvalidText,
}

/// One fault for one command: see [`SmtpCommand`] for where each command's fault acts.
///
/// ```
/// use std::time::Duration;
/// use mailwire_examples::harness::{FaultRule, SmtpCommand};
///
/// // RCPT TO:<bad@example.com> gets 550 (the enhanced code may head the text).
/// let refused = FaultRule::reply(SmtpCommand::Rcpt, 550, "5.1.1 No such user")
///     .unwrap()
///     .matching("bad@example.com");
/// // The first MAIL FROM the server sees gets 451; later ones are handled as usual.
/// let busy = FaultRule::reply(SmtpCommand::Mail, 451, "Try again later").unwrap().times(1);
/// // The connection drops when the client says DATA.
/// let dropped = FaultRule::disconnect(SmtpCommand::Data);
/// // The 250 to the message comes 2 seconds late.
/// let slow = FaultRule::delay(SmtpCommand::DataEnd, Duration::from_secs(2));
/// # let _ = (refused, busy, dropped, slow);
/// ```
#[derive(Debug, Clone)]
pub struct FaultRule {
    command: SmtpCommand,
    fault: Fault,
    argument: Option<String>,
    role: Option<Role>,
    remaining: Option<usize>,
}

/// Splits a leading enhanced status code (`5.1.1 text`) of the reply's class off `text`.
fn split_enhanced(code: ReplyCode, text: &str) -> (Option<EnhancedStatusCode>, &str) {
    let Some((head, rest)) = text.split_once(' ') else {
        return (None, text);
    };
    let mut parts = head.split('.').map(str::parse::<u16>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(class)), Some(Ok(subject)), Some(Ok(detail)), None)
            if u16::from(code.class()) == class =>
        {
            match u8::try_from(class)
                .ok()
                .and_then(|class| EnhancedStatusCode::new(class, subject, detail))
            {
                Some(enhanced) => (Some(enhanced), rest),
                None => (None, text),
            }
        }
        _ => (None, text),
    }
}

impl FaultRule {
    /// `command` is answered `code` with `text` (which may begin with an enhanced status
    /// code, `5.1.1 No such user`) instead of being decided. A `421` also closes the
    /// connection. The code must refuse (4yz or 5yz), and the command's reply must be the
    /// application's to give (not HELO/EHLO or DATA).
    pub fn reply(command: SmtpCommand, code: u16, text: &str) -> Result<FaultRule, FaultError> {
        if !(400..=599).contains(&code) {
            return Err(FaultError::NotARefusal(code));
        }
        if !command.takes_reply() {
            return Err(FaultError::ReplyNotReplaceable(command));
        }
        let reply_code = ReplyCode::new(code).ok_or(FaultError::NotARefusal(code))?;
        let (enhanced, text) = split_enhanced(reply_code, text);
        let reply =
            Reply::new(reply_code, enhanced, [text]).map_err(|_| FaultError::InvalidText)?;
        Ok(FaultRule::new(command, Fault::Reply(reply)))
    }

    /// The connection is closed when `command` arrives, without an answer to it (the
    /// replies to earlier commands are sent first). At [`SmtpCommand::DataEnd`] the
    /// message is not taken.
    pub fn disconnect(command: SmtpCommand) -> FaultRule {
        FaultRule::new(command, Fault::Disconnect)
    }

    /// The answer to `command` is sent `wait` late (the command is then handled as
    /// usual).
    pub fn delay(command: SmtpCommand, wait: Duration) -> FaultRule {
        FaultRule::new(command, Fault::Delay(wait))
    }

    fn new(command: SmtpCommand, fault: Fault) -> FaultRule {
        FaultRule {
            command,
            fault,
            argument: None,
            role: None,
            remaining: None,
        }
    }

    /// Only when the command's argument is `argument` (compared without case): the
    /// address of MAIL FROM (empty for `<>`) or RCPT TO, the user name of AUTH, the name
    /// given in HELO/EHLO. Connect, DATA and the end of DATA have an empty argument.
    pub fn matching(mut self, argument: impl Into<String>) -> FaultRule {
        self.argument = Some(argument.into());
        self
    }

    /// Only on the listener of `role` (by default on every SMTP listener).
    pub fn on_role(mut self, role: Role) -> FaultRule {
        self.role = Some(role);
        self
    }

    /// Only the first `count` times the rule matches (by default every time).
    pub fn times(mut self, count: usize) -> FaultRule {
        self.remaining = Some(count);
        self
    }

    /// The command.
    pub fn command(&self) -> SmtpCommand {
        self.command
    }

    /// The fault.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// True when the rule applies to `command` with `argument` on `role` (and has uses
    /// left).
    pub fn matches(&self, role: Role, command: SmtpCommand, argument: &str) -> bool {
        self.command == command
            && self.role.is_none_or(|only| only == role)
            && self
                .argument
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(argument))
            && self.remaining != Some(0)
    }

    /// Counts one use.
    pub(super) fn use_once(&mut self) {
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_must_refuse_and_be_replaceable() {
        assert_eq!(
            FaultRule::reply(SmtpCommand::Mail, 250, "ok").err(),
            Some(FaultError::NotARefusal(250))
        );
        assert_eq!(
            FaultRule::reply(SmtpCommand::Hello, 421, "no").err(),
            Some(FaultError::ReplyNotReplaceable(SmtpCommand::Hello))
        );
        assert_eq!(
            FaultRule::reply(SmtpCommand::Rcpt, 550, "bad\r\ntext").err(),
            Some(FaultError::InvalidText)
        );
    }

    #[test]
    fn a_leading_enhanced_code_of_the_same_class_is_taken_as_such() {
        let rule = FaultRule::reply(SmtpCommand::Rcpt, 550, "5.1.1 No such user").unwrap();
        let Fault::Reply(reply) = rule.fault() else {
            panic!("a reply fault");
        };
        assert_eq!(reply.to_string(), "550 5.1.1 No such user\r\n");
        assert_eq!(reply.enhanced(), EnhancedStatusCode::new(5, 1, 1));
        let plain = FaultRule::reply(SmtpCommand::Mail, 451, "Try later").unwrap();
        let Fault::Reply(reply) = plain.fault() else {
            panic!("a reply fault");
        };
        assert_eq!(reply.to_string(), "451 Try later\r\n");
        // An enhanced code of another class than the reply's stays text.
        let other = FaultRule::reply(SmtpCommand::Mail, 451, "5.1.1 x").unwrap();
        let Fault::Reply(reply) = other.fault() else {
            panic!("a reply fault");
        };
        assert_eq!(reply.enhanced(), None);
        assert_eq!(reply.to_string(), "451 5.1.1 x\r\n");
    }

    #[test]
    fn rules_match_command_role_argument_and_count() {
        let mut rule = FaultRule::disconnect(SmtpCommand::Rcpt)
            .matching("Bad@Example.com")
            .on_role(Role::Mx)
            .times(1);
        assert!(rule.matches(Role::Mx, SmtpCommand::Rcpt, "bad@example.COM"));
        assert!(!rule.matches(Role::Submission, SmtpCommand::Rcpt, "bad@example.com"));
        assert!(!rule.matches(Role::Mx, SmtpCommand::Mail, "bad@example.com"));
        assert!(!rule.matches(Role::Mx, SmtpCommand::Rcpt, "good@example.com"));
        rule.use_once();
        assert!(!rule.matches(Role::Mx, SmtpCommand::Rcpt, "bad@example.com"));
        let always = FaultRule::delay(SmtpCommand::Data, Duration::from_millis(1));
        assert!(always.matches(Role::Submissions, SmtpCommand::Data, ""));
    }
}
