//! Signed-in sessions of the analyst app.
//!
//! Signing in with the admin token or an API key opens a session: a random id the browser
//! keeps in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/app`, `Secure` behind https), so the
//! token itself is never stored in the browser and never appears in a URL. The server keeps
//! only the id's hash, which credential it stands for (a key by its hash, so a revoked key ends
//! its sessions at once), and the session's CSRF token, which every form of the app carries
//! and every state-changing request must send back. The store keeps them
//! (`store/sessions.rs`): in memory on SQLite, where a restart signs everyone out, the safe
//! direction; in a table on PostgreSQL, shared by every collector.

use crate::auth::{hash_secret, Credential};
use crate::random;
use crate::store::{SessionRecord, StoreError};
use crate::timestamp::now_ms;
use crate::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "wt_app";
/// A session ends after this long without a request (ms).
pub const IDLE_MS: i64 = 12 * 60 * 60 * 1000;

/// Who a session stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// The admin token.
    Admin,
    /// An API key, by the hash of its secret.
    Key(String),
}

impl Holder {
    /// How the store keeps it.
    fn stored(&self) -> String {
        match self {
            Holder::Admin => "admin".into(),
            Holder::Key(hash) => format!("key:{hash}"),
        }
    }

    /// Read back from the store; `None` for what no collector writes.
    fn from_stored(text: &str) -> Option<Holder> {
        match text {
            "admin" => Some(Holder::Admin),
            _ => text.strip_prefix("key:").map(|h| Holder::Key(h.to_owned())),
        }
    }
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who signed in.
    pub holder: Holder,
    /// The token the app's forms carry (double-submit is not needed: it is checked against
    /// the server's copy).
    pub csrf: String,
    /// Whether its credential holds the admin scope, as of this request: set by
    /// [`super::signed_in`] (a key's scopes are read anew each time), so the navigation
    /// lists the admin's sections only to those who may open them.
    pub admin: bool,
}

/// Opens a session for `holder`; returns its id (for the cookie).
pub async fn open(state: &AppState, holder: Holder) -> Result<String, StoreError> {
    let id = random::hex(2);
    let record = SessionRecord {
        holder: holder.stored(),
        csrf: random::hex(2),
        last_seen: now_ms(),
    };
    state
        .store
        .open_session(hash_secret(&id), record, IDLE_MS)
        .await?;
    Ok(id)
}

/// The live session of cookie value `id`, touched; `None` when unknown, idle too long, or
/// when the store cannot be read (the app then asks to sign in again, never lets one in).
pub async fn find(state: &AppState, id: &str) -> Option<Session> {
    let record = match state
        .store
        .find_session(hash_secret(id), now_ms(), IDLE_MS)
        .await
    {
        Ok(record) => record?,
        Err(e) => {
            tracing::warn!(error = ?e, "cannot read the app's sessions");
            return None;
        }
    };
    Some(Session {
        holder: Holder::from_stored(&record.holder)?,
        csrf: record.csrf,
        admin: false,
    })
}

/// Ends the session of cookie value `id`.
pub async fn close(state: &AppState, id: &str) {
    if let Err(e) = state.store.close_session(hash_secret(id)).await {
        tracing::warn!(error = ?e, "cannot end an app session");
    }
}

/// What `token` signs in as: the admin token, or a stored API key.
pub fn holder_for(state: &AppState, token: &str) -> Option<Holder> {
    match crate::auth::credential_for(state, token)? {
        Credential::Admin => Some(Holder::Admin),
        Credential::Key(_) => Some(Holder::Key(hash_secret(token))),
    }
}

/// The credential a session's holder is now: `None` once its key has been revoked.
pub fn credential(state: &AppState, holder: &Holder) -> Option<Credential> {
    match holder {
        Holder::Admin => Some(Credential::Admin),
        Holder::Key(hash) => state.store.key(hash).map(Credential::Key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sessions::MemorySessions;

    fn record(at: i64) -> SessionRecord {
        SessionRecord {
            holder: Holder::Key("abc".into()).stored(),
            csrf: "c".into(),
            last_seen: at,
        }
    }

    #[test]
    fn a_session_is_found_by_its_id_until_closed_or_idle() {
        let sessions = MemorySessions::default();
        sessions.open("one".into(), record(1_000), IDLE_MS);
        let found = sessions.find("one", 2_000, IDLE_MS).expect("open");
        assert_eq!(
            Holder::from_stored(&found.holder),
            Some(Holder::Key("abc".into()))
        );
        assert!(sessions.find("not-an-id", 2_000, IDLE_MS).is_none());
        assert!(
            sessions.find("one", 2_000 + IDLE_MS, IDLE_MS).is_none(),
            "idle too long"
        );
        sessions.open("two".into(), record(5_000), IDLE_MS);
        sessions.close("two");
        assert!(sessions.find("two", 5_001, IDLE_MS).is_none(), "signed out");
    }

    #[test]
    fn only_what_a_collector_writes_reads_back_as_a_holder() {
        assert_eq!(Holder::from_stored("admin"), Some(Holder::Admin));
        assert_eq!(
            Holder::from_stored(&Holder::Admin.stored()),
            Some(Holder::Admin)
        );
        assert_eq!(Holder::from_stored("root"), None);
    }
}
