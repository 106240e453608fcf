//! docval's one ECDSA verifier as passive authentication uses it: the typed RustCrypto curve
//! when the parameters are a named curve's, emrtd-crypto's run-time curve otherwise; keys in
//! SEC 1 uncompressed or compressed form; both paths give the same verdicts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_chipauth::ec::EcCurve;
use emrtd_lds::pubkey::{PublicKey, SubjectPublicKeyInfo};
use emrtd_pa::HashAlg;
use emrtd_pa::ec::{curve, ecdsa_verify};

const MSG: &[u8] = b"docval ecdsa test message";
/// Keys and signatures made with OpenSSL (`openssl dgst -sha256 -sign`), as in the PA bench.
const CASES: [(&str, &str, &str); 2] = [
    (
        "P-256",
        "3059301306072a8648ce3d020106082a8648ce3d030107034200041e82296f24e4642bc65db84033bfb57cb524769d86981f4c6e5424134c621d0a587e157b91af053b0f187b01678e0ba8f39b515b88efb39458f8bd036e4c2bbc",
        "304502205ee996e93548b55cf96859159db42f0608d81f54c37f4df9d6bfe8df12b85e58022100dd8921194852b96c1304c69f30740bf42f9413d87a253c2711bbec629a31c344",
    ),
    (
        "brainpoolP256r1",
        "305a301406072a8648ce3d020106092b24030302080101070342000459b3a0cfdaeeaad038161b3671482cc7d87dced3662a100d73cbf091ce7dfaa46cabf12fc71ef83431cec18e09d8d7fef7675a3013f8b9051e82a5d46e081e64",
        "304502203a1b33804c5ab802587b08c6f5c8c4cc9058953a1caa308fc5e2af139490431802210098ac415481c1a5e3205a80134f78925872ac4442138d12e1e53f7bb79e1a8c07",
    ),
];

fn compress(point: &[u8]) -> Vec<u8> {
    let l = (point.len() - 1) / 2;
    let mut out = vec![if point[2 * l] & 1 == 1 { 0x03 } else { 0x02 }];
    out.extend_from_slice(&point[1..=l]);
    out
}

#[test]
fn typed_and_runtime_curves_agree_on_uncompressed_and_compressed_keys() {
    for (name, spki, sig) in CASES {
        let der = hex::decode(spki).unwrap();
        let key = SubjectPublicKeyInfo::parse(&emrtd_lds::asn1::one(&der).unwrap()).unwrap();
        let PublicKey::Ec { params, point } = &key.key else {
            panic!("{name}: not an EC key")
        };
        let sig = hex::decode(sig).unwrap();
        let digest = HashAlg::Sha256.digest(MSG);
        let typed = curve(&params.domain().unwrap());
        let EcCurve::Named(named) = &typed else {
            panic!("{name}: parameters not recognised as a named curve")
        };
        let runtime = EcCurve::Explicit(named.explicit());
        let compressed = compress(point);
        let mut wrong_digest = digest.clone();
        wrong_digest[0] ^= 1;
        let mut wrong_point = compressed.clone();
        wrong_point[0] ^= 1; // the other y: the negated key
        for (path, c) in [("typed", &typed), ("run-time", &runtime)] {
            assert!(ecdsa_verify(c, point, &digest, &sig), "{name} {path} uncompressed");
            assert!(ecdsa_verify(c, &compressed, &digest, &sig), "{name} {path} compressed");
            assert!(
                !ecdsa_verify(c, point, &wrong_digest, &sig),
                "{name} {path} wrong digest"
            );
            assert!(
                !ecdsa_verify(c, &wrong_point, &digest, &sig),
                "{name} {path} negated key"
            );
            assert!(
                !ecdsa_verify(c, &point[..point.len() - 1], &digest, &sig),
                "{name} {path} short key"
            );
            assert!(
                !ecdsa_verify(c, point, &digest, &sig[..sig.len() - 1]),
                "{name} {path} short signature"
            );
        }
    }
}
