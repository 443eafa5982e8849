//! Writing selectors: identifiers and strings escaped as `CSS.escape` escapes them,
//! `:nth-of-type(n)` and the combinators. Every piece of a selector is written here, so that a
//! name with any character in it (`md:flex`, `1st-item`, quotes) still gives a selector the
//! browser reads as meant.

use crate::payload::push_int;
use alloc::string::String;

/// Appends `ident` as a CSS identifier, escaped like `CSS.escape`.
pub fn push_ident(out: &mut String, ident: &str) {
    if ident == "-" {
        out.push_str("\\-");
        return;
    }
    let leading_dash = ident.starts_with('-');
    for (i, c) in ident.chars().enumerate() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\u{1}'..='\u{1f}' | '\u{7f}' => push_hex(out, c),
            '0'..='9' if i == 0 || (i == 1 && leading_dash) => push_hex(out, c),
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '\u{80}'..=char::MAX => out.push(c),
            _ => {
                out.push('\\');
                out.push(c);
            }
        }
    }
}

/// Appends `value` as a double-quoted CSS string.
pub fn push_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\u{1}'..='\u{1f}' | '\u{7f}' => push_hex(out, c),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_hex(out: &mut String, c: char) {
    out.push('\\');
    let v = c as u32;
    let mut started = false;
    for shift in (0..8).rev() {
        let digit = (v >> (shift * 4)) & 0xf;
        if digit != 0 || started || shift == 0 {
            started = true;
            out.push(char::from_digit(digit, 16).unwrap_or('0'));
        }
    }
    out.push(' ');
}

pub(super) fn ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_ident(&mut out, s);
    out
}

pub(super) fn push_nth(out: &mut String, index: usize) {
    out.push_str(":nth-of-type(");
    push_int(out, index as i64);
    out.push(')');
}

/// `outer inner`, or `outer > inner` when `outer` is `inner`'s parent.
pub(super) fn join(outer: &str, parent: bool, inner: &str) -> String {
    [outer, if parent { " > " } else { " " }, inner].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::test_dom::unique;

    #[test]
    fn identifiers_and_values_are_escaped() {
        assert_eq!(
            unique(r#"<div id="1st-item" pick></div><div></div>"#),
            r"#\31 st-item"
        );
        assert_eq!(
            unique(r#"<div class="md:flex" pick></div><div class="w-1/2"></div>"#),
            r".md\:flex"
        );
        assert_eq!(
            unique(r#"<div class="w-1/2" pick></div><div class="md:flex"></div>"#),
            r".w-1\/2"
        );
        assert_eq!(
            unique(r#"<div class="-2x" pick></div><div></div>"#),
            r".-\32 x"
        );
        assert_eq!(
            unique(r#"<b data-label='Say "hi" \o/' pick></b><b></b>"#),
            r#"[data-label="Say \"hi\" \\o/"]"#
        );
        assert_eq!(
            unique(r#"<i id="été 2024" pick></i><i></i>"#),
            r"#été\ 2024"
        );
        let mut out = String::new();
        push_ident(&mut out, "-");
        push_ident(&mut out, "a\u{1}\0");
        push_string(&mut out, "\n");
        assert_eq!(out, "\\-a\\1 \u{FFFD}\"\\a \"");
    }
}
