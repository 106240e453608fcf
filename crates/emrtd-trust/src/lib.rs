//! The trust defaults shared by docval-server, `emrtd verify` and emrtd-bridge.
//!
//! * **Embedded master lists** (on by default): the public CSCA master lists of Germany and the
//!   Netherlands, compiled into the program and verified at every start against the root each
//!   one is pinned to. A list that does not verify against its pinned root is an error: the
//!   program does not start on a trust store it cannot vouch for.
//! * **The test PKI** of `fixtures/pki` (off by default): its private keys are in the
//!   repository, so anyone can sign a "genuine" document with it. It is trusted only when
//!   asked for explicitly ([`TrustSources::test_pki`]: `--test-pki`, `DOCVAL_TEST_PKI=true`,
//!   TOML `test_pki = true`, `docval-server demo`).
//! * **Configured sources** add to the embedded lists: master lists and the roots their
//!   signers must chain to, CSCA certificates, CRLs (files or directories), and master lists
//!   the operator explicitly marks as trusted without verification. `embedded_master_lists =
//!   false` (`TRUST_EMBEDDED_MASTER_LISTS=false`) leaves only the configured sources.
//!
//! ICAO master lists carry no next-update date. The expected next update of a list is its
//! issue date (the CMS signingTime) plus a maximum age ([`TrustSources::master_list_max_age_days`],
//! default [`DEFAULT_MASTER_LIST_MAX_AGE_DAYS`]); past it the list is reported stale (a warning
//! in the report, a flag for metrics). A stale list is still used: documents issued since its
//! issue date by a new CSCA will not verify, which the warning explains.
//!
//! The master lists, CSCA certificates and CRLs are those of the ICAO PKI of Doc 9303-12;
//! [`emrtd_pa::TrustStore`] holds them and passive authentication (Doc 9303-11 §5.1) uses it.
//!
//! # Example
//!
//! ```
//! use emrtd_trust::{TrustSources, env, load, now};
//!
//! // Only the test PKI (two CSCAs and a link certificate, two CRLs): for virtual documents.
//! let (store, report) = load(&TrustSources::test_pki_only(), now())?;
//! assert_eq!((report.certificates, report.crls), (3, 2));
//! assert_eq!(store.len(), report.certificates);
//! assert!(report.warnings.iter().any(|w| w.contains("TEST PKI")));
//!
//! // The environment overrides the defaults (or a TOML `[trust]` table).
//! let mut sources = TrustSources::default();
//! sources.apply_env(|name| match name {
//!     env::MASTER_LIST_MAX_AGE_DAYS => Some("30".to_string()),
//!     env::CRLS => Some("/etc/docval/crls; /srv/crls/extra.crl".to_string()),
//!     _ => None,
//! })?;
//! assert_eq!(sources.master_list_max_age_days, 30);
//! assert_eq!(sources.crls.len(), 2);
//! assert!(sources.embedded_master_lists && sources.has_configured_sources());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch (for logging the dates of the report).
pub use emrtd_lds::asn1::format_time;
use emrtd_pa::TrustStore;
use emrtd_pa::store::{MAX_FILE, MasterListReport, pem_blocks};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use thiserror::Error;

/// Default maximum age of a master list before it is reported stale (days after its issue date).
pub const DEFAULT_MASTER_LIST_MAX_AGE_DAYS: u32 = 90;

/// Environment variables read by [`TrustSources::apply_env`].
pub mod env {
    /// `;`-separated master list files or directories.
    pub const MASTER_LISTS: &str = "TRUST_MASTER_LISTS";
    /// `;`-separated root certificates (DER/PEM) or directories master-list signers chain to.
    pub const MASTER_LIST_ROOTS: &str = "TRUST_MASTER_LIST_ROOTS";
    /// `;`-separated CSCA certificates (DER/PEM) or directories.
    pub const CSCA: &str = "TRUST_CSCA";
    /// `;`-separated CSCA CRLs (DER/PEM) or directories.
    pub const CRLS: &str = "TRUST_CRLS";
    /// `;`-separated master lists trusted WITHOUT verification.
    pub const UNVERIFIED_MASTER_LISTS: &str = "TRUST_UNVERIFIED_MASTER_LISTS";
    /// `true`/`false`: the embedded DE/NL master lists (default true).
    pub const EMBEDDED_MASTER_LISTS: &str = "TRUST_EMBEDDED_MASTER_LISTS";
    /// Days after its issue date a master list is expected to be replaced (default 90).
    pub const MASTER_LIST_MAX_AGE_DAYS: &str = "TRUST_MASTER_LIST_MAX_AGE_DAYS";
    /// `true`/`false`: trust the test PKI of `fixtures/pki` (default false).
    pub const TEST_PKI: &str = "DOCVAL_TEST_PKI";
}

/// A master list compiled into the program with the root its signer is pinned to.
#[derive(Debug)]
pub struct EmbeddedMasterList {
    /// ISO 3166-1 alpha-2 code of the issuing country (`"DE"`, `"NL"`).
    pub country: &'static str,
    /// File name of the list under `fixtures/masterlists/`.
    pub file: &'static str,
    /// The master list: CMS SignedData with id-icao-cscaMasterList content (Doc 9303-12).
    pub list: &'static [u8],
    /// File name of the pinned root under `fixtures/masterlists/`.
    pub root_file: &'static str,
    /// The DER root certificate the list's signer must chain to.
    pub root: &'static [u8],
}

impl EmbeddedMasterList {
    /// The source label of its certificates, reports and metrics.
    pub fn label(&self) -> String {
        format!("embedded:{}", self.file)
    }
}

/// The public CSCA master lists of Germany (BSI) and the Netherlands, with their signer roots
/// (`fixtures/masterlists/`, see `fixtures/PROVENANCE.md`).
pub const EMBEDDED_MASTER_LISTS: &[EmbeddedMasterList] = &[
    EmbeddedMasterList {
        country: "DE",
        file: "DE_ML_2026-05-28-08-28-45.ml",
        list: include_bytes!("../../../fixtures/masterlists/DE_ML_2026-05-28-08-28-45.ml"),
        root_file: "DE_ROOT_CA_CSCA07.cer",
        root: include_bytes!("../../../fixtures/masterlists/DE_ROOT_CA_CSCA07.cer"),
    },
    EmbeddedMasterList {
        country: "NL",
        file: "NL_ML_2026-07-22.ml",
        list: include_bytes!("../../../fixtures/masterlists/NL_ML_2026-07-22.ml"),
        root_file: "NL_ROOT_CA.cer",
        root: include_bytes!("../../../fixtures/masterlists/NL_ROOT_CA.cer"),
    },
];

/// The test PKI of `fixtures/pki` (fictitious state Utopia): CSCAs and the link certificate.
/// Its private keys are public: trusted only on request.
pub const TEST_PKI_CERTIFICATES: &[(&str, &[u8])] = &[
    (
        "test-pki:csca-rsa.cer",
        include_bytes!("../../../fixtures/pki/csca-rsa.cer"),
    ),
    (
        "test-pki:csca-ecdsa-explicit.cer",
        include_bytes!("../../../fixtures/pki/csca-ecdsa-explicit.cer"),
    ),
    (
        "test-pki:link-csca-rsa-to-ecdsa.cer",
        include_bytes!("../../../fixtures/pki/link-csca-rsa-to-ecdsa.cer"),
    ),
];
/// The CRLs of the test PKI.
pub const TEST_PKI_CRLS: &[(&str, &[u8])] = &[
    (
        "test-pki:csca-rsa.crl",
        include_bytes!("../../../fixtures/pki/csca-rsa.crl"),
    ),
    (
        "test-pki:csca-ecdsa.crl",
        include_bytes!("../../../fixtures/pki/csca-ecdsa.crl"),
    ),
];

/// Where the trust store comes from (the `[trust]` table of a TOML configuration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustSources {
    /// ICAO or national master lists (`.ml` files or directories of them); a list adds its
    /// certificates only when its signer chains to a configured or embedded root.
    pub master_lists: Vec<PathBuf>,
    /// Roots that master-list signers must chain to (certificates or directories).
    pub master_list_roots: Vec<PathBuf>,
    /// CSCA certificates (DER/PEM; a master list found here is treated as one): files or
    /// directories (searched recursively).
    #[serde(alias = "csca")]
    pub certificates: Vec<PathBuf>,
    /// CSCA CRLs (DER/PEM) or directories of them.
    pub crls: Vec<PathBuf>,
    /// Master lists whose certificates are trusted even when their signature or signer does
    /// not verify (a list obtained out of band). Reported as such.
    pub unverified_master_lists: Vec<PathBuf>,
    /// The embedded DE/NL master lists (default true).
    pub embedded_master_lists: bool,
    /// The test PKI whose private keys are public (default false).
    pub test_pki: bool,
    /// Days after its issue date a master list is expected to be replaced (default 90).
    pub master_list_max_age_days: u32,
}

impl Default for TrustSources {
    fn default() -> Self {
        TrustSources {
            master_lists: Vec::new(),
            master_list_roots: Vec::new(),
            certificates: Vec::new(),
            crls: Vec::new(),
            unverified_master_lists: Vec::new(),
            embedded_master_lists: true,
            test_pki: false,
            master_list_max_age_days: DEFAULT_MASTER_LIST_MAX_AGE_DAYS,
        }
    }
}

/// Why the trust store could not be built.
#[derive(Debug, Error)]
pub enum TrustError {
    /// A configured file or directory could not be read, is over the size limit, or a PEM
    /// file holds no certificate.
    #[error("{path}: {message}")]
    Io {
        /// The path concerned.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A configured file could not be parsed as a certificate, CRL or master list.
    #[error("{path}: {source}")]
    Pa {
        /// The file concerned.
        path: String,
        /// The parse error.
        #[source]
        source: emrtd_pa::PaError,
    },
    /// An embedded master list does not verify against its pinned root, or an embedded test
    /// PKI file does not parse: the build is broken, and nothing is trusted.
    #[error("embedded {name}: {message}")]
    Embedded {
        /// The embedded file.
        name: String,
        /// Why it was refused.
        message: String,
    },
    /// A boolean setting is not one of true/1/yes/on or false/0/no/off.
    #[error("{name}: {value:?} is not true or false")]
    InvalidBool {
        /// The setting (environment variable name).
        name: String,
        /// The value given.
        value: String,
    },
    /// The master list maximum age is not a whole number of days from 1 to 36500.
    #[error("{name}: {value:?} is not a whole number of days (1-36500)")]
    InvalidDays {
        /// The setting (environment variable name).
        name: String,
        /// The value given.
        value: String,
    },
}

/// The state of one loaded master list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MasterListStatus {
    /// `embedded:<file>` or the configured path.
    pub source: String,
    /// One of the [`EMBEDDED_MASTER_LISTS`].
    pub embedded: bool,
    /// Signature and signer verified against a root.
    pub verified: bool,
    /// Not verified, trusted because the operator marked the file so.
    pub trusted_unverified: bool,
    /// Number of entries in the list.
    pub certificates: usize,
    /// Certificates added to the store (0 for an unverified list not marked trusted).
    pub added: usize,
    /// Issue date: the list's signingTime (seconds since the epoch).
    pub issued: Option<i64>,
    /// Expected next update: issue date + the maximum age.
    pub next_update: Option<i64>,
    /// Past its expected next update when loaded.
    pub stale: bool,
    /// The list signer's subject name, when a signer certificate was found.
    pub signer: Option<String>,
    /// Why the list is not verified and other notes (`Code: detail`).
    pub reasons: Vec<String>,
}

impl MasterListStatus {
    fn from_report(r: &MasterListReport, max_age_days: u32, now: i64) -> Self {
        let mut s = MasterListStatus {
            source: r.source.clone(),
            embedded: r.source.starts_with("embedded:"),
            verified: r.verified(),
            trusted_unverified: r.trusted_unverified,
            certificates: r.certificates,
            added: r.added,
            issued: r.signing_time,
            next_update: r
                .signing_time
                .map(|t| t.saturating_add(i64::from(max_age_days).saturating_mul(86_400))),
            signer: r.signer.clone(),
            reasons: r
                .reasons
                .iter()
                .map(|x| format!("{:?}: {}", x.code, x.detail))
                .collect(),
            stale: false,
        };
        s.stale = s.is_stale_at(now);
        s
    }

    /// Past its expected next update at `now` (a list without an issue date is never stale:
    /// its age is unknown, which [`load`] reports separately).
    pub fn is_stale_at(&self, now: i64) -> bool {
        self.next_update.is_some_and(|n| now > n)
    }
}

/// What [`load`] built, for the start-up log, metrics and `emrtd verify`'s output.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrustReport {
    /// Number of trusted certificates (CSCAs and link certificates) in the store.
    pub certificates: usize,
    /// Number of CRLs loaded.
    pub crls: usize,
    /// The test PKI is trusted (a warning is in `warnings`).
    pub test_pki: bool,
    /// The embedded DE/NL master lists were loaded.
    pub embedded_master_lists: bool,
    /// The maximum age used for the master lists' expected next update.
    pub master_list_max_age_days: u32,
    /// Every master list loaded, in load order.
    pub master_lists: Vec<MasterListStatus>,
    /// Things an operator must act on: the test PKI, unverified or stale lists, unreadable
    /// files inside configured directories.
    pub warnings: Vec<String>,
    /// What was loaded (one line per source).
    pub notes: Vec<String>,
}

/// Splits a `;`-separated list of paths (blank entries ignored).
pub fn parse_path_list(value: &str) -> Vec<PathBuf> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// `true/1/yes` or `false/0/no` (any case).
pub fn parse_bool(name: &str, value: &str) -> Result<bool, TrustError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(TrustError::InvalidBool {
            name: name.to_string(),
            value: value.to_string(),
        }),
    }
}

impl TrustSources {
    /// Only the test PKI: for tests and demos on the virtual documents.
    pub fn test_pki_only() -> Self {
        TrustSources {
            embedded_master_lists: false,
            test_pki: true,
            ..TrustSources::default()
        }
    }

    /// Any file or directory configured.
    pub fn has_configured_sources(&self) -> bool {
        !(self.master_lists.is_empty()
            && self.master_list_roots.is_empty()
            && self.certificates.is_empty()
            && self.crls.is_empty()
            && self.unverified_master_lists.is_empty())
    }

    /// The defaults with the process environment applied.
    pub fn from_env() -> Result<Self, TrustError> {
        let mut s = TrustSources::default();
        s.apply_env(|k| std::env::var(k).ok())?;
        Ok(s)
    }

    /// Applies the variables of [`env`](mod@env) read through `get`. A path list that is set and not
    /// blank replaces the configured one (the environment overrides a TOML file); blank
    /// values are ignored.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), TrustError> {
        let lists: [(&str, &mut Vec<PathBuf>); 5] = [
            (env::MASTER_LISTS, &mut self.master_lists),
            (env::MASTER_LIST_ROOTS, &mut self.master_list_roots),
            (env::CSCA, &mut self.certificates),
            (env::CRLS, &mut self.crls),
            (env::UNVERIFIED_MASTER_LISTS, &mut self.unverified_master_lists),
        ];
        for (name, target) in lists {
            if let Some(v) = get(name) {
                let paths = parse_path_list(&v);
                if !paths.is_empty() {
                    *target = paths;
                }
            }
        }
        if let Some(v) = get(env::EMBEDDED_MASTER_LISTS).filter(|v| !v.trim().is_empty()) {
            self.embedded_master_lists = parse_bool(env::EMBEDDED_MASTER_LISTS, &v)?;
        }
        if let Some(v) = get(env::TEST_PKI).filter(|v| !v.trim().is_empty()) {
            self.test_pki = parse_bool(env::TEST_PKI, &v)?;
        }
        if let Some(v) = get(env::MASTER_LIST_MAX_AGE_DAYS).filter(|v| !v.trim().is_empty()) {
            self.master_list_max_age_days =
                v.trim()
                    .parse()
                    .ok()
                    .filter(|d| (1..=36_500).contains(d))
                    .ok_or_else(|| TrustError::InvalidDays {
                        name: env::MASTER_LIST_MAX_AGE_DAYS.to_string(),
                        value: v.clone(),
                    })?;
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TrustError> {
    let io = |e: std::io::Error| TrustError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE {
        return Err(TrustError::Io {
            path: path.display().to_string(),
            message: format!("larger than {MAX_FILE} bytes"),
        });
    }
    std::fs::read(path).map_err(io)
}

/// A file, or the regular files of a directory (sorted, hidden files skipped, not recursive).
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, TrustError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| TrustError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    Ok(files)
}

fn pa(path: &Path) -> impl FnOnce(emrtd_pa::PaError) -> TrustError + '_ {
    move |source| TrustError::Pa {
        path: path.display().to_string(),
        source,
    }
}

/// The DER certificates of a DER or PEM file.
fn certificates_of(data: Vec<u8>, path: &Path) -> Result<Vec<Vec<u8>>, TrustError> {
    match std::str::from_utf8(&data) {
        Ok(text) if text.contains("-----BEGIN") => {
            let blocks = pem_blocks(text, "CERTIFICATE").map_err(pa(path))?;
            if blocks.is_empty() {
                return Err(TrustError::Io {
                    path: path.display().to_string(),
                    message: "no CERTIFICATE in PEM".into(),
                });
            }
            Ok(blocks)
        }
        _ => Ok(vec![data]),
    }
}

/// The embedded lists verified against their pinned roots, built once per process (the
/// store is cloned for every [`load`]).
fn embedded_store() -> Result<TrustStore, TrustError> {
    static STORE: OnceLock<Result<TrustStore, (String, String)>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut store = TrustStore::new();
            for ml in EMBEDDED_MASTER_LISTS {
                let (own, mut report) = verify_embedded(ml).map_err(|m| (ml.file.to_string(), m))?;
                store
                    .add_master_list_root(ml.root)
                    .map_err(|e| (ml.file.to_string(), format!("root {}: {e}", ml.root_file)))?;
                report.added = 0;
                for c in own.certificates() {
                    if store.add_certificate(c.cert.clone(), &c.source) {
                        report.added += 1;
                    }
                }
                store.master_lists.push(report);
            }
            Ok(store)
        })
        .clone()
        .map_err(|(name, message)| TrustError::Embedded { name, message })
}

/// Loads an embedded list into a store holding only its pinned root; an error unless the
/// list's signature and signer verify against that root.
pub fn verify_embedded(ml: &EmbeddedMasterList) -> Result<(TrustStore, MasterListReport), String> {
    let mut own = TrustStore::new();
    own.add_master_list_root(ml.root)
        .map_err(|e| format!("root {}: {e}", ml.root_file))?;
    let report = own.add_master_list(ml.list, &ml.label()).map_err(|e| e.to_string())?;
    if !report.verified() {
        return Err(format!(
            "does not verify against its pinned root {}: {}",
            ml.root_file,
            reasons(&report)
        ));
    }
    Ok((own, report))
}

/// Adds the test PKI of `fixtures/pki` (both CSCAs, the link certificate, both CRLs).
fn add_test_pki(store: &mut TrustStore) -> Result<(), TrustError> {
    for (name, der) in TEST_PKI_CERTIFICATES {
        store.add_der(der, name).map_err(|e| TrustError::Embedded {
            name: (*name).to_string(),
            message: e.to_string(),
        })?;
    }
    for (name, der) in TEST_PKI_CRLS {
        store.add_crl(der, name).map_err(|e| TrustError::Embedded {
            name: (*name).to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// A store holding the test PKI alone: the one trust store of the test suites and benches
/// that read the virtual documents (whose signers' private keys are public: never in a
/// program's defaults).
pub fn test_pki_store() -> Result<TrustStore, TrustError> {
    let mut store = TrustStore::new();
    add_test_pki(&mut store)?;
    Ok(store)
}

/// Builds the trust store from `sources`; `now` (seconds since the epoch) decides which master
/// lists are stale. Files that cannot be read or parsed are errors (a program that silently
/// trusts less than configured would reject genuine documents without saying why); a
/// configured master list that does not verify adds no certificate and is a warning.
pub fn load(sources: &TrustSources, now: i64) -> Result<(TrustStore, TrustReport), TrustError> {
    let mut report = TrustReport {
        test_pki: sources.test_pki,
        embedded_master_lists: sources.embedded_master_lists,
        master_list_max_age_days: sources.master_list_max_age_days,
        ..TrustReport::default()
    };
    let mut store = if sources.embedded_master_lists {
        embedded_store()?
    } else {
        TrustStore::new()
    };
    if sources.test_pki {
        add_test_pki(&mut store)?;
        report.warnings.push(
            "trusting the TEST PKI of fixtures/pki: its private keys are public, anyone can sign a document it accepts (virtual documents only, never in production)"
                .into(),
        );
    }
    for root in &sources.master_list_roots {
        for file in expand(root)? {
            for der in certificates_of(read(&file)?, &file)? {
                store.add_master_list_root(&der).map_err(pa(&file))?;
            }
            report.notes.push(format!("master list root {}", file.display()));
        }
    }
    for ml in &sources.master_lists {
        for file in expand(ml)? {
            let r = store
                .add_master_list(&read(&file)?, &file.display().to_string())
                .map_err(pa(&file))?;
            if !r.verified() {
                report.warnings.push(format!(
                    "master list {} not verified, none of its certificates is trusted: {}",
                    file.display(),
                    reasons(&r)
                ));
            }
        }
    }
    for ml in &sources.unverified_master_lists {
        for file in expand(ml)? {
            let r = store
                .add_master_list_trusted(&read(&file)?, &file.display().to_string())
                .map_err(pa(&file))?;
            if r.trusted_unverified {
                report.warnings.push(format!(
                    "master list {} trusted WITHOUT verification (marked trusted by the operator; {} certificates): {}",
                    file.display(),
                    r.added,
                    reasons(&r)
                ));
            }
        }
    }
    for p in &sources.certificates {
        store.load_path(p).map_err(pa(p))?;
        report.notes.push(format!("CSCA certificates {}", p.display()));
    }
    for p in &sources.crls {
        for file in expand(p)? {
            let data = read(&file)?;
            match std::str::from_utf8(&data) {
                Ok(text) if text.contains("-----BEGIN") => {
                    for der in pem_blocks(text, "X509 CRL").map_err(pa(&file))? {
                        store.add_crl(&der, &file.display().to_string()).map_err(pa(&file))?;
                    }
                }
                _ => store.add_crl(&data, &file.display().to_string()).map_err(pa(&file))?,
            }
            report.notes.push(format!("CRL {}", file.display()));
        }
    }
    for e in &store.load_errors {
        report.warnings.push(format!("trust file skipped: {e}"));
    }
    for r in &store.master_lists {
        let s = MasterListStatus::from_report(r, sources.master_list_max_age_days, now);
        match (s.issued, s.next_update) {
            (Some(issued), Some(next)) => {
                report.notes.push(format!(
                    "master list {}: {} certificates added, issued {}, next update expected by {}",
                    s.source,
                    s.added,
                    format_time(issued),
                    format_time(next)
                ));
                if s.stale {
                    report.warnings.push(format!(
                        "master list {} is stale: issued {}, past its expected next update {} (issue date + {} days); load a newer list",
                        s.source,
                        format_time(issued),
                        format_time(next),
                        sources.master_list_max_age_days
                    ));
                }
            }
            _ => report.warnings.push(format!(
                "master list {} carries no signingTime: its age cannot be checked",
                s.source
            )),
        }
        report.master_lists.push(s);
    }
    report.certificates = store.len();
    report.crls = store.crls().count();
    Ok((store, report))
}

fn reasons(r: &MasterListReport) -> String {
    r.reasons
        .iter()
        .map(|x| x.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Seconds since the epoch now (0 if the clock is before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use std::collections::HashMap;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("emrtd-trust-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The issue date (signingTime) of the embedded list whose source contains `prefix`.
    fn issued(report: &TrustReport, prefix: &str) -> i64 {
        report
            .master_lists
            .iter()
            .find(|m| m.source.contains(prefix))
            .and_then(|m| m.issued)
            .unwrap()
    }

    #[test]
    fn path_lists_split_on_semicolons() {
        assert_eq!(
            parse_path_list(" /a/b.ml ;; /c dir/ ;"),
            vec![PathBuf::from("/a/b.ml"), PathBuf::from("/c dir/")]
        );
        assert!(parse_path_list(" ; ").is_empty());
    }

    #[test]
    fn environment_sets_every_source() {
        let mut s = TrustSources {
            master_lists: vec!["/from/toml.ml".into()],
            crls: vec!["/from/toml.crl".into()],
            ..TrustSources::default()
        };
        s.apply_env(env_of(&[
            ("TRUST_MASTER_LISTS", "/ml/a.ml;/ml/dir"),
            ("TRUST_MASTER_LIST_ROOTS", "/roots"),
            ("TRUST_CSCA", "/csca/x.der; /csca/y.pem"),
            ("TRUST_CRLS", "  "),
            ("TRUST_UNVERIFIED_MASTER_LISTS", "/oob/list.ml"),
            ("TRUST_EMBEDDED_MASTER_LISTS", "false"),
            ("DOCVAL_TEST_PKI", "TRUE"),
            ("TRUST_MASTER_LIST_MAX_AGE_DAYS", "30"),
        ]))
        .unwrap();
        assert_eq!(
            s.master_lists,
            vec![PathBuf::from("/ml/a.ml"), PathBuf::from("/ml/dir")]
        );
        assert_eq!(s.master_list_roots, vec![PathBuf::from("/roots")]);
        assert_eq!(
            s.certificates,
            vec![PathBuf::from("/csca/x.der"), PathBuf::from("/csca/y.pem")]
        );
        // A blank variable leaves the TOML value alone.
        assert_eq!(s.crls, vec![PathBuf::from("/from/toml.crl")]);
        assert_eq!(s.unverified_master_lists, vec![PathBuf::from("/oob/list.ml")]);
        assert!(!s.embedded_master_lists);
        assert!(s.test_pki);
        assert_eq!(s.master_list_max_age_days, 30);
        assert!(s.has_configured_sources());

        let mut d = TrustSources::default();
        d.apply_env(env_of(&[])).unwrap();
        assert_eq!(d, TrustSources::default());
        assert!(d.embedded_master_lists && !d.test_pki && !d.has_configured_sources());
        assert_eq!(d.master_list_max_age_days, 90);

        for (k, v) in [
            ("DOCVAL_TEST_PKI", "maybe"),
            ("TRUST_EMBEDDED_MASTER_LISTS", "2"),
            ("TRUST_MASTER_LIST_MAX_AGE_DAYS", "0"),
            ("TRUST_MASTER_LIST_MAX_AGE_DAYS", "ninety"),
        ] {
            let err = TrustSources::default().apply_env(env_of(&[(k, v)])).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
    }

    #[test]
    fn toml_table() {
        let s: TrustSources = toml::from_str(
            r#"
test_pki = true
csca = ["/etc/docval/csca"]
unverified_master_lists = ["/etc/docval/oob.ml"]
master_list_max_age_days = 45
"#,
        )
        .unwrap();
        assert!(s.test_pki && s.embedded_master_lists);
        assert_eq!(s.certificates, vec![PathBuf::from("/etc/docval/csca")]);
        assert_eq!(s.master_list_max_age_days, 45);
        assert!(toml::from_str::<TrustSources>("trust_everything = true").is_err());
    }

    #[test]
    fn defaults_are_the_embedded_lists_without_the_test_pki() {
        let (store, report) = load(&TrustSources::default(), 1_785_000_000).unwrap();
        assert!(!report.test_pki);
        assert_eq!(report.master_lists.len(), 2);
        for m in &report.master_lists {
            assert!(m.embedded && m.verified && !m.trusted_unverified, "{m:?}");
            assert!(m.added > 0, "{m:?}");
        }
        // Most NL entries are already in the DE list: each certificate is held once.
        assert_eq!(report.master_lists[0].added, 588);
        assert_eq!(store.len(), 588 + report.master_lists[1].added);
        assert_eq!(report.master_lists[0].source, "embedded:DE_ML_2026-05-28-08-28-45.ml");
        assert_eq!(report.master_lists[0].certificates, 588);
        assert_eq!(report.master_lists[1].certificates, 411);
        assert_eq!(report.certificates, store.len());
        assert!(store.certificates().all(|c| c.source.starts_with("embedded:")));
        assert!(
            !store
                .certificates()
                .any(|c| c.cert.subject.to_string().contains("C=UT"))
        );
        assert_eq!(report.crls, 0);
        assert!(!report.warnings.iter().any(|w| w.contains("TEST PKI")));
    }

    #[test]
    fn test_pki_only_when_asked() {
        let (store, report) = load(&TrustSources::test_pki_only(), 1_785_000_000).unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(report.crls, 2);
        assert!(report.master_lists.is_empty());
        assert!(store.certificates().all(|c| c.source.starts_with("test-pki:")));
        assert!(
            report.warnings.iter().any(|w| w.contains("TEST PKI")),
            "{:?}",
            report.warnings
        );
        let both = TrustSources {
            test_pki: true,
            ..TrustSources::default()
        };
        let (store, _) = load(&both, 1_785_000_000).unwrap();
        assert!(store.certificates().any(|c| c.source.starts_with("test-pki:")));
        assert!(store.certificates().any(|c| c.source.starts_with("embedded:")));
    }

    #[test]
    fn stale_lists_are_warned_about_past_issue_date_plus_max_age() {
        let (_, r) = load(&TrustSources::default(), 0).unwrap();
        let de = issued(&r, "DE_ML");
        let nl = issued(&r, "NL_ML");
        // The NL list's signingTime, as asserted in emrtd-pa's real_sod tests.
        assert_eq!(nl, 1_784_799_343);
        assert!(de < nl);
        for m in &r.master_lists {
            assert_eq!(m.next_update, m.issued.map(|t| t + 90 * 86_400));
        }
        // One second before the DE list's next update: nothing stale.
        let (_, r) = load(&TrustSources::default(), de + 90 * 86_400).unwrap();
        assert!(r.master_lists.iter().all(|m| !m.stale));
        assert!(!r.warnings.iter().any(|w| w.contains("stale")), "{:?}", r.warnings);
        // One second after: DE stale, NL not.
        let (_, r) = load(&TrustSources::default(), de + 90 * 86_400 + 1).unwrap();
        let stale: Vec<_> = r
            .master_lists
            .iter()
            .filter(|m| m.stale)
            .map(|m| m.source.as_str())
            .collect();
        assert_eq!(stale, vec!["embedded:DE_ML_2026-05-28-08-28-45.ml"]);
        let w: Vec<_> = r.warnings.iter().filter(|w| w.contains("stale")).collect();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("DE_ML") && w[0].contains("issue date + 90 days"), "{w:?}");
        // The maximum age is configurable.
        let short = TrustSources {
            master_list_max_age_days: 1,
            ..TrustSources::default()
        };
        let (_, r) = load(&short, nl + 86_400 + 1).unwrap();
        assert!(r.master_lists.iter().all(|m| m.stale));
        assert_eq!(r.warnings.iter().filter(|w| w.contains("stale")).count(), 2);
    }

    #[test]
    fn unverified_list_is_not_trusted_unless_marked() {
        let nl = fixtures().join("masterlists/NL_ML_2026-07-22.ml");
        let only_list = TrustSources {
            embedded_master_lists: false,
            master_lists: vec![nl.clone()],
            ..TrustSources::default()
        };
        let (store, r) = load(&only_list, 0).unwrap();
        assert_eq!(store.len(), 0);
        assert_eq!(r.master_lists[0].added, 0);
        assert!(!r.master_lists[0].verified && !r.master_lists[0].trusted_unverified);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("NL_ML") && w.contains("not verified, none of its certificates is trusted")),
            "{:?}",
            r.warnings
        );
        let marked = TrustSources {
            embedded_master_lists: false,
            unverified_master_lists: vec![nl],
            ..TrustSources::default()
        };
        let (store, r) = load(&marked, 0).unwrap();
        assert!(r.master_lists[0].trusted_unverified);
        assert_eq!(store.len(), r.master_lists[0].added);
        assert!(store.len() > 400);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("trusted WITHOUT verification") && w.contains("no master list signer root")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn directories_in_the_environment() {
        let dir = temp_dir("dirs");
        let roots = dir.join("roots");
        let lists = dir.join("lists");
        let csca = dir.join("csca");
        for d in [&roots, &lists, &csca] {
            std::fs::create_dir_all(d).unwrap();
        }
        let m = fixtures().join("masterlists");
        std::fs::copy(m.join("DE_ROOT_CA_CSCA07.cer"), roots.join("de.cer")).unwrap();
        std::fs::copy(m.join("NL_ROOT_CA.cer"), roots.join("nl.cer")).unwrap();
        std::fs::write(roots.join(".hidden"), b"not a certificate").unwrap();
        std::fs::copy(m.join("DE_ML_2026-05-28-08-28-45.ml"), lists.join("de.ml")).unwrap();
        std::fs::copy(m.join("NL_ML_2026-07-22.ml"), lists.join("nl.ml")).unwrap();
        let pki = fixtures().join("pki");
        std::fs::copy(pki.join("csca-rsa.cer"), csca.join("csca-rsa.cer")).unwrap();
        let mut s = TrustSources::default();
        s.apply_env(env_of(&[
            ("TRUST_MASTER_LIST_ROOTS", roots.to_str().unwrap()),
            ("TRUST_MASTER_LISTS", lists.to_str().unwrap()),
            ("TRUST_CSCA", csca.to_str().unwrap()),
            (
                "TRUST_CRLS",
                &format!(
                    "{};{}",
                    pki.join("csca-rsa.crl").display(),
                    pki.join("csca-ecdsa.crl").display()
                ),
            ),
            ("TRUST_EMBEDDED_MASTER_LISTS", "false"),
        ]))
        .unwrap();
        let (store, r) = load(&s, 0).unwrap();
        assert_eq!(r.master_lists.len(), 2);
        assert!(
            r.master_lists.iter().all(|m| m.verified && !m.embedded),
            "{:?}",
            r.master_lists
        );
        assert!(r.master_lists[0].source.ends_with("de.ml"));
        assert!(store.certificates().any(|c| c.source.ends_with("csca-rsa.cer")));
        assert_eq!(r.crls, 2);
        // The same certificates as the embedded lists, plus the one CSCA file.
        let (embedded, _) = load(&TrustSources::default(), 0).unwrap();
        assert_eq!(store.len(), embedded.len() + 1);
        // A missing file is an error naming it.
        let missing = TrustSources {
            crls: vec![dir.join("nope.crl")],
            ..TrustSources::default()
        };
        assert!(load(&missing, 0).unwrap_err().to_string().contains("nope.crl"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_embedded_list_must_verify_against_its_own_pinned_root() {
        for ml in EMBEDDED_MASTER_LISTS {
            let (_, r) = verify_embedded(ml).unwrap();
            assert!(r.verified());
        }
        // The DE list pinned to the NL root is refused.
        let (de, nl) = (&EMBEDDED_MASTER_LISTS[0], &EMBEDDED_MASTER_LISTS[1]);
        let wrong = EmbeddedMasterList {
            country: "DE",
            file: de.file,
            list: de.list,
            root_file: nl.root_file,
            root: nl.root,
        };
        let err = verify_embedded(&wrong).unwrap_err();
        assert!(
            err.contains("does not verify against its pinned root NL_ROOT_CA.cer"),
            "{err}"
        );
    }
}
