//! A small BER tree for structured mutations: parses definite and indefinite lengths,
//! re-encodes with DER lengths, and addresses nodes by child-index paths.

/// One TLV: primitive with its value, or constructed with its children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Prim { tag: Vec<u8>, value: Vec<u8> },
    Cons { tag: Vec<u8>, kids: Vec<Node> },
}

const MAX_DEPTH: usize = 40;

fn read_tag(input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let first = *input.first()?;
    let mut n = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *input.get(n)?;
            n += 1;
            if b & 0x80 == 0 {
                break;
            }
            if n > 5 {
                return None;
            }
        }
    }
    Some((input.get(..n)?.to_vec(), n))
}

/// Parses one TLV at the start of `input`; returns it and the number of bytes read.
pub fn parse(input: &[u8]) -> Option<(Node, usize)> {
    parse_at(input, 0)
}

fn parse_at(input: &[u8], depth: usize) -> Option<(Node, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (tag, tn) = read_tag(input)?;
    let constructed = tag.first()? & 0x20 != 0;
    let l0 = *input.get(tn)?;
    let mut pos = tn + 1;
    if l0 == 0x80 {
        if !constructed {
            return None;
        }
        let mut kids = Vec::new();
        loop {
            let rest = input.get(pos..)?;
            if rest.starts_with(&[0, 0]) {
                return Some((Node::Cons { tag, kids }, pos + 2));
            }
            let (k, n) = parse_at(rest, depth + 1)?;
            kids.push(k);
            pos += n;
        }
    }
    let len = if l0 & 0x80 == 0 {
        usize::from(l0)
    } else {
        let nb = usize::from(l0 & 0x7F);
        if nb > 4 {
            return None;
        }
        let mut v = 0usize;
        for i in 0..nb {
            v = (v << 8) | usize::from(*input.get(tn + 1 + i)?);
        }
        pos += nb;
        v
    };
    let value = input.get(pos..pos.checked_add(len)?)?;
    let end = pos + len;
    if constructed {
        let mut kids = Vec::new();
        let mut off = 0;
        while off < value.len() {
            let (k, n) = parse_at(value.get(off..)?, depth + 1)?;
            kids.push(k);
            off += n;
        }
        Some((Node::Cons { tag, kids }, end))
    } else {
        Some((
            Node::Prim {
                tag,
                value: value.to_vec(),
            },
            end,
        ))
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let sig = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | sig.len() as u8);
        out.extend_from_slice(sig);
    }
}

impl Node {
    pub fn prim(tag: u8, value: &[u8]) -> Node {
        Node::Prim {
            tag: vec![tag],
            value: value.to_vec(),
        }
    }

    pub fn cons(tag: u8, kids: Vec<Node>) -> Node {
        Node::Cons { tag: vec![tag], kids }
    }

    /// Parses exactly one TLV (no trailing bytes).
    pub fn from_der(input: &[u8]) -> Option<Node> {
        let (n, used) = parse(input)?;
        (used == input.len()).then_some(n)
    }

    /// DER-length encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Node::Prim { tag, value } => {
                out.extend_from_slice(tag);
                push_len(out, value.len());
                out.extend_from_slice(value);
            }
            Node::Cons { tag, kids } => {
                let mut body = Vec::new();
                for k in kids {
                    k.encode_into(&mut body);
                }
                out.extend_from_slice(tag);
                push_len(out, body.len());
                out.extend_from_slice(&body);
            }
        }
    }

    pub fn tag(&self) -> &[u8] {
        match self {
            Node::Prim { tag, .. } | Node::Cons { tag, .. } => tag,
        }
    }

    pub fn first_tag(&self) -> u8 {
        self.tag().first().copied().unwrap_or(0)
    }

    pub fn kids(&self) -> &[Node] {
        match self {
            Node::Cons { kids, .. } => kids,
            Node::Prim { .. } => &[],
        }
    }

    pub fn kids_mut(&mut self) -> Option<&mut Vec<Node>> {
        match self {
            Node::Cons { kids, .. } => Some(kids),
            Node::Prim { .. } => None,
        }
    }

    pub fn value_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Node::Prim { value, .. } => Some(value),
            Node::Cons { .. } => None,
        }
    }

    pub fn value(&self) -> Option<&[u8]> {
        match self {
            Node::Prim { value, .. } => Some(value),
            Node::Cons { .. } => None,
        }
    }

    pub fn at(&self, path: &[usize]) -> Option<&Node> {
        let mut cur = self;
        for i in path {
            cur = cur.kids().get(*i)?;
        }
        Some(cur)
    }

    pub fn at_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        let mut cur = self;
        for i in path {
            cur = cur.kids_mut()?.get_mut(*i)?;
        }
        Some(cur)
    }

    /// Index of the first child with this (one-byte) tag.
    pub fn find(&self, tag: u8) -> Option<usize> {
        self.kids().iter().position(|k| k.tag() == [tag])
    }
}

/// An OBJECT IDENTIFIER node from dotted text.
pub fn oid(s: &str) -> Node {
    Node::prim(0x06, &emrtd_lds::asn1::oid_from_string(s).unwrap_or_default())
}

/// The dotted text of an OBJECT IDENTIFIER node.
pub fn oid_text(n: &Node) -> Option<String> {
    if n.tag() != [0x06] {
        return None;
    }
    emrtd_lds::asn1::oid_to_string(n.value()?).ok()
}
