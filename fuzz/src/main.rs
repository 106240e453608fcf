//! `docval-afl`: the coverage-guided fuzzing harness of docval (FUZZING.md, "Coverage-guided").
//!
//! One binary for the sixteen targets of [`emrtd_hardening::fuzz::targets`]: the target bodies
//! are those of the blind harness (`docval-fuzz`), never written twice; only the engine differs.
//!
//! ```text
//! docval-afl TARGET                        # built with --features afl under `cargo afl build`:
//!                                          #   the AFL++ persistent loop (afl::fuzz!); without the
//!                                          #   feature: one input from stdin
//! docval-afl TARGET FILE...                # replay files (a panic is reported, exit status 1)
//! docval-afl --list                        # the target names
//! docval-afl --dump-seeds DIR [TARGET...]  # the blind harness's seeds, DIR/<target>/seed-NNN
//! docval-afl --blind SECONDS TARGET [--stats FILE]
//!                                          # the blind mutational engine for SECONDS (its
//!                                          #   execution count to stderr and FILE)
//! docval-afl --blind-replay N TARGET       # the blind engine's first N inputs, regenerated,
//!                                          #   run inside one AFL++ iteration: under
//!                                          #   afl-showmap, the edges the blind run reached
//! ```
//! The target can also be named by the environment variable `DOCVAL_FUZZ_TARGET`.
#![forbid(unsafe_code)]

use emrtd_hardening::fuzz::{Inputs, RunOptions, Target, load_seeds, run_one, run_target, targets};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: docval-afl TARGET [FILE...] | --list | --dump-seeds DIR [TARGET...] \
                     | --blind SECONDS TARGET [--stats FILE] | --blind-replay N TARGET";

/// Largest total size of the inputs a `--blind-replay` holds in memory.
const MAX_REPLAY_BYTES: usize = 3 << 30;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn find(name: &str) -> Result<Target, String> {
    targets()
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("unknown target {name} (see --list)"))
}

/// Writes the seeds of every named target (all when none) to `dir/<target>/seed-NNN`.
fn dump_seeds(dir: &Path, names: &[String]) -> Result<(), String> {
    for t in targets() {
        if !names.is_empty() && !names.iter().any(|n| n == t.name) {
            continue;
        }
        let out = dir.join(t.name);
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        for (i, s) in load_seeds(&fixtures_root(), &t).iter().enumerate() {
            let f = out.join(format!("seed-{i:03}"));
            std::fs::write(&f, s).map_err(|e| format!("{}: {e}", f.display()))?;
        }
    }
    Ok(())
}

/// The blind engine for `seconds`, from the same seeds; the counts go to stderr and `stats`.
fn blind(seconds: u64, t: &Target, stats: Option<&Path>) -> Result<bool, String> {
    let seeds = load_seeds(&fixtures_root(), t);
    let s = run_target(
        t,
        &seeds,
        &RunOptions {
            budget: Duration::from_secs(seconds),
            crash_dir: None,
            ..RunOptions::default()
        },
    );
    let line = format!(
        "target {} execs {} crashes {} timeouts {} seeds {} seconds {:.1}\n",
        s.target,
        s.execs,
        s.crashes,
        s.timeouts,
        s.seeds,
        s.elapsed.as_secs_f64()
    );
    eprint!("{line}");
    if let Some(p) = stats {
        std::fs::write(p, &line).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(s.crashes == 0)
}

/// Replays files through the target, reporting panics.
fn replay(t: &Target, files: &[String]) -> Result<bool, String> {
    let mut ok = true;
    for f in files {
        let data = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
        match run_one(t, &data) {
            Ok(()) => println!("{f}: no panic"),
            Err(msg) => {
                println!("{f}: panic: {msg}");
                ok = false;
            }
        }
    }
    Ok(ok)
}

/// Runs the first `n` inputs of the blind engine (the executions of a timed `--blind` run,
/// regenerated deterministically) through the target. Under `afl-showmap` this measures the
/// edges the blind engine reached: the inputs are generated first, then run inside the AFL++
/// loop's first iteration, which starts from a cleared map, so the mutator's own edges are
/// not counted (the same accounting as `afl-showmap -C` over AFL++'s queue).
fn blind_replay(n: u64, t: &Target) -> Result<bool, String> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let seeds = load_seeds(&fixtures_root(), t);
    let mut stream = Inputs::new(t, &seeds, RunOptions::default().seed);
    let mut inputs = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..n {
        let d = stream.next_input();
        bytes = bytes.saturating_add(d.len());
        if bytes > MAX_REPLAY_BYTES {
            eprintln!(
                "docval-afl: replay stops at {} inputs ({MAX_REPLAY_BYTES} bytes)",
                inputs.len()
            );
            break;
        }
        inputs.push(d);
    }
    let crashes = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let run = t.run;
    let body = |_: &[u8]| {
        if done.swap(true, Ordering::Relaxed) {
            return;
        }
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        for d in &inputs {
            if std::panic::catch_unwind(|| run(d)).is_err() {
                crashes.fetch_add(1, Ordering::Relaxed);
            }
        }
        std::panic::set_hook(prev);
    };
    #[cfg(feature = "afl")]
    afl::fuzz(false, body);
    #[cfg(not(feature = "afl"))]
    body(&[]);
    let c = crashes.load(Ordering::Relaxed);
    eprintln!("target {} replayed {} crashes {c}", t.name, inputs.len());
    Ok(c == 0)
}

#[cfg(feature = "afl")]
fn engine(t: &Target) -> Result<bool, String> {
    let run = t.run;
    // `true`: a panic aborts the process, which AFL++ records as a crash.
    afl::fuzz(true, |d: &[u8]| run(d));
    Ok(true)
}

#[cfg(not(feature = "afl"))]
fn engine(t: &Target) -> Result<bool, String> {
    // Without the afl feature: one input from stdin (what `afl-showmap` and `afl-tmin` feed).
    use std::io::Read;
    let mut d = Vec::new();
    std::io::stdin()
        .read_to_end(&mut d)
        .map_err(|e| format!("stdin: {e}"))?;
    (t.run)(&d);
    Ok(true)
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => {
            for t in targets() {
                println!("{}", t.name);
            }
            Ok(true)
        }
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(true)
        }
        Some("--dump-seeds") => {
            let dir = args.get(1).ok_or("--dump-seeds needs a directory")?;
            dump_seeds(Path::new(dir), args.get(2..).unwrap_or_default())?;
            Ok(true)
        }
        Some("--blind") => {
            let seconds = args
                .get(1)
                .ok_or("--blind needs SECONDS")?
                .parse::<u64>()
                .map_err(|e| format!("--blind SECONDS: {e}"))?;
            let t = find(args.get(2).ok_or("--blind needs a target")?)?;
            let stats = match (args.get(3).map(String::as_str), args.get(4)) {
                (Some("--stats"), Some(f)) => Some(PathBuf::from(f)),
                (None, _) => None,
                _ => return Err(USAGE.to_string()),
            };
            blind(seconds, &t, stats.as_deref())
        }
        Some("--blind-replay") => {
            let n = args
                .get(1)
                .ok_or("--blind-replay needs N")?
                .parse::<u64>()
                .map_err(|e| format!("--blind-replay N: {e}"))?;
            blind_replay(n, &find(args.get(2).ok_or("--blind-replay needs a target")?)?)
        }
        Some(name) if !name.starts_with('-') => {
            let t = find(name)?;
            let files = args.get(1..).unwrap_or_default();
            if files.is_empty() {
                engine(&t)
            } else {
                replay(&t, files)
            }
        }
        Some(other) => Err(format!("unknown argument {other}\n{USAGE}")),
        None => match std::env::var("DOCVAL_FUZZ_TARGET") {
            Ok(name) => engine(&find(&name)?),
            Err(_) => Err(USAGE.to_string()),
        },
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("docval-afl: {e}");
            ExitCode::from(2)
        }
    }
}
