//! `emrtd-bridge`: a local reader service with the two WebSocket interfaces desks already use.
//!
//! * [`ausweisapp`]: the AusweisApp SDK interface (`ws://127.0.0.1:24727/eID-Kernel`) with the
//!   `Simulator` reader (the virtual chip): PIN change with PACE on the card, and RUN_AUTH
//!   relaying the card to a DocVal server.
//! * [`sinosecu`]: the Sinosecu passport-reader interface (`ws://127.0.0.1:90/echo`).
//! * [`card`]: the card abstraction and the eID PIN operations.
//! * [`origin`]: the Origin allow-list both interfaces apply.
//!
//! Both interfaces serve `ws://` or, with a certificate ([`load_tls`]), `wss://`.
#![forbid(unsafe_code)]

pub mod ausweisapp;
pub mod card;
pub mod json;
pub mod origin;
pub mod sinosecu;

use std::path::{Path, PathBuf};

/// TLS settings for `wss://` (rustls with the ring provider).
pub type TlsConfig = axum_server::tls_rustls::RustlsConfig;

/// Loads a PEM certificate chain and its PEM private key.
pub async fn load_tls(cert: &Path, key: &Path) -> std::io::Result<TlsConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    TlsConfig::from_pem_file(cert, key).await
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls: Option<TlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(tls) = tls else {
        return axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    };
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        h.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    let std_listener = listener.into_std()?;
    axum_server::from_tcp_rustls(std_listener, tls)?
        .handle(handle)
        .serve(app.into_make_service())
        .await
}

/// `make-localhost-cert` failures.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Writes a self-signed certificate for `localhost`, `127.0.0.1` and `::1` (10 years, ECDSA
/// P-256) to `DIR/localhost.pem` and its key to `DIR/localhost-key.pem` (mode 0600 on Unix).
/// Returns the two paths.
pub fn make_localhost_cert(dir: &Path) -> Result<(PathBuf, PathBuf), CertError> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "emrtd-bridge localhost");
    let now = std::time::SystemTime::now();
    params.not_before = now.into();
    params.not_after = (now + std::time::Duration::from_secs(10 * 365 * 86_400)).into();
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let write = |path: PathBuf, text: String, private: bool| -> Result<PathBuf, CertError> {
        let err = |source| CertError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        use std::io::Write;
        let mut f = opts.open(&path).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        Ok(path)
    };
    let cert_path = write(dir.join("localhost.pem"), cert.pem(), false)?;
    let key_path = write(dir.join("localhost-key.pem"), key.serialize_pem(), true)?;
    Ok((cert_path, key_path))
}
