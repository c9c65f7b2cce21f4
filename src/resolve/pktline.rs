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

/// Split a response body into packets; `Err` on malformed framing.
pub fn decode(mut body: &[u8]) -> Result<Vec<Packet<'_>>, String> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let head = body.get(..4).ok_or("truncated pkt-line header")?;
        let len = std::str::from_utf8(head)
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("bad pkt-line length {:?}", String::from_utf8_lossy(head)))?;
        match len {
            0 => out.push(Packet::Flush),
            1 => out.push(Packet::Delim),
            2 => out.push(Packet::ResponseEnd),
            3 => return Err("bad pkt-line length 3".into()),
            _ => {
                let data = body.get(4..len).ok_or("truncated pkt-line")?;
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
