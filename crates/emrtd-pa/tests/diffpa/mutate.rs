//! Structured mutations: of every SignedData of the corpus (signature bits, signed
//! attributes, digest and signature algorithm OIDs, certificates, SignerInfos, truncation,
//! trailing data, extra elements), and, with the test PKI's private keys
//! (`fixtures/pki/keys`), of a test SOD, the RSA Document Signer, its CSCA and its CRL
//! re-signed with altered contents and parameters.

use super::tree::{Node, oid, oid_text};
use super::{Case, Check, Corpus, Subject, chain_case};
use emrtd_pa::HashAlg;
use emrtd_pa::cert::Certificate;
use std::path::Path;

/// SplitMix64: a small deterministic generator (the runs are reproducible from the seed).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        let i = self.below(v.len());
        v.get(i)
    }
    pub fn flip_bit(&mut self, data: &mut [u8]) {
        if data.is_empty() {
            return;
        }
        let i = self.below(data.len());
        let bit = 1u8 << self.below(8);
        if let Some(b) = data.get_mut(i) {
            *b ^= bit;
        }
    }
}

const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const OID_ID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_SHA1_RSA: &str = "1.2.840.113549.1.1.5";
const OID_SHA256_RSA: &str = "1.2.840.113549.1.1.11";
const OID_SHA384_RSA: &str = "1.2.840.113549.1.1.12";
const OID_SHA512_RSA: &str = "1.2.840.113549.1.1.13";

const DIGEST_OIDS: &[&str] = &[
    "1.3.14.3.2.26",
    "2.16.840.1.101.3.4.2.4",
    "2.16.840.1.101.3.4.2.1",
    "2.16.840.1.101.3.4.2.2",
    "2.16.840.1.101.3.4.2.3",
    "1.2.840.113549.2.5",
    "1.2.3.4",
];

const SIGNATURE_OIDS: &[&str] = &[
    OID_RSA,
    OID_SHA1_RSA,
    OID_SHA256_RSA,
    OID_SHA384_RSA,
    OID_SHA512_RSA,
    "1.2.840.113549.1.1.10",
    "1.2.840.10045.4.1",
    "1.2.840.10045.4.3.1",
    "1.2.840.10045.4.3.2",
    "1.2.840.10045.4.3.3",
    "1.2.840.10045.4.3.4",
    "1.2.840.10045.2.1",
    "0.4.0.127.0.7.1.1.4.1.3",
];

fn hash_of_rsa_oid(o: &str) -> Option<HashAlg> {
    match o {
        OID_SHA1_RSA => Some(HashAlg::Sha1),
        OID_SHA256_RSA => Some(HashAlg::Sha256),
        OID_SHA384_RSA => Some(HashAlg::Sha384),
        OID_SHA512_RSA => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn rsa_oid_of_hash(h: HashAlg) -> &'static str {
    match h {
        HashAlg::Sha1 => OID_SHA1_RSA,
        HashAlg::Sha384 => OID_SHA384_RSA,
        HashAlg::Sha512 => OID_SHA512_RSA,
        _ => OID_SHA256_RSA,
    }
}

const HASHES: &[HashAlg] = &[HashAlg::Sha1, HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

fn alg(o: &str, null: bool) -> Node {
    let mut kids = vec![oid(o)];
    if null {
        kids.push(Node::prim(0x05, &[]));
    }
    Node::cons(0x30, kids)
}

fn attr(o: &str, values: Vec<Node>) -> Node {
    Node::cons(0x30, vec![oid(o), Node::cons(0x31, values)])
}

/// DigestInfo prefix (everything before the digest bytes).
fn digest_info_prefix(h: HashAlg, null: bool) -> Vec<u8> {
    let di = Node::cons(0x30, vec![alg(h.oid(), null), Node::prim(0x04, &vec![0; h.len()])]).encode();
    di.get(..di.len().saturating_sub(h.len())).unwrap_or_default().to_vec()
}

/// RSASSA-PKCS1-v1_5 over `msg` with hash `h`.
pub fn rsa_sign(key: &rsa::PrivateKey, h: HashAlg, msg: &[u8], null: bool) -> Option<Vec<u8>> {
    let d = h.digest(msg);
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: Some(d.len()),
        prefix: digest_info_prefix(h, null).into_boxed_slice(),
    };
    key.sign(scheme, &d).ok()
}

fn load_key(path: &Path) -> Result<rsa::PrivateKey, String> {
    use rsa::pkcs8::DecodePrivateKey;
    let der = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    rsa::PrivateKey::from_pkcs8_der(&der).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The test PKI pieces the re-signing mutations use.
pub struct Pki {
    pub csca: Vec<u8>,
    pub csca_key: rsa::PrivateKey,
    pub ds: Vec<u8>,
    pub ds_key: rsa::PrivateKey,
    pub crl: Vec<u8>,
    /// A ContentInfo of the corpus signed by `ds` (re-signable).
    pub sod: Option<(String, Vec<u8>)>,
    /// The check time of the chain mutations (2027-01-01).
    pub at: i64,
}

impl Pki {
    pub fn load(dir: &Path, corpus: &Corpus) -> Result<Pki, String> {
        let ds = read(&dir.join("ds-rsa-pkcs1.cer"))?;
        let sod = corpus
            .signed
            .iter()
            .find(|(n, k, _)| *k == "EF.SOD" && corpus.document_signers.iter().any(|(sn, d)| sn == n && *d == ds))
            .map(|(n, _, ci)| (n.clone(), ci.clone()));
        Ok(Pki {
            csca: read(&dir.join("csca-rsa.cer"))?,
            csca_key: load_key(&dir.join("keys/csca-rsa-4096.pk8"))?,
            ds,
            ds_key: load_key(&dir.join("keys/ds-rsa-pkcs1-2048.pk8"))?,
            crl: read(&dir.join("csca-rsa.crl"))?,
            sod,
            at: 1_798_761_600,
        })
    }
}

// ---- CMS navigation ----

/// Paths of a ContentInfo's parts.
struct Layout {
    sd: Vec<usize>,
    certs: Option<usize>,
    signers: usize,
    si: Vec<usize>,
    attrs: Option<usize>,
    digest_alg: usize,
    sig_alg: usize,
    sig: usize,
}

fn layout(root: &Node) -> Option<Layout> {
    let sd_path = vec![1, 0];
    let sd = root.at(&sd_path)?;
    let signers = sd.kids().iter().rposition(|k| k.tag() == [0x31])?;
    if signers < 3 {
        return None;
    }
    let certs = sd.kids().iter().position(|k| k.tag() == [0xA0]);
    let mut si = sd_path.clone();
    si.extend([signers, 0]);
    let si_node = root.at(&si)?;
    let attrs = si_node.kids().get(3).filter(|k| k.tag() == [0xA0]).map(|_| 3);
    let sig_alg = if attrs.is_some() { 4 } else { 3 };
    si_node.kids().get(sig_alg + 1)?;
    Some(Layout {
        sd: sd_path,
        certs,
        signers,
        si,
        attrs,
        digest_alg: 2,
        sig_alg,
        sig: sig_alg + 1,
    })
}

fn path(base: &[usize], rest: &[usize]) -> Vec<usize> {
    let mut p = base.to_vec();
    p.extend_from_slice(rest);
    p
}

/// The eContent OCTET STRING's value (first chunk of a constructed one).
fn econtent_mut<'a>(root: &'a mut Node, l: &Layout) -> Option<&'a mut Vec<u8>> {
    let oct = root.at_mut(&path(&l.sd, &[2, 1, 0]))?;
    if oct.tag() == [0x24] {
        oct.at_mut(&[0])?.value_mut()
    } else {
        oct.value_mut()
    }
}

fn econtent(root: &Node, l: &Layout) -> Option<Vec<u8>> {
    let oct = root.at(&path(&l.sd, &[2, 1, 0]))?;
    if oct.tag() == [0x24] {
        Some(
            oct.kids()
                .iter()
                .filter_map(|k| k.value())
                .flat_map(|v| v.iter().copied())
                .collect(),
        )
    } else {
        oct.value().map(<[u8]>::to_vec)
    }
}

/// Index of the attribute with this OID inside the signed attributes.
fn attr_index(attrs: &Node, o: &str) -> Option<usize> {
    attrs
        .kids()
        .iter()
        .position(|a| a.at(&[0]).and_then(oid_text).as_deref() == Some(o))
}

/// Re-signs the first SignerInfo with `key` (PKCS#1 v1.5, hash `h`) over its signed
/// attributes (or the eContent when there are none).
fn resign_cms(root: &mut Node, key: &rsa::PrivateKey, h: HashAlg, null: bool) -> Option<()> {
    let l = layout(root)?;
    let msg = match l.attrs {
        Some(a) => {
            let mut enc = root.at(&path(&l.si, &[a]))?.encode();
            *enc.first_mut()? = 0x31;
            enc
        }
        None => econtent(root, &l)?,
    };
    let sig = rsa_sign(key, h, &msg, null)?;
    *root.at_mut(&path(&l.si, &[l.sig]))?.value_mut()? = sig;
    Some(())
}

fn set_message_digest(root: &mut Node, h: HashAlg) -> Option<()> {
    let l = layout(root)?;
    let content = econtent(root, &l)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_MESSAGE_DIGEST)?;
    *attrs.at_mut(&[i, 1, 0])?.value_mut()? = h.digest(&content);
    Some(())
}

fn set_alg_oid(node: &mut Node, o: &str) -> Option<()> {
    *node.at_mut(&[0])? = oid(o);
    Some(())
}

// ---- generic CMS mutations ----

type CmsMutation = fn(&mut Rng, &mut Node, &Corpus) -> Option<String>;

fn m_sig_bit(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    r.flip_bit(root.at_mut(&path(&l.si, &[l.sig]))?.value_mut()?);
    Some("sig-bit-flip".into())
}

fn m_sig_truncate(_: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    root.at_mut(&path(&l.si, &[l.sig]))?.value_mut()?.pop();
    Some("sig-truncated".into())
}

fn m_econtent(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    r.flip_bit(econtent_mut(root, &l)?);
    Some("econtent-bit-flip".into())
}

fn m_md_flip(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_MESSAGE_DIGEST)?;
    r.flip_bit(attrs.at_mut(&[i, 1, 0])?.value_mut()?);
    Some("attr-message-digest-flip".into())
}

fn m_ct_change(_: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_CONTENT_TYPE)?;
    *attrs.at_mut(&[i, 1, 0])? = oid(OID_ID_DATA);
    Some("attr-content-type-id-data".into())
}

fn m_attr_drop(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?.kids_mut()?;
    if attrs.is_empty() {
        return None;
    }
    let i = r.below(attrs.len());
    let removed = attrs.remove(i);
    Some(format!(
        "attr-drop({})",
        removed.at(&[0]).and_then(oid_text).unwrap_or_default()
    ))
}

fn m_attr_reverse(_: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?.kids_mut()?;
    if attrs.len() < 2 {
        return None;
    }
    attrs.reverse();
    Some("attr-reorder".into())
}

fn m_digest_oid(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let o = *r.pick(DIGEST_OIDS)?;
    set_alg_oid(root.at_mut(&path(&l.si, &[l.digest_alg]))?, o)?;
    Some(format!("digest-oid({o})"))
}

fn m_sigalg_oid(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let o = *r.pick(SIGNATURE_OIDS)?;
    set_alg_oid(root.at_mut(&path(&l.si, &[l.sig_alg]))?, o)?;
    Some(format!("sigalg-oid({o})"))
}

fn m_digest_set(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let set = root.at_mut(&path(&l.sd, &[1]))?.kids_mut()?;
    if r.below(2) == 0 {
        set.clear();
        Some("digest-algorithms-empty".into())
    } else {
        set.clear();
        set.push(alg("1.2.3.4", true));
        Some("digest-algorithms-unknown".into())
    }
}

fn random_cert(r: &mut Rng, c: &Corpus) -> Option<Vec<u8>> {
    r.pick(&c.certs).map(|(_, d)| d.clone())
}

fn m_cert_swap(r: &mut Rng, root: &mut Node, c: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let other = Node::from_der(&random_cert(r, c)?)?;
    let certs = root.at_mut(&path(&l.sd, &[l.certs?]))?.kids_mut()?;
    certs.clear();
    certs.push(other);
    Some("cert-swap".into())
}

fn m_cert_prepend(r: &mut Rng, root: &mut Node, c: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let other = Node::from_der(&random_cert(r, c)?)?;
    root.at_mut(&path(&l.sd, &[l.certs?]))?.kids_mut()?.insert(0, other);
    Some("cert-prepend-other".into())
}

fn m_cert_remove(_: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    root.at_mut(&l.sd)?.kids_mut()?.remove(l.certs?);
    Some("cert-remove".into())
}

fn m_sid(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let sid = root.at_mut(&path(&l.si, &[1]))?;
    match sid {
        Node::Cons { tag, kids } if tag.as_slice() == [0x30] => {
            r.flip_bit(kids.get_mut(1)?.value_mut()?);
            Some("sid-serial-flip".into())
        }
        Node::Prim { value, .. } => {
            r.flip_bit(value);
            Some("sid-ski-flip".into())
        }
        _ => None,
    }
}

fn m_signer_dup(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let good = root.at(&l.si)?.clone();
    let mut bad = good.clone();
    r.flip_bit(bad.at_mut(&[l.sig])?.value_mut()?);
    let set = root.at_mut(&path(&l.sd, &[l.signers]))?.kids_mut()?;
    if r.below(2) == 0 {
        set.push(bad);
        Some("signer-info-second-bad".into())
    } else {
        set.insert(0, bad);
        Some("signer-info-first-bad".into())
    }
}

fn m_version(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let v = *r.pick(&[0u8, 2, 4, 5, 99])?;
    *root.at_mut(&path(&l.sd, &[0]))?.value_mut()? = vec![v];
    Some(format!("signed-data-version({v})"))
}

fn m_extra_element(r: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let targets = [
        (vec![], "content-info"),
        (l.sd.clone(), "signed-data"),
        (l.si.clone(), "signer-info"),
        (path(&l.si, &[l.sig_alg]), "signature-algorithm"),
        (path(&l.si, &[l.digest_alg]), "digest-algorithm"),
    ];
    let (p, what) = r.pick(&targets)?;
    root.at_mut(p)?.kids_mut()?.push(Node::prim(0x05, &[]));
    Some(format!("extra-element({what})"))
}

fn m_unsigned_attr(_: &mut Rng, root: &mut Node, _: &Corpus) -> Option<String> {
    let l = layout(root)?;
    let ua = Node::Cons {
        tag: vec![0xA1],
        kids: vec![attr("1.2.3.4.5", vec![Node::prim(0x04, b"unsigned")])],
    };
    root.at_mut(&l.si)?.kids_mut()?.push(ua);
    Some("unsigned-attribute".into())
}

const CMS_MUTATIONS: &[CmsMutation] = &[
    m_sig_bit,
    m_sig_truncate,
    m_econtent,
    m_md_flip,
    m_ct_change,
    m_attr_drop,
    m_attr_reverse,
    m_digest_oid,
    m_sigalg_oid,
    m_digest_set,
    m_cert_swap,
    m_cert_prepend,
    m_cert_remove,
    m_sid,
    m_signer_dup,
    m_version,
    m_extra_element,
    m_unsigned_attr,
];

/// Byte-level mutations of an encoding: truncation, trailing data, a flipped bit.
fn byte_mutation(r: &mut Rng, data: &[u8]) -> (String, Vec<u8>) {
    let mut d = data.to_vec();
    match r.below(3) {
        0 => {
            let cut = 1 + r.below(d.len().saturating_sub(1).max(1));
            d.truncate(cut);
            (format!("truncated({cut}/{})", data.len()), d)
        }
        1 => {
            let n = 1 + r.below(16);
            for _ in 0..n {
                d.push(if r.below(2) == 0 { 0 } else { r.next() as u8 });
            }
            (format!("trailing-data({n})"), d)
        }
        _ => {
            r.flip_bit(&mut d);
            ("raw-bit-flip".into(), d)
        }
    }
}

// ---- re-signed SOD mutations ----

type ResignMutation = fn(&mut Rng, &mut Node, &Pki) -> Option<String>;

fn wrong_digest(h: HashAlg) -> Node {
    Node::prim(0x04, &vec![0x5A; h.len()])
}

pub fn r_identity(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-identity".into())
}

fn r_md_dup(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?.kids_mut()?;
    let extra = attr(OID_MESSAGE_DIGEST, vec![wrong_digest(HashAlg::Sha256)]);
    let first = r.below(2) == 0;
    if first {
        attrs.insert(0, extra);
    } else {
        attrs.push(extra);
    }
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some(format!(
        "resign-message-digest-twice(wrong {})",
        if first { "first" } else { "last" }
    ))
}

fn r_md_two_values(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_MESSAGE_DIGEST)?;
    let values = attrs.at_mut(&[i, 1])?.kids_mut()?;
    let first = r.below(2) == 0;
    if first {
        values.insert(0, wrong_digest(HashAlg::Sha256));
    } else {
        values.push(wrong_digest(HashAlg::Sha256));
    }
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some(format!(
        "resign-message-digest-two-values(wrong {})",
        if first { "first" } else { "last" }
    ))
}

fn r_ct_dup(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?.kids_mut()?;
    let extra = attr(OID_CONTENT_TYPE, vec![oid(OID_ID_DATA)]);
    if r.below(2) == 0 {
        attrs.insert(0, extra);
    } else {
        attrs.push(extra);
    }
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-content-type-twice".into())
}

fn r_drop_attr(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let o = if r.below(2) == 0 {
        OID_CONTENT_TYPE
    } else {
        OID_MESSAGE_DIGEST
    };
    let i = attr_index(attrs, o)?;
    attrs.kids_mut()?.remove(i);
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some(format!("resign-without-attribute({o})"))
}

fn r_empty_attr(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let o = if r.below(2) == 0 {
        OID_CONTENT_TYPE
    } else {
        OID_MESSAGE_DIGEST
    };
    let i = attr_index(attrs, o)?;
    attrs.at_mut(&[i, 1])?.kids_mut()?.clear();
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some(format!("resign-empty-attribute({o})"))
}

fn r_digest_alg(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let h = *r.pick(HASHES)?;
    let hs = if r.below(2) == 0 { h } else { HashAlg::Sha256 };
    set_alg_oid(root.at_mut(&path(&l.si, &[l.digest_alg]))?, h.oid())?;
    set_message_digest(root, h)?;
    resign_cms(root, &p.ds_key, hs, true)?;
    Some(format!(
        "resign-digest-algorithm({:?}, signed with {:?}, sigalg sha256WithRSA)",
        h, hs
    ))
}

fn r_sigalg(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let o = *r.pick(&[OID_RSA, OID_SHA1_RSA, OID_SHA256_RSA, OID_SHA384_RSA, OID_SHA512_RSA])?;
    // Sign with the signature algorithm's hash or with the digest algorithm's (SHA-256).
    let hs = match (r.below(2), hash_of_rsa_oid(o)) {
        (0, Some(h)) => h,
        _ => HashAlg::Sha256,
    };
    set_alg_oid(root.at_mut(&path(&l.si, &[l.sig_alg]))?, o)?;
    resign_cms(root, &p.ds_key, hs, true)?;
    Some(format!("resign-signature-algorithm({o}, signed with {hs:?})"))
}

fn r_no_null(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    resign_cms(root, &p.ds_key, HashAlg::Sha256, false)?;
    Some("resign-digestinfo-without-null".into())
}

fn r_wrong_key(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    resign_cms(root, &p.csca_key, HashAlg::Sha256, true)?;
    Some("resign-with-other-key".into())
}

fn r_no_signed_attrs(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    root.at_mut(&l.si)?.kids_mut()?.remove(l.attrs?);
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-without-signed-attributes".into())
}

fn r_econtent(r: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    r.flip_bit(econtent_mut(root, &l)?);
    set_message_digest(root, HashAlg::Sha256)?;
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-changed-econtent".into())
}

pub fn r_signing_time(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    root.at_mut(&path(&l.si, &[l.attrs?]))?
        .kids_mut()?
        .push(attr(OID_SIGNING_TIME, vec![Node::prim(0x17, b"261201000000Z")]));
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-extra-signing-time".into())
}

fn r_md_short(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_MESSAGE_DIGEST)?;
    attrs.at_mut(&[i, 1, 0])?.value_mut()?.pop();
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-message-digest-truncated".into())
}

fn r_content_type_both(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    *root.at_mut(&path(&l.sd, &[2, 0]))? = oid(OID_ID_DATA);
    let attrs = root.at_mut(&path(&l.si, &[l.attrs?]))?;
    let i = attr_index(attrs, OID_CONTENT_TYPE)?;
    *attrs.at_mut(&[i, 1, 0])? = oid(OID_ID_DATA);
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-econtent-type-id-data".into())
}

fn r_sigalg_params_absent(_: &mut Rng, root: &mut Node, p: &Pki) -> Option<String> {
    let l = layout(root)?;
    *root.at_mut(&path(&l.si, &[l.sig_alg]))? = alg(OID_SHA256_RSA, false);
    resign_cms(root, &p.ds_key, HashAlg::Sha256, true)?;
    Some("resign-signature-algorithm-without-null".into())
}

const RESIGN_MUTATIONS: &[ResignMutation] = &[
    r_identity,
    r_md_dup,
    r_md_two_values,
    r_ct_dup,
    r_drop_attr,
    r_empty_attr,
    r_digest_alg,
    r_sigalg,
    r_no_null,
    r_wrong_key,
    r_no_signed_attrs,
    r_econtent,
    r_signing_time,
    r_md_short,
    r_content_type_both,
    r_sigalg_params_absent,
];

// ---- certificate and CRL mutations (re-signed with the test CSCA key) ----

/// Index of the first TBS field after the optional version.
fn tbs_base(tbs: &Node) -> usize {
    usize::from(tbs.kids().first().is_some_and(|k| k.tag() == [0xA0]))
}

fn resign_signed(cert: &mut Node, key: &rsa::PrivateKey, h: HashAlg) -> Option<()> {
    let tbs = cert.at(&[0])?.encode();
    let sig = rsa_sign(key, h, &tbs, true)?;
    let mut bits = vec![0u8];
    bits.extend(sig);
    *cert.at_mut(&[2])?.value_mut()? = bits;
    Some(())
}

fn ext(o: &str, critical: bool, value: Node) -> Node {
    let mut kids = vec![oid(o)];
    if critical {
        kids.push(Node::prim(0x01, &[0xFF]));
    }
    kids.push(Node::prim(0x04, &value.encode()));
    Node::cons(0x30, kids)
}

/// The extensions SEQUENCE of a certificate's TBS (created when absent).
fn extensions(cert: &mut Node) -> Option<&mut Vec<Node>> {
    let tbs = cert.at_mut(&[0])?;
    if tbs.find(0xA3).is_none() {
        tbs.kids_mut()?.push(Node::Cons {
            tag: vec![0xA3],
            kids: vec![Node::cons(0x30, vec![])],
        });
    }
    let i = tbs.find(0xA3)?;
    tbs.at_mut(&[i, 0])?.kids_mut()
}

fn remove_ext(cert: &mut Node, o: &str) -> Option<()> {
    let exts = extensions(cert)?;
    exts.retain(|e| e.at(&[0]).and_then(oid_text).as_deref() != Some(o));
    Some(())
}

const OID_KU: &str = "2.5.29.15";
const OID_BC: &str = "2.5.29.19";
const OID_AKI: &str = "2.5.29.35";

fn ku(first: u8) -> Node {
    let unused = if first == 0 { 0 } else { first.trailing_zeros() as u8 };
    Node::prim(0x03, &[unused, first])
}

fn set_ext(cert: &mut Node, o: &str, critical: bool, value: Option<Node>) -> Option<()> {
    remove_ext(cert, o)?;
    if let Some(v) = value {
        extensions(cert)?.push(ext(o, critical, v));
    }
    Some(())
}

fn utc_time(t: &str) -> Node {
    Node::prim(0x17, t.as_bytes())
}

/// (name, leaf, anchor, crl) → a chain case with the test PKI's time.
struct ChainParts {
    name: String,
    leaf: Vec<u8>,
    csca: Vec<u8>,
    crl: Option<Vec<u8>>,
}

type ChainMutation = fn(&mut Rng, &Pki) -> Option<ChainParts>;

fn parts(p: &Pki, name: String) -> ChainParts {
    ChainParts {
        name,
        leaf: p.ds.clone(),
        csca: p.csca.clone(),
        crl: Some(p.crl.clone()),
    }
}

/// The test DS certificate with its keyUsage extensions replaced by one per entry of
/// `usages` (first byte of the bit string), re-signed by the test CSCA.
pub fn ds_with_key_usages(p: &Pki, usages: &[u8]) -> Option<Vec<u8>> {
    mutate_ds(
        p,
        |c| {
            remove_ext(c, OID_KU)?;
            let exts = extensions(c)?;
            for u in usages {
                exts.push(ext(OID_KU, true, ku(*u)));
            }
            Some(())
        },
        HashAlg::Sha256,
    )
}

fn mutate_ds(p: &Pki, f: impl FnOnce(&mut Node) -> Option<()>, h: HashAlg) -> Option<Vec<u8>> {
    let mut c = Node::from_der(&p.ds)?;
    f(&mut c)?;
    resign_signed(&mut c, &p.csca_key, h)?;
    Some(c.encode())
}

fn mutate_csca(p: &Pki, f: impl FnOnce(&mut Node) -> Option<()>) -> Option<Vec<u8>> {
    let mut c = Node::from_der(&p.csca)?;
    f(&mut c)?;
    resign_signed(&mut c, &p.csca_key, HashAlg::Sha256)?;
    Some(c.encode())
}

fn mutate_crl(p: &Pki, f: impl FnOnce(&mut Node) -> Option<()>, key: &rsa::PrivateKey) -> Option<Vec<u8>> {
    let mut c = Node::from_der(&p.crl)?;
    f(&mut c)?;
    resign_signed(&mut c, key, HashAlg::Sha256)?;
    Some(c.encode())
}

fn c_ds_sig_bit(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut c = Node::from_der(&p.ds)?;
    let bits = c.at_mut(&[2])?.value_mut()?;
    let i = 1 + r.below(bits.len().saturating_sub(1));
    if let Some(b) = bits.get_mut(i) {
        *b ^= 1 << r.below(8);
    }
    let mut out = parts(p, "ds-signature-bit-flip".into());
    out.leaf = c.encode();
    Some(out)
}

fn c_ds_bytes(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let (name, leaf) = byte_mutation(r, &p.ds);
    let mut out = parts(p, format!("ds-{name}"));
    out.leaf = leaf;
    Some(out)
}

fn c_ds_identity(_: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut out = parts(p, "ds-resign-identity".into());
    out.leaf = mutate_ds(p, |_| Some(()), HashAlg::Sha256)?;
    Some(out)
}

fn c_ds_ku(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let choices: [(&str, Option<u8>); 5] = [
        ("keyCertSign", Some(0x04)),
        ("nonRepudiation", Some(0x40)),
        ("keyEncipherment", Some(0x20)),
        ("absent", None),
        ("digitalSignature+keyCertSign", Some(0x84)),
    ];
    let (name, v) = *r.pick(&choices)?;
    let mut out = parts(p, format!("ds-key-usage({name})"));
    out.leaf = mutate_ds(p, |c| set_ext(c, OID_KU, true, v.map(ku)), HashAlg::Sha256)?;
    Some(out)
}

fn bc(ca: Option<bool>) -> Node {
    match ca {
        Some(true) => Node::cons(0x30, vec![Node::prim(0x01, &[0xFF])]),
        Some(false) => Node::cons(0x30, vec![Node::prim(0x01, &[0x00])]),
        None => Node::cons(0x30, vec![]),
    }
}

fn c_ds_bc(_: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut out = parts(p, "ds-basic-constraints-ca".into());
    out.leaf = mutate_ds(p, |c| set_ext(c, OID_BC, true, Some(bc(Some(true)))), HashAlg::Sha256)?;
    Some(out)
}

fn c_ds_unknown_critical(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let critical = r.below(2) == 0;
    let mut out = parts(p, format!("ds-unknown-extension(critical {critical})"));
    out.leaf = mutate_ds(
        p,
        |c| set_ext(c, "1.2.3.4.5.6", critical, Some(Node::prim(0x05, &[]))),
        HashAlg::Sha256,
    )?;
    Some(out)
}

fn c_ds_validity(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let (name, nb, na) = *r.pick(&[
        ("expired", "150101000000Z", "261201000000Z"),
        ("not-yet-valid", "270601000000Z", "350101000000Z"),
        ("valid", "260101000000Z", "300101000000Z"),
    ])?;
    let mut out = parts(p, format!("ds-validity({name})"));
    out.leaf = mutate_ds(
        p,
        |c| {
            let tbs = c.at_mut(&[0])?;
            let v = tbs_base(tbs) + 3;
            *tbs.at_mut(&[v])? = Node::cons(0x30, vec![utc_time(nb), utc_time(na)]);
            Some(())
        },
        HashAlg::Sha256,
    )?;
    Some(out)
}

fn c_ds_alg(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let h = *r.pick(HASHES)?;
    let which = r.below(3);
    let o = rsa_oid_of_hash(h);
    let name = match which {
        0 => format!("ds-outer-signature-algorithm({h:?}, TBS sha256)"),
        1 => format!("ds-tbs-signature-algorithm({h:?}, outer sha256)"),
        _ => format!("ds-signature-algorithm({h:?})"),
    };
    let mut c = Node::from_der(&p.ds)?;
    if which != 1 {
        *c.at_mut(&[1])? = alg(o, true);
    }
    if which != 0 {
        let tbs = c.at_mut(&[0])?;
        let i = tbs_base(tbs) + 1;
        *tbs.at_mut(&[i])? = alg(o, true);
    }
    resign_signed(&mut c, &p.csca_key, if which == 2 { h } else { HashAlg::Sha256 })?;
    let mut out = parts(p, name);
    out.leaf = c.encode();
    Some(out)
}

fn c_ds_aki(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let absent = r.below(2) == 0;
    let mut out = parts(
        p,
        format!("ds-authority-key-id({})", if absent { "absent" } else { "other" }),
    );
    let value = (!absent).then(|| {
        Node::cons(
            0x30,
            vec![Node::Prim {
                tag: vec![0x80],
                value: vec![0x42; 20],
            }],
        )
    });
    out.leaf = mutate_ds(p, |c| set_ext(c, OID_AKI, false, value), HashAlg::Sha256)?;
    Some(out)
}

fn c_ds_version1(_: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut out = parts(p, "ds-version-1-without-extensions".into());
    out.leaf = mutate_ds(
        p,
        |c| {
            let tbs = c.at_mut(&[0])?.kids_mut()?;
            tbs.retain(|k| k.tag() != [0xA0] && k.tag() != [0xA3]);
            Some(())
        },
        HashAlg::Sha256,
    )?;
    Some(out)
}

fn c_ds_dup_ext(_: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut out = parts(p, "ds-key-usage-twice".into());
    out.leaf = mutate_ds(
        p,
        |c| {
            extensions(c)?.push(ext(OID_KU, true, ku(0x04)));
            Some(())
        },
        HashAlg::Sha256,
    )?;
    Some(out)
}

fn c_ds_revoked(_: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let ds = Certificate::from_der(&p.ds).ok()?;
    let mut out = parts(p, "crl-revokes-ds".into());
    out.crl = Some(mutate_crl(
        p,
        |c| {
            let tbs = c.at_mut(&[0])?;
            let entry = Node::cons(0x30, vec![Node::prim(0x02, &ds.serial), utc_time("260601000000Z")]);
            // revokedCertificates follows nextUpdate (index 4 with a version, else 3).
            let base = usize::from(tbs.kids().first().is_some_and(|k| k.tag() == [0x02]));
            let i = base + 4;
            match tbs.kids().get(i) {
                Some(k) if k.tag() == [0x30] => tbs.at_mut(&[i])?.kids_mut()?.push(entry),
                _ => {
                    let at = i.min(tbs.kids().len());
                    tbs.kids_mut()?.insert(at, Node::cons(0x30, vec![entry]))
                }
            }
            Some(())
        },
        &p.csca_key,
    )?);
    Some(out)
}

fn crl_times(p: &Pki, this: &str, next: &str) -> Option<Vec<u8>> {
    mutate_crl(
        p,
        |c| {
            let tbs = c.at_mut(&[0])?;
            let base = usize::from(tbs.kids().first().is_some_and(|k| k.tag() == [0x02]));
            *tbs.at_mut(&[base + 2])? = utc_time(this);
            *tbs.at_mut(&[base + 3])? = utc_time(next);
            Some(())
        },
        &p.csca_key,
    )
}

fn c_crl_times(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let (name, this, next) = *r.pick(&[
        ("stale", "260101000000Z", "260201000000Z"),
        ("not-yet-valid", "270601000000Z", "280101000000Z"),
        ("fresh", "261201000000Z", "270601000000Z"),
    ])?;
    let mut out = parts(p, format!("crl-times({name})"));
    out.crl = Some(crl_times(p, this, next)?);
    Some(out)
}

fn c_crl_bad_sig(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let mut out;
    if r.below(2) == 0 {
        out = parts(p, "crl-signature-bit-flip".into());
        let mut c = Node::from_der(&p.crl)?;
        let bits = c.at_mut(&[2])?.value_mut()?;
        let i = 1 + r.below(bits.len().saturating_sub(1));
        if let Some(b) = bits.get_mut(i) {
            *b ^= 1 << r.below(8);
        }
        out.crl = Some(c.encode());
    } else {
        out = parts(p, "crl-signed-by-other-key".into());
        out.crl = Some(mutate_crl(p, |_| Some(()), &p.ds_key)?);
    }
    Some(out)
}

fn c_crl_alg(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let h = *r.pick(HASHES)?;
    let mut c = Node::from_der(&p.crl)?;
    let outer_only = r.below(2) == 0;
    *c.at_mut(&[1])? = alg(rsa_oid_of_hash(h), true);
    if !outer_only {
        let tbs = c.at_mut(&[0])?;
        let base = usize::from(tbs.kids().first().is_some_and(|k| k.tag() == [0x02]));
        *tbs.at_mut(&[base])? = alg(rsa_oid_of_hash(h), true);
    }
    resign_signed(&mut c, &p.csca_key, if outer_only { HashAlg::Sha256 } else { h })?;
    let mut out = parts(
        p,
        format!(
            "crl-signature-algorithm({h:?}{})",
            if outer_only { ", outer only" } else { "" }
        ),
    );
    out.crl = Some(c.encode());
    Some(out)
}

fn c_crl_bytes(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let (name, crl) = byte_mutation(r, &p.crl);
    let mut out = parts(p, format!("crl-{name}"));
    out.crl = Some(crl);
    Some(out)
}

fn c_csca(r: &mut Rng, p: &Pki) -> Option<ChainParts> {
    let choice = r.below(7);
    let (name, csca) = match choice {
        0 => (
            "csca-key-usage(cRLSign only)",
            mutate_csca(p, |c| set_ext(c, OID_KU, true, Some(ku(0x02))))?,
        ),
        1 => (
            "csca-key-usage(digitalSignature)",
            mutate_csca(p, |c| set_ext(c, OID_KU, true, Some(ku(0x80))))?,
        ),
        2 => (
            "csca-key-usage(absent)",
            mutate_csca(p, |c| set_ext(c, OID_KU, true, None))?,
        ),
        3 => (
            "csca-basic-constraints(cA false)",
            mutate_csca(p, |c| set_ext(c, OID_BC, true, Some(bc(Some(false)))))?,
        ),
        4 => (
            "csca-basic-constraints(absent)",
            mutate_csca(p, |c| set_ext(c, OID_BC, true, None))?,
        ),
        5 => (
            "csca-unknown-critical-extension",
            mutate_csca(p, |c| set_ext(c, "1.2.3.4.5.6", true, Some(Node::prim(0x05, &[]))))?,
        ),
        _ => (
            "csca-validity(expired)",
            mutate_csca(p, |c| {
                let tbs = c.at_mut(&[0])?;
                let v = tbs_base(tbs) + 3;
                *tbs.at_mut(&[v])? = Node::cons(0x30, vec![utc_time("150101000000Z"), utc_time("260101000000Z")]);
                Some(())
            })?,
        ),
    };
    let mut out = parts(p, name.into());
    out.csca = csca;
    Some(out)
}

const CHAIN_MUTATIONS: &[ChainMutation] = &[
    c_ds_sig_bit,
    c_ds_bytes,
    c_ds_identity,
    c_ds_ku,
    c_ds_bc,
    c_ds_unknown_critical,
    c_ds_validity,
    c_ds_alg,
    c_ds_aki,
    c_ds_version1,
    c_ds_dup_ext,
    c_ds_revoked,
    c_crl_times,
    c_crl_bad_sig,
    c_crl_alg,
    c_crl_bytes,
    c_csca,
];

/// `n` mutation cases from the seed: round robin over the CMS mutations of every signed
/// object, the re-signed SOD mutations, byte-level mutations of the signed objects, and the
/// chain/CRL mutations of the test PKI (a chain case, plus a CRL-signature case when the CRL
/// changed).
pub fn cases(c: &Corpus, pki_dir: &Path, n: usize, seed: u64) -> Result<Vec<Case>, String> {
    let p = Pki::load(pki_dir, c)?;
    let mut r = Rng::new(seed);
    let parsed: Vec<(String, Node)> = c
        .signed
        .iter()
        .filter_map(|(name, _, ci)| super::tree::parse(ci).map(|(node, _)| (name.clone(), node)))
        .collect();
    let sod = p
        .sod
        .as_ref()
        .and_then(|(name, ci)| Node::from_der(ci).map(|n| (name.clone(), n)));
    let mut out = Vec::new();
    let mut attempts = 0usize;
    while out.len() < n && attempts < n.saturating_mul(4) + 16 {
        attempts += 1;
        let family = attempts % 4;
        match family {
            0 | 1 => {
                let Some((name, node)) = r.pick(&parsed) else { continue };
                let mut m = node.clone();
                let f = *r.pick(CMS_MUTATIONS).ok_or("no mutations")?;
                let Some(label) = f(&mut r, &mut m, c) else { continue };
                out.push(Case {
                    check: Check::CmsSignature,
                    input: name.clone(),
                    mutation: label,
                    subject: Subject::Cms(m.encode()),
                });
            }
            2 => {
                if r.below(2) == 0 {
                    let Some((name, _, ci)) = r.pick(&c.signed) else {
                        continue;
                    };
                    let (label, data) = byte_mutation(&mut r, ci);
                    out.push(Case {
                        check: Check::CmsSignature,
                        input: name.clone(),
                        mutation: label,
                        subject: Subject::Cms(data),
                    });
                } else if let Some((name, node)) = &sod {
                    let mut m = node.clone();
                    let f = *r.pick(RESIGN_MUTATIONS).ok_or("no mutations")?;
                    let Some(label) = f(&mut r, &mut m, &p) else { continue };
                    out.push(Case {
                        check: Check::CmsSignature,
                        input: name.clone(),
                        mutation: label,
                        subject: Subject::Cms(m.encode()),
                    });
                }
            }
            _ => {
                let f = *r.pick(CHAIN_MUTATIONS).ok_or("no mutations")?;
                let Some(parts) = f(&mut r, &p) else { continue };
                let input = "fixtures/pki/ds-rsa-pkcs1.cer".to_string();
                if parts.crl.as_deref() != Some(p.crl.as_slice())
                    && let Some(crl) = &parts.crl
                {
                    out.push(Case {
                        check: Check::CrlSignature,
                        input: "fixtures/pki/csca-rsa.crl".into(),
                        mutation: parts.name.clone(),
                        subject: Subject::Crl {
                            crl: crl.clone(),
                            issuer: parts.csca.clone(),
                        },
                    });
                }
                if parts.leaf != p.ds {
                    out.push(Case {
                        check: Check::CertSignature,
                        input: input.clone(),
                        mutation: parts.name.clone(),
                        subject: Subject::CertSig {
                            cert: parts.leaf.clone(),
                            issuer: parts.csca.clone(),
                        },
                    });
                }
                out.push(Case {
                    check: Check::Chain,
                    input,
                    mutation: parts.name,
                    subject: Subject::Chain {
                        leaf: parts.leaf,
                        anchors: vec![parts.csca],
                        crls: parts.crl.into_iter().collect(),
                        at: Some(p.at),
                    },
                });
            }
        }
    }
    let _ = chain_case;
    Ok(out)
}
