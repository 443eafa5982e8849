//! UUID v4 text: the collector's own ids are formatted here from 16 random bytes, and every id
//! the tracker sends (which the browser makes, `browser/random.rs`) is checked with
//! [`is_uuid`] on both sides.

use alloc::string::String;

/// Formats 16 random bytes as a version 4, variant 1 UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-…`).
pub fn format_v4(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

/// Whether `s` is a UUID in the canonical lowercase or uppercase hyphenated form.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_version_and_variant_bits() {
        assert_eq!(format_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(
            format_v4([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert!(is_uuid(&format_v4([0x5a; 16])));
    }

    #[test]
    fn recognises_uuids() {
        assert!(is_uuid("0B8E6C7E-1F0A-4C4E-9A52-3C1B7C0E9D11"));
        assert!(!is_uuid("0b8e6c7e1f0a4c4e9a523c1b7c0e9d11"));
        assert!(!is_uuid("0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d1g"));
    }
}
