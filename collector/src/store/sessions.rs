//! The analyst app's signed-in sessions as the stores keep them (see `app/session.rs` for what
//! a session is). SQLite's collector is one process, so it keeps them in memory
//! ([`MemorySessions`]): a restart signs everyone out, which is the safe direction.
//! PostgreSQL's collectors share them through a table (`store/postgres/sessions.rs`), so a
//! browser signed in through one collector stays signed in behind a load balancer.

use std::collections::HashMap;
use std::sync::Mutex;

/// Most sessions kept at once in memory; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

/// A session as stored, by the hash of its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Who signed in: `admin`, or `key:` and the hash of the key's secret.
    pub holder: String,
    /// The token the app's forms carry.
    pub csrf: String,
    /// Last request, epoch ms.
    pub last_seen: i64,
}

/// Sessions in this process's memory.
#[derive(Default)]
pub struct MemorySessions {
    open: Mutex<HashMap<String, SessionRecord>>,
}

impl MemorySessions {
    /// Keeps `session` under `id_hash`, dropping those idle for `idle_ms` and, past the cap,
    /// the least recently used.
    pub fn open(&self, id_hash: String, session: SessionRecord, idle_ms: i64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let now = session.last_seen;
        open.retain(|_, s| now - s.last_seen < idle_ms);
        if open.len() >= MAX_SESSIONS {
            if let Some(oldest) = open
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                open.remove(&oldest);
            }
        }
        open.insert(id_hash, session);
    }

    /// The live session `id_hash`, touched at `now`; an idle one is forgotten.
    pub fn find(&self, id_hash: &str, now: i64, idle_ms: i64) -> Option<SessionRecord> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        match open.get_mut(id_hash) {
            Some(s) if now - s.last_seen < idle_ms => {
                s.last_seen = now;
                Some(s.clone())
            }
            Some(_) => {
                open.remove(id_hash);
                None
            }
            None => None,
        }
    }

    /// Forgets the session `id_hash`.
    pub fn close(&self, id_hash: &str) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(id_hash);
    }
}
