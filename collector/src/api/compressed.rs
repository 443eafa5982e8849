//! Beacon bodies the tracker compresses: gzip, recognised by its magic bytes (`1f 8b`), because
//! the header that would say so (`Content-Encoding`) is not CORS-safelisted and would cost
//! every beacon a preflight. A JSON text never starts with those bytes, so a body that does not
//! is read exactly as before (old trackers, `sendBeacon` on a leaving page, other clients).
//!
//! Decompression is bounded: it stops one byte past [`MAX_INFLATED_BYTES`], so a small body
//! that inflates without end (a "zip bomb") is answered 413 after at most that much memory.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;

use crate::error::{ApiError, ErrorDetail, MAX_INFLATED_BYTES};

/// gzip's first two bytes (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The body as sent when it is not gzip; else decompressed, at most [`MAX_INFLATED_BYTES`].
/// A body that starts like gzip but does not decompress is a 400 naming the problem.
pub fn inflate(body: &[u8]) -> Result<Cow<'_, [u8]>, ApiError> {
    if !body.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(body));
    }
    // JSON compresses 5–10 times; start there rather than grow from nothing.
    let mut out = Vec::with_capacity(body.len().saturating_mul(8).min(MAX_INFLATED_BYTES + 1));
    MultiGzDecoder::new(body)
        .take(MAX_INFLATED_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            ApiError::invalid(
                ErrorDetail::new(
                    "MALFORMED_GZIP",
                    format!("The body starts like gzip (bytes 1f 8b) but does not decompress: {e}"),
                )
                .at("body"),
            )
        })?;
    if out.len() > MAX_INFLATED_BYTES {
        return Err(ApiError::InflatedTooLarge);
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(bytes).expect("in memory");
        gz.finish().expect("in memory")
    }

    #[test]
    fn a_plain_body_is_read_as_it_is() {
        let body = br#"{"site":"s","events":[]}"#;
        assert!(matches!(inflate(body), Ok(Cow::Borrowed(b)) if b == body));
        assert!(matches!(inflate(b""), Ok(Cow::Borrowed(b""))));
    }

    #[test]
    fn a_gzip_body_is_decompressed_and_concatenated_members_are_read_whole() {
        let body = br#"{"site":"s","events":[]}"#;
        assert_eq!(inflate(&gzip(body)).expect("gzip").as_ref(), body);
        let mut two = gzip(b"{\"site\":");
        two.extend(gzip(b"\"s\",\"events\":[]}"));
        assert_eq!(inflate(&two).expect("two members").as_ref(), body);
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        let exactly = gzip(&vec![b' '; MAX_INFLATED_BYTES]);
        assert_eq!(
            inflate(&exactly).expect("at the limit").len(),
            MAX_INFLATED_BYTES
        );
        let bomb = gzip(&vec![b' '; 64 * MAX_INFLATED_BYTES]);
        assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
        assert!(matches!(inflate(&bomb), Err(ApiError::InflatedTooLarge)));
    }

    #[test]
    fn a_damaged_gzip_body_is_refused_with_the_reason() {
        let mut cut = gzip(br#"{"site":"s","events":[]}"#);
        cut.truncate(cut.len() - 6);
        let mut flipped = gzip(br#"{"site":"s","events":[]}"#);
        let last = flipped.len() - 5;
        flipped[last] ^= 0xff;
        for body in [vec![0x1f, 0x8b, 0, 0], cut, flipped] {
            match inflate(&body) {
                Err(ApiError::Validation { message, .. }) => {
                    assert!(message.contains("does not decompress"), "{message}")
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }
}
