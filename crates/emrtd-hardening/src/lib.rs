//! Hardening of docval (issue 10).
//!
//! * [`fuzz`]: a stable-toolchain fuzz harness (deterministic mutation of seed corpora taken
//!   from `fixtures/`, every panic caught and saved, a watchdog bounding each input) and one
//!   target per parser an attacker can reach. Run it with `cargo xtask fuzz --seconds N` or
//!   `cargo run -p emrtd-hardening --bin docval-fuzz -- --help`.
//! * [`chips`]: hostile chip behaviours beyond the virtual chip's own adversarial modes, as
//!   [`emrtd_sim::CardProtocol`] plug-ins.
//!
//! The tests (`cargo test -p emrtd-hardening`):
//!
//! * `tests/malicious_chip.rs`: the malicious-chip suite through the real reading engine,
//!   in-process (tampered and forged data, PKI failures, clones, replayed AA, PACE without
//!   downgrade, huge/endless files, MAC failures, status-word loops, a BAC man in the middle
//!   answering under valid secure messaging), each with its exact verdict;
//! * `tests/server_hostile.rs`: hostile clients and chips against docval-server on 127.0.0.1
//!   (text, oversized and empty frames, responses before commands, vanishing and slow clients);
//! * `tests/faults.rs`: the result server down, slow, 500 then 200, 400; shutdown mid-session;
//!   the session limit; silent clients;
//! * `tests/no_disk.rs`, `tests/real_binary.rs`: no file written during a session (strace, and
//!   empty fresh TMPDIR/HOME/cwd), SIGTERM to the real binary mid-session;
//! * `tests/fuzz_smoke.rs`: a short run of every fuzz target.
#![forbid(unsafe_code)]

pub mod chips;
pub mod fuzz;
mod fuzz_bridge;
mod fuzz_gateway;
