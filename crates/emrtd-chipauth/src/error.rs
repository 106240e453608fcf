//! Typed errors. A chip or file that misbehaves gives one of these, never a panic and never a
//! successful result.

use emrtd_apdu::StatusWord;
use emrtd_sm::SmError;
use thiserror::Error;

/// Errors of ISO/IEC 9796-2 scheme 1 encoding, decoding and verification.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Iso9796Error {
    #[error("message representative header is not scheme 1 (01xx xxxx)")]
    BadHeader,
    #[error("message representative does not announce partial recovery")]
    NotPartialRecovery,
    #[error("bad or unsupported ISO/IEC 9796-2 trailer byte {0:02X}")]
    BadTrailer(u8),
    #[error("unknown ISO/IEC 10118-3 hash identifier {0:02X} in the trailer")]
    UnknownHashId(u8),
    #[error("malformed ISO/IEC 9796-2 padding field")]
    BadPadding,
    #[error("message representative too short for its hash")]
    TooShort,
    #[error("recovered hash does not match H(M1 || M2)")]
    DigestMismatch,
    #[error("signature of {got} bytes for a modulus of {modulus} bytes")]
    SignatureLength { got: usize, modulus: usize },
    #[error("signature is zero or not smaller than the modulus")]
    SignatureOutOfRange,
    #[error("modulus too small for the hash and trailer")]
    ModulusTooSmall,
    #[error("modulus bit length is not a multiple of 8 (not supported for signing)")]
    ModulusNotByteAligned,
    #[error("M1 of {got} bytes, capacity is {want}")]
    M1Length { got: usize, want: usize },
    #[error("RSA private key operation failed")]
    PrivateKeyOperation,
}

/// Errors parsing or using a public or private key.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("malformed key encoding: {0}")]
    Malformed(String),
    #[error("unsupported key algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported elliptic curve: {0}")]
    UnsupportedCurve(String),
    #[error("public key is not a valid point or value of its group")]
    InvalidPublicKey,
    #[error("private key is out of range for its group")]
    InvalidPrivateKey,
    #[error("RSA key rejected: {0}")]
    Rsa(String),
    #[error("key type does not fit the protocol: {0}")]
    WrongKeyType(&'static str),
}

/// Errors of Chip Authentication.
#[derive(Debug, Error)]
pub enum CaError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("unsupported Chip Authentication protocol {0}")]
    UnsupportedProtocol(String),
    #[error("DG14 has no Chip Authentication public key with key id {0:?}")]
    NoMatchingKey(Option<Vec<u8>>),
    #[error("DG14 has several Chip Authentication keys and no key id was chosen")]
    AmbiguousKey,
    #[error("DG14 protocol {protocol} does not fit the key type {key}")]
    ProtocolKeyMismatch { protocol: String, key: &'static str },
    #[error("chip rejected {step} with status {sw}")]
    ChipRejected { step: &'static str, sw: StatusWord },
    #[error("malformed response to {step}: {detail}")]
    MalformedResponse { step: &'static str, detail: String },
    #[error("secure messaging with the new Chip Authentication keys failed: {0}")]
    ConfirmFailed(SmError),
    #[error("secure messaging error: {0}")]
    Sm(#[from] SmError),
    #[error("step called in the wrong state: {0}")]
    WrongState(&'static str),
    #[error("card side: {0}")]
    Card(String),
}

impl CaError {
    /// The status word a card should answer with for this error (card side).
    pub fn card_status(&self) -> StatusWord {
        match self {
            CaError::Sm(e) => e.status_word(),
            CaError::Key(_) => StatusWord::INCORRECT_DATA,
            CaError::NoMatchingKey(_) => StatusWord::REFERENCED_DATA_NOT_FOUND,
            CaError::WrongState(_) => StatusWord::CONDITIONS_NOT_SATISFIED,
            _ => StatusWord::INCORRECT_DATA,
        }
    }
}

/// Errors of Active Authentication.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AaError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("ISO/IEC 9796-2 signature check failed: {0}")]
    Iso9796(#[from] Iso9796Error),
    #[error("ECDSA signature does not verify")]
    EcdsaInvalid,
    #[error("ECDSA signature is neither plain r||s nor DER of the right size ({0} bytes)")]
    EcdsaMalformed(usize),
    #[error("ECDSA Active Authentication needs the hash of DG14's ActiveAuthenticationInfo")]
    MissingEcdsaHash,
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(String),
    #[error("chip rejected INTERNAL AUTHENTICATE with status {0}")]
    ChipRejected(StatusWord),
    #[error("chip gave an empty signature")]
    EmptySignature,
    #[error("too many length retries (61xx/6Cxx/6700)")]
    TooManyRetries,
    #[error("response too long ({0} bytes)")]
    ResponseTooLong(usize),
    #[error("step called in the wrong state: {0}")]
    WrongState(&'static str),
    #[error("challenge must be 8 bytes, got {0}")]
    ChallengeLength(usize),
}
