//! A small test PKI: CSCA, link and DS certificates, CRLs and EF.SOD files built from DER by
//! hand and signed with P-256 ECDSA (p256 crate), for negative tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use emrtd_apdu::tlv::{Tag, encode, encode_constructed};
use emrtd_lds::asn1::oid_from_string;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;

pub fn oid(s: &str) -> Vec<u8> {
    encode(Tag(0x06), &oid_from_string(s).unwrap())
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode_constructed(Tag(0x30), parts)
}

pub fn set(parts: &[&[u8]]) -> Vec<u8> {
    encode_constructed(Tag(0x31), parts)
}

pub fn int(v: &[u8]) -> Vec<u8> {
    encode(Tag(0x02), v)
}

pub fn octet(v: &[u8]) -> Vec<u8> {
    encode(Tag(0x04), v)
}

pub fn bits(v: &[u8]) -> Vec<u8> {
    let mut b = vec![0];
    b.extend(v);
    encode(Tag(0x03), &b)
}

pub fn utc(s: &str) -> Vec<u8> {
    encode(Tag(0x17), s.as_bytes())
}

pub fn name(c: &str, cn: &str) -> Vec<u8> {
    seq(&[
        &set(&[&seq(&[&oid("2.5.4.6"), &encode(Tag(0x13), c.as_bytes())])]),
        &set(&[&seq(&[&oid("2.5.4.3"), &encode(Tag(0x0C), cn.as_bytes())])]),
    ])
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

pub fn spki(k: &SigningKey) -> Vec<u8> {
    let point = k.verifying_key().to_sec1_bytes();
    seq(&[
        &seq(&[&oid("1.2.840.10045.2.1"), &oid("1.2.840.10045.3.1.7")]),
        &bits(&point),
    ])
}

pub fn ski(k: &SigningKey) -> Vec<u8> {
    emrtd_pa::HashAlg::Sha1.digest(&k.verifying_key().to_sec1_bytes())
}

pub fn ecdsa_sha256() -> Vec<u8> {
    seq(&[&oid("1.2.840.10045.4.3.2")])
}

pub fn sign(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let s: p256::ecdsa::Signature = k.sign(msg);
    s.to_der().as_bytes().to_vec()
}

pub const KU_DIGITAL_SIGNATURE: u8 = 0x80;
pub const KU_CERT_AND_CRL_SIGN: u8 = 0x06;

pub struct CertSpec<'a> {
    pub serial: u8,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: &'a str,
    pub not_after: &'a str,
    pub subject_key: &'a SigningKey,
    pub issuer_key: &'a SigningKey,
    pub key_usage: u8,
    pub ca: bool,
}

pub fn cert(s: &CertSpec<'_>) -> Vec<u8> {
    let ku_bits = encode(
        Tag(0x03),
        &[if s.key_usage == KU_DIGITAL_SIGNATURE { 7 } else { 1 }, s.key_usage],
    );
    let mut exts = vec![
        seq(&[&oid("2.5.29.14"), &octet(&octet(&ski(s.subject_key)))]),
        seq(&[
            &oid("2.5.29.35"),
            &octet(&seq(&[&encode(Tag(0x80), &ski(s.issuer_key))])),
        ]),
        seq(&[&oid("2.5.29.15"), &encode(Tag(0x01), &[0xFF]), &octet(&ku_bits)]),
    ];
    if s.ca {
        exts.push(seq(&[
            &oid("2.5.29.19"),
            &encode(Tag(0x01), &[0xFF]),
            &octet(&seq(&[&encode(Tag(0x01), &[0xFF])])),
        ]));
    }
    let ext_refs: Vec<&[u8]> = exts.iter().map(|e| e.as_slice()).collect();
    let tbs = seq(&[
        &encode_constructed(Tag(0xA0), &[&int(&[2])]),
        &int(&[s.serial]),
        &ecdsa_sha256(),
        &s.issuer,
        &seq(&[&utc(s.not_before), &utc(s.not_after)]),
        &s.subject,
        &spki(s.subject_key),
        &encode_constructed(Tag(0xA3), &[&seq(&ext_refs)]),
    ]);
    let sig = sign(s.issuer_key, &tbs);
    seq(&[&tbs, &ecdsa_sha256(), &bits(&sig)])
}

pub fn crl(issuer: &[u8], issuer_key: &SigningKey, revoked: &[u8]) -> Vec<u8> {
    let entries: Vec<Vec<u8>> = revoked
        .iter()
        .map(|s| seq(&[&int(&[*s]), &utc("200101000000Z")]))
        .collect();
    let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_slice()).collect();
    let tbs = seq(&[
        &int(&[1]),
        &ecdsa_sha256(),
        issuer,
        &utc("200101000000Z"),
        &utc("400101000000Z"),
        &seq(&refs),
    ]);
    let sig = sign(issuer_key, &tbs);
    seq(&[&tbs, &ecdsa_sha256(), &bits(&sig)])
}

pub fn sha256_alg() -> Vec<u8> {
    seq(&[&oid("2.16.840.1.101.3.4.2.1"), &[0x05, 0x00]])
}

/// An EF.SOD over `dgs`, signed by `ds_key`, carrying `ds_cert`.
pub fn sod(dgs: &[(u8, &[u8])], ds_cert: &[u8], ds_issuer: &[u8], ds_serial: u8, ds_key: &SigningKey) -> Vec<u8> {
    sod_encoded(dgs, ds_cert, ds_issuer, ds_serial, ds_key, false)
}

/// BER with the indefinite length form: `tag 80 … 00 00`.
pub fn indefinite(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![tag, 0x80];
    for p in parts {
        v.extend(*p);
    }
    v.extend([0, 0]);
    v
}

/// The same EF.SOD; with `ber`, ContentInfo, SignedData and the encapsulated content use the
/// indefinite length form and the eContent is a constructed OCTET STRING of two chunks.
pub fn sod_encoded(
    dgs: &[(u8, &[u8])],
    ds_cert: &[u8],
    ds_issuer: &[u8],
    ds_serial: u8,
    ds_key: &SigningKey,
    ber: bool,
) -> Vec<u8> {
    let hashes: Vec<Vec<u8>> = dgs
        .iter()
        .map(|(n, d)| seq(&[&int(&[*n]), &octet(&emrtd_pa::HashAlg::Sha256.digest(d))]))
        .collect();
    let refs: Vec<&[u8]> = hashes.iter().map(|e| e.as_slice()).collect();
    let lso = seq(&[&int(&[0]), &sha256_alg(), &seq(&refs)]);
    let attrs_content = [
        seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&oid("2.23.136.1.1.1")])]),
        seq(&[
            &oid("1.2.840.113549.1.9.4"),
            &set(&[&octet(&emrtd_pa::HashAlg::Sha256.digest(&lso))]),
        ]),
    ]
    .concat();
    let to_sign = encode(Tag(0x31), &attrs_content);
    let sig = sign(ds_key, &to_sign);
    let signer_info = seq(&[
        &int(&[1]),
        &seq(&[ds_issuer, &int(&[ds_serial])]),
        &sha256_alg(),
        &encode(Tag(0xA0), &attrs_content),
        &ecdsa_sha256(),
        &octet(&sig),
    ]);
    if ber {
        let (a, b) = lso.split_at(lso.len() / 2);
        let econtent = indefinite(0x24, &[&octet(a), &octet(b)]);
        let eci = indefinite(0x30, &[&oid("2.23.136.1.1.1"), &indefinite(0xA0, &[&econtent])]);
        let signed_data = indefinite(
            0x30,
            &[
                &int(&[3]),
                &set(&[&sha256_alg()]),
                &eci,
                &encode_constructed(Tag(0xA0), &[ds_cert]),
                &set(&[&signer_info]),
            ],
        );
        let ci = indefinite(
            0x30,
            &[&oid("1.2.840.113549.1.7.2"), &indefinite(0xA0, &[&signed_data])],
        );
        return encode(Tag(0x77), &ci);
    }
    let signed_data = seq(&[
        &int(&[3]),
        &set(&[&sha256_alg()]),
        &seq(&[&oid("2.23.136.1.1.1"), &encode_constructed(Tag(0xA0), &[&octet(&lso)])]),
        &encode_constructed(Tag(0xA0), &[ds_cert]),
        &set(&[&signer_info]),
    ]);
    let ci = seq(&[
        &oid("1.2.840.113549.1.7.2"),
        &encode_constructed(Tag(0xA0), &[&signed_data]),
    ]);
    encode(Tag(0x77), &ci)
}

/// DG1 with a TD3 MRZ of the given issuing state (check digits valid).
pub fn dg1(state: &str) -> Vec<u8> {
    let line1 = format!("P<{state}MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<");
    let line2 = "C11T002JM4D<<9608122F2310314<<<<<<<<<<<<<<<4";
    let mrz = format!("{line1}{line2}");
    encode(Tag(0x61), &encode(Tag(0x5F1F), mrz.as_bytes()))
}

/// A test PKI: a CSCA of `country` and a DS it issued.
pub struct Pki {
    pub csca_key: SigningKey,
    pub ds_key: SigningKey,
    pub csca: Vec<u8>,
    pub csca_name: Vec<u8>,
    pub ds: Vec<u8>,
    pub ds_serial: u8,
}

pub fn pki(country: &str, csca_validity: (&str, &str), ds_validity: (&str, &str)) -> Pki {
    let csca_key = key(1);
    let ds_key = key(2);
    let csca_name = name(country, "Test CSCA");
    let csca = cert(&CertSpec {
        serial: 1,
        issuer: csca_name.clone(),
        subject: csca_name.clone(),
        not_before: csca_validity.0,
        not_after: csca_validity.1,
        subject_key: &csca_key,
        issuer_key: &csca_key,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let ds = cert(&CertSpec {
        serial: 0x42,
        issuer: csca_name.clone(),
        subject: name(country, "Test DS"),
        not_before: ds_validity.0,
        not_after: ds_validity.1,
        subject_key: &ds_key,
        issuer_key: &csca_key,
        key_usage: KU_DIGITAL_SIGNATURE,
        ca: false,
    });
    Pki {
        csca_key,
        ds_key,
        csca,
        csca_name,
        ds,
        ds_serial: 0x42,
    }
}
