//! The standard protocol plug-ins: PACE (with PIN management and CAM) from emrtd-access,
//! Chip Authentication and Active Authentication from emrtd-chipauth.
//!
//! CA and AA read the chip keys from the document when first used, so
//! [`Adversarial::ForeignChipKeys`](crate::Adversarial) applied before the first command turns
//! the chip into a clone.

use crate::SimError;
use crate::chip::{CardProtocol, Handled, ProtocolContext, VirtualChip};
use crate::manifest::{Df, Document};
use emrtd_access::MrzKey;
use emrtd_access::pace::{PaceChip, PaceChipConfig, Password};
use emrtd_apdu::{CommandApdu, StatusWord, Tag, TlvIter};
use emrtd_chipauth::aa::{AaSignatureScheme, EcdsaFormat, card_internal_authenticate};
use emrtd_chipauth::ca::{CaCard, CaCardAction, CaParams};
use emrtd_chipauth::iso9796::{HashAlgorithm, Trailer};
use emrtd_chipauth::keys::PrivateKeyInfo;

fn private_key(hex_pkcs8: &str) -> Option<PrivateKeyInfo> {
    let der = hex::decode(hex_pkcs8).ok()?;
    PrivateKeyInfo::from_pkcs8(&der).ok()
}

/// PACE card side (all mappings and passwords the document's EF.CardAccess and manifest give).
pub struct PacePlugin {
    chip: PaceChip,
    require_parameter_id: bool,
}

impl PacePlugin {
    /// A PACE card side configured from `doc`: the protocols of its EF.CardAccess, the
    /// MRZ/CAN/PIN/PUK of its manifest and its PACE-CAM key; fails when EF.CardAccess is missing or
    /// offers no usable PACEInfo.
    pub fn from_document(doc: &Document) -> Result<Self, SimError> {
        let ca = doc
            .file(Df::Mf, 0x011C)
            .ok_or_else(|| SimError::Manifest("PACE without EF.CardAccess".into()))?;
        let infos =
            emrtd_secinfo::SecurityInfos::parse(ca).map_err(|e| SimError::Manifest(format!("EF.CardAccess: {e}")))?;
        let protocols = PaceChipConfig::protocols_from_security_infos(&infos);
        if protocols.is_empty() {
            return Err(SimError::Manifest("EF.CardAccess has no usable PACEInfo".into()));
        }
        let m = &doc.manifest;
        let mut passwords = Vec::new();
        if let Some(mrz) = &m.mrz
            && let Ok(k) = MrzKey::new(&mrz.document_number, &mrz.date_of_birth, &mrz.date_of_expiry)
        {
            passwords.push(Password::Mrz(k));
        }
        if let Some(c) = &m.can {
            passwords.push(Password::Can(c.clone()));
        }
        if let Some(p) = &m.pin {
            passwords.push(Password::Pin(p.clone()));
        }
        if let Some(p) = &m.puk {
            passwords.push(Password::Puk(p.clone()));
        }
        let mut config = PaceChipConfig::new(protocols, passwords);
        if let Some(k) = m.keys.pace_cam_private_key.as_deref().and_then(private_key)
            && let PrivateKeyInfo::Ec { d, .. } = k
        {
            config.cam_private_key = Some(d);
        }
        Ok(PacePlugin {
            chip: PaceChip::new(config),
            require_parameter_id: m.quirks.pace_requires_parameter_id,
        })
    }

    /// A PACE card side from an explicit configuration (protocols, passwords, CAM key), for
    /// chips whose PACE does not follow their files: hostile chips in the security tests.
    pub fn from_config(config: PaceChipConfig) -> Self {
        PacePlugin {
            chip: PaceChip::new(config),
            require_parameter_id: false,
        }
    }

    /// The PIN retry counter.
    pub fn pin_retries(&self) -> u8 {
        self.chip.pin_retries()
    }
}

impl CardProtocol for PacePlugin {
    fn name(&self) -> &'static str {
        "PACE"
    }

    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled> {
        if PaceChip::handles(cmd) {
            if self.require_parameter_id
                && cmd.ins == 0x22
                && !TlvIter::new(&cmd.data).any(|t| t.is_ok_and(|t| t.tag == Tag(0x84)))
            {
                return Some(Handled::status(StatusWord::INCORRECT_DATA));
            }
            let response = self.chip.process(cmd, ctx.rng);
            return Some(match self.chip.take_outcome() {
                Some(out) => Handled {
                    response,
                    new_session: Some(out.session),
                    grant_access: true,
                    plain: false,
                },
                None => Handled::response(response),
            });
        }
        if ctx.secured && matches!(cmd.ins, 0x2C | 0x24) {
            return self.chip.process_pin_management(cmd).map(Handled::response);
        }
        None
    }
}

/// Chip Authentication card side, keyed from the document's CA private key and DG14.
#[derive(Default)]
pub struct CaPlugin {
    card: Option<CaCard>,
    failed: bool,
}

impl CaPlugin {
    fn card(&mut self, doc: &Document) -> Option<&mut CaCard> {
        if self.card.is_none() && !self.failed {
            let built = (|| {
                let key = private_key(doc.manifest.keys.ca_private_key.as_deref()?)?;
                let dg14 = doc.file(Df::Emrtd, 0x010E)?;
                let params = CaParams::from_dg14(dg14, None).ok()?;
                CaCard::new(key, params.protocol, params.key_id).ok()
            })();
            self.failed = built.is_none();
            self.card = built;
        }
        self.card.as_mut()
    }
}

impl CardProtocol for CaPlugin {
    fn name(&self) -> &'static str {
        "CA"
    }

    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled> {
        if !ctx.secured || !ctx.access_granted {
            return None;
        }
        let card = self.card(ctx.document)?;
        if !card.accepts(cmd) {
            return None;
        }
        Some(match card.handle(cmd) {
            CaCardAction::Respond(r) => Handled::response(r),
            CaCardAction::RespondThenSwitch(r, session) => Handled {
                response: r,
                new_session: Some(session),
                grant_access: false,
                plain: false,
            },
        })
    }

    fn reset(&mut self) {
        self.card = None;
        self.failed = false;
    }
}

/// Active Authentication card side: INTERNAL AUTHENTICATE with the document's AA key
/// (RSA: ISO/IEC 9796-2 with SHA-256 and trailer 34CC; EC: plain ECDSA with SHA-256).
#[derive(Default)]
pub struct AaPlugin;

impl CardProtocol for AaPlugin {
    fn name(&self) -> &'static str {
        "AA"
    }

    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled> {
        if cmd.ins != 0x88 {
            return None;
        }
        let key = ctx
            .document
            .manifest
            .keys
            .aa_private_key
            .as_deref()
            .and_then(private_key)?;
        let scheme = match key {
            PrivateKeyInfo::Rsa(_) => AaSignatureScheme::Iso9796(Trailer::Explicit(HashAlgorithm::Sha256)),
            _ => AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain),
        };
        Some(Handled::response(card_internal_authenticate(
            &key, scheme, cmd, ctx.rng,
        )))
    }
}

impl VirtualChip {
    /// A chip with the plug-ins the document calls for: CA (when it has a CA key and DG14),
    /// PACE (when `access.pace`), AA (when it has an AA key).
    pub fn standard(doc: Document) -> Result<Self, SimError> {
        let pace = if doc.manifest.access.pace {
            Some(PacePlugin::from_document(&doc)?)
        } else {
            None
        };
        let has_ca = doc.manifest.keys.ca_private_key.is_some();
        let has_aa = doc.manifest.keys.aa_private_key.is_some();
        let mut chip = VirtualChip::new(doc)?;
        // CA first: GENERAL AUTHENTICATE belongs to CA only after its MSE:Set AT.
        if has_ca {
            chip.add_protocol(Box::new(CaPlugin::default()));
        }
        if let Some(p) = pace {
            chip.add_protocol(Box::new(p));
        }
        if has_aa {
            chip.add_protocol(Box::new(AaPlugin));
        }
        Ok(chip)
    }

    /// Loads a document directory and builds [`VirtualChip::standard`].
    pub fn load(dir: &std::path::Path) -> Result<Self, SimError> {
        VirtualChip::standard(Document::from_dir(dir)?)
    }
}
