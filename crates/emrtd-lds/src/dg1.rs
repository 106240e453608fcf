//! DG1: the MRZ (Doc 9303-10 §4.7.1, layouts from Doc 9303 parts 4–7).

use crate::LdsError;
use crate::asn1;
use emrtd_apdu::tlv::Tag;
use serde::Serialize;

/// Tag `61`: DG1 (Doc 9303-10 §4.7.1).
pub const TAG_DG1: Tag = Tag(0x61);
/// Tag `5F1F`: the MRZ data element inside DG1 (Doc 9303-10 §4.7.1).
pub const TAG_MRZ: Tag = Tag(0x5F1F);

/// The MRZ layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MrzFormat {
    /// TD1: three lines of 30 characters (ID cards, Doc 9303-5).
    Td1,
    /// TD2: two lines of 36 characters (Doc 9303-6).
    Td2,
    /// TD3: two lines of 44 characters (passports, Doc 9303-4).
    Td3,
    /// MRV-A: visa, two lines of 44 characters (Doc 9303-7).
    MrvA,
    /// MRV-B: visa, two lines of 36 characters (Doc 9303-7).
    MrvB,
}

/// The value of an MRZ check digit (Doc 9303-3 §4.9): weights 7, 3, 1.
pub fn check_digit(field: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (c, w) in field.bytes().zip([7u32, 3, 1].iter().cycle()) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * w;
    }
    u8::try_from(sum % 10).ok()
}

/// One check digit of the MRZ, with what it covers and whether it matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckDigit {
    /// The field the digit covers: `document_number`, `date_of_birth`, `date_of_expiry`,
    /// `personal_number` or `composite`.
    pub field: &'static str,
    /// The character printed in the MRZ.
    pub printed: char,
    /// The computed value.
    pub computed: Option<u8>,
    /// Whether the printed digit equals the computed one (a filler `<` counts as 0).
    pub valid: bool,
}

fn check(field: &'static str, data: &str, printed: char) -> CheckDigit {
    let computed = check_digit(data);
    let printed_value = match printed {
        '0'..='9' => Some(printed as u8 - b'0'),
        // A filler check digit is accepted for an empty (all-filler) field.
        '<' => Some(0),
        _ => None,
    };
    let valid = computed.is_some() && computed == printed_value;
    CheckDigit {
        field,
        printed,
        computed,
        valid,
    }
}

/// A parsed MRZ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mrz {
    /// The layout, chosen from the MRZ length and document code.
    pub format: MrzFormat,
    /// The MRZ lines as read.
    pub lines: Vec<String>,
    /// Document code, two characters as printed (e.g. "P<", "ID", "V<").
    pub document_code: String,
    /// Issuing state or organisation, three characters as printed (Doc 9303-3 §5 code, e.g. "UTO", "D<<").
    pub issuing_state: String,
    /// Name field as printed (with fillers).
    pub name: String,
    /// Primary identifier (surname), fillers turned to spaces.
    pub primary_identifier: String,
    /// Secondary identifier (given names), fillers turned to spaces.
    pub secondary_identifier: String,
    /// Document number without fillers (long numbers of TD1/TD2 joined).
    pub document_number: String,
    /// Nationality, three characters as printed (Doc 9303-3 §5 code).
    pub nationality: String,
    /// YYMMDD.
    pub date_of_birth: String,
    /// Sex: "M", "F" or "<" (unspecified), as printed.
    pub sex: String,
    /// YYMMDD.
    pub date_of_expiry: String,
    /// Optional data (TD3: personal number) as printed.
    pub optional_data: String,
    /// TD1 only: the second optional data field.
    pub optional_data_2: Option<String>,
    /// Every check digit of the layout in MRZ order (document number, birth, expiry, [personal
    /// number,] composite; visas have no composite).
    pub check_digits: Vec<CheckDigit>,
}

impl Mrz {
    /// Whether every check digit matched.
    pub fn check_digits_valid(&self) -> bool {
        self.check_digits.iter().all(|c| c.valid)
    }

    /// Parses the MRZ characters (lines concatenated, no separators).
    pub fn parse(text: &str) -> Result<Self, LdsError> {
        if !text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')
        {
            return Err(LdsError::Mrz("MRZ contains characters outside A-Z 0-9 <".into()));
        }
        let s = |a: usize, b: usize| -> String { text.get(a..b).unwrap_or_default().to_string() };
        let ch = |i: usize| -> char { text.as_bytes().get(i).map_or('?', |b| char::from(*b)) };
        let visa = text.starts_with('V');
        match text.len() {
            90 => {
                // TD1: line 1 [0,30), line 2 [30,60), line 3 [60,90).
                let optional1 = s(15, 30);
                let mut checks = Vec::new();
                let (document_number, doc_check) = if ch(14) == '<' && optional1.trim_end_matches('<').len() > 1 {
                    // Long document number: continues in optional data 1, its check digit
                    // is the last character before the filler.
                    let ext = optional1.trim_end_matches('<');
                    let (rest, cd) = ext.split_at(ext.len() - 1);
                    let full = format!("{}{}", s(5, 14), rest);
                    (
                        full.clone(),
                        check("document_number", &full, cd.chars().next().unwrap_or('?')),
                    )
                } else {
                    (s(5, 14), check("document_number", &s(5, 14), ch(14)))
                };
                checks.push(doc_check);
                checks.push(check("date_of_birth", &s(30, 36), ch(36)));
                checks.push(check("date_of_expiry", &s(38, 44), ch(44)));
                let composite = format!("{}{}{}{}", s(5, 30), s(30, 37), s(38, 45), s(48, 59));
                checks.push(check("composite", &composite, ch(59)));
                let name = s(60, 90);
                let (p, g) = split_name(&name);
                Ok(Mrz {
                    format: MrzFormat::Td1,
                    lines: vec![s(0, 30), s(30, 60), s(60, 90)],
                    document_code: s(0, 2),
                    issuing_state: s(2, 5),
                    primary_identifier: p,
                    secondary_identifier: g,
                    name,
                    document_number: document_number.trim_end_matches('<').to_string(),
                    nationality: s(45, 48),
                    date_of_birth: s(30, 36),
                    sex: s(37, 38),
                    date_of_expiry: s(38, 44),
                    optional_data: optional1,
                    optional_data_2: Some(s(48, 59)),
                    check_digits: checks,
                })
            }
            72 | 88 => {
                let w = text.len() / 2;
                let l2 = w;
                let name = s(5, w);
                let (p, g) = split_name(&name);
                let format = match (w, visa) {
                    (36, false) => MrzFormat::Td2,
                    (36, true) => MrzFormat::MrvB,
                    (_, false) => MrzFormat::Td3,
                    (_, true) => MrzFormat::MrvA,
                };
                let mut checks = Vec::new();
                let doc = s(l2, l2 + 9);
                let optional_end = match format {
                    MrzFormat::Td3 => l2 + 42,
                    MrzFormat::Td2 => l2 + 35,
                    _ => l2 + w,
                };
                let optional_data = s(l2 + 28, optional_end);
                let document_number =
                    if format == MrzFormat::Td2 && ch(l2 + 9) == '<' && optional_data.trim_end_matches('<').len() > 1 {
                        let ext = optional_data.trim_end_matches('<');
                        let (rest, cd) = ext.split_at(ext.len() - 1);
                        let full = format!("{doc}{rest}");
                        checks.push(check("document_number", &full, cd.chars().next().unwrap_or('?')));
                        full
                    } else {
                        checks.push(check("document_number", &doc, ch(l2 + 9)));
                        doc
                    };
                checks.push(check("date_of_birth", &s(l2 + 13, l2 + 19), ch(l2 + 19)));
                checks.push(check("date_of_expiry", &s(l2 + 21, l2 + 27), ch(l2 + 27)));
                match format {
                    MrzFormat::Td3 => {
                        checks.push(check("personal_number", &s(l2 + 28, l2 + 42), ch(l2 + 42)));
                        let composite = format!("{}{}{}", s(l2, l2 + 10), s(l2 + 13, l2 + 20), s(l2 + 21, l2 + 43));
                        checks.push(check("composite", &composite, ch(l2 + 43)));
                    }
                    MrzFormat::Td2 => {
                        let composite = format!("{}{}{}", s(l2, l2 + 10), s(l2 + 13, l2 + 20), s(l2 + 21, l2 + 35));
                        checks.push(check("composite", &composite, ch(l2 + 35)));
                    }
                    _ => {}
                }
                Ok(Mrz {
                    format,
                    lines: vec![s(0, w), s(w, 2 * w)],
                    document_code: s(0, 2),
                    issuing_state: s(2, 5),
                    primary_identifier: p,
                    secondary_identifier: g,
                    name,
                    document_number: document_number.trim_end_matches('<').to_string(),
                    nationality: s(l2 + 10, l2 + 13),
                    date_of_birth: s(l2 + 13, l2 + 19),
                    sex: s(l2 + 20, l2 + 21),
                    date_of_expiry: s(l2 + 21, l2 + 27),
                    optional_data,
                    optional_data_2: None,
                    check_digits: checks,
                })
            }
            n => Err(LdsError::Mrz(format!("MRZ length {n} is not 90, 72 or 88"))),
        }
    }
}

/// Splits a name field at the first `<<` into primary and secondary identifiers.
pub fn split_name(name: &str) -> (String, String) {
    let clean = |s: &str| -> String { s.split('<').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ") };
    match name.split_once("<<") {
        Some((p, g)) => (clean(p), clean(g)),
        None => (clean(name), String::new()),
    }
}

/// DG1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dg1 {
    /// The complete DG1 TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The MRZ parsed from the `5F1F` element.
    pub mrz: Mrz,
}

impl Dg1 {
    /// Parses DG1: tag `61` containing `5F1F` with the MRZ characters (88, 72 or 90 of them).
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, TAG_DG1, "DG1")?;
        let m = t.require(TAG_MRZ)?;
        let text = std::str::from_utf8(m.value).map_err(|_| LdsError::Mrz("MRZ is not ASCII".into()))?;
        Ok(Dg1 {
            raw: t.raw.to_vec(),
            mrz: Mrz::parse(text)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_doc9303_part3_examples() {
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
    }

    #[test]
    fn td3_specimen_utopia() {
        let mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        let m = Mrz::parse(mrz).unwrap();
        assert_eq!(m.format, MrzFormat::Td3);
        assert_eq!(m.primary_identifier, "ERIKSSON");
        assert_eq!(m.secondary_identifier, "ANNA MARIA");
        assert_eq!(m.document_number, "L898902C3");
        assert_eq!(m.date_of_birth, "740812");
        assert_eq!(m.sex, "F");
        assert!(m.check_digits_valid(), "{:?}", m.check_digits);
    }

    #[test]
    fn td1_specimen_utopia() {
        let mrz = "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
        let m = Mrz::parse(mrz).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert_eq!(m.document_number, "D23145890");
        assert_eq!(m.nationality, "UTO");
        assert!(m.check_digits_valid(), "{:?}", m.check_digits);
        let mut bad = mrz.to_string();
        bad.replace_range(14..15, "8");
        let m = Mrz::parse(&bad).unwrap();
        assert!(
            !m.check_digits
                .iter()
                .find(|c| c.field == "document_number")
                .unwrap()
                .valid
        );
    }
    #[test]
    fn mrv_a_and_mrv_b_layouts() {
        let a = Mrz::parse("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L8988901C4UTO7408122F1204159<<<<<<<<<<<<<<<<")
            .unwrap();
        assert_eq!(a.format, MrzFormat::MrvA);
        assert_eq!(a.document_number, "L8988901C");
        assert_eq!(a.date_of_expiry, "120415");
        assert_eq!(a.optional_data, "<<<<<<<<<<<<<<<<");
        assert_eq!(a.check_digits.len(), 3, "no composite check digit on visas");
        assert!(a.check_digits_valid());
        let b = Mrz::parse("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<L8988901C4UTO7408122F1204159<<<<<<<<").unwrap();
        assert_eq!(b.format, MrzFormat::MrvB);
        assert_eq!(b.secondary_identifier, "ANNA MARIA");
        assert_eq!(b.check_digits.len(), 3);
        assert!(b.check_digits_valid());
    }

    #[test]
    fn td1_long_document_number() {
        // Document number of 12 characters: 9 in the field, a filler, the rest and its check
        // digit in optional data 1 (Doc 9303-5 §4.2.2 note j).
        let m =
            Mrz::parse("I<UTOD23145890<1233<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<2ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
                .unwrap();
        assert_eq!(m.document_number, "D23145890123");
        assert!(m.check_digits_valid(), "{:?}", m.check_digits);
    }

    #[test]
    fn bad_lengths_and_characters() {
        assert!(Mrz::parse("P<UTO").is_err());
        assert!(Mrz::parse(&"a".repeat(88)).is_err());
    }
}
