//! The time workflows read: a [`Clock`] handed to whatever waits, so a delay of days is tested
//! by moving a [`ManualClock`] instead of sleeping.
//!
//! Pure workflow logic takes instants as arguments; only the scheduler (still to be built) owns
//! a clock, and it gets it from outside. [`SystemClock`] is the one place the real time is read.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of the current time, shared between tasks.
pub trait Clock: Send + Sync {
    /// The current time in epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// The operating system's wall clock (through [`crate::timestamp::now_ms`], so the collector
/// reads real time in one place).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::timestamp::now_ms()
    }
}

/// A clock that moves only when told to. Clones share one time, so a test keeps a clone and
/// advances the clock the scheduler holds.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `ms` (epoch milliseconds).
    pub fn at(ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }

    /// Moves the time forward by `ms` (backward if negative: a wall clock can be set back, and
    /// tests of that need it).
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the time to `ms`.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = ManualClock::at(1_000);
        let held: Arc<dyn Clock> = Arc::new(clock.clone());
        assert_eq!(held.now_ms(), 1_000);
        // Three days pass in no time.
        clock.advance(3 * 24 * 3_600_000);
        assert_eq!(held.now_ms(), 1_000 + 259_200_000);
        clock.set(5);
        assert_eq!(held.now_ms(), 5);
    }

    #[test]
    fn the_system_clock_is_after_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
