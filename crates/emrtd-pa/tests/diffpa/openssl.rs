//! Running the `openssl` command line tool on one comparison.

use std::path::PathBuf;
use std::process::{Command, Output};

/// OpenSSL's answer to one check.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub accept: bool,
    /// `X509_V_ERR_*` codes printed by `openssl verify` ("error N at D depth lookup").
    pub errors: Vec<u32>,
    /// The last line of OpenSSL's diagnostics.
    pub note: String,
}

/// The openssl tool and a private scratch directory.
pub struct Openssl {
    dir: PathBuf,
    n: u64,
}

/// `openssl version`, or `None` when the tool cannot be run.
pub fn version() -> Option<String> {
    let out = Command::new("openssl").arg("version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, r) = rest.split_at(rest.len().min(64));
        s.push_str(line);
        s.push('\n');
        rest = r;
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

fn last_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let std = String::from_utf8_lossy(&out.stdout);
    err.lines()
        .chain(std.lines())
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .chars()
        .take(160)
        .collect()
}

/// `X509_V_ERR_*` codes in `openssl verify` output.
fn verify_errors(out: &Output) -> Vec<u32> {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.split("error ").nth(1)
            && line.contains("depth lookup")
            && let Some(code) = rest.split(' ').next().and_then(|c| c.parse().ok())
            && !v.contains(&code)
        {
            v.push(code);
        }
    }
    v
}

impl Openssl {
    pub fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("docval-diffpa-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Openssl { dir, n: 0 })
    }

    fn file(&mut self, name: &str, data: &[u8]) -> Result<PathBuf, String> {
        self.n += 1;
        let p = self.dir.join(format!("{}-{name}", self.n % 8));
        std::fs::write(&p, data).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(p)
    }

    fn run(args: &[&str]) -> Result<Output, String> {
        Command::new("openssl")
            .args(args)
            .output()
            .map_err(|e| format!("openssl: {e}"))
    }

    /// `openssl cms -verify -binary -noverify -inform DER -in CI -out /dev/null`: the CMS
    /// signature with the embedded signer certificate, no chain.
    pub fn cms(&mut self, content_info: &[u8]) -> Result<Answer, String> {
        let f = self.file("ci.der", content_info)?;
        let fs = f.to_string_lossy().to_string();
        let out = Self::run(&[
            "cms",
            "-verify",
            "-binary",
            "-noverify",
            "-inform",
            "DER",
            "-in",
            &fs,
            "-out",
            "/dev/null",
        ])?;
        Ok(Answer {
            accept: out.status.success(),
            errors: Vec::new(),
            note: last_line(&out),
        })
    }

    /// `openssl verify -partial_chain -CAfile ANCHORS [-crl_check -CRLfile CRLS]
    /// (-attime T | -no_check_time) [-check_ss_sig] LEAF`.
    pub fn verify(
        &mut self,
        leaf: &[u8],
        anchors: &[Vec<u8>],
        crls: &[Vec<u8>],
        at: Option<i64>,
        check_ss_sig: bool,
    ) -> Result<Answer, String> {
        let leaf_f = self.file("leaf.pem", pem("CERTIFICATE", leaf).as_bytes())?;
        let ca: String = anchors.iter().map(|a| pem("CERTIFICATE", a)).collect();
        let ca_f = self.file("ca.pem", ca.as_bytes())?;
        let crl: String = crls.iter().map(|c| pem("X509 CRL", c)).collect();
        let crl_f = self.file("crl.pem", crl.as_bytes())?;
        let (leaf_s, ca_s, crl_s) = (
            leaf_f.to_string_lossy().to_string(),
            ca_f.to_string_lossy().to_string(),
            crl_f.to_string_lossy().to_string(),
        );
        let at_s = at.map(|t| t.to_string()).unwrap_or_default();
        let mut args = vec!["verify", "-partial_chain", "-CAfile", &ca_s];
        if !crls.is_empty() {
            args.extend(["-crl_check", "-CRLfile", &crl_s]);
        }
        if at.is_some() {
            args.extend(["-attime", &at_s]);
        } else {
            args.push("-no_check_time");
        }
        if check_ss_sig {
            args.push("-check_ss_sig");
        }
        args.push(&leaf_s);
        let out = Self::run(&args)?;
        let errors = verify_errors(&out);
        Ok(Answer {
            accept: out.status.success() && errors.is_empty(),
            errors,
            note: last_line(&out),
        })
    }

    /// `openssl crl -inform DER -in CRL -CAfile ISSUER -noout`: the CRL's signature
    /// ("verify OK"; OpenSSL 3.0 exits 0 on "verify failure" too, so the text decides).
    pub fn crl(&mut self, crl: &[u8], issuer: &[u8]) -> Result<Answer, String> {
        let crl_f = self.file("crl.der", crl)?;
        let ca_f = self.file("issuer.pem", pem("CERTIFICATE", issuer).as_bytes())?;
        let (crl_s, ca_s) = (crl_f.to_string_lossy().to_string(), ca_f.to_string_lossy().to_string());
        let out = Self::run(&["crl", "-inform", "DER", "-in", &crl_s, "-CAfile", &ca_s, "-noout"])?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(Answer {
            accept: out.status.success() && text.contains("verify OK") && !text.contains("verify failure"),
            errors: Vec::new(),
            note: last_line(&out),
        })
    }
}

/// The parts of a signed X.509 object (certificate or CRL) read with the TLV codec only:
/// (exact TBS bytes, outer signatureAlgorithm TLV, signature bytes).
fn signed_parts(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let t = emrtd_lds::asn1::first(der).ok()?;
    let c = emrtd_lds::asn1::children(&t).ok()?;
    let bits = c.get(2)?.value;
    if bits.first() != Some(&0) {
        return None;
    }
    Some((c.first()?.raw.to_vec(), c.get(1)?.raw.to_vec(), bits.get(1..)?.to_vec()))
}

/// The SubjectPublicKeyInfo TLV of a certificate (TLV codec only).
fn spki(der: &[u8]) -> Option<Vec<u8>> {
    let t = emrtd_lds::asn1::first(der).ok()?;
    let c = emrtd_lds::asn1::children(&t).ok()?;
    let tbs = emrtd_lds::asn1::children(c.first()?).ok()?;
    let base = usize::from(tbs.first()?.tag == emrtd_apdu::tlv::Tag(0xA0));
    Some(tbs.get(base + 5)?.raw.to_vec())
}

fn digest_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        _ => return None,
    })
}

/// `openssl dgst` options for a signature AlgorithmIdentifier: (digest, -sigopt values).
/// `None` for algorithms `dgst` cannot check (BSI plain ECDSA, unknown OIDs).
fn dgst_options(alg_tlv: &[u8]) -> Option<(&'static str, Vec<String>)> {
    let t = emrtd_lds::asn1::one(alg_tlv).ok()?;
    let c = emrtd_lds::asn1::children(&t).ok()?;
    let oid = emrtd_lds::asn1::read_oid(c.first()?).ok()?;
    let simple = match oid.as_str() {
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => Some("sha1"),
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => Some("sha224"),
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" => Some("sha256"),
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => Some("sha384"),
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => Some("sha512"),
        _ => None,
    };
    if let Some(d) = simple {
        return Some((d, Vec::new()));
    }
    if oid != "1.2.840.113549.1.1.10" {
        return None;
    }
    // RSASSA-PSS-params (RFC 4055): [0] hash (default SHA-1), [1] MGF1 with its hash, [2] salt
    // length (default 20).
    let mut hash = "sha1";
    let mut mgf_hash = "sha1";
    let mut salt = 20u64;
    if let Some(params) = c.get(1) {
        for p in params.children().ok()? {
            let p = p.ok()?;
            let inner = p.children().ok()?.next()?.ok()?;
            match p.tag.0 {
                0xA0 => {
                    let a = emrtd_lds::asn1::children(&inner).ok()?;
                    hash = digest_name(&emrtd_lds::asn1::read_oid(a.first()?).ok()?)?;
                }
                0xA1 => {
                    let a = emrtd_lds::asn1::children(&inner).ok()?;
                    let h = emrtd_lds::asn1::children(a.get(1)?).ok()?;
                    mgf_hash = digest_name(&emrtd_lds::asn1::read_oid(h.first()?).ok()?)?;
                }
                0xA2 => salt = emrtd_lds::asn1::read_small_int(&inner).ok()?,
                _ => {}
            }
        }
    }
    Some((
        hash,
        vec![
            "rsa_padding_mode:pss".into(),
            format!("rsa_pss_saltlen:{salt}"),
            format!("rsa_mgf1_md:{mgf_hash}"),
        ],
    ))
}

impl Openssl {
    /// `openssl dgst -HASH -verify ISSUER-KEY -signature SIG [-sigopt …] TBS`: the signature of
    /// a certificate with the issuer's public key, nothing else (the TBS, algorithm and
    /// signature are cut out with the TLV codec; the hash and PSS options come from the outer
    /// signatureAlgorithm). `Ok(None)` when dgst cannot check the algorithm.
    pub fn cert_signature(&mut self, cert: &[u8], issuer: &[u8]) -> Result<Option<Answer>, String> {
        let Some((tbs, alg, sig)) = signed_parts(cert) else {
            return Ok(Some(Answer {
                accept: false,
                errors: Vec::new(),
                note: "certificate structure not readable".into(),
            }));
        };
        let Some((digest, sigopts)) = dgst_options(&alg) else {
            return Ok(None);
        };
        let Some(key) = spki(issuer) else {
            return Ok(Some(Answer {
                accept: false,
                errors: Vec::new(),
                note: "issuer key not readable".into(),
            }));
        };
        let key_f = self.file("key.pem", pem("PUBLIC KEY", &key).as_bytes())?;
        let sig_f = self.file("sig.bin", &sig)?;
        let tbs_f = self.file("tbs.der", &tbs)?;
        let (k, s, t) = (
            key_f.to_string_lossy().to_string(),
            sig_f.to_string_lossy().to_string(),
            tbs_f.to_string_lossy().to_string(),
        );
        let dflag = format!("-{digest}");
        let mut args: Vec<&str> = vec!["dgst", &dflag, "-verify", &k, "-signature", &s];
        for o in &sigopts {
            args.extend(["-sigopt", o]);
        }
        args.push(&t);
        let out = Self::run(&args)?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(Some(Answer {
            accept: out.status.success() && text.contains("Verified OK"),
            errors: Vec::new(),
            note: last_line(&out),
        }))
    }
}

impl Drop for Openssl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
