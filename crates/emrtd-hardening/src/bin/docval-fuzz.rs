//! `docval-fuzz`: runs the fuzz targets of `emrtd_hardening::fuzz` for a time budget.
//!
//! ```text
//! docval-fuzz [--seconds N] [--execs N] [--target NAME]... [--fixtures DIR] [--crash-dir DIR]
//!             [--input-timeout-ms N] [--seed N] [--markdown] [--list]
//! docval-fuzz --replay FILE --target NAME
//! ```
//! `--seconds` is the budget of EACH target (default 10). Exit status 0 when no target
//! crashed, hung or exceeded the per-input time; 1 otherwise.
#![forbid(unsafe_code)]

use emrtd_hardening::fuzz::{RunOptions, load_seeds, peak_rss_kib, run_one, run_target, targets};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Peak memory above which a run fails (a leak or an unbounded allocation).
const MAX_RSS_KIB: u64 = 2 * 1024 * 1024;

fn usage() -> String {
    "usage: docval-fuzz [--seconds N] [--execs N] [--target NAME]... [--fixtures DIR] [--crash-dir DIR] \
     [--input-timeout-ms N] [--seed N] [--markdown] [--list] | --replay FILE --target NAME"
        .to_string()
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("docval-fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut fixtures = root.join("fixtures");
    let mut opts = RunOptions {
        crash_dir: Some(root.join("target/fuzz-crashes")),
        ..RunOptions::default()
    };
    let mut names: Vec<String> = Vec::new();
    let mut markdown = false;
    let mut replay: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        v.ok_or_else(|| format!("{what} needs a value"))?
            .parse::<u64>()
            .map_err(|e| format!("{what}: {e}"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => opts.budget = Duration::from_secs(num(args.next(), "--seconds")?),
            "--execs" => opts.max_execs = Some(num(args.next(), "--execs")?),
            "--input-timeout-ms" => opts.input_timeout = Duration::from_millis(num(args.next(), "--input-timeout-ms")?),
            "--seed" => opts.seed = num(args.next(), "--seed")?,
            "--target" => names.push(args.next().ok_or("--target needs a value")?),
            "--fixtures" => fixtures = PathBuf::from(args.next().ok_or("--fixtures needs a value")?),
            "--crash-dir" => opts.crash_dir = Some(PathBuf::from(args.next().ok_or("--crash-dir needs a value")?)),
            "--replay" => replay = Some(PathBuf::from(args.next().ok_or("--replay needs a value")?)),
            "--markdown" => markdown = true,
            "--list" => {
                for t in targets() {
                    println!("{:<14} {}", t.name, t.about);
                }
                return Ok(true);
            }
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(true);
            }
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    opts.hang_limit = (opts.input_timeout * 10).max(Duration::from_secs(10));
    let all = targets();
    for n in &names {
        if !all.iter().any(|t| t.name == n) {
            return Err(format!("unknown target {n} (see --list)"));
        }
    }
    let selected: Vec<_> = all
        .into_iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name))
        .collect();

    if let Some(file) = replay {
        let t = selected.first().ok_or("--replay needs --target")?;
        let data = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let start = std::time::Instant::now();
        return match run_one(t, &data) {
            Ok(()) => {
                println!("{}: no panic ({:?})", t.name, start.elapsed());
                Ok(true)
            }
            Err(msg) => {
                println!("{}: panic: {msg}", t.name);
                Ok(false)
            }
        };
    }

    let mut ok = true;
    let mut rows = Vec::new();
    for t in &selected {
        let seeds = load_seeds(&fixtures, t);
        let s = run_target(t, &seeds, &opts);
        eprintln!(
            "fuzz {:<14} execs {:>9}  crashes {}  timeouts {}  seeds {:>3}  {:>6.1} s  slowest input {:?}",
            s.target,
            s.execs,
            s.crashes,
            s.timeouts,
            s.seeds,
            s.elapsed.as_secs_f64(),
            s.slowest
        );
        if let Some((msg, path)) = &s.first_crash {
            eprintln!("  first failure: {msg} (input saved to {path:?})");
        }
        ok &= s.ok();
        rows.push(s);
    }
    let rss = peak_rss_kib();
    if let Some(kib) = rss {
        eprintln!("peak resident memory {} MiB", kib / 1024);
        if kib > MAX_RSS_KIB {
            eprintln!(
                "peak memory above {} MiB: an unbounded allocation or a leak",
                MAX_RSS_KIB / 1024
            );
            ok = false;
        }
    }
    if markdown {
        println!("| target | executions | crashes | timeouts | seeds | seconds | slowest input |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for s in &rows {
            println!(
                "| {} | {} | {} | {} | {} | {:.0} | {} ms |",
                s.target,
                s.execs,
                s.crashes,
                s.timeouts,
                s.seeds,
                s.elapsed.as_secs_f64(),
                s.slowest.as_millis()
            );
        }
    }
    Ok(ok)
}
