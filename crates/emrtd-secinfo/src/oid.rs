//! Object identifiers of ICAO Doc 9303-11 §9.2 and BSI TR-03110-3 Appendix A, as DER content
//! bytes (without the `06 LL` header), so they compare directly with parsed [`Oid`](crate::Oid)s.
//!
//! Names follow the standards: `ID_PACE_ECDH_GM_AES_CBC_CMAC_128` is
//! `id-PACE-ECDH-GM-AES-CBC-CMAC-128` (0.4.0.127.0.7.2.2.4.2.2).

/// bsi-de: 0.4.0.127.0.7
pub const BSI_DE: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07];

/// id-PK (0.4.0.127.0.7.2.2.1): public keys for Chip Authentication.
pub const ID_PK: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01];
/// id-PK-DH (0.4.0.127.0.7.2.2.1.1): a DH chip authentication public key (Doc 9303-11 §9.2.6).
pub const ID_PK_DH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x01];
/// id-PK-ECDH (0.4.0.127.0.7.2.2.1.2): an ECDH chip authentication public key.
pub const ID_PK_ECDH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02];

/// id-TA (0.4.0.127.0.7.2.2.2): Terminal Authentication.
pub const ID_TA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02];

/// id-CA (0.4.0.127.0.7.2.2.3): Chip Authentication.
pub const ID_CA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03];
/// id-CA-DH (0.4.0.127.0.7.2.2.3.1): Chip Authentication with DH, the prefix of its cipher suites.
pub const ID_CA_DH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01];
/// id-CA-ECDH (0.4.0.127.0.7.2.2.3.2): Chip Authentication with ECDH, the prefix of its cipher suites.
pub const ID_CA_ECDH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02];
/// id-CA-DH-3DES-CBC-CBC (…2.2.3.1.1): CA with DH, then 3DES secure messaging (Doc 9303-11 §9.2.5).
pub const ID_CA_DH_3DES_CBC_CBC: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01, 0x01];
/// id-CA-DH-AES-CBC-CMAC-128 (…2.2.3.1.2): CA with DH, then AES-128 secure messaging.
pub const ID_CA_DH_AES_CBC_CMAC_128: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01, 0x02];
/// id-CA-DH-AES-CBC-CMAC-192 (…2.2.3.1.3): CA with DH, then AES-192 secure messaging.
pub const ID_CA_DH_AES_CBC_CMAC_192: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01, 0x03];
/// id-CA-DH-AES-CBC-CMAC-256 (…2.2.3.1.4): CA with DH, then AES-256 secure messaging.
pub const ID_CA_DH_AES_CBC_CMAC_256: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01, 0x04];
/// id-CA-ECDH-3DES-CBC-CBC (…2.2.3.2.1): CA with ECDH, then 3DES secure messaging.
pub const ID_CA_ECDH_3DES_CBC_CBC: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x01];
/// id-CA-ECDH-AES-CBC-CMAC-128 (…2.2.3.2.2): CA with ECDH, then AES-128 secure messaging.
pub const ID_CA_ECDH_AES_CBC_CMAC_128: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02];
/// id-CA-ECDH-AES-CBC-CMAC-192 (…2.2.3.2.3): CA with ECDH, then AES-192 secure messaging.
pub const ID_CA_ECDH_AES_CBC_CMAC_192: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x03];
/// id-CA-ECDH-AES-CBC-CMAC-256 (…2.2.3.2.4): CA with ECDH, then AES-256 secure messaging.
pub const ID_CA_ECDH_AES_CBC_CMAC_256: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x04];

/// id-PACE (0.4.0.127.0.7.2.2.4).
pub const ID_PACE: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
/// id-PACE-DH-GM (…2.2.4.1): PACE, DH, Generic Mapping (Doc 9303-11 §4.4.3.3.1).
pub const ID_PACE_DH_GM: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x01];
/// id-PACE-ECDH-GM (…2.2.4.2): PACE, ECDH, Generic Mapping.
pub const ID_PACE_ECDH_GM: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02];
/// id-PACE-DH-IM (…2.2.4.3): PACE, DH, Integrated Mapping (Doc 9303-11 §4.4.3.3.2).
pub const ID_PACE_DH_IM: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x03];
/// id-PACE-ECDH-IM (…2.2.4.4): PACE, ECDH, Integrated Mapping.
pub const ID_PACE_ECDH_IM: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x04];
/// id-PACE-ECDH-CAM (…2.2.4.6): PACE, ECDH, Chip Authentication Mapping (Doc 9303-11 §4.4.3.3.3).
pub const ID_PACE_ECDH_CAM: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x06];

macro_rules! pace_oid {
    ($(#[$doc:meta])* $name:ident, $m:expr, $c:expr) => {
        $(#[$doc])*
        pub const $name: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, $m, $c];
    };
}
pace_oid!(
    /// id-PACE-DH-GM-3DES-CBC-CBC (…2.2.4.1.1): PACE with DH, Generic Mapping, then 3DES secure messaging.
    ID_PACE_DH_GM_3DES_CBC_CBC,
    1,
    1
);
pace_oid!(
    /// id-PACE-DH-GM-AES-CBC-CMAC-128 (…2.2.4.1.2): PACE with DH, Generic Mapping, then AES-128 secure messaging.
    ID_PACE_DH_GM_AES_CBC_CMAC_128,
    1,
    2
);
pace_oid!(
    /// id-PACE-DH-GM-AES-CBC-CMAC-192 (…2.2.4.1.3): PACE with DH, Generic Mapping, then AES-192 secure messaging.
    ID_PACE_DH_GM_AES_CBC_CMAC_192,
    1,
    3
);
pace_oid!(
    /// id-PACE-DH-GM-AES-CBC-CMAC-256 (…2.2.4.1.4): PACE with DH, Generic Mapping, then AES-256 secure messaging.
    ID_PACE_DH_GM_AES_CBC_CMAC_256,
    1,
    4
);
pace_oid!(
    /// id-PACE-ECDH-GM-3DES-CBC-CBC (…2.2.4.2.1): PACE with ECDH, Generic Mapping, then 3DES secure messaging.
    ID_PACE_ECDH_GM_3DES_CBC_CBC,
    2,
    1
);
pace_oid!(
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-128 (…2.2.4.2.2): PACE with ECDH, Generic Mapping, then AES-128 secure messaging.
    ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
    2,
    2
);
pace_oid!(
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-192 (…2.2.4.2.3): PACE with ECDH, Generic Mapping, then AES-192 secure messaging.
    ID_PACE_ECDH_GM_AES_CBC_CMAC_192,
    2,
    3
);
pace_oid!(
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-256 (…2.2.4.2.4): PACE with ECDH, Generic Mapping, then AES-256 secure messaging.
    ID_PACE_ECDH_GM_AES_CBC_CMAC_256,
    2,
    4
);
pace_oid!(
    /// id-PACE-DH-IM-3DES-CBC-CBC (…2.2.4.3.1): PACE with DH, Integrated Mapping, then 3DES secure messaging.
    ID_PACE_DH_IM_3DES_CBC_CBC,
    3,
    1
);
pace_oid!(
    /// id-PACE-DH-IM-AES-CBC-CMAC-128 (…2.2.4.3.2): PACE with DH, Integrated Mapping, then AES-128 secure messaging.
    ID_PACE_DH_IM_AES_CBC_CMAC_128,
    3,
    2
);
pace_oid!(
    /// id-PACE-DH-IM-AES-CBC-CMAC-192 (…2.2.4.3.3): PACE with DH, Integrated Mapping, then AES-192 secure messaging.
    ID_PACE_DH_IM_AES_CBC_CMAC_192,
    3,
    3
);
pace_oid!(
    /// id-PACE-DH-IM-AES-CBC-CMAC-256 (…2.2.4.3.4): PACE with DH, Integrated Mapping, then AES-256 secure messaging.
    ID_PACE_DH_IM_AES_CBC_CMAC_256,
    3,
    4
);
pace_oid!(
    /// id-PACE-ECDH-IM-3DES-CBC-CBC (…2.2.4.4.1): PACE with ECDH, Integrated Mapping, then 3DES secure messaging.
    ID_PACE_ECDH_IM_3DES_CBC_CBC,
    4,
    1
);
pace_oid!(
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-128 (…2.2.4.4.2): PACE with ECDH, Integrated Mapping, then AES-128 secure messaging.
    ID_PACE_ECDH_IM_AES_CBC_CMAC_128,
    4,
    2
);
pace_oid!(
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-192 (…2.2.4.4.3): PACE with ECDH, Integrated Mapping, then AES-192 secure messaging.
    ID_PACE_ECDH_IM_AES_CBC_CMAC_192,
    4,
    3
);
pace_oid!(
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-256 (…2.2.4.4.4): PACE with ECDH, Integrated Mapping, then AES-256 secure messaging.
    ID_PACE_ECDH_IM_AES_CBC_CMAC_256,
    4,
    4
);
pace_oid!(
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-128 (…2.2.4.6.2): PACE with ECDH, Chip Authentication Mapping, then AES-128 secure messaging.
    ID_PACE_ECDH_CAM_AES_CBC_CMAC_128,
    6,
    2
);
pace_oid!(
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-192 (…2.2.4.6.3): PACE with ECDH, Chip Authentication Mapping, then AES-192 secure messaging.
    ID_PACE_ECDH_CAM_AES_CBC_CMAC_192,
    6,
    3
);
pace_oid!(
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-256 (…2.2.4.6.4): PACE with ECDH, Chip Authentication Mapping, then AES-256 secure messaging.
    ID_PACE_ECDH_CAM_AES_CBC_CMAC_256,
    6,
    4
);

/// id-RI (0.4.0.127.0.7.2.2.5): Restricted Identification.
pub const ID_RI: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x05];
/// id-CI (0.4.0.127.0.7.2.2.6): CardInfoLocator.
pub const ID_CI: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x06];
/// id-eIDSecurity (0.4.0.127.0.7.2.2.7).
pub const ID_EID_SECURITY: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x07];
/// id-PT (0.4.0.127.0.7.2.2.8): PrivilegedTerminalInfo.
pub const ID_PT: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x08];

/// standardizedDomainParameters (0.4.0.127.0.7.1.2): AlgorithmIdentifier whose parameter is
/// the INTEGER id of Doc 9303-11 Table 6 / TR-03110-3 Table 4.
pub const STANDARDIZED_DOMAIN_PARAMETERS: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02];

/// id-AA (2.23.136.1.1.5): Active Authentication.
pub const ID_AA: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x05];

/// id-ecPublicKey (1.2.840.10045.2.1).
pub const ID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// dhpublicnumber (1.2.840.10046.2.1), X9.42 DH domain parameters.
pub const DH_PUBLIC_NUMBER: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3E, 0x02, 0x01];
/// dhKeyAgreement (1.2.840.113549.1.3.1), PKCS #3 DH parameters (p, g, privateValueLength).
pub const DH_KEY_AGREEMENT: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x03, 0x01];
/// prime-field (1.2.840.10045.1.1).
pub const PRIME_FIELD: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];

/// Named curves and the standardized domain parameter id they correspond to.
pub const NAMED_CURVES: &[(&[u8], u32, &str)] = &[
    (&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x01], 8, "secp192r1"),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x03],
        9,
        "brainpoolP192r1",
    ),
    (&[0x2B, 0x81, 0x04, 0x00, 0x21], 10, "secp224r1"),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x05],
        11,
        "brainpoolP224r1",
    ),
    (&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], 12, "secp256r1"),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
        13,
        "brainpoolP256r1",
    ),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x09],
        14,
        "brainpoolP320r1",
    ),
    (&[0x2B, 0x81, 0x04, 0x00, 0x22], 15, "secp384r1"),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B],
        16,
        "brainpoolP384r1",
    ),
    (
        &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D],
        17,
        "brainpoolP512r1",
    ),
    (&[0x2B, 0x81, 0x04, 0x00, 0x23], 18, "secp521r1"),
];

/// The standardized domain parameter id of a named curve OID.
pub fn named_curve_parameter_id(oid: &[u8]) -> Option<u32> {
    NAMED_CURVES.iter().find(|(o, _, _)| *o == oid).map(|(_, id, _)| *id)
}

/// A readable name for the well-known OIDs, for reports and logs.
pub fn name(oid: &[u8]) -> Option<&'static str> {
    const NAMES: &[(&[u8], &str)] = &[
        (ID_PK_DH, "id-PK-DH"),
        (ID_PK_ECDH, "id-PK-ECDH"),
        (ID_TA, "id-TA"),
        (ID_CA_DH, "id-CA-DH"),
        (ID_CA_ECDH, "id-CA-ECDH"),
        (ID_CA_DH_3DES_CBC_CBC, "id-CA-DH-3DES-CBC-CBC"),
        (ID_CA_DH_AES_CBC_CMAC_128, "id-CA-DH-AES-CBC-CMAC-128"),
        (ID_CA_DH_AES_CBC_CMAC_192, "id-CA-DH-AES-CBC-CMAC-192"),
        (ID_CA_DH_AES_CBC_CMAC_256, "id-CA-DH-AES-CBC-CMAC-256"),
        (ID_CA_ECDH_3DES_CBC_CBC, "id-CA-ECDH-3DES-CBC-CBC"),
        (ID_CA_ECDH_AES_CBC_CMAC_128, "id-CA-ECDH-AES-CBC-CMAC-128"),
        (ID_CA_ECDH_AES_CBC_CMAC_192, "id-CA-ECDH-AES-CBC-CMAC-192"),
        (ID_CA_ECDH_AES_CBC_CMAC_256, "id-CA-ECDH-AES-CBC-CMAC-256"),
        (ID_PACE_DH_GM, "id-PACE-DH-GM"),
        (ID_PACE_ECDH_GM, "id-PACE-ECDH-GM"),
        (ID_PACE_DH_IM, "id-PACE-DH-IM"),
        (ID_PACE_ECDH_IM, "id-PACE-ECDH-IM"),
        (ID_PACE_ECDH_CAM, "id-PACE-ECDH-CAM"),
        (ID_PACE_DH_GM_3DES_CBC_CBC, "id-PACE-DH-GM-3DES-CBC-CBC"),
        (ID_PACE_DH_GM_AES_CBC_CMAC_128, "id-PACE-DH-GM-AES-CBC-CMAC-128"),
        (ID_PACE_DH_GM_AES_CBC_CMAC_192, "id-PACE-DH-GM-AES-CBC-CMAC-192"),
        (ID_PACE_DH_GM_AES_CBC_CMAC_256, "id-PACE-DH-GM-AES-CBC-CMAC-256"),
        (ID_PACE_ECDH_GM_3DES_CBC_CBC, "id-PACE-ECDH-GM-3DES-CBC-CBC"),
        (ID_PACE_ECDH_GM_AES_CBC_CMAC_128, "id-PACE-ECDH-GM-AES-CBC-CMAC-128"),
        (ID_PACE_ECDH_GM_AES_CBC_CMAC_192, "id-PACE-ECDH-GM-AES-CBC-CMAC-192"),
        (ID_PACE_ECDH_GM_AES_CBC_CMAC_256, "id-PACE-ECDH-GM-AES-CBC-CMAC-256"),
        (ID_PACE_DH_IM_3DES_CBC_CBC, "id-PACE-DH-IM-3DES-CBC-CBC"),
        (ID_PACE_DH_IM_AES_CBC_CMAC_128, "id-PACE-DH-IM-AES-CBC-CMAC-128"),
        (ID_PACE_DH_IM_AES_CBC_CMAC_192, "id-PACE-DH-IM-AES-CBC-CMAC-192"),
        (ID_PACE_DH_IM_AES_CBC_CMAC_256, "id-PACE-DH-IM-AES-CBC-CMAC-256"),
        (ID_PACE_ECDH_IM_3DES_CBC_CBC, "id-PACE-ECDH-IM-3DES-CBC-CBC"),
        (ID_PACE_ECDH_IM_AES_CBC_CMAC_128, "id-PACE-ECDH-IM-AES-CBC-CMAC-128"),
        (ID_PACE_ECDH_IM_AES_CBC_CMAC_192, "id-PACE-ECDH-IM-AES-CBC-CMAC-192"),
        (ID_PACE_ECDH_IM_AES_CBC_CMAC_256, "id-PACE-ECDH-IM-AES-CBC-CMAC-256"),
        (ID_PACE_ECDH_CAM_AES_CBC_CMAC_128, "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"),
        (ID_PACE_ECDH_CAM_AES_CBC_CMAC_192, "id-PACE-ECDH-CAM-AES-CBC-CMAC-192"),
        (ID_PACE_ECDH_CAM_AES_CBC_CMAC_256, "id-PACE-ECDH-CAM-AES-CBC-CMAC-256"),
        (ID_RI, "id-RI"),
        (ID_CI, "id-CI"),
        (ID_EID_SECURITY, "id-eIDSecurity"),
        (ID_PT, "id-PT"),
        (STANDARDIZED_DOMAIN_PARAMETERS, "standardizedDomainParameters"),
        (ID_AA, "id-AA"),
        (ID_EC_PUBLIC_KEY, "id-ecPublicKey"),
        (DH_PUBLIC_NUMBER, "dhpublicnumber"),
        (DH_KEY_AGREEMENT, "dhKeyAgreement"),
        (PRIME_FIELD, "prime-field"),
    ];
    NAMES
        .iter()
        .find(|(o, _)| *o == oid)
        .map(|(_, n)| *n)
        .or_else(|| NAMED_CURVES.iter().find(|(o, _, _)| *o == oid).map(|(_, _, n)| *n))
}
