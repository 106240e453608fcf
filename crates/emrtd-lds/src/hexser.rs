//! Serde helpers: byte strings as upper-case hex.

use serde::Serializer;

pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(v))
}

pub mod opt {
    use serde::Serializer;
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&hex::encode_upper(v)),
            None => s.serialize_none(),
        }
    }
}

pub mod list {
    use serde::Serializer;
    use serde::ser::SerializeSeq;
    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for item in v {
            seq.serialize_element(&hex::encode_upper(item))?;
        }
        seq.end()
    }
}
