//! Credentials: every management and query endpoint requires `Authorization: Bearer <token>`
//! (what HubSpot's API clients send with an access token) with the admin token, which can do
//! everything, or an API key (`wtk_…`), which can do what its scopes say ([`scopes`]).
//! Beacon ingestion, `/healthz`, `/openapi.json` and a site's rule list are public.
//!
//! Visualizer tokens (`vt_…`, issued by an admin for one site, stored, expiring) are the
//! other credential: they open the visualizer on that site's pages and let it save and
//! delete that site's rules ([`caller`], [`visualizer`]), nothing else.
//!
//! The token comes from `WASMTRACK_ADMIN_TOKEN` when set; otherwise it is generated on first
//! start into `DATA_DIR/admin-token` (mode 0600) and read from there on later starts.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use axum::extract::MatchedPath;

use crate::error::ApiError;
use crate::scopes::{self, Scope};
use crate::store::{ApiKey, VisualizerToken};
use crate::timestamp::now_ms;
use crate::AppState;

/// Prefix of visualizer tokens.
pub const VISUALIZER_PREFIX: &str = "vt_";

/// Fewest characters of an admin token given by flag or environment: it opens everything, so
/// it must not be guessable (the generated one is 64 hex digits, 256 bits).
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// File name of the generated token inside the data directory.
pub const TOKEN_FILE: &str = "admin-token";

/// A credential the API takes: the admin token, or an API key.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The admin token: every scope.
    Admin,
    /// An API key: its scopes.
    Key(Arc<ApiKey>),
}

impl Credential {
    /// Whether it grants `scope`.
    pub fn grants(&self, scope: Scope) -> bool {
        match self {
            Credential::Admin => true,
            Credential::Key(key) => scopes::grants(&key.scopes, scope),
        }
    }

    /// The key of its rate-limit bucket.
    fn bucket(&self) -> String {
        match self {
            Credential::Admin => "admin".into(),
            Credential::Key(key) => format!("key:{}", key.id),
        }
    }
}

/// The admin token or a stored API key of the request, if any.
pub fn credential(state: &AppState, headers: &HeaderMap) -> Option<Credential> {
    credential_for(state, bearer(headers)?)
}

/// What `token` is: the admin token, a stored API key, or nothing (the analyst app signs in
/// with it).
pub fn credential_for(state: &AppState, token: &str) -> Option<Credential> {
    if is_admin(state, token) {
        return Some(Credential::Admin);
    }
    if !token.starts_with(KEY_PREFIX) {
        return None;
    }
    state.store.key(&hash_secret(token)).map(Credential::Key)
}

/// Prefix of API keys' secrets.
pub const KEY_PREFIX: &str = "wtk_";

/// What the store keeps of a secret (an API key, a visualizer token): its SHA-256, in hex. A
/// secret is 256 random bits, so a plain hash cannot be reversed, and a copy of the database
/// opens nothing.
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes as lowercase hex (hashes, ids made from hashes).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Middleware of the authenticated routes: 401 without a valid credential, 403 naming the
/// scope when the credential lacks the one the route needs (from [`scopes::ROUTES`]), 429
/// over the credential's rate limit. A route the table lacks is refused: a route added
/// without a scope fails its tests rather than opening up.
pub async fn require_scope(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let Some(needed) = path
        .as_deref()
        .and_then(|p| scopes::needed(req.method(), p))
    else {
        // A method the path does not serve: the router answers 405 without running anything.
        if path.as_deref().is_some_and(scopes::listed) {
            return Ok(next.run(req).await);
        }
        return Err(ApiError::Internal(format!(
            "{} {} has no scope in scopes::ROUTES",
            req.method(),
            req.uri().path()
        )));
    };
    let credential = credential(&state, req.headers()).ok_or(ApiError::Unauthorized)?;
    if !credential.grants(needed) {
        return Err(ApiError::MissingScope(needed));
    }
    state
        .limits
        .api
        .check(&credential.bucket(), 1.0, now_ms())
        .map_err(|retry_after| ApiError::RateLimited {
            retry_after,
            what: "this credential makes more requests a second than its limit".into(),
        })?;
    Ok(next.run(req).await)
}

/// Who sent a request that takes either credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The admin token, or an API key with the `definitions` scope: any site.
    Admin,
    /// A valid visualizer token: its site only.
    Visualizer(VisualizerToken),
}

impl Caller {
    /// 403 unless the caller may change `site`.
    pub fn may_change(&self, site: &str) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Visualizer(token) if token.site == site => Ok(()),
            Caller::Visualizer(token) => Err(ApiError::Forbidden(format!(
                "this visualizer token was issued for site \"{}\", not \"{site}\"",
                token.site
            ))),
        }
    }
}

/// The admin or a valid visualizer token; 401 otherwise.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    match credential(state, headers) {
        Some(c) if c.grants(Scope::Definitions) => Ok(Caller::Admin),
        Some(_) => Err(ApiError::MissingScope(Scope::Definitions)),
        None => visualizer(state, headers)
            .await
            .map(Caller::Visualizer)
            .map_err(|e| match e {
                ApiError::InvalidToken(_) => ApiError::InvalidToken(
                    "send `Authorization: Bearer <token>` with the admin token or a valid visualizer token of this site".into(),
                ),
                other => other,
            }),
    }
}

/// A stored, unexpired visualizer token; 401 otherwise (the admin token included).
pub async fn visualizer(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<VisualizerToken, ApiError> {
    let invalid = || {
        ApiError::InvalidToken(
            "send `Authorization: Bearer <visualizer token>` with a token issued by POST /v1/visualizer/tokens that has not expired".into(),
        )
    };
    let token = bearer(headers)
        .filter(|t| is_visualizer_token(t))
        .ok_or_else(invalid)?;
    let stored = state
        .store
        .visualizer_token(token.to_owned())
        .await?
        .ok_or_else(invalid)?;
    if stored.expires_at <= now_ms() {
        return Err(invalid());
    }
    Ok(stored)
}

/// Whether `token` has the form of a visualizer token: `vt_` and 64 lowercase hex digits.
fn is_visualizer_token(token: &str) -> bool {
    token.strip_prefix(VISUALIZER_PREFIX).is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn is_admin(state: &AppState, token: &str) -> bool {
    same(token.as_bytes(), state.admin_token.as_bytes())
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The admin token: `from_env` if given, else the one stored in `data_dir`, else a new one
/// written there. Prints where a stored token is, never the token itself.
pub fn admin_token(from_env: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(token) = from_env {
        let token = token.trim();
        if token.chars().count() < MIN_ADMIN_TOKEN_CHARS {
            bail!(
                "the admin token given is {} characters; give one of at least {MIN_ADMIN_TOKEN_CHARS} (e.g. `openssl rand -hex 32`), or none to have one generated",
                token.chars().count()
            );
        }
        return Ok(token.to_owned());
    }
    let path = data_dir.join(TOKEN_FILE);
    if path.exists() {
        let token = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let token = token.trim().to_owned();
        if token.is_empty() {
            bail!(
                "{} is empty; delete it to generate a new token",
                path.display()
            );
        }
        eprintln!("wasmtrack-collector: admin token in {}", path.display());
        return Ok(token);
    }
    let token = crate::random::hex(2);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{token}").with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wasmtrack-collector: generated an admin token in {}",
        path.display()
    );
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn visualizer_tokens_have_one_form() {
        let hex = "0123456789abcdef".repeat(4);
        assert!(is_visualizer_token(&format!("vt_{hex}")));
        assert!(!is_visualizer_token(&hex));
        assert!(!is_visualizer_token(&format!("vt_{}", hex.to_uppercase())));
        assert!(!is_visualizer_token(&format!("vt_{hex}0")));
    }

    #[test]
    fn a_generated_token_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = admin_token(None, dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(admin_token(None, dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let given = "a-token-given-by-the-environment-0123";
        assert_eq!(admin_token(Some(given), dir.path()).unwrap(), given);
        let short = admin_token(Some("secret"), dir.path()).unwrap_err();
        assert!(short.to_string().contains("at least 32"), "{short}");
    }
}
