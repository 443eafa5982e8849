//! Keeping a month partition of `events` ready before events of that month are written: at
//! open (last month to three months ahead), once a day after that, and before a batch holding
//! an event of a month this collector has not ensured yet (within [`PAST_MONTHS`] back and
//! [`AHEAD_MONTHS`] ahead of now). A month outside that window stays in the default
//! partition, which is still correct: the window only keeps a client sending random
//! timestamps from making thousands of partitions.
//!
//! Each month is created in a transaction of its own, before the batch's transaction and
//! never inside it: creating a partition locks the whole `events` table, which a batch
//! holding the lock that orders commits (see [`super::ingest_group`]) must never wait for.
//! Collectors creating the same month at once are serialized by an advisory lock, and the
//! function creates a month once. A month whose rows are already in the default partition
//! (events that arrived while it was out of the window) cannot be created; it is logged and
//! left there.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use time::{Date, Month, OffsetDateTime};

use super::ingest::Failure;
use crate::store::StoreError;

/// The key of the advisory lock held while a month is created ("wtparts").
const PARTITIONS_LOCK: i64 = 0x0077_7470_6172_7473;

/// How far back a batch's month is given a partition of its own.
const PAST_MONTHS: i32 = 24;
/// How far ahead a batch's month is given a partition of its own; also how far ahead the
/// daily run creates them.
const AHEAD_MONTHS: i32 = 3;
/// How often the months around now are ensured again.
const DAILY: Duration = Duration::from_secs(24 * 3600);

/// The months (as `year * 12 + month - 1`, UTC) this collector knows have a partition, or
/// gave up on.
#[derive(Default)]
pub(super) struct Partitions {
    ensured: HashSet<i32>,
    last_run: Option<Instant>,
}

/// The month of `ms` (epoch milliseconds), UTC.
fn month_of(ms: i64) -> Option<i32> {
    let at = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
    Some(at.year() * 12 + i32::from(u8::from(at.month())) - 1)
}

/// The first instant of `month`, epoch ms.
fn start_of(month: i32) -> Option<i64> {
    let number = u8::try_from(month.rem_euclid(12) + 1).ok()?;
    let date =
        Date::from_calendar_date(month.div_euclid(12), Month::try_from(number).ok()?, 1).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

impl Partitions {
    /// At open and once a day: last month to [`AHEAD_MONTHS`] ahead.
    pub(super) async fn around_now(&mut self, pool: &Pool, now: i64) {
        let Some(current) = month_of(now) else {
            return;
        };
        self.last_run = Some(Instant::now());
        for month in current - 1..=current + AHEAD_MONTHS {
            // A month ensured before is asked again: another tool may have dropped it.
            self.ensured.remove(&month);
            self.ensure(pool, month).await;
        }
    }

    /// Before a batch: the months of its events' times that have no partition yet (see the
    /// module's doc), and the daily run when it is due.
    pub(super) async fn for_batch(&mut self, pool: &Pool, now: i64, occurred: &[i64]) {
        if self.last_run.is_none_or(|at| at.elapsed() >= DAILY) {
            self.around_now(pool, now).await;
        }
        let Some(current) = month_of(now) else {
            return;
        };
        let mut months: Vec<i32> = occurred
            .iter()
            .filter_map(|ms| month_of(*ms))
            .filter(|m| (current - PAST_MONTHS..=current + AHEAD_MONTHS).contains(m))
            .filter(|m| !self.ensured.contains(m))
            .collect();
        months.sort_unstable();
        months.dedup();
        for month in months {
            self.ensure(pool, month).await;
        }
    }

    /// Creates `month`'s partition unless it exists. A database out of reach leaves the month
    /// to be tried with the next batch; a month that cannot be made is given up on.
    async fn ensure(&mut self, pool: &Pool, month: i32) {
        let Some(start) = start_of(month) else {
            return;
        };
        match create(pool, start).await {
            Ok(()) => {
                self.ensured.insert(month);
            }
            Err(Failure::Store(StoreError::Busy | StoreError::Closed) | Failure::Retry) => {}
            Err(e) => {
                tracing::warn!(
                    month = %format!("{}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1),
                    error = ?e,
                    "no partition of its own for this month: its events stay in the default partition"
                );
                self.ensured.insert(month);
            }
        }
    }
}

async fn create(pool: &Pool, start: i64) -> Result<(), Failure> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITIONS_LOCK])
        .await?;
    tx.execute("SELECT wasmtrack_ensure_partitions($1, 1)", &[&start])
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        let new_year_2027 = 1_798_761_600_000_i64; // 2027-01-01T00:00Z
        assert_eq!(month_of(new_year_2027), Some(2027 * 12));
        assert_eq!(month_of(new_year_2027 - 1), Some(2026 * 12 + 11));
        assert_eq!(start_of(2027 * 12), Some(new_year_2027));
        assert_eq!(start_of(2026 * 12 + 11), Some(1_796_083_200_000)); // 2026-12-01
        assert_eq!(month_of(0), Some(1970 * 12));
    }
}
