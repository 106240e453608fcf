//! Chip Authentication v1 and Active Authentication of ICAO Doc 9303-11 (§6.2 and §6.1),
//! terminal side and card side, as sans-IO state machines: a step returns the next
//! [`emrtd_apdu::CommandApdu`], the caller sends it (protected by the current secure
//! messaging session) and feeds the unprotected [`emrtd_apdu::ResponseApdu`] back.
//!
//! # Chip Authentication (terminal)
//!
//! 1. [`ca::CaParams::from_dg14`] (or [`ca::CaParams::from_security_infos`], or
//!    [`ca::CaParams::new`] with explicit values) picks the CA key and protocol by keyId;
//!    without a ChipAuthenticationInfo the protocol is inferred (3DES, `inferred = true`).
//! 2. [`ca::CaTerminal::new`] draws the ephemeral key pair from an rng;
//!    [`ca::CaTerminal::start`] gives MSE:Set KAT (3DES) or MSE:Set AT (AES);
//!    [`ca::CaTerminal::on_response`] gives [`ca::CaStep::Send`] (GENERAL AUTHENTICATE)
//!    or [`ca::CaStep::Pending`].
//! 3. [`ca::CaPending`] holds the new session (SSC = 0). CA has **not** succeeded yet:
//!    protect the next command with [`ca::CaPending::protect`], send it, and pass the raw answer
//!    to [`ca::CaPending::confirm`], which returns [`ca::CaConfirmed`] (with the session to
//!    continue with) only when the answer carries a valid MAC under the new keys.
//!
//! # Active Authentication (terminal)
//!
//! [`keys::parse_dg15`] → [`aa::AaPublicKey::new`] (EC keys need the hash of DG14's
//! ActiveAuthenticationInfo, see [`aa::ecdsa_hash_from_oid`]) → [`aa::AaTerminal::new`]
//! (8-byte challenge from the rng) → [`aa::AaTerminal::command`] → [`aa::AaTerminal::on_response`]
//! until [`aa::AaStep::Done`] (length retries on 61xx, 6Cxx and 6700 come as
//! [`aa::AaStep::Send`]). RSA uses ISO/IEC 9796-2 scheme 1 ([`iso9796`]), ECDSA accepts plain
//! `r || s` and DER.
//!
//! # Card side (virtual chip)
//!
//! * [`keys::PrivateKeyInfo::from_pkcs8`] loads RSA, EC (named/explicit) and DH keys;
//!   [`keys::PrivateKeyInfo::public_key`] gives what DG14/DG15 must hold.
//! * [`ca::CaCard`]: [`ca::CaCard::accepts`] / [`ca::CaCard::handle`] for the unprotected CA
//!   commands; [`ca::CaCardAction::RespondThenSwitch`] tells the card to answer under the old
//!   session and then switch to the new one.
//! * [`aa::card_internal_authenticate`] answers INTERNAL AUTHENTICATE;
//!   [`aa::sign_challenge`] / [`iso9796::sign`] produce the signature.
//!
//! # Groups
//!
//! [`ec::EcCurve`]: P-256/384/521 and brainpoolP256r1/P384r1 on the typed RustCrypto crates
//! (explicit parameters equal to them are recognised), every other prime curve (explicit
//! parameters, P-224, brainpoolP224r1, ...) on the run-time arithmetic of `emrtd-crypto`.
//! [`dh`]: finite-field DH on `emrtd_crypto::dh`.
//!
//! # Example
//!
//! Active Authentication with an ECDSA P-256 key, terminal against the card side of this
//! crate (on a real chip, `cmd` goes out under secure messaging and the key comes from DG15):
//!
//! ```
//! use emrtd_chipauth::aa::{self, AaPublicKey, AaSignatureScheme, AaStep, AaTerminal, EcdsaFormat};
//! use emrtd_chipauth::ec::{EcCurve, NamedCurve};
//! use emrtd_chipauth::iso9796::HashAlgorithm;
//! use emrtd_chipauth::keys::{EcPublicKey, PrivateKeyInfo, PublicKeyInfo};
//!
//! let mut rng = emrtd_crypto::rng::os_rng();
//! let curve = EcCurve::Named(NamedCurve::P256);
//! let (d, point) = curve.generate(&mut rng)?;
//! let chip_key = PrivateKeyInfo::Ec { curve: curve.clone(), d };
//! let dg15 = PublicKeyInfo::Ec(EcPublicKey { curve, point });
//! // The hash comes from DG14's ActiveAuthenticationInfo (e.g. ecdsa-plain-SHA256).
//! let key = AaPublicKey::new(dg15, Some(HashAlgorithm::Sha256))?;
//!
//! let mut terminal = AaTerminal::new(key, &mut rng); // draws the 8-byte RND.IFD
//! let cmd = terminal.command()?; // 00 88 00 00 08 RND.IFD 00
//! let scheme = AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain);
//! let resp = aa::card_internal_authenticate(&chip_key, scheme, &cmd, &mut rng);
//! let AaStep::Done(verified) = terminal.on_response(&resp)? else { panic!("no retry expected") };
//! assert_eq!(&verified.challenge[..], &cmd.data[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aa;
pub mod ca;
pub mod dh;
pub mod ec;
pub mod error;
pub mod iso9796;
pub mod keys;
pub mod oid;
mod util;

pub use error::{AaError, CaError, Iso9796Error, KeyError};
