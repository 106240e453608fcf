//! ISO/IEC 9797-1 padding method 2: append `80`, then `00` up to a whole block.

use crate::CryptoError;

/// Pads `data` to a multiple of `block` bytes (always adds at least one byte).
pub fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let block = block.max(1);
    let padded_len = (data.len() / block + 1) * block;
    let mut out = Vec::with_capacity(padded_len);
    out.extend_from_slice(data);
    out.push(0x80);
    out.resize(padded_len, 0x00);
    out
}

/// Removes method-2 padding: trailing `00` bytes, then one `80`.
pub fn unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    let end = data.iter().rposition(|b| *b != 0x00).ok_or(CryptoError::BadPadding)?;
    match data.get(end) {
        Some(0x80) => Ok(data.get(..end).unwrap_or_default()),
        _ => Err(CryptoError::BadPadding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn icao_d4_paddings() {
        assert_eq!(pad(&[0x01, 0x1E], 8), hex::decode("011E800000000000").unwrap());
        assert_eq!(
            pad(&[0x0C, 0xA4, 0x02, 0x0C], 8),
            hex::decode("0CA4020C80000000").unwrap()
        );
        assert_eq!(pad(&[0u8; 8], 8).len(), 16);
        assert_eq!(pad(&[], 16), {
            let mut v = vec![0u8; 16];
            v[0] = 0x80;
            v
        });
    }

    #[test]
    fn gmrtd_padding_vectors() {
        let h = |s: &str| hex::decode(s).unwrap();
        for (data, exp) in [
            ("1234567880", "1234567880800000"),
            ("1234", "1234800000000000"),
            ("", "8000000000000000"),
            ("1234567890ABCDEF", "1234567890ABCDEF8000000000000000"),
        ] {
            assert_eq!(pad(&h(data), 8), h(exp));
        }
        for (input, exp) in [
            ("123456788080", "1234567880"),
            ("12348000000000", "1234"),
            ("800000", ""),
        ] {
            assert_eq!(unpad(&h(input)).unwrap(), &h(exp)[..]);
        }
    }

    #[test]
    fn unpad_rejects_malformed() {
        assert_eq!(unpad(&[0x01, 0x80, 0x00]), Ok(&[0x01][..]));
        assert_eq!(unpad(&[0x01, 0x00]), Err(CryptoError::BadPadding));
        assert_eq!(unpad(&[0x00, 0x00]), Err(CryptoError::BadPadding));
        assert_eq!(unpad(&[]), Err(CryptoError::BadPadding));
    }

    proptest! {
        #[test]
        fn pad_unpad_round_trip(data in proptest::collection::vec(any::<u8>(), 0..100), block in prop_oneof![Just(8usize), Just(16usize)]) {
            let p = pad(&data, block);
            prop_assert_eq!(p.len() % block, 0);
            prop_assert!(p.len() > data.len());
            prop_assert_eq!(unpad(&p).unwrap(), &data[..]);
        }
    }
}
