//! Terminal side of PACE-ECDH-GM-AES-128 (MSE:Set AT to the verified chip token) on
//! brainpoolP256r1 and P-256 (standardized ids 13 and 12: typed RustCrypto curves) and on
//! the same curves given as explicit domain parameters (run-time short-Weierstrass
//! arithmetic over crypto-bigint).
//!
//! The chip's answers are recorded once against the in-process card side with fixed
//! terminal randomness and replayed, so only the terminal's work is measured: nonce
//! decryption, two key pairs, H and Ĝ = s·G + H, the key agreement, KDF, both tokens.
//!
//! Run: `cargo bench -p emrtd-access --bench pace -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use emrtd_access::MrzKey;
use emrtd_access::pace::chip::{ChipProtocol, PaceChip, PaceChipConfig};
use emrtd_access::pace::terminal::{PaceConfig, PaceTerminal};
use emrtd_access::pace::{PaceProtocol, PaceSelection, Password};
use emrtd_apdu::ResponseApdu;
use emrtd_crypto::domain::Domain;
use emrtd_crypto::rng::{FixedBytes, os_rng};
use emrtd_secinfo::oid;
use std::hint::black_box;

struct Recorded {
    selection: PaceSelection,
    password: Password,
    terminal_random: Vec<u8>,
    responses: Vec<ResponseApdu>,
}

fn record(domain: Domain) -> Recorded {
    let protocol = PaceProtocol::from_oid(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128).unwrap();
    let password = Password::Mrz(MrzKey::new("T22000129", "640812", "101031").unwrap());
    let mut rng = os_rng();
    let terminal_random = [
        domain.generate_private_key(&mut rng).unwrap().to_vec(),
        domain.generate_private_key(&mut rng).unwrap().to_vec(),
    ]
    .concat();
    let mut chip = PaceChip::new(PaceChipConfig::new(
        vec![ChipProtocol {
            protocol,
            domain: domain.clone(),
            parameter_id: domain.id(),
        }],
        vec![password.clone()],
    ));
    let selection = PaceSelection::new(protocol, domain);
    let mut t = PaceTerminal::new(selection.clone(), &password, PaceConfig::default());
    let mut responses = Vec::new();
    let mut fixed = FixedBytes::new(terminal_random.clone());
    t.run(&mut fixed, |c| {
        let r = chip.process(c, &mut rng);
        responses.push(r.clone());
        Ok(r)
    })
    .unwrap();
    Recorded {
        selection,
        password,
        terminal_random,
        responses,
    }
}

fn terminal_side(r: &Recorded) {
    let mut t = PaceTerminal::new(r.selection.clone(), &r.password, PaceConfig::default());
    let mut rng = FixedBytes::new(r.terminal_random.clone());
    let mut i = 0;
    let out = t
        .run(&mut rng, |_| {
            let resp = r.responses[i].clone();
            i += 1;
            Ok(resp)
        })
        .unwrap();
    black_box(out);
}

fn explicit_copy(id: u32) -> Domain {
    let Domain::Ec(c) = Domain::standardized(id).unwrap() else {
        panic!()
    };
    let g = c.encode_point(&c.generator()).unwrap();
    Domain::explicit_ec(
        &c.p_bytes(),
        &c.a_bytes(),
        &c.b_bytes(),
        &g,
        &c.order_bytes(),
        &c.cofactor_bytes(),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "brainpoolP256r1 (id 13, typed bp256)",
            Domain::standardized(13).unwrap(),
        ),
        ("P-256 (id 12, typed p256)", Domain::standardized(12).unwrap()),
        (
            "brainpoolP256r1 explicit parameters (run-time arithmetic)",
            explicit_copy(13),
        ),
        ("P-256 explicit parameters (run-time arithmetic)", explicit_copy(12)),
    ];
    let mut group = c.benchmark_group("PACE-ECDH-GM-AES-128 terminal side");
    for (name, domain) in cases {
        let rec = record(domain);
        group.bench_function(name, |b| b.iter(|| terminal_side(&rec)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
