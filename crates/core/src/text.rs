//! Splitting and number parsing for the tracker's own text formats (stored queue, rule list,
//! JS facts): what `str::split(char)`, `split_once` and `str::parse` do, for one ASCII
//! separator and plain decimal digits. Core's versions are generic over patterns and types;
//! each use brings its own searcher (with memchr) or parser into every page's wasm.

/// The pieces of `text` between each `sep` (an ASCII byte), as `text.split(sep as char)`.
pub fn split(text: &str, sep: u8) -> Split<'_> {
    Split {
        rest: Some(text),
        sep,
    }
}

/// See [`split`].
pub struct Split<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        // An ASCII byte is never inside a multi-byte character: both sides are `str`s.
        match rest.bytes().position(|b| b == self.sep) {
            Some(at) => {
                self.rest = rest.get(at + 1..);
                rest.get(..at)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `text` around its first `sep`, as `text.split_once(sep as char)`.
pub fn split_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` around its last `sep`, as `text.rsplit_once(sep as char)`.
pub fn rsplit_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().rposition(|b| b == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// A decimal number of one or more digits (no sign, no spaces) that fits in a `u64`.
pub fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // Not `checked_mul`: on wasm32 its overflow test is a 128-bit multiply.
        let digit = u64::from(digit);
        (n <= (u64::MAX - digit) / 10).then(|| n * 10 + digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_like_str_split() {
        let pieces: Vec<&str> = split("a\tb\t\tc€\t", b'\t').collect();
        assert_eq!(pieces, ["a", "b", "", "c€", ""]);
        assert_eq!(split("", b'\n').collect::<Vec<_>>(), [""]);
        assert_eq!(split_once("k=v=w", b'='), Some(("k", "v=w")));
        assert_eq!(rsplit_once("a.b.c", b'.'), Some(("a.b", "c")));
        assert_eq!(split_once("kv", b'='), None);
    }

    #[test]
    fn parses_plain_decimal_numbers_only() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("1732370000000"), Some(1_732_370_000_000));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "18446744073709551616",
            "-1",
            "+1",
            " 1",
            "1.5",
            "1e3",
            "x",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_core(text in "[a-c\t\n€.]{0,12}", n in any::<u64>()) {
            for sep in [b'\t', b'\n', b'.'] {
                prop_assert_eq!(split(&text, sep).collect::<Vec<_>>(), text.split(sep as char).collect::<Vec<_>>());
                prop_assert_eq!(split_once(&text, sep), text.split_once(sep as char));
                prop_assert_eq!(rsplit_once(&text, sep), text.rsplit_once(sep as char));
            }
            prop_assert_eq!(parse_u64(&n.to_string()), Some(n));
        }
    }
}
