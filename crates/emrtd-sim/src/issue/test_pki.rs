//! The ECDSA branch of the test PKI of `fixtures/pki` (the fictitious state Utopia, `UTO`),
//! rebuilt from its seed labels: the CSCA "CSCA Utopia ECDSA" (brainpoolP384r1, explicit
//! parameters) and the Document Signer "DS Utopia ECDSA" (brainpoolP256r1). The results are
//! byte for byte `fixtures/pki/csca-ecdsa-explicit.cer` and `fixtures/pki/ds-ecdsa.cer`, so a
//! verifier trusting the test PKI accepts what they sign. Their private keys are public.
//!
//! Also: a Document Signer issued on the fly under a CSCA given by the caller
//! ([`document_signer_under`]).

use super::pki::{self, Cert, CertSpec, Curve, Key, Role, SigAlg};
use super::{IssueError, R};
use crate::SeededRng;

/// The file name of the ECDSA Document Signer certificate under `fixtures/pki/`.
pub const ECDSA_DS_FILE: &str = "ds-ecdsa.cer";

/// The seed label of the test PKI's certificate signatures.
const SIGNATURES: &[u8] = b"docval-fixtures/pki-signatures";

/// The key of the ECDSA CSCA (brainpoolP384r1, explicit domain parameters).
pub fn csca_ecdsa_key() -> R<Key> {
    Key::ec(Curve::Bp384, "csca-ecdsa-bp384", true)
}

/// The certificate fields of the ECDSA CSCA (serial 2, 2025-06-01 to 2045-06-01).
pub fn csca_ecdsa_spec(key: &Key) -> CertSpec<'_> {
    CertSpec {
        serial: 2,
        subject_cn: "CSCA Utopia ECDSA",
        subject_key: key,
        not_before: "20250601000000",
        not_after: "20450601000000",
        role: Role::Csca,
    }
}

/// The self-signed ECDSA CSCA certificate and its key.
pub fn csca_ecdsa() -> R<(Cert, Key)> {
    let key = csca_ecdsa_key()?;
    let cert = pki::issue(
        &csca_ecdsa_spec(&key),
        None,
        SigAlg::EcdsaSha384,
        &mut SeededRng::new(SIGNATURES),
    )?;
    Ok((cert, key))
}

/// The ECDSA Document Signer (serial 0x0201, brainpoolP256r1, 2025-12-01 to 2036-12-01)
/// issued by `csca` (the ECDSA CSCA).
pub fn ds_ecdsa_under(csca: (&Cert, &Key)) -> R<(Cert, Key)> {
    let key = Key::ec(Curve::Bp256, "ds-ecdsa-bp256", false)?;
    let cert = pki::issue(
        &CertSpec {
            serial: 0x0201,
            subject_cn: "DS Utopia ECDSA",
            subject_key: &key,
            not_before: "20251201000000",
            not_after: "20361201000000",
            role: Role::DocumentSigner,
        },
        Some(csca),
        SigAlg::EcdsaSha384,
        &mut SeededRng::new(SIGNATURES),
    )?;
    Ok((cert, key))
}

/// The test PKI's ECDSA Document Signer certificate and key (`fixtures/pki/ds-ecdsa.cer`).
pub fn ecdsa_document_signer() -> R<(Cert, Key)> {
    let (csca, csca_key) = csca_ecdsa()?;
    ds_ecdsa_under((&csca, &csca_key))
}

/// A Document Signer issued on the fly under the CSCA `csca_cert_der` (X.509 DER) with its
/// private key `csca_key_der` (PKCS#8 DER; RSA, or ECDSA on P-256, P-384, brainpoolP256r1 or
/// brainpoolP384r1): a brainpoolP256r1 key from the seed `label`, valid `not_before` to
/// `not_after` (`YYYYMMDDHHMMSS`), signed with RSA PKCS#1 v1.5 / SHA-256 or ECDSA / SHA-384
/// as the CSCA key dictates. Refuses a key that does not belong to the certificate.
pub fn document_signer_under(
    csca_cert_der: &[u8],
    csca_key_der: &[u8],
    label: &str,
    not_before: &str,
    not_after: &str,
) -> R<(Cert, Key)> {
    let csca = Cert::from_der(csca_cert_der)?;
    let csca_key = Key::from_pkcs8(csca_key_der)?;
    let public = csca_key.public_bytes()?;
    if public.is_empty() || !csca_cert_der.windows(public.len()).any(|w| w == public.as_slice()) {
        return Err(IssueError::Input {
            what: "CSCA key".into(),
            reason: "the private key does not belong to the CSCA certificate".into(),
        });
    }
    let alg = match csca_key {
        Key::Rsa(_) => SigAlg::RsaPkcs1Sha256,
        _ => SigAlg::EcdsaSha384,
    };
    let key = Key::ec(Curve::Bp256, &format!("{label}/ds"), false)?;
    let serial = u64::from_be_bytes(
        pki::key_id(&key.spki()?)
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([1; 8]),
    ) >> 1;
    let cert = pki::issue(
        &CertSpec {
            serial,
            subject_cn: "DS emrtd sim new",
            subject_key: &key,
            not_before,
            not_after,
            role: Role::DocumentSigner,
        },
        Some((&csca, &csca_key)),
        alg,
        &mut SeededRng::new(format!("docval-sim/ds/{label}").as_bytes()),
    )?;
    Ok((cert, key))
}
