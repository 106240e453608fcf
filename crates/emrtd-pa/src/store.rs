//! The CSCA trust store: certificates from DER/PEM files, directories and ICAO master lists,
//! indexed by subject key identifier and subject; CSCA CRLs.

use crate::cert::{Certificate, Crl};
use crate::hash::HashAlg;
use crate::sig;
use crate::{PaError, Reason, ReasonCode};
use emrtd_lds::cms::SignedData;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

/// id-icao-cscaMasterList 2.23.136.1.1.2: the eContentType of a CSCA master list
/// (Doc 9303-12, CSCA master list).
pub const OID_CSCA_MASTER_LIST: &str = "2.23.136.1.1.2";

/// Largest file the loaders read.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// A trusted certificate and where it came from.
#[derive(Clone, Debug)]
pub struct TrustedCert {
    /// The certificate (a CSCA or link certificate).
    pub cert: Certificate,
    /// Where it was loaded from: the file name or label given to the loader (for a master list
    /// entry, the list's).
    pub source: String,
}

/// The result of loading a master list.
#[derive(Clone, Debug, Serialize)]
pub struct MasterListReport {
    /// The file or label the list was loaded from.
    pub source: String,
    /// Number of entries in the list (including those that did not parse).
    pub certificates: usize,
    /// Number of certificates added to the store (0 when the list is not verified and not
    /// marked trusted; duplicates are not counted).
    pub added: usize,
    /// The CMS signature over the list verified with the signer certificate.
    pub signature_valid: bool,
    /// The signer certificate verified against a configured signer root.
    pub signer_verified: bool,
    /// The master list signer's subject name, when a signer certificate was found.
    pub signer: Option<String>,
    /// The list's signingTime signed attribute (seconds since the epoch), when present: the
    /// date the list was issued. ICAO master lists carry no next-update date.
    pub signing_time: Option<i64>,
    /// The list was not verified but its certificates were added because the operator marked
    /// the file as trusted ([`TrustStore::add_master_list_trusted`]).
    pub trusted_unverified: bool,
    /// Why the list is not verified, and notes (skipped entries, unknown critical extensions).
    pub reasons: Vec<Reason>,
}

impl MasterListReport {
    /// Both the list's signature and its signer verified.
    pub fn verified(&self) -> bool {
        self.signature_valid && self.signer_verified
    }
}

/// The trust store.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    certs: Vec<TrustedCert>,
    by_ski: HashMap<Vec<u8>, Vec<usize>>,
    by_subject: HashMap<String, Vec<usize>>,
    fingerprints: HashSet<String>,
    crls: Vec<(Crl, String)>,
    /// Roots configured to verify master list signers.
    master_list_roots: Vec<Certificate>,
    /// A report for every master list loaded, in load order.
    pub master_lists: Vec<MasterListReport>,
    /// Files that could not be used, with the reason.
    pub load_errors: Vec<String>,
    /// Outcomes of signature checks already made (see [`SignatureMemo`]).
    memo: SignatureMemo,
}

/// Largest number of remembered signature checks; beyond it checks are made but not kept.
pub const MAX_MEMO_ENTRIES: usize = 16_384;

/// Remembers the outcome of checking a certificate's or CRL's signature with an issuer
/// certificate, keyed by the SHA-256 of the exact encodings of both (the signed object with
/// its algorithm and signature, and the issuer certificate with its key and parameters), so
/// the outcome is a pure function of the key. Validity periods, key usage and revocation are
/// not remembered: they are evaluated on every use.
#[derive(Debug, Default)]
struct SignatureMemo {
    map: Mutex<HashMap<[u8; 32], bool>>,
}

impl Clone for SignatureMemo {
    fn clone(&self) -> Self {
        let map = self.map.lock().map(|m| m.clone()).unwrap_or_default();
        SignatureMemo { map: Mutex::new(map) }
    }
}

impl SignatureMemo {
    fn key(kind: u8, object: &[u8], issuer: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update([kind]);
        h.update((object.len() as u64).to_be_bytes());
        h.update(object);
        h.update((issuer.len() as u64).to_be_bytes());
        h.update(issuer);
        let mut out = [0u8; 32];
        out.copy_from_slice(&h.finalize());
        out
    }

    fn check(&self, kind: u8, object: &[u8], issuer: &[u8], verify: impl FnOnce() -> bool) -> bool {
        let key = Self::key(kind, object, issuer);
        if let Ok(m) = self.map.lock()
            && let Some(v) = m.get(&key)
        {
            return *v;
        }
        let v = verify();
        if let Ok(mut m) = self.map.lock()
            && m.len() < MAX_MEMO_ENTRIES
        {
            m.insert(key, v);
        }
        v
    }

    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl TrustStore {
    /// An empty store (no CSCAs, CRLs or master list roots).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of trusted certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// True when no certificate is trusted.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The trusted certificates, in load order.
    pub fn certificates(&self) -> impl Iterator<Item = &TrustedCert> {
        self.certs.iter()
    }

    /// The CRLs loaded (their signatures are checked when they are applied).
    pub fn crls(&self) -> impl Iterator<Item = &Crl> {
        self.crls.iter().map(|(c, _)| c)
    }

    /// Adds a trusted certificate; returns false for a duplicate.
    pub fn add_certificate(&mut self, cert: Certificate, source: &str) -> bool {
        let fp = cert.fingerprint();
        if !self.fingerprints.insert(fp) {
            return false;
        }
        let idx = self.certs.len();
        if let Some(ski) = &cert.subject_key_id {
            self.by_ski.entry(ski.clone()).or_default().push(idx);
        }
        self.by_subject.entry(cert.subject.normalized()).or_default().push(idx);
        self.certs.push(TrustedCert {
            cert,
            source: source.to_string(),
        });
        true
    }

    /// Adds a DER certificate.
    pub fn add_der(&mut self, der: &[u8], source: &str) -> Result<bool, PaError> {
        Ok(self.add_certificate(Certificate::from_der(der)?, source))
    }

    /// Adds every certificate of a PEM text; returns how many were added.
    pub fn add_pem(&mut self, text: &str, source: &str) -> Result<usize, PaError> {
        let mut n = 0;
        for der in pem_blocks(text, "CERTIFICATE")? {
            if self.add_der(&der, source)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Configures a root that master list signers must chain to.
    pub fn add_master_list_root(&mut self, der: &[u8]) -> Result<(), PaError> {
        self.master_list_roots.push(Certificate::from_der(der)?);
        Ok(())
    }

    /// Adds a CRL (its signature is checked when it is applied).
    pub fn add_crl(&mut self, der: &[u8], source: &str) -> Result<(), PaError> {
        let crl = Crl::from_der(der)?;
        self.crls.push((crl, source.to_string()));
        Ok(())
    }

    /// Loads an ICAO CSCA master list (CMS SignedData). Its certificates are added; the
    /// report says whether the list's signature and its signer verified against a configured
    /// master list root.
    ///
    /// Certificates of a list are added only when its signature verified and its signer
    /// chains to a configured master list root ([`MasterListReport::verified`]); an
    /// unverified list adds nothing and says why in its report.
    pub fn add_master_list(&mut self, data: &[u8], source: &str) -> Result<MasterListReport, PaError> {
        self.add_master_list_inner(data, source, false)
    }

    /// Like [`TrustStore::add_master_list`], but adds the certificates even when the list is
    /// not verified: for a file the operator explicitly marked as trusted (e.g. a list obtained
    /// out of band whose signer root is not at hand). The report says so.
    pub fn add_master_list_trusted(&mut self, data: &[u8], source: &str) -> Result<MasterListReport, PaError> {
        self.add_master_list_inner(data, source, true)
    }

    fn add_master_list_inner(
        &mut self,
        data: &[u8],
        source: &str,
        trust_unverified: bool,
    ) -> Result<MasterListReport, PaError> {
        let sd = SignedData::from_content_info(data)?;
        if sd.encap_content_type != OID_CSCA_MASTER_LIST {
            return Err(PaError::MasterList(format!(
                "content type {} is not id-icao-cscaMasterList",
                sd.encap_content_type
            )));
        }
        let (list, bad) = parse_master_list_entries(&sd.encap_content)?;
        let mut report = MasterListReport {
            source: source.to_string(),
            certificates: list.len() + bad.len(),
            added: 0,
            signature_valid: false,
            signer_verified: false,
            signer: None,
            signing_time: sd
                .signer_infos
                .first()
                .and_then(|si| si.signed_attributes.as_ref())
                .and_then(|a| a.signing_time),
            trusted_unverified: false,
            reasons: bad
                .iter()
                .map(|e| Reason::new(ReasonCode::Info, format!("master list entry skipped: {e}")))
                .collect(),
        };
        let check = verify_signed_data_signature(&sd, None);
        report.reasons.extend(check.reasons.clone());
        report.signature_valid = check.signature_valid;
        if let Some(signer) = &check.signer {
            report.signer = Some(signer.subject.to_string());
            let roots = &self.master_list_roots;
            let mut verified = false;
            for root in roots {
                if root.subject.matches(&signer.issuer) && signed_by(signer, root) {
                    verified = true;
                    break;
                }
            }
            if !verified {
                // The signer may have been issued by a CSCA inside the list itself, which
                // is in turn the configured root: accept a chain of length two.
                for c in &list {
                    if c.subject.matches(&signer.issuer)
                        && signed_by(signer, c)
                        && roots.iter().any(|r| {
                            r.fingerprint() == c.fingerprint() || (r.subject.matches(&c.issuer) && signed_by(c, r))
                        })
                    {
                        verified = true;
                        break;
                    }
                }
            }
            let unknown = signer.unknown_critical_extensions();
            if verified && !unknown.is_empty() {
                verified = false;
                report.reasons.push(Reason::new(
                    ReasonCode::UnknownCriticalExtension,
                    format!(
                        "master list signer has unknown critical extensions {}",
                        unknown.join(", ")
                    ),
                ));
            }
            report.signer_verified = verified;
            if !verified {
                report.reasons.push(Reason::new(
                    ReasonCode::MasterListSignerNotVerified,
                    if roots.is_empty() {
                        "no master list signer root configured".to_string()
                    } else {
                        format!("signer {} does not chain to a configured root", signer.subject)
                    },
                ));
            }
        }
        if !report.verified() {
            if trust_unverified {
                report.trusted_unverified = true;
                report.reasons.push(Reason::new(
                    ReasonCode::Info,
                    "master list not verified; its certificates are trusted because the file is marked trusted",
                ));
            } else {
                report.reasons.push(Reason::new(
                    ReasonCode::MasterListSignerNotVerified,
                    "master list not verified: none of its certificates was added",
                ));
                self.master_lists.push(report.clone());
                return Ok(report);
            }
        }
        for c in list {
            if self.add_certificate(c, source) {
                report.added += 1;
            }
        }
        self.master_lists.push(report.clone());
        Ok(report)
    }

    /// Loads a file: a master list, a CRL, a PEM bundle or a DER certificate (detected from
    /// the content).
    pub fn load_file(&mut self, path: &Path) -> Result<(), PaError> {
        let meta = std::fs::metadata(path).map_err(|e| PaError::Io(format!("{}: {e}", path.display())))?;
        if meta.len() > MAX_FILE {
            return Err(PaError::Io(format!("{}: file too large", path.display())));
        }
        let data = std::fs::read(path).map_err(|e| PaError::Io(format!("{}: {e}", path.display())))?;
        let name = path.display().to_string();
        self.load_bytes(&data, &name)
    }

    /// Loads bytes of any supported kind (see [`TrustStore::load_file`]).
    pub fn load_bytes(&mut self, data: &[u8], name: &str) -> Result<(), PaError> {
        if let Ok(text) = std::str::from_utf8(data)
            && text.contains("-----BEGIN")
        {
            let mut n = 0;
            for der in pem_blocks(text, "CERTIFICATE")? {
                self.add_der(&der, name)?;
                n += 1;
            }
            for der in pem_blocks(text, "X509 CRL")? {
                self.add_crl(&der, name)?;
                n += 1;
            }
            if n == 0 {
                return Err(PaError::Io(format!("{name}: no certificate or CRL in PEM")));
            }
            return Ok(());
        }
        if SignedData::from_content_info(data).is_ok() {
            self.add_master_list(data, name)?;
            return Ok(());
        }
        if let Ok(cert) = Certificate::from_der(data) {
            self.add_certificate(cert, name);
            return Ok(());
        }
        if Crl::from_der(data).is_ok() {
            return self.add_crl(data, name);
        }
        Err(PaError::Io(format!("{name}: not a certificate, CRL or master list")))
    }

    /// Loads a file or every file of a directory (recursively, bounded depth); files that
    /// fail are recorded in `load_errors`.
    pub fn load_path(&mut self, path: &Path) -> Result<(), PaError> {
        self.load_path_depth(path, 0)
    }

    fn load_path_depth(&mut self, path: &Path, depth: usize) -> Result<(), PaError> {
        if path.is_dir() {
            if depth > 8 {
                return Ok(());
            }
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| PaError::Io(format!("{}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for p in entries {
                if let Err(e) = self.load_path_depth(&p, depth + 1) {
                    self.load_errors.push(e.to_string());
                }
            }
            Ok(())
        } else {
            self.load_file(path)
        }
    }

    /// Candidate issuers of `cert`: by authority key identifier first, then by issuer name.
    pub fn issuers_of(&self, cert: &Certificate) -> Vec<&TrustedCert> {
        self.issuers_by(cert.authority_key_id.as_deref(), &cert.issuer)
    }

    /// Candidate signers of `crl`: every trusted certificate with the CRL's authority key
    /// identifier or issuer name (after a key rollover the CSCA certificates of both keys
    /// carry the same name).
    pub fn crl_issuers(&self, crl: &Crl) -> Vec<&TrustedCert> {
        self.issuers_by(crl.authority_key_id.as_deref(), &crl.issuer)
    }

    fn issuers_by(&self, aki: Option<&[u8]>, issuer: &crate::cert::Name) -> Vec<&TrustedCert> {
        let mut idx: Vec<usize> = Vec::new();
        if let Some(aki) = aki
            && let Some(v) = self.by_ski.get(aki)
        {
            idx.extend(v);
        }
        if let Some(v) = self.by_subject.get(&issuer.normalized()) {
            for i in v {
                if !idx.contains(i) {
                    idx.push(*i);
                }
            }
        }
        idx.iter().filter_map(|i| self.certs.get(*i)).collect()
    }

    /// [`signed_by`], remembered: a certificate whose exact encoding was already checked
    /// with the same issuer certificate is not verified again.
    pub fn signed_by(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        self.memo.check(0, &cert.raw, &issuer.raw, || signed_by(cert, issuer))
    }

    /// [`crl_signed_by`], remembered like [`TrustStore::signed_by`].
    pub fn crl_signed_by(&self, crl: &Crl, issuer: &Certificate) -> bool {
        self.memo.check(1, &crl.raw, &issuer.raw, || crl_signed_by(crl, issuer))
    }

    /// How many signature checks are remembered.
    pub fn remembered_signatures(&self) -> usize {
        self.memo.len()
    }

    /// CRLs issued under the name of `issuer`.
    pub fn crls_for(&self, issuer: &crate::cert::Name) -> Vec<&Crl> {
        self.crls
            .iter()
            .filter(|(c, _)| c.issuer.matches(issuer))
            .map(|(c, _)| c)
            .collect()
    }
}

/// Whether `cert`'s signature verifies with `issuer`'s key over the exact TBS bytes. A
/// certificate whose outer signatureAlgorithm differs from the TBS one never verifies.
pub fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if !cert.signature_algorithm_consistent() {
        return false;
    }
    let Ok(scheme) = sig::resolve(&cert.signature_algorithm, None) else {
        return false;
    };
    let inherited = match &issuer.spki.key {
        emrtd_lds::pubkey::PublicKey::Ec { params, .. } => Some(params),
        _ => None,
    };
    sig::verify(scheme, &issuer.spki, inherited, &cert.tbs, &cert.signature).unwrap_or(false)
}

/// Whether `crl`'s signature verifies with `issuer`'s key (and its outer signatureAlgorithm
/// equals the TBS one).
pub fn crl_signed_by(crl: &Crl, issuer: &Certificate) -> bool {
    if crl.signature_algorithm != crl.tbs_signature_algorithm {
        return false;
    }
    let Ok(scheme) = sig::resolve(&crl.signature_algorithm, None) else {
        return false;
    };
    sig::verify(scheme, &issuer.spki, None, &crl.tbs, &crl.signature).unwrap_or(false)
}

/// CscaMasterList content read leniently: the certificates that parse, and an error message
/// for each entry that does not (one odd entry does not discard the list).
pub fn parse_master_list_entries(content: &[u8]) -> Result<(Vec<Certificate>, Vec<String>), PaError> {
    let t = emrtd_lds::asn1::one(content)?;
    let c = emrtd_lds::asn1::children(&t)?;
    let set = emrtd_lds::asn1::get(&c, 1, "CscaMasterList")?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, cert) in set.children()?.enumerate() {
        match cert.map_err(PaError::from).and_then(|c| Certificate::parse(&c)) {
            Ok(c) => out.push(c),
            Err(e) => bad.push(format!("entry {i}: {e}")),
        }
    }
    Ok((out, bad))
}

/// CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }.
pub fn parse_master_list_content(content: &[u8]) -> Result<Vec<Certificate>, PaError> {
    let t = emrtd_lds::asn1::one(content)?;
    let c = emrtd_lds::asn1::children(&t)?;
    let set = emrtd_lds::asn1::get(&c, 1, "CscaMasterList")?;
    let mut out = Vec::new();
    for cert in set.children()? {
        out.push(Certificate::parse(&cert?)?);
    }
    Ok(out)
}

/// The outcome of checking a SignedData's signature.
#[derive(Clone, Debug)]
pub struct SignatureCheck {
    /// The signed attributes are consistent and the signature verifies with the signer's key.
    pub signature_valid: bool,
    /// The signer certificate used (found in the SignedData or supplied), if any.
    pub signer: Option<Certificate>,
    /// Failures and notes of the check.
    pub reasons: Vec<Reason>,
}

/// Checks the first SignerInfo of `sd`: signed attributes (content type and message digest)
/// and the signature, with the signer certificate taken from `sd.certificates` (or `ds` when
/// given).
pub fn verify_signed_data_signature(sd: &SignedData, ds: Option<&Certificate>) -> SignatureCheck {
    let mut reasons = Vec::new();
    let fail = |reasons: Vec<Reason>, signer: Option<Certificate>| SignatureCheck {
        signature_valid: false,
        signer,
        reasons,
    };
    let Some(si) = sd.signer_infos.first() else {
        reasons.push(Reason::new(ReasonCode::SodStructure, "no SignerInfo"));
        return fail(reasons, None);
    };
    if sd.signer_infos.len() > 1 {
        reasons.push(Reason::new(
            ReasonCode::Info,
            "more than one SignerInfo; the first is used",
        ));
    }
    // The signer certificate.
    let signer = match ds {
        Some(c) => Some(c.clone()),
        None => {
            let mut found = None;
            let mut first = None;
            for der in &sd.certificates {
                match Certificate::from_der(der) {
                    Ok(c) => {
                        if first.is_none() {
                            first = Some(c.clone());
                        }
                        let m = match &si.sid {
                            emrtd_lds::cms::SignerIdentifier::IssuerAndSerialNumber { issuer, serial } => {
                                emrtd_lds::asn1::strip_int(serial) == c.serial.as_slice()
                                    && (c.issuer.raw == *issuer
                                        || emrtd_lds::asn1::one(issuer)
                                            .ok()
                                            .and_then(|t| crate::cert::Name::parse(&t).ok())
                                            .is_some_and(|n| n.matches(&c.issuer)))
                            }
                            emrtd_lds::cms::SignerIdentifier::SubjectKeyIdentifier(k) => {
                                c.subject_key_id.as_ref() == Some(k)
                            }
                        };
                        if m {
                            found = Some(c);
                            break;
                        }
                    }
                    Err(e) => reasons.push(Reason::new(
                        ReasonCode::DsCertificateUnparsable,
                        format!("certificate in SignedData: {e}"),
                    )),
                }
            }
            if found.is_none() && first.is_some() {
                reasons.push(Reason::new(
                    ReasonCode::Info,
                    "signer identifier matches no certificate; the first certificate is tried",
                ));
            }
            found.or(first)
        }
    };
    let Some(signer) = signer else {
        reasons.push(Reason::new(
            ReasonCode::DsCertificateMissing,
            "no Document Signer certificate in the SOD and none supplied",
        ));
        return fail(reasons, None);
    };
    let Some(digest_alg) = HashAlg::from_oid(&si.digest_algorithm.oid) else {
        reasons.push(Reason::new(
            ReasonCode::UnsupportedAlgorithm,
            format!("digest algorithm {}", si.digest_algorithm.oid),
        ));
        return fail(reasons, Some(signer));
    };
    let scheme = match sig::resolve(&si.signature_algorithm, Some(digest_alg)) {
        Ok(s) => s,
        Err(e) => {
            reasons.push(Reason::new(ReasonCode::UnsupportedAlgorithm, e));
            return fail(reasons, Some(signer));
        }
    };
    let message: Vec<u8> = match &si.signed_attributes {
        Some(sa) => {
            let mut ok = true;
            match &sa.content_type {
                Some(ct) if *ct == sd.encap_content_type => {}
                Some(ct) => {
                    ok = false;
                    reasons.push(Reason::new(
                        ReasonCode::SignedAttributesInvalid,
                        format!(
                            "content-type attribute {ct} differs from eContentType {}",
                            sd.encap_content_type
                        ),
                    ));
                }
                None => {
                    ok = false;
                    reasons.push(Reason::new(
                        ReasonCode::SignedAttributesInvalid,
                        "content-type attribute missing",
                    ));
                }
            }
            let actual = digest_alg.digest(&sd.encap_content);
            match &sa.message_digest {
                Some(md) if *md == actual => {}
                Some(_) => {
                    ok = false;
                    reasons.push(Reason::new(
                        ReasonCode::SignedAttributesInvalid,
                        "message-digest attribute does not match the hash of the encapsulated content",
                    ));
                }
                None => {
                    ok = false;
                    reasons.push(Reason::new(
                        ReasonCode::SignedAttributesInvalid,
                        "message-digest attribute missing",
                    ));
                }
            }
            // RFC 5652 §11.3: at most one signing-time attribute, with a single value (the
            // reader's choice between two would be arbitrary; OpenSSL rejects them).
            let times: Vec<&emrtd_lds::cms::Attribute> = sa
                .attributes
                .iter()
                .filter(|a| a.oid == emrtd_lds::cms::OID_SIGNING_TIME)
                .collect();
            if times.len() > 1 || times.iter().any(|a| a.values.len() != 1) {
                ok = false;
                reasons.push(Reason::new(
                    ReasonCode::SignedAttributesInvalid,
                    "signing-time attribute repeated or not single-valued",
                ));
            }
            if !ok {
                return fail(reasons, Some(signer));
            }
            sa.to_be_signed.clone()
        }
        None => sd.encap_content.clone(),
    };
    match sig::verify(scheme, &signer.spki, None, &message, &si.signature) {
        Ok(true) => SignatureCheck {
            signature_valid: true,
            signer: Some(signer),
            reasons,
        },
        Ok(false) => {
            reasons.push(Reason::new(
                ReasonCode::SodSignatureInvalid,
                "the SignerInfo signature does not verify with the Document Signer key",
            ));
            fail(reasons, Some(signer))
        }
        Err(e) => {
            reasons.push(Reason::new(ReasonCode::UnsupportedAlgorithm, e));
            fail(reasons, Some(signer))
        }
    }
}

/// Extracts the base64 bodies of PEM blocks with the given label.
pub fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, PaError> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = rest.get(start + begin.len()..).unwrap_or_default();
        let Some(stop) = after.find(&end) else {
            return Err(PaError::Io("PEM block without END line".into()));
        };
        let body: String = after
            .get(..stop)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| PaError::Io(format!("PEM base64: {e}")))?;
        out.push(der);
        rest = after.get(stop + end.len()..).unwrap_or_default();
    }
    Ok(out)
}
