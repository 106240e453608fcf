//! Shared helpers of the hardening tests: fixtures, the trust store, in-process readings,
//! SOD forgery with the test PKI's Document Signer key, and docval-server on 127.0.0.1.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use docval_server::config::{ClientConfig, Config, Timeouts};
use docval_server::{AppState, serve, trust};
use emrtd_access::MrzKey;
use emrtd_pa::{PaOptions, ReasonCode, TrustStore};
use emrtd_reader::{AccessKey, ReaderConfig, Reading, read_document};
use emrtd_result::AuthResult;
use emrtd_sim::{Df, Document, SeededRng, VirtualChip};
use emrtd_transport::{LinkLimits, SyncChipTransport};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// 2026-01-02T00:00:00Z: inside the validity of the test PKI.
pub const AT: i64 = 1_767_312_000;

pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
}

pub fn doc(name: &str) -> Document {
    Document::from_dir(&fixtures().join("documents").join(name)).unwrap()
}

pub fn chip(name: &str) -> VirtualChip {
    VirtualChip::load(&fixtures().join("documents").join(name)).unwrap()
}

pub fn store() -> TrustStore {
    emrtd_trust::test_pki_store().unwrap()
}

pub fn can(doc: &Document) -> AccessKey {
    AccessKey::Can(Zeroizing::new(doc.manifest.can.clone().unwrap()))
}

pub fn mrz(doc: &Document) -> AccessKey {
    let m = doc.manifest.mrz.as_ref().unwrap();
    AccessKey::Mrz(MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry).unwrap())
}

/// The configuration of a DocVal session with an extended-length phone, checked at [`AT`]
/// with the issuing-state check on.
pub fn config() -> ReaderConfig {
    ReaderConfig {
        read_atr_info: true,
        extended_length: true,
        pa_options: PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: false,
            ..PaOptions::default()
        },
        ..ReaderConfig::default()
    }
}

/// Reads through any synchronous chip function, in-process.
pub async fn read_with<F>(transmit: F, key: &AccessKey, store: &TrustStore, cfg: &ReaderConfig) -> Reading
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
{
    let limits = LinkLimits {
        extended_length: cfg.extended_length,
        ..LinkLimits::default()
    };
    let mut transport = SyncChipTransport::new(transmit, limits);
    let mut rng = SeededRng::new(b"hardening");
    read_document(&mut transport, key, store, cfg, &mut rng).await
}

/// Reads `chip` with the CAN of `doc` and the default test configuration.
pub async fn read_chip(mut chip: VirtualChip) -> Reading {
    let key = can(chip.document());
    read_with(move |c: &[u8]| chip.transmit(c), &key, &store(), &config()).await
}

/// What the reader would have to report for a genuine document: no failure, passive, chip
/// and active authentication all successful.
pub fn reported_genuine(r: &Reading) -> bool {
    r.failure.is_none()
        && r.passive_authentication_ok()
        && r.chip_authentication == AuthResult::Success
        && r.active_authentication == AuthResult::Success
}

/// One line with everything a failed assertion on a reading needs.
pub fn summary(r: &Reading) -> String {
    format!(
        "failure={:?} pa={:?} ca={:?} aa={:?} errors={:?}",
        r.failure,
        reasons(r),
        r.chip_authentication,
        r.active_authentication,
        r.errors
    )
}

pub fn reasons(r: &Reading) -> Vec<ReasonCode> {
    r.passive_authentication
        .as_ref()
        .map(|p| p.reasons.iter().map(|x| x.code).collect())
        .unwrap_or_default()
}

pub fn file_mut(doc: &mut Document, fid: u16) -> &mut Vec<u8> {
    &mut doc
        .files
        .iter_mut()
        .find(|f| f.df == Df::Emrtd && f.fid == fid)
        .unwrap_or_else(|| panic!("no file {fid:04X}"))
        .content
}

pub fn replace_unique(hay: &mut [u8], old: &[u8], new: &[u8]) {
    assert_eq!(old.len(), new.len());
    let hits: Vec<usize> = hay
        .windows(old.len())
        .enumerate()
        .filter(|(_, w)| *w == old)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "the bytes to replace must occur exactly once");
    hay[hits[0]..hits[0] + new.len()].copy_from_slice(new);
}

fn sod_parts(sod: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let s = emrtd_lds::sod::EfSod::parse(sod).unwrap();
    let si = &s.signed_data.signer_infos[0];
    let attrs = si.signed_attributes.as_ref().unwrap();
    (
        s.signed_data.encap_content.clone(),
        attrs.to_be_signed.clone(),
        si.signature.clone(),
    )
}

/// Re-signs an SOD of the test PKI's "DS Utopia RSA-PSS" (REF-1 family) after data groups
/// changed: every changed data group hash is replaced in the LDSSecurityObject, the
/// messageDigest attribute is updated and the signed attributes are signed again with the
/// DS private key (RSASSA-PSS, SHA-256, salt 32). Only equal-length replacements, so the
/// encoding stays valid. This is what an attacker holding a DS key could do.
pub fn resign_pss_sod(sod: &[u8], changed: &[(&[u8], &[u8])]) -> Vec<u8> {
    use rsa::pkcs8::DecodePrivateKey;
    let mut out = sod.to_vec();
    let (old_content, _, _) = sod_parts(sod);
    for (old, new) in changed {
        replace_unique(&mut out, &Sha256::digest(old), &Sha256::digest(new));
    }
    let (new_content, _, _) = sod_parts(&out);
    replace_unique(&mut out, &Sha256::digest(&old_content), &Sha256::digest(&new_content));
    let (_, tbs, old_sig) = sod_parts(&out);
    let der = std::fs::read(fixtures().join("pki/keys/ds-rsa-pss-3072.pk8")).unwrap();
    let key = rsa::PrivateKey::from_pkcs8_der(&der).unwrap();
    let digest = Sha256::digest(&tbs);
    let mut rng = SeededRng::new(b"forger");
    let sig = key.sign_with_rng(&mut rng, rsa::Pss::<Sha256>::new(), &digest).unwrap();
    replace_unique(&mut out, &old_sig, &sig);
    out
}

// ------------------------------------------------------------------ docval-server

pub fn quick_config() -> Config {
    Config {
        timeouts: Timeouts {
            start_message: Duration::from_millis(500),
            response: Duration::from_millis(500),
            session: Duration::from_secs(30),
            ..Timeouts::default()
        },
        ..Config::default()
    }
}

pub fn with_result_server(mut config: Config, id: &str, url: String) -> Config {
    config.clients = vec![ClientConfig {
        id: id.into(),
        result_server_url: Some(url),
    }];
    config
}

/// A running in-process docval-server on 127.0.0.1.
pub struct Server {
    pub url: String,
    pub addr: std::net::SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        // The virtual documents are signed by the test PKI, trusted only on request.
        let (store, _) = trust::load(&docval_server::config::TrustConfig {
            test_pki: true,
            ..config.trust.clone()
        })
        .unwrap();
        let state = Arc::new(AppState::new(config, store).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        Server {
            url: format!("ws://{addr}/ws1/validate"),
            addr,
            state,
            stop: Some(tx),
            handle,
        }
    }

    /// Triggers the graceful shutdown (what SIGTERM does in the binary).
    pub fn trigger_shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Waits for the server to end (after [`Server::trigger_shutdown`]).
    pub async fn join(self) -> std::io::Result<()> {
        self.handle.await.unwrap()
    }
}

pub fn phone_can(url: &str, client: &str) -> emrtd_phone::PhoneOptions {
    emrtd_phone::PhoneOptions::new(url, client, emrtd_phone::Access::Can("123456".into()))
}
