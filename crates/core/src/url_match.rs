//! How a page-view rule ([`super::rules`]) matches a page's URL.
//!
//! Matching runs on every page view and every SPA
//! navigation, so it is a few byte scans with no regex engine and no substring searcher.
//!
//! # How a URL rule reads a URL
//! * **Which part**: a rule starting with `/` is matched against the path and query only
//!   (`/pricing`); a rule containing `://` against the whole URL; any other rule against the
//!   URL without its scheme (`example.com/pricing`, `*.example.com/*`), except `Contains`,
//!   which looks at the whole URL.
//! * **Case**: scheme and host are compared case-insensitively (both sides are lowercased);
//!   path, query and fragment are case-sensitive, as servers treat them. A `Contains` needle
//!   is taken as written.
//! * **Fragment**: ignored, unless the rule itself contains `#` (hash-routed SPAs: `/#/cart`).
//! * **Query**: `Exact` and `Pattern` ignore it unless the rule contains `?`, so that
//!   `/pricing` still matches `/pricing?utm_source=ad`; `StartsWith` and `Contains` see it.
//! * **Trailing slash**: `Exact` and `Pattern` ignore one trailing `/` of the path on both sides
//!   (`/pricing/` = `/pricing`, `https://x.com` = `https://x.com/`, and `/blog/*` matches
//!   `/blog`); `StartsWith` and `Contains` do not, so `StartsWith("/blog/")` excludes `/blogging`.
//! * URLs are compared as written: no percent-decoding, default ports or `www.` folding
//!   (`location.href` is already normalised by the browser).

use alloc::string::String;

/// How a page-view rule matches the page's URL (see the module docs for normalisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRule {
    /// The URL is this one.
    Exact(String),
    /// The URL begins with this text.
    StartsWith(String),
    /// The URL contains this text anywhere.
    Contains(String),
    /// `*` matches any run of characters (also none); everything else is literal.
    Pattern(String),
}

/// Which part of a URL a rule is compared with.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    /// Path, then query and fragment when kept.
    Path,
    /// Host and the rest, without the scheme.
    NoScheme,
    /// Everything.
    Full,
}

impl UrlRule {
    /// The rule's text as the user wrote it.
    pub fn text(&self) -> &str {
        match self {
            UrlRule::Exact(t)
            | UrlRule::StartsWith(t)
            | UrlRule::Contains(t)
            | UrlRule::Pattern(t) => t,
        }
    }

    /// Whether the page at `url` (an absolute URL, `location.href`) matches this rule.
    pub fn matches(&self, url: &str) -> bool {
        let text = self.text();
        let anchored = matches!(self, UrlRule::Exact(_) | UrlRule::Pattern(_));
        let contains = matches!(self, UrlRule::Contains(_));
        let scope = if text.as_bytes().first() == Some(&b'/') {
            Scope::Path
        } else if contains || find(text.as_bytes(), b"://").is_some() {
            Scope::Full
        } else {
            Scope::NoScheme
        };
        let shape = Shape {
            scope,
            query: !anchored || text.bytes().any(|b| b == b'?'),
            fragment: text.bytes().any(|b| b == b'#'),
            strip_slash: anchored,
            add_slash: false,
        };
        let page = shape.apply(url);
        if contains {
            return text.is_empty() || find(page.as_bytes(), text.as_bytes()).is_some();
        }
        let rule = shape.apply(text);
        match self {
            UrlRule::Exact(_) => page == rule,
            UrlRule::StartsWith(_) => page.as_bytes().starts_with(rule.as_bytes()),
            // `/blog/*` matches `/blog` too: the page is also tried with its slash put back
            // (only with a `*`, so that a literal pattern stays exactly `Exact`).
            _ => {
                glob(rule.as_bytes(), page.as_bytes())
                    || (text.bytes().any(|b| b == b'*')
                        && glob(
                            rule.as_bytes(),
                            Shape {
                                add_slash: true,
                                ..shape
                            }
                            .apply(url)
                            .as_bytes(),
                        ))
            }
        }
    }

    /// The letter of the rule's kind in the rule-list text (`core::autotrack`).
    pub fn code(&self) -> char {
        match self {
            UrlRule::Exact(_) => 'e',
            UrlRule::StartsWith(_) => 's',
            UrlRule::Contains(_) => 'i',
            UrlRule::Pattern(_) => 'p',
        }
    }
}

/// The normalisation one rule applies to both the page URL and its own text.
struct Shape {
    scope: Scope,
    query: bool,
    fragment: bool,
    strip_slash: bool,
    /// Put one `/` back after the (stripped) path.
    add_slash: bool,
}

impl Shape {
    fn apply(&self, text: &str) -> String {
        let b = text.as_bytes();
        let end_of = |from: usize, stops: &[u8]| {
            b.iter()
                .skip(from)
                .position(|c| stops.contains(c))
                .map_or(b.len(), |p| p + from)
        };
        // The scheme counts only before the first `/?#`, so `/go?to=https://x` has none.
        let first_stop = end_of(0, b"/?#");
        let has_scheme = first_stop > 1
            && b.get(first_stop - 1) == Some(&b':')
            && b.get(first_stop..).is_some_and(|r| r.starts_with(b"//"));
        let host_start = if has_scheme { first_stop + 2 } else { 0 };
        let host_end = if has_scheme || b.first() != Some(&b'/') {
            end_of(host_start, b"/?#")
        } else {
            0
        };
        let path_end = end_of(host_end, b"?#");
        let query_end = end_of(path_end, b"#");
        let part = |from: usize, to: usize| text.get(from..to).unwrap_or("");

        let mut out = String::with_capacity(text.len());
        if self.scope == Scope::Full && has_scheme {
            out.push_str(part(0, host_start));
        }
        if self.scope != Scope::Path {
            out.push_str(part(host_start, host_end));
        }
        // Lowercasing ASCII keeps every index a char boundary.
        out.make_ascii_lowercase();
        // An authority without a path has the path `/`, as `location.href` writes it.
        let path = match part(host_end, path_end) {
            "" if host_end > 0 => "/",
            path => path,
        };
        out.push_str(if self.strip_slash {
            path.strip_suffix('/').unwrap_or(path)
        } else {
            path
        });
        if self.add_slash {
            out.push('/');
        }
        if self.query {
            out.push_str(part(path_end, query_end));
        }
        if self.fragment {
            out.push_str(part(query_end, b.len()));
        }
        out
    }
}

// A byte-window scan rather than `str::find`, whose substring searcher costs 1.5 KB of wasm.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `*`-only wildcard matching, linear in practice: on a mismatch only the last `*` backtracks.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(c) if text.get(t) == Some(c) => {
                p += 1;
                t += 1;
                continue;
            }
            None if t == text.len() => return true,
            _ => {}
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(s: &str) -> UrlRule {
        UrlRule::Exact(s.into())
    }

    #[test]
    fn exact_ignores_trailing_slash_query_and_fragment() {
        let r = exact("/pricing");
        assert!(r.matches("https://example.com/pricing"));
        assert!(r.matches("https://example.com/pricing/"));
        assert!(r.matches("https://example.com/pricing?utm_source=ad#plans"));
        assert!(!r.matches("https://example.com/pricing/team"));
        assert!(
            !r.matches("https://example.com/Pricing"),
            "paths are case-sensitive"
        );
        assert!(!r.matches("https://example.com/"));
        assert!(exact("/").matches("https://example.com"));
        assert!(exact("/").matches("https://example.com/?a=1"));
        assert!(exact("https://example.com").matches("https://example.com/"));
    }

    #[test]
    fn exact_full_urls_ignore_case_of_scheme_and_host_only() {
        let r = exact("HTTPS://Example.COM/Docs/");
        assert!(r.matches("https://example.com/Docs"));
        assert!(r.matches("https://EXAMPLE.com/Docs/?x#y"));
        assert!(!r.matches("https://example.com/docs"));
        assert!(
            !r.matches("http://example.com/Docs"),
            "the scheme counts when the rule has one"
        );
        assert!(!r.matches("https://example.org/Docs"));
    }

    #[test]
    fn a_rule_without_scheme_matches_host_and_path_on_any_scheme() {
        let r = exact("Example.com/pricing");
        assert!(r.matches("https://example.com/pricing"));
        assert!(r.matches("http://example.com/pricing/"));
        assert!(!r.matches("https://shop.example.com/pricing"));
        assert!(
            UrlRule::StartsWith("example.com/blog".into()).matches("https://example.com/blog/post")
        );
    }

    #[test]
    fn query_and_fragment_count_when_the_rule_mentions_them() {
        assert!(exact("/search?q=shoes").matches("https://x.com/search?q=shoes"));
        assert!(!exact("/search?q=shoes").matches("https://x.com/search?q=hats"));
        assert!(!exact("/search?q=shoes").matches("https://x.com/search"));
        let hash = exact("/#/cart");
        assert!(hash.matches("https://x.com/#/cart"));
        assert!(!hash.matches("https://x.com/#/home"));
        assert!(!hash.matches("https://x.com/"));
        assert!(
            !UrlRule::Contains("cart".into()).matches("https://x.com/#/cart"),
            "fragment ignored"
        );
        assert!(UrlRule::Contains("#/cart".into()).matches("https://x.com/#/cart"));
    }

    #[test]
    fn a_path_rule_never_sees_the_host() {
        assert!(!exact("/pricing").matches("https://pricing.com/"));
        assert!(exact("/go").matches("https://x.com/go?to=https://y.com/a"));
        assert!(!UrlRule::Contains("/y.com".into()).matches("https://y.com/a"));
    }

    #[test]
    fn starts_with_keeps_the_slash_and_sees_the_query() {
        let r = UrlRule::StartsWith("/blog/".into());
        assert!(r.matches("https://x.com/blog/first-post"));
        assert!(r.matches("https://x.com/blog/"));
        assert!(!r.matches("https://x.com/blog"));
        assert!(!r.matches("https://x.com/blogging"));
        assert!(UrlRule::StartsWith("/shop?cat=".into()).matches("https://x.com/shop?cat=shoes"));
        assert!(UrlRule::StartsWith("https://X.com/".into()).matches("https://x.com/anything"));
        assert!(
            UrlRule::StartsWith("/".into()).matches("https://x.com"),
            "empty path still starts with /"
        );
        assert!(UrlRule::StartsWith(String::new()).matches("https://x.com/a"));
    }

    #[test]
    fn contains_looks_anywhere_but_the_fragment() {
        let r = UrlRule::Contains("utm_source=newsletter".into());
        assert!(r.matches("https://x.com/a?utm_source=newsletter&b=1"));
        assert!(!r.matches("https://x.com/a?utm_source=ads"));
        assert!(
            UrlRule::Contains("checkout".into()).matches("https://shop.x.com/en/checkout/step-2")
        );
        assert!(UrlRule::Contains("https://".into()).matches("https://x.com/"));
        assert!(UrlRule::Contains(String::new()).matches("https://x.com/"));
        assert!(!UrlRule::Contains("Checkout".into()).matches("https://x.com/checkout"));
    }

    #[test]
    fn patterns_use_star_as_the_only_wildcard() {
        let p = |s: &str| UrlRule::Pattern(s.into());
        assert!(p("/blog/*").matches("https://x.com/blog/a/b"));
        assert!(
            p("/blog/*").matches("https://x.com/blog"),
            "trailing slash ignored, * may be empty"
        );
        assert!(p("/blog/*/comments").matches("https://x.com/blog/post-1/comments?page=2"));
        assert!(!p("/blog/*/comments").matches("https://x.com/blog/post-1/comments/new"));
        assert!(p("/products/*/reviews*").matches("https://x.com/products/42/reviews-all"));
        assert!(p("*.example.com/*").matches("https://shop.Example.com/cart"));
        assert!(!p("*.example.com/*").matches("https://example.org/cart"));
        assert!(p("*").matches("https://x.com/anything?at=all"));
        assert!(!p("/a?b").matches("https://x.com/axb"), "? is literal");
        assert!(p("/a?b=*").matches("https://x.com/a?b=1"));
        assert!(p("/**x**").matches("https://x.com/abcx"));
        assert!(!p("/*x*y").matches("https://x.com/axbxc"));
    }

    fn url() -> impl Strategy<Value = String> {
        (
            "(https?://[a-zA-Z.]{1,8})?",
            "(/[a-zA-Z0-9.*?#=/-]{0,6}){0,3}",
            "(\\?[a-z=&]{0,6})?",
            "(#[a-z/]{0,4})?",
        )
            .prop_map(|(a, b, c, d)| a + &b + &c + &d)
    }

    proptest! {
        #[test]
        fn a_pattern_without_star_is_exact(rule in url(), page in url()) {
            let literal = rule.replace('*', "");
            prop_assert_eq!(UrlRule::Pattern(literal.clone()).matches(&page), exact(&literal).matches(&page));
        }

        #[test]
        fn every_url_matches_itself(page in url()) {
            let page = format!("https://Ex.com{}", page.trim_start_matches(|c| c != '/'));
            prop_assert!(exact(&page).matches(&page));
            prop_assert!(UrlRule::StartsWith(page.clone()).matches(&page));
            prop_assert!(UrlRule::Pattern(page.replace('*', "")).matches(&page.replace('*', "")));
            prop_assert!(UrlRule::Pattern("*".into()).matches(&page));
        }

    }
}
