#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;

use emrtd_sim::ausweisapp::Simulator;
use emrtd_sim::{Df, VirtualChip};

#[test]
fn export_import_round_trip_keeps_files_sfis_and_keys() {
    let mut doc = common::small_doc();
    doc.manifest.keys.ca_private_key = Some("3041020100".into());
    doc.manifest.keys.ca_key_id = Some(41);
    let sim = Simulator::from_document(&doc);
    let json = sim.to_json().unwrap();
    assert!(json.contains("\"fileId\": \"011c\""));
    assert!(json.contains("\"shortFileId\": \"1c\""));
    let back = Simulator::from_json(&json).unwrap().to_document("back").unwrap();
    assert_eq!(back.files.len(), doc.files.len());
    for f in &doc.files {
        assert_eq!(back.file(f.df, f.fid), Some(f.content.as_slice()), "{:04X}", f.fid);
    }
    assert_eq!(back.manifest.keys.ca_key_id, Some(41));
    assert_eq!(back.manifest.keys.ca_private_key.as_deref(), Some("3041020100"));
}

#[test]
fn import_the_ausweisapp_default_card_files() {
    // The simulated German eID card's EF.CardAccess and EF.DIR, as AusweisApp's JSON gives them.
    let ca = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/vectors/de-eid-simulator/sim_011c_EF.CardAccess.bin"
    ))
    .unwrap();
    let json = format!(
        r#"{{"files":[{{"fileId":"011C","shortFileId":"1C","content":"{}"}},{{"fileId":"0101","shortFileId":"01","content":"610413024944"}}],"keys":[{{"id":41,"content":"00"}}]}}"#,
        hex::encode(&ca)
    );
    let doc = Simulator::from_json(&json).unwrap().to_document("de-eid").unwrap();
    assert_eq!(doc.file(Df::Mf, 0x011C), Some(ca.as_slice()));
    assert_eq!(
        doc.file(Df::Emrtd, 0x0101),
        Some(&[0x61, 0x04, 0x13, 0x02, 0x49, 0x44][..])
    );
    assert_eq!(doc.manifest.keys.ca_key_id, Some(41));
    // The chip serves EF.CardAccess by SFI.
    let mut chip = VirtualChip::new(doc).unwrap();
    let r = chip.transmit(&[0x00, 0xB0, 0x9C, 0x00, 0x00]);
    assert_eq!(&r[..r.len() - 2], &ca[..ca.len().min(256)]);
}

#[test]
fn bad_json_and_bad_hex_are_errors() {
    assert!(Simulator::from_json("{").is_err());
    let s = Simulator::from_json(r#"{"files":[{"fileId":"01","content":"00"}]}"#).unwrap();
    assert!(s.to_document("x").is_err());
    let s = Simulator::from_json(r#"{"files":[{"fileId":"0101","content":"zz"}]}"#).unwrap();
    assert!(s.to_document("x").is_err());
    let s = Simulator::from_json(r#"{"files":[{"fileId":"0101","shortFileId":"FF","content":"00"}]}"#).unwrap();
    assert!(s.to_document("x").is_err());
}

#[test]
fn fixture_ausweisapp_descriptions_match_their_documents() {
    for name in ["ref-1", "td1-id-explicit-curve"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/documents")
            .join(name);
        let doc = emrtd_sim::Document::from_dir(&dir).unwrap();
        let json = std::fs::read_to_string(dir.join("ausweisapp-simulator.json")).unwrap();
        let imported = Simulator::from_json(&json).unwrap().to_document(name).unwrap();
        assert_eq!(imported.files.len(), doc.files.len(), "{name}");
        for f in &doc.files {
            assert_eq!(
                imported.file(f.df, f.fid),
                Some(f.content.as_slice()),
                "{name} {:04X}",
                f.fid
            );
        }
        assert_eq!(imported.manifest.keys.ca_private_key, doc.manifest.keys.ca_private_key);
    }
}

#[test]
fn passport_with_sod_and_card_security_round_trips_both_011d_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/pace-cam-aes128");
    let doc = emrtd_sim::Document::from_dir(&dir).unwrap();
    assert!(doc.file(Df::Mf, 0x011D).is_some() && doc.file(Df::Emrtd, 0x011D).is_some());
    let json = Simulator::from_document(&doc).to_json().unwrap();
    let back = Simulator::from_json(&json).unwrap().to_document("x").unwrap();
    for f in &doc.files {
        assert!(
            back.file(f.df, f.fid) == Some(f.content.as_slice()),
            "{:?} {:04X}",
            f.df,
            f.fid
        );
    }
}
