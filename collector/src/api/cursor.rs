//! Opaque paging cursors (`paging.next.after`): base64url text that clients pass back as is.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::ApiError;

/// Encodes `text` as a cursor.
pub fn encode(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Decodes a cursor made by [`encode`]; a 400 for anything else.
pub fn decode(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::field("after", "after is not a cursor this server returned"))
}

/// Decodes a cursor holding two integers `a:b`.
pub fn decode_pair(cursor: &str) -> Result<(i64, i64), ApiError> {
    let text = decode(cursor)?;
    text.split_once(':')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(|| ApiError::field("after", "after is not a cursor this server returned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(
            decode_pair(&encode("1700000000000:42")).ok(),
            Some((1_700_000_000_000, 42))
        );
        assert_eq!(decode(&encode("signup")).ok().as_deref(), Some("signup"));
        assert!(decode_pair("!!").is_err());
        assert!(decode_pair(&encode("x:y")).is_err());
    }
}
