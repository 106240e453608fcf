//! A stable-toolchain fuzz harness.
//!
//! No nightly, so no libFuzzer/cargo-fuzz: every [`Target`] is a plain `fn(&[u8])` calling a
//! parser an attacker can reach. [`run_target`] feeds it the seed corpus (files from
//! `fixtures/`, plus built-in seeds) and then deterministic mutations of it (bit flips, random
//! and "interesting" bytes, BER length bytes, inserts, deletes, duplicated ranges, splices of
//! two corpus entries, truncation), stacked 1–8 deep. Every panic is caught, counted and the
//! input saved; a watchdog thread saves the input and ends the process when one input runs
//! longer than the hang limit; an input slower than the per-input limit counts as a timeout.
//!
//! There is no coverage feedback (that needs compiler instrumentation): the harness is a
//! blind mutational fuzzer, made effective by structured seeds. The SM target fixes the MAC
//! of mutated data objects so mutations reach the code behind the MAC check.

use emrtd_apdu::{CommandApdu, ResponseApdu, Tlv, TlvIter};
use emrtd_crypto::CipherSuite;
use emrtd_lds::{FileHint, LdsFile};
use emrtd_pa::{PaOptions, TrustStore};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Largest seed file read from the fixtures (bigger files, e.g. a 900 KB master list, would
/// make every execution slow; their structure is covered by smaller files of the same kind).
pub const MAX_SEED_BYTES: u64 = 256 * 1024;
/// Largest mutated input.
pub const MAX_INPUT_BYTES: usize = 300 * 1024;
/// Seed files per target.
pub const MAX_SEEDS: usize = 96;

/// Turns a seed file into a target's input.
pub type Extractor = fn(&[u8]) -> Option<Vec<u8>>;

/// One fuzz target.
pub struct Target {
    pub name: &'static str,
    pub about: &'static str,
    /// Seed files: (directory under `fixtures/`, file-name suffix; "" for every file).
    pub seed_dirs: &'static [(&'static str, &'static str)],
    /// Turns a seed file into the target's input (e.g. the JPEG 2000 image inside DG2).
    pub extract: Option<Extractor>,
    /// Seeds built into the harness.
    pub builtin: fn() -> Vec<Vec<u8>>,
    pub run: fn(&[u8]),
}

/// Every target.
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "apdu",
            about: "CommandApdu::parse, ResponseApdu::parse, StatusWord::meaning, re-encoding",
            seed_dirs: &[],
            extract: None,
            builtin: builtin_apdus,
            run: run_apdu,
        },
        Target {
            name: "tlv",
            about: "BER-TLV: Tlv::parse, TlvIter (zero padding), children, recursively",
            seed_dirs: &[("documents", ".bin"), ("vectors/eac-worked-example", ".bin")],
            extract: None,
            builtin: Vec::new,
            run: run_tlv,
        },
        Target {
            name: "sm",
            about: "SmSession::unprotect (3DES and AES): raw responses, and data objects with a valid MAC",
            seed_dirs: &[],
            extract: None,
            builtin: builtin_sm,
            run: run_sm,
        },
        Target {
            name: "secinfos",
            about: "SecurityInfos (EF.CardAccess, DG14, EF.CardSecurity), CA parameters, DG15 keys",
            seed_dirs: &[
                ("documents", "011C.bin"),
                ("documents", "010E.bin"),
                ("documents", "010F.bin"),
                ("vectors/eac-worked-example", ".bin"),
                ("vectors/real-dg14-cardaccess", ".bin"),
                ("vectors/cardaccess-samples", "dg14.bin"),
            ],
            extract: None,
            builtin: Vec::new,
            run: run_secinfos,
        },
        Target {
            name: "lds",
            about: "LdsFile::parse of every file kind (EF.COM, DG1-DG16, EF.SOD, EF.CardAccess/Security, EF.ATR/INFO, EF.DIR)",
            seed_dirs: &[
                ("documents", ".bin"),
                ("vectors/icao-p10-sample-document", ".bin"),
                ("vectors/bsi-tr03105-mustermann", ".bin"),
            ],
            extract: None,
            builtin: Vec::new,
            run: run_lds,
        },
        Target {
            name: "sod",
            about: "EF.SOD / CMS SignedData: parse, then passive authentication (verify_sod, verify_card_security) against the test PKI",
            seed_dirs: &[
                ("documents", "011D.bin"),
                ("vectors/real-sod", ""),
                ("vectors/cardaccess-samples", "SOD.bin"),
                ("vectors/icao-p10-sample-document", "SOD_AT_real.bin"),
                ("vectors/bsi-tr03105-mustermann", "EF_SOD.bin"),
            ],
            extract: None,
            builtin: Vec::new,
            run: run_sod,
        },
        Target {
            name: "x509",
            about: "X.509 certificates, CRLs, master lists (TrustStore::load_bytes, add_master_list), DS chain to the test PKI",
            seed_dirs: &[
                ("pki", ".cer"),
                ("pki", ".crl"),
                ("pki", ".ml"),
                ("vectors/masterlists", ""),
                ("vectors/csca-certs-historical", ""),
            ],
            extract: None,
            builtin: Vec::new,
            run: run_x509,
        },
        Target {
            name: "mrz",
            about: "MRZ text (Mrz::parse, check digits) and DG1 (Dg1::parse)",
            seed_dirs: &[
                ("documents", "0101.bin"),
                ("vectors/icao-p10-sample-document", "DG1.bin"),
            ],
            extract: None,
            builtin: builtin_mrz,
            run: run_mrz,
        },
        Target {
            name: "face",
            about: "emrtd_face::to_jpeg (JPEG 2000 / JP2 to JPEG) with small limits",
            seed_dirs: &[
                ("documents", "0102.bin"),
                ("vectors/icao-p10-sample-document", "DG2.bin"),
                ("vectors/bsi-tr03105-mustermann", "Datagroup2.bin"),
            ],
            extract: Some(extract_image),
            builtin: Vec::new,
            run: run_face,
        },
        Target {
            name: "hostile-chip",
            about: "the reading engine (read_document) against REF-1 with one plain response or one file (served under valid secure messaging) replaced by the input",
            seed_dirs: &[],
            extract: None,
            builtin: builtin_hostile_chip,
            run: run_hostile_chip,
        },
        Target {
            name: "ausweisapp-json",
            about: "AusweisApp simulator JSON (emrtd_sim::ausweisapp::Simulator::from_json, to_document)",
            seed_dirs: &[("documents", "ausweisapp-simulator.json")],
            extract: None,
            builtin: Vec::new,
            run: run_ausweisapp,
        },
        Target {
            name: "start-message",
            about: "docval-server StartMessage::parse and the access key it carries",
            seed_dirs: &[],
            extract: None,
            builtin: builtin_start_messages,
            run: run_start_message,
        },
        Target {
            name: "gateway-json",
            about: "kyc-gateway request bodies and headers: create session, PATCH, media upload, DocVal result + decision, signature headers, RFC 9421",
            seed_dirs: &[],
            extract: None,
            builtin: crate::fuzz_gateway::builtin_gateway_json,
            run: crate::fuzz_gateway::run_gateway_json,
        },
        Target {
            name: "gateway-http",
            about: "the whole kyc-gateway HTTP API in-process (router, signatures fixed by the harness, SQLite): no 5xx, no panic",
            seed_dirs: &[],
            extract: None,
            builtin: crate::fuzz_gateway::builtin_gateway_http,
            run: crate::fuzz_gateway::run_gateway_http,
        },
        Target {
            name: "ausweisapp-sdk",
            about: "emrtd-bridge AusweisApp SDK: up to 16 command messages to one ausweisapp::Session (handle_text, events)",
            seed_dirs: &[],
            extract: None,
            builtin: crate::fuzz_bridge::builtin_ausweisapp_sdk,
            run: crate::fuzz_bridge::run_ausweisapp_sdk,
        },
        Target {
            name: "sinosecu",
            about: "emrtd-bridge Sinosecu service: one WebSocket frame (request, batch, notify) on 127.0.0.1, parse_access_key",
            seed_dirs: &[],
            extract: None,
            builtin: crate::fuzz_bridge::builtin_sinosecu,
            run: crate::fuzz_bridge::run_sinosecu,
        },
    ]
}

// ---------------------------------------------------------------- targets

fn run_apdu(d: &[u8]) {
    if let Ok(c) = CommandApdu::parse(d) {
        let _ = c.to_bytes();
        let _ = c.chain(255);
    }
    if let Ok(r) = ResponseApdu::parse(d) {
        let _ = r.sw.meaning();
        let _ = r.to_bytes();
    }
}

fn walk_tlv(d: &[u8], depth: u32) {
    if depth > 12 {
        return;
    }
    for item in TlvIter::new(d).stop_at_zero_padding() {
        let Ok(t) = item else { break };
        let _ = t.raw.len();
        if let Ok(children) = t.children() {
            for c in children.flatten() {
                walk_tlv(c.raw, depth + 1);
            }
        }
    }
}

fn run_tlv(d: &[u8]) {
    let _ = Tlv::parse_exact(d);
    walk_tlv(d, 0);
}

const SM_KEY_ENC: [u8; 16] = [0x11; 16];
const SM_KEY_MAC: [u8; 16] = [0x22; 16];

fn sm_session(aes: bool) -> Option<emrtd_sm::SmSession> {
    if aes {
        emrtd_sm::SmSession::new(CipherSuite::Aes128, &SM_KEY_ENC, &SM_KEY_MAC, &[0u8; 16]).ok()
    } else {
        emrtd_sm::SmSession::new(CipherSuite::Tdes, &SM_KEY_ENC, &SM_KEY_MAC, &[0u8; 8]).ok()
    }
}

/// A response whose data objects `dos` carry a valid MAC for the first response of a fresh
/// session (SSC = 1).
pub fn sm_response_with_valid_mac(aes: bool, dos: &[u8], sw: u16) -> Option<Vec<u8>> {
    let (suite, ssc_len) = if aes {
        (CipherSuite::Aes128, 16)
    } else {
        (CipherSuite::Tdes, 8)
    };
    let mut input = vec![0u8; ssc_len];
    if let Some(last) = input.last_mut() {
        *last = 1;
    }
    input.extend_from_slice(dos);
    let mac = emrtd_crypto::mac::sm_mac(suite, &SM_KEY_MAC, &input).ok()?;
    let mut out = dos.to_vec();
    out.extend_from_slice(&[0x8E, 0x08]);
    out.extend_from_slice(&mac);
    out.extend_from_slice(&sw.to_be_bytes());
    Some(out)
}

/// Input: one mode byte (bit 0: AES, bit 1: fix the MAC), then the response (raw mode) or the
/// data objects before DO'8E (MAC-fixed mode).
fn run_sm(d: &[u8]) {
    let Some((&mode, rest)) = d.split_first() else { return };
    let aes = mode & 1 == 1;
    let Some(mut s) = sm_session(aes) else { return };
    let bytes = if mode & 2 == 2 {
        match sm_response_with_valid_mac(aes, rest, 0x9000) {
            Some(b) => b,
            None => return,
        }
    } else {
        rest.to_vec()
    };
    if let Ok(r) = ResponseApdu::parse(&bytes) {
        let _ = s.unprotect(&r);
    }
}

/// The plain response the card side protects for the SM seeds.
fn sm_seed(aes: bool, data: &[u8], sw: u16) -> Option<Vec<u8>> {
    // Card side: one command unprotected (SSC 1 on the card after the terminal's command is
    // not modelled here): protect a response on a fresh card session, whose SSC becomes 1.
    let mut card = sm_session(aes)?;
    let resp = ResponseApdu {
        data: data.to_vec(),
        sw: emrtd_apdu::StatusWord(sw),
    };
    let p = card.protect_response(&resp).ok()?;
    Some(p.to_bytes())
}

fn builtin_sm() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for aes in [false, true] {
        let m = u8::from(aes);
        for (data, sw) in [
            (&b""[..], 0x9000u16),
            (&[0x60, 0x14, 0x5F, 0x01][..], 0x9000),
            (&[0u8; 40][..], 0x6282),
        ] {
            if let Some(r) = sm_seed(aes, data, sw) {
                // Raw mode: the whole protected response.
                let mut raw = vec![m];
                raw.extend_from_slice(&r);
                out.push(raw);
                // MAC-fixed mode: the data objects before DO'8E.
                if let Some(dos) = r.get(..r.len().saturating_sub(12)) {
                    let mut fixed = vec![m | 2];
                    fixed.extend_from_slice(dos);
                    out.push(fixed);
                }
            }
        }
        out.push(vec![m | 2, 0x99, 0x02, 0x90, 0x00]);
        out.push(vec![m | 2, 0x87, 0x01, 0x01, 0x99, 0x02, 0x90, 0x00]);
    }
    out
}

fn run_secinfos(d: &[u8]) {
    let _ = emrtd_secinfo::SecurityInfos::parse(d);
    let _ = emrtd_secinfo::SecurityInfos::parse_dg14(d);
    let _ = emrtd_chipauth::keys::parse_dg15(d);
    let _ = emrtd_chipauth::ca::CaParams::from_dg14(d, None);
}

fn run_lds(d: &[u8]) {
    let _ = LdsFile::parse(d, None);
    for hint in [
        FileHint::CardAccess,
        FileHint::CardSecurity,
        FileHint::AtrInfo,
        FileHint::Dir,
    ] {
        let _ = LdsFile::parse(d, Some(hint));
    }
}

struct PaFixture {
    store: TrustStore,
    dgs: BTreeMap<u8, Vec<u8>>,
}

fn pa_fixture() -> &'static PaFixture {
    static F: OnceLock<PaFixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut store = TrustStore::new();
        for (name, der) in [
            (
                "csca-rsa.cer",
                &include_bytes!("../../../fixtures/pki/csca-rsa.cer")[..],
            ),
            (
                "csca-ecdsa-explicit.cer",
                &include_bytes!("../../../fixtures/pki/csca-ecdsa-explicit.cer")[..],
            ),
            (
                "link-csca-rsa-to-ecdsa.cer",
                &include_bytes!("../../../fixtures/pki/link-csca-rsa-to-ecdsa.cer")[..],
            ),
        ] {
            let _ = store.add_der(der, name);
        }
        let _ = store.add_crl(include_bytes!("../../../fixtures/pki/csca-rsa.crl"), "csca-rsa.crl");
        let _ = store.add_crl(include_bytes!("../../../fixtures/pki/csca-ecdsa.crl"), "csca-ecdsa.crl");
        let mut dgs = BTreeMap::new();
        dgs.insert(1, include_bytes!("../../../fixtures/documents/ref-1/0101.bin").to_vec());
        dgs.insert(
            14,
            include_bytes!("../../../fixtures/documents/ref-1/010E.bin").to_vec(),
        );
        dgs.insert(
            15,
            include_bytes!("../../../fixtures/documents/ref-1/010F.bin").to_vec(),
        );
        PaFixture { store, dgs }
    })
}

/// 2026-01-02T00:00:00Z.
const PA_AT: i64 = 1_767_312_000;

fn run_sod(d: &[u8]) {
    let f = pa_fixture();
    if emrtd_lds::sod::EfSod::parse(d).is_err() {
        // Only a parsable SOD reaches the signature checks; the parse itself was the test.
        let _ = emrtd_pa::verify_card_security(d, &f.store, &PaOptions::default());
        return;
    }
    let opts = PaOptions {
        at: Some(PA_AT),
        ds_certificate: None,
        skip_country_check: false,
        ..PaOptions::default()
    };
    let _ = emrtd_pa::verify_sod(d, &f.dgs, &f.store, &opts);
}

fn run_x509(d: &[u8]) {
    let f = pa_fixture();
    if let Ok(cert) = emrtd_pa::Certificate::from_der(d) {
        let _ = emrtd_pa::verify::chain_document_signer(&cert, &f.store, Some(PA_AT));
    }
    let _ = emrtd_pa::Crl::from_der(d);
    let mut s = TrustStore::new();
    let _ = s.load_bytes(d, "fuzz");
    let _ = s.add_master_list(d, "fuzz");
    let _ = emrtd_pa::store::parse_master_list_content(d);
}

fn run_mrz(d: &[u8]) {
    let _ = emrtd_lds::dg1::Dg1::parse(d);
    let text = String::from_utf8_lossy(d);
    let _ = emrtd_lds::dg1::Mrz::parse(&text);
    let _ = emrtd_lds::dg1::check_digit(&text);
    let _ = emrtd_lds::dg1::split_name(&text);
}

fn builtin_mrz() -> Vec<Vec<u8>> {
    [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<D231458907UTO7408122F1204159<<<<<<<6",
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn run_face(d: &[u8]) {
    let limits = emrtd_face::FaceLimits {
        max_input_bytes: 128 * 1024,
        max_width: 512,
        max_height: 512,
        max_pixels: 512 * 512,
        jpeg_quality: 50,
    };
    let _ = emrtd_face::to_jpeg(d, &limits);
}

/// The JPEG 2000 (JP2 box or raw codestream) or JPEG image inside a DG2 file.
fn extract_image(dg2: &[u8]) -> Option<Vec<u8>> {
    const MARKERS: [&[u8]; 3] = [
        &[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20],
        &[0xFF, 0x4F, 0xFF, 0x51],
        &[0xFF, 0xD8, 0xFF],
    ];
    MARKERS
        .iter()
        .filter_map(|m| dg2.windows(m.len()).position(|w| w == *m))
        .min()
        .and_then(|start| dg2.get(start..))
        .map(<[u8]>::to_vec)
}

fn run_start_message(d: &[u8]) {
    let Ok(text) = std::str::from_utf8(d) else { return };
    if let Ok(m) = docval_server::protocol::StartMessage::parse(text) {
        let _ = m.access_key();
    }
}

fn builtin_start_messages() -> Vec<Vec<u8>> {
    [
        r#"{"client_id":"YOUR CLIENT ID","validation_id":"00000000-0000-4000-8000-000000000000","access_key":{"can":"123456"},"nfc_adapter_supports_extended_length":true,"platform":"android"}"#,
        r#"{"client_id":"c","validation_id":"v-1","access_key":{"document_number":"C01X00T47","date_of_birth":"840812","date_of_expiry":"360101"},"nfc_adapter_supports_extended_length":false,"platform":"ios","max_command_bytes":1024,"max_response_bytes":1024}"#,
        r#"{"client_id":"c","validation_id":"v","access_key":{"can":"000000"},"nfc_adapter_supports_extended_length":true,"platform":"ios","max_command_bytes":65544,"max_response_bytes":65546}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn builtin_apdus() -> Vec<Vec<u8>> {
    vec![
        vec![0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01],
        vec![0x00, 0xB0, 0x9E, 0x00, 0x00],
        vec![0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00],
        vec![
            0x00, 0xB1, 0x00, 0x00, 0x00, 0x00, 0x04, 0x54, 0x02, 0x01, 0x00, 0x00, 0x00,
        ],
        vec![0x00, 0x84, 0x00, 0x00, 0x08],
        vec![
            0x0C, 0xB0, 0x00, 0x00, 0x0D, 0x97, 0x01, 0xDF, 0x8E, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00,
        ],
        vec![0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00],
        vec![0x90, 0x00],
        vec![0x61, 0x10],
        vec![0x63, 0xC2],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00],
    ]
}

fn run_ausweisapp(d: &[u8]) {
    let Ok(text) = std::str::from_utf8(d) else { return };
    if let Ok(sim) = emrtd_sim::ausweisapp::Simulator::from_json(text)
        && let Ok(doc) = sim.to_document("fuzz")
    {
        let _ = emrtd_sim::VirtualChip::standard(doc);
    }
}

/// Files of REF-1 the hostile-chip target may replace (selected by `input[0] - 128`).
const HOSTILE_FILES: [u16; 10] = [
    0x011D, 0x0101, 0x010E, 0x010F, 0x0102, 0x0107, 0x010B, 0x010C, 0x011C, 0x2F01,
];

/// Plain responses the hostile-chip target may replace (EF.ATR/INFO, EF.CardAccess, the
/// PACE steps, the first secured answers).
const HOSTILE_RESPONSES: u8 = 16;

fn ref1_document() -> Option<&'static emrtd_sim::Document> {
    static DOC: OnceLock<Option<emrtd_sim::Document>> = OnceLock::new();
    DOC.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1");
        emrtd_sim::Document::from_dir(&dir).ok()
    })
    .as_ref()
}

thread_local! {
    static RUNTIME: Option<tokio::runtime::Runtime> =
        tokio::runtime::Builder::new_current_thread().enable_time().build().ok();
}

/// Reads `doc` through the reading engine; `replace` may substitute the n-th response.
fn read_hostile(
    doc: emrtd_sim::Document,
    mut replace: impl FnMut(u32, Vec<u8>) -> Vec<u8> + Send,
) -> Option<emrtd_reader::Reading> {
    let mut chip = emrtd_sim::VirtualChip::standard(doc).ok()?;
    let mut n = 0u32;
    let transmit = move |cmd: &[u8]| {
        n += 1;
        replace(n, chip.transmit(cmd))
    };
    let limits = emrtd_transport::LinkLimits {
        extended_length: true,
        ..Default::default()
    };
    let mut transport = emrtd_transport::SyncChipTransport::new(transmit, limits);
    let key = emrtd_reader::AccessKey::Can(zeroize::Zeroizing::new("123456".to_string()));
    let cfg = emrtd_reader::ReaderConfig {
        read_atr_info: true,
        extended_length: true,
        pa_options: PaOptions {
            at: Some(PA_AT),
            ds_certificate: None,
            skip_country_check: false,
            ..PaOptions::default()
        },
        ..emrtd_reader::ReaderConfig::default()
    };
    let mut rng = emrtd_sim::SeededRng::new(b"hostile-chip");
    let store = &pa_fixture().store;
    RUNTIME.with(|rt| {
        rt.as_ref()
            .map(|rt| rt.block_on(emrtd_reader::read_document(&mut transport, &key, store, &cfg, &mut rng)))
    })
}

/// Input: a selector byte, then bytes. Selector below 128: response number
/// `1 + selector % 16` of the session is replaced by the bytes (plain-phase responses: EF.ATR/INFO,
/// EF.CardAccess, PACE). Selector 128 and above: file `HOSTILE_FILES[(selector - 128) % 10]`
/// of REF-1 holds the bytes, served under valid secure messaging. A reading of a hostile chip
/// must never be reported genuine unless the file is the genuine one.
// An oracle violation is reported the way the harness detects failures: a panic.
#[allow(clippy::panic)]
fn run_hostile_chip(d: &[u8]) {
    let Some((&sel, rest)) = d.split_first() else { return };
    let Some(base) = ref1_document() else { return };
    let mut doc = base.clone();
    let reading = if sel < 128 {
        let k = 1 + u32::from(sel % HOSTILE_RESPONSES);
        let replacement = rest.to_vec();
        read_hostile(doc, move |n, r| if n == k { replacement.clone() } else { r })
    } else {
        let fid = HOSTILE_FILES
            .get(usize::from(sel - 128) % HOSTILE_FILES.len())
            .copied()
            .unwrap_or(0x0101);
        if let Some(f) = doc.files.iter_mut().find(|f| f.fid == fid) {
            f.content = rest.to_vec();
        }
        read_hostile(doc, |_, r| r)
    };
    // The oracle: a data group whose bytes as read differ from the genuine ones never passes
    // passive authentication (its hash is in the genuine, signed SOD).
    if let Some(r) = reading
        && r.failure.is_none()
        && r.passive_authentication_ok()
    {
        for (n, read) in &r.data_groups {
            let genuine = base.file(emrtd_sim::Df::Emrtd, 0x0100 | u16::from(*n));
            if genuine != Some(read.as_slice()) {
                panic!("DG{n} differs from the genuine file but passed passive authentication");
            }
        }
    }
}

fn builtin_hostile_chip() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Some(base) = ref1_document() else { return out };
    // The genuine responses of the first commands, recorded from a session.
    let recorded: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let rec = recorded.clone();
    let _ = read_hostile(base.clone(), move |_, r| {
        if let Ok(mut g) = rec.lock() {
            g.push(r.clone());
        }
        r
    });
    if let Ok(g) = recorded.lock() {
        for (i, r) in g.iter().take(usize::from(HOSTILE_RESPONSES)).enumerate() {
            let mut s = vec![i as u8];
            s.extend_from_slice(r);
            out.push(s);
        }
    }
    for (i, fid) in HOSTILE_FILES.iter().enumerate() {
        if let Some(f) = base.files.iter().find(|f| f.fid == *fid) {
            // DG2 and DG7 are large: seed them truncated so executions stay fast.
            let content = f.content.get(..f.content.len().min(4096)).unwrap_or(&[]);
            let mut s = vec![128 + i as u8];
            s.extend_from_slice(content);
            out.push(s);
        }
    }
    out
}

// ---------------------------------------------------------------- seeds

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The seed corpus of `t`: files under `fixtures_root` (sorted, at most [`MAX_SEEDS`]) and
/// the built-in seeds.
pub fn load_seeds(fixtures_root: &Path, t: &Target) -> Vec<Vec<u8>> {
    let mut out = (t.builtin)();
    for (dir, suffix) in t.seed_dirs {
        let mut files = Vec::new();
        walk(&fixtures_root.join(dir), &mut files);
        for f in files {
            if out.len() >= MAX_SEEDS {
                break;
            }
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if !name.ends_with(suffix) || name.ends_with(".md") || name.ends_with(".toml") {
                continue;
            }
            if std::fs::metadata(&f).map(|m| m.len() > MAX_SEED_BYTES).unwrap_or(true) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&f) else { continue };
            let bytes = match t.extract {
                Some(x) => match x(&bytes) {
                    Some(b) => b,
                    None => continue,
                },
                None => bytes,
            };
            if !out.contains(&bytes) {
                out.push(bytes);
            }
        }
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

// ---------------------------------------------------------------- mutation

/// A small deterministic generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

const INTERESTING: [u8; 14] = [
    0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF, 0x30, 0xA0, 0x04, 0x1F,
];

/// Applies 1–8 random mutations to `base` (splicing with `corpus` entries).
pub fn mutate(rng: &mut Rng, base: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut d = base.to_vec();
    let n = 1 + rng.below(8);
    for _ in 0..n {
        let len = d.len();
        match rng.below(11) {
            0 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = d.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = d.get_mut(i) {
                    *b = rng.next_u64() as u8;
                }
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let v = INTERESTING.get(rng.below(INTERESTING.len())).copied().unwrap_or(0);
                if let Some(b) = d.get_mut(i) {
                    *b = v;
                }
            }
            3 => {
                // A long-form BER length: 81 xx, 82 xx xx, 84 FF FF FF FF ...
                let i = rng.below(len + 1);
                let forms: [&[u8]; 5] = [
                    &[0x81, 0xFF],
                    &[0x82, 0xFF, 0xFF],
                    &[0x83, 0x01, 0x00, 0x00],
                    &[0x84, 0xFF, 0xFF, 0xFF, 0xFF],
                    &[0x80],
                ];
                let f = forms.get(rng.below(forms.len())).copied().unwrap_or(&[0x80]);
                let end = (i + f.len()).min(len);
                d.splice(i..end, f.iter().copied());
            }
            4 => {
                let i = rng.below(len + 1);
                let count = 1 + rng.below(16);
                let v = rng.next_u64() as u8;
                d.splice(i..i, std::iter::repeat_n(v, count));
            }
            5 if len > 0 => {
                let i = rng.below(len);
                let count = 1 + rng.below((len - i).min(64));
                d.drain(i..i + count);
            }
            6 if len > 0 => {
                let i = rng.below(len);
                let count = 1 + rng.below((len - i).min(256));
                let chunk: Vec<u8> = d.get(i..i + count).map(<[u8]>::to_vec).unwrap_or_default();
                let at = rng.below(len + 1);
                d.splice(at..at, chunk);
            }
            7 if !corpus.is_empty() => {
                let other = corpus.get(rng.below(corpus.len())).map(Vec::as_slice).unwrap_or(&[]);
                let a = rng.below(len + 1);
                let b = rng.below(other.len() + 1);
                d.truncate(a);
                d.extend_from_slice(other.get(b..).unwrap_or(&[]));
            }
            8 if len > 0 => {
                d.truncate(rng.below(len));
            }
            9 if len >= 2 => {
                // Swap two bytes (e.g. a tag and a length).
                let i = rng.below(len);
                let j = rng.below(len);
                d.swap(i, j);
            }
            _ => {
                let i = rng.below(len + 1);
                d.insert(i, rng.next_u64() as u8);
            }
        }
        d.truncate(MAX_INPUT_BYTES);
    }
    d
}

// ---------------------------------------------------------------- running

/// Options of a run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Time budget of the target.
    pub budget: Duration,
    /// Stop after this many executions.
    pub max_execs: Option<u64>,
    /// An input slower than this is a timeout.
    pub input_timeout: Duration,
    /// An input running longer than this ends the process (a hang).
    pub hang_limit: Duration,
    /// Where crashing and slow inputs are written.
    pub crash_dir: Option<PathBuf>,
    pub seed: u64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            budget: Duration::from_secs(10),
            max_execs: None,
            input_timeout: Duration::from_secs(2),
            hang_limit: Duration::from_secs(20),
            crash_dir: None,
            seed: 0x00d0_c7a1,
        }
    }
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    pub target: String,
    pub execs: u64,
    pub crashes: u64,
    pub timeouts: u64,
    pub seeds: usize,
    pub elapsed: Duration,
    pub slowest: Duration,
    /// The first crash message and the file the input was saved to.
    pub first_crash: Option<(String, Option<PathBuf>)>,
}

impl RunStats {
    pub fn ok(&self) -> bool {
        self.crashes == 0 && self.timeouts == 0
    }
}

fn fnv(d: &[u8]) -> u64 {
    d.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn save(dir: &Option<PathBuf>, kind: &str, target: &str, d: &[u8]) -> Option<PathBuf> {
    let dir = dir.as_ref()?;
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("{kind}-{target}-{:016x}.bin", fnv(d)));
    std::fs::write(&path, d).ok()?;
    Some(path)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Runs one input, catching a panic. Returns the panic message.
pub fn run_one(t: &Target, d: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| (t.run)(d))).map_err(|p| panic_message(p.as_ref()))
}

struct Watch {
    started_ms: AtomicU64,
    busy: AtomicBool,
    input: Mutex<Vec<u8>>,
    done: AtomicBool,
}

/// The blind engine's input stream for a target: its seeds in order, then mutations of them
/// (deterministic for a given `seed`). [`run_target`] runs the first N of them; the
/// coverage comparison of FUZZING.md regenerates the same N to measure their edges.
pub struct Inputs<'a> {
    seeds: &'a [Vec<u8>],
    rng: Rng,
    i: usize,
}

impl<'a> Inputs<'a> {
    pub fn new(t: &Target, seeds: &'a [Vec<u8>], seed: u64) -> Self {
        Inputs {
            seeds,
            rng: Rng::new(seed ^ fnv(t.name.as_bytes())),
            i: 0,
        }
    }

    /// The next input.
    pub fn next_input(&mut self) -> Vec<u8> {
        let input = match self.seeds.get(self.i) {
            Some(s) => s.clone(),
            None => {
                let base = self
                    .seeds
                    .get(self.rng.below(self.seeds.len()))
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                mutate(&mut self.rng, base, self.seeds)
            }
        };
        self.i = self.i.saturating_add(1);
        input
    }
}

/// Runs `t` on its seeds, then on mutations, until the budget or `max_execs` is reached.
pub fn run_target(t: &Target, seeds: &[Vec<u8>], opts: &RunOptions) -> RunStats {
    let mut stats = RunStats {
        target: t.name.to_string(),
        seeds: seeds.len(),
        ..RunStats::default()
    };
    let origin = Instant::now();
    let watch = Arc::new(Watch {
        started_ms: AtomicU64::new(0),
        busy: AtomicBool::new(false),
        input: Mutex::new(Vec::new()),
        done: AtomicBool::new(false),
    });
    // The watchdog: an input running past the hang limit is saved and the process ends (a
    // hang cannot be interrupted from safe code).
    let dog = {
        let w = watch.clone();
        let hang = opts.hang_limit;
        let dir = opts.crash_dir.clone();
        let name = t.name;
        std::thread::spawn(move || {
            while !w.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let now = origin.elapsed().as_millis() as u64;
                let since = now.saturating_sub(w.started_ms.load(Ordering::Relaxed));
                if w.busy.load(Ordering::Relaxed) && since > hang.as_millis() as u64 {
                    let input = w.input.lock().map(|g| g.clone()).unwrap_or_default();
                    let path = save(&dir, "hang", name, &input);
                    eprintln!("fuzz {name}: an input ran for more than {hang:?} (hang), saved to {path:?}");
                    std::process::exit(3);
                }
            }
        })
    };
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut inputs = Inputs::new(t, seeds, opts.seed);
    let mut i: u64 = 0;
    loop {
        if opts.max_execs.is_some_and(|m| i >= m) || (i as usize >= seeds.len() && origin.elapsed() >= opts.budget) {
            break;
        }
        let input = inputs.next_input();
        if let Ok(mut g) = watch.input.lock() {
            g.clone_from(&input);
        }
        watch
            .started_ms
            .store(origin.elapsed().as_millis() as u64, Ordering::Relaxed);
        watch.busy.store(true, Ordering::Relaxed);
        let t0 = Instant::now();
        let r = run_one(t, &input);
        let took = t0.elapsed();
        watch.busy.store(false, Ordering::Relaxed);
        stats.slowest = stats.slowest.max(took);
        if let Err(msg) = r {
            stats.crashes += 1;
            let path = save(&opts.crash_dir, "crash", t.name, &input);
            if stats.first_crash.is_none() {
                stats.first_crash = Some((msg, path));
            }
        } else if took > opts.input_timeout {
            stats.timeouts += 1;
            let path = save(&opts.crash_dir, "slow", t.name, &input);
            if stats.first_crash.is_none() {
                stats.first_crash = Some((format!("input took {took:?}"), path));
            }
        }
        i += 1;
    }
    std::panic::set_hook(prev_hook);
    watch.done.store(true, Ordering::Relaxed);
    let _ = dog.join();
    stats.execs = i;
    stats.elapsed = origin.elapsed();
    stats
}

/// Peak resident memory of this process in KiB (Linux), for the memory check of a run.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_fixed_sm_response_is_accepted_by_the_terminal() {
        for aes in [false, true] {
            let r = sm_response_with_valid_mac(aes, &[0x99, 0x02, 0x90, 0x00], 0x9000).unwrap();
            let mut s = sm_session(aes).unwrap();
            let out = s.unprotect(&ResponseApdu::parse(&r).unwrap()).unwrap();
            assert_eq!(out.sw, emrtd_apdu::StatusWord(0x9000));
            // One changed byte and the MAC no longer verifies.
            let mut bad = r.clone();
            bad[3] ^= 1;
            let mut s = sm_session(aes).unwrap();
            assert!(s.unprotect(&ResponseApdu::parse(&bad).unwrap()).is_err());
        }
    }

    #[test]
    fn mutation_is_deterministic_and_bounded() {
        let seeds = vec![vec![0x30, 0x03, 0x02, 0x01, 0x05], vec![0xAA; 10]];
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..500 {
            let x = mutate(&mut a, &seeds[0], &seeds);
            assert_eq!(x, mutate(&mut b, &seeds[0], &seeds));
            assert!(x.len() <= MAX_INPUT_BYTES);
        }
    }

    #[test]
    fn the_input_stream_starts_with_the_seeds_and_is_reproducible() {
        // What `docval-afl --blind-replay` relies on: the same seed, the same N inputs.
        let t = Target {
            name: "stream",
            about: "",
            seed_dirs: &[],
            extract: None,
            builtin: Vec::new,
            run: |_| {},
        };
        let seeds = vec![vec![0x30, 0x00], vec![0x04, 0x01, 0xFF]];
        let mut a = Inputs::new(&t, &seeds, 9);
        let mut b = Inputs::new(&t, &seeds, 9);
        let mut c = Inputs::new(&t, &seeds, 10);
        assert_eq!(a.next_input(), seeds[0]);
        assert_eq!(a.next_input(), seeds[1]);
        b.next_input();
        b.next_input();
        c.next_input();
        c.next_input();
        let xa: Vec<_> = (0..200).map(|_| a.next_input()).collect();
        let xb: Vec<_> = (0..200).map(|_| b.next_input()).collect();
        let xc: Vec<_> = (0..200).map(|_| c.next_input()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn a_panicking_target_is_caught_and_counted() {
        fn boom(d: &[u8]) {
            if d.first() == Some(&0x42) {
                panic!("boom");
            }
        }
        let t = Target {
            name: "boom",
            about: "",
            seed_dirs: &[],
            extract: None,
            builtin: Vec::new,
            run: boom,
        };
        let stats = run_target(
            &t,
            &[vec![0x41], vec![0x42, 0x00]],
            &RunOptions {
                max_execs: Some(50),
                ..RunOptions::default()
            },
        );
        assert_eq!(stats.execs, 50);
        assert!(stats.crashes >= 1);
        assert_eq!(stats.first_crash.unwrap().0, "boom");
    }
}
