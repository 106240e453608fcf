//! Verification of a document someone else read: DocVal v2, where the phone reads the chip
//! and uploads the files, the server runs chip authentication through the phone and checks
//! everything afterwards.
//!
//! The same rules as the reading engine ([`crate::read_document`]): chip (active)
//! authentication is UNAVAILABLE only when the signed data offers no such protocol; a DG14
//! (DG15) that EF.SOD lists but that is missing, unparsable, or whose protocol did not take
//! place is FAILED; a SUCCESS stands only when EF.SOD's hash of the key's data group is valid.
//! Active authentication is judged over the verifier's own challenge only.

use crate::engine::{
    Reading, Step, StepOutcome, StepRecord, aa_public_key, announces_cam, bind_authentications, card_security_infos,
    dg14_infos,
};
use emrtd_pa::{PaOptions, TrustStore};
use emrtd_result::AuthResult;
use emrtd_secinfo::SecurityInfo;
use std::collections::BTreeMap;
use std::time::Duration;
use zeroize::Zeroizing;

/// How chip authentication went, as the party that ran it reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteChipAuthentication {
    /// It did not take place.
    NotPerformed,
    /// The chip answered under the agreed keys.
    Confirmed,
    /// DG14 offered no usable key (the reason).
    NoKey(String),
    /// It failed (the reason).
    Failed(String),
}

/// The files and protocol outcomes to verify.
pub struct UploadedDocument {
    /// EF.SOD as uploaded; without it passive authentication fails.
    pub sod: Option<Zeroizing<Vec<u8>>>,
    /// Data groups as uploaded, by number.
    pub data_groups: BTreeMap<u8, Zeroizing<Vec<u8>>>,
    /// EF.DG1 as the verifier itself read it under chip authentication's keys; it replaces
    /// an uploaded DG1.
    pub verifier_dg1: Option<Zeroizing<Vec<u8>>>,
    /// EF.CardSecurity, if uploaded.
    pub card_security: Option<Zeroizing<Vec<u8>>>,
    /// How chip authentication went, as the phone reports.
    pub chip_authentication: RemoteChipAuthentication,
    /// The verifier's active authentication challenge.
    pub aa_challenge: [u8; 8],
    /// The chip's signature over it (`Err` when what came was not a signature at all).
    pub aa_signature: Option<Result<Zeroizing<Vec<u8>>, ()>>,
}

fn fail(reading: &mut Reading, step: Step, chip: bool, why: &str) {
    if chip {
        reading.chip_authentication = AuthResult::Failed;
        reading.errors.push(format!("chip authentication: {why}"));
    } else {
        reading.active_authentication = AuthResult::Failed;
        reading.errors.push(format!("active authentication: {why}"));
    }
    reading.steps.push(StepRecord {
        step,
        outcome: StepOutcome::Failed(why.to_string()),
        round_trips: 0,
        elapsed: Duration::ZERO,
    });
}

fn done(reading: &mut Reading, step: Step) {
    reading.steps.push(StepRecord {
        step,
        outcome: StepOutcome::Done,
        round_trips: 0,
        elapsed: Duration::ZERO,
    });
}

/// Verifies an uploaded document: chip authentication's outcome against the signed data,
/// active authentication over `aa_challenge`, passive authentication of EF.SOD and every
/// data group held, and the bindings between them.
pub fn verify_uploaded(doc: UploadedDocument, store: &TrustStore, opts: &PaOptions) -> Reading {
    let mut r = Reading::new();
    r.sod = doc.sod;
    r.data_groups = doc.data_groups;
    r.card_security = doc.card_security;
    let mut dg1_conflict = false;
    if let Some(own) = doc.verifier_dg1 {
        if r.data_groups.get(&1).is_some_and(|up| **up != *own) {
            dg1_conflict = true;
        }
        r.data_groups.insert(1, own);
    }
    let listed: Vec<u8> = r
        .sod
        .as_deref()
        .map(|sod| emrtd_lds::sod::listed_data_groups(sod))
        .unwrap_or_default();

    // Chip authentication.
    let dg14 = r.data_groups.get(&14).map(|d| dg14_infos(d).ok_or(()));
    let offers_ca = |infos: &emrtd_secinfo::SecurityInfos| {
        infos.infos.iter().any(|i| {
            matches!(
                i,
                SecurityInfo::ChipAuthenticationPublicKey(_) | SecurityInfo::ChipAuthentication(_)
            )
        })
    };
    match (&doc.chip_authentication, dg14) {
        _ if dg1_conflict => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "the DG1 the phone uploaded differs from the DG1 read from the chip under chip authentication",
        ),
        (_, None) if listed.contains(&14) => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "DG14 is listed in EF.SOD but was not provided",
        ),
        (_, Some(Err(()))) => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "DG14 cannot be parsed: its chip authentication key is unknown",
        ),
        (RemoteChipAuthentication::Failed(why), _) => fail(&mut r, Step::ChipAuthentication, true, why),
        (RemoteChipAuthentication::Confirmed, Some(Ok(_))) => {
            r.chip_authentication = AuthResult::Success;
            done(&mut r, Step::ChipAuthentication);
        }
        (RemoteChipAuthentication::Confirmed, None) => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "chip authentication is reported without the DG14 it used",
        ),
        (_, Some(Ok(infos))) if offers_ca(&infos) => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "DG14 offers chip authentication but it did not take place",
        ),
        (_, Some(Ok(infos))) if announces_cam(&infos) => fail(
            &mut r,
            Step::ChipAuthentication,
            true,
            "DG14 announces PACE-CAM, which cannot be verified from uploaded files",
        ),
        _ => {
            let cam_in_card_security = r.card_security.as_deref().is_some_and(|cs| {
                let (pa, infos) = card_security_infos(cs, store, opts);
                pa.sod_signature_valid && pa.document_certificate_valid && infos.as_ref().is_ok_and(announces_cam)
            });
            if cam_in_card_security {
                fail(
                    &mut r,
                    Step::ChipAuthentication,
                    true,
                    "the signed EF.CardSecurity announces PACE-CAM, which cannot be verified from uploaded files",
                );
            }
        }
    }

    // Active authentication over the verifier's challenge.
    match r.data_groups.get(&15) {
        Some(dg15) => {
            let key = aa_public_key(dg15, r.data_groups.get(&14).map(|d| d.as_slice()));
            match (key, &doc.aa_signature) {
                (Err(e), _) => fail(&mut r, Step::ActiveAuthentication, false, &e),
                (Ok(_), None) => fail(
                    &mut r,
                    Step::ActiveAuthentication,
                    false,
                    "DG15 is present but no signature over the server's challenge was provided",
                ),
                (Ok(_), Some(Err(()))) => fail(
                    &mut r,
                    Step::ActiveAuthentication,
                    false,
                    "the signature provided is not base64 of a plausible length",
                ),
                (Ok(key), Some(Ok(sig))) => match emrtd_chipauth::aa::verify_signature(&key, &doc.aa_challenge, sig) {
                    Ok(_) => {
                        r.active_authentication = AuthResult::Success;
                        done(&mut r, Step::ActiveAuthentication);
                    }
                    Err(e) => fail(&mut r, Step::ActiveAuthentication, false, &e.to_string()),
                },
            }
        }
        None if listed.contains(&15) => fail(
            &mut r,
            Step::ActiveAuthentication,
            false,
            "DG15 is listed in EF.SOD but was not provided",
        ),
        None => {}
    }

    for dg in [1u8, 2] {
        if listed.contains(&dg) && !r.data_groups.contains_key(&dg) {
            r.errors
                .push(format!("DG{dg} is listed in EF.SOD but was not provided"));
        }
    }

    // Passive authentication, and the keys' binding to it.
    match r.sod.as_deref() {
        Some(sod) => {
            let dgs: BTreeMap<u8, Vec<u8>> = r.data_groups.iter().map(|(k, v)| (*k, v.to_vec())).collect();
            let outcome = emrtd_pa::verify_sod(sod, &dgs, store, opts);
            drop(dgs);
            bind_authentications(&mut r, &outcome, None);
            let step = if outcome.verified() {
                StepOutcome::Done
            } else {
                StepOutcome::Failed(
                    outcome
                        .error
                        .clone()
                        .unwrap_or_else(|| "passive authentication failed".into()),
                )
            };
            r.steps.push(StepRecord {
                step: Step::PassiveAuthentication,
                outcome: step,
                round_trips: 0,
                elapsed: Duration::ZERO,
            });
            r.passive_authentication = Some(outcome);
        }
        None => {
            r.errors.push("passive authentication: EF.SOD was not provided".into());
            // Without EF.SOD no key is authentic, and what the document offers is unknown:
            // neither SUCCESS nor UNAVAILABLE can be claimed.
            for (auth, label) in [
                (&mut r.chip_authentication, "chip authentication"),
                (&mut r.active_authentication, "active authentication"),
            ] {
                match *auth {
                    AuthResult::Success => {
                        *auth = AuthResult::Failed;
                        r.errors
                            .push(format!("{label}: without EF.SOD its key is not authentic"));
                    }
                    AuthResult::Unavailable => {
                        *auth = AuthResult::Failed;
                        r.errors.push(format!(
                            "{label}: without EF.SOD it is unknown whether the document offers it"
                        ));
                    }
                    AuthResult::Failed => {}
                }
            }
        }
    }
    r
}
