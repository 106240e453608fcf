#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Domain logic of kyc-gateway, a Veriff-compatible KYC API whose decisions come from NFC chip
//! verification: signatures ([`signature`], [`rfc9421`]), session tokens ([`session_token`]),
//! request validation ([`request`]), error codes ([`error`]) and decisions from `emrtd_passport`
//! results ([`decision`]). Pure: no IO.
//!
//! The decision reads the chip result that the emrtd crates produce: the MRZ of DG1 (Doc 9303-10
//! §4.7.1) and the details of DG11/DG12 (§4.7.11, §4.7.12), passive authentication (Doc 9303-11
//! §5.1), active authentication (§6.1) and chip authentication (§6.2, BSI TR-03110-1). Supplied
//! names are compared after the transliteration of Doc 9303-3 ([`translit`]); ICAO nationality
//! codes (Doc 9303-3 §5) become ISO 3166-1 alpha-2 ([`country`]).
//!
//! ```
//! use chrono::NaiveDate;
//! use emrtd_result::{AuthResult, EmrtdPassport, MrzInfo, PassiveAuthenticationDetails};
//! use kyc_core::{DecisionPolicy, Supplied, Verdict, decide};
//!
//! let mrz = MrzInfo {
//!     document_type: "TD3".into(), document_code: "P".into(), issuing_state: "D".into(),
//!     primary_identifier: "MUSTERFRAU".into(), secondary_identifier: vec!["ERIKA".into()],
//!     nationality: "D".into(), document_number: "C01X00T47".into(), date_of_birth: "840812".into(),
//!     gender: "FEMALE".into(), date_of_expiry: "360101".into(), optional_data1: String::new(),
//!     optional_data2: None,
//! };
//! let pa = PassiveAuthenticationDetails {
//!     sod_signature_valid: true, document_certificate_valid: true, all_hashes_valid: true,
//!     data_groups_checked: vec![1, 2], data_groups_with_valid_hash: vec![1, 2], error: None,
//! };
//! let chip = EmrtdPassport {
//!     mrz_info: Some(mrz), passive_authentication: true, passive_authentication_details: Some(pa),
//!     chip_authentication_result: AuthResult::Success, ..EmrtdPassport::default()
//! };
//! let today = NaiveDate::from_ymd_opt(2026, 11, 25).ok_or("bad date")?;
//! let d = decide(&chip, &Supplied::default(), today, &DecisionPolicy::default());
//! assert_eq!((d.verdict, d.verdict.code()), (Verdict::Approved, 9001));
//! assert_eq!(d.person.date_of_birth.as_deref(), Some("1984-08-12"));
//! assert_eq!(d.document.country.as_deref(), Some("DE"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
