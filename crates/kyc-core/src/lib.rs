#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Domain logic of kyc-gateway, a Veriff-compatible KYC API whose decisions come from NFC chip
//! verification: signatures ([`signature`]), request validation ([`request`]), error codes
//! ([`error`]) and decisions from `emrtd_passport` results ([`decision`]). Pure: no IO.

pub mod country;
pub mod decision;
pub mod error;
pub mod request;
pub mod rfc9421;
pub mod session_token;
pub mod signature;
pub mod translit;

pub use decision::{
    Check, CheckOutcome, Decision, DecisionDocument, DecisionPerson, DecisionPolicy, Supplied, Verdict, decide,
};
pub use error::{ApiError, check_query_id};
pub use request::{CreateSession, DocumentInput, MediaUpload, PersonInput, ValidationContext};
pub use signature::Scheme;
