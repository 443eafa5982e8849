//! Who the visitor is: their visitor id, their session, and the contact `identify` named.
//! Everything here is kept in the page's storage by its owner (`Tracker`), with consent.

use alloc::string::String;

use wasmtrack_browser::random;
use wasmtrack_browser::storage::Store;
use wasmtrack_core::session::Session;

/// Storage keys of the visitor id and the session.
pub const KEY_VISITOR: &str = "vid";
pub const KEY_SESSION: &str = "sid";
/// The session's last-seen time is written at most this often (ms): a storage write on every
/// `track` call would cost more than the rest of the call.
const SESSION_SAVE_EVERY_MS: u64 = 5_000;

/// The visitor, their session and the contact they said they are.
pub struct Identity {
    /// The browser's visitor id (a UUID), kept across visits.
    pub visitor: String,
    session: Option<Session>,
    session_saved_at: u64,
    pub email: Option<String>,
    pub uid: Option<String>,
}

/// What touching the session at an event changed.
pub struct Touched {
    /// A new session began: the context events share must be encoded again.
    pub new_session: bool,
    /// The session to store now, encoded (at most every few seconds).
    pub save: Option<String>,
}

impl Identity {
    /// The visitor and session this browser stored, or new ones.
    pub fn load(store: &Store) -> Identity {
        let visitor = match store.get(KEY_VISITOR) {
            Some(v) if wasmtrack_core::uuid::is_uuid(&v) => v,
            _ => random::uuid(),
        };
        Identity {
            visitor,
            session: store.get(KEY_SESSION).and_then(|s| Session::decode(&s)),
            session_saved_at: 0,
            email: None,
            uid: None,
        }
    }

    /// The current session's id, or empty before the first event.
    pub fn session_id(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.id.as_str())
    }

    /// Extends the session to an event at `now`, or starts a new one after 30 minutes idle.
    pub fn touch(&mut self, now: u64) -> Touched {
        let mut new_session = false;
        let session = Session::touch(self.session.take(), now, || {
            new_session = true;
            random::uuid()
        });
        let save =
            new_session || now.saturating_sub(self.session_saved_at) >= SESSION_SAVE_EVERY_MS;
        let save = save.then(|| {
            self.session_saved_at = now;
            session.encode()
        });
        self.session = Some(session);
        Touched { new_session, save }
    }

    /// Sets the contact the following events belong to (what is given; the rest stays).
    pub fn identify(&mut self, email: Option<String>, uid: Option<String>) {
        if email.is_some() {
            self.email = email;
        }
        if uid.is_some() {
            self.uid = uid;
        }
    }
}
