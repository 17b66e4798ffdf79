//! SPF (RFC 7208): record parsing and the check_host() evaluator.

mod eval;
mod record;

pub use eval::{SpfAnswerError, SpfConfig, SpfEvaluator, SpfOutcome, SpfPoll, SpfResult};
pub use record::{
    is_spf_record, Directive, Macro, MacroLetter, MacroPart, MacroString, Mechanism, Modifier,
    Qualifier, SpfRecord, SpfRecordError, Term,
};
