//! Differential testing of passive authentication against OpenSSL (issue 16 §2).
//!
//! Every SOD, EF.CardSecurity, master list, certificate and CRL found under the given roots
//! (`fixtures/`, `../shared/vectors/`), and structured mutations of them, are judged by
//! docval and by the `openssl` tool; [`run`] returns one [`Observation`] per comparison and
//! classifies it as agreement, intended difference ([`intended::INTENDED`]) or disagreement.
//!
//! Four checks, each with the same bytes and the same trust anchors on both sides:
//!
//! * **CMS signature** (SOD, EF.CardSecurity, master list): docval's
//!   [`emrtd_pa::store::verify_signed_data_signature`] (signed attributes and signature with
//!   the embedded signer certificate, no chain) against `openssl cms -verify -binary
//!   -noverify`.
//! * **Chain** (Document Signer certificates): docval's
//!   [`emrtd_pa::verify::chain_document_signer_with`] against `openssl verify -partial_chain`
//!   with the same CSCA certificates as trust anchors (docval trusts every store certificate as
//!   an anchor, `-partial_chain` does the same), the CRLs of the DS issuer (`-crl_check`, only
//!   when there is one: docval does not require a CRL), and the same check time (`-attime`:
//!   the middle of the DS validity period).
//! * **CRL signature**: docval's [`emrtd_pa::store::crl_signed_by`] against `openssl crl
//!   -CAfile ISSUER`, for every trusted certificate named as the CRL issuer.
//! * **Certificate signature** (every certificate, including master list entries): docval's
//!   [`emrtd_pa::store::signed_by`] for every candidate issuer (same issuer name or key
//!   identifier; a self-issued certificate also against itself) against `openssl dgst -verify`
//!   with the issuer's public key over the TBS bytes (cut out with the TLV codec).
#![allow(dead_code)]

pub mod intended;
pub mod mutate;
pub mod openssl;
pub mod tree;

use emrtd_lds::cms::SignedData;
use emrtd_pa::cert::{Certificate, Crl};
use emrtd_pa::store::{TrustStore, crl_signed_by, parse_master_list_entries, signed_by, verify_signed_data_signature};
use emrtd_pa::verify::chain_document_signer_with;
use emrtd_pa::{HashAlg, PaOptions, ReasonCode};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub const OID_LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";
pub const OID_MASTER_LIST: &str = "2.23.136.1.1.2";
pub const OID_EAC_SECURITY_OBJECT: &str = "0.4.0.127.0.7.3.2.1";

/// What is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    CmsSignature,
    Chain,
    CrlSignature,
    CertSignature,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::CmsSignature => "CMS signature",
            Check::Chain => "DS chain",
            Check::CrlSignature => "CRL signature",
            Check::CertSignature => "certificate signature",
        }
    }
}

/// The input of one comparison.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A ContentInfo (for an EF.SOD, without its `77` wrapper).
    Cms(Vec<u8>),
    Chain {
        leaf: Vec<u8>,
        anchors: Vec<Vec<u8>>,
        crls: Vec<Vec<u8>>,
        at: Option<i64>,
    },
    Crl {
        crl: Vec<u8>,
        issuer: Vec<u8>,
    },
    CertSig {
        cert: Vec<u8>,
        issuer: Vec<u8>,
    },
}

/// One comparison to make.
#[derive(Clone, Debug)]
pub struct Case {
    pub check: Check,
    /// The original input (file, or file and entry).
    pub input: String,
    /// `original` or the mutation's name.
    pub mutation: String,
    pub subject: Subject,
}

/// Both verdicts of one comparison.
#[derive(Clone, Debug)]
pub struct Observation {
    pub check: Check,
    pub input: String,
    pub mutation: String,
    pub docval: bool,
    pub docval_reasons: Vec<ReasonCode>,
    pub docval_note: String,
    pub openssl: bool,
    pub openssl_errors: Vec<u32>,
    pub openssl_note: String,
}

impl Observation {
    pub fn docval_has(&self, code: ReasonCode) -> bool {
        self.docval_reasons.contains(&code)
    }
    pub fn openssl_has(&self, code: u32) -> bool {
        self.openssl_errors.contains(&code)
    }
    pub fn mutation_is(&self, prefix: &str) -> bool {
        self.mutation.starts_with(prefix)
    }
}

/// The classification of an observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// An entry of [`intended::INTENDED`] (its kind).
    Intended(&'static str),
    Disagree,
}

pub fn classify(o: &Observation) -> Verdict {
    if o.docval == o.openssl {
        return Verdict::Agree;
    }
    match intended::INTENDED.iter().find(|d| (d.matches)(o)) {
        Some(d) => Verdict::Intended(d.kind),
        None => Verdict::Disagree,
    }
}

/// The inputs found under the roots.
#[derive(Default)]
pub struct Corpus {
    /// (name, kind, ContentInfo bytes).
    pub signed: Vec<(String, &'static str, Vec<u8>)>,
    /// (name, DER) of every distinct certificate: files, SignedData certificates, master list
    /// entries.
    pub certs: Vec<(String, Vec<u8>)>,
    /// Names of certificates that are SOD / EF.CardSecurity signers (Document Signers).
    pub document_signers: Vec<(String, Vec<u8>)>,
    pub crls: Vec<(String, Vec<u8>)>,
    /// Files read but recognised as none of the above (data groups, keys, EF.CardAccess…).
    pub skipped: usize,
}

const EXTENSIONS: &[&str] = &["bin", "cer", "crt", "der", "crl", "ml"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(p);
        }
    }
}

/// The ContentInfo of an EF.SOD (`77` wrapper removed) or of a bare ContentInfo.
pub fn content_info(data: &[u8]) -> Option<Vec<u8>> {
    let t = emrtd_lds::asn1::first(data).ok()?;
    if t.tag == emrtd_apdu::tlv::Tag(0x77) {
        let inner = emrtd_lds::asn1::first(t.value).ok()?;
        Some(inner.raw.to_vec())
    } else {
        Some(t.raw.to_vec())
    }
}

fn sha(data: &[u8]) -> Vec<u8> {
    HashAlg::Sha256.digest(data)
}

impl Corpus {
    /// Reads every file with a known extension under `roots` (in sorted order; identical
    /// files are read once).
    pub fn load(roots: &[PathBuf]) -> Corpus {
        let mut c = Corpus::default();
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut seen_certs: HashSet<Vec<u8>> = HashSet::new();
        for root in roots {
            let mut files = Vec::new();
            walk(root, &mut files);
            let base = root.parent().unwrap_or(root);
            for f in files {
                let Ok(data) = std::fs::read(&f) else { continue };
                if !seen.insert(sha(&data)) {
                    continue;
                }
                let name = f.strip_prefix(base).unwrap_or(&f).to_string_lossy().replace('\\', "/");
                if let Some(ci) = content_info(&data)
                    && let Ok(sd) = SignedData::from_content_info(&ci)
                {
                    let kind = match sd.encap_content_type.as_str() {
                        OID_LDS_SECURITY_OBJECT => "EF.SOD",
                        OID_MASTER_LIST => "master list",
                        OID_EAC_SECURITY_OBJECT => "EF.CardSecurity",
                        _ => "SignedData",
                    };
                    for (i, der) in sd.certificates.iter().enumerate() {
                        if seen_certs.insert(sha(der)) {
                            c.certs.push((format!("{name}#cert{i}"), der.clone()));
                        }
                    }
                    if kind != "master list"
                        && let Some(si) = sd.signer_infos.first()
                        && let Some(der) = signer_certificate(&sd, si)
                    {
                        c.document_signers.push((name.clone(), der));
                    }
                    if kind == "master list"
                        && let Ok((entries, _)) = parse_master_list_entries(&sd.encap_content)
                    {
                        for (i, e) in entries.iter().enumerate() {
                            if seen_certs.insert(sha(&e.raw)) {
                                c.certs.push((format!("{name}#entry{i}"), e.raw.clone()));
                            }
                        }
                    }
                    c.signed.push((name, kind, ci));
                } else if Certificate::from_der(&data).is_ok() {
                    if seen_certs.insert(sha(&data)) {
                        c.certs.push((name, data));
                    }
                } else if Crl::from_der(&data).is_ok() {
                    c.crls.push((name, data));
                } else {
                    c.skipped += 1;
                }
            }
        }
        c
    }

    /// A trust store holding every certificate of the corpus (to find candidate issuers).
    pub fn pool(&self) -> TrustStore {
        let mut s = TrustStore::new();
        for (name, der) in &self.certs {
            if let Ok(cert) = Certificate::from_der(der) {
                s.add_certificate(cert, name);
            }
        }
        s
    }
}

/// The certificate of `sd.certificates` the SignerInfo names (issuer and serial, or subject
/// key identifier), as docval reads it.
fn signer_certificate(sd: &SignedData, si: &emrtd_lds::cms::SignerInfo) -> Option<Vec<u8>> {
    let check = verify_signed_data_signature(
        &SignedData {
            signer_infos: vec![si.clone()],
            ..sd.clone()
        },
        None,
    );
    check.signer.map(|c| c.raw)
}

/// The middle of a certificate's validity period.
pub fn midpoint(cert: &Certificate) -> i64 {
    cert.not_before + (cert.not_after - cert.not_before) / 2
}

/// The comparisons for the unmutated corpus. `cert_stride` > 1 compares every n-th
/// certificate only (the bounded test).
pub fn original_cases(c: &Corpus, cert_stride: usize) -> Vec<Case> {
    let pool = c.pool();
    let mut cases = Vec::new();
    for (name, _, ci) in &c.signed {
        cases.push(Case {
            check: Check::CmsSignature,
            input: name.clone(),
            mutation: "original".into(),
            subject: Subject::Cms(ci.clone()),
        });
    }
    for (name, der) in &c.document_signers {
        if let Some(case) = chain_case(&pool, c, name, der, "original") {
            cases.push(case);
        }
    }
    for (i, (name, der)) in c.certs.iter().enumerate() {
        if cert_stride > 1 && i % cert_stride != 0 {
            continue;
        }
        let Ok(cert) = Certificate::from_der(der) else { continue };
        let mut issuers: Vec<Vec<u8>> = pool.issuers_of(&cert).iter().map(|t| t.cert.raw.clone()).collect();
        if cert.is_self_issued() && !issuers.contains(&cert.raw) {
            issuers.push(cert.raw.clone());
        }
        for issuer in issuers {
            cases.push(Case {
                check: Check::CertSignature,
                input: name.clone(),
                mutation: "original".into(),
                subject: Subject::CertSig {
                    cert: der.clone(),
                    issuer,
                },
            });
        }
    }
    for (name, der) in &c.crls {
        let Ok(crl) = Crl::from_der(der) else { continue };
        for t in pool.crl_issuers(&crl) {
            cases.push(Case {
                check: Check::CrlSignature,
                input: name.clone(),
                mutation: "original".into(),
                subject: Subject::Crl {
                    crl: der.clone(),
                    issuer: t.cert.raw.clone(),
                },
            });
        }
    }
    cases
}

/// A chain comparison for a Document Signer: anchors are the corpus certificates docval
/// finds as its candidate issuers, CRLs those issued under the DS issuer name.
pub fn chain_case(pool: &TrustStore, c: &Corpus, name: &str, ds_der: &[u8], mutation: &str) -> Option<Case> {
    let ds = Certificate::from_der(ds_der).ok()?;
    let anchors: Vec<Vec<u8>> = pool.issuers_of(&ds).iter().map(|t| t.cert.raw.clone()).collect();
    let crls: Vec<Vec<u8>> = c
        .crls
        .iter()
        .filter(|(_, d)| Crl::from_der(d).is_ok_and(|crl| crl.issuer.matches(&ds.issuer)))
        .map(|(_, d)| d.clone())
        .collect();
    Some(Case {
        check: Check::Chain,
        input: format!("{name}#signer"),
        mutation: mutation.into(),
        subject: Subject::Chain {
            leaf: ds_der.to_vec(),
            anchors,
            crls,
            at: Some(midpoint(&ds)),
        },
    })
}

/// docval's verdict: (accept, reason codes, note).
pub fn docval(subject: &Subject) -> (bool, Vec<ReasonCode>, String) {
    match subject {
        Subject::Cms(ci) => match SignedData::from_content_info(ci) {
            Err(e) => (false, vec![ReasonCode::SodStructure], e.to_string()),
            Ok(sd) => {
                let c = verify_signed_data_signature(&sd, None);
                let note = c.reasons.last().map(|r| r.detail.clone()).unwrap_or_default();
                (c.signature_valid, c.reasons.iter().map(|r| r.code).collect(), note)
            }
        },
        Subject::Chain {
            leaf,
            anchors,
            crls,
            at,
        } => {
            let ds = match Certificate::from_der(leaf) {
                Ok(c) => c,
                Err(e) => return (false, vec![ReasonCode::DsCertificateUnparsable], e.to_string()),
            };
            let mut store = TrustStore::new();
            for a in anchors {
                let _ = store.add_der(a, "anchor");
            }
            for c in crls {
                let _ = store.add_crl(c, "crl");
            }
            let opts = PaOptions {
                at: *at,
                ..PaOptions::default()
            };
            let out = chain_document_signer_with(&ds, &store, &opts);
            let note = out
                .reasons
                .iter()
                .filter(|r| r.code != ReasonCode::Info)
                .map(|r| r.detail.clone())
                .collect::<Vec<_>>()
                .join("; ");
            (out.valid, out.reasons.iter().map(|r| r.code).collect(), note)
        }
        Subject::Crl { crl, issuer } => match (Crl::from_der(crl), Certificate::from_der(issuer)) {
            (Ok(crl), Ok(issuer)) => (crl_signed_by(&crl, &issuer), Vec::new(), String::new()),
            (Err(e), _) | (_, Err(e)) => (false, vec![ReasonCode::SodStructure], e.to_string()),
        },
        Subject::CertSig { cert, issuer } => match (Certificate::from_der(cert), Certificate::from_der(issuer)) {
            (Ok(c), Ok(i)) => (signed_by(&c, &i), Vec::new(), String::new()),
            (Err(e), _) | (_, Err(e)) => (false, vec![ReasonCode::DsCertificateUnparsable], e.to_string()),
        },
    }
}

/// The error of the `openssl` function for a certificate signature algorithm `openssl dgst` cannot
/// check (such cases are counted as not compared).
pub const NOT_COMPARABLE: &str = "not comparable";

/// OpenSSL's verdict.
pub fn openssl(o: &mut openssl::Openssl, subject: &Subject) -> Result<openssl::Answer, String> {
    match subject {
        Subject::Cms(ci) => o.cms(ci),
        Subject::Chain {
            leaf,
            anchors,
            crls,
            at,
        } => o.verify(leaf, anchors, crls, *at, false),
        Subject::Crl { crl, issuer } => o.crl(crl, issuer),
        Subject::CertSig { cert, issuer } => o
            .cert_signature(cert, issuer)?
            .ok_or_else(|| NOT_COMPARABLE.to_string()),
    }
}

/// Makes one comparison.
pub fn observe(o: &mut openssl::Openssl, case: &Case) -> Result<Observation, String> {
    let (d, reasons, note) = docval(&case.subject);
    let a = openssl(o, &case.subject)?;
    Ok(Observation {
        check: case.check,
        input: case.input.clone(),
        mutation: case.mutation.clone(),
        docval: d,
        docval_reasons: reasons,
        docval_note: note,
        openssl: a.accept,
        openssl_errors: a.errors,
        openssl_note: a.note,
    })
}

/// Counts of a run.
#[derive(Default, Debug)]
pub struct Report {
    /// What was read: signed objects by kind, certificates, CRLs, files skipped.
    pub corpus: String,
    pub compared: usize,
    /// Certificate signatures with an algorithm `openssl dgst` cannot check.
    pub not_comparable: usize,
    pub agree_accept: usize,
    pub agree_reject: usize,
    /// (check, kind) → count.
    pub intended: BTreeMap<(Check, &'static str), usize>,
    pub disagreements: Vec<Observation>,
    /// (check, original?) → count.
    pub by_check: BTreeMap<(Check, bool), usize>,
    /// mutation family → count.
    pub by_mutation: BTreeMap<String, usize>,
}

impl Report {
    pub fn add(&mut self, o: Observation) {
        self.compared += 1;
        *self.by_check.entry((o.check, o.mutation == "original")).or_default() += 1;
        let family = o.mutation.split(['(', ':']).next().unwrap_or_default().to_string();
        *self.by_mutation.entry(family).or_default() += 1;
        match classify(&o) {
            Verdict::Agree if o.docval => self.agree_accept += 1,
            Verdict::Agree => self.agree_reject += 1,
            Verdict::Intended(kind) => *self.intended.entry((o.check, kind)).or_default() += 1,
            Verdict::Disagree => self.disagreements.push(o),
        }
    }

    pub fn intended_total(&self) -> usize {
        self.intended.values().sum()
    }

    /// A plain-text (or Markdown) summary.
    pub fn summary(&self, markdown: bool) -> String {
        let mut s = String::new();
        let agree = self.agree_accept + self.agree_reject;
        s.push_str(&self.corpus);
        if self.not_comparable > 0 {
            s.push_str(&format!(
                "; {} certificate signatures with an algorithm openssl dgst cannot check not compared",
                self.not_comparable
            ));
        }
        s.push_str(if markdown { "\n\n" } else { "\n" });
        if markdown {
            s.push_str("| comparisons | agreements (both accept / both reject) | intended differences | disagreements |\n|---|---|---|---|\n");
            s.push_str(&format!(
                "| {} | {} ({} / {}) | {} | {} |\n\n",
                self.compared,
                agree,
                self.agree_accept,
                self.agree_reject,
                self.intended_total(),
                self.disagreements.len()
            ));
            s.push_str("| check | originals | mutations |\n|---|---|---|\n");
            let checks: Vec<Check> = {
                let mut v: Vec<Check> = self.by_check.keys().map(|(c, _)| *c).collect();
                v.dedup();
                v
            };
            for c in checks {
                s.push_str(&format!(
                    "| {} | {} | {} |\n",
                    c.name(),
                    self.by_check.get(&(c, true)).copied().unwrap_or(0),
                    self.by_check.get(&(c, false)).copied().unwrap_or(0)
                ));
            }
            s.push_str("\n| intended difference (kind) | check | count |\n|---|---|---|\n");
            for ((c, k), n) in &self.intended {
                s.push_str(&format!("| {k} | {} | {n} |\n", c.name()));
            }
            s.push_str("\n| mutation family | comparisons |\n|---|---|\n");
            for (m, n) in &self.by_mutation {
                s.push_str(&format!("| `{m}` | {n} |\n"));
            }
        } else {
            s.push_str(&format!(
                "compared {}: agree {} (both accept {}, both reject {}), intended differences {}, disagreements {}\n",
                self.compared,
                agree,
                self.agree_accept,
                self.agree_reject,
                self.intended_total(),
                self.disagreements.len()
            ));
            for ((c, k), n) in &self.intended {
                s.push_str(&format!("  intended [{}] {k}: {n}\n", c.name()));
            }
        }
        for d in &self.disagreements {
            s.push_str(&format!(
                "DISAGREEMENT [{}] {} / {}: docval {} ({:?}: {}), openssl {} (errors {:?}: {})\n",
                d.check.name(),
                d.input,
                d.mutation,
                if d.docval { "accepts" } else { "rejects" },
                d.docval_reasons,
                d.docval_note,
                if d.openssl { "accepts" } else { "rejects" },
                d.openssl_errors,
                d.openssl_note
            ));
        }
        s
    }
}

/// The list of intended differences as a Markdown table (kind, rule, reason).
pub fn intended_markdown() -> String {
    let mut s = String::from("| intended difference | rule | reason |\n|---|---|---|\n");
    for d in intended::INTENDED {
        let clean = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "/");
        s.push_str(&format!("| {} | {} | {} |\n", d.kind, clean(d.rule), clean(d.reason)));
    }
    s
}

/// Writes the inputs of a disagreement to `dir` (`DOCVAL_DIFFPA_DUMP`), to replay by hand.
fn dump_case(dir: &Path, n: usize, case: &Case) {
    let _ = std::fs::create_dir_all(dir);
    let files: Vec<(&str, Vec<u8>)> = match &case.subject {
        Subject::Cms(ci) => vec![("ci.der", ci.clone())],
        Subject::Chain {
            leaf, anchors, crls, ..
        } => {
            let mut v = vec![("leaf.der", leaf.clone())];
            v.extend(anchors.iter().map(|a| ("anchor.der", a.clone())));
            v.extend(crls.iter().map(|c| ("crl.der", c.clone())));
            v
        }
        Subject::Crl { crl, issuer } => vec![("crl.der", crl.clone()), ("issuer.der", issuer.clone())],
        Subject::CertSig { cert, issuer } => vec![("cert.der", cert.clone()), ("issuer.der", issuer.clone())],
    };
    for (i, (name, data)) in files.iter().enumerate() {
        let _ = std::fs::write(dir.join(format!("{n:04}-{i}-{name}")), data);
    }
}

/// Runs the originals and `mutations` mutations (seeded), calling `progress` now and then.
pub fn run(roots: &[PathBuf], pki: &Path, mutations: usize, seed: u64, cert_stride: usize) -> Result<Report, String> {
    let corpus = Corpus::load(roots);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, k, _) in &corpus.signed {
        *kinds.entry(k).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let corpus_line = format!(
        "corpus: {} signed objects ({}), {} distinct certificates ({} Document Signers), {} CRLs; {} other files skipped",
        corpus.signed.len(),
        kinds.join(", "),
        corpus.certs.len(),
        corpus.document_signers.len(),
        corpus.crls.len(),
        corpus.skipped
    );
    let mut cases = original_cases(&corpus, cert_stride);
    cases.extend(mutate::cases(&corpus, pki, mutations, seed)?);
    let mut o = openssl::Openssl::new().map_err(|e| format!("scratch directory: {e}"))?;
    let mut report = Report {
        corpus: corpus_line,
        ..Report::default()
    };
    let dump = std::env::var_os("DOCVAL_DIFFPA_DUMP").map(PathBuf::from);
    for case in &cases {
        let obs = match observe(&mut o, case) {
            Ok(obs) => obs,
            Err(e) if e == NOT_COMPARABLE => {
                report.not_comparable += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(dir) = &dump
            && classify(&obs) == Verdict::Disagree
        {
            dump_case(dir, report.disagreements.len(), case);
        }
        report.add(obs);
    }
    Ok(report)
}
