//! A bounded, zero-copy BER-TLV codec (ISO/IEC 8825-1 / ISO/IEC 7816-4 §5.2).
//!
//! * tags of one to four bytes,
//! * definite lengths of up to four length bytes, and the indefinite form (`80` … `00 00`) for
//!   constructed values, as found in real EF.SOD files,
//! * a nesting-depth limit and a length limit checked before anything is used,
//! * iteration over the children of a constructed value without copying.
//!
//! Every malformed input returns a [`TlvError`]; nothing here panics or allocates on behalf of
//! a length read from the input.

use thiserror::Error;

/// A BER tag, stored as its encoded bytes read as a big-endian number (`0x7F49`, `0x5F1F`, `0x30`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl core::fmt::Debug for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tag({:X})", self.0)
    }
}

impl core::fmt::Display for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02X}", self.0)
    }
}

/// Tag class (bits 8–7 of the first tag byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagClass {
    /// Class 00: universal (X.690 types such as SEQUENCE `30`, INTEGER `02`).
    Universal,
    /// Class 01: application (e.g. the data group tags `61`, `75`, `7F61`).
    Application,
    /// Class 10: context-specific (e.g. `80`, `A0`, the data objects of GENERAL AUTHENTICATE).
    ContextSpecific,
    /// Class 11: private.
    Private,
}

impl Tag {
    /// The number of encoded bytes (1–4).
    pub fn len(self) -> usize {
        match self.0 {
            0..=0xFF => 1,
            0x100..=0xFFFF => 2,
            0x1_0000..=0xFF_FFFF => 3,
            _ => 4,
        }
    }

    /// Always false: a tag has at least one byte.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The first encoded byte.
    pub fn first_byte(self) -> u8 {
        (self.0 >> (8 * (self.len() - 1))) as u8
    }

    /// The tag class from bits 8–7 of the first byte.
    pub fn class(self) -> TagClass {
        match self.first_byte() >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        }
    }

    /// Whether the constructed bit (bit 6 of the first byte) is set.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// Appends the encoded tag.
    pub fn write(self, out: &mut Vec<u8>) {
        let bytes = self.0.to_be_bytes();
        out.extend_from_slice(bytes.get(4 - self.len()..).unwrap_or(&bytes));
    }
}

/// Errors of the TLV codec.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TlvError {
    /// The input ended inside a tag, length or value.
    #[error("input ends inside a TLV (needed {needed} more bytes at offset {offset})")]
    Truncated {
        /// Offset of the missing bytes, relative to the start of the TLV being read.
        offset: usize,
        /// How many more bytes were needed.
        needed: usize,
    },
    /// A multi-byte tag runs past four bytes (offset relative to the TLV start).
    #[error("tag longer than 4 bytes at offset {0}")]
    TagTooLong(usize),
    /// A multi-byte tag whose first subsequent byte is `80` (a non-minimal tag number, X.690 §8.1.2.4.2).
    #[error("malformed tag at offset {0}")]
    BadTag(usize),
    /// A long-form length with more than four length bytes (the count is carried).
    #[error("length field with {0} length bytes is not supported")]
    LengthTooLong(usize),
    /// A length beyond [`TlvLimits::max_length`].
    #[error("length {length} exceeds the limit of {limit} bytes")]
    LengthOverLimit {
        /// The length as encoded.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The indefinite length form on a primitive tag, which X.690 §8.1.3.2 forbids.
    #[error("indefinite length on a primitive tag {0}")]
    IndefinitePrimitive(Tag),
    /// The indefinite length form where the limits forbid it.
    #[error("indefinite length not allowed here")]
    IndefiniteNotAllowed,
    /// An indefinite length whose end-of-contents octets `00 00` never come.
    #[error("missing end-of-contents for an indefinite length")]
    MissingEndOfContents,
    /// Nesting deeper than [`TlvLimits::max_depth`] (the limit is carried).
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    /// Bytes left after a TLV that had to fill the input exactly (their count is carried).
    #[error("{0} trailing bytes after the TLV")]
    TrailingBytes(usize),
    /// A TLV had a different tag from the one required.
    #[error("expected tag {expected} but found {found}")]
    UnexpectedTag {
        /// The tag required.
        expected: Tag,
        /// The tag found instead.
        found: Tag,
    },
    /// A required child tag is absent.
    #[error("tag {0} not found")]
    Missing(Tag),
    /// Children were requested from a primitive TLV.
    #[error("tag {0} is primitive, children requested")]
    NotConstructed(Tag),
}

/// Limits applied while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlvLimits {
    /// Deepest nesting accepted (the outermost TLV is depth 1).
    pub max_depth: usize,
    /// Largest value length accepted.
    pub max_length: usize,
    /// Whether the indefinite length form is accepted.
    pub allow_indefinite: bool,
}

impl Default for TlvLimits {
    fn default() -> Self {
        TlvLimits {
            max_depth: 32,
            max_length: 16 * 1024 * 1024,
            allow_indefinite: true,
        }
    }
}

/// One decoded TLV borrowing from the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value field (for an indefinite length, without the end-of-contents octets).
    pub value: &'a [u8],
    /// The whole encoding: tag, length, value (and end-of-contents).
    pub raw: &'a [u8],
    /// Whether the indefinite length form was used.
    pub indefinite: bool,
    depth: usize,
    limits: TlvLimits,
}

impl core::fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tlv({}, {} bytes)", self.tag, self.value.len())
    }
}

fn need(input: &[u8], offset: usize, n: usize) -> Result<(), TlvError> {
    if input.len() < offset.saturating_add(n) {
        Err(TlvError::Truncated {
            offset,
            needed: offset.saturating_add(n) - input.len(),
        })
    } else {
        Ok(())
    }
}

fn read_tag(input: &[u8]) -> Result<(Tag, usize), TlvError> {
    let first = *input.first().ok_or(TlvError::Truncated { offset: 0, needed: 1 })?;
    let mut tag = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok((Tag(tag), 1));
    }
    let mut i = 1;
    loop {
        if i >= 4 {
            return Err(TlvError::TagTooLong(0));
        }
        let b = *input.get(i).ok_or(TlvError::Truncated { offset: i, needed: 1 })?;
        if i == 1 && b == 0x80 {
            return Err(TlvError::BadTag(0));
        }
        tag = (tag << 8) | u32::from(b);
        i += 1;
        if b & 0x80 == 0 {
            return Ok((Tag(tag), i));
        }
    }
}

/// Reads a length field; `None` means indefinite.
fn read_length(input: &[u8], at: usize) -> Result<(Option<usize>, usize), TlvError> {
    need(input, at, 1)?;
    let first = input.get(at).copied().unwrap_or(0);
    if first < 0x80 {
        return Ok((Some(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Ok((None, 1));
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return Err(TlvError::LengthTooLong(n));
    }
    need(input, at + 1, n)?;
    let len = input
        .get(at + 1..at + 1 + n)
        .unwrap_or_default()
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((Some(len), 1 + n))
}

impl<'a> Tlv<'a> {
    /// Decodes the first TLV of `input` with default limits; returns it and the rest.
    pub fn parse(input: &'a [u8]) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
        Self::parse_with(input, TlvLimits::default())
    }

    /// Decodes the first TLV of `input` with the given limits.
    pub fn parse_with(input: &'a [u8], limits: TlvLimits) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
        Self::parse_at_depth(input, limits, 1)
    }

    /// Decodes `input` as exactly one TLV (no trailing bytes).
    pub fn parse_exact(input: &'a [u8]) -> Result<Tlv<'a>, TlvError> {
        let (tlv, rest) = Self::parse(input)?;
        if rest.is_empty() {
            Ok(tlv)
        } else {
            Err(TlvError::TrailingBytes(rest.len()))
        }
    }

    /// Decodes `input` as exactly one TLV with the expected tag.
    pub fn parse_expect(input: &'a [u8], expected: Tag) -> Result<Tlv<'a>, TlvError> {
        let tlv = Self::parse_exact(input)?;
        tlv.expect_tag(expected)?;
        Ok(tlv)
    }

    fn parse_at_depth(input: &'a [u8], limits: TlvLimits, depth: usize) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
        if depth > limits.max_depth {
            return Err(TlvError::TooDeep(limits.max_depth));
        }
        let (tag, tag_len) = read_tag(input)?;
        let (len, len_len) = read_length(input, tag_len)?;
        let header = tag_len + len_len;
        match len {
            Some(len) => {
                if len > limits.max_length {
                    return Err(TlvError::LengthOverLimit {
                        length: len,
                        limit: limits.max_length,
                    });
                }
                need(input, header, len)?;
                let truncated = TlvError::Truncated {
                    offset: header,
                    needed: len,
                };
                let (raw, rest) = input.split_at_checked(header + len).ok_or(truncated.clone())?;
                Ok((
                    Tlv {
                        tag,
                        value: raw.get(header..).ok_or(truncated)?,
                        raw,
                        indefinite: false,
                        depth,
                        limits,
                    },
                    rest,
                ))
            }
            None => {
                if !limits.allow_indefinite {
                    return Err(TlvError::IndefiniteNotAllowed);
                }
                if !tag.is_constructed() {
                    return Err(TlvError::IndefinitePrimitive(tag));
                }
                // Walk the children until the end-of-contents octets.
                let body = input.get(header..).unwrap_or_default();
                let mut pos = 0usize;
                loop {
                    match body.get(pos..pos + 2) {
                        Some([0, 0]) => break,
                        Some(_) => {}
                        None => return Err(TlvError::MissingEndOfContents),
                    }
                    let (child, _) = Tlv::parse_at_depth(body.get(pos..).unwrap_or_default(), limits, depth + 1)?;
                    pos += child.raw.len();
                    if pos > limits.max_length {
                        return Err(TlvError::LengthOverLimit {
                            length: pos,
                            limit: limits.max_length,
                        });
                    }
                }
                let (raw, rest) = input
                    .split_at_checked(header + pos + 2)
                    .ok_or(TlvError::MissingEndOfContents)?;
                Ok((
                    Tlv {
                        tag,
                        value: body.get(..pos).ok_or(TlvError::MissingEndOfContents)?,
                        raw,
                        indefinite: true,
                        depth,
                        limits,
                    },
                    rest,
                ))
            }
        }
    }

    /// Errors unless the tag is `expected`.
    pub fn expect_tag(&self, expected: Tag) -> Result<(), TlvError> {
        if self.tag == expected {
            Ok(())
        } else {
            Err(TlvError::UnexpectedTag {
                expected,
                found: self.tag,
            })
        }
    }

    /// Iterates over the TLVs inside the value of a constructed TLV.
    pub fn children(&self) -> Result<TlvIter<'a>, TlvError> {
        if !self.tag.is_constructed() {
            return Err(TlvError::NotConstructed(self.tag));
        }
        Ok(TlvIter {
            rest: self.value,
            limits: self.limits,
            depth: self.depth + 1,
            stop_at_zero_padding: false,
        })
    }

    /// Iterates over the value as a sequence of TLVs even when the tag is primitive
    /// (ISO 7816 templates sometimes reuse primitive-looking tags).
    pub fn value_as_tlvs(&self) -> TlvIter<'a> {
        TlvIter {
            rest: self.value,
            limits: self.limits,
            depth: self.depth + 1,
            stop_at_zero_padding: false,
        }
    }

    /// The first child with the given tag.
    pub fn find(&self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        for child in self.children()? {
            let child = child?;
            if child.tag == tag {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }

    /// The first child with the given tag, or [`TlvError::Missing`].
    pub fn require(&self, tag: Tag) -> Result<Tlv<'a>, TlvError> {
        self.find(tag)?.ok_or(TlvError::Missing(tag))
    }

    /// The nesting depth of this TLV (1 for a top-level one).
    pub fn depth(&self) -> usize {
        self.depth
    }
}

/// An iterator over consecutive TLVs. It yields an error once and then stops.
#[derive(Clone, Debug)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
    limits: TlvLimits,
    depth: usize,
    stop_at_zero_padding: bool,
}

impl<'a> TlvIter<'a> {
    /// Iterates over the top-level TLVs of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_limits(input, TlvLimits::default())
    }

    /// Iterates over the top-level TLVs of `input` under the given limits.
    pub fn with_limits(input: &'a [u8], limits: TlvLimits) -> Self {
        TlvIter {
            rest: input,
            limits,
            depth: 1,
            stop_at_zero_padding: false,
        }
    }

    /// Ends the iteration quietly when the rest of the input is all zero bytes
    /// (files padded to a fixed size, such as some EF.CardAccess).
    pub fn stop_at_zero_padding(mut self) -> Self {
        self.stop_at_zero_padding = true;
        self
    }

    /// The bytes not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.stop_at_zero_padding && self.rest.iter().all(|b| *b == 0) {
            self.rest = &[];
            return None;
        }
        match Tlv::parse_at_depth(self.rest, self.limits, self.depth) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends a definite length field (short form below 128, long form otherwise).
pub fn write_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends `tag || length || value`.
pub fn write_tlv(tag: Tag, value: &[u8], out: &mut Vec<u8>) {
    tag.write(out);
    write_length(value.len(), out);
    out.extend_from_slice(value);
}

/// Encodes `tag || length || value` into a new vector.
pub fn encode(tag: Tag, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    write_tlv(tag, value, &mut out);
    out
}

/// Encodes a constructed TLV whose value is the concatenation of already encoded parts.
pub fn encode_constructed(tag: Tag, parts: &[&[u8]]) -> Vec<u8> {
    let value: Vec<u8> = parts.concat();
    encode(tag, &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn multi_byte_tags_and_long_lengths() {
        let data = h("7F4903860100");
        let (t, rest) = Tlv::parse(&data).unwrap();
        assert_eq!(t.tag, Tag(0x7F49));
        assert!(t.tag.is_constructed());
        assert_eq!(t.tag.class(), TagClass::Application);
        assert!(rest.is_empty());
        let child = t.require(Tag(0x86)).unwrap();
        assert_eq!(child.value, &[0x00]);
        assert_eq!(child.depth(), 2);

        let long = encode(Tag(0x5F2E), &vec![0xAA; 300]);
        assert_eq!(&long[..5], &h("5F2E82012C")[..]);
        let t = Tlv::parse_exact(&long).unwrap();
        assert_eq!(t.value.len(), 300);
        let three = h("9F8F01" /* 3-byte tag */);
        let (tag, n) = read_tag(&three).unwrap();
        assert_eq!((tag, n), (Tag(0x9F8F01), 3));
    }

    #[test]
    fn ef_com_parses() {
        // ICAO 9303-11 D.4: the full EF.COM.
        let ef_com = h("60145F0104303130365F36063034303030305C026175");
        let com = Tlv::parse_expect(&ef_com, Tag(0x60)).unwrap();
        let tags: Vec<Tag> = com.children().unwrap().map(|c| c.unwrap().tag).collect();
        assert_eq!(tags, vec![Tag(0x5F01), Tag(0x5F36), Tag(0x5C)]);
        assert_eq!(com.require(Tag(0x5C)).unwrap().value, &[0x61, 0x75]);
    }

    #[test]
    fn indefinite_lengths_nested() {
        // 30 80 { 04 01 AA, 30 80 { 02 01 05 } 00 00 } 00 00, then a trailing TLV.
        let data = h("30800401AA3080020105000000000401BB");
        let (t, rest) = Tlv::parse(&data).unwrap();
        assert!(t.indefinite);
        assert_eq!(t.value, &h("0401AA30800201050000")[..]);
        assert_eq!(rest, &h("0401BB")[..]);
        let kids: Vec<Tlv> = t.children().unwrap().map(|c| c.unwrap()).collect();
        assert_eq!(kids.len(), 2);
        assert!(kids[1].indefinite);
        assert_eq!(kids[1].require(Tag(0x02)).unwrap().value, &[0x05]);
    }

    #[test]
    fn rejects_truncated_overlong_and_absurd_input() {
        assert!(matches!(Tlv::parse(&[]), Err(TlvError::Truncated { .. })));
        assert!(matches!(Tlv::parse(&h("5F")), Err(TlvError::Truncated { .. })));
        assert!(matches!(Tlv::parse(&h("04")), Err(TlvError::Truncated { .. })));
        assert_eq!(
            Tlv::parse(&h("0405AABB")),
            Err(TlvError::Truncated { offset: 2, needed: 3 })
        );
        assert!(matches!(Tlv::parse(&h("0482FF")), Err(TlvError::Truncated { .. })));
        assert_eq!(Tlv::parse(&h("0485FFFFFFFFFF")), Err(TlvError::LengthTooLong(5)));
        assert_eq!(
            Tlv::parse(&h("0484FFFFFFFF00")),
            Err(TlvError::LengthOverLimit {
                length: 0xFFFF_FFFF,
                limit: 16 * 1024 * 1024
            })
        );
        assert_eq!(Tlv::parse(&h("1F818181818101")), Err(TlvError::TagTooLong(0)));
        assert_eq!(Tlv::parse(&h("1F8001")), Err(TlvError::BadTag(0)));
        assert_eq!(
            Tlv::parse(&h("0480AA0000")),
            Err(TlvError::IndefinitePrimitive(Tag(0x04)))
        );
        assert_eq!(Tlv::parse(&h("30800401AA")), Err(TlvError::MissingEndOfContents));
        assert_eq!(Tlv::parse_exact(&h("040100FF")), Err(TlvError::TrailingBytes(1)));
        let strict = TlvLimits {
            allow_indefinite: false,
            ..TlvLimits::default()
        };
        assert_eq!(
            Tlv::parse_with(&h("30800000"), strict),
            Err(TlvError::IndefiniteNotAllowed)
        );
        assert_eq!(
            Tlv::parse_exact(&h("0401AA")).unwrap().children().err(),
            Some(TlvError::NotConstructed(Tag(0x04)))
        );
    }

    #[test]
    fn depth_limit_stops_deep_nesting() {
        // 100 nested indefinite SEQUENCEs.
        let mut data = Vec::new();
        for _ in 0..100 {
            data.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..100 {
            data.extend_from_slice(&[0x00, 0x00]);
        }
        assert_eq!(Tlv::parse(&data), Err(TlvError::TooDeep(32)));
        // Definite nesting is limited when iterating.
        let mut v = encode(Tag(0x04), &[1]);
        for _ in 0..40 {
            v = encode(Tag(0x30), &v);
        }
        let mut cur = Tlv::parse_exact(&v).unwrap();
        let mut err = None;
        for _ in 0..40 {
            match cur.children().unwrap().next().unwrap() {
                Ok(c) => cur = c,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(err, Some(TlvError::TooDeep(32)));
    }

    #[test]
    fn iterator_stops_at_zero_padding_and_after_an_error() {
        let mut data = h("3103020101");
        data.resize(1024, 0);
        let all: Vec<_> = TlvIter::new(&data).stop_at_zero_padding().collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].is_ok());
        let bad = h("0101AA04");
        let items: Vec<_> = TlvIter::new(&bad).collect();
        assert_eq!(items.len(), 2);
        assert!(items[1].is_err());
    }

    #[test]
    fn length_encoding_boundaries() {
        for (len, enc) in [
            (0usize, "00"),
            (127, "7F"),
            (128, "8180"),
            (255, "81FF"),
            (256, "820100"),
            (65_535, "82FFFF"),
            (65_536, "83010000"),
        ] {
            let mut out = Vec::new();
            write_length(len, &mut out);
            assert_eq!(out, h(enc), "{len}");
        }
    }

    fn arb_tag() -> impl Strategy<Value = Tag> {
        prop_oneof![
            // one-byte tags (low five bits not all set)
            any::<u8>()
                .prop_filter("not multi-byte", |b| b & 0x1F != 0x1F)
                .prop_map(|b| Tag(u32::from(b))),
            // two-byte tags
            (any::<u8>(), 0u8..0x80).prop_map(|(a, b)| Tag((u32::from(a | 0x1F) << 8) | u32::from(b.max(1)))),
            // three-byte tags
            (any::<u8>(), 0x81u8..=0xFF, 0u8..0x80)
                .prop_map(|(a, b, c)| Tag((u32::from(a | 0x1F) << 16) | (u32::from(b) << 8) | u32::from(c))),
        ]
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(tag in arb_tag(), value in proptest::collection::vec(any::<u8>(), 0..700)) {
            let enc = encode(tag, &value);
            let t = Tlv::parse_exact(&enc).unwrap();
            prop_assert_eq!(t.tag, tag);
            prop_assert_eq!(t.value, &value[..]);
            prop_assert_eq!(t.raw, &enc[..]);
        }

        #[test]
        fn nested_round_trip(items in proptest::collection::vec((arb_tag(), proptest::collection::vec(any::<u8>(), 0..40)), 0..12)) {
            let encoded: Vec<Vec<u8>> = items.iter().map(|(t, v)| encode(*t, v)).collect();
            let parts: Vec<&[u8]> = encoded.iter().map(|v| v.as_slice()).collect();
            let outer = encode_constructed(Tag(0x30), &parts);
            let t = Tlv::parse_exact(&outer).unwrap();
            let kids: Vec<Tlv> = t.children().unwrap().map(|c| c.unwrap()).collect();
            prop_assert_eq!(kids.len(), items.len());
            for (k, (tag, v)) in kids.iter().zip(items.iter()) {
                prop_assert_eq!(k.tag, *tag);
                prop_assert_eq!(k.value, &v[..]);
            }
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            for item in TlvIter::new(&data) {
                if let Ok(t) = item && t.tag.is_constructed() {
                    for c in t.children().unwrap() { let _ = c; }
                }
            }
        }

        #[test]
        fn command_apdu_round_trip(cla in any::<u8>(), ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(),
                                   data in proptest::collection::vec(any::<u8>(), 0..400),
                                   ne in proptest::option::of(1u32..=65_536)) {
            let mut cmd = crate::CommandApdu::new(cla, ins, p1, p2).with_data(data);
            cmd.ne = ne;
            let enc = cmd.to_bytes().unwrap();
            let back = crate::CommandApdu::parse(&enc).unwrap();
            prop_assert_eq!(&back.data, &cmd.data);
            prop_assert_eq!(back.ne, cmd.ne);
            prop_assert_eq!(back.header(), cmd.header());
            prop_assert_eq!(back.to_bytes().unwrap(), enc);
        }

        #[test]
        fn command_apdu_parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = crate::CommandApdu::parse(&data);
            let _ = crate::ResponseApdu::parse(&data);
        }
    }
}
