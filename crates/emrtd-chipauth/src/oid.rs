//! Object identifiers, as DER content octets (compared byte for byte).

/// PKCS#1 rsaEncryption 1.2.840.113549.1.1.1.
pub const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// X9.62 / RFC 5480 id-ecPublicKey 1.2.840.10045.2.1.
pub const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// X9.62 prime-field 1.2.840.10045.1.1 (fieldType of explicit ECParameters).
pub const PRIME_FIELD: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];
/// X9.42 dhpublicnumber 1.2.840.10046.2.1.
pub const DH_PUBLIC_NUMBER: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3E, 0x02, 0x01];
/// PKCS#3 dhKeyAgreement 1.2.840.113549.1.3.1.
pub const DH_KEY_AGREEMENT: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x03, 0x01];

/// standardizedDomainParameters 0.4.0.127.0.7.1.2 (AlgorithmIdentifier with an INTEGER id).
pub const STANDARDIZED_DOMAIN_PARAMETERS: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02];
/// id-PK-DH 0.4.0.127.0.7.2.2.1.1.
pub const ID_PK_DH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x01];
/// id-PK-ECDH 0.4.0.127.0.7.2.2.1.2.
pub const ID_PK_ECDH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02];
/// id-CA 0.4.0.127.0.7.2.2.3 (prefix of all CA protocol OIDs).
pub const ID_CA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03];
/// id-AA 2.23.136.1.1.5.
pub const ID_AA: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x05];

/// ecdsa-with-SHA1 1.2.840.10045.4.1.
pub const ECDSA_WITH_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];
/// Prefix of ecdsa-with-SHA224..512 (1.2.840.10045.4.3.x).
pub const ECDSA_WITH_SHA2_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03];
/// Prefix of BSI ecdsa-plain-SHA* (0.4.0.127.0.7.1.1.4.1.x).
pub const ECDSA_PLAIN_PREFIX: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01];

/// Dotted-decimal form of DER OID content octets (for messages).
pub fn display(der: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut acc: u128 = 0;
    let mut first = true;
    for &b in der {
        acc = (acc << 7) | u128::from(b & 0x7F);
        if acc > u128::from(u64::MAX) {
            return format!("<bad OID {}>", hex_upper(der));
        }
        if b & 0x80 == 0 {
            if first {
                let (x, y) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                parts.push(x.to_string());
                parts.push(y.to_string());
                first = false;
            } else {
                parts.push(acc.to_string());
            }
            acc = 0;
        }
    }
    if parts.is_empty() {
        return "<empty OID>".into();
    }
    parts.join(".")
}

pub(crate) fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dotted_names() {
        assert_eq!(super::display(super::ID_PK_ECDH), "0.4.0.127.0.7.2.2.1.2");
        assert_eq!(super::display(super::ID_AA), "2.23.136.1.1.5");
        assert_eq!(super::display(super::RSA_ENCRYPTION), "1.2.840.113549.1.1.1");
    }
}
