//! Loading the trust store: configured files, or the embedded fixture PKI.

use crate::config::TrustConfig;
use emrtd_pa::TrustStore;

/// The test PKI of `fixtures/pki`, embedded so the server runs with no configuration at all
/// and verifies the virtual documents (and nothing real).
const EMBEDDED: &[(&str, &[u8])] = &[
    ("csca-rsa.cer", include_bytes!("../../../fixtures/pki/csca-rsa.cer")),
    (
        "csca-ecdsa-explicit.cer",
        include_bytes!("../../../fixtures/pki/csca-ecdsa-explicit.cer"),
    ),
    (
        "link-csca-rsa-to-ecdsa.cer",
        include_bytes!("../../../fixtures/pki/link-csca-rsa-to-ecdsa.cer"),
    ),
];
const EMBEDDED_CRLS: &[(&str, &[u8])] = &[
    ("csca-rsa.crl", include_bytes!("../../../fixtures/pki/csca-rsa.crl")),
    ("csca-ecdsa.crl", include_bytes!("../../../fixtures/pki/csca-ecdsa.crl")),
];

/// What was loaded, for the start-up log.
#[derive(Debug, Default)]
pub struct TrustReport {
    pub certificates: usize,
    pub crls: usize,
    pub embedded: bool,
    pub warnings: Vec<String>,
}

/// Builds the trust store. Files that cannot be read are errors (a server that silently
/// trusts less than configured would reject genuine documents without saying why); a master
/// list whose own signature does not verify is loaded with a warning.
pub fn load(cfg: &TrustConfig) -> Result<(TrustStore, TrustReport), String> {
    let mut store = TrustStore::new();
    let mut report = TrustReport::default();
    if cfg.is_empty() {
        for (name, der) in EMBEDDED {
            store.add_der(der, name).map_err(|e| format!("embedded {name}: {e}"))?;
        }
        for (name, der) in EMBEDDED_CRLS {
            store.add_crl(der, name).map_err(|e| format!("embedded {name}: {e}"))?;
        }
        report.embedded = true;
    } else {
        for root in &cfg.master_list_roots {
            let der = std::fs::read(root).map_err(|e| format!("{}: {e}", root.display()))?;
            store
                .add_master_list_root(&der)
                .map_err(|e| format!("{}: {e}", root.display()))?;
        }
        for ml in &cfg.master_lists {
            let data = std::fs::read(ml).map_err(|e| format!("{}: {e}", ml.display()))?;
            let r = store
                .add_master_list(&data, &ml.display().to_string())
                .map_err(|e| format!("{}: {e}", ml.display()))?;
            if !r.verified() {
                report.warnings.push(format!(
                    "master list {}: its signature was not verified against a configured root",
                    ml.display()
                ));
            }
        }
        for p in &cfg.certificates {
            store.load_path(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        for p in &cfg.crls {
            let der = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            store
                .add_crl(&der, &p.display().to_string())
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    report.certificates = store.len();
    report.crls = store.crls().count();
    Ok((store, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_pki_loads() {
        let (store, report) = load(&TrustConfig::default()).unwrap();
        assert!(report.embedded);
        assert_eq!(report.certificates, 3);
        assert_eq!(report.crls, 2);
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn missing_files_are_errors() {
        let cfg = TrustConfig {
            certificates: vec!["/nonexistent/csca.der".into()],
            ..TrustConfig::default()
        };
        assert!(load(&cfg).unwrap_err().contains("/nonexistent/csca.der"));
    }
}
