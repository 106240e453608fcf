//! ECDSA verification for passive authentication, on any short-Weierstrass prime curve given
//! by its domain parameters (named or explicit), through docval's one ECDSA verifier:
//! [`emrtd_chipauth::ec::EcCurve`], which uses the typed RustCrypto curve when the parameters
//! are those of P-256, P-384, P-521, brainpoolP256r1 or brainpoolP384r1 (whether given by OID
//! or explicitly), and `emrtd-crypto`'s run-time curves otherwise. Active authentication uses
//! the same verifier.

use emrtd_chipauth::ec::{EcCurve, ExplicitCurve};
use emrtd_lds::pubkey::EcDomain;

/// The curve of `domain` for the verifier: typed when the parameters are a named curve's.
pub fn curve(domain: &EcDomain) -> EcCurve {
    EcCurve::from_explicit(ExplicitCurve {
        p: domain.p.clone(),
        a: domain.a.clone(),
        b: domain.b.clone(),
        g: domain.g.clone(),
        n: domain.n.clone(),
        h: domain.h.clone(),
    })
}

/// ECDSA verification (SEC 1 §4.1.4) of `sig` (DER `SEQUENCE { r, s }` or plain `r || s`,
/// BSI TR-03111) over the message hash `digest` with the public point `point` (SEC 1
/// encoding, compressed or uncompressed) on `curve`. The digest is taken as an integer
/// truncated to the bit length of n; r and s must lie in [1, n-1]; the point must lie on the
/// curve. `false` for a signature that does not verify or a key that cannot be used.
pub fn ecdsa_verify(curve: &EcCurve, point: &[u8], digest: &[u8], sig: &[u8]) -> bool {
    let Some((r, s)) = split_signature(sig, curve.order_len()) else {
        return false;
    };
    let prehash = match curve {
        // The typed verifier takes a prehash of at least half the field length; a shorter
        // digest (SHA-1 on a 384-bit curve) is the same integer left-padded with zeros.
        // Longer digests are truncated to the leftmost bits of n by both paths (n has a whole
        // number of bytes on these curves except P-521, whose 66-byte field no digest exceeds).
        EcCurve::Named(_) => {
            let field_len = curve.field_len();
            let mut padded = Vec::with_capacity(field_len.max(digest.len()));
            if digest.len() < field_len {
                padded.resize(field_len - digest.len(), 0);
            }
            padded.extend_from_slice(digest);
            padded
        }
        EcCurve::Explicit(_) => digest.to_vec(),
    };
    curve.ecdsa_verify_prehash(point, &prehash, &r, &s).unwrap_or(false)
}

/// Splits an ECDSA signature given as DER `SEQUENCE { r, s }` or as plain `r || s`
/// (BSI TR-03111) into its two integers.
pub fn split_signature(sig: &[u8], order_len: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    if let Ok(t) = emrtd_apdu::Tlv::parse_exact(sig)
        && t.tag == emrtd_apdu::Tag(0x30)
    {
        let mut it = t.children().ok()?;
        let r = it.next()?.ok()?;
        let s = it.next()?.ok()?;
        if it.next().is_none() && r.tag.0 == 0x02 && s.tag.0 == 0x02 {
            return Some((r.value.to_vec(), s.value.to_vec()));
        }
    }
    if sig.len() == 2 * order_len {
        let (r, s) = sig.split_at(order_len);
        return Some((r.to_vec(), s.to_vec()));
    }
    None
}
