//! A short run of every fuzz target inside `cargo test` (so `.ci/run` fuzzes every parser
//! on each change): the seeds plus 3 000 mutated inputs per target (150 for the reading
//! engine), no panic and no input
//! slower than the per-input limit. Long runs: `cargo xtask fuzz --seconds N` (FUZZING.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_hardening::fuzz::{RunOptions, load_seeds, run_target, targets};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn every_fuzz_target_survives_a_short_run() {
    let fixtures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"));
    let all = targets();
    assert_eq!(all.len(), 16);
    for t in &all {
        let seeds = load_seeds(&fixtures, t);
        // A whole reading per execution: fewer inputs for the engine target.
        let extra: u64 = if t.name == "hostile-chip" { 150 } else { 3_000 };
        // Every target has real seeds from the fixtures or built in.
        assert!(seeds.iter().any(|s| !s.is_empty()), "{}: no seeds", t.name);
        let stats = run_target(
            t,
            &seeds,
            &RunOptions {
                max_execs: Some(seeds.len() as u64 + extra),
                budget: Duration::from_secs(60),
                input_timeout: Duration::from_secs(5),
                crash_dir: None,
                ..RunOptions::default()
            },
        );
        assert!(stats.ok(), "{}: {:?}", t.name, stats.first_crash);
        assert_eq!(stats.execs, seeds.len() as u64 + extra);
    }
}

#[test]
fn seed_corpora_come_from_the_fixtures() {
    let fixtures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"));
    let count = |name: &str| {
        let t = targets().into_iter().find(|t| t.name == name).unwrap();
        load_seeds(&fixtures, &t).len()
    };
    // Every document's files, SODs, certificates and CRLs, the face images inside DG2.
    assert!(count("lds") >= 40, "{}", count("lds"));
    assert!(count("sod") >= 9, "{}", count("sod"));
    assert!(count("x509") >= 12, "{}", count("x509"));
    assert!(count("face") >= 2, "{}", count("face"));
    assert!(count("secinfos") >= 20, "{}", count("secinfos"));
    // The face seeds decode under the target's small limits, so mutations reach the decoder.
    let face = targets().into_iter().find(|t| t.name == "face").unwrap();
    let limits = emrtd_face::FaceLimits {
        max_input_bytes: 128 * 1024,
        max_width: 512,
        max_height: 512,
        max_pixels: 512 * 512,
        jpeg_quality: 50,
    };
    let decoded = load_seeds(&fixtures, &face)
        .iter()
        .filter(|s| emrtd_face::to_jpeg(s, &limits).is_ok())
        .count();
    assert!(decoded >= 1, "no face seed decodes");
}
