//! Webhook signatures and idempotency keys: how a receiver knows a request came from this
//! collector, was not altered, is not a replay, and is a retry of one it already handled.
//!
//! The scheme is Stripe's, which receivers already have code for: a header
//! `Wasmtrack-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with the
//! workflow's secret. The timestamp is inside the signed text, so a receiver that refuses old
//! timestamps refuses replays; several `v1` entries may appear so that while a secret is being
//! rotated a request is signed with both and receivers on either secret accept it. [`verify`]
//! is the receiver's side, here for tests and for documentation by example.
//!
//! A retry carries the same [`idempotency_key`] (and a fresh signature, since its time moved):
//! delivery is at least once, and the key is how a receiver makes it exactly once.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Wasmtrack-Signature";

/// The header carrying the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// How far a signature's time may be from the receiver's clock, in seconds, by default:
/// Stripe's five minutes.
pub const DEFAULT_TOLERANCE_S: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The header is not `t=…,v1=…` (no or several `t`, a `t` that is not a number, a `v1`
    /// that is not 64 hex digits).
    Malformed,
    /// The header has no `v1` entry.
    NoSignature,
    /// The timestamp is further than the tolerance from now: a replay, or a badly set clock.
    OutsideTolerance,
    /// No `v1` entry is the body's signature under this secret.
    Mismatch,
}

fn mac(secret: &str, body: &[u8], t: i64) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value signing `body` at `t` (unix seconds) with `secret`.
pub fn sign(secret: &str, body: &[u8], t: i64) -> String {
    let digest = mac(secret, body, t).finalize().into_bytes();
    format!("t={t},v1={}", crate::auth::hex(&digest))
}

/// Checks `header` against `body` and `secret` at time `now` (unix seconds): one of its `v1`
/// signatures must match (compared in constant time) and its `t` be within `tolerance_s` of
/// `now`. Entries of other schemes (`v0=`) are ignored, as Stripe's libraries do.
pub fn verify(
    secret: &str,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_s: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match key {
            "t" if t.is_none() => {
                t = Some(value.parse::<i64>().map_err(|_| VerifyError::Malformed)?);
            }
            "t" => return Err(VerifyError::Malformed),
            "v1" => signatures.push(unhex(value).ok_or(VerifyError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    if now.abs_diff(t) > tolerance_s.unsigned_abs() {
        return Err(VerifyError::OutsideTolerance);
    }
    let expected = mac(secret, body, t);
    if signatures
        .iter()
        .any(|s| expected.clone().verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// The idempotency key of step `step` (its index in the workflow's actions) of enrollment
/// `enrollment_id`: the same on every retry of that delivery, different for every other step
/// and enrollment, and free of anything secret.
pub fn idempotency_key(enrollment_id: u64, step: usize) -> String {
    format!("wt-enr{enrollment_id}-step{step}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BODY: &[u8] = br#"{"event":"signup"}"#;

    #[test]
    fn signs_like_an_independent_hmac() {
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test",
        //   b"1700000000." + b"{\"event\":\"signup\"}", hashlib.sha256).hexdigest())'
        assert_eq!(
            sign("whsec_test", BODY, 1_700_000_000),
            "t=1700000000,v1=d25826a229e73ff0c9c5e46d8299bccce8b6220fc65fd66048980ae88b1b586e"
        );
    }

    #[test]
    fn a_receiver_accepts_what_was_signed_within_the_tolerance() {
        let header = sign("s3cret", BODY, 1_000);
        assert_eq!(verify("s3cret", BODY, &header, 1_000, 300), Ok(()));
        assert_eq!(verify("s3cret", BODY, &header, 1_300, 300), Ok(()));
        assert_eq!(verify("s3cret", BODY, &header, 700, 300), Ok(()));
    }

    #[test]
    fn a_receiver_refuses_replays_alterations_and_other_secrets() {
        let header = sign("s3cret", BODY, 1_000);
        assert_eq!(
            verify("s3cret", BODY, &header, 1_301, 300),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            verify("s3cret", b"{\"event\":\"signuq\"}", &header, 1_000, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("other", BODY, &header, 1_000, 300),
            Err(VerifyError::Mismatch)
        );
        // The time is signed: moving it breaks the signature.
        let moved = header.replace("t=1000", "t=1001");
        assert_eq!(
            verify("s3cret", BODY, &moved, 1_000, 300),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let old = sign("old", BODY, 50);
        let new = sign("new", BODY, 50);
        let both = format!("{old},{}", new.split_once(',').unwrap().1);
        assert_eq!(verify("old", BODY, &both, 50, 5), Ok(()));
        assert_eq!(verify("new", BODY, &both, 50, 5), Ok(()));
        assert_eq!(
            verify("neither", BODY, &both, 50, 5),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        let good = sign("k", BODY, 9);
        let v1 = good.split_once(',').unwrap().1;
        for (header, err) in [
            ("", VerifyError::Malformed),
            ("t=9", VerifyError::NoSignature),
            ("t=9,v0=abc", VerifyError::NoSignature),
            (v1, VerifyError::Malformed),
            ("t=x,v1=00", VerifyError::Malformed),
            ("t=9,v1=zz", VerifyError::Malformed),
        ] {
            assert_eq!(verify("k", BODY, header, 9, 5), Err(err), "{header}");
        }
        let twice = format!("t=9,t=9,{v1}");
        assert_eq!(verify("k", BODY, &twice, 9, 5), Err(VerifyError::Malformed));
    }

    #[test]
    fn idempotency_keys_are_stable_per_delivery_and_distinct_across_them() {
        assert_eq!(idempotency_key(7, 2), idempotency_key(7, 2));
        assert_ne!(idempotency_key(7, 2), idempotency_key(7, 3));
        assert_ne!(idempotency_key(7, 2), idempotency_key(72, 2));
        assert_ne!(idempotency_key(1, 12), idempotency_key(11, 2));
    }

    proptest! {
        #[test]
        fn every_signature_verifies_and_no_other_body_does(
            secret in ".{0,40}",
            body in proptest::collection::vec(any::<u8>(), 0..200),
            other in proptest::collection::vec(any::<u8>(), 0..200),
            t in 0i64..4_000_000_000,
        ) {
            let header = sign(&secret, &body, t);
            prop_assert_eq!(verify(&secret, &body, &header, t, 0), Ok(()));
            if other != body {
                prop_assert_eq!(verify(&secret, &other, &header, t, 0), Err(VerifyError::Mismatch));
            }
        }

        #[test]
        fn idempotency_keys_never_collide(a in any::<(u64, usize)>(), b in any::<(u64, usize)>()) {
            prop_assert_eq!(idempotency_key(a.0, a.1) == idempotency_key(b.0, b.1), a == b);
        }
    }
}
