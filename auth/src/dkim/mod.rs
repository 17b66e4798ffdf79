//! DKIM (RFC 6376, RFC 8301, RFC 8463): signature and key records, canonicalization, a
//! Sans-IO verifier that asks for key records, and a signer.
//!
//! Algorithms: `rsa-sha256` (keys of at least 1024 bits to verify, 2048 to 4096 to sign)
//! and `ed25519-sha256`. `rsa-sha1` is reported as too weak (RFC 8301) and never computed.

mod canon;
mod key;
mod message;
mod record;
mod sign;
mod verify;

pub use canon::{canonicalize_body, canonicalize_header, BodyCanonicalizer, BodyHash, BodyHasher};
pub use key::{DkimAlgorithm, DkimKeyError, DkimSigningKey};
pub use message::signature_input;
pub use record::{parse_tag_list, Canonicalization, DkimKey, DkimParseError, DkimSignature};
pub use sign::{DkimSignError, DkimSigner, DkimSigning};
pub use verify::{
    DkimAnswerError, DkimConfig, DkimFailure, DkimNeutral, DkimOutcome, DkimPermError, DkimPoll,
    DkimResult, DkimVerifier,
};
