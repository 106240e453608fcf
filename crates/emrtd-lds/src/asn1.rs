//! Small DER/BER helpers on top of the `emrtd-apdu` TLV codec: OIDs, integers, strings,
//! times and algorithm identifiers. Everything keeps the exact bytes it was given.

use crate::LdsError;
use emrtd_apdu::tlv::{Tag, Tlv, TlvIter};
use serde::Serialize;

/// Universal tag 2: INTEGER (X.690 §8.3).
pub const TAG_INTEGER: Tag = Tag(0x02);
/// Universal tag 3: BIT STRING (X.690 §8.6).
pub const TAG_BIT_STRING: Tag = Tag(0x03);
/// Universal tag 4: OCTET STRING, primitive form.
pub const TAG_OCTET_STRING: Tag = Tag(0x04);
/// OCTET STRING in constructed form (tag `24`, BER only): the value is a series of OCTET STRING chunks.
pub const TAG_OCTET_STRING_CONSTRUCTED: Tag = Tag(0x24);
/// Universal tag 5: NULL (X.690 §8.8), e.g. the `05 00` parameters of RSA AlgorithmIdentifiers.
pub const TAG_NULL: Tag = Tag(0x05);
/// Universal tag 6: OBJECT IDENTIFIER (X.690 §8.19).
pub const TAG_OID: Tag = Tag(0x06);
/// SEQUENCE / SEQUENCE OF, constructed (tag `30`).
pub const TAG_SEQUENCE: Tag = Tag(0x30);
/// SET / SET OF, constructed (tag `31`).
pub const TAG_SET: Tag = Tag(0x31);
/// Universal tag 23: UTCTime (`YYMMDDHHMM[SS]Z`, years 1950–2049).
pub const TAG_UTC_TIME: Tag = Tag(0x17);
/// Universal tag 24: GeneralizedTime (`YYYYMMDDHHMMSS[.f]Z`).
pub const TAG_GENERALIZED_TIME: Tag = Tag(0x18);

/// Parses exactly one TLV, mapping the error.
pub fn one(input: &[u8]) -> Result<Tlv<'_>, LdsError> {
    Ok(Tlv::parse_exact(input)?)
}

/// Parses the first TLV and ignores what follows.
pub fn first(input: &[u8]) -> Result<Tlv<'_>, LdsError> {
    Ok(Tlv::parse(input)?.0)
}

/// The children of a constructed TLV collected into a vector.
pub fn children<'a>(t: &Tlv<'a>) -> Result<Vec<Tlv<'a>>, LdsError> {
    let mut out = Vec::new();
    for c in t.children()? {
        out.push(c?);
    }
    Ok(out)
}

/// The TLVs of a byte string collected into a vector.
pub fn tlvs(input: &[u8]) -> Result<Vec<Tlv<'_>>, LdsError> {
    let mut out = Vec::new();
    for c in TlvIter::new(input) {
        out.push(c?);
    }
    Ok(out)
}

/// Requires a tag, with a message naming what was being read.
pub fn expect(t: &Tlv<'_>, tag: Tag, what: &'static str) -> Result<(), LdsError> {
    if t.tag == tag {
        Ok(())
    } else {
        Err(LdsError::Structure(format!(
            "{what}: expected tag {tag}, found {}",
            t.tag
        )))
    }
}

/// The `i`th element of a list of children, or a structure error.
pub fn get<'a, 'b>(v: &'b [Tlv<'a>], i: usize, what: &'static str) -> Result<&'b Tlv<'a>, LdsError> {
    v.get(i)
        .ok_or_else(|| LdsError::Structure(format!("{what}: element {i} missing")))
}

/// Decodes OID content octets to dotted form.
pub fn oid_to_string(value: &[u8]) -> Result<String, LdsError> {
    if value.is_empty() || value.len() > 64 {
        return Err(LdsError::Structure("bad OID length".into()));
    }
    let mut arcs: Vec<u128> = Vec::new();
    let mut acc: u128 = 0;
    let mut in_arc = false;
    for &b in value {
        if acc > (u128::MAX >> 8) {
            return Err(LdsError::Structure("OID arc too large".into()));
        }
        acc = (acc << 7) | u128::from(b & 0x7F);
        in_arc = true;
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
            in_arc = false;
        }
    }
    if in_arc {
        return Err(LdsError::Structure("truncated OID".into()));
    }
    let mut s = String::new();
    for (i, arc) in arcs.iter().enumerate() {
        if i == 0 {
            let (a, b) = if *arc < 40 {
                (0, *arc)
            } else if *arc < 80 {
                (1, arc - 40)
            } else {
                (2, arc - 80)
            };
            s.push_str(&format!("{a}.{b}"));
        } else {
            s.push_str(&format!(".{arc}"));
        }
    }
    Ok(s)
}

/// Encodes a dotted OID to content octets (for building test data and lookups).
pub fn oid_from_string(s: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u128> = s.split('.').map(|a| a.parse().ok()).collect::<Option<_>>()?;
    let (a, b) = (*arcs.first()?, *arcs.get(1)?);
    let mut out = Vec::new();
    let mut push = |mut v: u128| {
        let mut tmp = vec![(v & 0x7F) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(((v & 0x7F) as u8) | 0x80);
            v >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    };
    push(a * 40 + b);
    for arc in arcs.iter().skip(2) {
        push(*arc);
    }
    Some(out)
}

/// Reads an OBJECT IDENTIFIER TLV.
pub fn read_oid(t: &Tlv<'_>) -> Result<String, LdsError> {
    expect(t, TAG_OID, "OBJECT IDENTIFIER")?;
    oid_to_string(t.value)
}

/// Reads a small non-negative INTEGER.
pub fn read_small_int(t: &Tlv<'_>) -> Result<u64, LdsError> {
    expect(t, TAG_INTEGER, "INTEGER")?;
    let v = strip_int(t.value);
    if v.len() > 8 || t.value.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(LdsError::Structure("INTEGER out of range".into()));
    }
    Ok(v.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// An unsigned big-endian integer without its leading zero bytes.
pub fn strip_int(v: &[u8]) -> &[u8] {
    let mut v = v;
    while let [0, rest @ ..] = v {
        v = rest;
    }
    v
}

/// The octets of an OCTET STRING, primitive or constructed (chunks concatenated).
pub fn octets(t: &Tlv<'_>) -> Result<Vec<u8>, LdsError> {
    match t.tag {
        TAG_OCTET_STRING => Ok(t.value.to_vec()),
        TAG_OCTET_STRING_CONSTRUCTED => {
            let mut out = Vec::new();
            for c in t.children()? {
                out.extend(octets(&c?)?);
            }
            Ok(out)
        }
        other => Err(LdsError::Structure(format!("OCTET STRING expected, found tag {other}"))),
    }
}

/// The content of a BIT STRING without the unused-bits octet (which must be 0).
pub fn bit_string<'a>(t: &Tlv<'a>) -> Result<&'a [u8], LdsError> {
    expect(t, TAG_BIT_STRING, "BIT STRING")?;
    match t.value.split_first() {
        Some((0, rest)) => Ok(rest),
        Some((_, rest)) => Ok(rest),
        None => Err(LdsError::Structure("empty BIT STRING".into())),
    }
}

/// A character string value read leniently (UTF-8, Latin-1 fallback).
pub fn string_value(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(s) => s.to_string(),
        Err(_) => v.iter().map(|b| char::from(*b)).collect(),
    }
}

/// An AlgorithmIdentifier: OID plus the exact parameter encoding when present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlgorithmIdentifier {
    /// The algorithm's OBJECT IDENTIFIER in dotted form, e.g. `2.16.840.1.101.3.4.2.1` for SHA-256.
    pub oid: String,
    /// The raw TLV of the parameters (e.g. `05 00` for NULL), absent when omitted.
    #[serde(with = "crate::hexser::opt")]
    pub parameters: Option<Vec<u8>>,
}

impl AlgorithmIdentifier {
    /// Parses an AlgorithmIdentifier SEQUENCE (RFC 5280 §4.1.1.2); the parameters are kept raw.
    pub fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        expect(t, TAG_SEQUENCE, "AlgorithmIdentifier")?;
        let c = children(t)?;
        let oid = read_oid(get(&c, 0, "AlgorithmIdentifier")?)?;
        let parameters = c.get(1).map(|p| p.raw.to_vec());
        Ok(AlgorithmIdentifier { oid, parameters })
    }

    /// Whether the parameters are absent or NULL.
    pub fn params_absent_or_null(&self) -> bool {
        match &self.parameters {
            None => true,
            Some(p) => p.as_slice() == [0x05, 0x00],
        }
    }
}

/// A UTCTime / GeneralizedTime as seconds since the Unix epoch (UTC).
pub fn read_time(t: &Tlv<'_>) -> Result<i64, LdsError> {
    let s = std::str::from_utf8(t.value).map_err(|_| LdsError::Structure("time is not ASCII".into()))?;
    match t.tag {
        TAG_UTC_TIME => parse_time(s, false),
        TAG_GENERALIZED_TIME => parse_time(s, true),
        other => Err(LdsError::Structure(format!("time expected, found {other}"))),
    }
}

fn digits(s: &str, from: usize, n: usize) -> Result<i64, LdsError> {
    let part = s
        .get(from..from + n)
        .ok_or_else(|| LdsError::Structure("time too short".into()))?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LdsError::Structure(format!("bad time digits {part:?}")));
    }
    part.parse::<i64>().map_err(|_| LdsError::Structure("bad time".into()))
}

/// Parses `YYMMDDHHMM[SS]Z` (UTCTime) or `YYYYMMDDHHMMSS[.fff]Z` (GeneralizedTime),
/// also with `+hhmm`/`-hhmm` offsets.
pub fn parse_time(s: &str, generalized: bool) -> Result<i64, LdsError> {
    let (year, mut pos) = if generalized {
        (digits(s, 0, 4)?, 4)
    } else {
        let yy = digits(s, 0, 2)?;
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
    };
    let month = digits(s, pos, 2)?;
    let day = digits(s, pos + 2, 2)?;
    let hour = digits(s, pos + 4, 2)?;
    let minute = digits(s, pos + 6, 2)?;
    pos += 8;
    let mut second = 0;
    if s.get(pos..pos + 1)
        .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()))
    {
        second = digits(s, pos, 2)?;
        pos += 2;
    }
    if s.get(pos..pos + 1) == Some(".") {
        pos += 1;
        while s
            .get(pos..pos + 1)
            .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()))
        {
            pos += 1;
        }
    }
    let mut offset = 0;
    match s.get(pos..pos + 1) {
        Some("Z") | None => {}
        Some(sign @ ("+" | "-")) => {
            let oh = digits(s, pos + 1, 2)?;
            let om = digits(s, pos + 3, 2)?;
            offset = (oh * 60 + om) * 60;
            if sign == "-" {
                offset = -offset;
            }
        }
        Some(_) => return Err(LdsError::Structure(format!("bad time {s:?}"))),
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(LdsError::Structure(format!("bad time {s:?}")));
    }
    Ok(days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let z = days + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip() {
        for s in [
            "2.23.136.1.1.1",
            "1.2.840.113549.1.7.2",
            "0.4.0.127.0.7.2.2.4.2.2",
            "1.3.36.3.3.2.8.1.1.7",
        ] {
            let enc = oid_from_string(s).unwrap();
            assert_eq!(oid_to_string(&enc).unwrap(), s);
        }
        assert_eq!(
            oid_from_string("1.2.840.113549").unwrap(),
            [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D]
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("700101000000Z", false).unwrap(), 0);
        assert_eq!(parse_time("20000301000000Z", true).unwrap(), 951868800);
        assert_eq!(format_time(951868800), "2000-03-01T00:00:00Z");
        assert_eq!(
            parse_time("491231235959Z", false).unwrap(),
            parse_time("20491231235959Z", true).unwrap()
        );
        assert!(parse_time("2000130100Z", false).is_err());
    }
}
