//! Public-key primitives of passive authentication and the passive authentication of REF-1.
//!
//! * ECDSA verification on P-256 and brainpoolP256r1 (typed RustCrypto curves, the path for
//!   named curves and for explicit parameters equal to them) and on the generic run-time
//!   arithmetic of `emrtd_pa::ec` (the path for every other curve), same vectors.
//! * RSA verification with e = 65537: 2048 (PKCS#1 v1.5, an SOD), 3072 (PSS, the REF-1 SOD),
//!   4096 (PKCS#1 v1.5 and PSS, DS certificates under the RSA CSCA).
//! * The same two RSA-4096 DS certificate checks with the RustCrypto `rsa` crate (key set-up
//!   from the SPKI and verification), the comparison behind keeping this crate's own
//!   Montgomery exponentiation (issue 13, BENCHMARKS.md "RSA verification").
//! * `verify_sod` of REF-1 against the embedded test PKI: with a fresh trust store (every
//!   signature verified) and with a warm one (the DS → CSCA, CRL and link-certificate
//!   signatures remembered; validity and revocation still evaluated).
//!
//! Run: `cargo bench -p emrtd-pa --bench pa -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use emrtd_lds::cms::SignedData;
use emrtd_lds::pubkey::SubjectPublicKeyInfo;
use emrtd_lds::sod::EfSod;
use emrtd_pa::HashAlg;
use emrtd_pa::cert::Certificate;
use emrtd_pa::sig::{SigScheme, verify};
use emrtd_pa::store::{TrustStore, signed_by, verify_signed_data_signature};
use emrtd_pa::verify::{PaOptions, verify_sod};
use std::collections::BTreeMap;
use std::hint::black_box;

const MSG: &[u8] = b"docval ecdsa test message";
const P256_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200041e82296f24e4642bc65db84033bfb57cb524769d86981f4c6e5424134c621d0a587e157b91af053b0f187b01678e0ba8f39b515b88efb39458f8bd036e4c2bbc";
const P256_SIG: &str = "304502205ee996e93548b55cf96859159db42f0608d81f54c37f4df9d6bfe8df12b85e58022100dd8921194852b96c1304c69f30740bf42f9413d87a253c2711bbec629a31c344";
const BP256_SPKI: &str = "305a301406072a8648ce3d020106092b24030302080101070342000459b3a0cfdaeeaad038161b3671482cc7d87dced3662a100d73cbf091ce7dfaa46cabf12fc71ef83431cec18e09d8d7fef7675a3013f8b9051e82a5d46e081e64";
const BP256_SIG: &str = "304502203a1b33804c5ab802587b08c6f5c8c4cc9058953a1caa308fc5e2af139490431802210098ac415481c1a5e3205a80134f78925872ac4442138d12e1e53f7bb79e1a8c07";

fn fixture(p: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../fixtures/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn store() -> TrustStore {
    let mut s = TrustStore::new();
    for f in ["csca-rsa.cer", "csca-ecdsa-explicit.cer", "link-csca-rsa-to-ecdsa.cer"] {
        s.add_der(&fixture(&format!("pki/{f}")), f).unwrap();
    }
    for f in ["csca-rsa.crl", "csca-ecdsa.crl"] {
        s.add_crl(&fixture(&format!("pki/{f}")), f).unwrap();
    }
    s
}

fn ecdsa(c: &mut Criterion) {
    for (name, spki, sig) in [
        ("P-256", P256_SPKI, P256_SIG),
        ("brainpoolP256r1", BP256_SPKI, BP256_SIG),
    ] {
        let der = hex::decode(spki).unwrap();
        let key = SubjectPublicKeyInfo::parse(&emrtd_lds::asn1::one(&der).unwrap()).unwrap();
        let sig = hex::decode(sig).unwrap();
        assert!(verify(SigScheme::Ecdsa(HashAlg::Sha256), &key, None, MSG, &sig).unwrap());
        c.bench_function(&format!("ecdsa_verify/{name}/typed"), |b| {
            b.iter(|| {
                verify(
                    SigScheme::Ecdsa(HashAlg::Sha256),
                    black_box(&key),
                    None,
                    MSG,
                    black_box(&sig),
                )
                .unwrap()
            })
        });
        let emrtd_lds::pubkey::PublicKey::Ec { params, point } = &key.key else {
            panic!("not an EC key")
        };
        // The same parameters on the run-time curve (as explicit parameters that no typed
        // curve matches would be): emrtd-crypto's arithmetic instead of the typed crate's.
        let emrtd_chipauth::ec::EcCurve::Named(named) = emrtd_pa::ec::curve(&params.domain().unwrap()) else {
            panic!("not a named curve")
        };
        let runtime = emrtd_chipauth::ec::EcCurve::Explicit(named.explicit());
        let digest = HashAlg::Sha256.digest(MSG);
        assert!(emrtd_pa::ec::ecdsa_verify(&runtime, point, &digest, &sig));
        c.bench_function(&format!("ecdsa_verify/{name}/generic"), |b| {
            b.iter(|| emrtd_pa::ec::ecdsa_verify(&runtime, black_box(point), &digest, black_box(&sig)))
        });
    }
}

fn rsa(c: &mut Criterion) {
    let csca = Certificate::from_der(&fixture("pki/csca-rsa.cer")).unwrap();
    for (name, ds) in [
        ("rsa4096_pkcs1_sha256", "pki/ds-rsa-pkcs1.cer"),
        ("rsa4096_pss_sha256", "pki/ds-rsa-pss.cer"),
    ] {
        let ds = Certificate::from_der(&fixture(ds)).unwrap();
        assert!(signed_by(&ds, &csca));
        c.bench_function(&format!("rsa_verify/{name}"), |b| {
            b.iter(|| signed_by(black_box(&ds), black_box(&csca)))
        });
    }
    for (name, sod) in [
        ("rsa2048_pkcs1_sha256_sod", "documents/bac-td3-3des/011D.bin"),
        ("rsa3072_pss_sha256_sod", "documents/ref-1/011D.bin"),
    ] {
        let sod = EfSod::parse(&fixture(sod)).unwrap();
        let sd: &SignedData = &sod.signed_data;
        assert!(verify_signed_data_signature(sd, None).signature_valid);
        c.bench_function(&format!("rsa_verify/{name}"), |b| {
            b.iter(|| verify_signed_data_signature(black_box(sd), None).signature_valid)
        });
    }
}

/// The RustCrypto `rsa` crate on the same RSA-4096 DS certificates: the key is built from the
/// CSCA's SPKI on every verification, as this crate's own path does.
fn rsa_crate(c: &mut Criterion) {
    use rsa::sha2::{Digest, Sha256};
    let csca = Certificate::from_der(&fixture("pki/csca-rsa.cer")).unwrap();
    let emrtd_lds::pubkey::PublicKey::Rsa {
        modulus,
        public_exponent,
        ..
    } = &csca.spki.key
    else {
        panic!("not an RSA key")
    };
    let key = || {
        rsa::PublicKey::new_with_size_limits(
            rsa::BoxedUint::from_be_slice_vartime(emrtd_lds::asn1::strip_int(modulus)),
            rsa::BoxedUint::from_be_slice_vartime(emrtd_lds::asn1::strip_int(public_exponent)),
            1024..=8192,
        )
        .unwrap()
    };
    let ds = Certificate::from_der(&fixture("pki/ds-rsa-pkcs1.cer")).unwrap();
    let check = |ds: &Certificate| {
        key()
            .verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(&ds.tbs),
                &ds.signature,
            )
            .is_ok()
    };
    assert!(check(&ds));
    c.bench_function("rsa_crate_verify/rsa4096_pkcs1_sha256", |b| {
        b.iter(|| check(black_box(&ds)))
    });
    let ds = Certificate::from_der(&fixture("pki/ds-rsa-pss.cer")).unwrap();
    let check = |ds: &Certificate| {
        key()
            .verify(
                rsa::Pss::<Sha256>::new_with_salt(32),
                &Sha256::digest(&ds.tbs),
                &ds.signature,
            )
            .is_ok()
    };
    assert!(check(&ds));
    c.bench_function("rsa_crate_verify/rsa4096_pss_sha256", |b| {
        b.iter(|| check(black_box(&ds)))
    });
}

fn sod(c: &mut Criterion) {
    let sod = fixture("documents/ref-1/011D.bin");
    let mut dgs = BTreeMap::new();
    for (n, f) in [
        (1u8, "0101"),
        (2, "0102"),
        (7, "0107"),
        (11, "010B"),
        (12, "010C"),
        (14, "010E"),
        (15, "010F"),
    ] {
        dgs.insert(n, fixture(&format!("documents/ref-1/{f}.bin")));
    }
    let opts = PaOptions {
        at: Some(1_780_000_000),
        ..PaOptions::default()
    };
    let fresh = store();
    assert!(verify_sod(&sod, &dgs, &fresh, &opts).verified());
    c.bench_function("verify_sod/ref-1/fresh_trust_store", |b| {
        b.iter_batched(
            store,
            |s| verify_sod(&sod, &dgs, &s, &opts).verified(),
            criterion::BatchSize::SmallInput,
        )
    });
    let warm = store();
    assert!(verify_sod(&sod, &dgs, &warm, &opts).verified());
    c.bench_function("verify_sod/ref-1/warm_trust_store", |b| {
        b.iter(|| verify_sod(black_box(&sod), &dgs, &warm, &opts).verified())
    });
}

criterion_group!(benches, ecdsa, rsa, rsa_crate, sod);
criterion_main!(benches);
