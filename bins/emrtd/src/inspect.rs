//! `emrtd inspect`: recognise a file and print it parsed.

use emrtd_lds::{FileHint, LdsFile};
use emrtd_pa::{Certificate, Crl};
use serde_json::{Value, json};
use std::path::Path;

/// A file-identifier hint from a file name (`EF.CardAccess`, `011C`, `2F01`, `EF.DIR`, …).
pub fn hint_from_name(path: &Path) -> Option<FileHint> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.contains("cardaccess") {
        Some(FileHint::CardAccess)
    } else if name.contains("cardsecurity") {
        Some(FileHint::CardSecurity)
    } else if name.contains("atr") || name.contains("2f01") {
        Some(FileHint::AtrInfo)
    } else if name.contains("ef.dir") || name.contains("ef_dir") || name.contains("2f00") {
        Some(FileHint::Dir)
    } else {
        None
    }
}

/// Parses bytes as an LDS file (with the name hint first, then by content).
pub fn parse_lds(path: &Path, data: &[u8]) -> Result<LdsFile, String> {
    if let Some(h) = hint_from_name(path)
        && let Ok(f) = LdsFile::parse(data, Some(h))
    {
        return Ok(f);
    }
    LdsFile::parse(data, None).map_err(|e| e.to_string())
}

fn inspect_pki(data: &[u8]) -> Option<Value> {
    if let Ok(c) = Certificate::from_der(data) {
        return Some(json!({
            "kind": "X.509 certificate",
            "parsed": {
                "summary": c.summary(),
                "certificate": c,
                "public_key": c.spki,
            }
        }));
    }
    if let Ok(sd) = emrtd_lds::cms::SignedData::from_content_info(data)
        && sd.encap_content_type == emrtd_pa::store::OID_CSCA_MASTER_LIST
    {
        let (certs, skipped) = emrtd_pa::store::parse_master_list_entries(&sd.encap_content).ok()?;
        let mut store = emrtd_pa::TrustStore::new();
        let report = store.add_master_list(data, "input").ok()?;
        return Some(json!({
            "kind": "CSCA master list",
            "parsed": {
                "certificates": certs.iter().map(Certificate::summary).collect::<Vec<_>>(),
                "skipped_entries": skipped,
                "signature_valid": report.signature_valid,
                "signer": report.signer,
                "note": "the signer is not checked against a root here; use `emrtd verify --masterlist-root`",
            }
        }));
    }
    if let Ok(crl) = Crl::from_der(data) {
        return Some(json!({ "kind": "CRL", "parsed": crl }));
    }
    None
}

/// Inspects one file: the JSON value and whether it was recognised.
pub fn inspect_file(path: &Path) -> (Value, bool) {
    let name = path.display().to_string();
    let data = match crate::read_file(path) {
        Ok(d) => d,
        Err(e) => return (json!({ "path": name, "error": e }), false),
    };
    match parse_lds(path, &data) {
        Ok(f) => {
            let kind = f.kind();
            match serde_json::to_value(&f) {
                Ok(v) => (
                    json!({
                        "path": name,
                        "kind": kind,
                        "size": data.len(),
                        "parsed": v.get("parsed").cloned().unwrap_or(Value::Null),
                        "certificates": embedded_certificates(&f),
                    }),
                    true,
                ),
                Err(e) => (json!({ "path": name, "kind": kind, "error": e.to_string() }), false),
            }
        }
        Err(lds_err) => match inspect_pki(&data) {
            Some(mut v) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("path".into(), json!(name));
                    o.insert("size".into(), json!(data.len()));
                }
                (v, true)
            }
            None => (
                json!({ "path": name, "kind": "unknown", "size": data.len(), "error": lds_err }),
                false,
            ),
        },
    }
}

/// Summaries of the certificates carried in an EF.SOD or EF.CardSecurity.
fn embedded_certificates(f: &LdsFile) -> Vec<Value> {
    let certs: &[Vec<u8>] = match f {
        LdsFile::Sod(s) => &s.signed_data.certificates,
        LdsFile::SecurityInfos(s) => match &s.signed_data {
            Some(sd) => &sd.certificates,
            None => &[],
        },
        _ => &[],
    };
    certs
        .iter()
        .map(|der| match Certificate::from_der(der) {
            Ok(c) => json!(c.summary()),
            Err(e) => json!({ "error": e.to_string() }),
        })
        .collect()
}
