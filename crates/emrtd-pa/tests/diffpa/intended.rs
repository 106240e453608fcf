//! The written list of intended differences between docval and OpenSSL. A disagreement
//! that matches no entry fails the differential test. Each entry names the rule behind
//! docval's verdict and says why the difference cannot be turned into a forgery.

use super::{Check, Observation};
use emrtd_pa::ReasonCode;

/// One intended difference.
pub struct Intended {
    /// Short name, used in the counts of FUZZING.md.
    pub kind: &'static str,
    /// The Doc 9303 or RFC rule behind docval's verdict.
    pub rule: &'static str,
    /// Why the verdicts differ.
    pub reason: &'static str,
    pub matches: fn(&Observation) -> bool,
}

fn cms(o: &Observation) -> bool {
    o.check == Check::CmsSignature
}

/// OpenSSL errors of an unusable CRL: CRL signature failure (8), unable to get the CRL (3),
/// errors in its lastUpdate/nextUpdate fields (15, 16), unable to get its issuer (33), the
/// issuer key lacks cRLSign (35).
const UNUSABLE_CRL: &[u32] = &[3, 8, 15, 16, 33, 35];

pub const INTENDED: &[Intended] = &[
    Intended {
        kind: "explicit EC parameters",
        rule: "Doc 9303-12 §7.1 and BSI TR-03111 §5.1 (ECDSA keys with explicit domain parameters); RFC 3279 §2.3.5",
        reason: "CSCA and DS keys with explicit domain parameters are common in real eMRTD PKIs (docval \
                 accepts them and checks the curve); OpenSSL 3 refuses them in chain building by policy \
                 (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, 94)",
        matches: |o| o.check == Check::Chain && o.docval && o.openssl_errors == [94],
    },
    Intended {
        kind: "signer identifier matched leniently",
        rule: "RFC 5652 §5.3 (sid); Doc 9303-10 §4.6.2 (the SOD carries its Document Signer certificate)",
        reason: "docval matches the SignerInfo's issuer name regardless of RDN order (the real Malaysian SOD \
                 names its DS issuer with the RDNs reordered) and, when no certificate matches, tries the \
                 first one (reported as Info). The signature must still verify with that certificate's key \
                 and that certificate is the one chained to the CSCA, so the identifier is only a pointer; \
                 OpenSSL requires an exact match (\"signer certificate not found\")",
        matches: |o| cms(o) && o.docval && o.openssl_note.contains("signer certificate not found"),
    },
    Intended {
        kind: "SignedData digestAlgorithms not used",
        rule: "RFC 5652 §5.1 (digestAlgorithms only eases one-pass processing) and §5.4 (the SignerInfo's \
               digestAlgorithm is the one used)",
        reason: "docval verifies with the SignerInfo's digestAlgorithm and ignores the SignedData-level list; \
                 OpenSSL sets up a digest for every listed algorithm and fails on an unknown or missing one. \
                 The list is not signed and does not affect what is verified",
        matches: |o| {
            cms(o)
                && o.docval
                && (o.mutation_is("digest-algorithms-") || o.openssl_note.contains("unknown digest algorithm"))
        },
    },
    Intended {
        kind: "first SignerInfo only",
        rule: "Doc 9303-10 §4.6.2.2 (the SOD's SignerInfo of the Document Signer); RFC 5652 §5.1 (any number of \
               SignerInfos)",
        reason: "docval verifies the first SignerInfo (the Document Signer's; more than one is reported as Info); \
                 OpenSSL requires every SignerInfo to verify. An appended SignerInfo adds no signed content",
        matches: |o| cms(o) && o.docval && o.mutation_is("signer-info-second-bad") && o.docval_has(ReasonCode::Info),
    },
    Intended {
        kind: "BER read leniently outside the signed bytes",
        rule: "Doc 9303-10 §4.6.2 and the SODs in circulation (BER, indefinite lengths); the signature covers \
               only the signed attributes (RFC 5652 §5.4)",
        reason: "docval reads CMS with a BER TLV codec and ignores elements it does not use (an extra element \
                 after the signature or in an AlgorithmIdentifier, trailing bytes after the ContentInfo, as \
                 chips pad files); OpenSSL's template decoder rejects the whole structure. The signed \
                 attributes and the eContent digest are checked over the bytes as found either way",
        matches: |o| {
            cms(o)
                && o.docval
                && (o.openssl_note.contains("asn1 encoding routines")
                    || o.mutation_is("extra-element")
                    || o.mutation_is("trailing-data"))
        },
    },
    Intended {
        kind: "signature hash named by signatureAlgorithm",
        rule: "RFC 5754 §3.2 and §3.3, RFC 5753 §7.2 (signatureAlgorithm sha256WithRSAEncryption / \
               ecdsa-with-SHA256 name the hash of the signature); digestAlgorithm for rsaEncryption and \
               id-ecPublicKey",
        reason: "docval hashes the signed attributes for the signature with the hash the signatureAlgorithm \
                 names (the digestAlgorithm for the messageDigest, and for key-only OIDs); OpenSSL uses the \
                 digestAlgorithm for both and ignores the hash in the signatureAlgorithm. Both hashes are \
                 collision-resistant members of the SHA family bound to the content, so neither reading admits \
                 a signature the key holder did not make",
        matches: |o| {
            cms(o)
                && (o.mutation_is("sigalg-oid")
                    || o.mutation_is("resign-digest-algorithm")
                    || o.mutation_is("resign-signature-algorithm"))
        },
    },
    Intended {
        kind: "DigestInfo with absent hash parameters",
        rule: "RFC 8017 Appendix B.1 (implementations MUST accept SHA AlgorithmIdentifiers without parameters as \
               well as with NULL)",
        reason: "docval compares the decrypted PKCS#1 v1.5 block with the two exact encodings (NULL and absent \
                 parameters), no parsing; OpenSSL 3.0 accepts only NULL for SHA-2",
        matches: |o| cms(o) && o.docval && o.mutation_is("resign-digestinfo-without-null"),
    },
    Intended {
        kind: "authority key identifier is a hint",
        rule: "RFC 5280 §4.2.1.1 (the AKI identifies the issuer key; path building aid); Doc 9303-12 §7.1.1",
        reason: "docval looks the issuer up by AKI and by name and tries every candidate's key: the signature \
                 decides. OpenSSL discards an issuer whose SKI differs from the AKI (20)",
        matches: |o| {
            (o.check == Check::Chain || o.check == Check::CertSignature)
                && o.docval
                && o.mutation_is("ds-authority-key-id")
                && o.openssl_errors == [20]
        },
    },
    Intended {
        kind: "Doc 9303 Document Signer key usage",
        rule: "Doc 9303-12 §7.1.1.3 (Document Signer keyUsage: digitalSignature)",
        reason: "docval requires digitalSignature on the DS certificate; openssl verify without -purpose checks no \
                 key usage on the leaf",
        matches: |o| o.check == Check::Chain && !o.docval && o.docval_has(ReasonCode::KeyUsage) && o.openssl,
    },
    Intended {
        kind: "unusable CRL ignored",
        rule: "Doc 9303-11 §5.1 and Doc 9303-12 §7.1.4 (revocation checking is the inspection system's policy; \
               a missing CRL does not fail PA); RFC 5280 §6.3.3",
        reason: "a CRL that does not parse, whose signature does not verify with its issuer, or whose signer \
                 lacks cRLSign carries no revocation information: docval reports it (CrlSignatureInvalid, \
                 CrlSignerNotAuthorized) and treats it like a missing CRL, as without -crl_check. OpenSSL's \
                 -crl_check fails the chain. Whoever can corrupt a CRL can also withhold it",
        matches: |o| {
            o.check == Check::Chain
                && o.docval
                && o.mutation_is("crl-")
                && !o.openssl
                && (o.openssl_errors.is_empty() || o.openssl_errors.iter().all(|e| UNUSABLE_CRL.contains(e)))
        },
    },
    Intended {
        kind: "CRL dates reported, not failed",
        rule: "RFC 5280 §5.1.2.4-5; Doc 9303-12 §7.1.4 (CRL issuance); PaOptions::fail_on_stale_crl",
        reason: "docval reports a CRL past its nextUpdate (RevocationStale, fails PA only under \
                 PaOptions::fail_on_stale_crl) and applies a CRL whose thisUpdate is after the check time \
                 (its revocations still count); OpenSSL fails the chain (CRL expired 12, not yet valid 11)",
        matches: |o| {
            o.check == Check::Chain
                && o.docval
                && !o.openssl_errors.is_empty()
                && o.openssl_errors.iter().all(|e| *e == 11 || *e == 12)
        },
    },
    Intended {
        kind: "certificate structure rules beyond the signature",
        rule: "RFC 5280 §4.1.1.2 (signatureAlgorithm MUST equal the TBS signature field) and §4.2 (no \
               extension more than once)",
        reason: "the certificate-signature check asks `openssl dgst` about the signature bytes alone, while \
                 docval's signed_by also refuses a certificate whose outer and TBS algorithms differ and its \
                 parser refuses repeated extensions and malformed fields (a flipped tag); openssl verify refuses both too (the chain check of the \
                 same mutations agrees)",
        matches: |o| {
            o.check == Check::CertSignature
                && !o.docval
                && o.openssl
                && (o.mutation_is("ds-tbs-signature-algorithm")
                    || o.docval_note.contains("repeated")
                    || o.docval_has(ReasonCode::DsCertificateUnparsable))
        },
    },
    Intended {
        kind: "embedded certificate must be well-formed X.509",
        rule: "RFC 5280 §4.1 (version, Time syntax) and §4.2 (one instance per extension); Doc 9303-12 §7.1 \
               (the Document Signer certificate profile)",
        reason: "docval refuses a signer certificate it cannot read as X.509 (a negative version, a malformed \
                 UTCTime, a repeated extension) before any signature check; `openssl cms -verify -noverify` \
                 takes the key of a certificate whose other fields it does not validate. docval is the stricter \
                 side",
        matches: |o| cms(o) && !o.docval && o.openssl && o.docval_has(ReasonCode::DsCertificateUnparsable),
    },
    Intended {
        kind: "unknown signatureAlgorithm refused",
        rule: "RFC 5652 §5.3 (signatureAlgorithm identifies the signature algorithm); RFC 5753 §2.1.1, RFC 5754 §3",
        reason: "docval refuses a SignerInfo whose signatureAlgorithm OID it does not know; OpenSSL 3.0 verifies an \
                 ECDSA SignerInfo by the key type and accepted OIDs such as 1.2.840.10045.5.3.3 (a bit flip of \
                 ecdsa-with-SHA384). docval is the stricter side",
        matches: |o| cms(o) && !o.docval && o.openssl && o.docval_has(ReasonCode::UnsupportedAlgorithm),
    },
    Intended {
        kind: "content-type attribute must equal eContentType",
        rule: "RFC 5652 §11.1 (the content-type attribute value MUST match the eContentType); Doc 9303-10 §4.6.2",
        reason: "docval compares the signed content-type attribute with the eContentType (unsigned); OpenSSL 3.0 \
                 accepted an SOD whose eContentType no longer matched it. docval is the stricter side",
        matches: |o| cms(o) && !o.docval && o.openssl && o.docval_note.contains("differs from eContentType"),
    },
];
