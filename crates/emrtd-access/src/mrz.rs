//! MRZ information for key derivation (Doc 9303-11 §9.7.2, Doc 9303-3 §4.9 check digits).

use digest::Digest;
use emrtd_crypto::SecretBytes;
use sha1::Sha1;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Errors in MRZ input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MrzError {
    /// A field holds a character outside `0-9`, `A-Z` and `<` (after upper-casing and
    /// removing whitespace).
    #[error("{field}: character {ch:?} is not allowed in an MRZ (0-9, A-Z, <)")]
    BadCharacter {
        /// The field (`"document number"`, `"date of birth"`, ...).
        field: &'static str,
        /// The offending character.
        ch: char,
    },
    /// A date is not exactly six digits `YYMMDD`.
    #[error("{field}: must be 6 digits YYMMDD, got {len} characters")]
    BadDate {
        /// `"date of birth"` or `"date of expiry"`.
        field: &'static str,
        /// Number of characters given (after removing whitespace).
        len: usize,
    },
    /// The document number is empty (or only `<` fillers).
    #[error("document number is empty")]
    EmptyDocumentNumber,
    /// The document number is longer than 22 characters (9 in the number field plus the
    /// longest continuation in a TD1 optional data field).
    #[error("document number longer than 22 characters")]
    DocumentNumberTooLong,
}

/// The check digit of Doc 9303-3 §4.9: weights 7, 3, 1; `<` counts 0, A–Z count 10–35.
pub fn check_digit(field: &str) -> Result<u8, MrzError> {
    let mut sum = 0u32;
    for (ch, weight) in field.chars().zip([7u32, 3, 1].into_iter().cycle()) {
        let v = match ch {
            '0'..='9' => ch as u32 - '0' as u32,
            'A'..='Z' => ch as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => {
                return Err(MrzError::BadCharacter {
                    field: "check digit input",
                    ch,
                });
            }
        };
        sum += v * weight;
    }
    Ok((sum % 10) as u8)
}

/// Document number, date of birth and date of expiry: the key of BAC and PACE with MRZ.
///
/// The values are normalised (upper case, spaces removed) and kept in memory that is wiped on
/// drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MrzKey {
    document_number: String,
    date_of_birth: String,
    date_of_expiry: String,
}

impl core::fmt::Debug for MrzKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MrzKey(<redacted>)")
    }
}

fn normalise(field: &'static str, s: &str) -> Result<String, MrzError> {
    let out: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if let Some(ch) = out
        .chars()
        .find(|c| !(c.is_ascii_digit() || c.is_ascii_uppercase() || *c == '<'))
    {
        return Err(MrzError::BadCharacter { field, ch });
    }
    Ok(out)
}

fn date(field: &'static str, s: &str) -> Result<String, MrzError> {
    let d = normalise(field, s)?;
    if d.len() != 6 || !d.chars().all(|c| c.is_ascii_digit()) {
        return Err(MrzError::BadDate { field, len: d.len() });
    }
    Ok(d)
}

impl MrzKey {
    /// Builds the key from the three MRZ fields. Dates are `YYMMDD`.
    pub fn new(document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Result<Self, MrzError> {
        let doc = normalise("document number", document_number)?;
        let doc = doc.trim_end_matches('<').to_string();
        if doc.is_empty() {
            return Err(MrzError::EmptyDocumentNumber);
        }
        if doc.len() > 22 {
            return Err(MrzError::DocumentNumberTooLong);
        }
        Ok(MrzKey {
            document_number: doc,
            date_of_birth: date("date of birth", date_of_birth)?,
            date_of_expiry: date("date of expiry", date_of_expiry)?,
        })
    }

    /// The document number, normalised, without trailing `<` fillers.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    /// The date of birth, `YYMMDD`.
    pub fn date_of_birth(&self) -> &str {
        &self.date_of_birth
    }

    /// The date of expiry, `YYMMDD`.
    pub fn date_of_expiry(&self) -> &str {
        &self.date_of_expiry
    }

    /// `MRZ_information`: document number (padded with `<` to 9 characters) and its check
    /// digit, date of birth and check digit, date of expiry and check digit.
    ///
    /// A document number longer than 9 characters (TD1 cards whose number continues in the
    /// optional data) is used in full, followed by the check digit over the full number, as
    /// Doc 9303 prescribes for such documents.
    pub fn mrz_information(&self) -> Zeroizing<String> {
        let mut doc = self.document_number.clone();
        while doc.len() < 9 {
            doc.push('<');
        }
        // All three fields were validated in `new`, so the check digits cannot fail.
        let cd = |s: &str| check_digit(s).map(|d| char::from(b'0' + d)).unwrap_or('0');
        let mut s = Zeroizing::new(String::with_capacity(doc.len() + 15));
        s.push_str(&doc);
        s.push(cd(&doc));
        s.push_str(&self.date_of_birth);
        s.push(cd(&self.date_of_birth));
        s.push_str(&self.date_of_expiry);
        s.push(cd(&self.date_of_expiry));
        doc.zeroize();
        s
    }

    /// `Kseed`: the first 16 bytes of SHA-1(MRZ_information) (BAC, Doc 9303-11 §9.7.2).
    pub fn kseed(&self) -> SecretBytes {
        let digest = Sha1::digest(self.mrz_information().as_bytes());
        Zeroizing::new(digest.get(..16).unwrap_or_default().to_vec())
    }

    /// The PACE password for MRZ: the full SHA-1(MRZ_information) (Doc 9303-11 §9.7.3).
    pub fn pace_password(&self) -> SecretBytes {
        Zeroizing::new(Sha1::digest(self.mrz_information().as_bytes()).to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d1_mrz_information() {
        let k = MrzKey::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(k.mrz_information().as_str(), "L898902C<369080619406236");
        assert_eq!(hex::encode_upper(&*k.kseed()), "239AB9CB282DAF66231DC5A4DF6BFBAE");
        // The '<'-padded form and lower case give the same key.
        let k2 = MrzKey::new("l898902c<", "690806", "940623").unwrap();
        assert_eq!(k, k2);
    }

    #[test]
    fn g1_pace_mrz_password() {
        let k = MrzKey::new("T22000129", "640812", "101031").unwrap();
        assert_eq!(k.mrz_information().as_str(), "T22000129364081251010318");
        assert_eq!(
            hex::encode_upper(&*k.pace_password()),
            "7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD"
        );
        let cam = MrzKey::new("C11T002JM", "960812", "231031").unwrap();
        assert_eq!(cam.mrz_information().as_str(), "C11T002JM496081222310314");
    }

    #[test]
    fn short_document_number_is_padded() {
        let k = MrzKey::new("AB123456", "800101", "300101").unwrap();
        assert!(k.mrz_information().starts_with("AB123456<"));
    }

    #[test]
    fn long_document_number_is_used_in_full() {
        // Doc 9303-5 TD1 example with a 12-character document number: D23145890734 -> check 9.
        let k = MrzKey::new("D23145890734", "340712", "950712").unwrap();
        assert_eq!(check_digit("D23145890734"), Ok(9));
        assert_eq!(k.mrz_information().as_str(), "D23145890734934071279507122");
    }

    #[test]
    fn check_digits_of_doc9303_examples() {
        assert_eq!(check_digit("L898902C<"), Ok(3));
        assert_eq!(check_digit("690806"), Ok(1));
        assert_eq!(check_digit("940623"), Ok(6));
        assert_eq!(check_digit("520727"), Ok(3));
        assert!(check_digit("ab").is_err());
    }

    #[test]
    fn bad_input_is_rejected() {
        assert!(matches!(
            MrzKey::new("L89890-2C", "690806", "940623"),
            Err(MrzError::BadCharacter { .. })
        ));
        assert!(matches!(
            MrzKey::new("L898902C", "6908", "940623"),
            Err(MrzError::BadDate { .. })
        ));
        assert!(matches!(
            MrzKey::new("L898902C", "690806", "94O623"),
            Err(MrzError::BadDate { .. })
        ));
        assert_eq!(
            MrzKey::new("<<<", "690806", "940623"),
            Err(MrzError::EmptyDocumentNumber)
        );
        assert_eq!(
            MrzKey::new(&"A".repeat(23), "690806", "940623"),
            Err(MrzError::DocumentNumberTooLong)
        );
        assert!(format!("{:?}", MrzKey::new("L898902C", "690806", "940623").unwrap()).contains("redacted"));
    }
}
