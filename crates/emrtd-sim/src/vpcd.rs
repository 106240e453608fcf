//! The vsmartcard `vpcd` socket protocol, card side (what `vpicc` does).
//!
//! The reader driver (`vpcd`, loaded by pcscd) listens on TCP (port 35963 by default); the
//! virtual card connects to it. Every message in both directions is a 2-byte big-endian length
//! followed by that many bytes. A 1-byte message from vpcd is a control message: `00` power
//! off, `01` power on, `02` reset, `04` get ATR (the card answers with the ATR); any longer
//! message is a command APDU and the card answers with the response APDU.

use crate::chip::VirtualChip;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

/// Default port of the first vpcd reader.
pub const VPCD_DEFAULT_PORT: u16 = 35963;

/// Control message: power off (the chip drops its session state).
pub const VPCD_CTRL_OFF: u8 = 0x00;
/// Control message: power on (the chip starts a fresh session).
pub const VPCD_CTRL_ON: u8 = 0x01;
/// Control message: reset (the chip drops its session state).
pub const VPCD_CTRL_RESET: u8 = 0x02;
/// Control message: get ATR (the card answers with its ATR).
pub const VPCD_CTRL_ATR: u8 = 0x04;

/// What happened in a vpcd session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VpcdStats {
    /// Command APDUs answered.
    pub apdus: u64,
    /// Power-on control messages received.
    pub power_ons: u64,
    /// Power-off control messages received.
    pub power_offs: u64,
    /// Reset control messages received.
    pub resets: u64,
    /// ATR requests received.
    pub atr_requests: u64,
}

/// Reads one length-prefixed message; `Ok(None)` at a clean end of stream.
pub fn read_message(stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// Writes one length-prefixed message.
pub fn write_message(stream: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "vpcd message longer than 65535 bytes"))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(payload)?;
    stream.flush()
}

/// Serves the chip on an established stream until the peer closes it. When `honour_delay`
/// is set, each APDU answer is sent after the chip's configured delay.
pub fn serve_stream<S: Read + Write>(
    chip: &mut VirtualChip,
    stream: &mut S,
    honour_delay: bool,
) -> io::Result<VpcdStats> {
    let mut stats = VpcdStats::default();
    let mut powered = true;
    while let Some(msg) = read_message(stream)? {
        match msg.as_slice() {
            [VPCD_CTRL_OFF] => {
                powered = false;
                stats.power_offs += 1;
                chip.reset();
            }
            [VPCD_CTRL_ON] => {
                powered = true;
                stats.power_ons += 1;
                chip.reset();
            }
            [VPCD_CTRL_RESET] => {
                stats.resets += 1;
                chip.reset();
            }
            [VPCD_CTRL_ATR] => {
                stats.atr_requests += 1;
                write_message(stream, chip.atr())?;
            }
            [_] | [] => {
                // Unknown control message: vpcd expects no answer.
            }
            apdu => {
                stats.apdus += 1;
                let resp = if powered {
                    if honour_delay {
                        std::thread::sleep(chip.delay());
                    }
                    chip.transmit(apdu)
                } else {
                    // A card without power says nothing useful; answer "no precise diagnosis".
                    vec![0x6F, 0x00]
                };
                write_message(stream, &resp)?;
            }
        }
    }
    Ok(stats)
}

/// Connects to a vpcd reader (e.g. `127.0.0.1:35963`) and serves the chip until vpcd closes
/// the connection.
pub fn connect_and_serve(chip: &mut VirtualChip, addr: impl ToSocketAddrs) -> io::Result<VpcdStats> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    serve_stream(chip, &mut stream, true)
}
