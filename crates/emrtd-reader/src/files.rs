//! Reading elementary files in as few round trips as the link and the chip allow.
//!
//! * The first READ BINARY uses the short file identifier (P1 = `80 | SFI`), so no SELECT is
//!   needed, and asks for the largest chunk the link carries: small files arrive whole.
//! * The TLV header of the first chunk gives the file length; the remainder is read in chunks
//!   as large as the limits permit (extended length when allowed).
//! * On 6700, 6Cxx, 6B00, 6282 or 6281 the chunk is shrunk and reading continues, without
//!   redoing access control.
//! * Offsets above 32 767 use READ BINARY with odd INS (`B1`) and an offset data object.
//! * A file longer than the configured maximum, a chip that stops before the announced length,
//!   or a chip that returns nothing are errors, never endless loops.

use crate::channel::{Channel, ChannelError};
use emrtd_apdu::tlv::{Tag, Tlv};
use emrtd_apdu::{CommandApdu, LengthForm, StatusWord, SwMeaning};
use emrtd_transport::Transport;
use thiserror::Error;
use zeroize::Zeroizing;

pub use crate::channel::MAX_COLLECTED;

/// Errors while reading a file.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The chip answered 6A82: the file does not exist.
    #[error("file not found")]
    NotFound,
    /// The chip answered 6982 or 6985: the file needs access rights not granted (e.g. DG3/DG4
    /// without terminal authentication).
    #[error("access to the file was refused: {0}")]
    AccessDenied(StatusWord),
    /// The chip refused READ BINARY with another status word.
    #[error("the chip refused READ BINARY: {0}")]
    Refused(StatusWord),
    /// The file is longer than [`ReadLimits::max_file_size`].
    #[error("the file claims {claimed} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Length the file claims (its TLV header) or has reached, in bytes.
        claimed: usize,
        /// The largest file accepted ([`ReadLimits::max_file_size`]).
        limit: usize,
    },
    /// The chip reported the end of the file before the length its TLV header announced.
    #[error("the file ended after {got} of {expected} bytes")]
    Truncated {
        /// Bytes received.
        got: usize,
        /// Length announced by the file's TLV header.
        expected: usize,
    },
    /// A READ BINARY returned no data before the end of the file; the offset reached.
    #[error("the chip returned no data at offset {0}")]
    NoProgress(usize),
    /// The file's first bytes are not a valid BER-TLV tag and length, or an odd-INS response lacks
    /// its tag 53 data object.
    #[error("the file does not start with a valid TLV header")]
    BadHeader,
    /// The channel below failed (transport, secure messaging, APDU encoding).
    #[error(transparent)]
    Channel(#[from] ChannelError),
}

/// Chunk sizes for READ BINARY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest Ne of one READ BINARY (plain data, before secure messaging).
    pub max_chunk: usize,
    /// Whether extended-length APDUs may be used.
    pub extended: bool,
    /// Largest file accepted.
    pub max_file_size: usize,
    /// The chunk to fall back to when an extended read is refused with 6700.
    pub short_fallback: usize,
}

impl ReadLimits {
    /// The largest plain chunk whose protected response fits `max_response` bytes (data, SW
    /// included) for the given SM block size; `None` block size means no secure messaging.
    pub fn chunk_for_response(max_response: usize, block: Option<usize>) -> usize {
        let Some(bs) = block else {
            return max_response.saturating_sub(2);
        };
        // Response data: DO'87 (tag, length, 01, padded cryptogram), DO'99 (4), DO'8E (10), SW (2).
        let fits = |n: usize| {
            let padded = (n / bs + 1) * bs;
            let v = padded + 1;
            let len_len = if v < 0x80 {
                1
            } else if v < 0x100 {
                2
            } else if v < 0x1_0000 {
                3
            } else {
                4
            };
            1 + len_len + v + 4 + 10 + 2 <= max_response
        };
        let mut n = max_response;
        while n > 0 && !fits(n) {
            n -= 1;
        }
        n
    }

    /// Limits for a short-APDU link: 223 bytes under AES SM, 231 under 3DES, 256 without SM.
    pub fn short(block: Option<usize>, max_file_size: usize) -> Self {
        let max_chunk = Self::chunk_for_response(258, block).min(256);
        ReadLimits {
            max_chunk,
            extended: false,
            max_file_size,
            short_fallback: max_chunk,
        }
    }
}

/// Total length of a BER-TLV from its first bytes, or `None` if more bytes are needed.
fn tlv_total_length(head: &[u8]) -> Result<Option<usize>, FileError> {
    match Tlv::parse(head) {
        Ok((t, _)) => Ok(Some(t.raw.len())),
        Err(emrtd_apdu::TlvError::Truncated { .. }) => {
            // Parse only the header: tag and length octets.
            let mut i = 1usize;
            let first = *head.first().ok_or(FileError::BadHeader)?;
            if first & 0x1F == 0x1F {
                loop {
                    let b = *head.get(i).ok_or(FileError::BadHeader)?;
                    i += 1;
                    if b & 0x80 == 0 {
                        break;
                    }
                    if i > 4 {
                        return Err(FileError::BadHeader);
                    }
                }
            }
            let l0 = match head.get(i) {
                Some(b) => *b,
                None => return Ok(None),
            };
            i += 1;
            let len = if l0 < 0x80 {
                usize::from(l0)
            } else {
                let n = usize::from(l0 & 0x7F);
                if n == 0 || n > 4 {
                    return Err(FileError::BadHeader);
                }
                let Some(bytes) = head.get(i..i + n) else {
                    return Ok(None);
                };
                i += n;
                bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b))
            };
            Ok(Some(i.saturating_add(len)))
        }
        Err(_) => Err(FileError::BadHeader),
    }
}

fn read_binary(offset: usize, ne: usize, sfi: Option<u8>, form: LengthForm) -> CommandApdu {
    let ne = ne as u32;
    if let Some(sfi) = sfi {
        CommandApdu::new(0x00, 0xB0, 0x80 | (sfi & 0x1F), offset as u8)
            .with_ne(ne)
            .with_form(form)
    } else if offset <= 0x7FFF {
        CommandApdu::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8)
            .with_ne(ne)
            .with_form(form)
    } else {
        // READ BINARY with odd INS: offset in DO'54 (ISO/IEC 7816-4 §11.2.3).
        let off = (offset as u32).to_be_bytes();
        let skip = off.iter().take_while(|b| **b == 0).count().min(3);
        let mut data = vec![0x54, (4 - skip) as u8];
        data.extend_from_slice(off.get(skip..).unwrap_or(&off));
        // The response carries DO'53 around the data: ask for its header too.
        CommandApdu::new(0x00, 0xB1, 0x00, 0x00)
            .with_data(data)
            .with_ne(ne + 4)
            .with_form(form)
    }
}

/// Reads a whole EF. `sfi` selects the file by short identifier on the first read; `None` reads
/// the currently selected file.
pub async fn read_file<T: Transport>(
    ch: &mut Channel<'_, T>,
    sfi: Option<u8>,
    limits: ReadLimits,
) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let mut chunk = limits.max_chunk.max(1);
    let form = if limits.extended {
        LengthForm::Auto
    } else {
        LengthForm::Short
    };
    let mut data: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    let mut total: Option<usize> = None;
    let mut sfi_pending = sfi;
    let mut shrinks = 0u32;
    loop {
        if let Some(t) = total
            && data.len() >= t
        {
            data.truncate(t);
            return Ok(data);
        }
        let offset = data.len();
        let want = match total {
            Some(t) => (t - offset).min(chunk),
            None => chunk,
        };
        // The SFI form addresses offsets up to 255 only.
        let use_sfi = sfi_pending.filter(|_| offset <= 0xFF);
        let cmd = read_binary(offset, want, use_sfi, form);
        let resp = ch.send(&cmd).await?;
        let odd = cmd.ins == 0xB1;
        let mut body: &[u8] = &resp.data;
        if odd && !body.is_empty() {
            let t = Tlv::parse(body).map_err(|_| FileError::BadHeader)?.0;
            if t.tag != Tag(0x53) {
                return Err(FileError::BadHeader);
            }
            body = t.value;
        }
        match resp.sw.meaning() {
            SwMeaning::Success | SwMeaning::EndOfFile if !body.is_empty() => {
                if use_sfi.is_some() {
                    sfi_pending = None;
                }
                data.extend_from_slice(body);
                if total.is_none() {
                    match tlv_total_length(&data)? {
                        Some(t) if t > limits.max_file_size => {
                            return Err(FileError::TooLarge {
                                claimed: t,
                                limit: limits.max_file_size,
                            });
                        }
                        Some(t) => total = Some(t),
                        None => {}
                    }
                }
                if resp.sw == StatusWord::END_OF_FILE
                    && let Some(t) = total
                    && data.len() < t
                {
                    return Err(FileError::Truncated {
                        got: data.len(),
                        expected: t,
                    });
                }
                if data.len() > limits.max_file_size {
                    return Err(FileError::TooLarge {
                        claimed: data.len(),
                        limit: limits.max_file_size,
                    });
                }
            }
            SwMeaning::Success | SwMeaning::EndOfFile if total.is_some() || resp.sw.is_success() => match total {
                Some(t) => {
                    return Err(FileError::Truncated {
                        got: data.len(),
                        expected: t,
                    });
                }
                None => return Err(FileError::NoProgress(offset)),
            },
            SwMeaning::WrongLe(n) if n > 0 && usize::from(n) < want && shrinks < 16 => {
                shrinks += 1;
                chunk = usize::from(n);
            }
            SwMeaning::WrongLength if want > 256 && shrinks < 16 => {
                // The chip (or the reader) does not take extended length after all: go on
                // with the largest short read.
                shrinks += 1;
                chunk = limits.short_fallback.clamp(1, 256);
            }
            SwMeaning::WrongLength
            | SwMeaning::WrongOffset
            | SwMeaning::WrongLe(_)
            | SwMeaning::EndOfFile
            | SwMeaning::DataMayBeCorrupted
                if shrinks < 16 && want > 1 =>
            {
                // The chip does not like this Ne (a length beyond the end, or above its
                // buffer): halve it, but never below the 4 bytes a TLV header needs first.
                shrinks += 1;
                chunk = (want / 2).max(if total.is_none() { 4 } else { 1 }).min(want - 1).max(1);
            }
            SwMeaning::FileNotFound => return Err(FileError::NotFound),
            SwMeaning::SecurityStatusNotSatisfied | SwMeaning::ConditionsOfUseNotSatisfied => {
                return Err(FileError::AccessDenied(resp.sw));
            }
            _ => return Err(FileError::Refused(resp.sw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Channel;
    use emrtd_apdu::ResponseApdu;
    use emrtd_transport::{LinkLimits, SyncChipTransport};

    /// A plain chip with one file under SFI 1; `quirk` rewrites responses.
    fn chip(
        file: Vec<u8>,
        max_ne: usize,
        quirk: fn(&CommandApdu, &mut ResponseApdu),
    ) -> impl FnMut(&[u8]) -> Vec<u8> + Send {
        move |raw: &[u8]| {
            let Ok(cmd) = CommandApdu::parse(raw) else {
                return vec![0x67, 0x00];
            };
            let (offset, ne) = match cmd.ins {
                0xB0 if cmd.p1 & 0x80 != 0 => (usize::from(cmd.p2), cmd.ne.unwrap_or(0) as usize),
                0xB0 => (
                    (usize::from(cmd.p1) << 8) | usize::from(cmd.p2),
                    cmd.ne.unwrap_or(0) as usize,
                ),
                0xB1 => {
                    let off = cmd
                        .data
                        .get(2..)
                        .unwrap_or_default()
                        .iter()
                        .fold(0usize, |a, b| (a << 8) | usize::from(*b));
                    (off, cmd.ne.unwrap_or(0) as usize - 4)
                }
                _ => return vec![0x6D, 0x00],
            };
            if ne > max_ne {
                return vec![0x67, 0x00];
            }
            let end = (offset + ne).min(file.len());
            let part = file.get(offset..end).unwrap_or_default().to_vec();
            let sw = if end - offset < ne {
                StatusWord::END_OF_FILE
            } else {
                StatusWord::SUCCESS
            };
            let data = if cmd.ins == 0xB1 {
                emrtd_apdu::tlv::encode(Tag(0x53), &part)
            } else {
                part
            };
            let mut r = ResponseApdu::new(data, sw);
            quirk(&cmd, &mut r);
            r.to_bytes()
        }
    }

    fn file_of(len: usize) -> Vec<u8> {
        let mut v = emrtd_apdu::tlv::encode(Tag(0x75), &vec![0xAB; len]);
        let l = v.len();
        v[l - 1] = 0xCD;
        v
    }

    async fn read(
        file: &[u8],
        max_ne: usize,
        limits: ReadLimits,
        quirk: fn(&CommandApdu, &mut ResponseApdu),
    ) -> (Result<Vec<u8>, FileError>, u64) {
        let mut t = SyncChipTransport::new(chip(file.to_vec(), max_ne, quirk), LinkLimits::default());
        let mut ch = Channel::new(&mut t);
        let r = read_file(&mut ch, Some(1), limits).await.map(|z| z.to_vec());
        (r, ch.round_trips())
    }

    fn none(_: &CommandApdu, _: &mut ResponseApdu) {}

    #[tokio::test]
    async fn small_file_in_one_round_trip() {
        let f = file_of(100);
        let (r, rt) = read(&f, 256, ReadLimits::short(None, 1 << 20), none).await;
        assert_eq!(r.unwrap(), f);
        assert_eq!(rt, 1);
    }

    #[tokio::test]
    async fn large_file_short_and_extended() {
        let f = file_of(22_000);
        let (r, rt) = read(&f, 256, ReadLimits::short(None, 1 << 20), none).await;
        assert_eq!(r.unwrap(), f);
        assert_eq!(rt, f.len().div_ceil(256) as u64);
        let ext = ReadLimits {
            max_chunk: 65_536,
            extended: true,
            max_file_size: 1 << 20,
            short_fallback: 256,
        };
        let (r, rt) = read(&f, 65_536, ext, none).await;
        assert_eq!(r.unwrap(), f);
        assert_eq!(rt, 1);
    }

    #[tokio::test]
    async fn offsets_above_32767_use_odd_ins() {
        let f = file_of(40_000);
        let ext = ReadLimits {
            max_chunk: 30_000,
            extended: true,
            max_file_size: 1 << 20,
            short_fallback: 256,
        };
        let (r, rt) = read(&f, 65_536, ext, none).await;
        assert_eq!(r.unwrap(), f);
        assert_eq!(rt, 2);
    }

    #[tokio::test]
    async fn chip_buffer_smaller_than_asked_shrinks_and_continues() {
        let f = file_of(1000);
        let ext = ReadLimits {
            max_chunk: 4096,
            extended: true,
            max_file_size: 1 << 20,
            short_fallback: 256,
        };
        let (r, _) = read(&f, 231, ext, none).await;
        assert_eq!(r.unwrap(), f);
    }

    #[tokio::test]
    async fn extended_refused_falls_back_to_short_reads() {
        let f = file_of(3000);
        let ext = ReadLimits {
            max_chunk: 65_536,
            extended: true,
            max_file_size: 1 << 20,
            short_fallback: 231,
        };
        let (r, rt) = read(&f, 256, ext, none).await;
        assert_eq!(r.unwrap(), f);
        // One refused extended read, then 231-byte reads.
        assert_eq!(rt, 1 + f.len().div_ceil(231) as u64);
    }

    #[tokio::test]
    async fn wrong_le_hint_is_used() {
        fn six_c(cmd: &CommandApdu, r: &mut ResponseApdu) {
            if cmd.ne.unwrap_or(0) > 0xE7 {
                *r = ResponseApdu::status(StatusWord(0x6CE7));
            }
        }
        let f = file_of(600);
        let (r, _) = read(&f, 256, ReadLimits::short(None, 1 << 20), six_c).await;
        assert_eq!(r.unwrap(), f);
    }

    #[tokio::test]
    async fn lying_lengths_and_huge_files_are_errors() {
        let f = file_of(1000);
        // Claims 1000 bytes, delivers 500.
        let short = f[..500].to_vec();
        let (r, _) = read(&short, 256, ReadLimits::short(None, 1 << 20), none).await;
        assert_eq!(
            r,
            Err(FileError::Truncated {
                got: 500,
                expected: f.len()
            })
        );
        // Claims 16 MB.
        let mut huge = vec![0x75, 0x84, 0x01, 0x00, 0x00, 0x00];
        huge.extend_from_slice(&[0; 100]);
        let (r, rt) = read(&huge, 256, ReadLimits::short(None, 1 << 20), none).await;
        assert_eq!(
            r,
            Err(FileError::TooLarge {
                claimed: 0x0100_0006,
                limit: 1 << 20
            })
        );
        assert_eq!(rt, 1);
        // Not found / denied.
        fn not_found(_: &CommandApdu, r: &mut ResponseApdu) {
            *r = ResponseApdu::status(StatusWord::FILE_NOT_FOUND);
        }
        let (r, _) = read(&f, 256, ReadLimits::short(None, 1 << 20), not_found).await;
        assert_eq!(r, Err(FileError::NotFound));
        fn denied(_: &CommandApdu, r: &mut ResponseApdu) {
            *r = ResponseApdu::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let (r, _) = read(&f, 256, ReadLimits::short(None, 1 << 20), denied).await;
        assert_eq!(r, Err(FileError::AccessDenied(StatusWord(0x6982))));
        fn empty(_: &CommandApdu, r: &mut ResponseApdu) {
            r.data.clear();
            r.sw = StatusWord::SUCCESS;
        }
        let (r, _) = read(&f, 256, ReadLimits::short(None, 1 << 20), empty).await;
        assert_eq!(r, Err(FileError::NoProgress(0)));
        fn garbage(_: &CommandApdu, r: &mut ResponseApdu) {
            r.data = vec![0xFF; 10];
        }
        let (r, _) = read(&f, 256, ReadLimits::short(None, 1 << 20), garbage).await;
        assert_eq!(r, Err(FileError::BadHeader));
    }

    #[test]
    fn chunk_sizes_under_secure_messaging() {
        assert_eq!(ReadLimits::short(Some(16), 0).max_chunk, 223);
        assert_eq!(ReadLimits::short(Some(8), 0).max_chunk, 231);
        assert_eq!(ReadLimits::short(None, 0).max_chunk, 256);
        // iOS: 1024-byte responses.
        let n = ReadLimits::chunk_for_response(1024, Some(16));
        assert_eq!(n, 991);
    }
}
