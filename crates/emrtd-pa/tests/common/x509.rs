//! Generic builders for the attack tests: certificates with any key, algorithm and extension
//! list, CRLs, CMS SignedData (SOD, master list), RSA keys, and Bleichenbacher's 2006 e = 3
//! signature forgery (computed from the public key alone). Included by the test files that
//! need it with `#[path = "common/x509.rs"] mod x509;` next to `mod common;` (kept out of
//! `common/mod.rs`, which bins/emrtd's tests include too).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common::{bits, int, octet, oid, seq, set, utc};
use emrtd_apdu::tlv::{Tag, encode, encode_constructed};
use emrtd_pa::HashAlg;
use num_bigint::BigUint;
use p256::ecdsa::SigningKey;
use rsa::traits::PublicKeyParts;

pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
pub const ECDSA_SHA1: &str = "1.2.840.10045.4.1";

/// An AlgorithmIdentifier; RSA algorithms carry NULL parameters.
pub fn alg(id: &str) -> Vec<u8> {
    if id.starts_with("1.2.840.113549.") {
        seq(&[&oid(id), &[0x05, 0x00]])
    } else {
        seq(&[&oid(id)])
    }
}

/// A positive INTEGER from unsigned big-endian bytes.
pub fn uint(v: &[u8]) -> Vec<u8> {
    let v = emrtd_lds::asn1::strip_int(v);
    let mut b = Vec::new();
    if v.first().is_none_or(|x| x & 0x80 != 0) {
        b.push(0);
    }
    b.extend(v);
    int(&b)
}

/// An RSA private key from `fixtures/pa-attacks` (PKCS#8 DER).
pub fn rsa_key(file: &str) -> rsa::PrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    let der = std::fs::read(format!(
        "{}/../../fixtures/pa-attacks/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    rsa::PrivateKey::from_pkcs8_der(&der).unwrap()
}

pub fn rsa_modulus(k: &rsa::PrivateKey) -> Vec<u8> {
    emrtd_lds::asn1::strip_int(&k.n().to_be_bytes()).to_vec()
}

pub fn rsa_spki_raw(n: &[u8], e: &[u8]) -> Vec<u8> {
    seq(&[
        &seq(&[&oid("1.2.840.113549.1.1.1"), &[0x05, 0x00]]),
        &bits(&seq(&[&uint(n), &uint(e)])),
    ])
}

pub fn rsa_spki(k: &rsa::PrivateKey) -> Vec<u8> {
    rsa_spki_raw(&rsa_modulus(k), &k.e().to_be_bytes())
}

/// A genuine RSASSA-PKCS1-v1_5 signature with SHA-256 (DigestInfo with NULL parameters, or
/// without parameters when `absent_params`).
pub fn rsa_sign(k: &rsa::PrivateKey, msg: &[u8], absent_params: bool) -> Vec<u8> {
    let digest = HashAlg::Sha256.digest(msg);
    let mut prefix = vec![0x30, 0x31, 0x30, 0x0D];
    prefix.extend(oid(HashAlg::Sha256.oid()));
    prefix.extend([0x05, 0x00, 0x04, 0x20]);
    if absent_params {
        prefix = vec![0x30, 0x2F, 0x30, 0x0B];
        prefix.extend(oid(HashAlg::Sha256.oid()));
        prefix.extend([0x04, 0x20]);
    }
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: Some(32),
        prefix: prefix.into_boxed_slice(),
    };
    k.sign(scheme, &digest).unwrap()
}

/// Integer cube root of an odd `y` modulo 2^`m` (x ↦ x³ is a bijection on odd residues).
fn cbrt_mod_pow2(y: &BigUint, m: u64) -> BigUint {
    let mask = (BigUint::from(1u8) << m) - 1u8;
    let mut x = BigUint::from(1u8);
    for i in 1..m {
        let c = (&x * &x * &x) & &mask;
        if c.bit(i) != y.bit(i) {
            x.set_bit(i, true);
        }
    }
    x
}

/// Bleichenbacher's 2006 forgery for e = 3, without the private key: a signature `s` of
/// `k` bytes with s³ (an integer below 2^(8k-15), so no reduction modulo n takes place) equal
/// to `00 01 FF×8 00 DigestInfo`, the DigestInfo's AlgorithmIdentifier holding the hash OID,
/// NULL and then a long OCTET STRING of garbage, followed by the real digest. A parser that
/// ignores elements after the parameters accepts it. `None` when the digest's last byte is
/// even (the cube root modulo 2^m needs an odd value): vary the message and try again.
pub fn forge_e3(k: usize, hash: HashAlg, digest: &[u8]) -> Option<Vec<u8>> {
    if digest.last()? & 1 == 0 {
        return None;
    }
    let hash_tlv = octet(digest);
    let mut layout = None;
    for g in (1..k).rev() {
        let alg = seq(&[&oid(hash.oid()), &[0x05, 0x00], &octet(&vec![0u8; g])]);
        let di = seq(&[&alg, &hash_tlv]);
        if 11 + di.len() == k {
            layout = Some((g, di));
            break;
        }
    }
    let (g, di) = layout?;
    let mut em = vec![0x00, 0x01];
    em.extend([0xFF; 8]);
    em.push(0x00);
    em.extend(&di);
    let suffix_len = hash_tlv.len();
    let prefix_len = k - suffix_len - g;
    // s mod 2^m fixes the suffix; the top of s (from the integer cube root of the middle of
    // the garbage range) fixes the prefix.
    let m = 8 * suffix_len as u64;
    let s_low = cbrt_mod_pow2(&BigUint::from_bytes_be(&em[k - suffix_len..]), m);
    let free_bits = 8 * (k - prefix_len) as u64;
    let target = (BigUint::from_bytes_be(&em[..prefix_len]) << free_bits) + (BigUint::from(1u8) << (free_bits - 1));
    let s_top = target.cbrt();
    let s = ((s_top >> m) << m) | s_low;
    let cube = (&s * &s * &s).to_bytes_be();
    let mut cube_k = vec![0u8; k - cube.len()];
    cube_k.extend(cube);
    assert_eq!(cube_k[..prefix_len], em[..prefix_len], "forged prefix");
    assert_eq!(cube_k[k - suffix_len..], em[k - suffix_len..], "forged suffix");
    let sb = s.to_bytes_be();
    let mut out = vec![0u8; k - sb.len()];
    out.extend(sb);
    Some(out)
}

/// An X.509 extension.
pub fn ext(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[&oid(id), &encode(Tag(0x01), &[0xFF]), &octet(value)])
    } else {
        seq(&[&oid(id), &octet(value)])
    }
}

pub fn ski_ext(key_id: &[u8]) -> Vec<u8> {
    ext("2.5.29.14", false, &octet(key_id))
}

pub fn aki_ext(key_id: &[u8]) -> Vec<u8> {
    ext("2.5.29.35", false, &seq(&[&encode(Tag(0x80), key_id)]))
}

/// keyUsage with the first byte of bits (0x80 digitalSignature, 0x04 keyCertSign, 0x02 cRLSign).
pub fn ku_ext(first: u8) -> Vec<u8> {
    let unused = if first == 0 { 0 } else { first.trailing_zeros() as u8 };
    ext("2.5.29.15", true, &encode(Tag(0x03), &[unused, first]))
}

pub fn ca_ext() -> Vec<u8> {
    ext("2.5.29.19", true, &seq(&[&encode(Tag(0x01), &[0xFF])]))
}

/// A TBSCertificate.
#[allow(clippy::too_many_arguments)]
pub fn tbs_cert(
    serial: &[u8],
    sig_alg: &[u8],
    issuer: &[u8],
    subject: &[u8],
    validity: (&str, &str),
    spki: &[u8],
    exts: &[Vec<u8>],
) -> Vec<u8> {
    let refs: Vec<&[u8]> = exts.iter().map(|e| e.as_slice()).collect();
    seq(&[
        &encode_constructed(Tag(0xA0), &[&int(&[2])]),
        &uint(serial),
        sig_alg,
        issuer,
        &seq(&[&utc(validity.0), &utc(validity.1)]),
        subject,
        spki,
        &encode_constructed(Tag(0xA3), &[&seq(&refs)]),
    ])
}

/// Certificate / CertificateList: the signed part, its algorithm and the signature.
pub fn signed(tbs: &[u8], outer_alg: &[u8], sig: &[u8]) -> Vec<u8> {
    seq(&[tbs, outer_alg, &bits(sig)])
}

/// A TBSCertList revoking `revoked` (serial bytes), with an AKI extension when given.
pub fn tbs_crl(
    sig_alg: &[u8],
    issuer: &[u8],
    updates: (&str, &str),
    revoked: &[&[u8]],
    aki: Option<&[u8]>,
    crl_number: u8,
) -> Vec<u8> {
    let entries: Vec<Vec<u8>> = revoked.iter().map(|s| seq(&[&uint(s), &utc(updates.0)])).collect();
    let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_slice()).collect();
    let mut exts = vec![ext("2.5.29.20", false, &int(&[crl_number]))];
    if let Some(a) = aki {
        exts.push(aki_ext(a));
    }
    let ext_refs: Vec<&[u8]> = exts.iter().map(|e| e.as_slice()).collect();
    seq(&[
        &int(&[1]),
        sig_alg,
        issuer,
        &utc(updates.0),
        &utc(updates.1),
        &seq(&refs),
        &encode_constructed(Tag(0xA0), &[&seq(&ext_refs)]),
    ])
}

/// ECDSA-SHA256 P-256 signature (DER).
pub fn ec_sign(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
    crate::common::sign(k, msg)
}

/// A CMS ContentInfo with SignedData over `econtent` (signed attributes: content type,
/// message digest). `sign` maps the DER of the signed attributes to the signature, or `None`.
pub fn signed_data(
    content_type: &str,
    econtent: &[u8],
    signer_cert: &[u8],
    signer_issuer: &[u8],
    signer_serial: &[u8],
    sig_alg: &[u8],
    sign: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let sha256 = seq(&[&oid(HashAlg::Sha256.oid()), &[0x05, 0x00]]);
    let attrs = [
        seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&oid(content_type)])]),
        seq(&[
            &oid("1.2.840.113549.1.9.4"),
            &set(&[&octet(&HashAlg::Sha256.digest(econtent))]),
        ]),
    ]
    .concat();
    let sig = sign(&encode(Tag(0x31), &attrs))?;
    let signer_info = seq(&[
        &int(&[1]),
        &seq(&[signer_issuer, &uint(signer_serial)]),
        &sha256,
        &encode(Tag(0xA0), &attrs),
        sig_alg,
        &octet(&sig),
    ]);
    let sd = seq(&[
        &int(&[3]),
        &set(&[&sha256]),
        &seq(&[&oid(content_type), &encode_constructed(Tag(0xA0), &[&octet(econtent)])]),
        &encode_constructed(Tag(0xA0), &[signer_cert]),
        &set(&[&signer_info]),
    ]);
    Some(seq(&[
        &oid("1.2.840.113549.1.7.2"),
        &encode_constructed(Tag(0xA0), &[&sd]),
    ]))
}

/// An LDS security object over `dgs` (SHA-256).
pub fn lds_security_object(dgs: &[(u8, &[u8])]) -> Vec<u8> {
    let hashes: Vec<Vec<u8>> = dgs
        .iter()
        .map(|(n, d)| seq(&[&int(&[*n]), &octet(&HashAlg::Sha256.digest(d))]))
        .collect();
    let refs: Vec<&[u8]> = hashes.iter().map(|e| e.as_slice()).collect();
    seq(&[
        &int(&[0]),
        &seq(&[&oid(HashAlg::Sha256.oid()), &[0x05, 0x00]]),
        &seq(&refs),
    ])
}

/// EF.SOD (tag 77) around a SignedData of an LDS security object.
pub fn sod(
    dgs: &[(u8, &[u8])],
    ds_cert: &[u8],
    ds_issuer: &[u8],
    ds_serial: &[u8],
    sig_alg: &[u8],
    sign: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let ci = signed_data(
        "2.23.136.1.1.1",
        &lds_security_object(dgs),
        ds_cert,
        ds_issuer,
        ds_serial,
        sig_alg,
        sign,
    )?;
    Some(encode(Tag(0x77), &ci))
}

/// CscaMasterList content.
pub fn master_list_content(certs: &[&[u8]]) -> Vec<u8> {
    seq(&[&int(&[0]), &set(certs)])
}

/// An ECDSA P-256 signature (DER) with SHA-256 or, for [`ECDSA_SHA1`], SHA-1.
pub fn ec_sign_alg(k: &SigningKey, sig_alg: &str, msg: &[u8]) -> Vec<u8> {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    if sig_alg == ECDSA_SHA1 {
        let s: p256::ecdsa::Signature = k.sign_prehash(&HashAlg::Sha1.digest(msg)).unwrap();
        return s.to_der().as_bytes().to_vec();
    }
    assert_eq!(sig_alg, ECDSA_SHA256);
    crate::common::sign(k, msg)
}

/// A CA or signer with a P-256 key.
pub struct EcCa {
    pub key: SigningKey,
    pub name: Vec<u8>,
    pub cert: Vec<u8>,
    pub key_id: Vec<u8>,
}

/// A self-signed P-256 CSCA named `cn` in `country` with key `seed`, key usage bits `ku` and
/// further extensions.
pub fn ec_csca(seed: u8, country: &str, cn: &str, ku: u8, extra: &[Vec<u8>]) -> EcCa {
    let key = crate::common::key(seed);
    let name = crate::common::name(country, cn);
    let key_id = crate::common::ski(&key);
    let mut exts = vec![ski_ext(&key_id), aki_ext(&key_id), ku_ext(ku), ca_ext()];
    exts.extend(extra.iter().cloned());
    let tbs = tbs_cert(
        &[seed],
        &alg(ECDSA_SHA256),
        &name,
        &name,
        ("200101000000Z", "400101000000Z"),
        &crate::common::spki(&key),
        &exts,
    );
    let cert = signed(&tbs, &alg(ECDSA_SHA256), &ec_sign(&key, &tbs));
    EcCa {
        key,
        name,
        cert,
        key_id,
    }
}

/// A DS certificate issued by `ca` for `spki`, signed with `sig_alg` (named `tbs_alg` inside
/// the TBS, normally the same), with further extensions.
pub fn ec_issued(
    ca: &EcCa,
    serial: u8,
    subject_spki: &[u8],
    sig_alg: &str,
    tbs_alg: &str,
    extra: &[Vec<u8>],
) -> Vec<u8> {
    let mut exts = vec![ski_ext(&[serial; 20]), aki_ext(&ca.key_id), ku_ext(0x80)];
    exts.extend(extra.iter().cloned());
    let tbs = tbs_cert(
        &[serial],
        &alg(tbs_alg),
        &ca.name,
        &crate::common::name("DE", "Document Signer"),
        ("200101000000Z", "400101000000Z"),
        subject_spki,
        &exts,
    );
    signed(&tbs, &alg(sig_alg), &ec_sign_alg(&ca.key, sig_alg, &tbs))
}

/// A CRL of `ca`'s name signed by `signer`'s key (naming `signer`'s key identifier).
pub fn ec_crl(ca_name: &[u8], signer: &EcCa, updates: (&str, &str), revoked: &[&[u8]]) -> Vec<u8> {
    let tbs = tbs_crl(&alg(ECDSA_SHA256), ca_name, updates, revoked, Some(&signer.key_id), 1);
    signed(&tbs, &alg(ECDSA_SHA256), &ec_sign(&signer.key, &tbs))
}
