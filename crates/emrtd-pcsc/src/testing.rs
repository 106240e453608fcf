//! Test support: pcscd with the vsmartcard `vpcd` driver, the virtual reader the PC/SC tests
//! (of `emrtd read` and of emrtd-bridge) connect the virtual chip to.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first vpcd slot's reader name.
pub const VPCD_READER: &str = "Virtual PCD 00 00";
/// The port vpcd's first slot waits for a card on.
pub const VPCD_PORT: u16 = 35963;

/// A pcscd this process started; killed when dropped.
pub struct Pcscd(Child);

impl Drop for Pcscd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether pcscd runs and shows the vpcd reader.
pub fn vpcd_reader_present() -> bool {
    crate::Pcsc::new()
        .and_then(|p| p.reader_names())
        .is_ok_and(|names| names.iter().any(|n| n == VPCD_READER))
}

/// Whether a card is on the vpcd reader.
pub fn vpcd_card_present() -> bool {
    crate::Pcsc::new()
        .and_then(|p| p.readers())
        .is_ok_and(|rs| rs.iter().any(|r| r.name == VPCD_READER && r.card_present))
}

/// Makes sure pcscd runs with the vpcd reader, starting it (in the foreground, as a child)
/// when needed. `Ok(None)`: a pcscd was already running. `Err`: the reason the PC/SC tests
/// are skipped (pcscd or vpcd not installed, pcscd cannot start).
pub fn ensure_pcscd_with_vpcd() -> Result<Option<Pcscd>, String> {
    if vpcd_reader_present() {
        return Ok(None);
    }
    let pcscd = ["/usr/sbin/pcscd", "/usr/bin/pcscd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or("pcscd is not installed")?;
    if !Path::new("/etc/reader.conf.d/vpcd").exists() {
        return Err("vsmartcard-vpcd is not installed (no /etc/reader.conf.d/vpcd)".into());
    }
    let child = Command::new(pcscd)
        .arg("-f")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start pcscd: {e}"))?;
    let started = Pcscd(child);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if vpcd_reader_present() {
            return Ok(Some(started));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("pcscd did not show the vpcd reader within 10 s (not root, or another pcscd without vpcd?)".into())
}

/// Connects to vpcd's card port (retrying for up to `wait`): the stream is the card's side of
/// the vpcd protocol; shutting it down removes the card.
pub fn connect_vpcd(wait: Duration) -> std::io::Result<TcpStream> {
    let t = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", VPCD_PORT)) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) if t.elapsed() > wait => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}
