//! The docval reading engine.
//!
//! [`files`] reads elementary files in as few round trips as the limits allow; [`channel`]
//! carries APDUs with or without secure messaging. The pipeline of a full session (access
//! control, EF.SOD, DG14, chip authentication, DG15, active authentication, DG1, DG2, DG7,
//! DG11, DG12, passive authentication) is built on them.
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
