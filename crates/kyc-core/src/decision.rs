//! Turning a DocVal chip result (`emrtd_passport`) into a Veriff decision.
//!
//! Policy:
//! - declined 9102 / 102 (suspected document tampering): SOD signature invalid, a data-group hash
//!   invalid, chip or active authentication FAILED, or passive authentication failed for any
//!   reason other than the expiry of an expired document's certificates (a broken chain declines
//!   expired documents too);
//! - resubmission 9103 / 207 (document expired): the document is expired and passive
//!   authentication holds or failed only because its Document Signer / CSCA expired with it
//!   ([`chain_failed_only_by_expiry`]: the SOD signature and hashes must still hold);
//! - resubmission 9103 / 201: the chip data could not be read (no DG1);
//! - declined 9102 / 105 (suspicious behaviour): supplied person/document fields differ from the chip;
//! - declined 9102 / 101 (physical document not used): the chip offers neither chip nor active
//!   authentication and the policy requires one;
//! - otherwise approved 9001.

use crate::country::alpha2_or_icao;
use crate::request::{DocumentInput, PersonInput};
use chrono::{Datelike, NaiveDate};
use emrtd_result::{AuthResult, EmrtdPassport, MrzInfo};
use serde::{Deserialize, Serialize};

/// Decision policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionPolicy {
    /// Approve documents that offer neither chip nor active authentication (no clone detection).
    pub accept_without_chip_authentication: bool,
}

impl Default for DecisionPolicy {
    fn default() -> Self {
        DecisionPolicy {
            accept_without_chip_authentication: true,
        }
    }
}

/// The verdict of a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The chip evidence holds and nothing contradicts it: `approved`, code 9001.
    Approved,
    /// Suspected tampering, a data mismatch or a missing clone check: `declined`, code 9102 (the
    /// reason code says which).
    Declined,
    /// The person must try again (chip unreadable, document expired): `resubmission_requested`,
    /// code 9103.
    ResubmissionRequested,
    /// The session was not completed in time: `expired`, code 9104.
    Expired,
    /// The person started but left the session: `abandoned`, reported with the same code 9104 as
    /// [`Verdict::Expired`].
    Abandoned,
}

impl Verdict {
    /// `verification.code`.
    pub fn code(self) -> u16 {
        match self {
            Verdict::Approved => 9001,
            Verdict::Declined => 9102,
            Verdict::ResubmissionRequested => 9103,
            Verdict::Expired => 9104,
            // The spec's 9104 row: expired or, when the person started, abandoned.
            Verdict::Abandoned => 9104,
        }
    }
    /// `verification.status`.
    pub fn status(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Declined => "declined",
            Verdict::ResubmissionRequested => "resubmission_requested",
            Verdict::Expired => "expired",
            Verdict::Abandoned => "abandoned",
        }
    }
}

/// `verification.person` of a decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionPerson {
    /// Given names: DG11's structured full name (Doc 9303-10 §4.7.11) when present, else the MRZ
    /// secondary identifier of DG1, joined by spaces.
    pub first_name: Option<String>,
    /// Surname: DG11's primary identifier when present, else the MRZ primary identifier of DG1.
    pub last_name: Option<String>,
    /// Personal number from DG11, else the MRZ optional data (trailing `<` fillers removed).
    pub id_number: Option<String>,
    /// Citizenship; always `None` (the chip has no separate citizenship element).
    pub citizenship: Option<String>,
    /// Date of birth as `YYYY-MM-DD`: DG11's full date when present, else the MRZ `YYMMDD` placed
    /// in the past.
    pub date_of_birth: Option<String>,
    /// Year of birth (`YYYY`), from the same date as `date_of_birth`.
    pub year_of_birth: Option<String>,
    /// Place of birth from DG11 (tag 5F11), as written on the chip.
    pub place_of_birth: Option<String>,
    /// Nationality from the MRZ: ISO 3166 alpha-2 where the ICAO code maps to one, else the ICAO
    /// code (Doc 9303-3 §5).
    pub nationality: Option<String>,
    /// Sex: `M` or `F` from the MRZ; `None` for unspecified (`<`/`X`).
    pub gender: Option<String>,
    /// PEP/sanctions match; always `None` (no such screening here).
    pub pep_sanction_match: Option<String>,
}

/// `verification.document` of a decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionDocument {
    /// Document number from the MRZ, trailing `<` fillers removed.
    pub number: Option<String>,
    /// API document type (`PASSPORT`, `ID_CARD`, `RESIDENCE_PERMIT`), see [`document_type`].
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// Issuing state: ISO 3166 alpha-2 where the ICAO code maps to one, else the ICAO code.
    pub country: Option<String>,
    /// Date of issue as `YYYY-MM-DD` from DG12 (tag 5F26), when the chip has it.
    pub valid_from: Option<String>,
    /// Date of expiry as `YYYY-MM-DD` from the MRZ.
    pub valid_until: Option<String>,
}

/// Outcome of one check, for the review page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// The check was made and held.
    Passed,
    /// The check was made and failed.
    Failed,
    /// The check could not be made (the chip does not offer it, or its data is missing).
    Unavailable,
}

/// One check behind a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Human-readable name of the check (e.g. "SOD signature", "Chip authentication").
    pub name: String,
    /// Its result.
    pub outcome: CheckOutcome,
}

/// A decision from chip evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Approved, declined or resubmission requested.
    pub verdict: Verdict,
    /// Veriff `verification.reason` text (e.g. "Suspected document tampering."); `None` when
    /// approved.
    pub reason: Option<String>,
    /// Veriff `verification.reasonCode` (101, 102, 105, 201, 207); `None` when approved.
    pub reason_code: Option<u16>,
    /// Person data read from the chip (DG1, DG11).
    pub person: DecisionPerson,
    /// Document data read from the chip (DG1, DG12).
    pub document: DecisionDocument,
    /// Every check behind the verdict, in a fixed order, for the review page.
    pub checks: Vec<Check>,
}

/// Data supplied by the integration at session creation.
#[derive(Clone, Debug, Default)]
pub struct Supplied<'a> {
    /// `verification.person` sent at session creation; compared with the chip's after
    /// transliteration.
    pub person: Option<&'a PersonInput>,
    /// `verification.document` sent at session creation; compared with the chip's.
    pub document: Option<&'a DocumentInput>,
}

fn yymmdd(s: &str, birth: bool, today: NaiveDate) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = s.get(0..2)?.parse().ok()?;
    let mm: u32 = s.get(2..4)?.parse().ok()?;
    let dd: u32 = s.get(4..6)?.parse().ok()?;
    let century_now = today.year() - today.year() % 100;
    let year = if birth {
        // A birth date is in the past.
        if century_now + yy > today.year() {
            century_now - 100 + yy
        } else {
            century_now + yy
        }
    } else if century_now + yy > today.year() + 50 {
        century_now - 100 + yy
    } else {
        century_now + yy
    };
    NaiveDate::from_ymd_opt(year, mm, dd)
}

fn yyyymmdd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// Whether a supplied name matches the chip's after Doc 9303 Part 3 transliteration
/// ([`crate::translit::name_matches`]: Ä as AE or A, Ø as OE, Cyrillic, Greek, the filler `<`
/// as a separator).
fn names_match(supplied: &str, chip: &str) -> bool {
    crate::translit::name_matches(supplied, chip)
}

/// A supplied field: blank or whitespace-only counts as not supplied.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Document type of the API from the MRZ document code (`P…` passport, `AR`/`CR`/`IR`
/// residence permit, other `A`/`C`/`I` codes identity card).
pub fn document_type(mrz: &MrzInfo) -> &'static str {
    let mut c = mrz.document_code.chars();
    match (c.next(), c.next()) {
        (Some('P'), _) => "PASSPORT",
        (Some('A' | 'C' | 'I'), Some('R')) => "RESIDENCE_PERMIT",
        _ => "ID_CARD",
    }
}

/// Names from DG11's full name when it is in the structured `PRIMARY<<SECONDARY` form (it is
/// not truncated like the MRZ's).
fn dg11_names(full: &str) -> Option<(String, String)> {
    let (primary, secondary) = full.split_once("<<")?;
    let clean = |s: &str| s.split('<').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    let (p, s) = (clean(primary), clean(secondary));
    (!p.is_empty()).then_some((p, s))
}

fn person_and_document(p: &EmrtdPassport, mrz: &MrzInfo, today: NaiveDate) -> (DecisionPerson, DecisionDocument) {
    let dg11 = p.additional_personal_details.as_ref();
    let dob = dg11
        .and_then(|d| d.full_date_of_birth.as_deref())
        .and_then(yyyymmdd)
        .or_else(|| yymmdd(&mrz.date_of_birth, true, today));
    let id_number = dg11
        .and_then(|d| d.personal_number.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| Some(mrz.optional_data1.trim_end_matches('<').to_string()).filter(|s| !s.is_empty()));
    let gender = match mrz.gender.as_str() {
        "MALE" | "M" => Some("M".to_string()),
        "FEMALE" | "F" => Some("F".to_string()),
        _ => None,
    };
    let (last, first) = dg11
        .and_then(|d| d.full_name_of_holder.as_deref())
        .and_then(dg11_names)
        .unwrap_or_else(|| (mrz.primary_identifier.clone(), mrz.secondary_identifier.join(" ")));
    let person = DecisionPerson {
        first_name: Some(first).filter(|s| !s.is_empty()),
        last_name: Some(last).filter(|s| !s.is_empty()),
        id_number,
        citizenship: None,
        date_of_birth: dob.map(|d| d.format("%Y-%m-%d").to_string()),
        year_of_birth: dob.map(|d| d.year().to_string()),
        place_of_birth: dg11.and_then(|d| d.place_of_birth.clone()),
        nationality: Some(alpha2_or_icao(&mrz.nationality)),
        gender,
        pep_sanction_match: None,
    };
    let valid_from = p
        .additional_document_details
        .as_ref()
        .and_then(|d| d.date_of_issue.as_deref())
        .and_then(yyyymmdd)
        .map(|d| d.format("%Y-%m-%d").to_string());
    let document = DecisionDocument {
        number: Some(mrz.document_number.trim_end_matches('<').to_string()),
        doc_type: Some(document_type(mrz).to_string()),
        country: Some(alpha2_or_icao(&mrz.issuing_state)),
        valid_from,
        valid_until: yymmdd(&mrz.date_of_expiry, false, today).map(|d| d.format("%Y-%m-%d").to_string()),
    };
    (person, document)
}

fn mismatches(person: &DecisionPerson, document: &DecisionDocument, supplied: &Supplied<'_>) -> Vec<&'static str> {
    use crate::translit::ids_match;
    let mut out = Vec::new();
    if let Some(sp) = supplied.person {
        if let (Some(s), Some(c)) = (given(&sp.last_name), &person.last_name)
            && !names_match(s, c)
        {
            out.push("lastName");
        }
        if let (Some(s), Some(c)) = (given(&sp.first_name), &person.first_name) {
            let first_given = c.split([' ', '<']).find(|p| !p.is_empty()).unwrap_or("");
            if !names_match(s, c) && !names_match(s, first_given) {
                out.push("firstName");
            }
        }
        if let (Some(s), Some(c)) = (given(&sp.date_of_birth), &person.date_of_birth)
            && s != c
        {
            out.push("dateOfBirth");
        }
        if let (Some(s), Some(c)) = (given(&sp.id_number), &person.id_number)
            && !ids_match(s, c)
        {
            out.push("idNumber");
        }
    }
    if let Some(sd) = supplied.document {
        if let (Some(s), Some(c)) = (given(&sd.number), &document.number)
            && !ids_match(s, c)
        {
            out.push("document.number");
        }
        if let (Some(s), Some(c)) = (given(&sd.doc_type), &document.doc_type)
            && s != c
        {
            out.push("document.type");
        }
        if let (Some(s), Some(c)) = (given(&sd.country), &document.country)
            && s != c
        {
            out.push("document.country");
        }
    }
    out
}

fn outcome(ok: bool) -> CheckOutcome {
    if ok { CheckOutcome::Passed } else { CheckOutcome::Failed }
}

fn auth_outcome(r: AuthResult) -> CheckOutcome {
    match r {
        AuthResult::Success => CheckOutcome::Passed,
        AuthResult::Failed => CheckOutcome::Failed,
        AuthResult::Unavailable => CheckOutcome::Unavailable,
    }
}

/// Prefix of the passive-authentication reasons docval-server adds to `errors` when passive
/// authentication fails (`passive authentication: Reason { code: DsCertificateExpired, … }`).
const PA_REASON_PREFIX: &str = "passive authentication: Reason { code: ";

/// Reason codes that only say a certificate's validity period is over, or are notes that do
/// not break the chain under docval-server's default policy (a stale CRL, an RSA key under 2048
/// bits, a SHA-1 signature: reported, accepted, since real documents still carry them).
const EXPIRY_ONLY_CODES: [&str; 6] = [
    "DsCertificateExpired",
    "CscaExpired",
    "Info",
    "RevocationStale",
    "WeakRsaKey",
    "Sha1Signature",
];

/// Whether the passive-authentication reasons in `errors` show a chain that failed only because
/// its certificates expired: at least one expiry reason and nothing else. Fails closed: no
/// reason, an unparsable reason or a code this version does not know count as a broken chain.
pub fn chain_failed_only_by_expiry(errors: &[String]) -> bool {
    let mut expiry = false;
    for e in errors {
        if !e.starts_with("passive authentication:") {
            continue;
        }
        let Some(code) = e
            .strip_prefix(PA_REASON_PREFIX)
            .and_then(|rest| rest.split([',', ' ']).next())
        else {
            return false;
        };
        if !EXPIRY_ONLY_CODES.contains(&code) {
            return false;
        }
        expiry |= code != "Info";
    }
    expiry
}

/// Decides from a chip result.
pub fn decide(p: &EmrtdPassport, supplied: &Supplied<'_>, today: NaiveDate, policy: &DecisionPolicy) -> Decision {
    let declined = |code: u16, reason: &str| (Verdict::Declined, Some(reason.to_string()), Some(code));
    let Some(mrz) = p.mrz_info.as_ref() else {
        return Decision {
            verdict: Verdict::ResubmissionRequested,
            reason: Some("Document chip data could not be read.".into()),
            reason_code: Some(201),
            person: DecisionPerson::default(),
            document: DecisionDocument::default(),
            checks: vec![Check {
                name: "Document data (DG1) read".into(),
                outcome: CheckOutcome::Failed,
            }],
        };
    };
    let (person, document) = person_and_document(p, mrz, today);
    let expiry = yymmdd(&mrz.date_of_expiry, false, today);
    let expired = expiry.is_none_or(|d| d < today);
    let pa = p.passive_authentication_details.as_ref();
    let sod_ok = pa.is_some_and(|d| d.sod_signature_valid);
    let hashes_ok = pa.is_some_and(|d| d.all_hashes_valid && !d.data_groups_checked.is_empty());
    let chain_ok = pa.is_some_and(|d| d.document_certificate_valid);
    let ca = p.chip_authentication_result;
    let aa = p.active_authentication_result;
    let mism = mismatches(&person, &document, supplied);

    let mut checks = vec![
        Check {
            name: "Document data (DG1) read".into(),
            outcome: CheckOutcome::Passed,
        },
        Check {
            name: "SOD signature".into(),
            outcome: outcome(sod_ok),
        },
        Check {
            name: "Data group hashes".into(),
            outcome: outcome(hashes_ok),
        },
        Check {
            name: "Document Signer certificate chain".into(),
            outcome: outcome(chain_ok),
        },
        Check {
            name: "Passive authentication".into(),
            outcome: outcome(p.passive_authentication),
        },
        Check {
            name: "Chip authentication".into(),
            outcome: auth_outcome(ca),
        },
        Check {
            name: "Active authentication".into(),
            outcome: auth_outcome(aa),
        },
        Check {
            name: "Document not expired".into(),
            outcome: outcome(!expired),
        },
    ];
    if supplied.person.is_some() || supplied.document.is_some() {
        checks.push(Check {
            name: "Supplied data matches the chip".into(),
            outcome: outcome(mism.is_empty()),
        });
    }

    let tampering = "Suspected document tampering.";
    // Passive authentication may fail on an expired document only because its certificates
    // expired with it; any other failure of the chain (unknown CSCA, bad DS signature,
    // revocation, country) or of the check is tampering, expired or not.
    let pa_ok = p.passive_authentication && chain_ok;
    let pa_failed_only_by_expiry = expired
        && !p.passive_authentication
        && !chain_ok
        && pa.is_some_and(|d| d.error.is_none())
        && chain_failed_only_by_expiry(&p.errors);
    let tampered = !sod_ok
        || !hashes_ok
        || ca == AuthResult::Failed
        || aa == AuthResult::Failed
        || (!pa_ok && !pa_failed_only_by_expiry);
    let (verdict, reason, reason_code) = if tampered {
        declined(102, tampering)
    } else if expired {
        (
            Verdict::ResubmissionRequested,
            Some("Document expired.".to_string()),
            Some(207),
        )
    } else if ca == AuthResult::Unavailable
        && aa == AuthResult::Unavailable
        && !policy.accept_without_chip_authentication
    {
        declined(101, "Physical document not used.")
    } else if !mism.is_empty() {
        declined(105, "Suspicious behaviour.")
    } else {
        (Verdict::Approved, None, None)
    };
    Decision {
        verdict,
        reason,
        reason_code,
        person,
        document,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrtd_result::PassiveAuthenticationDetails;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn good() -> EmrtdPassport {
        EmrtdPassport {
            mrz_info: Some(MrzInfo {
                document_type: "TD3".into(),
                document_code: "P".into(),
                issuing_state: "D".into(),
                primary_identifier: "MUSTERFRAU".into(),
                secondary_identifier: vec!["ERIKA".into()],
                nationality: "D".into(),
                document_number: "C01X00T47".into(),
                date_of_birth: "840812".into(),
                gender: "FEMALE".into(),
                date_of_expiry: "360101".into(),
                optional_data1: "".into(),
                optional_data2: None,
            }),
            passive_authentication: true,
            passive_authentication_details: Some(PassiveAuthenticationDetails {
                sod_signature_valid: true,
                document_certificate_valid: true,
                data_groups_checked: vec![1, 2],
                data_groups_with_valid_hash: vec![1, 2],
                error: None,
                all_hashes_valid: true,
            }),
            chip_authentication_result: AuthResult::Success,
            active_authentication_result: AuthResult::Unavailable,
            ..EmrtdPassport::default()
        }
    }

    fn d(p: &EmrtdPassport) -> Decision {
        decide(p, &Supplied::default(), today(), &DecisionPolicy::default())
    }

    #[test]
    fn genuine_is_approved_with_payload_from_dg1() {
        let r = d(&good());
        assert_eq!(r.verdict, Verdict::Approved);
        assert_eq!(r.verdict.code(), 9001);
        assert_eq!(r.person.first_name.as_deref(), Some("ERIKA"));
        assert_eq!(r.person.last_name.as_deref(), Some("MUSTERFRAU"));
        assert_eq!(r.person.date_of_birth.as_deref(), Some("1984-08-12"));
        assert_eq!(r.person.gender.as_deref(), Some("F"));
        assert_eq!(r.person.nationality.as_deref(), Some("DE"));
        assert_eq!(r.document.doc_type.as_deref(), Some("PASSPORT"));
        assert_eq!(r.document.valid_until.as_deref(), Some("2036-01-01"));
        assert_eq!(r.document.country.as_deref(), Some("DE"));
    }

    #[test]
    fn tampering_declines_102() {
        let mut p = good();
        p.chip_authentication_result = AuthResult::Failed;
        assert_eq!((d(&p).verdict, d(&p).reason_code), (Verdict::Declined, Some(102)));
        let mut p = good();
        if let Some(x) = p.passive_authentication_details.as_mut() {
            x.all_hashes_valid = false;
        }
        p.passive_authentication = false;
        assert_eq!(d(&p).reason_code, Some(102));
        // Revoked DS on an unexpired document.
        let mut p = good();
        if let Some(x) = p.passive_authentication_details.as_mut() {
            x.document_certificate_valid = false;
        }
        p.passive_authentication = false;
        assert_eq!((d(&p).verdict.code(), d(&p).reason_code), (9102, Some(102)));
    }

    /// An expired document whose chain fails only because its certificates expired with it
    /// (docval-server's reasons say so): resubmission 207.
    #[test]
    fn expired_document_asks_resubmission_207() {
        let mut p = good();
        if let Some(m) = p.mrz_info.as_mut() {
            m.date_of_expiry = "210101".into();
        }
        if let Some(x) = p.passive_authentication_details.as_mut() {
            x.document_certificate_valid = false;
        }
        p.passive_authentication = false;
        p.errors = vec![
            "passive authentication: Reason { code: DsCertificateExpired, detail: \"DS certificate valid 2016-01-01 to 2021-06-01\" }".into(),
            "passive authentication: Reason { code: Info, detail: \"x\" }".into(),
        ];
        let r = d(&p);
        assert_eq!((r.verdict.code(), r.reason_code), (9103, Some(207)));
        // Expired CSCA too (the document outlived its CSCA): still only expiry.
        p.errors
            .push("passive authentication: Reason { code: CscaExpired, detail: \"\" }".into());
        assert_eq!(d(&p).verdict.code(), 9103);
        // Other errors of the reading do not matter here.
        p.errors.push("FILE_READ_ERROR: DG11: 6A82".into());
        assert_eq!(d(&p).verdict.code(), 9103);
        // Notes that emrtd-pa reports but accepts by default (SHA-1, RSA under 2048 bits, a
        // stale CRL) do not turn an old genuine document into a forgery.
        for code in ["Sha1Signature", "WeakRsaKey", "RevocationStale"] {
            p.errors.push(format!(
                "passive authentication: Reason {{ code: {code}, detail: \"\" }}"
            ));
        }
        assert_eq!(d(&p).verdict.code(), 9103);
    }

    /// An expired document whose chain is broken (a forger's own CSCA, a revoked or foreign DS,
    /// or no reason given at all) is declined as tampering, not sent back for resubmission:
    /// otherwise a forgery on an expired document is never called a forgery.
    #[test]
    fn expired_document_with_broken_chain_is_declined_9102() {
        let expired_broken = |errors: &[&str]| {
            let mut p = good();
            if let Some(m) = p.mrz_info.as_mut() {
                m.date_of_expiry = "210101".into();
            }
            if let Some(x) = p.passive_authentication_details.as_mut() {
                x.document_certificate_valid = false;
            }
            p.passive_authentication = false;
            p.errors = errors.iter().map(|e| (*e).to_string()).collect();
            p
        };
        let ds_expired = "passive authentication: Reason { code: DsCertificateExpired, detail: \"\" }";
        for (name, errors) in [
            ("no reason reported", vec![]),
            (
                "CSCA not found",
                vec!["passive authentication: Reason { code: CscaNotFound, detail: \"\" }"],
            ),
            (
                "DS signature invalid, DS expired too",
                vec![
                    ds_expired,
                    "passive authentication: Reason { code: DsCertificateSignatureInvalid, detail: \"\" }",
                ],
            ),
            (
                "DS revoked",
                vec![
                    ds_expired,
                    "passive authentication: Reason { code: DsRevoked, detail: \"\" }",
                ],
            ),
            (
                "country mismatch",
                vec!["passive authentication: Reason { code: CountryMismatch, detail: \"\" }"],
            ),
            (
                "unparsable reason",
                vec!["passive authentication: DsCertificateExpired"],
            ),
            (
                "a reason code this version does not know",
                vec!["passive authentication: Reason { code: SomethingNew, detail: \"\" }"],
            ),
        ] {
            let r = d(&expired_broken(&errors));
            assert_eq!((r.verdict.code(), r.reason_code), (9102, Some(102)), "{name}");
        }
        // Expired, expiry-only chain failure, but passive authentication failed for another
        // reason (an error of the check itself): declined.
        let mut p = expired_broken(&[ds_expired]);
        if let Some(x) = p.passive_authentication_details.as_mut() {
            x.error = Some("EF.SOD: bad".into());
        }
        assert_eq!(d(&p).verdict.code(), 9102);
        // Expired with an intact chain but passive authentication false: declined.
        let mut p = good();
        if let Some(m) = p.mrz_info.as_mut() {
            m.date_of_expiry = "210101".into();
        }
        p.passive_authentication = false;
        assert_eq!(d(&p).verdict.code(), 9102);
        // Expired and the chip authentication failed: declined.
        let mut p = expired_broken(&[ds_expired]);
        p.chip_authentication_result = AuthResult::Failed;
        assert_eq!(d(&p).verdict.code(), 9102);
    }

    /// Issue 13 hole 2, gateway side, under the DEFAULT policy: a FAILED chip or active
    /// authentication declines 9102 even when passive authentication verified; UNAVAILABLE for
    /// both is approved (the default accepts documents without clone detection); passive
    /// authentication false declines.
    #[test]
    fn default_policy_verdict_table() {
        use AuthResult::{Failed, Success, Unavailable};
        let policy = DecisionPolicy::default();
        // (case, chip authentication, active authentication, passive authentication, code, reason)
        type Case = (&'static str, AuthResult, AuthResult, bool, u16, Option<u16>);
        let cases: [Case; 9] = [
            ("CA success", Success, Unavailable, true, 9001, None),
            ("AA success", Unavailable, Success, true, 9001, None),
            ("CA FAILED", Failed, Unavailable, true, 9102, Some(102)),
            ("AA FAILED", Unavailable, Failed, true, 9102, Some(102)),
            ("CA FAILED, AA success", Failed, Success, true, 9102, Some(102)),
            ("CA success, AA FAILED", Success, Failed, true, 9102, Some(102)),
            ("both FAILED", Failed, Failed, true, 9102, Some(102)),
            ("both UNAVAILABLE", Unavailable, Unavailable, true, 9001, None),
            ("PA false", Success, Unavailable, false, 9102, Some(102)),
        ];
        for (name, ca, aa, pa, code, reason) in cases {
            let mut p = good();
            p.chip_authentication_result = ca;
            p.active_authentication_result = aa;
            p.passive_authentication = pa;
            let r = decide(&p, &Supplied::default(), today(), &policy);
            assert_eq!((r.verdict.code(), r.reason_code), (code, reason), "{name}");
        }
    }

    #[test]
    fn supplied_data_must_match() {
        let p = good();
        let ok = PersonInput {
            first_name: Some("Erika".into()),
            last_name: Some("Musterfrau".into()),
            date_of_birth: Some("1984-08-12".into()),
            ..PersonInput::default()
        };
        let s = Supplied {
            person: Some(&ok),
            document: None,
        };
        assert_eq!(
            decide(&p, &s, today(), &DecisionPolicy::default()).verdict,
            Verdict::Approved
        );
        let bad = PersonInput {
            last_name: Some("Mustermann".into()),
            ..ok.clone()
        };
        let s = Supplied {
            person: Some(&bad),
            document: None,
        };
        let r = decide(&p, &s, today(), &DecisionPolicy::default());
        assert_eq!((r.verdict.code(), r.reason_code), (9102, Some(105)));
    }

    #[test]
    fn no_chip_auth_by_policy() {
        let mut p = good();
        p.chip_authentication_result = AuthResult::Unavailable;
        assert_eq!(d(&p).verdict, Verdict::Approved);
        let strict = DecisionPolicy {
            accept_without_chip_authentication: false,
        };
        let r = decide(&p, &Supplied::default(), today(), &strict);
        assert_eq!((r.verdict, r.reason_code), (Verdict::Declined, Some(101)));
    }

    #[test]
    fn unreadable_chip_asks_resubmission() {
        let r = d(&EmrtdPassport::default());
        assert_eq!((r.verdict.code(), r.reason_code), (9103, Some(201)));
    }

    #[test]
    fn dg11_structured_name_and_document_types() {
        let mut p = good();
        p.additional_personal_details = Some(emrtd_result::AdditionalPersonalDetails {
            full_name_of_holder: Some("VON MUSTERFRAU<<ERIKA<ANNA".into()),
            ..Default::default()
        });
        let r = d(&p);
        assert_eq!(r.person.last_name.as_deref(), Some("VON MUSTERFRAU"));
        assert_eq!(r.person.first_name.as_deref(), Some("ERIKA ANNA"));
        // Unstructured DG11 names fall back to the MRZ.
        p.additional_personal_details = Some(emrtd_result::AdditionalPersonalDetails {
            full_name_of_holder: Some("ERIKA MUSTERFRAU".into()),
            ..Default::default()
        });
        assert_eq!(d(&p).person.last_name.as_deref(), Some("MUSTERFRAU"));
        let mut m = p.mrz_info.clone().unwrap();
        for (code, t) in [
            ("P", "PASSPORT"),
            ("PP", "PASSPORT"),
            ("ID", "ID_CARD"),
            ("I", "ID_CARD"),
            ("AR", "RESIDENCE_PERMIT"),
            ("C", "ID_CARD"),
        ] {
            m.document_code = code.into();
            assert_eq!(document_type(&m), t, "{code}");
        }
    }

    #[test]
    fn names_fold_diacritics() {
        assert!(names_match("Müller", "MUELLER"));
        assert!(names_match("Müller", "MULLER"));
        assert!(names_match("Anna-Lena", "ANNA LENA"));
        assert!(!names_match("Anna", "ANNE"));
    }
}
