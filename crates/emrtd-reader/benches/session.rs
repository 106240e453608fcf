//! The server's share of one REF-1 session, without the WebSocket: `read_document` (PACE
//! brainpoolP256r1 with the CAN, secure messaging, every file, CA, AA, PA against the embedded
//! test PKI) and the `emrtd_passport` result (face JPEG 2000 → JPEG, JSON).
//!
//! The chip's answers are recorded once from the virtual chip with fixed randomness on both
//! sides and replayed, so only the reader's work is measured (the virtual chip's own PACE,
//! CA and AA computations are not). Besides the criterion figures, the bench prints the
//! median time of each pipeline step over 200 replays (`--profile-steps` is not needed).
//!
//! Run: `cargo bench -p emrtd-reader --bench session -- --warm-up-time 1 --measurement-time 5`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use emrtd_pa::{PaOptions, TrustStore};
use emrtd_reader::{AccessKey, ReaderConfig, Reading, read_document, to_emrtd_passport};
use emrtd_sim::{SeededRng, VirtualChip};
use emrtd_transport::{LinkLimits, SyncChipTransport};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// 2026-06-01T00:00:00Z.
const AT: i64 = 1_780_272_000;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
}

fn store() -> TrustStore {
    emrtd_trust::test_pki_store().unwrap()
}

fn cfg() -> ReaderConfig {
    ReaderConfig {
        read_atr_info: true,
        extended_length: true,
        pa_options: PaOptions {
            at: Some(AT),
            ..PaOptions::default()
        },
        ..ReaderConfig::default()
    }
}

fn limits() -> LinkLimits {
    LinkLimits {
        extended_length: true,
        ..LinkLimits::default()
    }
}

fn key() -> AccessKey {
    AccessKey::Can(Zeroizing::new("123456".to_string()))
}

const SEED: &[u8] = b"docval-bench/ref-1";

/// Runs the session against the virtual chip and records its answers in order.
fn record(rt: &tokio::runtime::Runtime, store: &TrustStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut chip = VirtualChip::load(&fixtures().join("documents").join("ref-1")).unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let l2 = log.clone();
    let mut t = SyncChipTransport::new(
        move |c: &[u8]| {
            let r = chip.transmit(c);
            l2.lock().unwrap().push((c.to_vec(), r.clone()));
            r
        },
        limits(),
    );
    let mut rng = SeededRng::new(SEED);
    let reading = rt.block_on(read_document(&mut t, &key(), store, &cfg(), &mut rng));
    check(&reading);
    log.lock().unwrap().clone()
}

fn check(r: &Reading) {
    assert!(r.failure.is_none(), "{:?} {:?}", r.failure, r.errors);
    assert!(r.passive_authentication_ok(), "{:?}", r.passive_authentication);
}

/// One replayed reading: the reader's work only.
fn replay(rt: &tokio::runtime::Runtime, store: &TrustStore, answers: &[(Vec<u8>, Vec<u8>)]) -> Reading {
    let mut i = 0usize;
    let mut t = SyncChipTransport::new(
        move |c: &[u8]| {
            let (cmd, resp) = &answers[i];
            assert_eq!(
                c,
                cmd.as_slice(),
                "the reader sent another command than recorded at {i}"
            );
            i += 1;
            resp.clone()
        },
        limits(),
    );
    let mut rng = SeededRng::new(SEED);
    rt.block_on(read_document(&mut t, &key(), store, &cfg(), &mut rng))
}

fn session(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = store();
    let answers = record(&rt, &store);
    let reading = replay(&rt, &store, &answers);
    check(&reading);

    // Per-step medians, and the result building split into the face and the rest.
    let mut steps: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut result = Vec::new();
    let mut json = Vec::new();
    for _ in 0..200 {
        let r = replay(&rt, &store, &answers);
        for s in &r.steps {
            steps.entry(format!("{:?}", s.step)).or_default().push(s.elapsed);
        }
        let t0 = Instant::now();
        let p = to_emrtd_passport(&r, false);
        let t1 = Instant::now();
        let _ = std::hint::black_box(serde_json::to_vec(&p).unwrap());
        result.push(t1 - t0);
        json.push(t1.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    eprintln!("REF-1 reader steps, median of 200 replays (chip answers replayed):");
    let mut total = Duration::ZERO;
    for (name, v) in &mut steps {
        let m = median(v);
        total += m;
        eprintln!("  {name:<28} {:>9.1} µs", m.as_secs_f64() * 1e6);
    }
    eprintln!("  {:<28} {:>9.1} µs", "sum of step medians", total.as_secs_f64() * 1e6);
    eprintln!(
        "  {:<28} {:>9.1} µs",
        "to_emrtd_passport",
        median(&mut result).as_secs_f64() * 1e6
    );
    eprintln!(
        "  {:<28} {:>9.1} µs",
        "serde_json::to_vec",
        median(&mut json).as_secs_f64() * 1e6
    );

    c.bench_function("session/ref-1/read_document", |b| {
        b.iter(|| replay(&rt, &store, &answers))
    });
    c.bench_function("session/ref-1/read_document+result_json", |b| {
        b.iter(|| {
            let r = replay(&rt, &store, &answers);
            serde_json::to_vec(&to_emrtd_passport(&r, false)).unwrap()
        })
    });
}

criterion_group!(benches, session);
criterion_main!(benches);
