//! git's pkt-line framing (four hex digits of length, then the payload).

/// Append one data line.
pub fn push_line(buf: &mut Vec<u8>, line: &str) {
    buf.extend_from_slice(format!("{:04x}", line.len() + 4).as_bytes());
    buf.extend_from_slice(line.as_bytes());
}

pub const FLUSH: &[u8] = b"0000";
pub const DELIM: &[u8] = b"0001";

/// One decoded packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    Data(&'a [u8]),
    Flush,
    Delim,
    ResponseEnd,
}

/// Why a body is not pkt-line framed: a typed value, so a caller can wrap
/// it (the ref-listing parsers do) instead of carrying its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PktLineError {
    /// Fewer than four bytes where a length belongs.
    #[error("truncated pkt-line header")]
    TruncatedHeader,
    /// A length that is not four hex digits (the header, lossily decoded).
    #[error("bad pkt-line length {0:?}")]
    BadLength(String),
    /// Length 3, which no packet can have.
    #[error("bad pkt-line length 3")]
    LengthThree,
    /// A length past the end of the body.
    #[error("truncated pkt-line")]
    Truncated,
}

/// Split a response body into packets; `Err` on malformed framing.
pub fn decode(mut body: &[u8]) -> Result<Vec<Packet<'_>>, PktLineError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let head = body.get(..4).ok_or(PktLineError::TruncatedHeader)?;
        let len = std::str::from_utf8(head)
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(|| PktLineError::BadLength(String::from_utf8_lossy(head).into_owned()))?;
        match len {
            0 => out.push(Packet::Flush),
            1 => out.push(Packet::Delim),
            2 => out.push(Packet::ResponseEnd),
            3 => return Err(PktLineError::LengthThree),
            _ => {
                let data = body.get(4..len).ok_or(PktLineError::Truncated)?;
                out.push(Packet::Data(data));
            }
        }
        body = &body[len.max(4)..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = Vec::new();
        push_line(&mut b, "command=ls-refs\n");
        b.extend_from_slice(DELIM);
        push_line(&mut b, "peel\n");
        b.extend_from_slice(FLUSH);
        assert_eq!(&b[..4], b"0014");
        let p = decode(&b).unwrap();
        assert_eq!(
            p,
            [
                Packet::Data(b"command=ls-refs\n"),
                Packet::Delim,
                Packet::Data(b"peel\n"),
                Packet::Flush
            ]
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode(b"zzzz").is_err());
        assert!(decode(b"00ffab").is_err());
    }
}
