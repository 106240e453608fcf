//! Round trips per fixture: every virtual document read through docval-server over 127.0.0.1,
//! in extended-length mode (iOS-like: extended, no maxima, EF.ATR/INFO read) and in short mode
//! (Android-like), beside the theoretical minimum; then the session time over a relay with a
//! simulated 50 ms round trip per APDU.
//!
//! `cargo bench -p docval-server --bench roundtrips` prints a Markdown table (BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_server::config::{Config, Timeouts};
use docval_server::{AppState, serve, trust};
use emrtd_access::pace::{Preferences, select_protocol};
use emrtd_crypto::CipherSuite;
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_reader::files::ReadLimits;
use emrtd_sim::VirtualChip;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

fn access(chip: &VirtualChip) -> Access {
    let m = &chip.document().manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => Access::Can(can.clone()),
        (_, Some(mrz)) => Access::Mrz {
            document_number: mrz.document_number.clone(),
            date_of_birth: mrz.date_of_birth.clone(),
            date_of_expiry: mrz.date_of_expiry.clone(),
        },
        _ => panic!("no access key"),
    }
}

/// The fewest APDUs a reading of this document can take: the protocol commands that cannot be
/// avoided, plus ceil(size / largest chunk) READ BINARY per file, with the chunk the link and
/// the secure messaging cipher of the moment allow.
fn theoretical_minimum(chip: &VirtualChip, extended: bool) -> u64 {
    let doc = chip.document();
    let m = &doc.manifest;
    let file = |fid: u16| -> Option<usize> { doc.file(emrtd_sim::Df::Emrtd, fid).map(<[u8]>::len) };
    // Extended length is used only when the chip announces it in EF.ATR/INFO, within the
    // response size it announces.
    let announced = doc
        .file(emrtd_sim::Df::Mf, 0x2F01)
        .and_then(|a| emrtd_lds::misc::AtrInfo::parse(a).ok())
        .and_then(|a| a.extended_length_info)
        .map(|i| i.max_response_length.map_or(65_538, |r| r as usize));
    let mut n = 0u64;
    if extended {
        n += 1; // EF.ATR/INFO
    }
    let max_response = if extended { announced } else { None };
    let chunk = |cipher: CipherSuite| -> usize {
        match max_response {
            Some(r) => ReadLimits::chunk_for_response(r.min(65_538), Some(cipher.block_len())),
            None => ReadLimits::short(Some(cipher.block_len()), 0).max_chunk,
        }
    };
    let chunk_ok = |len: usize, cipher: CipherSuite| len.div_ceil(chunk(cipher)) as u64;
    n += 1; // EF.CardAccess (BAC documents answer 6A82)
    let card_access = doc.file(emrtd_sim::Df::Mf, 0x011C);
    let pace = card_access
        .and_then(|ca| emrtd_secinfo::SecurityInfos::parse(ca).ok())
        .and_then(|infos| select_protocol(&infos, &Preferences::default()).ok());
    let mut cipher = match &pace {
        Some(sel) => {
            n += 5 + 1; // MSE:Set AT, four GENERAL AUTHENTICATE, SELECT eMRTD application
            if m.keys.pace_cam_private_key.is_some()
                && let Some(cs) = doc.file(emrtd_sim::Df::Mf, 0x011D)
            {
                n += chunk_ok(cs.len(), sel.protocol.cipher);
            }
            sel.protocol.cipher
        }
        None => {
            n += 3; // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE
            CipherSuite::Tdes
        }
    };
    let dgs = &m.expect.data_groups;
    n += file(0x011D).map(|l| chunk_ok(l, cipher)).unwrap_or(0);
    if dgs.contains(&14)
        && let Some(dg14) = doc.file(emrtd_sim::Df::Emrtd, 0x010E)
    {
        n += chunk_ok(dg14.len(), cipher);
        let cam = m.keys.pace_cam_private_key.is_some();
        if !cam && let Ok(p) = emrtd_chipauth::ca::CaParams::from_dg14(dg14, None) {
            n += if p.protocol.cipher == CipherSuite::Tdes { 1 } else { 2 };
            cipher = p.protocol.cipher;
        }
    }
    if dgs.contains(&15)
        && let Some(l) = file(0x010F)
    {
        n += chunk_ok(l, cipher) + 1; // DG15 and INTERNAL AUTHENTICATE
    }
    for (dg, fid) in [(1u8, 0x0101u16), (2, 0x0102), (7, 0x0107), (11, 0x010B), (12, 0x010C)] {
        if dgs.contains(&dg)
            && let Some(l) = file(fid)
        {
            n += chunk_ok(l, cipher);
        }
    }
    n
}

struct Row {
    name: String,
    ext: (u64, u64, u64),
    short: (u64, u64, u64),
    rtt_ext_ms: u128,
    rtt_short_ms: u128,
}

async fn run_one(url: &str, dir: &Path, extended: bool, delay: Duration) -> (u64, u64, Duration) {
    let mut chip = VirtualChip::load(dir).unwrap();
    let mut opts = PhoneOptions::new(url, "YOUR CLIENT ID", access(&chip));
    opts.extended_length = extended;
    opts.platform = if extended { "ios".into() } else { "android".into() };
    opts.apdu_delay = delay;
    let start = Instant::now();
    let out = run_phone(&mut chip, &opts).await.unwrap();
    let elapsed = start.elapsed();
    assert_eq!(out.code(), Some(1000), "{}: {out:?}", dir.display());
    (out.apdus, out.bytes_to_chip + out.bytes_from_chip, elapsed)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let config = Config {
        timeouts: Timeouts {
            start_message: Duration::from_secs(10),
            response: Duration::from_secs(10),
            session: Duration::from_secs(300),
            ..Timeouts::default()
        },
        ..Config::default()
    };
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws1/validate", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, state, std::future::pending()));

    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.toml").is_file())
        .collect();
    dirs.sort();
    let mut rows = Vec::new();
    for dir in &dirs {
        let chip = VirtualChip::load(dir).unwrap();
        let (ae, be, _) = run_one(&url, dir, true, Duration::ZERO).await;
        let (as_, bs, _) = run_one(&url, dir, false, Duration::ZERO).await;
        let (_, _, te) = run_one(&url, dir, true, Duration::from_millis(50)).await;
        let (_, _, ts) = run_one(&url, dir, false, Duration::from_millis(50)).await;
        rows.push(Row {
            name: dir.file_name().unwrap().to_string_lossy().to_string(),
            ext: (ae, theoretical_minimum(&chip, true), be),
            short: (as_, theoretical_minimum(&chip, false), bs),
            rtt_ext_ms: te.as_millis(),
            rtt_short_ms: ts.as_millis(),
        });
    }
    println!(
        "| fixture | extended: APDUs | minimum | bytes | short: APDUs | minimum | bytes | 50 ms RTT session, extended | 50 ms RTT session, short |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} ms | {} ms |",
            r.name, r.ext.0, r.ext.1, r.ext.2, r.short.0, r.short.1, r.short.2, r.rtt_ext_ms, r.rtt_short_ms
        );
    }
}
