//! Typed errors. A chip or file that misbehaves gives one of these, never a panic and never a
//! successful result.

use emrtd_apdu::StatusWord;
use emrtd_sm::SmError;
use thiserror::Error;

/// Errors of ISO/IEC 9796-2 scheme 1 encoding, decoding and verification.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Iso9796Error {
    /// The first non-zero byte of the recovered representative F does not start with the bits `01`
    /// (scheme 1), or F is empty.
    #[error("message representative header is not scheme 1 (01xx xxxx)")]
    BadHeader,
    /// The header announces total recovery (third bit 0); Active Authentication uses partial
    /// recovery, with the terminal's challenge as the non-recoverable part M2.
    #[error("message representative does not announce partial recovery")]
    NotPartialRecovery,
    /// The last byte of F (and of `n - F`) is neither `BC` (implicit SHA-1) nor `xx CC` (explicit
    /// hash identifier), or a `CC` trailer has no identifier byte; carries the offending byte.
    #[error("bad or unsupported ISO/IEC 9796-2 trailer byte {0:02X}")]
    BadTrailer(u8),
    /// A two-byte trailer `xx CC` names a hash identifier that is not one of SHA-1/-224/-256/-384/
    /// -512/-512/224/-512/256; carries the identifier.
    #[error("unknown ISO/IEC 10118-3 hash identifier {0:02X} in the trailer")]
    UnknownHashId(u8),
    /// The padding between the header and M1 is not `B` nibbles ended by an `A` nibble.
    #[error("malformed ISO/IEC 9796-2 padding field")]
    BadPadding,
    /// F is shorter than the hash field its trailer announces.
    #[error("message representative too short for its hash")]
    TooShort,
    /// The hash field of F differs from `H(M1 || M2)`: the signature is not over this challenge
    /// (or not by this key).
    #[error("recovered hash does not match H(M1 || M2)")]
    DigestMismatch,
    /// The signature is longer than the modulus (after leading zeros), so it cannot be an RSA
    /// signature under this key.
    #[error("signature of {got} bytes for a modulus of {modulus} bytes")]
    SignatureLength {
        /// Length of the signature as received, in bytes.
        got: usize,
        /// Length of the RSA modulus, in bytes.
        modulus: usize,
    },
    /// The signature as an integer is 0 or not below the modulus n, or the public operation failed.
    #[error("signature is zero or not smaller than the modulus")]
    SignatureOutOfRange,
    /// The modulus has no room for header, hash and trailer (signing or encoding), or the
    /// representative is not below n.
    #[error("modulus too small for the hash and trailer")]
    ModulusTooSmall,
    /// Signing was asked with a modulus whose bit length is not a multiple of 8.
    #[error("modulus bit length is not a multiple of 8 (not supported for signing)")]
    ModulusNotByteAligned,
    /// M1 given to [`crate::iso9796::encode_representative`] does not fill the capacity exactly.
    #[error("M1 of {got} bytes, capacity is {want}")]
    M1Length {
        /// Length of the M1 given, in bytes.
        got: usize,
        /// The capacity for M1 of this modulus and trailer ([`crate::iso9796::m1_capacity`]).
        want: usize,
    },
    /// The RSA private-key operation (with its consistency check) failed (card side).
    #[error("RSA private key operation failed")]
    PrivateKeyOperation,
}

/// Errors parsing or using a public or private key.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The DER of a SubjectPublicKeyInfo, PKCS#8 key, DG14/DG15, or of domain parameters is
    /// malformed; the text says which structure and how.
    #[error("malformed key encoding: {0}")]
    Malformed(String),
    /// The key's algorithm OID (given in dotted form) is not rsaEncryption, id-ecPublicKey,
    /// dhpublicnumber, dhKeyAgreement or standardizedDomainParameters.
    #[error("unsupported key algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The curve or standardized domain parameters are not supported by this operation; the text
    /// names them.
    #[error("unsupported elliptic curve: {0}")]
    UnsupportedCurve(String),
    /// The public point or value is not on the curve / not in `1 < y < p - 1` (and of order q), or a
    /// key agreement gave the neutral element.
    #[error("public key is not a valid point or value of its group")]
    InvalidPublicKey,
    /// The private scalar or exponent is zero or out of range for its group.
    #[error("private key is out of range for its group")]
    InvalidPrivateKey,
    /// The `rsa` crate refused the key (e.g. modulus size or exponent); carries its message.
    #[error("RSA key rejected: {0}")]
    Rsa(String),
    /// The key is of a type the protocol cannot use (RSA for Chip Authentication, DH for Active
    /// Authentication); the text explains.
    #[error("key type does not fit the protocol: {0}")]
    WrongKeyType(&'static str),
}

/// Errors of Chip Authentication.
#[derive(Debug, Error)]
pub enum CaError {
    /// The chip's or card's key could not be parsed or used (also: DG14 does not parse).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The ChipAuthenticationInfo names a protocol OID (given in dotted form) that is not a known
    /// id-CA-DH/ECDH-* protocol.
    #[error("unsupported Chip Authentication protocol {0}")]
    UnsupportedProtocol(String),
    /// DG14 has no ChipAuthenticationPublicKeyInfo with the requested keyId (carried, leading zeros
    /// stripped), or none at all (`None`).
    #[error("DG14 has no Chip Authentication public key with key id {0:?}")]
    NoMatchingKey(Option<Vec<u8>>),
    /// No keyId was requested and DG14 has several CA keys, of which not exactly one has a
    /// ChipAuthenticationInfo.
    #[error("DG14 has several Chip Authentication keys and no key id was chosen")]
    AmbiguousKey,
    /// The protocol's key agreement (DH or ECDH) does not fit the type of the CA key.
    #[error("DG14 protocol {protocol} does not fit the key type {key}")]
    ProtocolKeyMismatch {
        /// The protocol OID in dotted-decimal form.
        protocol: String,
        /// The key type found (`"EC"` or `"DH"`).
        key: &'static str,
    },
    /// The chip answered a CA command with a non-success status word.
    #[error("chip rejected {step} with status {sw}")]
    ChipRejected {
        /// The command that failed (`"MSE:Set KAT"`, `"MSE:Set AT"`, `"GENERAL AUTHENTICATE"`).
        step: &'static str,
        /// The status word the chip answered with.
        sw: StatusWord,
    },
    /// The chip answered a CA command with data it should not send (MSE:Set KAT: none; GENERAL
    /// AUTHENTICATE: only `7C 00`).
    #[error("malformed response to {step}: {detail}")]
    MalformedResponse {
        /// The command whose response was malformed.
        step: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The chip's answer to the first command under the new keys failed secure messaging (no MAC,
    /// bad MAC, `6987`/`6988`): the chip does not hold the CA private key.
    #[error("secure messaging with the new Chip Authentication keys failed: {0}")]
    ConfirmFailed(SmError),
    /// A secure messaging session could not be set up with the derived keys, or protecting the
    /// confirmation command under them failed.
    #[error("secure messaging error: {0}")]
    Sm(#[from] SmError),
    /// A step of [`crate::ca::CaTerminal`] was called out of order (e.g. `start` twice, or after
    /// the run ended).
    #[error("step called in the wrong state: {0}")]
    WrongState(&'static str),
    /// A card-side failure described in text (for simulators building on [`crate::ca::CaCard`]).
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
    /// The DG15 key (or DG14) could not be parsed or is of a type that cannot sign; card side:
    /// the private key does not fit the signature scheme.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An RSA signature failed ISO/IEC 9796-2 scheme 1 verification.
    #[error("ISO/IEC 9796-2 signature check failed: {0}")]
    Iso9796(#[from] Iso9796Error),
    /// The ECDSA signature is well-formed but does not verify over the challenge.
    #[error("ECDSA signature does not verify")]
    EcdsaInvalid,
    /// The ECDSA signature is neither `r || s` of twice the order length nor a DER SEQUENCE of two
    /// INTEGERs in range; carries its length in bytes.
    #[error("ECDSA signature is neither plain r||s nor DER of the right size ({0} bytes)")]
    EcdsaMalformed(usize),
    /// The DG15 key is an EC key but no hash was given / DG14 has no ActiveAuthenticationInfo with
    /// a signatureAlgorithm (Doc 9303-11 §6.1 requires it for ECDSA).
    #[error("ECDSA Active Authentication needs the hash of DG14's ActiveAuthenticationInfo")]
    MissingEcdsaHash,
    /// The signatureAlgorithm OID of the ActiveAuthenticationInfo (given in dotted form) is not an
    /// ECDSA-with-SHA-1/SHA-2 or BSI ecdsa-plain-SHA* OID.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(String),
    /// The chip answered INTERNAL AUTHENTICATE with an error status word.
    #[error("chip rejected INTERNAL AUTHENTICATE with status {0}")]
    ChipRejected(StatusWord),
    /// The chip answered INTERNAL AUTHENTICATE with `9000` and no data.
    #[error("chip gave an empty signature")]
    EmptySignature,
    /// The chip asked for more length retries (61xx, 6Cxx, 6700) than the bound of one run.
    #[error("too many length retries (61xx/6Cxx/6700)")]
    TooManyRetries,
    /// The signature collected over GET RESPONSE chunks exceeds 64 KiB; carries the length so far.
    #[error("response too long ({0} bytes)")]
    ResponseTooLong(usize),
    /// A step of [`crate::aa::AaTerminal`] was called out of order.
    #[error("step called in the wrong state: {0}")]
    WrongState(&'static str),
    /// A challenge (RND.IFD) was not [`crate::aa::CHALLENGE_LEN`] = 8 bytes; carries its length.
    #[error("challenge must be 8 bytes, got {0}")]
    ChallengeLength(usize),
}
