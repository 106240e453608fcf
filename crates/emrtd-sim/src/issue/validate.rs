//! Checks of a [`DocumentSpec`] built from hostile input (command-line arguments): every value
//! must fit the MRZ (Doc 9303-3 character set, field lengths, check digits) and the chip.

use super::document::{DocumentSpec, Layout};
use super::{IssueError, R};

/// MRZ characters: `A`-`Z`, `0`-`9` and the filler `<`.
fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// A document number: 1 to 9 MRZ characters, not all fillers.
pub fn document_number(value: &str) -> R<()> {
    let field = "document number";
    if value.is_empty() || value.chars().count() > 9 {
        return Err(IssueError::invalid(
            field,
            format!("{value:?}: 1 to 9 characters (longer numbers are not supported)"),
        ));
    }
    if !value.chars().all(is_mrz_char) || value.chars().all(|c| c == '<') {
        return Err(IssueError::invalid(
            field,
            format!("{value:?}: only A-Z, 0-9 and '<', not all '<'"),
        ));
    }
    Ok(())
}

/// A date YYMMDD that exists in the calendar (29 February only in years divisible by four).
pub fn yymmdd(field: &'static str, value: &str) -> R<()> {
    let bad = || IssueError::invalid(field, format!("{value:?}: expected a date YYMMDD"));
    if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: core::ops::Range<usize>| value.get(r).and_then(|s| s.parse::<u32>().ok()).ok_or_else(bad);
    let (yy, mm, dd) = (num(0..2)?, num(2..4)?, num(4..6)?);
    let days = match mm {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        _ => {
            return Err(IssueError::invalid(
                field,
                format!("{value:?}: month {mm} does not exist"),
            ));
        }
    };
    if dd == 0 || dd > days {
        return Err(IssueError::invalid(
            field,
            format!("{value:?}: day {dd} does not exist in month {mm}"),
        ));
    }
    Ok(())
}

/// A date YYYYMMDD.
pub fn yyyymmdd(field: &'static str, value: &str) -> R<()> {
    let bad = || IssueError::invalid(field, format!("{value:?}: expected a date YYYYMMDD"));
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: u32 = value.get(..4).and_then(|y| y.parse().ok()).ok_or_else(bad)?;
    if !(1950..=2049).contains(&year) || (!year.is_multiple_of(4) && value.get(4..) == Some("0229")) {
        return Err(bad());
    }
    yymmdd(field, value.get(2..).unwrap_or_default())
}

/// A state or nationality code: three letters, `<` as filler (e.g. `D<<`).
pub fn country(field: &'static str, value: &str) -> R<()> {
    if value.len() != 3 || !value.chars().all(|c| c.is_ascii_uppercase() || c == '<') || value.starts_with('<') {
        return Err(IssueError::invalid(
            field,
            format!("{value:?}: three letters A-Z ('<' as filler, e.g. D<<)"),
        ));
    }
    Ok(())
}

/// The names: A-Z, spaces and `<` (as in the MRZ); a non-empty primary identifier; both
/// together fit the name field (39 characters in a TD3, 30 in a TD1) without truncation.
pub fn names(primary: &str, secondary: &str, layout: Layout) -> R<()> {
    for (field, v) in [("surname", primary), ("given names", secondary)] {
        if !v.chars().all(|c| c.is_ascii_uppercase() || c == ' ' || c == '<') {
            return Err(IssueError::invalid(
                field,
                format!("{v:?}: only A-Z, spaces and '<' (transliterate first, Doc 9303-3 §6)"),
            ));
        }
    }
    if primary.trim_matches([' ', '<']).is_empty() {
        return Err(IssueError::invalid("surname", "must not be empty"));
    }
    let max = match layout {
        Layout::Td3 => 39,
        Layout::Td1 => 30,
    };
    let len = primary.chars().count() + 2 + secondary.chars().count();
    if len > max {
        return Err(IssueError::invalid(
            "name",
            format!("SURNAME<<GIVEN NAMES is {len} characters; the MRZ holds {max} (shorten it)"),
        ));
    }
    Ok(())
}

/// Sex: `M`, `F` or `<` (unspecified).
pub fn sex(value: &str) -> R<()> {
    if !matches!(value, "M" | "F" | "<") {
        return Err(IssueError::invalid(
            "sex",
            format!("{value:?}: M, F or < (unspecified)"),
        ));
    }
    Ok(())
}

/// A secret of `min..=max` decimal digits (CAN, PIN, PUK).
pub fn digits(field: &'static str, value: &str, min: usize, max: usize) -> R<()> {
    if value.len() < min || value.len() > max || !value.bytes().all(|b| b.is_ascii_digit()) {
        let count = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(IssueError::invalid(field, format!("{value:?}: {count} decimal digits")));
    }
    Ok(())
}

impl DocumentSpec<'_> {
    /// Checks every value a caller may have typed (see the module documentation).
    pub fn validate(&self) -> R<()> {
        document_number(self.doc_number)?;
        yymmdd("date of birth", self.dob)?;
        yymmdd("date of expiry", self.doe)?;
        yyyymmdd("date of issue", self.issued)?;
        country("issuing state", self.issuer)?;
        country("nationality", self.nationality)?;
        names(self.primary, self.secondary, self.layout)?;
        sex(self.sex)?;
        if let Some(can) = self.can {
            digits("CAN", can, 6, 6)?;
        }
        if let Some(pin) = self.pin {
            digits("PIN", pin, 6, 6)?;
        }
        if let Some(puk) = self.puk {
            digits("PUK", puk, 10, 10)?;
        }
        if !self.bac && self.pace.is_none() {
            return Err(IssueError::invalid("access", "the chip needs BAC or PACE"));
        }
        if self.pace_cam && !matches!(self.ca, super::CaKey::Ec(..)) {
            return Err(IssueError::invalid("PACE-CAM", "needs an ECDH chip authentication key"));
        }
        Ok(())
    }
}
