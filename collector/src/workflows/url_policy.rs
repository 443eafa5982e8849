//! Which webhook URLs a workflow may call: a server-side request forgery guard.
//!
//! Whoever edits a workflow chooses a URL the collector will POST to from inside its network,
//! so without a guard a workflow could reach the cloud metadata service
//! (`169.254.169.254`), an admin port on `127.0.0.1`, or a database on `10.0.0.5`. By default
//! [`UrlPolicy`] refuses every address that is not public unicast; `allow_private` (a flag for
//! development and intranet installs) lifts that.
//!
//! Two moments check: [`UrlPolicy::check_url`] when a workflow is saved (the text, and a host
//! given as a literal address), and [`UrlPolicy::check_resolved`] at delivery, after DNS
//! resolution, because a name's addresses can change at any time (DNS rebinding). The delivery
//! code (still to be built) must connect to the very addresses it checked, not resolve again,
//! and must not follow redirects (see `retry.rs`).
//!
//! URLs are parsed with `http::Uri` (re-exported by axum), not the `url` crate: the check
//! needs only the scheme, the authority and the host, and `url` would bring `idna` and a dozen
//! ICU crates. The price is that `http::Uri` does not interpret hosts as the WHATWG URL
//! standard does (`http://0x7f.1/` is 127.0.0.1 to a browser-style parser and to
//! `inet_aton`), so such ambiguous numeric hosts are refused outright, and names must be plain
//! ASCII letters, digits, hyphens and dots (an international name is given in its `xn--` form).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::Uri;

/// Longest accepted webhook URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Which destinations webhooks may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow loopback, private, link-local and other non-public addresses (development,
    /// intranets). Off by default.
    pub allow_private: bool,
}

/// A webhook URL that passed [`UrlPolicy::check_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    /// The parsed URL.
    pub uri: Uri,
    /// Its host.
    pub host: Host,
    /// Its port, explicit or the scheme's (80, 443).
    pub port: u16,
}

/// A URL's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A literal address, already checked.
    Ip(IpAddr),
    /// A name, lowercase, without a trailing dot: its addresses are checked after resolution.
    Name(String),
}

impl UrlPolicy {
    /// Checks a webhook URL: `http` or `https`, a host, no user name or password (they would
    /// be sent to the receiver and shown to everyone who can read the workflow), at most
    /// [`MAX_URL_LEN`] bytes, and, for a literal address, [`UrlPolicy::check_ip`]. The error
    /// is a sentence for the person who typed the URL.
    pub fn check_url(&self, text: &str) -> Result<CheckedUrl, String> {
        if text.is_empty() {
            return Err("a webhook URL is required".into());
        }
        if text.len() > MAX_URL_LEN {
            return Err(format!("the URL is longer than {MAX_URL_LEN} characters"));
        }
        let uri: Uri = text.parse().map_err(|_| {
            "not a valid URL (an absolute http or https URL, e.g. https://example.com/hook)"
                .to_owned()
        })?;
        let port = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("https") => 443,
            Some("http") => 80,
            Some(other) => {
                return Err(format!(
                    "the URL's scheme must be http or https, not {other}"
                ))
            }
            None => return Err("the URL must be absolute, starting with https://".into()),
        };
        let authority = uri.authority().ok_or("the URL has no host")?;
        if authority.as_str().contains('@') {
            return Err("the URL must not contain a user name or password".into());
        }
        let port = match authority.port_u16() {
            Some(0) => return Err("the URL's port must not be 0".into()),
            Some(p) => p,
            None => port,
        };
        let host = parse_host(authority.host())?;
        match &host {
            Host::Ip(ip) => self.check_ip(*ip)?,
            Host::Name(name) => self.check_name(name)?,
        }
        Ok(CheckedUrl { uri, host, port })
    }

    /// Checks one address: unless private addresses are allowed, only public unicast passes.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        match refusal(ip) {
            None => Ok(()),
            Some(why) => Err(format!(
                "{ip} is {why}; webhooks may only call public addresses"
            )),
        }
    }

    /// Checks the addresses a host name resolved to. All must pass, since the connection may
    /// use any of them; none at all is an error too.
    pub fn check_resolved(&self, addrs: &[IpAddr]) -> Result<(), String> {
        if addrs.is_empty() {
            return Err("the host resolved to no address".into());
        }
        addrs.iter().try_for_each(|ip| self.check_ip(*ip))
    }

    fn check_name(&self, name: &str) -> Result<(), String> {
        // RFC 6761: `localhost` and its subdomains are loopback, whatever DNS says.
        if !self.allow_private && (name == "localhost" || name.ends_with(".localhost")) {
            return Err(format!(
                "{name} is a loopback name; webhooks may only call public addresses"
            ));
        }
        Ok(())
    }
}

fn parse_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| format!("{host} is not a valid IPv6 address"));
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let labels_ok = name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !labels_ok {
        return Err(format!(
            "{host} is not a valid host name (ASCII letters, digits, hyphens and dots; international names in their xn-- form)"
        ));
    }
    // A last label that is a number makes the whole host an IPv4 address to browser-style
    // parsers and to inet_aton (`127.1`, `0x7f.0.0.1`, `2130706433`, `0177.0.0.1`); only the
    // plain dotted-quad form, parsed above, is unambiguous.
    let last = name.rsplit('.').next().unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hex || last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{host} is a numeric host that is not a plain IPv4 address (write it as four decimal numbers, e.g. 203.0.113.7)"
        ));
    }
    Ok(Host::Name(name))
}

/// Why `ip` is not public unicast, or `None` when it is.
fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "an unspecified (\"this network\") address"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([100, 64, 0, 0], 10, "a carrier-grade NAT (shared) address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local address (the cloud metadata service lives there)",
        ),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 0, 0, 0], 24, "an IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([192, 168, 0, 0], 16, "a private address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([240, 0, 0, 0], 4, "a reserved address"),
    ];
    RANGES
        .iter()
        .find(|(net, bits, _)| in_v4(ip, *net, *bits))
        .map(|(_, _, why)| *why)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    // IPv6 forms that carry an IPv4 address reach that address: mapped (`::ffff:a.b.c.d`),
    // the deprecated compatible form (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4
    // (`2002:aabb:ccdd::`). Each is judged by the IPv4 address inside.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        return refusal_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refusal_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return refusal_v4(embedded(s[1], s[2]));
    }
    match s[0] {
        0xfe80..=0xfebf => Some("a link-local address"),
        0xfec0..=0xfeff => Some("a site-local address"),
        0xfc00..=0xfdff => Some("a private (unique local) address"),
        0xff00..=0xffff => Some("a multicast address"),
        0x2001 if s[1] == 0x0db8 => Some("a documentation address"),
        0x2001 if s[1] == 0 => Some("a Teredo tunnel address"),
        0x0100 if s[1..4] == [0, 0, 0] => Some("a discard-only address"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_private: false,
    };
    const OPEN: UrlPolicy = UrlPolicy {
        allow_private: true,
    };

    fn refused(text: &str) -> String {
        match STRICT.check_url(text) {
            Err(e) => e,
            Ok(url) => panic!("{text} passed as {url:?}"),
        }
    }

    #[test]
    fn accepts_public_https_and_http_urls() {
        let url = STRICT
            .check_url("https://hooks.example.com/in?x=1")
            .unwrap();
        assert_eq!(url.host, Host::Name("hooks.example.com".into()));
        assert_eq!(url.port, 443);
        let url = STRICT.check_url("http://Example.COM.:8080/").unwrap();
        assert_eq!(url.host, Host::Name("example.com".into()));
        assert_eq!(url.port, 8080);
        let url = STRICT.check_url("https://93.184.216.34/hook").unwrap();
        assert_eq!(url.host, Host::Ip("93.184.216.34".parse().unwrap()));
        assert!(STRICT.check_url("https://[2606:4700::1111]/").is_ok());
        assert!(STRICT.check_url("https://xn--bcher-kva.example/").is_ok());
    }

    #[test]
    fn refuses_malformed_urls_with_a_reason() {
        assert!(refused("").contains("required"));
        assert!(refused("ftp://example.com/").contains("http or https"));
        assert!(refused("/relative/path").contains("absolute"));
        assert!(
            refused("example.com/hook").contains("absolute")
                || refused("example.com/hook").contains("valid")
        );
        assert!(refused("https://user:pw@example.com/").contains("password"));
        assert!(refused("https://token@example.com/").contains("user name"));
        assert!(refused("https://exa mple.com/").contains("valid"));
        assert!(refused("https://example.com:0/").contains("port"));
        assert!(refused("https://-bad-.example/").contains("host name"));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(refused(&long).contains("longer"));
        let just = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN - 20));
        assert!(STRICT.check_url(&just).is_ok());
    }

    #[test]
    fn refuses_internal_literal_addresses_unless_allowed() {
        for url in [
            "http://127.0.0.1/",
            "http://127.9.9.9:8080/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://192.0.2.1/",
            "http://[::1]/",
            "http://[::]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[ff02::1]/",
            "http://[2001:db8::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::]/",
            "http://localhost:3000/",
            "http://api.localhost/",
        ] {
            assert!(refused(url).contains("public"), "{url}: {}", refused(url));
            assert!(OPEN.check_url(url).is_ok(), "{url}");
        }
        assert!(refused("http://169.254.169.254/").contains("metadata"));
        assert!(STRICT.check_url("http://172.32.0.1/").is_ok());
        assert!(STRICT.check_url("http://[::ffff:8.8.8.8]/").is_ok());
    }

    #[test]
    fn refuses_numeric_hosts_other_parsers_read_as_addresses() {
        for url in [
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://0x7f000001/",
            "http://1.2.3.4.5/",
        ] {
            assert!(refused(url).contains("numeric"), "{url}: {}", refused(url));
        }
        // A numeric label elsewhere than last is an ordinary name.
        assert!(STRICT.check_url("http://1.example.com/").is_ok());
    }

    #[test]
    fn resolved_addresses_must_all_be_public() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(STRICT.check_resolved(&[public]).is_ok());
        assert!(STRICT.check_resolved(&[public, metadata]).is_err());
        assert!(STRICT.check_resolved(&[]).is_err());
        assert!(OPEN.check_resolved(&[metadata]).is_ok());
    }

    proptest! {
        #[test]
        fn an_ipv4_address_and_its_mapped_ipv6_form_are_judged_alike(bits in any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let mapped = IpAddr::V6(v4.to_ipv6_mapped());
            prop_assert_eq!(STRICT.check_ip(IpAddr::V4(v4)).is_ok(), STRICT.check_ip(mapped).is_ok());
        }

        #[test]
        fn private_ranges_are_refused_whatever_the_host_part(a in any::<u8>(), b in any::<u8>(), c in any::<u8>()) {
            for ip in [[10, a, b, c], [127, a, b, c], [192, 168, b, c], [169, 254, b, c], [172, 16 | (a & 15), b, c]] {
                prop_assert!(STRICT.check_ip(IpAddr::V4(Ipv4Addr::from(ip))).is_err());
            }
        }

        #[test]
        fn check_url_never_panics(text in "\\PC{0,64}") {
            let _ = STRICT.check_url(&text);
        }
    }
}
