//! `cargo xtask fuzz [--seconds N] [docval-fuzz options…]`: runs every fuzz target of
//! `crates/emrtd-hardening` (stable toolchain, no cargo-fuzz) for N seconds EACH and fails on
//! any crash, hang, slow input or excessive memory. `--release` builds the harness optimised
//! (for the long runs of FUZZING.md). Other options go to `docval-fuzz` (`--target NAME`,
//! `--execs N`, `--markdown`, `--seed N`, `--replay FILE`…). With both `--execs N` and
//! `--seconds T` every target stops at N executions or T seconds, whichever comes first: the
//! acceptance run is `cargo xtask fuzz --release --execs 1000000 --seconds 600 --markdown`.
//!
//! `--engine blind` (the default) is that harness; `--engine afl` runs the same targets under
//! AFL++ (coverage-guided, `afl.rs`: see `afl.rs`).

use std::process::Command;

pub fn run(args: &[String]) -> Result<(), String> {
    match args
        .iter()
        .position(|a| a == "--engine")
        .map(|i| args.get(i + 1).map(String::as_str))
    {
        None | Some(Some("blind")) => {}
        Some(Some("afl")) => return crate::afl::fuzz(args),
        Some(other) => return Err(format!("--engine: blind or afl, not {other:?}")),
    }
    let args: Vec<String> = {
        let mut v = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--engine" {
                it.next();
            } else {
                v.push(a.clone());
            }
        }
        v
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(crate::workspace_root())
        .args(["run", "--quiet", "-p", "emrtd-hardening", "--bin", "docval-fuzz"]);
    let mut rest = Vec::new();
    for a in &args {
        if a == "--release" {
            cmd.arg("--release");
        } else {
            rest.push(a.clone());
        }
    }
    if !rest
        .iter()
        .any(|a| a == "--seconds" || a == "--execs" || a == "--replay")
    {
        rest.extend(["--seconds".to_string(), "10".to_string()]);
    }
    cmd.arg("--").args(&rest);
    let status = cmd.status().map_err(|e| format!("running cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing failed ({status}); inputs are saved under target/fuzz-crashes/"
        ))
    }
}
