//! Hardening of docval (issue 10).
//!
//! * [`fuzz`]: a stable-toolchain fuzz harness (deterministic mutation of seed corpora taken
//!   from `fixtures/`, every panic caught and saved, a watchdog bounding each input) and one
//!   target per parser an attacker can reach. Run it with `cargo xtask fuzz --seconds N` or
//!   `cargo run -p emrtd-hardening --bin docval-fuzz -- --help`.
//! * [`chips`]: hostile chip behaviours beyond the virtual chip's own adversarial modes, as
//!   [`emrtd_sim::CardProtocol`] plug-ins.
//!
//! The malicious-chip suite, the fault tests and the resource-limit tests of docval-server are
//! in `tests/`.
#![forbid(unsafe_code)]

pub mod chips;
pub mod fuzz;
