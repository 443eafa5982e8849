//! Sites (tenants): the id a tracker is initialised with, the origins its pages are served
//! from, and a public key the page may expose.
//!
//! Beacon ingestion is public, so the origin rule is what binds it to a site: a request whose
//! `Origin` is not listed is refused. Requests without `Origin` (servers, curl) and pages on
//! any origin are accepted only when the site lists `*`.

/// Largest number of origins one site may list.
pub const MAX_ORIGINS: usize = 100;

/// A stored site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Id the tracker sends as `site`.
    pub id: String,
    /// Allowed origins, normalized (`https://shop.example`, or `*`).
    pub origins: Vec<String>,
    /// Random public key, safe to expose in pages.
    pub public_key: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// Last change, epoch ms.
    pub updated_at: i64,
}

impl Site {
    /// Whether a request with this `Origin` header (or none) may post beacons for the site.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        if self.origins.iter().any(|o| o == "*") {
            return true;
        }
        match origin {
            Some(origin) => {
                let origin = origin.trim_end_matches('/');
                self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
            }
            None => false,
        }
    }
}

/// Whether `id` is a valid site id: 1–64 characters of `A-Za-z0-9_-.`.
pub fn valid_id(id: &str) -> bool {
    // A letter or digit first: `.` and `..` would read as paths wherever an id is one.
    id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Longest origin accepted: a scheme, a host of at most 253 characters and a port.
pub const MAX_ORIGIN_LEN: usize = 300;

/// Normalizes an origin as browsers send it: `scheme://host[:port]`, lowercase, no path and
/// no trailing slash; `*` stays `*`. `None` for anything else.
pub fn normalize_origin(text: &str) -> Option<String> {
    let text = text.trim();
    if text == "*" {
        return Some("*".into());
    }
    if text.len() > MAX_ORIGIN_LEN {
        return None;
    }
    let lower = text.trim_end_matches('/').to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    valid.then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_with_a_letter_or_digit_and_origins_are_bounded() {
        assert!(valid_id("shop.example") && valid_id("1st-site"));
        assert!(!valid_id(".") && !valid_id("..") && !valid_id("-x") && !valid_id(""));
        let long = format!("https://{}.example", "a".repeat(100_000));
        assert_eq!(normalize_origin(&long), None);
        let fine = format!("https://{}.example", "a".repeat(200));
        assert!(normalize_origin(&fine).is_some());
    }

    fn site(origins: &[&str]) -> Site {
        Site {
            id: "s".into(),
            origins: origins.iter().map(|o| o.to_string()).collect(),
            public_key: "k".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn listed_origins_only() {
        let s = site(&["https://shop.example", "http://localhost:8080"]);
        assert!(s.allows(Some("https://shop.example")));
        assert!(s.allows(Some("HTTPS://Shop.Example")));
        assert!(s.allows(Some("http://localhost:8080")));
        assert!(!s.allows(Some("https://evil.example")));
        assert!(!s.allows(Some("null")));
        assert!(!s.allows(None));
    }

    #[test]
    fn a_star_allows_everyone_and_servers() {
        let s = site(&["*"]);
        assert!(s.allows(Some("https://any.example")));
        assert!(s.allows(None));
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            normalize_origin("https://Shop.example/").as_deref(),
            Some("https://shop.example")
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(normalize_origin("*").as_deref(), Some("*"));
        assert_eq!(normalize_origin("shop.example"), None);
        assert_eq!(normalize_origin("https://shop.example/path"), None);
        assert!(valid_id("demo-site_1") && !valid_id("") && !valid_id("a b"));
    }
}
