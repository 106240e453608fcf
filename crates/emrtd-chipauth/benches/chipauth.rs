//! Terminal-side public-key work of Chip Authentication and Active Authentication on the
//! typed curves (brainpoolP256r1 is REF-1's curve), and the fixed-base multiplication with
//! precomputed generator tables against a variable-base multiplication on the same curve.
//!
//! * `ca/<curve>`: ephemeral key pair (k·G, table) + ECDH with the chip's static key (k·P).
//! * `aa_ecdsa_verify/<curve>`: verification of one ECDSA signature over a SHA-256 digest.
//! * `mul/<curve>/generator_table` vs `mul/<curve>/variable_base`: `emrtd_crypto` typed k·G
//!   (precomputed tables) and k·P for a point P ≠ G.
//!
//! Run: `cargo bench -p emrtd-chipauth --bench chipauth -- --warm-up-time 1 --measurement-time 2`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use emrtd_chipauth::ec::{EcCurve, NamedCurve};
use emrtd_crypto::rng::os_rng;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut rng = os_rng();
    for (name, named) in [
        ("brainpoolP256r1", NamedCurve::BrainpoolP256r1),
        ("P-256", NamedCurve::P256),
    ] {
        let curve = EcCurve::Named(named);
        let (_chip_sk, chip_pk) = curve.generate(&mut rng).unwrap();
        c.bench_function(&format!("ca/{name}/key_pair+ecdh"), |b| {
            b.iter(|| {
                let (sk, pk) = curve.generate(&mut rng).unwrap();
                (pk, curve.ecdh(&sk, black_box(&chip_pk)).unwrap())
            })
        });

        let (aa_sk, aa_pk) = curve.generate(&mut rng).unwrap();
        let digest = [0x5Au8; 32];
        let sig = curve.ecdsa_sign_prehash(&aa_sk, &digest, &mut rng).unwrap();
        let (r, s) = sig.split_at(sig.len() / 2);
        assert!(curve.ecdsa_verify_prehash(&aa_pk, &digest, r, s).unwrap());
        c.bench_function(&format!("aa_ecdsa_verify/{name}"), |b| {
            b.iter(|| curve.ecdsa_verify_prehash(black_box(&aa_pk), &digest, r, s).unwrap())
        });

        let typed = named.typed();
        let g = curve.public_from_private(&[1]).unwrap();
        assert!(typed.is_generator(&g));
        let k = curve.generate(&mut rng).unwrap().0;
        let k = k.to_vec();
        assert_eq!(typed.mul_generator(&k).unwrap(), curve.public_from_private(&k).ok());
        c.bench_function(&format!("mul/{name}/generator_table"), |b| {
            b.iter(|| typed.mul_generator(black_box(&k)).unwrap())
        });
        c.bench_function(&format!("mul/{name}/variable_base"), |b| {
            b.iter(|| typed.mul(black_box(&chip_pk), black_box(&k)).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
