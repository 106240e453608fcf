//! ECDSA verification on every supported curve (named curve keys; the same arithmetic serves
//! explicit parameters). Vectors: keys and signatures made with `openssl ecparam -genkey` /
//! `openssl dgst -sign` over the message below (independent of this code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_lds::pubkey::SubjectPublicKeyInfo;
use emrtd_pa::HashAlg;
use emrtd_pa::sig::{SigScheme, verify};

const MSG: &[u8] = b"docval ecdsa test message";

const VECTORS: &[(&str, HashAlg, &str, &str)] = &[
    (
        "secp224r1",
        HashAlg::Sha224,
        "304e301006072a8648ce3d020106052b81040021033a0004edfad30d670bcc5b1771169f4dfbe31919160628b6569909387f2641f5cb2a99b73d2bfc7e73eb88826853c6674949a68e71c58f7d32bec2",
        "303c021c703ef0914277ba1890af69eaa3b4c2d6b32eb4373ba08ac0215c0e64021c34083185149dcf3a0126751b8192620c938bf22aad5904968209107d",
    ),
    (
        "prime256v1",
        HashAlg::Sha256,
        "3059301306072a8648ce3d020106082a8648ce3d030107034200041e82296f24e4642bc65db84033bfb57cb524769d86981f4c6e5424134c621d0a587e157b91af053b0f187b01678e0ba8f39b515b88efb39458f8bd036e4c2bbc",
        "304502205ee996e93548b55cf96859159db42f0608d81f54c37f4df9d6bfe8df12b85e58022100dd8921194852b96c1304c69f30740bf42f9413d87a253c2711bbec629a31c344",
    ),
    (
        "secp384r1",
        HashAlg::Sha384,
        "3076301006072a8648ce3d020106052b8104002203620004b30b98eb5280e5abf15a49dbf8d4ac0245a7f72e736a06b4ceb07fab13e835c71b63601a75c745a4669a5ec48d1f9451431959093c43dda5b6ed24aa2e6c969d914ba9a0da33c0b03bd9d76aff0091933751eaf7d34fe47ae8a3e9ef486acc87",
        "3064023061437b62456ee5dc0ddbc13219cd2c623d3f7f2336d04106d4175522310715d7b3257e138bf1e5baf40375e2228ef70b0230128f4d1da1e94dfd4e0e2b987a8da58e88f81140f06df96d9e1a0ef71115315114ad18b24e8a7c2170df394deb3e01a6",
    ),
    (
        "secp521r1",
        HashAlg::Sha512,
        "30819b301006072a8648ce3d020106052b8104002303818600040027f1569d3270908086b95d4a4cef8a03ed60d8c769940d09a0b3bdacdd18ba7bdf8e11ba5b0822a5147f57ed8a387c8ec1af97e38258c89a84e577ea4a1dab4da2019b9398df000d1bdf941986f09f8efb3f87f7274660debfd2e7f9a331ac72d9420d0f53668bdc6b40765b53d7bd12226ec60a45f1a9867c9a7d89621cd486d1de4e",
        "30818702412583037dea237e8c4b5811cded8c9c5b1b3356cf11fd2d337ae2dfa64fa3f462fef5669dbcd55b61c2e554a97dcb1be98f2bb41ea61b584c44c56a18b6549362fc024200b199f4d066b141086298307dba949c03fb358e5cfea6553f2a2228ad32ce670b0ea2f7f798b2fc504b0a2d6005c33e05d80516ce3406a96b243a0c444a63232c3c",
    ),
    (
        "brainpoolP224r1",
        HashAlg::Sha224,
        "3052301406072a8648ce3d020106092b2403030208010105033a0004bb0830879976089f25d6c07250308ce65e3f0bf2be98825b4cf164eab49bbddfb6fa01c5498b24aea4841b8ba33f721761562c7db28b9ee0",
        "303d021d0096f2da6feb397b710ab67f91af379cafde8df5811343d77fe2040908021c4ca663d0b5794fd7e3cd90d9d829c3b7088845f1d3987246ae6e4d75",
    ),
    (
        "brainpoolP256r1",
        HashAlg::Sha256,
        "305a301406072a8648ce3d020106092b24030302080101070342000459b3a0cfdaeeaad038161b3671482cc7d87dced3662a100d73cbf091ce7dfaa46cabf12fc71ef83431cec18e09d8d7fef7675a3013f8b9051e82a5d46e081e64",
        "304502203a1b33804c5ab802587b08c6f5c8c4cc9058953a1caa308fc5e2af139490431802210098ac415481c1a5e3205a80134f78925872ac4442138d12e1e53f7bb79e1a8c07",
    ),
    (
        "brainpoolP320r1",
        HashAlg::Sha256,
        "306a301406072a8648ce3d020106092b2403030208010109035200041db86d08c36a291ce536ed64a052f0f8874face6597e7706c16d9bc39051a333e10e750f3db46a6754231de96c77d79799e287e3585e85734727d16910b3b01e217fa281efc9e5b9adeb662c09cb8c74",
        "3055022876280a994828c9c92571fc90a1e4935324e24b853b9ce8c7511ecc035172bc411ff409cca82e3d50022900918b008dc56ec0152b9edb6a77d8fdd9868dd81d01ed5d0fd1063c54b223e2e251644c09d9e843ce",
    ),
    (
        "brainpoolP384r1",
        HashAlg::Sha384,
        "307a301406072a8648ce3d020106092b240303020801010b0362000481fb769c602a0a307e08ba286d28094fb7960b944add4b113bed9869ab7de0df3bb4ad21d7027e57cfccfb608ed22ff74221406bf270e52cfe2647e6a4fac57e6464462a86c1cd75a23133757d65269a9f09748c8c36fb248f7998960206854c",
        "306402306d880d92900be697dbb250aa5061c981b27c5b1336bf1c318c2996e2866b8c30642f36f384dc3043c3dadc4599b775db02300a0e0502ba4f494eeb6ce32766da76c7d3a16e20294d1f929af9237df6fb4cb885bb24ca3a12e9d5cd59f652e3727e51",
    ),
    (
        "brainpoolP512r1",
        HashAlg::Sha512,
        "30819b301406072a8648ce3d020106092b240303020801010d03818200049676bd5290024aa79afe654de4c71f2a34bb8e7683b25f91a412587f974994b48e85e3d53cc1daf86aec87c07c324f8f2fbe55df29c5c3bd0f895ff2c29192e338e0e5e7e438ae6ca704e6a4861248d1f5b763620145dea7f2edb61bacf9b1027b31dcde01de3525fe857e1b6b7c47530f9905d5791823ee1c2ef2c8f9b81fc8",
        "3081860241008019b469425f00e78fef0f9e2c42112b46ca244f1778d8a81d9ebbc647cf0899d24a178f01fa868b54a3b752af08f91ef369c275a044f9491ab48b17bb54e264024100a3edb8698e21eec4e2f2d18c6592beacb08882beecfb751cc6d3b8ab75c6f5e6c189037b5fc0f6b345ba1b56d855e41eb0a7e92c7448cfa2d97d0060c42b82eb",
    ),
];

#[test]
fn openssl_signatures_verify_on_every_curve() {
    for (name, hash, spki, sig) in VECTORS {
        let spki = SubjectPublicKeyInfo::parse_bytes(&hex::decode(spki).unwrap()).unwrap();
        let sig = hex::decode(sig).unwrap();
        assert_eq!(
            verify(SigScheme::Ecdsa(*hash), &spki, None, MSG, &sig),
            Ok(true),
            "{name}"
        );
        // Another message fails.
        assert_eq!(
            verify(SigScheme::Ecdsa(*hash), &spki, None, b"other", &sig),
            Ok(false),
            "{name}"
        );
        // A flipped bit in r or s fails.
        for pos in [6, sig.len() - 3] {
            let mut bad = sig.clone();
            bad[pos] ^= 0x01;
            assert_eq!(
                verify(SigScheme::Ecdsa(*hash), &spki, None, MSG, &bad),
                Ok(false),
                "{name} at {pos}"
            );
        }
    }
}

#[test]
fn plain_signature_encoding_is_accepted() {
    // Re-encode the DER signatures as plain r || s (BSI TR-03111) of the order length.
    for (name, hash, spki, sig) in VECTORS {
        let spki_p = SubjectPublicKeyInfo::parse_bytes(&hex::decode(spki).unwrap()).unwrap();
        let der = hex::decode(sig).unwrap();
        let t = emrtd_apdu::Tlv::parse_exact(&der).unwrap();
        let ints: Vec<Vec<u8>> = t
            .children()
            .unwrap()
            .map(|c| emrtd_lds::asn1::strip_int(c.unwrap().value).to_vec())
            .collect();
        let domain = match &spki_p.key {
            emrtd_lds::pubkey::PublicKey::Ec { params, .. } => params.domain().unwrap(),
            _ => panic!(),
        };
        let n_len = domain.n.len();
        let mut plain = Vec::new();
        for i in &ints {
            plain.extend(std::iter::repeat_n(0u8, n_len - i.len()));
            plain.extend(i);
        }
        assert_eq!(
            verify(SigScheme::Ecdsa(*hash), &spki_p, None, MSG, &plain),
            Ok(true),
            "{name}"
        );
    }
}

#[test]
fn explicit_parameters_verify_like_named_ones() {
    // Replace the named-curve OID of each key by the explicit domain parameters.
    for (name, hash, spki, sig) in VECTORS {
        let named = SubjectPublicKeyInfo::parse_bytes(&hex::decode(spki).unwrap()).unwrap();
        let (oid, point) = match &named.key {
            emrtd_lds::pubkey::PublicKey::Ec {
                params: emrtd_lds::pubkey::EcParams::Named { oid, .. },
                point,
            } => (oid.clone(), point.clone()),
            other => panic!("{other:?}"),
        };
        let (_, _, explicit_der) = emrtd_lds::pubkey::NAMED_CURVES
            .iter()
            .find(|(_, o, _)| *o == oid)
            .unwrap();
        let explicit = hex::decode(explicit_der).unwrap();
        use emrtd_apdu::tlv::{Tag, encode, encode_constructed};
        let alg = encode_constructed(
            Tag(0x30),
            &[
                &encode(
                    Tag(0x06),
                    &emrtd_lds::asn1::oid_from_string("1.2.840.10045.2.1").unwrap(),
                ),
                &explicit,
            ],
        );
        let mut bits = vec![0u8];
        bits.extend(&point);
        let spki_explicit = encode_constructed(Tag(0x30), &[&alg, &encode(Tag(0x03), &bits)]);
        let k = SubjectPublicKeyInfo::parse_bytes(&spki_explicit).unwrap();
        assert!(matches!(
            &k.key,
            emrtd_lds::pubkey::PublicKey::Ec {
                params: emrtd_lds::pubkey::EcParams::Explicit { .. },
                ..
            }
        ));
        let sig = hex::decode(sig).unwrap();
        assert_eq!(verify(SigScheme::Ecdsa(*hash), &k, None, MSG, &sig), Ok(true), "{name}");
    }
}
