//! JPEG 2000 → JPEG conversion of the REF-1 face (DG2: 531 × 413 RGB, 5 decomposition
//! levels, 9/7 irreversible wavelet), split into the JPEG 2000 decoding and the JPEG encoding.
//!
//! Run: `cargo bench -p emrtd-face --bench face -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use emrtd_face::{FaceLimits, to_jpeg};
use std::hint::black_box;

fn ref1_face() -> Vec<u8> {
    let dg2 = std::fs::read(format!(
        "{}/../../fixtures/documents/ref-1/0102.bin",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bio = emrtd_lds::biometric::BiometricDataGroup::parse(&dg2).unwrap();
    bio.templates
        .iter()
        .flat_map(|t| t.faces.iter())
        .next()
        .unwrap()
        .image
        .to_vec()
}

fn face(c: &mut Criterion) {
    let jp2 = ref1_face();
    let limits = FaceLimits::default();
    let out = to_jpeg(&jp2, &limits).unwrap();
    assert!(out.converted);
    c.bench_function("face/ref-1/jp2_to_jpeg", |b| {
        b.iter(|| to_jpeg(black_box(&jp2), &limits).unwrap())
    });
    c.bench_function("face/ref-1/jp2_decode", |b| {
        b.iter(|| emrtd_face::decode_jpeg2000_rgb(black_box(&jp2), &limits).unwrap())
    });
    let decoded = emrtd_face::decode_jpeg2000_rgb(&jp2, &limits).unwrap();
    c.bench_function("face/ref-1/jpeg_encode", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            emrtd_face::encode_jpeg(black_box(&decoded), 90, &mut out).unwrap();
            out
        })
    });
    // The JPEG input path: the converted face passed through (dimension check only).
    c.bench_function("face/ref-1/jpeg_passthrough", |b| {
        b.iter(|| to_jpeg(black_box(&out.jpeg), &limits).unwrap())
    });
}

criterion_group!(benches, face);
criterion_main!(benches);
