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
//!
//! # Example
//!
//! Passive authentication of a virtual passport of the project's test PKI (`fixtures/`): the
//! SOD (EF `011D`) and DG1 (EF `0101`) exactly as read, against the test CSCA.
//!
//! ```
//! use emrtd_pa::{PaOptions, ReasonCode, TrustStore, verify_sod};
//! use std::collections::BTreeMap;
//!
//! let read = |p: &str| std::fs::read(format!("{}/../../fixtures/{p}", env!("CARGO_MANIFEST_DIR")));
//! let mut store = TrustStore::new();
//! store.add_der(&read("pki/csca-rsa.cer")?, "csca-rsa.cer")?;
//! let sod = read("documents/bac-td3-3des/011D.bin")?;
//! let mut dgs = BTreeMap::from([(1u8, read("documents/bac-td3-3des/0101.bin")?)]);
//! let opts = PaOptions { at: Some(1_780_272_000), ..PaOptions::default() }; // 2026-06-01
//! let outcome = verify_sod(&sod, &dgs, &store, &opts);
//! assert!(outcome.verified(), "{:?}", outcome.reasons);
//! assert_eq!(outcome.data_groups_with_valid_hash, [1]);
//!
//! // One changed byte in DG1 no longer matches the hash the Document Signer signed.
//! if let Some(byte) = dgs.get_mut(&1).and_then(|dg1| dg1.last_mut()) {
//!     *byte ^= 1;
//! }
//! let outcome = verify_sod(&sod, &dgs, &store, &opts);
//! assert!(!outcome.verified() && outcome.has(ReasonCode::DataGroupHashMismatch));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
    /// An LDS / CMS structure (SignedData, SOD, master list content) did not parse.
    #[error("{0}")]
    Lds(#[from] emrtd_lds::LdsError),
    /// The BER-TLV encoding of a certificate, CRL or master list is broken.
    #[error("TLV: {0}")]
    Tlv(#[from] emrtd_apdu::TlvError),
    /// A certificate or CRL has a structure X.509 does not allow (e.g. an empty version or
    /// extension).
    #[error("certificate: {0}")]
    Certificate(String),
    /// A file loaded as a master list is not an ICAO CSCA master list (wrong content type or
    /// structure).
    #[error("master list: {0}")]
    MasterList(String),
    /// A file could not be read (missing, unreadable, over [`store::MAX_FILE`]), a PEM file
    /// is malformed, or a file is neither certificate, CRL nor master list.
    #[error("{0}")]
    Io(String),
}

/// Why a check failed (or a note about what was not checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReasonCode {
    /// EF.SOD / EF.CardSecurity does not parse as the CMS SignedData of Doc 9303-10 §4.6.2, or
    /// it has no SignerInfo.
    SodStructure,
    /// The signed attributes are wrong (RFC 5652 §5.3): the content-type attribute is missing
    /// or differs from the eContentType, or the message-digest attribute is missing or is not
    /// the hash of the encapsulated LDSSecurityObject.
    SignedAttributesInvalid,
    /// The SignerInfo signature does not verify with the Document Signer's public key.
    SodSignatureInvalid,
    /// A digest or signature algorithm (SOD hash algorithm, SignerInfo digest or signature
    /// algorithm) is not supported; the check it belongs to is not made.
    UnsupportedAlgorithm,
    /// The SOD carries no Document Signer certificate and none was supplied
    /// ([`PaOptions::ds_certificate`]).
    DsCertificateMissing,
    /// The Document Signer certificate (in the SOD or supplied) does not parse.
    DsCertificateUnparsable,
    /// The Document Signer certificate's signature verifies with none of the trusted
    /// certificates of its issuer.
    DsCertificateSignatureInvalid,
    /// The check time is outside the Document Signer certificate's validity period.
    DsCertificateExpired,
    /// The trust store has no CSCA with the DS issuer's name or authority key identifier.
    CscaNotFound,
    /// The check time is outside the validity period of the CSCA the DS chains to.
    CscaExpired,
    /// Key usage or basic constraints forbid the chain: the DS lacks digitalSignature, the
    /// CSCA lacks keyCertSign or is not a CA (RFC 5280 §4.2.1.3, §4.2.1.9; the
    /// Doc 9303-12 certificate profiles).
    KeyUsage,
    /// The Document Signer's serial number is on a valid CRL of its issuer.
    DsRevoked,
    /// A CRL of the DS issuer verifies with no trusted certificate of its issuer; it is
    /// ignored.
    CrlSignatureInvalid,
    /// Countries disagree: the DS issuer's C differs from the CSCA's, or DG1's issuing state
    /// differs from the DS country.
    CountryMismatch,
    /// A data group's hash differs from the one in the LDSSecurityObject.
    DataGroupHashMismatch,
    /// A data group was supplied that has no hash in the LDSSecurityObject.
    DataGroupNotInSod,
    /// No data groups were supplied, so no hash was checked.
    NoDataGroups,
    /// A master list's signature or signer could not be verified against a configured master
    /// list signer root (its certificates are not added unless the file is marked trusted).
    MasterListSignerNotVerified,
    /// A note that does not fail anything (e.g. validity not checked for want of a check time,
    /// a skipped master list entry, several SignerInfos).
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
    /// What kind of failure or note this is.
    pub code: ReasonCode,
    /// Human-readable detail (names, serials, times, OIDs involved).
    pub detail: String,
}

impl Reason {
    /// A reason with its code and detail text.
    pub fn new(code: ReasonCode, detail: impl Into<String>) -> Self {
        Reason {
            code,
            detail: detail.into(),
        }
    }
}
