//! Loading the trust store: the shared defaults of [`emrtd_trust`] (embedded DE/NL master lists
//! verified against their pinned roots; the test PKI only when asked for) plus the configured
//! sources.

use crate::config::TrustConfig;
use emrtd_pa::TrustStore;
pub use emrtd_trust::{MasterListStatus, TrustError, TrustReport};

/// Builds the trust store of `cfg` (master list staleness judged at the current time).
pub fn load(cfg: &TrustConfig) -> Result<(TrustStore, TrustReport), TrustError> {
    emrtd_trust::load(cfg, emrtd_trust::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_do_not_trust_the_test_pki() {
        let (store, report) = load(&TrustConfig::default()).unwrap();
        assert!(!report.test_pki);
        assert_eq!(report.master_lists.len(), 2);
        assert!(store.certificates().all(|c| c.source.starts_with("embedded:")));
    }

    #[test]
    fn test_pki_on_request() {
        let (store, report) = load(&TrustConfig::test_pki_only()).unwrap();
        assert!(report.test_pki);
        assert_eq!(store.len(), 3);
        assert_eq!(report.crls, 2);
    }

    #[test]
    fn missing_files_are_errors() {
        let cfg = TrustConfig {
            certificates: vec!["/nonexistent/csca.der".into()],
            ..TrustConfig::default()
        };
        assert!(load(&cfg).unwrap_err().to_string().contains("/nonexistent/csca.der"));
    }
}
