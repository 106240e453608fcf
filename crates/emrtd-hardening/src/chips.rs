//! Hostile chip behaviours as [`CardProtocol`] plug-ins for the virtual chip.

use emrtd_apdu::{CommandApdu, StatusWord};
use emrtd_sim::plugins::{AaPlugin, CaPlugin};
use emrtd_sim::{CardProtocol, Document, Handled, ProtocolContext, SimError, VirtualChip};

/// Active Authentication that answers every INTERNAL AUTHENTICATE with a genuine signature of
/// the document's AA key, made over `replayed_challenge` instead of the terminal's challenge:
/// the signature a clone recorded from an earlier session with the genuine chip.
pub struct ReplayedAa {
    inner: AaPlugin,
    replayed_challenge: Vec<u8>,
}

impl ReplayedAa {
    pub fn new(replayed_challenge: &[u8]) -> Self {
        ReplayedAa {
            inner: AaPlugin,
            replayed_challenge: replayed_challenge.to_vec(),
        }
    }
}

impl CardProtocol for ReplayedAa {
    fn name(&self) -> &'static str {
        "AA (replayed signature)"
    }

    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled> {
        if cmd.ins != 0x88 {
            return None;
        }
        let mut other = cmd.clone();
        other.data = self.replayed_challenge.clone();
        self.inner.handle(&other, ctx)
    }
}

/// A chip that offers PACE in EF.CardAccess but fails it: MSE:Set AT is accepted, every plain
/// GENERAL AUTHENTICATE is answered with `sw`. BAC stays available on the chip, so a reader
/// that silently downgraded to BAC would open it.
pub struct FailingPace {
    pub sw: u16,
}

impl CardProtocol for FailingPace {
    fn name(&self) -> &'static str {
        "PACE (always failing)"
    }

    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled> {
        if ctx.secured {
            return None;
        }
        match (cmd.ins, cmd.p1, cmd.p2) {
            (0x22, 0xC1, 0xA4) => Some(Handled::status(StatusWord(0x9000))),
            (0x86, _, _) => Some(Handled::status(StatusWord(self.sw))),
            _ => None,
        }
    }
}

/// Builds a chip for `doc` with the standard CA plug-in (when the document has a CA key) and
/// `extra` plug-ins in place of the standard PACE and AA plug-ins.
pub fn chip_with(doc: Document, extra: Vec<Box<dyn CardProtocol>>) -> Result<VirtualChip, SimError> {
    let has_ca = doc.manifest.keys.ca_private_key.is_some();
    let mut chip = VirtualChip::new(doc)?;
    if has_ca {
        chip.add_protocol(Box::new(CaPlugin::default()));
    }
    for p in extra {
        chip.add_protocol(p);
    }
    Ok(chip)
}
