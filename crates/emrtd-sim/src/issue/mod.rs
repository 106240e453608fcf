//! The document factory: DER builders, LDS files, a small PKI (keys, certificates, CRLs,
//! CMS SignedData) and [`issue_document`], which turns a [`DocumentSpec`] into a
//! [`Document`](crate::Document) that [`Document::write_dir`](crate::Document::write_dir)
//! stores as a fixture directory for [`VirtualChip::load`](crate::VirtualChip::load).
//!
//! `cargo xtask fixtures` builds the committed test PKI (`fixtures/pki/`) and documents
//! (`fixtures/documents/`) with it; `emrtd sim new` builds a document of the caller's choice
//! signed by the test PKI's ECDSA Document Signer ([`test_pki::ecdsa_document_signer`]) or by a
//! Document Signer issued on the fly under a CSCA given by the caller.
//!
//! Everything is deterministic: keys come from [`SeededRng`](crate::SeededRng)s seeded by
//! labels, signatures are RSA PKCS#1 v1.5 or ECDSA per RFC 6979 (RSA-PSS takes its salt from
//! the seeded generator). The keys are test keys: anyone who knows the labels has them.

#![warn(missing_docs)]

pub mod der;
pub mod document;
pub mod lds;
pub mod pki;
pub mod test_pki;
pub mod validate;

pub use document::{AaKey, CaKey, DocumentSigner, DocumentSpec, Layout, RichData, issue_document};
pub use pki::{Cert, CertSpec, Curve, Key, Role, SigAlg};

use thiserror::Error;

/// Errors of the document factory.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IssueError {
    /// A value of the document description is not acceptable (the field and why).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field (or command-line option) at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A key, signature or encoding step failed.
    #[error("crypto: {0}")]
    Crypto(String),
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// A key or certificate given as input could not be used.
    #[error("{what}: {reason}")]
    Input {
        /// What was given (e.g. the path of a CSCA key).
        what: String,
        /// Why it cannot be used.
        reason: String,
    },
}

impl IssueError {
    /// A [`IssueError::Crypto`] from any displayable error.
    pub fn crypto(e: impl core::fmt::Display) -> Self {
        IssueError::Crypto(e.to_string())
    }

    /// A [`IssueError::Io`] for `path`.
    pub fn io(path: &std::path::Path, e: impl core::fmt::Display) -> Self {
        IssueError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// An [`IssueError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        IssueError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Results of the document factory.
pub type R<T> = Result<T, IssueError>;
