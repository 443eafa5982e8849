//! Sessions: a session id lives until the visitor has been idle for 30 minutes, the rule
//! analytics tools share (Google Analytics, HubSpot, PostHog), so session counts compare.

use alloc::borrow::ToOwned;
use alloc::string::String;

/// Idle time after which the next event starts a new session, in milliseconds.
pub const SESSION_IDLE_MS: u64 = 30 * 60 * 1000;

/// A session as it is kept in storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// Time of the last event in it, epoch milliseconds.
    pub last_seen: u64,
}

impl Session {
    /// The session an event at `now` belongs to: `prev` if it is still alive, else a new one
    /// with the id `fresh_id` makes.
    pub fn touch(prev: Option<Session>, now: u64, fresh_id: impl FnOnce() -> String) -> Session {
        match prev {
            Some(s)
                if now.saturating_sub(s.last_seen) < SESSION_IDLE_MS
                    && s.last_seen <= now + SESSION_IDLE_MS =>
            {
                Session {
                    id: s.id,
                    last_seen: now.max(s.last_seen),
                }
            }
            _ => Session {
                id: fresh_id(),
                last_seen: now,
            },
        }
    }

    /// Storage form: `id.last_seen`.
    pub fn encode(&self) -> String {
        let mut out = self.id.clone();
        out.push('.');
        super::payload::push_int(&mut out, self.last_seen as i64);
        out
    }

    /// Reads the storage form; `None` for anything else.
    pub fn decode(text: &str) -> Option<Session> {
        let (id, last) = super::text::rsplit_once(text, b'.')?;
        if id.is_empty() {
            return None;
        }
        Some(Session {
            id: id.to_owned(),
            last_seen: super::text::parse_u64(last)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: &str, t: u64) -> Option<Session> {
        Some(Session {
            id: id.into(),
            last_seen: t,
        })
    }

    #[test]
    fn a_session_lasts_while_active() {
        let s = Session::touch(at("a", 1_000), 1_000 + SESSION_IDLE_MS - 1, || "b".into());
        assert_eq!(
            s,
            Session {
                id: "a".into(),
                last_seen: 1_000 + SESSION_IDLE_MS - 1
            }
        );
    }

    #[test]
    fn idleness_or_no_session_starts_a_new_one() {
        assert_eq!(
            Session::touch(at("a", 1_000), 1_000 + SESSION_IDLE_MS, || "b".into()).id,
            "b"
        );
        assert_eq!(
            Session::touch(None, 5, || "b".into()),
            Session {
                id: "b".into(),
                last_seen: 5
            }
        );
    }

    #[test]
    fn a_session_from_the_far_future_is_not_trusted() {
        assert_eq!(
            Session::touch(at("a", 10 * SESSION_IDLE_MS), 1, || "b".into()).id,
            "b"
        );
    }

    #[test]
    fn storage_form_round_trips() {
        let s = Session {
            id: "0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11".into(),
            last_seen: 17,
        };
        assert_eq!(Session::decode(&s.encode()), Some(s));
        assert_eq!(Session::decode("garbage"), None);
        assert_eq!(Session::decode(".5"), None);
        assert_eq!(Session::decode("a.x"), None);
    }
}
