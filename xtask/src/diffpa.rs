//! `cargo xtask diff-pa [--mutations N] [--seed S] [--vectors DIR] [--markdown]`: the
//! differential test of passive authentication against OpenSSL (FUZZING.md, "Differential
//! passive authentication against OpenSSL"), at full size: every certificate of the corpus and
//! N structured mutations (default 5000). The harness is the one of
//! `cargo test -p emrtd-pa --test diff_openssl` (`crates/emrtd-pa/tests/diffpa/`), included
//! here so the code exists once. Fails on any disagreement not on the list of intended
//! differences; `DOCVAL_DIFFPA_DUMP=DIR` writes the inputs of each disagreement to DIR.

#[path = "../../crates/emrtd-pa/tests/diffpa/mod.rs"]
mod harness;

use std::path::PathBuf;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut mutations = 5000usize;
    let mut seed = 16u64;
    let mut markdown = false;
    let mut vectors: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mutations" => mutations = number(it.next(), "--mutations")?,
            "--seed" => seed = number(it.next(), "--seed")?,
            "--vectors" => vectors = Some(PathBuf::from(it.next().ok_or("--vectors needs a folder")?)),
            "--markdown" => markdown = true,
            other => return Err(format!("diff-pa: unknown option {other}")),
        }
    }
    let version = harness::openssl::version().ok_or("diff-pa needs the openssl command line tool")?;
    let root = crate::workspace_root();
    let mut roots = vec![root.join("fixtures")];
    let shared = vectors.or_else(|| {
        ["../shared/vectors", "../../shared/vectors"]
            .iter()
            .map(|p| root.join(p))
            .find(|p| p.is_dir())
    });
    match shared {
        Some(dir) => roots.push(dir),
        None => println!("diff-pa: no shared vectors folder found; fixtures/ only"),
    }
    let start = std::time::Instant::now();
    let report = harness::run(&roots, &root.join("fixtures/pki"), mutations, seed, 1)?;
    println!(
        "diff-pa: {version}; seed {seed}; {mutations} mutations requested; {:.0} s\n",
        start.elapsed().as_secs_f64()
    );
    print!("{}", report.summary(markdown));
    if markdown {
        println!("\n{}", harness::intended_markdown());
    }
    if report.disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} disagreement(s) with OpenSSL not on the list of intended differences",
            report.disagreements.len()
        ))
    }
}

fn number<T: std::str::FromStr>(v: Option<&String>, what: &str) -> Result<T, String> {
    v.and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{what} needs a number"))
}
