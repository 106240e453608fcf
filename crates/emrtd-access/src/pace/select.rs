//! Choosing the PACE protocol and domain parameters among the chip's PACEInfos.
//!
//! Default preference (deterministic): mapping CAM > GM > IM, then ECDH > DH, then the
//! stronger cipher (AES-256 > AES-192 > AES-128 > 3DES), then the larger field, then the
//! lower parameter id. A caller may reorder each criterion or force an OID / parameter id
//! with [`Preferences`]. The chosen protocol OID and parameter id are in [`PaceSelection`].

use super::{PaceError, domain_err};
use emrtd_crypto::CipherSuite;
use emrtd_crypto::domain::Domain;
use emrtd_secinfo::{KeyAgreement, PaceDomainParameterInfo, PaceInfo, PaceMapping, PaceProtocol, SecurityInfos};

/// The selected protocol and domain parameters.
#[derive(Clone, Debug)]
pub struct PaceSelection {
    /// The id-PACE-* OID (DER content bytes), as sent in MSE:Set AT.
    pub oid: Vec<u8>,
    /// The decoded protocol (mapping, key agreement, cipher).
    pub protocol: PaceProtocol,
    /// The parameterId of the PACEInfo (standardized id 0-31 or a proprietary id).
    pub parameter_id: Option<u32>,
    /// Whether the parameters are standardized (then MSE:Set AT names them in DO 0x84).
    pub standardized: bool,
    /// The group: standardized parameters or those of the PACEDomainParameterInfo.
    pub domain: Domain,
}

impl PaceSelection {
    /// A selection for known parameters (tests, the virtual chip, explicit configuration).
    pub fn new(protocol: PaceProtocol, domain: Domain) -> Self {
        let id = domain.id();
        PaceSelection {
            oid: protocol.oid(),
            protocol,
            parameter_id: id,
            standardized: id.is_some(),
            domain,
        }
    }

    /// A one-line description for reports: `id-PACE-… (OID), parameters <id/name>`.
    pub fn describe(&self) -> String {
        let oid = emrtd_secinfo::Oid(self.oid.clone());
        let params = match (self.parameter_id, self.domain.name()) {
            (Some(id), Some(name)) => format!("parameter id {id} ({name})"),
            (Some(id), None) => format!("parameter id {id} (explicit)"),
            (None, _) => "explicit parameters".to_string(),
        };
        format!("{oid}, {params}")
    }
}

/// Selection preferences. Each list orders its criterion, most preferred first; a value
/// missing from a list is not acceptable at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// Acceptable mappings, preferred first (default CAM, GM, IM).
    pub mappings: Vec<PaceMapping>,
    /// Acceptable key agreements, preferred first (default ECDH, DH).
    pub key_agreements: Vec<KeyAgreement>,
    /// Acceptable session ciphers, preferred first (default AES-256, AES-192, AES-128, 3DES).
    pub ciphers: Vec<CipherSuite>,
    /// Only this protocol OID, if set.
    pub force_oid: Option<Vec<u8>>,
    /// Only this parameter id, if set.
    pub force_parameter_id: Option<u32>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            mappings: vec![
                PaceMapping::ChipAuthentication,
                PaceMapping::Generic,
                PaceMapping::Integrated,
            ],
            key_agreements: vec![KeyAgreement::Ecdh, KeyAgreement::Dh],
            ciphers: vec![
                CipherSuite::Aes256,
                CipherSuite::Aes192,
                CipherSuite::Aes128,
                CipherSuite::Tdes,
            ],
            force_oid: None,
            force_parameter_id: None,
        }
    }
}

fn rank<T: PartialEq>(list: &[T], v: &T) -> Option<usize> {
    list.iter().position(|x| x == v)
}

/// The domain parameters a PACEInfo designates: standardized ids 0-31 directly, otherwise
/// the PACEDomainParameterInfo with the same parameterId (or the only one for this
/// mapping when the PACEInfo carries no id).
pub fn resolve_domain(infos: &SecurityInfos, info: &PaceInfo) -> Result<(Domain, bool), PaceError> {
    let protocol = info.protocol().ok_or(PaceError::NoSupportedProtocol)?;
    if let Some(id) = info.parameter_id.filter(|id| *id <= 31) {
        return Ok((Domain::standardized(id).map_err(domain_err)?, true));
    }
    let prefix = protocol.oid();
    let prefix = prefix.get(..prefix.len().saturating_sub(1)).unwrap_or(&[]);
    let candidates: Vec<&PaceDomainParameterInfo> = infos
        .pace_domain_parameter_infos()
        .filter(|d| d.protocol.as_bytes() == prefix)
        .collect();
    let chosen = match info.parameter_id {
        Some(id) => candidates.iter().find(|d| d.parameter_id == Some(id)).copied(),
        None if candidates.len() == 1 => candidates.first().copied(),
        None => None,
    }
    .ok_or_else(|| PaceError::Domain("no PACEDomainParameterInfo for this PACEInfo".into()))?;
    let params = chosen
        .domain_parameter
        .domain_parameters()
        .map_err(|e| PaceError::Domain(e.to_string()))?;
    let domain = params.to_domain().map_err(domain_err)?;
    let expected_ec = protocol.key_agreement == KeyAgreement::Ecdh;
    if domain.is_ec() != expected_ec {
        return Err(PaceError::Domain(
            "domain parameters do not match the key agreement".into(),
        ));
    }
    Ok((domain, false))
}

/// Ranking of a candidate: mapping, key agreement, cipher, field size (larger first),
/// parameter id; smaller is better.
type RankKey = (usize, usize, usize, u32, u32);

/// Chooses the PACE protocol from EF.CardAccess (or another SecurityInfos).
pub fn select_protocol(infos: &SecurityInfos, prefs: &Preferences) -> Result<PaceSelection, PaceError> {
    let mut best: Option<(RankKey, PaceSelection)> = None;
    for info in infos.pace_infos() {
        let Some(protocol) = info.protocol() else { continue };
        if prefs
            .force_oid
            .as_deref()
            .is_some_and(|o| o != info.protocol.as_bytes())
        {
            continue;
        }
        if prefs.force_parameter_id.is_some() && prefs.force_parameter_id != info.parameter_id {
            continue;
        }
        let (Some(m), Some(k), Some(c)) = (
            rank(&prefs.mappings, &protocol.mapping),
            rank(&prefs.key_agreements, &protocol.key_agreement),
            rank(&prefs.ciphers, &protocol.cipher),
        ) else {
            continue;
        };
        let Ok((domain, standardized)) = resolve_domain(infos, info) else {
            continue;
        };
        if protocol.mapping == PaceMapping::Integrated
            && let Domain::Ec(curve) = &domain
            && curve.p_bytes().last().is_none_or(|b| b & 3 != 3)
        {
            // The Appendix B point encoding needs p ≡ 3 (mod 4).
            continue;
        }
        let key = (
            m,
            k,
            c,
            u32::MAX - domain.p_bits(),
            info.parameter_id.unwrap_or(u32::MAX),
        );
        let sel = PaceSelection {
            oid: info.protocol.as_bytes().to_vec(),
            protocol,
            parameter_id: info.parameter_id,
            standardized,
            domain,
        };
        if best.as_ref().is_none_or(|(b, _)| key < *b) {
            best = Some((key, sel));
        }
    }
    best.map(|(_, s)| s).ok_or(PaceError::NoSupportedProtocol)
}
