//! The result as DocVal v2 sends it to the phone (`RESULT.passport`, notes §6.2): the
//! `emrtd_passport` object with camelCase keys and without `null` members, because Android's
//! org.json turns a JSON `null` into the text `"null"` (a `facePhoto` of `"null"` decodes to
//! three junk bytes). The one `null` kept is `passiveAuthenticationDetails.error`, whose key
//! Android requires.

use crate::EmrtdPassport;
use serde_json::{Map, Value};
use zeroize::Zeroize;

/// `snake_case` → `camelCase` (`optional_data1` → `optionalData1`).
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn convert(value: Value, keep_keys: bool) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                // `hashForDataGroup` keys are data-group numbers, `filesBinary` keys file names.
                let key = if keep_keys { k } else { camel(&k) };
                let keep_children = key == "hashForDataGroup" || key == "filesBinary";
                if v.is_null() && key != "error" {
                    continue;
                }
                out.insert(key, convert(v, keep_children));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| convert(v, false)).collect()),
        other => other,
    }
}

/// The v2 `passport` object.
pub fn to_v2_passport(passport: &EmrtdPassport) -> Value {
    let v = serde_json::to_value(passport).unwrap_or(Value::Null);
    convert(v, false)
}

/// Makes a v2 `passport` fit `max_bytes` once serialised (iOS fails on a message over its
/// limit, 1 MiB by default): drops, in this order, `filesBinary`, `signaturePhotos`, the
/// DG12 document images and the DG11 proof-of-citizenship image, noting each in `errors`.
/// Returns whether it fits.
pub fn fit_v2_passport(passport: &mut Value, max_bytes: usize) -> bool {
    let size = |p: &Value| serde_json::to_vec(p).map(|v| v.len()).unwrap_or(usize::MAX);
    let droppable: [(&[&str], &str); 5] = [
        (&["filesBinary"], "filesBinary"),
        (&["signaturePhotos"], "signaturePhotos"),
        (
            &["additionalDocumentDetails", "imageOfFront"],
            "additionalDocumentDetails.imageOfFront",
        ),
        (
            &["additionalDocumentDetails", "imageOfRear"],
            "additionalDocumentDetails.imageOfRear",
        ),
        (
            &["additionalPersonalDetails", "proofOfCitizenshipImage"],
            "additionalPersonalDetails.proofOfCitizenshipImage",
        ),
    ];
    for (path, label) in droppable {
        if size(passport) <= max_bytes {
            return true;
        }
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut node = Some(&mut *passport);
        for p in parents {
            node = node.and_then(|n| n.get_mut(*p));
        }
        if let Some(mut removed) = node.and_then(|n| n.as_object_mut()).and_then(|o| o.remove(*last)) {
            wipe(&mut removed);
            if let Some(errors) = passport.get_mut("errors").and_then(|e| e.as_array_mut()) {
                errors.push(Value::String(format!(
                    "{label} left out of RESULT: the message would exceed {max_bytes} bytes"
                )));
            }
        }
    }
    size(passport) <= max_bytes
}

/// Overwrites every string of a JSON value (passport data) before it is dropped.
pub fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::ResultFrame;

    const EXAMPLE: &str = include_str!("../../../fixtures/reference/emrtd-result-example.json");

    #[test]
    fn keys_are_camel_case_and_nulls_are_omitted_except_the_error() {
        let frame: ResultFrame = serde_json::from_str(EXAMPLE).unwrap();
        let p = to_v2_passport(&frame.emrtd_passport);
        let mrz = &p["mrzInfo"];
        assert_eq!(mrz["documentType"], "TD3");
        assert_eq!(
            mrz["optionalData1"],
            frame.emrtd_passport.mrz_info.as_ref().unwrap().optional_data1.as_str()
        );
        assert!(mrz.get("optionalData2").is_none(), "null optionalData2 is omitted");
        assert!(
            p["sodInfo"]["hashForDataGroup"].get("1").is_some(),
            "DG numbers stay as keys"
        );
        let details = &p["passiveAuthenticationDetails"];
        for key in [
            "sodSignatureValid",
            "documentCertificateValid",
            "allHashesValid",
            "dataGroupsChecked",
            "dataGroupsWithValidHash",
        ] {
            assert!(details.get(key).is_some(), "{key}");
        }
        assert!(details.get("error").is_some(), "the error key stays, null or not");
        assert_eq!(p["chipAuthenticationResult"], "UNAVAILABLE");
        assert!(p["errors"].is_array());
        // No null anywhere else, no snake_case key anywhere.
        fn check(v: &Value, path: &str) {
            if let Value::Object(m) = v {
                for (k, c) in m {
                    assert!(!k.contains('_'), "{path}/{k}");
                    assert!(!c.is_null() || k == "error", "{path}/{k} is null");
                    check(c, &format!("{path}/{k}"));
                }
            }
        }
        check(&p, "");
    }

    #[test]
    fn an_absent_face_is_omitted_not_null() {
        let p = to_v2_passport(&EmrtdPassport::default());
        assert!(p.get("facePhoto").is_none());
        assert_eq!(p["passiveAuthentication"], false);
        assert_eq!(p["activeAuthenticationResult"], "UNAVAILABLE");
    }

    #[test]
    fn oversized_results_drop_extras_first_and_say_so() {
        let frame: ResultFrame = serde_json::from_str(EXAMPLE).unwrap();
        let mut passport = frame.emrtd_passport;
        passport.signature_photos = Some(vec!["A".repeat(600_000)]);
        passport.files_binary = Some([("dg2".to_string(), "B".repeat(600_000))].into());
        let mut p = to_v2_passport(&passport);
        assert!(fit_v2_passport(&mut p, 1 << 20));
        assert!(serde_json::to_vec(&p).unwrap().len() <= 1 << 20);
        assert!(p.get("filesBinary").is_none());
        assert!(p.get("signaturePhotos").is_some(), "dropped only what was needed");
        assert!(p.get("facePhoto").is_some());
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().contains("filesBinary"))
        );
    }
}
