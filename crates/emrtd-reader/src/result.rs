//! From a [`Reading`] to the `emrtd_passport` result of the DocVal API.

use crate::engine::{ReadFailure, Reading};
use emrtd_lds::dg1::{Dg1, MrzFormat};
use emrtd_lds::misc::{AdditionalDetails, DisplayedImages};
use emrtd_lds::sod::EfSod;
use emrtd_result::{
    AdditionalDocumentDetails, AdditionalPersonalDetails, EmrtdPassport, MrzInfo, PassiveAuthenticationDetails,
    SodInfo, b64,
};
use std::collections::BTreeMap;

/// JCA-style names of the LDS hash algorithms.
fn jca_hash_name(oid: &str) -> String {
    match oid {
        "1.3.14.3.2.26" => "SHA-1",
        "2.16.840.1.101.3.4.2.4" => "SHA-224",
        "2.16.840.1.101.3.4.2.1" => "SHA-256",
        "2.16.840.1.101.3.4.2.2" => "SHA-384",
        "2.16.840.1.101.3.4.2.3" => "SHA-512",
        other => other,
    }
    .to_string()
}

fn sod_info(sod: &[u8]) -> Option<SodInfo> {
    let sod = EfSod::parse(sod).ok()?;
    let lso = &sod.lds_security_object;
    Some(SodInfo {
        hash_algorithm: jca_hash_name(&lso.hash_algorithm.oid),
        hash_for_data_group: lso
            .data_group_hashes
            .iter()
            .map(|h| (h.number.to_string(), b64(&h.hash)))
            .collect(),
    })
}

fn trim_filler(s: &str) -> String {
    s.trim_end_matches('<').replace('<', " ").trim().to_string()
}

fn mrz_info(dg1: &[u8]) -> Option<MrzInfo> {
    let m = Dg1::parse(dg1).ok()?.mrz;
    let document_type = match m.format {
        MrzFormat::Td1 => "TD1",
        MrzFormat::Td2 | MrzFormat::MrvB => "TD2",
        MrzFormat::Td3 | MrzFormat::MrvA => "TD3",
    };
    let gender = match m.sex.as_str() {
        "M" => "MALE",
        "F" => "FEMALE",
        _ => "UNSPECIFIED",
    };
    let secondary: Vec<String> = m.secondary_identifier.split_whitespace().map(str::to_string).collect();
    Some(MrzInfo {
        document_type: document_type.into(),
        document_code: trim_filler(&m.document_code),
        issuing_state: trim_filler(&m.issuing_state),
        primary_identifier: m.primary_identifier.trim().to_string(),
        secondary_identifier: secondary,
        nationality: trim_filler(&m.nationality),
        document_number: m.document_number.clone(),
        date_of_birth: m.date_of_birth.clone(),
        gender: gender.into(),
        date_of_expiry: m.date_of_expiry.clone(),
        optional_data1: trim_filler(&m.optional_data),
        optional_data2: match m.format {
            MrzFormat::Td1 => Some(m.optional_data_2.as_deref().map(trim_filler).unwrap_or_default()),
            _ => None,
        },
    })
}

/// `PARKER<<PETER<BENJAMIN` → `PETER BENJAMIN PARKER`; other forms: fillers to spaces.
fn display_name(name: &str) -> String {
    match name.split_once("<<") {
        Some((primary, secondary)) => {
            let s = trim_filler(secondary);
            let p = trim_filler(primary);
            if s.is_empty() { p } else { format!("{s} {p}") }
        }
        None => trim_filler(name),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split('<')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn personal_details(dg11: &[u8]) -> Option<AdditionalPersonalDetails> {
    let d = AdditionalDetails::parse(dg11).ok()?;
    let all = |name: &str| -> Vec<&str> {
        d.fields
            .iter()
            .filter(|f| f.name == name)
            .map(|f| f.value.as_str())
            .collect()
    };
    let other_names: Vec<String> = all("other_name").into_iter().map(display_name).collect();
    Some(AdditionalPersonalDetails {
        full_name_of_holder: d.get("full_name").map(display_name),
        other_names: Some(other_names),
        personal_number: d.get("personal_number").map(trim_filler),
        full_date_of_birth: d.get("full_date_of_birth").map(|s| s.trim().to_string()),
        place_of_birth: d.get("place_of_birth").map(trim_filler),
        permanent_address: d.get("permanent_address").map(split_list),
        telephone: d.get("telephone").map(trim_filler),
        profession: d.get("profession").map(trim_filler),
        title: d.get("title").map(trim_filler),
        personal_summary: d.get("personal_summary").map(trim_filler),
        proof_of_citizenship_image: d.images.first().map(|i| b64(&i.data)),
        other_valid_travel_document_numbers: d.get("other_valid_td_numbers").map(split_list),
        custody_information: d.get("custody_information").map(trim_filler),
    })
}

fn document_details(dg12: &[u8]) -> Option<AdditionalDocumentDetails> {
    let d = AdditionalDetails::parse(dg12).ok()?;
    let image = |tag: &str| d.images.iter().find(|i| i.tag == tag).map(|i| b64(&i.data));
    Some(AdditionalDocumentDetails {
        issuing_authority: d.get("issuing_authority").map(trim_filler),
        date_of_issue: d.get("date_of_issue").map(|s| s.trim().to_string()),
        names_of_other_persons: d.get("name_of_other_person").map(trim_filler),
        endorsements_and_observations: d.get("endorsements_and_observations").map(trim_filler),
        tax_or_exit_requirements: d.get("tax_or_exit_requirements").map(trim_filler),
        image_of_front: image("5F1D"),
        image_of_rear: image("5F1E"),
        date_and_time_of_personalization: d.get("date_and_time_of_personalization").map(|s| s.trim().to_string()),
        personalization_system_serial_number: d.get("personalization_system_serial_number").map(trim_filler),
    })
}

/// The face of DG2 as JPEG (JPEG 2000 converted), base64.
fn face_photo(dg2: &[u8], errors: &mut Vec<String>) -> Option<String> {
    let bio = emrtd_lds::biometric::BiometricDataGroup::parse(dg2).ok()?;
    let face = bio.templates.iter().flat_map(|t| t.faces.iter()).next()?;
    match emrtd_face::to_jpeg(&face.image, &emrtd_face::FaceLimits::default()) {
        Ok(j) => Some(b64(&j.jpeg)),
        Err(e) => {
            errors.push(format!("face image could not be converted to JPEG: {e}"));
            None
        }
    }
}

fn signature_photos(dg7: &[u8]) -> Option<Vec<String>> {
    let d = DisplayedImages::parse(dg7).ok()?;
    Some(d.images.iter().map(|i| b64(&i.data)).collect())
}

/// Builds the result object. `include_files` adds `files_binary` (raw SOD and data groups).
pub fn to_emrtd_passport(reading: &Reading, include_files: bool) -> EmrtdPassport {
    let mut errors = reading.errors.clone();
    if let Some(f) = &reading.failure {
        errors.push(match f {
            ReadFailure::AccessControl(e) => format!("ACCESS_CONTROL_FAILED: {e}"),
            ReadFailure::FileRead { file, error } => format!("FILE_READ_ERROR: {file}: {error}"),
            ReadFailure::Transport(e) => format!("COMMUNICATION_FAILED: {e}"),
            ReadFailure::Reader(e) => format!("EMRTD_PASSPORT_READER_ERROR: {e}"),
        });
    }
    let dg = |n: u8| reading.data_groups.get(&n).map(|v| v.as_slice());
    let face = dg(2).and_then(|d| face_photo(d, &mut errors));
    let pa = reading.passive_authentication.as_ref();
    let mut passport = EmrtdPassport {
        sod_info: reading.sod.as_ref().and_then(|s| sod_info(s)),
        mrz_info: dg(1).and_then(mrz_info),
        face_photo: face,
        signature_photos: dg(7).and_then(signature_photos),
        additional_personal_details: dg(11).and_then(personal_details),
        additional_document_details: dg(12).and_then(document_details),
        passive_authentication: pa.is_some_and(|p| p.verified()),
        passive_authentication_details: pa.map(|p| PassiveAuthenticationDetails {
            sod_signature_valid: p.sod_signature_valid,
            document_certificate_valid: p.document_certificate_valid,
            data_groups_checked: p.data_groups_checked.clone(),
            data_groups_with_valid_hash: p.data_groups_with_valid_hash.clone(),
            error: p.error.clone(),
            all_hashes_valid: p.all_hashes_valid,
        }),
        chip_authentication_result: reading.chip_authentication,
        active_authentication_result: reading.active_authentication,
        errors: Vec::new(),
        files_binary: None,
    };
    if let Some(p) = pa
        && !p.verified()
    {
        for r in &p.reasons {
            errors.push(format!("passive authentication: {r:?}"));
        }
    }
    passport.errors = errors;
    if include_files {
        let mut files = BTreeMap::new();
        if let Some(sod) = &reading.sod {
            files.insert("SOD".to_string(), b64(sod));
        }
        for (n, data) in &reading.data_groups {
            files.insert(format!("DG{n}"), b64(data));
        }
        passport.files_binary = Some(files);
    }
    passport
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lists() {
        assert_eq!(display_name("PARKER<<PETER<BENJAMIN"), "PETER BENJAMIN PARKER");
        assert_eq!(display_name("PETER BENJAMIN PARKER"), "PETER BENJAMIN PARKER");
        assert_eq!(trim_filler("NEW<YORK<USA"), "NEW YORK USA");
        assert_eq!(split_list("1 MAIN ST<NEW YORK<<"), vec!["1 MAIN ST", "NEW YORK"]);
        assert_eq!(jca_hash_name("2.16.840.1.101.3.4.2.1"), "SHA-256");
    }
}
