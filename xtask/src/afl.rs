//! The coverage-guided engine: AFL++ through afl.rs (`cargo afl`), FUZZING.md
//! "Coverage-guided (AFL++ through afl.rs)".
//!
//! * `cargo xtask fuzz --engine afl [--seconds N] [--target T]...`: builds the harness crate
//!   `fuzz/` (binary `docval-afl`, feature `afl`) with `cargo afl build --release` into
//!   `<target dir>/afl`, then runs `cargo afl fuzz` on each target for N seconds (nice'd), from
//!   the committed corpus `fuzz/corpus/<target>/` plus the blind harness's seeds, with the
//!   target's dictionaries (`fuzz/dict/`). Prints one line per target (from `fuzzer_stats`) and
//!   fails when a target crashed (a file under `out/default/crashes/`).
//! * `cargo xtask fuzz-corpus [--seconds N] [--target T]... [--compare]`: regenerates
//!   `fuzz/corpus/<target>/`: seeds (+ the current corpus), AFL++ for N seconds, `cargo afl
//!   cmin`, then bounded to [`MAX_CORPUS_FILES`] files and [`MAX_CORPUS_BYTES`] bytes per target
//!   (smallest inputs first). With `--compare` the run starts from the seeds only and the blind
//!   engine runs beside it for the same N seconds in the same instrumented binary; AFL++'s
//!   queue (`afl-showmap -C`) and the blind run's inputs (regenerated, `docval-afl
//!   --blind-replay` under `afl-showmap`) are measured the same way, and a Markdown table of
//!   executions, edges and crashes is printed (FUZZING.md).
//!
//! Work files go to `<target dir>/afl-work/<target>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Files per target in `fuzz/corpus/<target>/`.
pub const MAX_CORPUS_FILES: usize = 200;
/// Bytes per target in `fuzz/corpus/<target>/`.
pub const MAX_CORPUS_BYTES: u64 = 2 * 1024 * 1024;
/// The per-input time limit given to AFL++ (ms): slower inputs are hangs (the blind harness's
/// per-input limit is 2 s uninstrumented; instrumented builds on a loaded machine need more).
/// `+`: a seed slower than that is skipped instead of ending the run.
const EXEC_TIMEOUT_MS: &str = "5000+";

/// Removes the SQLite directories the `gateway-http` target leaves on `/dev/shm` (or the
/// temporary directory) when AFL++ kills its process (`docval-fuzz-gateway-<pid>`).
fn remove_stale_gateway_dirs() {
    for base in [PathBuf::from("/dev/shm"), std::env::temp_dir()] {
        let Ok(rd) = std::fs::read_dir(&base) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(pid) = name.strip_prefix("docval-fuzz-gateway-")
                && pid.chars().all(|c| c.is_ascii_digit())
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

/// The dictionaries of each target (`fuzz/dict/`, at most four: AFL++'s `-x` limit).
fn dicts(target: &str) -> &'static [&'static str] {
    match target {
        "apdu" | "sm" => &["apdu.dict", "asn1.dict"],
        "tlv" | "secinfos" | "lds" | "sod" | "x509" => &["asn1.dict", "oids.dict"],
        "mrz" => &["mrz.dict", "asn1.dict"],
        "face" => &["jp2.dict"],
        "hostile-chip" => &["asn1.dict", "oids.dict", "apdu.dict"],
        _ => &["json.dict"],
    }
}

fn afl_env(cmd: &mut Command) {
    cmd.env("AFL_SKIP_CPUFREQ", "1")
        .env("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1")
        .env("AFL_NO_UI", "1")
        .env("AFL_NO_AFFINITY", "1")
        .env("AFL_FAST_CAL", "1")
        .env("AFL_QUIET", "1")
        // `--blind-replay` generates its inputs before the fork server starts.
        .env("AFL_FORKSRV_INIT_TMOUT", "300000");
}

fn run_status(cmd: &mut Command, what: &str) -> Result<(), String> {
    let st = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

/// `cargo afl` is installed and its AFL++ runtime built for this rustc (every `cargo afl`
/// subcommand but `config` says "was not built" otherwise).
fn check_cargo_afl() -> Result<(), String> {
    let out = Command::new(cargo()).args(["afl", "showmap", "-h"]).output();
    let text = out
        .as_ref()
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_default();
    if out.is_ok() && text.contains("afl-showmap") && !text.contains("was not built") {
        Ok(())
    } else {
        Err(
            "cargo-afl is not installed or its AFL++ runtime is not built for this rustc: \
             `cargo install --locked cargo-afl@0.18.2` then `cargo afl config --build` (.ci/test does both)"
                .to_string(),
        )
    }
}

/// Builds the instrumented harness; returns the binary.
fn build() -> Result<PathBuf, String> {
    check_cargo_afl()?;
    let dir = target_dir().join("afl");
    let mut cmd = Command::new(cargo());
    cmd.current_dir(crate::workspace_root()).args([
        "afl",
        "build",
        "--release",
        "--quiet",
        "-p",
        "docval-afl",
        "--features",
        "afl",
        "--target-dir",
    ]);
    cmd.arg(&dir);
    run_status(&mut cmd, "cargo afl build")?;
    Ok(dir.join("release/docval-afl"))
}

fn target_names(bin: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(bin)
        .arg("--list")
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.txt"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn fnv(d: &[u8]) -> u64 {
    d.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn fresh_dir(p: &Path) -> Result<(), String> {
    if p.exists() {
        std::fs::remove_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The input directory of a run: the blind harness's seeds and (unless `seeds_only`) the
/// committed corpus, deduplicated.
fn prepare_inputs(bin: &Path, target: &str, work: &Path, seeds_only: bool) -> Result<PathBuf, String> {
    let seeds = work.join("seeds");
    fresh_dir(&seeds)?;
    run_status(
        Command::new(bin).arg("--dump-seeds").arg(&seeds).arg(target),
        "docval-afl --dump-seeds",
    )?;
    let input = seeds.join(target);
    if !seeds_only {
        for f in files(&crate::workspace_root().join("fuzz/corpus").join(target)) {
            let d = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            let to = input.join(format!("corpus-{:016x}", fnv(&d)));
            std::fs::write(&to, d).map_err(|e| format!("{}: {e}", to.display()))?;
        }
    }
    Ok(input)
}

/// What one AFL++ run reports.
struct AflRun {
    stats: BTreeMap<String, String>,
    crashes: Vec<PathBuf>,
    hangs: usize,
    out: PathBuf,
}

impl AflRun {
    fn get(&self, k: &str) -> &str {
        self.stats.get(k).map(String::as_str).unwrap_or("?")
    }
}

fn afl_fuzz(bin: &Path, target: &str, input: &Path, work: &Path, seconds: u64) -> Result<AflRun, String> {
    let out = work.join("out");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let log = work.join("afl-fuzz.log");
    let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "10"])
        .arg(cargo())
        .args(["afl", "fuzz", "-i"])
        .arg(input)
        .arg("-o")
        .arg(&out)
        .args(["-V", &seconds.to_string(), "-t", EXEC_TIMEOUT_MS]);
    let dict_dir = crate::workspace_root().join("fuzz/dict");
    for d in dicts(target) {
        cmd.arg("-x").arg(dict_dir.join(d));
    }
    cmd.arg("--").arg(bin).arg(target);
    afl_env(&mut cmd);
    cmd.stdout(log_file).stderr(log_err).stdin(Stdio::null());
    let st = cmd.status().map_err(|e| format!("cargo afl fuzz: {e}"))?;
    remove_stale_gateway_dirs();
    let default = out.join("default");
    let text = std::fs::read_to_string(default.join("fuzzer_stats")).unwrap_or_default();
    if !st.success() || text.is_empty() {
        return Err(format!(
            "afl-fuzz on {target} failed ({st}); its output is in {}",
            log.display()
        ));
    }
    let stats = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(AflRun {
        stats,
        crashes: files(&default.join("crashes")),
        hangs: files(&default.join("hangs")).len(),
        out: default,
    })
}

/// Edges (`afl-showmap` tuples) covered by every input of `dir`.
fn showmap_dir(bin: &Path, target: &str, dir: &Path, work: &Path) -> Result<usize, String> {
    let map = work.join("queue.map");
    let mut cmd = Command::new(cargo());
    cmd.args(["afl", "showmap", "-q", "-C", "-t", "10000", "-i"])
        .arg(dir)
        .arg("-o")
        .arg(&map)
        .arg("--")
        .arg(bin)
        .arg(target);
    afl_env(&mut cmd);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let _ = cmd.status().map_err(|e| format!("afl-showmap: {e}"))?;
    count_lines(&map)
}

fn count_lines(p: &Path) -> Result<usize, String> {
    Ok(std::fs::read_to_string(p)
        .map_err(|e| format!("{}: {e}", p.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count())
}

/// Starts the blind engine for `seconds` in the instrumented binary (nice'd, beside AFL++).
fn blind_start(bin: &Path, target: &str, work: &Path, seconds: u64) -> Result<std::process::Child, String> {
    let stats = work.join("blind.stats");
    let _ = std::fs::remove_file(&stats);
    Command::new("nice")
        .args(["-n", "10"])
        .arg(bin)
        .args(["--blind", &seconds.to_string(), target, "--stats"])
        .arg(&stats)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))
}

/// Waits for the blind run, then measures its edges: its N inputs regenerated and run in one
/// execution under `afl-showmap` (`docval-afl --blind-replay`). Returns (executions, edges).
fn blind_finish(mut child: std::process::Child, bin: &Path, target: &str, work: &Path) -> Result<(u64, usize), String> {
    let _ = child.wait().map_err(|e| format!("blind run: {e}"))?;
    let stats = work.join("blind.stats");
    let line = std::fs::read_to_string(&stats).map_err(|e| format!("{}: {e}", stats.display()))?;
    let execs: u64 = line
        .split_whitespace()
        .skip_while(|w| *w != "execs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let map = work.join("blind.map");
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "10"])
        .arg(cargo())
        .args(["afl", "showmap", "-q", "-t", "3600000", "-o"])
        .arg(&map)
        .arg("--")
        .arg(bin)
        .args(["--blind-replay", &execs.to_string(), target]);
    afl_env(&mut cmd);
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let _ = cmd.status().map_err(|e| format!("afl-showmap: {e}"))?;
    Ok((execs, count_lines(&map)?))
}

fn parse_args(args: &[String]) -> Result<(u64, Vec<String>, bool), String> {
    let mut seconds = None;
    let mut names = Vec::new();
    let mut compare = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = Some(
                    it.next()
                        .ok_or("--seconds needs a value")?
                        .parse::<u64>()
                        .map_err(|e| format!("--seconds: {e}"))?,
                );
            }
            "--target" => names.push(it.next().ok_or("--target needs a value")?.clone()),
            "--compare" => compare = true,
            "--engine" => {
                it.next();
            }
            other => return Err(format!("unknown argument {other} for the afl engine")),
        }
    }
    Ok((seconds.unwrap_or(10), names, compare))
}

fn selected(bin: &Path, names: &[String]) -> Result<Vec<String>, String> {
    let all = target_names(bin)?;
    if all.is_empty() {
        return Err(format!("{} --list printed no target", bin.display()));
    }
    for n in names {
        if !all.contains(n) {
            return Err(format!("unknown target {n}; targets: {}", all.join(" ")));
        }
    }
    Ok(all
        .into_iter()
        .filter(|t| names.is_empty() || names.contains(t))
        .collect())
}

/// `cargo xtask fuzz --engine afl`.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    let (seconds, names, _) = parse_args(args)?;
    let bin = build()?;
    let mut failed = Vec::new();
    for t in selected(&bin, &names)? {
        let work = target_dir().join("afl-work").join(&t);
        let input = prepare_inputs(&bin, &t, &work, false)?;
        let r = afl_fuzz(&bin, &t, &input, &work, seconds)?;
        println!(
            "afl {:<15} execs {:>9}  corpus {:>5}  edges {:>6}  bitmap {:>6}  crashes {}  hangs {}  {} s",
            t,
            r.get("execs_done"),
            r.get("corpus_count"),
            r.get("edges_found"),
            r.get("bitmap_cvg"),
            r.crashes.len(),
            r.hangs,
            r.get("run_time"),
        );
        if !r.crashes.is_empty() {
            for c in &r.crashes {
                println!("  crash: {} (replay: {} {t} FILE)", c.display(), bin.display());
            }
            failed.push(t);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("afl found crashes in: {}", failed.join(", ")))
    }
}

/// Replaces `fuzz/corpus/<target>/` by the minimized set, bounded.
fn write_corpus(target: &str, minimized: &Path) -> Result<(usize, u64), String> {
    let mut inputs: Vec<Vec<u8>> = files(minimized).iter().filter_map(|f| std::fs::read(f).ok()).collect();
    inputs.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    inputs.dedup();
    let dir = crate::workspace_root().join("fuzz/corpus").join(target);
    fresh_dir(&dir)?;
    let (mut n, mut bytes) = (0usize, 0u64);
    for d in inputs {
        let len = d.len() as u64;
        if n >= MAX_CORPUS_FILES || bytes + len > MAX_CORPUS_BYTES {
            break;
        }
        let f = dir.join(format!("{:016x}", fnv(&d)));
        std::fs::write(&f, &d).map_err(|e| format!("{}: {e}", f.display()))?;
        n += 1;
        bytes += len;
    }
    Ok((n, bytes))
}

/// `cargo xtask fuzz-corpus`.
pub fn corpus(args: &[String]) -> Result<(), String> {
    let (seconds, names, compare) = parse_args(args)?;
    let seconds = if args.iter().any(|a| a == "--seconds") {
        seconds
    } else {
        30
    };
    let bin = build()?;
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for t in selected(&bin, &names)? {
        let work = target_dir().join("afl-work").join(&t);
        let input = prepare_inputs(&bin, &t, &work, compare)?;
        // With --compare the blind engine runs beside AFL++ for the same time (two cores).
        let blind_child = if compare {
            Some(blind_start(&bin, &t, &work, seconds)?)
        } else {
            None
        };
        let r = afl_fuzz(&bin, &t, &input, &work, seconds)?;
        let queue = r.out.join("queue");
        let afl_edges = showmap_dir(&bin, &t, &queue, &work)?;
        let min = work.join("cmin");
        if min.exists() {
            std::fs::remove_dir_all(&min).map_err(|e| format!("{}: {e}", min.display()))?;
        }
        let mut cmin = Command::new(cargo());
        cmin.args(["afl", "cmin", "-t", "10000", "-i"])
            .arg(&queue)
            .arg("-o")
            .arg(&min)
            .arg("--")
            .arg(&bin)
            .arg(&t);
        afl_env(&mut cmin);
        cmin.stdout(Stdio::null()).stderr(Stdio::null());
        run_status(&mut cmin, "cargo afl cmin")?;
        let (n, bytes) = write_corpus(&t, &min)?;
        let blind = match blind_child {
            Some(c) => Some(blind_finish(c, &bin, &t, &work)?),
            None => None,
        };
        println!(
            "corpus {:<15} afl execs {:>9} edges {:>6} crashes {}  -> fuzz/corpus/{t}: {n} files, {bytes} bytes{}",
            t,
            r.get("execs_done"),
            afl_edges,
            r.crashes.len(),
            blind
                .map(|(e, g)| format!("; blind execs {e} edges {g}"))
                .unwrap_or_default()
        );
        for c in &r.crashes {
            println!("  crash: {} (replay: {} {t} FILE)", c.display(), bin.display());
        }
        if !r.crashes.is_empty() {
            failed.push(t.clone());
        }
        rows.push((t, r.get("execs_done").to_string(), afl_edges, r.crashes.len(), blind));
    }
    if compare {
        println!("\n| target | seconds | blind execs | blind edges | afl execs | afl edges | crashes |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (t, execs, edges, crashes, blind) in &rows {
            let (be, bg) = blind.unwrap_or((0, 0));
            println!("| `{t}` | {seconds} | {be} | {bg} | {execs} | {edges} | {crashes} |");
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("afl found crashes in: {}", failed.join(", ")))
    }
}
