//! Signed-in sessions of the analyst app.
//!
//! Signing in with the admin token or an API key opens a session: a random id the browser
//! keeps in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/app`, `Secure` behind https), so the
//! token itself is never stored in the browser and never appears in a URL. The server keeps
//! only the id's hash, which credential it stands for (a key by its hash, so a revoked key ends
//! its sessions at once), and the session's CSRF token, which every form of the app carries
//! and every state-changing request must send back. Sessions live in memory: a restart signs
//! everyone out, which is the safe direction.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::auth::{hash_secret, Credential};
use crate::random;
use crate::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "wt_app";
/// A session ends after this long without a request (ms).
pub const IDLE_MS: i64 = 12 * 60 * 60 * 1000;
/// Most sessions kept at once; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

/// Who a session stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// The admin token.
    Admin,
    /// An API key, by the hash of its secret.
    Key(String),
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
    /// Last request, epoch ms.
    last_seen: i64,
}

/// Every open session, by the hash of its id.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `holder`; returns its id (for the cookie) and the session.
    pub fn open(&self, holder: Holder, now: i64) -> (String, Session) {
        let id = random::hex(2);
        let session = Session {
            holder,
            csrf: random::hex(2),
            admin: false,
            last_seen: now,
        };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, s| now - s.last_seen < IDLE_MS);
        if open.len() >= MAX_SESSIONS {
            if let Some(oldest) = open
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                open.remove(&oldest);
            }
        }
        open.insert(hash_secret(&id), session.clone());
        (id, session)
    }

    /// The live session of cookie value `id`, touched; `None` when unknown or idle too long.
    pub fn find(&self, id: &str, now: i64) -> Option<Session> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let key = hash_secret(id);
        match open.get_mut(&key) {
            Some(s) if now - s.last_seen < IDLE_MS => {
                s.last_seen = now;
                Some(s.clone())
            }
            Some(_) => {
                open.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session of cookie value `id`.
    pub fn close(&self, id: &str) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(&hash_secret(id));
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

    #[test]
    fn a_session_is_found_by_its_id_until_closed_or_idle() {
        let sessions = Sessions::default();
        let (id, opened) = sessions.open(Holder::Admin, 1_000);
        let found = sessions.find(&id, 2_000).expect("open");
        assert_eq!(found.csrf, opened.csrf);
        assert!(sessions.find("not-an-id", 2_000).is_none());
        assert!(
            sessions.find(&id, 2_000 + IDLE_MS).is_none(),
            "idle too long"
        );
        let (id, _) = sessions.open(Holder::Admin, 5_000);
        sessions.close(&id);
        assert!(sessions.find(&id, 5_001).is_none(), "signed out");
    }
}
