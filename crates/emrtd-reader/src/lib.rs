//! The docval reading engine: reads and verifies an eMRTD over any [`emrtd_transport::Transport`].
//!
//! [`files`] reads elementary files in as few round trips as the limits allow; [`channel`]
//! carries APDUs with or without secure messaging. The pipeline of a full session
//! ([`read_document`], see [`engine`]) is built on them: access control (PACE, Doc 9303-11 §4.4
//! and BSI TR-03110-2, or BAC, §4.3), EF.SOD, DG14, chip authentication (Doc 9303-11 §6.2,
//! BSI TR-03110-1) or PACE-CAM, DG15, active authentication (§6.1), DG1, DG2, DG7, DG11, DG12
//! (Doc 9303-10 §4.7) and passive authentication (Doc 9303-11 §5.1). [`to_emrtd_passport`] turns
//! the [`Reading`] into the `emrtd_passport` result; [`local`] opens a session for callers that
//! send their own commands; [`uploaded`] verifies files that a phone read and uploaded.
//!
//! Reading the REF-1 test document from the virtual chip of `emrtd-sim` with its CAN:
//!
//! ```
//! use emrtd_pa::PaOptions;
//! use emrtd_reader::{AccessKey, ReaderConfig, read_document, to_emrtd_passport};
//! use emrtd_result::AuthResult;
//! use emrtd_sim::{SeededRng, VirtualChip};
//! use emrtd_transport::{LinkLimits, SyncChipTransport};
//!
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1");
//! let mut chip = VirtualChip::load(&dir)?;
//! let mut transport = SyncChipTransport::new(move |c: &[u8]| chip.transmit(c), LinkLimits::default());
//! let key = AccessKey::Can(zeroize::Zeroizing::new("123456".to_string()));
//! // Certificates are checked at a fixed time (2026-06-01) so the example does not age.
//! let pa_options = PaOptions { at: Some(1_780_272_000), ..PaOptions::default() };
//! let cfg = ReaderConfig { pa_options, ..ReaderConfig::default() };
//! let trust = emrtd_trust::test_pki_store()?;
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let mut rng = SeededRng::new(b"example");
//! let reading = runtime.block_on(read_document(&mut transport, &key, &trust, &cfg, &mut rng));
//! assert!(reading.failure.is_none() && reading.passive_authentication_ok());
//! let passport = to_emrtd_passport(&reading, false);
//! assert_eq!(passport.chip_authentication_result, AuthResult::Success);
//! assert_eq!(passport.mrz_info.map(|m| m.document_number).as_deref(), Some("C01X00T47"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod channel;
pub mod engine;
pub mod files;
pub mod local;

pub use engine::{
    AccessKey, AccessProtocol, ReadFailure, ReaderConfig, Reading, Step, StepOutcome, StepRecord, read_document,
};
pub mod result;
pub mod uploaded;

pub use local::{LocalSession, listed_data_groups, open_session};

pub use result::to_emrtd_passport;
