//! Passive authentication for eMRTDs (ICAO Doc 9303-11 §5.1, Doc 9303-12).
//!
//! * [`verify::verify_sod`]: SOD signature (signed attributes, RSA PKCS#1 v1.5, RSASSA-PSS,
//!   ECDSA on named or explicit curves, DER or plain signatures), the Document Signer chained
//!   to a CSCA of a [`store::TrustStore`] (validity, key usage, CRLs, country), and the data
//!   group hashes over the bytes exactly as read.
//! * [`store::TrustStore`]: CSCAs from DER/PEM files, directories and master lists (whose own
//!   signature is verified against configured roots), CRLs.
//!
//! Certificates are read with the TLV codec ([`cert`]), so explicit EC parameters and BER
//! quirks are accepted; signatures are always checked over the TBS bytes as found.
//! ECDSA uses this crate's own generic prime-curve arithmetic ([`ec`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cert;
pub mod ec;
pub mod hash;
pub mod rsa;
pub mod sig;
pub mod store;
pub mod verify;

pub use cert::{Certificate, Crl, Name};
pub use hash::HashAlg;
pub use store::{MasterListReport, TrustStore};
pub use verify::{PaOptions, PaOutcome, verify_card_security, verify_sod};

use serde::Serialize;
use thiserror::Error;

/// Errors of parsing certificates, CRLs, master lists and files.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PaError {
    #[error("{0}")]
    Lds(#[from] emrtd_lds::LdsError),
    #[error("TLV: {0}")]
    Tlv(#[from] emrtd_apdu::TlvError),
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("master list: {0}")]
    MasterList(String),
    #[error("{0}")]
    Io(String),
}

/// Why a check failed (or a note about what was not checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReasonCode {
    SodStructure,
    SignedAttributesInvalid,
    SodSignatureInvalid,
    UnsupportedAlgorithm,
    DsCertificateMissing,
    DsCertificateUnparsable,
    DsCertificateSignatureInvalid,
    DsCertificateExpired,
    CscaNotFound,
    CscaExpired,
    KeyUsage,
    DsRevoked,
    CrlSignatureInvalid,
    CountryMismatch,
    DataGroupHashMismatch,
    DataGroupNotInSod,
    NoDataGroups,
    MasterListSignerNotVerified,
    Info,
    /// The CRLs of the Document Signer's issuer are all past their nextUpdate: the
    /// revocation status is stale (fails PA under `PaOptions::fail_on_stale_crl`).
    RevocationStale,
    /// A CRL verified with a trusted certificate of its issuer that lacks the cRLSign key
    /// usage; the CRL is not used.
    CrlSignerNotAuthorized,
    /// A certificate's outer signatureAlgorithm differs from the one inside its TBS; the
    /// certificate is rejected.
    CertificateAlgorithmMismatch,
    /// A certificate has a critical extension outside the known set; it is rejected.
    UnknownCriticalExtension,
    /// An RSA key (Document Signer or CSCA) under 2048 bits (fails PA under
    /// `PaOptions::fail_on_weak_rsa_key`).
    WeakRsaKey,
    /// A SHA-1 signature (SOD or DS certificate) (fails PA under
    /// `PaOptions::fail_on_sha1_signature`).
    Sha1Signature,
}

/// One entry of the reason list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub detail: String,
}

impl Reason {
    pub fn new(code: ReasonCode, detail: impl Into<String>) -> Self {
        Reason {
            code,
            detail: detail.into(),
        }
    }
}
