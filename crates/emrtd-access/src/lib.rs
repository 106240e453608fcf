//! Access control of ICAO Doc 9303-11 as sans-IO steps.
//!
//! * [`mrz`]: the MRZ information (document number, date of birth, date of expiry with check
//!   digits) that BAC and PACE-MRZ derive their keys from.
//! * [`bac`]: Basic Access Control (§4.3), terminal side [`bac::BacTerminal`] and card side
//!   [`bac::BacChip`].
//! * [`pace`]: PACE (§4.4, BSI TR-03110-2/-3) with GM, IM and CAM, ECDH and DH, passwords MRZ,
//!   CAN, PIN and PUK; protocol selection from EF.CardAccess, terminal side
//!   [`pace::PaceTerminal`] and card side [`pace::PaceChip`].
//!
//! Each protocol hands out the next command APDU and takes the chip's response, so any
//! transport (in-process virtual chip, a phone relay, PC/SC) can drive it. Nothing here does
//! IO, and a failure is always an error the caller sees: there is no fallback between
//! protocols inside this crate.
//!
//! # Example
//!
//! BAC between the terminal and the card side, with the MRZ of the Doc 9303-11 Appendix D
//! worked example; both ends get the same secure messaging session.
//!
//! ```
//! use emrtd_access::{BacChip, BacTerminal, MrzKey};
//!
//! let mrz = MrzKey::new("L898902C<", "690806", "940623")?;
//! assert_eq!(mrz.kseed()[..4], [0x23, 0x9A, 0xB9, 0xCB]); // Kseed of Appendix D.2
//! let (mut rng, mut chip_rng) = (emrtd_crypto::rng::os_rng(), emrtd_crypto::rng::os_rng());
//! let mut chip = BacChip::new(&mrz);
//! let mut terminal = BacTerminal::new(&mrz);
//!
//! let _get_challenge = terminal.get_challenge(); // 00 84 00 00 08
//! let rnd_ic = chip.get_challenge(&mut chip_rng);
//! let ext_auth = terminal.external_authenticate(&rnd_ic, &mut rng)?; // E_IFD || M_IFD
//! let (answer, chip_session) = chip.external_authenticate(&ext_auth, &mut chip_rng).map_err(|r| format!("chip: {}", r.sw))?;
//! let session = terminal.finish(&answer)?; // checks M_IC and the echoed RND.IFD
//! assert_eq!(session.ks_mac(), chip_session.ks_mac());
//!
//! // A wrong date of birth: the chip refuses EXTERNAL AUTHENTICATE with 6300.
//! let mut wrong = BacTerminal::new(&MrzKey::new("L898902C", "690807", "940623")?);
//! wrong.get_challenge();
//! let cmd = wrong.external_authenticate(&chip.get_challenge(&mut chip_rng), &mut rng)?;
//! assert_eq!(chip.external_authenticate(&cmd, &mut chip_rng).err().map(|r| r.sw.0), Some(0x6300));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bac;
pub mod mrz;
pub mod pace;

pub use bac::{BacChip, BacError, BacKeys, BacTerminal};
pub use mrz::{MrzError, MrzKey, check_digit};
