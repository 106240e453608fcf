//! `emrtd verify`: offline passive authentication.

use clap::Args;
use emrtd_lds::LdsFile;
use emrtd_lds::asn1::{days_from_civil, format_time};
use emrtd_pa::{PaOptions, verify_card_security, verify_sod};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A dump directory: files are recognised by content (EF.SOD, DG1–DG16, EF.CardSecurity).
    pub dir: Option<PathBuf>,
    /// The EF.SOD file.
    #[arg(long)]
    pub sod: Option<PathBuf>,
    /// A data group file as N=FILE (repeatable).
    #[arg(long = "dg", value_name = "N=FILE")]
    pub dgs: Vec<String>,
    /// An EF.CardSecurity file to verify as well.
    #[arg(long)]
    pub card_security: Option<PathBuf>,
    /// A trusted CSCA certificate (DER or PEM), or a directory of them (repeatable).
    #[arg(long)]
    pub csca: Vec<PathBuf>,
    /// An ICAO/national CSCA master list (repeatable).
    #[arg(long)]
    pub masterlist: Vec<PathBuf>,
    /// A root certificate that master list signers must chain to (repeatable).
    #[arg(long)]
    pub masterlist_root: Vec<PathBuf>,
    /// A CSCA CRL (DER or PEM, repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// A master list whose certificates are trusted WITHOUT verifying it against a root
    /// (repeatable; reported in `trust_store.warnings`).
    #[arg(long = "trust-unverified-masterlist", value_name = "PATH")]
    pub trust_unverified_masterlist: Vec<PathBuf>,
    /// Also trust the TEST PKI of fixtures/pki (virtual documents; its private keys are public).
    #[arg(long)]
    pub test_pki: bool,
    /// Do not trust the embedded DE/NL CSCA master lists (trusted by default).
    #[arg(long)]
    pub no_embedded_master_lists: bool,
    /// A Document Signer certificate to use instead of the one in the SOD.
    #[arg(long)]
    pub ds: Option<PathBuf>,
    /// Check certificate validity at this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Do not check validity periods.
    #[arg(long)]
    pub no_time_check: bool,
}

/// Parses `YYYY-MM-DD[THH:MM:SS[Z]]` to seconds since the epoch.
pub fn parse_at(s: &str) -> Result<i64, String> {
    let bad = || format!("bad --at {s:?}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    let num = |a: usize, b: usize| -> Result<i64, String> {
        s.get(a..b)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if s.get(4..5) != Some("-") || s.get(7..8) != Some("-") || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut t = days_from_civil(y, m, d) * 86400;
    if s.len() > 10 {
        if s.get(10..11) != Some("T") {
            return Err(bad());
        }
        t += num(11, 13)? * 3600 + num(14, 16)? * 60 + num(17, 19)?;
    }
    Ok(t)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The files of a dump directory sorted into SOD, data groups and EF.CardSecurity.
#[derive(Default)]
struct Dump {
    sod: Option<(PathBuf, Vec<u8>)>,
    dgs: BTreeMap<u8, (PathBuf, Vec<u8>)>,
    card_security: Option<(PathBuf, Vec<u8>)>,
    ignored: Vec<String>,
}

fn scan_dir(dir: &Path) -> Result<Dump, String> {
    let mut dump = Dump::default();
    let mut fallback: BTreeMap<u8, (PathBuf, Vec<u8>)> = BTreeMap::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for p in entries {
        let data = crate::read_file(&p)?;
        match crate::inspect::parse_lds(&p, &data) {
            Ok(LdsFile::Sod(_)) => dump.sod = Some((p, data)),
            Ok(LdsFile::SecurityInfos(s)) if s.file == "EF.CardSecurity" => dump.card_security = Some((p, data)),
            Ok(f) => match f.data_group() {
                Some(n) => {
                    dump.dgs.insert(n, (p, data));
                }
                None => dump.ignored.push(format!("{} ({})", p.display(), f.kind())),
            },
            Err(_) => {
                // A data group that does not parse is still hashed as read: recognise it by
                // its first tag when the file is one well-formed TLV (zero padding allowed).
                let tlv_shaped = emrtd_apdu::Tlv::parse(&data).is_ok_and(|(_, rest)| rest.iter().all(|b| *b == 0));
                match data.first().and_then(|t| emrtd_lds::com::dg_number_for_tag(*t)) {
                    Some(n) if tlv_shaped => {
                        fallback.insert(n, (p, data));
                    }
                    _ => dump.ignored.push(p.display().to_string()),
                }
            }
        }
    }
    // Files recognised only by their tag never replace a parsed data group.
    for (n, v) in fallback {
        dump.dgs.entry(n).or_insert(v);
    }
    Ok(dump)
}

/// Runs the verification; returns the JSON verdict and whether everything verified.
pub fn run(a: &VerifyArgs) -> Result<(Value, bool), String> {
    let mut dump = match &a.dir {
        Some(d) => scan_dir(d)?,
        None => Dump::default(),
    };
    if let Some(p) = &a.sod {
        dump.sod = Some((p.clone(), crate::read_file(p)?));
    }
    for spec in &a.dgs {
        let (n, f) = spec
            .split_once('=')
            .ok_or_else(|| format!("--dg {spec:?}: use N=FILE"))?;
        let n: u8 = n
            .trim_start_matches(['D', 'G', 'd', 'g'])
            .parse()
            .ok()
            .filter(|n| (1..=16).contains(n))
            .ok_or_else(|| format!("--dg {spec:?}: N must be 1-16"))?;
        let p = PathBuf::from(f);
        let data = crate::read_file(&p)?;
        dump.dgs.insert(n, (p, data));
    }
    if let Some(p) = &a.card_security {
        dump.card_security = Some((p.clone(), crate::read_file(p)?));
    }
    if dump.sod.is_none() && dump.card_security.is_none() {
        return Err("nothing to verify: give a dump directory, --sod or --card-security".into());
    }

    // Trust store: the shared defaults (embedded DE/NL master lists verified against their
    // pinned roots; the test PKI only with --test-pki) plus what the arguments add.
    let sources = emrtd_trust::TrustSources {
        master_lists: a.masterlist.clone(),
        master_list_roots: a.masterlist_root.clone(),
        certificates: a.csca.clone(),
        crls: a.crl.clone(),
        unverified_master_lists: a.trust_unverified_masterlist.clone(),
        embedded_master_lists: !a.no_embedded_master_lists,
        test_pki: a.test_pki,
        ..emrtd_trust::TrustSources::default()
    };
    let (store, trust) = emrtd_trust::load(&sources, now()).map_err(|e| e.to_string())?;
    for w in &trust.warnings {
        eprintln!("emrtd verify: trust store: {w}");
    }
    let at = if a.no_time_check {
        None
    } else {
        Some(match &a.at {
            Some(s) => parse_at(s)?,
            None => now(),
        })
    };
    let opts = PaOptions {
        at,
        ds_certificate: match &a.ds {
            Some(p) => Some(der_or_pem(crate::read_file(p)?)?),
            None => None,
        },
        skip_country_check: false,
        ..PaOptions::default()
    };

    let mut verified = true;
    let mut result = json!({
        "checked_at": at.map(format_time),
        "trust_store": {
            "certificates": store.len(),
            "crls": store.crls().count(),
            "embedded_master_lists": trust.embedded_master_lists,
            "test_pki": trust.test_pki,
            "master_lists": store.master_lists,
            "master_list_dates": trust.master_lists.iter().map(|m| json!({
                "source": m.source,
                "issued": m.issued.map(format_time),
                "next_update": m.next_update.map(format_time),
                "stale": m.stale,
            })).collect::<Vec<_>>(),
            "load_errors": store.load_errors,
            "warnings": trust.warnings,
        },
        "inputs": {
            "sod": dump.sod.as_ref().map(|(p, _)| p.display().to_string()),
            "data_groups": dump.dgs.iter().map(|(n, (p, _))| (format!("DG{n}"), p.display().to_string())).collect::<BTreeMap<_, _>>(),
            "card_security": dump.card_security.as_ref().map(|(p, _)| p.display().to_string()),
            "ignored": dump.ignored,
        },
    });
    if let Some((_, sod)) = &dump.sod {
        let groups: BTreeMap<u8, Vec<u8>> = dump.dgs.iter().map(|(n, (_, d))| (*n, d.clone())).collect();
        let out = verify_sod(sod, &groups, &store, &opts);
        verified &= out.verified();
        let (ca, aa) = authentication_keys(sod, &dump.dgs);
        verified &= ca != "FAILED" && aa != "FAILED";
        set(&mut result, "chip_authentication", json!(ca));
        set(&mut result, "active_authentication", json!(aa));
        set(
            &mut result,
            "passive_authentication",
            serde_json::to_value(&out).map_err(|e| e.to_string())?,
        );
    }
    if let Some((_, cs)) = &dump.card_security {
        let out = verify_card_security(cs, &store, &opts);
        verified &= out.verified();
        set(
            &mut result,
            "card_security",
            serde_json::to_value(&out).map_err(|e| e.to_string())?,
        );
    }
    set(&mut result, "verified", json!(verified));
    Ok((result, verified))
}

/// What the dump says about chip and active authentication, which need the chip itself:
/// "FAILED" when EF.SOD lists DG14 (DG15) but the dump lacks it or it does not parse (a clone
/// hides the file whose key it does not hold), "KEY_PRESENT" when the key is there (its hash is
/// checked by passive authentication; possession can only be proven by the chip), and
/// "UNAVAILABLE" when the signed data offers no such protocol.
fn authentication_keys(sod: &[u8], dgs: &BTreeMap<u8, (PathBuf, Vec<u8>)>) -> (&'static str, &'static str) {
    let listed: Vec<u8> = emrtd_lds::sod::listed_data_groups(sod);
    let parsed = |n: u8| dgs.get(&n).map(|(_, d)| LdsFile::parse(d, None).ok());
    let ca = match parsed(14) {
        None if listed.contains(&14) => "FAILED",
        None => "UNAVAILABLE",
        Some(Some(LdsFile::SecurityInfos(s))) if s.infos.chip_authentication_public_key_infos().next().is_some() => {
            "KEY_PRESENT"
        }
        Some(Some(LdsFile::SecurityInfos(_))) => "UNAVAILABLE",
        Some(_) => "FAILED",
    };
    let aa = match parsed(15) {
        None if listed.contains(&15) => "FAILED",
        None => "UNAVAILABLE",
        Some(Some(LdsFile::Dg15(_))) => "KEY_PRESENT",
        Some(_) => "FAILED",
    };
    (ca, aa)
}

fn set(obj: &mut Value, key: &str, v: Value) {
    if let Some(o) = obj.as_object_mut() {
        o.insert(key.to_string(), v);
    }
}

/// A certificate given as DER or PEM, as DER.
fn der_or_pem(data: Vec<u8>) -> Result<Vec<u8>, String> {
    match std::str::from_utf8(&data) {
        Ok(text) if text.contains("-----BEGIN CERTIFICATE-----") => emrtd_pa::store::pem_blocks(text, "CERTIFICATE")
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or_else(|| "empty PEM".to_string()),
        _ => Ok(data),
    }
}
