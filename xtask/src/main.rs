//! Project tasks: `cargo xtask <task>`.
//!
//! * `provenance`: every file under `fixtures/` must be listed in `fixtures/PROVENANCE.md`.
//! * `fixtures [--check]`: generates the test PKI and documents (see `fixtures.rs`).
//! * `fuzz [--engine blind|afl] [--seconds N]`: runs every fuzz target for N seconds each with
//!   the blind harness (default) or AFL++ (see `fuzz.rs`, `afl.rs`, FUZZING.md).
//! * `fuzz-corpus [--seconds N] [--target T]... [--compare]`: regenerates the minimized AFL++
//!   corpora `fuzz/corpus/<target>/`; `--compare` also measures blind vs afl coverage.
//! * `diff-pa [--mutations N] [--markdown]`: passive authentication against OpenSSL (see
//!   `diffpa.rs`, FUZZING.md).
#![forbid(unsafe_code)]

mod afl;
mod diffpa;
mod fixtures;
mod fuzz;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks that each fixture file (or a folder containing it) is named in PROVENANCE.md.
fn provenance() -> Result<(), String> {
    let root = workspace_root().join("fixtures");
    let list =
        std::fs::read_to_string(root.join("PROVENANCE.md")).map_err(|e| format!("fixtures/PROVENANCE.md: {e}"))?;
    let mut files = Vec::new();
    walk(&root, &mut files).map_err(|e| e.to_string())?;
    let mut missing = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f).to_string_lossy().replace('\\', "/");
        if rel == "PROVENANCE.md" || rel.ends_with("README.md") {
            continue;
        }
        // A file is covered when its path or one of its parent folders (written with a
        // trailing slash) appears in the list.
        let mut covered = list.contains(&format!("`{rel}`"));
        let mut prefix = String::new();
        for part in rel.split('/') {
            prefix.push_str(part);
            prefix.push('/');
            if list.contains(&format!("`{prefix}`")) {
                covered = true;
            }
        }
        if !covered {
            missing.push(rel);
        }
    }
    if missing.is_empty() {
        println!("provenance: every fixture file is listed");
        Ok(())
    } else {
        Err(format!(
            "fixture files without a line in fixtures/PROVENANCE.md:\n  {}",
            missing.join("\n  ")
        ))
    }
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "provenance" => provenance(),
        "fixtures" => fixtures::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        "fuzz" => fuzz::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        "fuzz-corpus" => afl::corpus(&std::env::args().skip(2).collect::<Vec<_>>()),
        "diff-pa" => diffpa::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => Err(
            "usage: cargo xtask <provenance|fixtures [--check]|fuzz [--engine blind|afl] [--seconds N]|\
                  fuzz-corpus [--seconds N] [--target T]... [--compare]|diff-pa [--mutations N] [--markdown]>"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
