//! Serves a fixture document as a card to a vsmartcard `vpcd` reader (pcscd with the
//! vsmartcard-vpcd driver listening on 127.0.0.1:35963 by default):
//!
//! ```text
//! cargo run -p emrtd-sim --example vpcd -- fixtures/documents/ref-1 [127.0.0.1:35963]
//! ```
//!
//! It reconnects after vpcd closes the connection, until interrupted.
#![forbid(unsafe_code)]

use emrtd_sim::VirtualChip;
use emrtd_sim::vpcd::{VPCD_DEFAULT_PORT, connect_and_serve};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: vpcd <document directory> [host:port]");
        return ExitCode::FAILURE;
    };
    let addr = args.next().unwrap_or_else(|| format!("127.0.0.1:{VPCD_DEFAULT_PORT}"));
    let mut chip = match VirtualChip::load(std::path::Path::new(&dir)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        match connect_and_serve(&mut chip, addr.as_str()) {
            Ok(stats) => eprintln!("vpcd closed the connection: {stats:?}"),
            Err(e) => eprintln!("{addr}: {e}"),
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
