//! Sending one webhook attempt: the only code here that talks to receivers, so every guard on
//! that traffic lives in it.
//!
//! * **Addresses.** A URL's literal address is checked with the [`UrlPolicy`] before anything
//!   is sent, and a name is resolved by [`CheckedResolver`], which refuses the answer unless
//!   every address passes; the connection is then made to those very addresses, so a name
//!   that changes its answer between a check and a connect (DNS rebinding) gains nothing.
//! * **Redirects** are never followed (hyper's client does not): a 3xx is a failed attempt
//!   (`retry::classify`), because its target would bypass the check above.
//! * **Time.** Connecting may take [`CONNECT_TIMEOUT`]; the whole attempt, answer body
//!   included, [`ATTEMPT_TIMEOUT`].
//! * **Size.** At most [`MAX_ANSWER_BYTES`] of an answer are read, and [`MAX_DETAIL_CHARS`] of
//!   it kept for the history; a receiver streaming forever is cut off.
//! * **Connections.** At most [`PER_RECEIVER`] attempts to one receiver (scheme, host and port)
//!   run at once and [`MAX_CONCURRENT`] in all ([`Deliverer::slot`]); the pool keeps no more
//!   idle connections than that, so a receiver that answers slowly holds at most
//!   [`PER_RECEIVER`] connections and other receivers are not kept waiting behind it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::steps::duration_text;
use super::url_policy::{Host, UrlPolicy};

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Longest wait for a connection (TCP and TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest attempt, from the first byte sent to the last byte of the answer read.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Most bytes of an answer read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Most characters of an answer kept in the history.
pub const MAX_DETAIL_CHARS: usize = 500;

/// Most attempts running at once to one receiver.
pub const PER_RECEIVER: usize = 4;

/// Most attempts running at once in all.
pub const MAX_CONCURRENT: usize = 64;

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The answer's status; `None` when none came (timeout, refused connection, TLS failure).
    pub status: Option<u16>,
    /// From sending to the end of the answer (or the failure), ms.
    pub latency_ms: i64,
    /// The answer's `Retry-After`, as sent.
    pub retry_after: Option<String>,
    /// The start of the answer's body, or why no answer came.
    pub detail: Option<String>,
    /// The URL's addresses are not allowed: nothing was sent, and trying again will not help.
    pub refused: bool,
}

/// The right to run one attempt to one receiver ([`Deliverer::slot`]).
#[derive(Debug)]
pub struct Slot {
    _receiver: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

/// Sends webhook attempts.
pub struct Deliverer {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    policy: UrlPolicy,
    receivers: Mutex<HashMap<String, Arc<Semaphore>>>,
    all: Arc<Semaphore>,
    timeout: Duration,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The refusal a [`CheckedResolver`] answers, found again in the client's error chain.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves a receiver's name and answers its addresses only if the policy allows every one.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    policy: UrlPolicy,
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            policy.check_resolved(&ips).map_err(|why| {
                std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    Refused(format!("{host}: {why}")),
                )
            })?;
            Ok(addrs.into_iter())
        })
    }
}

impl Deliverer {
    /// A deliverer calling only what `policy` allows.
    pub fn new(policy: UrlPolicy) -> Self {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver { policy });
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(PER_RECEIVER)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Deliverer {
            client,
            policy,
            receivers: Mutex::default(),
            all: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            timeout: ATTEMPT_TIMEOUT,
        }
    }

    /// The same, giving up on an attempt after `timeout` instead of [`ATTEMPT_TIMEOUT`]
    /// (tests of slow receivers).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The policy it calls by.
    pub fn policy(&self) -> UrlPolicy {
        self.policy
    }

    /// The right to send one attempt to `url`'s receiver now, or `None` while it (or the
    /// deliverer) has as many running as allowed.
    pub fn slot(&self, url: &str) -> Option<Slot> {
        let key = receiver_key(url);
        let receiver = {
            let mut receivers = self
                .receivers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Receivers with nothing running are forgotten, so the map stays as small as
            // the set of busy receivers.
            receivers.retain(|_, s| s.available_permits() < PER_RECEIVER);
            receivers
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(PER_RECEIVER)))
                .clone()
        };
        let receiver = receiver.try_acquire_owned().ok()?;
        let all = self.all.clone().try_acquire_owned().ok()?;
        Some(Slot {
            _receiver: receiver,
            _all: all,
        })
    }

    /// POSTs `body` to `url` with `headers` (and `Content-Type: application/json`).
    pub async fn post(
        &self,
        _slot: &Slot,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Attempt {
        let started = Instant::now();
        let elapsed = |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        let checked = match self.policy.check_url(url) {
            Ok(checked) => checked,
            Err(why) => return refused(why),
        };
        if let Host::Ip(ip) = checked.host {
            if let Err(why) = self.policy.check_ip(ip) {
                return refused(why);
            }
        }
        let mut request = hyper::Request::post(checked.uri)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("wasmtrack-webhooks/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = match request.body(Full::new(Bytes::from(body))) {
            Ok(r) => r,
            Err(e) => return refused(format!("the request could not be made: {e}")),
        };
        let exchange = async {
            let answer = self.client.request(request).await?;
            let status = answer.status().as_u16();
            let retry_after = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut body = answer.into_body();
            let mut read = Vec::new();
            while read.len() < MAX_ANSWER_BYTES {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            let room = MAX_ANSWER_BYTES - read.len();
                            read.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    // A body cut short still carries the status that came first.
                    Some(Err(_)) | None => break,
                }
            }
            Ok::<_, hyper_util::client::legacy::Error>((status, retry_after, read))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok((status, retry_after, read))) => Attempt {
                status: Some(status),
                latency_ms: elapsed(started),
                retry_after,
                detail: excerpt(&read),
                refused: false,
            },
            Ok(Err(e)) => {
                let refusal = find_refusal(&e);
                Attempt {
                    status: None,
                    latency_ms: elapsed(started),
                    retry_after: None,
                    refused: refusal.is_some(),
                    detail: Some(refusal.unwrap_or_else(|| chain(&e))),
                }
            }
            Err(_) => Attempt {
                status: None,
                latency_ms: elapsed(started),
                retry_after: None,
                detail: Some(format!(
                    "no answer within {}",
                    duration_text(duration_ms(self.timeout))
                )),
                refused: false,
            },
        }
    }
}

fn refused(why: String) -> Attempt {
    Attempt {
        status: None,
        latency_ms: 0,
        retry_after: None,
        detail: Some(why),
        refused: true,
    }
}

/// Which receiver `url` is: its scheme and authority, lowercase.
fn receiver_key(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let scheme = url.split_once("://").map_or("", |(s, _)| s);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// The start of an answer's body as text, for the history; `None` when empty.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_DETAIL_CHARS).collect())
}

/// The policy's refusal, if that is why the attempt failed.
fn find_refusal(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if let Some(r) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<Refused>())
            {
                return Some(r.0.clone());
            }
        }
        if let Some(r) = c.downcast_ref::<Refused>() {
            return Some(r.0.clone());
        }
        cause = c.source();
    }
    None
}

/// An error with its causes, as one sentence.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_are_told_apart_by_scheme_host_and_port() {
        assert_eq!(
            receiver_key("https://Hooks.Example.com/a?b#c"),
            "https://hooks.example.com"
        );
        assert_eq!(
            receiver_key("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080"
        );
        assert_ne!(
            receiver_key("http://a.example:1/"),
            receiver_key("http://a.example:2/")
        );
    }

    #[test]
    fn an_answer_is_kept_as_its_start_in_text() {
        assert_eq!(excerpt(b"  "), None);
        assert_eq!(excerpt(b"ok\n").as_deref(), Some("ok"));
        let long = "é".repeat(2 * MAX_DETAIL_CHARS);
        assert_eq!(
            excerpt(long.as_bytes()).map(|t| t.chars().count()),
            Some(MAX_DETAIL_CHARS)
        );
        assert_eq!(excerpt(&[0xff, b'a']).as_deref(), Some("\u{fffd}a"));
    }

    #[tokio::test]
    async fn a_receiver_gets_at_most_its_share_of_slots() {
        let deliverer = Deliverer::new(UrlPolicy::default());
        let held: Vec<Slot> = (0..PER_RECEIVER)
            .map(|_| deliverer.slot("https://slow.example/hook").unwrap())
            .collect();
        assert!(deliverer.slot("https://slow.example/other").is_none());
        assert!(deliverer.slot("https://fast.example/hook").is_some());
        drop(held);
        assert!(deliverer.slot("https://slow.example/hook").is_some());
    }

    #[tokio::test]
    async fn a_literal_private_address_is_refused_before_anything_is_sent() {
        let deliverer = Deliverer::new(UrlPolicy::default());
        let slot = deliverer.slot("http://127.0.0.1:9/hook").unwrap();
        let attempt = deliverer
            .post(&slot, "http://127.0.0.1:9/hook", &[], b"{}".to_vec())
            .await;
        assert!(attempt.refused, "{attempt:?}");
        assert_eq!(attempt.status, None);
        assert!(attempt.detail.unwrap_or_default().contains("127.0.0.1"));
    }

    #[tokio::test]
    async fn names_are_refused_when_they_resolve_to_a_private_address() {
        use std::str::FromStr;
        use tower::Service;
        // The resolver judges addresses, whatever the name: `localhost` resolves to loopback
        // (the URL check refuses that name too, but a public-looking name can resolve there).
        let mut strict = CheckedResolver {
            policy: UrlPolicy::default(),
        };
        let err = strict
            .call(Name::from_str("localhost").unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(find_refusal(&err).is_some_and(|why| why.contains("localhost")));
        let mut open = CheckedResolver {
            policy: UrlPolicy {
                allow_private: true,
            },
        };
        let addrs: Vec<SocketAddr> = open
            .call(Name::from_str("localhost").unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
