//! Message authentication codes of Doc 9303-11 secure messaging and PACE tokens.

use crate::{CipherSuite, CryptoError, padding::pad};
use aes::{Aes128, Aes192, Aes256};
use cmac::{Cmac, Mac};
use des::Des;
use retail_mac::RetailMac;

/// ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with single DES and a 16-byte key, over
/// `data` padded with method 2.
pub fn retail_mac(key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    retail_mac_aligned(key, &pad(data, 8))
}

/// Retail MAC over data that is already a multiple of 8 bytes (no padding added).
pub fn retail_mac_aligned(key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    if !data.len().is_multiple_of(8) {
        return Err(CryptoError::NotBlockAligned(data.len()));
    }
    let mut mac = <RetailMac<Des> as cipher::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        cipher: CipherSuite::Tdes,
        got: key.len(),
        want: 16,
    })?;
    mac.update(data);
    let tag = mac.finalize().into_bytes();
    let mut out = [0u8; 8];
    out.copy_from_slice(tag.get(..8).unwrap_or(&[0u8; 8]));
    Ok(out)
}

/// AES-CMAC (NIST SP 800-38B) with a 16, 24 or 32-byte key, full 16-byte tag.
pub fn cmac(key: &[u8], data: &[u8]) -> Result<[u8; 16], CryptoError> {
    fn run<M: Mac + cipher::KeyInit>(key: &[u8], data: &[u8], suite: CipherSuite) -> Result<[u8; 16], CryptoError> {
        let mut m = <M as cipher::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
            cipher: suite,
            got: key.len(),
            want: suite.key_len(),
        })?;
        m.update(data);
        let tag = m.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.get(..16).unwrap_or(&[0u8; 16]));
        Ok(out)
    }
    match key.len() {
        16 => run::<Cmac<Aes128>>(key, data, CipherSuite::Aes128),
        24 => run::<Cmac<Aes192>>(key, data, CipherSuite::Aes192),
        32 => run::<Cmac<Aes256>>(key, data, CipherSuite::Aes256),
        n => Err(CryptoError::KeyLength {
            cipher: CipherSuite::Aes128,
            got: n,
            want: 16,
        }),
    }
}

/// AES-CMAC truncated to 8 bytes, as used by eMRTD secure messaging and authentication tokens.
pub fn cmac8(key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    let full = cmac(key, data)?;
    let mut out = [0u8; 8];
    out.copy_from_slice(&full[..8]);
    Ok(out)
}

/// The secure messaging MAC: method-2 padding to the block size, then retail MAC (3DES) or
/// CMAC-8 (AES).
pub fn sm_mac(suite: CipherSuite, key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    match suite {
        CipherSuite::Tdes => retail_mac(key, data),
        _ => cmac8(key, &pad(data, 16)),
    }
}

/// The MAC used for PACE and Chip Authentication authentication tokens: retail MAC over the
/// padded input for 3DES, CMAC-8 over the unpadded input for AES (Doc 9303-11 §4.4.3.4).
pub fn token_mac(suite: CipherSuite, key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    match suite {
        CipherSuite::Tdes => retail_mac(key, data),
        _ => cmac8(key, data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn iso9797_annex_b_retail_mac() {
        let key = h("0123456789ABCDEFFEDCBA9876543210");
        // Padding method 1 (zero padding): the first message is block aligned.
        let m1 = b"Now is the time for all ";
        assert_eq!(retail_mac_aligned(&key, m1).unwrap().to_vec(), h("A1C72E74EA3FA9B6"));
        let mut m2 = b"Now is the time for it".to_vec();
        m2.resize(24, 0);
        assert_eq!(retail_mac_aligned(&key, &m2).unwrap().to_vec(), h("2E2B1428CC78254F"));
        // Padding method 2.
        assert_eq!(retail_mac(&key, m1).unwrap().to_vec(), h("E9086230CA3BE796"));
        assert_eq!(
            retail_mac(&key, b"Now is the time for it").unwrap().to_vec(),
            h("5A692CE64F404145")
        );
    }

    #[test]
    fn icao_bac_macs() {
        let k_mac = h("7962D9ECE03D1ACD4C76089DCE131543");
        let e_ifd = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
        assert_eq!(retail_mac(&k_mac, &e_ifd).unwrap().to_vec(), h("5F1448EEA8AD90A7"));
        let e_ic = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F");
        assert_eq!(retail_mac(&k_mac, &e_ic).unwrap().to_vec(), h("2F2D235D074D7449"));
    }

    #[test]
    fn gmrtd_retail_mac_vector() {
        let key = h("E3857CA24946251C151C540E13F2CD51");
        let data = h("00000000000000CD0C88000080000000871101ED7F8CB47A4EEA086324A7F9DD7427809701008000");
        assert_eq!(retail_mac_aligned(&key, &data).unwrap().to_vec(), h("97F54BAE49AA71F8"));
    }

    #[test]
    fn gmrtd_iso9797_retail_mac_vectors() {
        // bac_sm_mac_kdf.txt, TestISO9797RetailMacDes (inputs already padded).
        let cases = [
            (
                "7962D9ECE03D1ACD4C76089DCE131543",
                "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F8000000000000000",
                "2F2D235D074D7449",
            ),
            (
                "D6C47FF4677AC8AE91CB49F4CE673432",
                "9646C154BFB7BE7C0C86000080000000874901A9C6BF370C62AA43CA1EC9B97071727654822361DEB8BA4E5719AA05D8E86AA36164DFA5E506DBF60DC7418858179FD25DAC5E9E49393DDE37E29652444941B562142AB5F19AEA919701008000",
                "5083316637060C4D",
            ),
            (
                "C1BC1F075797B970B5A45E64A764B0CB",
                "7F494F060A04007F000702020402018641042DBAF62E6FDFB31EB66F206493B9E7721586F0E5C93754D7BD5A884CA251EE4D720AB539A60561BC46812FA289B58AC69F0C6E32ADBAF7241049A31211F80F5B800000000000",
                "8D7C617D43EFE09E",
            ),
        ];
        for (key, data, mac) in cases {
            assert_eq!(retail_mac_aligned(&h(key), &h(data)).unwrap().to_vec(), h(mac), "{key}");
        }
    }

    #[test]
    fn rfc4493_and_sp800_38b_cmac() {
        let msg = h(
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710",
        );
        let vectors = [
            (
                "2B7E151628AED2A6ABF7158809CF4F3C",
                [
                    "BB1D6929E95937287FA37D129B756746",
                    "070A16B46B4D4144F79BDD9DD04A287C",
                    "DFA66747DE9AE63030CA32611497C827",
                    "51F0BEBF7E3B9D92FC49741779363CFE",
                ],
            ),
            (
                "8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B",
                [
                    "D17DDF46ADAACDE531CAC483DE7A9367",
                    "9E99A7BF31E710900662F65E617C5184",
                    "8A1DE5BE2EB31AAD089A82E6EE908B0E",
                    "A1D5DF0EED790F794D77589659F39A11",
                ],
            ),
            (
                "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4",
                [
                    "028962F61B7BF89EFC6B551F4667D983",
                    "28A7023F452E8F82BD4BF28D8C37C35C",
                    "AAF3D8F1DE5640C232F5B169B9C911E6",
                    "E1992190549F6ED5696A2C056C315410",
                ],
            ),
        ];
        for (key, tags) in vectors {
            for (len, tag) in [0usize, 16, 40, 64].into_iter().zip(tags) {
                assert_eq!(
                    cmac(&h(key), &msg[..len]).unwrap().to_vec(),
                    h(tag),
                    "key {key} L={len}"
                );
                assert_eq!(cmac8(&h(key), &msg[..len]).unwrap().to_vec(), h(tag)[..8].to_vec());
            }
        }
    }

    #[test]
    fn bsi_worked_example_sm_macs() {
        // SSC = 2, data 99029000 -> CMAC8(KSmac, pad(SSC || data)).
        let mut input = vec![0u8; 15];
        input.push(2);
        input.extend_from_slice(&h("99029000"));
        let ks_mac = h("73FF268784F72AF833FDC9464049AFC9");
        assert_eq!(
            sm_mac(CipherSuite::Aes128, &ks_mac, &input).unwrap().to_vec(),
            h("A89570A68664A7D6")
        );
        let ks_mac_dh = h("805A1D27D45A5116F73C54469462B7D8");
        assert_eq!(
            sm_mac(CipherSuite::Aes128, &ks_mac_dh, &input).unwrap().to_vec(),
            h("EBFF08D3B20A0414")
        );
    }

    #[test]
    fn g1_authentication_tokens() {
        let ks_mac = h("FE251C7858B356B24514B3BD5F4297D1");
        let t_ifd_input = h(
            "7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        );
        assert_eq!(
            token_mac(CipherSuite::Aes128, &ks_mac, &t_ifd_input).unwrap().to_vec(),
            h("C2B0BD78D94BA866")
        );
    }

    #[test]
    fn wrong_key_lengths() {
        assert!(matches!(retail_mac(&[0; 8], b"x"), Err(CryptoError::KeyLength { .. })));
        assert!(matches!(
            cmac8(&[0; 20], b"x"),
            Err(CryptoError::KeyLength { got: 20, .. })
        ));
        assert_eq!(
            retail_mac_aligned(&[0; 16], &[0; 7]),
            Err(CryptoError::NotBlockAligned(7))
        );
    }
}
