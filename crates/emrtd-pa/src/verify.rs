//! Passive authentication (Doc 9303-11 §5.1): SOD signature, Document Signer chain to a
//! CSCA, CRLs, issuing state, data group hashes.

use crate::cert::{CertSummary, Certificate, key_usage};
use crate::hash::HashAlg;
use crate::store::{TrustStore, verify_signed_data_signature};
use crate::{Reason, ReasonCode};
use emrtd_lds::asn1::format_time;
use emrtd_lds::cms::SignedData;
use emrtd_lds::sod::EfSod;
use serde::Serialize;
use std::collections::BTreeMap;

#[path = "country_table.rs"]
mod country_table;

/// The ISO 3166-1 alpha-2 code for an MRZ (alpha-3 / ICAO) code.
pub fn alpha2_for_mrz_code(code: &str) -> Option<&'static str> {
    let code = code.trim_end_matches('<');
    country_table::ALPHA3_TO_ALPHA2
        .iter()
        .find(|(a3, _)| *a3 == code)
        .map(|(_, a2)| *a2)
}

/// Options of a verification.
///
/// Construct with `..PaOptions::default()` so that new policy switches keep their defaults.
#[derive(Clone, Debug, Default)]
pub struct PaOptions {
    /// The time (seconds since the epoch) at which certificate validity is checked; `None`
    /// skips validity periods (reported as a reason).
    pub at: Option<i64>,
    /// A Document Signer certificate to use instead of the one in the SOD.
    pub ds_certificate: Option<Vec<u8>>,
    /// Skip the issuing-state check against DG1.
    pub skip_country_check: bool,
    /// Fail PA when the revocation status is stale: every usable CRL of the DS issuer is past
    /// its nextUpdate at the check time ([`ReasonCode::RevocationStale`] is reported either
    /// way). Default false: reported, not failed.
    pub fail_on_stale_crl: bool,
    /// Fail PA when the DS or CSCA key is RSA under 2048 bits ([`ReasonCode::WeakRsaKey`] is
    /// reported either way). Default false, since documents in circulation still use them.
    pub fail_on_weak_rsa_key: bool,
    /// Fail PA on a SHA-1 signature of the SOD or the DS certificate
    /// ([`ReasonCode::Sha1Signature`] is reported either way). Default false.
    pub fail_on_sha1_signature: bool,
}

/// The verdict, with the fields of the result model and a detailed reason list.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PaOutcome {
    /// The SignerInfo's signed attributes are consistent and its signature verifies with the
    /// Document Signer key.
    pub sod_signature_valid: bool,
    /// The Document Signer chains to a trusted CSCA and passes validity, key usage, CRL,
    /// country and policy checks.
    pub document_certificate_valid: bool,
    /// Numbers of the data groups supplied and checked, ascending.
    pub data_groups_checked: Vec<u8>,
    /// Numbers of the data groups whose hash equals the SOD's.
    pub data_groups_with_valid_hash: Vec<u8>,
    /// Every supplied data group has a matching hash in the SOD (false when none was
    /// supplied; true for EF.CardSecurity, which has none).
    pub all_hashes_valid: bool,
    /// Set when the SOD (or EF.CardSecurity, or a supplied DS certificate) could not be parsed
    /// at all.
    pub error: Option<String>,
    /// Every failure and note, in the order found.
    pub reasons: Vec<Reason>,
    /// The hash algorithm of the LDS security object.
    pub hash_algorithm: Option<HashAlg>,
    /// The SignerInfo's signatureAlgorithm OID (dotted-decimal).
    pub signature_algorithm: Option<String>,
    /// The Document Signer certificate used.
    pub document_signer: Option<CertSummary>,
    /// The trusted certificate the Document Signer chains to.
    pub csca: Option<CertSummary>,
    /// Certificates from the trusted CSCA up to a self-signed root (link certificates).
    pub csca_path: Vec<CertSummary>,
    /// The check time ([`PaOptions::at`]), formatted; `None` when validity was not checked.
    pub checked_at: Option<String>,
    /// The signing-time signed attribute, when present.
    pub signing_time: Option<String>,
    /// Data groups hashed in the SOD but not supplied.
    pub data_groups_not_supplied: Vec<u8>,
}

impl PaOutcome {
    /// Everything verified.
    pub fn verified(&self) -> bool {
        self.sod_signature_valid && self.document_certificate_valid && self.all_hashes_valid && self.error.is_none()
    }

    fn reason(&mut self, code: ReasonCode, detail: impl Into<String>) {
        self.reasons.push(Reason::new(code, detail));
    }

    /// Whether a reason with this code was recorded.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Result of chaining a Document Signer certificate.
#[derive(Clone, Debug, Default)]
pub struct ChainOutcome {
    /// The Document Signer is valid under the trust store and the options.
    pub valid: bool,
    /// The trusted certificate whose key verified the DS signature.
    pub csca: Option<Certificate>,
    /// Certificates from the CSCA through link certificates to a self-signed root.
    pub path: Vec<Certificate>,
    /// Failures and notes of the chain check.
    pub reasons: Vec<Reason>,
}

/// Chains `ds` to a trusted certificate of `store`, checking validity at `at`, key usage and
/// CRLs, with the default policy ([`chain_document_signer_with`]).
pub fn chain_document_signer(ds: &Certificate, store: &TrustStore, at: Option<i64>) -> ChainOutcome {
    chain_document_signer_with(
        ds,
        store,
        &PaOptions {
            at,
            ..PaOptions::default()
        },
    )
}

/// Certificate rules common to the DS and its CSCA: the outer signatureAlgorithm equals the
/// TBS one, no unknown critical extension (both reject), RSA keys of 2048 bits or more
/// (reported; rejects under `fail_on_weak_rsa_key`). Returns false when `cert` is rejected.
fn certificate_rules(cert: &Certificate, role: &str, opts: &PaOptions, reasons: &mut Vec<Reason>) -> bool {
    let mut ok = true;
    if !cert.signature_algorithm_consistent() {
        ok = false;
        reasons.push(Reason::new(
            ReasonCode::CertificateAlgorithmMismatch,
            format!(
                "{role} certificate signatureAlgorithm {} differs from its TBS signature algorithm {}",
                cert.signature_algorithm.oid, cert.tbs_signature_algorithm.oid
            ),
        ));
    }
    let unknown = cert.unknown_critical_extensions();
    if !unknown.is_empty() {
        ok = false;
        reasons.push(Reason::new(
            ReasonCode::UnknownCriticalExtension,
            format!(
                "{role} certificate has unknown critical extensions {}",
                unknown.join(", ")
            ),
        ));
    }
    if let Some(bits) = cert.rsa_modulus_bits()
        && bits < crate::rsa::WEAK_MODULUS_BITS
    {
        if opts.fail_on_weak_rsa_key {
            ok = false;
        }
        reasons.push(Reason::new(
            ReasonCode::WeakRsaKey,
            format!(
                "{role} RSA key of {bits} bits (under {}){}",
                crate::rsa::WEAK_MODULUS_BITS,
                if opts.fail_on_weak_rsa_key {
                    "; rejected by policy"
                } else {
                    ""
                }
            ),
        ));
    }
    ok
}

/// Chains `ds` to a trusted certificate of `store` under the options' check time and policy:
/// certificate rules, validity, key usage, country, and the CRLs of the DS issuer (checked
/// against every trusted certificate of the CRL's issuer, whose key must have cRLSign).
pub fn chain_document_signer_with(ds: &Certificate, store: &TrustStore, opts: &PaOptions) -> ChainOutcome {
    let at = opts.at;
    let mut out = ChainOutcome::default();
    if !ds.signature_algorithm_consistent() {
        certificate_rules(ds, "DS", opts, &mut out.reasons);
        return out;
    }
    let candidates = store.issuers_of(ds);
    if candidates.is_empty() {
        out.reasons.push(Reason::new(
            ReasonCode::CscaNotFound,
            format!(
                "no trusted CSCA with subject {} or the DS authority key identifier",
                ds.issuer
            ),
        ));
        return out;
    }
    let verifying: Vec<&Certificate> = candidates
        .iter()
        .map(|t| &t.cert)
        .filter(|c| store.signed_by(ds, c))
        .collect();
    if verifying.is_empty() {
        out.reasons.push(Reason::new(
            ReasonCode::DsCertificateSignatureInvalid,
            format!(
                "the DS certificate signature verifies with none of the {} candidate CSCA certificates",
                candidates.len()
            ),
        ));
        return out;
    }
    // Prefer a CSCA valid at the check time.
    let csca = match at {
        Some(t) => verifying.iter().find(|c| c.valid_at(t)).or(verifying.first()),
        None => verifying.first(),
    };
    let Some(csca) = csca.copied() else {
        return out;
    };
    let mut valid = certificate_rules(ds, "DS", opts, &mut out.reasons);
    valid &= certificate_rules(csca, "CSCA", opts, &mut out.reasons);
    if let Ok(scheme) = crate::sig::resolve(&ds.signature_algorithm, None)
        && scheme.hash() == HashAlg::Sha1
    {
        if opts.fail_on_sha1_signature {
            valid = false;
        }
        out.reasons.push(Reason::new(
            ReasonCode::Sha1Signature,
            format!(
                "DS certificate signed with SHA-1 ({}){}",
                ds.signature_algorithm.oid,
                if opts.fail_on_sha1_signature {
                    "; rejected by policy"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(t) = at {
        if !ds.valid_at(t) {
            valid = false;
            out.reasons.push(Reason::new(
                ReasonCode::DsCertificateExpired,
                format!(
                    "DS certificate valid {} to {}, checked at {}",
                    format_time(ds.not_before),
                    format_time(ds.not_after),
                    format_time(t)
                ),
            ));
        }
        if !csca.valid_at(t) {
            valid = false;
            out.reasons.push(Reason::new(
                ReasonCode::CscaExpired,
                format!(
                    "CSCA certificate valid {} to {}, checked at {}",
                    format_time(csca.not_before),
                    format_time(csca.not_after),
                    format_time(t)
                ),
            ));
        }
    } else {
        out.reasons.push(Reason::new(
            ReasonCode::Info,
            "validity periods not checked (no check time given)",
        ));
    }
    if let Some(ku) = ds.key_usage
        && ku & key_usage::DIGITAL_SIGNATURE == 0
    {
        valid = false;
        out.reasons.push(Reason::new(
            ReasonCode::KeyUsage,
            "DS certificate key usage lacks digitalSignature",
        ));
    }
    if let Some(ku) = csca.key_usage
        && ku & key_usage::KEY_CERT_SIGN == 0
    {
        valid = false;
        out.reasons.push(Reason::new(
            ReasonCode::KeyUsage,
            "CSCA certificate key usage lacks keyCertSign",
        ));
    }
    if csca.is_ca == Some(false) {
        valid = false;
        out.reasons.push(Reason::new(
            ReasonCode::KeyUsage,
            "CSCA certificate is not a CA (basicConstraints)",
        ));
    }
    if let (Some(a), Some(b)) = (ds.issuer.country(), csca.subject.country())
        && a != b
    {
        valid = false;
        out.reasons.push(Reason::new(
            ReasonCode::CountryMismatch,
            format!("DS issuer country {a} differs from CSCA country {b}"),
        ));
    }
    // CRLs of the DS issuer. Each is verified with every trusted certificate of its own
    // issuer (name or authority key identifier): after a key rollover the new key signs the
    // CRL that lists Document Signers of the old one.
    let mut usable = 0usize;
    let mut fresh = false;
    for crl in store.crls_for(&ds.issuer) {
        let signers: Vec<&Certificate> = store
            .crl_issuers(crl)
            .into_iter()
            .map(|t| &t.cert)
            .filter(|c| store.crl_signed_by(crl, c))
            .collect();
        if signers.is_empty() {
            out.reasons.push(Reason::new(
                ReasonCode::CrlSignatureInvalid,
                format!(
                    "CRL from {} verifies with no trusted certificate of its issuer; ignored",
                    crl.issuer
                ),
            ));
            continue;
        }
        if !signers
            .iter()
            .any(|c| c.key_usage.is_some_and(|ku| ku & key_usage::CRL_SIGN != 0))
        {
            out.reasons.push(Reason::new(
                ReasonCode::CrlSignerNotAuthorized,
                format!(
                    "CRL from {} is signed by a key without the cRLSign key usage; ignored",
                    crl.issuer
                ),
            ));
            continue;
        }
        usable += 1;
        match (at, crl.next_update) {
            (Some(t), Some(next)) if t > next => out.reasons.push(Reason::new(
                ReasonCode::Info,
                format!("CRL from {} is past its nextUpdate {}", crl.issuer, format_time(next)),
            )),
            _ => fresh = true,
        }
        if crl.lists(&ds.serial) {
            valid = false;
            out.reasons.push(Reason::new(
                ReasonCode::DsRevoked,
                format!(
                    "DS certificate serial {} is on the CRL of {}",
                    hex::encode_upper(&ds.serial),
                    crl.issuer
                ),
            ));
        }
    }
    if usable > 0 && !fresh {
        if opts.fail_on_stale_crl {
            valid = false;
        }
        out.reasons.push(Reason::new(
            ReasonCode::RevocationStale,
            format!(
                "revocation status stale: every CRL of {} is past its nextUpdate{}",
                ds.issuer,
                if opts.fail_on_stale_crl {
                    "; rejected by policy"
                } else {
                    ""
                }
            ),
        ));
    }
    // Path from the CSCA through link certificates to a self-signed root (informational).
    let mut cur = csca.clone();
    for _ in 0..8 {
        // A self-signed certificate ends the path; a link certificate has the same subject
        // and issuer names but is signed by the previous key.
        if cur.is_self_issued() && store.signed_by(&cur, &cur) {
            break;
        }
        let next = store
            .issuers_of(&cur)
            .into_iter()
            .map(|t| &t.cert)
            .find(|c| c.raw != cur.raw && store.signed_by(&cur, c))
            .cloned();
        match next {
            Some(n) => {
                out.path.push(n.clone());
                cur = n;
            }
            None => break,
        }
    }
    out.valid = valid;
    out.csca = Some(csca.clone());
    out
}

/// Verifies a SignedData (SOD or EF.CardSecurity): signature and DS chain.
pub fn verify_signed_data(
    sd: &SignedData,
    store: &TrustStore,
    opts: &PaOptions,
    out: &mut PaOutcome,
) -> Option<Certificate> {
    out.checked_at = opts.at.map(format_time);
    let supplied = match &opts.ds_certificate {
        Some(der) => match Certificate::from_der(der) {
            Ok(c) => Some(c),
            Err(e) => {
                out.reason(
                    ReasonCode::DsCertificateUnparsable,
                    format!("supplied DS certificate: {e}"),
                );
                out.error = Some(format!("supplied DS certificate: {e}"));
                return None;
            }
        },
        None => None,
    };
    if let Some(si) = sd.signer_infos.first() {
        out.signature_algorithm = Some(si.signature_algorithm.oid.clone());
        out.signing_time = si
            .signed_attributes
            .as_ref()
            .and_then(|a| a.signing_time)
            .map(format_time);
    }
    let check = verify_signed_data_signature(sd, supplied.as_ref());
    out.sod_signature_valid = check.signature_valid;
    out.reasons.extend(check.reasons);
    if let Some(si) = sd.signer_infos.first() {
        let digest = HashAlg::from_oid(&si.digest_algorithm.oid);
        let scheme_hash = crate::sig::resolve(&si.signature_algorithm, digest).map(|s| s.hash());
        if digest == Some(HashAlg::Sha1) || scheme_hash == Ok(HashAlg::Sha1) {
            if opts.fail_on_sha1_signature {
                out.sod_signature_valid = false;
            }
            out.reason(
                ReasonCode::Sha1Signature,
                format!(
                    "signature with SHA-1 (digest {}, signature {}){}",
                    si.digest_algorithm.oid,
                    si.signature_algorithm.oid,
                    if opts.fail_on_sha1_signature {
                        "; rejected by policy"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    let ds = check.signer?;
    out.document_signer = Some(ds.summary());
    let chain = chain_document_signer_with(&ds, store, opts);
    out.document_certificate_valid = chain.valid;
    out.reasons.extend(chain.reasons);
    out.csca = chain.csca.as_ref().map(Certificate::summary);
    out.csca_path = chain.path.iter().map(Certificate::summary).collect();
    Some(ds)
}

/// Passive authentication of an EF.SOD with the data groups as read (`dg number → bytes`).
pub fn verify_sod(sod: &[u8], data_groups: &BTreeMap<u8, Vec<u8>>, store: &TrustStore, opts: &PaOptions) -> PaOutcome {
    let mut out = PaOutcome::default();
    let sod = match EfSod::parse(sod) {
        Ok(s) => s,
        Err(e) => {
            out.reason(ReasonCode::SodStructure, e.to_string());
            out.error = Some(format!("EF.SOD: {e}"));
            return out;
        }
    };
    let ds = verify_signed_data(&sod.signed_data, store, opts, &mut out);
    // Data group hashes over the bytes exactly as read.
    let lso = &sod.lds_security_object;
    match HashAlg::from_oid(&lso.hash_algorithm.oid) {
        Some(h) => {
            out.hash_algorithm = Some(h);
            let mut all = !data_groups.is_empty();
            for (n, bytes) in data_groups {
                out.data_groups_checked.push(*n);
                match lso.hash_of(*n) {
                    Some(expected) if h.digest(bytes) == expected => out.data_groups_with_valid_hash.push(*n),
                    Some(_) => {
                        all = false;
                        out.reason(
                            ReasonCode::DataGroupHashMismatch,
                            format!("DG{n} hash differs from the SOD"),
                        );
                    }
                    None => {
                        all = false;
                        out.reason(ReasonCode::DataGroupNotInSod, format!("DG{n} has no hash in the SOD"));
                    }
                }
            }
            if data_groups.is_empty() {
                out.reason(ReasonCode::NoDataGroups, "no data groups supplied");
            }
            out.all_hashes_valid = all;
        }
        None => {
            out.reason(
                ReasonCode::UnsupportedAlgorithm,
                format!("SOD hash algorithm {}", lso.hash_algorithm.oid),
            );
        }
    }
    out.data_groups_not_supplied = lso
        .data_group_hashes
        .iter()
        .map(|h| h.number)
        .filter(|n| !data_groups.contains_key(n))
        .collect();
    // Issuing state in DG1 against the DS / CSCA country.
    if !opts.skip_country_check
        && let Some(dg1) = data_groups.get(&1)
        && let Ok(dg1) = emrtd_lds::dg1::Dg1::parse(dg1)
        && let Some(ds) = &ds
    {
        let state = dg1.mrz.issuing_state.trim_end_matches('<').to_string();
        match alpha2_for_mrz_code(&state) {
            Some(a2) => {
                let ds_c = ds.issuer.country();
                if ds_c.as_deref().is_some_and(|c| c != a2) {
                    out.document_certificate_valid = false;
                    out.reason(
                        ReasonCode::CountryMismatch,
                        format!(
                            "DG1 issuing state {state} ({a2}) differs from the DS country {}",
                            ds_c.unwrap_or_default()
                        ),
                    );
                }
            }
            None => out.reason(
                ReasonCode::Info,
                format!("issuing state {state} has no ISO 3166 code; not compared"),
            ),
        }
    }
    out
}

/// Passive authentication of an EF.CardSecurity (signature and chain; no data groups).
pub fn verify_card_security(data: &[u8], store: &TrustStore, opts: &PaOptions) -> PaOutcome {
    let mut out = PaOutcome::default();
    match SignedData::from_content_info(data) {
        Ok(sd) => {
            verify_signed_data(&sd, store, opts, &mut out);
            out.all_hashes_valid = true;
            out.reason(ReasonCode::Info, "EF.CardSecurity: no data group hashes to check");
        }
        Err(e) => {
            out.reason(ReasonCode::SodStructure, e.to_string());
            out.error = Some(format!("EF.CardSecurity: {e}"));
        }
    }
    out
}
