//! A Bloom filter of the ids in `event_ids`, so that a new id (nearly every id the writer
//! sees) is known to be absent without a B-tree lookup: measured, those lookups were a fifth of
//! the writer's time. It may answer "maybe" for an absent id (about 1 % of them while it is
//! within its capacity), never "no" for a present one; "maybe" is settled by the lookup.
//!
//! The filter lives in memory only (10 bits per id, at most [`MAX_BITS`]). At start it is built
//! from `event_ids` in key order, a chunk at a time between the writer's jobs; until it is
//! complete every id is looked up. Ids merged into the table meanwhile go into it too. When the
//! table outgrows the filter, a filter twice as large is built the same way while the full one
//! keeps answering (with more "maybe"s). Deleted ids stay in the filter: a "maybe" more.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::event_ids::Key;

/// Bits per id at capacity: with [`HASHES`], about 1 % false "maybe"s.
const BITS_PER_ID: usize = 10;
/// Bits set per id.
const HASHES: u64 = 7;
/// Largest filter: 64 MiB, enough for about 50 million ids at 1 %; a larger table only makes
/// "maybe" more frequent.
pub const MAX_BITS: usize = 1 << 29;

/// Sizes, smaller in tests.
#[derive(Debug, Clone, Copy)]
pub(super) struct FilterSizes {
    /// Fewest ids a filter is made for.
    pub min_ids: usize,
    /// Ids read from `event_ids` per build step.
    pub chunk: usize,
}

impl Default for FilterSizes {
    fn default() -> Self {
        FilterSizes {
            min_ids: 1 << 20,
            chunk: 16_384,
        }
    }
}

struct Bloom {
    words: Vec<u64>,
    /// Number of bits − 1 (a power of two − 1).
    mask: u64,
    hasher: RandomState,
}

impl Bloom {
    fn for_ids(ids: usize) -> Self {
        let bits = ids
            .saturating_mul(BITS_PER_ID)
            .next_power_of_two()
            .clamp(64, MAX_BITS);
        Bloom {
            words: vec![0; bits / 64],
            mask: bits as u64 - 1,
            hasher: RandomState::new(),
        }
    }

    fn capacity(&self) -> usize {
        (self.mask as usize + 1) / BITS_PER_ID
    }

    fn is_largest(&self) -> bool {
        self.mask as usize + 1 >= MAX_BITS
    }

    /// The bits of `key` (double hashing of one 64-bit hash).
    fn bits(&self, key: &Key<'_>) -> impl Iterator<Item = u64> {
        let h = self.hasher.hash_one(key);
        let (h1, h2, mask) = (h, h.rotate_left(32) | 1, self.mask);
        (0..HASHES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & mask)
    }

    fn insert(&mut self, key: &Key<'_>) {
        for bit in self.bits(key) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    fn may_contain(&self, key: &Key<'_>) -> bool {
        self.bits(key)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }
}

/// A filter being filled from `event_ids`, after `after` in key order.
struct Build {
    bloom: Bloom,
    after: Option<Value>,
}

/// The filter of the ids in `event_ids` (see the module documentation).
pub(super) struct IdFilter {
    /// Holds every id in the table, when complete.
    ready: Option<Bloom>,
    build: Option<Build>,
    /// Ids in the table, about: every id merged since start, plus an estimate.
    in_table: usize,
    sizes: FilterSizes,
}

impl IdFilter {
    /// A filter to build for a table of about `in_table` ids.
    pub(super) fn new(in_table: usize, sizes: FilterSizes) -> Self {
        IdFilter {
            ready: None,
            build: Some(Build {
                bloom: Bloom::for_ids(in_table.saturating_mul(2).max(sizes.min_ids)),
                after: None,
            }),
            in_table,
            sizes,
        }
    }

    /// False when the id is certainly not in the table.
    pub(super) fn may_contain(&self, key: &Key<'_>) -> bool {
        self.ready
            .as_ref()
            .is_none_or(|bloom| bloom.may_contain(key))
    }

    /// Records an id (about to be) merged into the table.
    pub(super) fn insert(&mut self, key: &Key<'_>) {
        if let Some(bloom) = &mut self.ready {
            bloom.insert(key);
        }
        if let Some(build) = &mut self.build {
            build.bloom.insert(key);
        }
        self.in_table += 1;
        let outgrown = self
            .ready
            .as_ref()
            .is_some_and(|bloom| bloom.capacity() < self.in_table && !bloom.is_largest());
        if outgrown && self.build.is_none() {
            self.build = Some(Build {
                bloom: Bloom::for_ids(self.in_table.saturating_mul(2)),
                after: None,
            });
        }
    }

    /// Whether a build is under way.
    pub(super) fn build_due(&self) -> bool {
        self.build.is_some()
    }

    /// Reads the next chunk of ids from the table into the filter being built; the filter
    /// answers once it has read them all.
    pub(super) fn build_step(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let Some(build) = &mut self.build else {
            return Ok(());
        };
        let limit = i64::try_from(self.sizes.chunk).unwrap_or(i64::MAX);
        let mut stmt;
        let mut rows = match &build.after {
            None => {
                stmt = conn.prepare_cached("SELECT id FROM event_ids ORDER BY id LIMIT ?1")?;
                stmt.query([limit])?
            }
            Some(after) => {
                stmt = conn.prepare_cached(
                    "SELECT id FROM event_ids WHERE id > ?1 ORDER BY id LIMIT ?2",
                )?;
                stmt.query((after, limit))?
            }
        };
        let mut read = 0;
        let mut last = None;
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?;
            match id {
                ValueRef::Blob(bytes) => {
                    if let Ok(uuid) = <[u8; 16]>::try_from(bytes) {
                        build.bloom.insert(&Key::Uuid(uuid));
                    }
                }
                ValueRef::Text(text) => {
                    if let Ok(text) = std::str::from_utf8(text) {
                        build.bloom.insert(&Key::Text(text));
                    }
                }
                _ => {}
            }
            last = Some(Value::from(id));
            read += 1;
        }
        drop(rows);
        if read < self.sizes.chunk {
            self.ready = self.build.take().map(|build| build.bloom);
        } else {
            build.after = last;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(i: u32) -> Key<'static> {
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        Key::Uuid(bytes)
    }

    #[test]
    fn an_id_put_in_is_always_found_and_few_others_are() {
        let mut bloom = Bloom::for_ids(10_000);
        for i in 0..10_000 {
            bloom.insert(&uuid(i));
        }
        bloom.insert(&Key::Text("order-17"));
        assert!((0..10_000).all(|i| bloom.may_contain(&uuid(i))));
        assert!(bloom.may_contain(&Key::Text("order-17")));
        let false_maybes = (10_000..20_000)
            .filter(|i| bloom.may_contain(&uuid(*i)))
            .count();
        assert!(false_maybes < 300, "{false_maybes} of 10,000");
    }

    #[test]
    fn the_filter_answers_once_built_from_the_table_and_keeps_what_is_merged_meanwhile() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE event_ids (id ANY PRIMARY KEY) STRICT, WITHOUT ROWID;")
            .unwrap();
        for i in 0..100 {
            conn.execute("INSERT INTO event_ids (id) VALUES (?1)", [uuid(i)])
                .unwrap();
        }
        conn.execute("INSERT INTO event_ids (id) VALUES ('order-17')", [])
            .unwrap();
        let mut filter = IdFilter::new(
            101,
            FilterSizes {
                min_ids: 64,
                chunk: 30,
            },
        );
        assert!(filter.may_contain(&uuid(5000)), "not built yet: maybe");
        filter.build_step(&conn).unwrap();
        filter.insert(&uuid(1000)); // merged during the build, before the scan reaches it
        while filter.build_due() {
            filter.build_step(&conn).unwrap();
        }
        for i in (0..100).chain([1000]) {
            assert!(filter.may_contain(&uuid(i)), "{i}");
        }
        assert!(filter.may_contain(&Key::Text("order-17")));
        let false_maybes = (5000..6000)
            .filter(|i| filter.may_contain(&uuid(*i)))
            .count();
        assert!(false_maybes < 100, "{false_maybes} of 1,000");

        // Past its capacity a larger filter is built, and the full one answers meanwhile.
        for i in 2000..3000 {
            filter.insert(&uuid(i));
        }
        assert!(filter.build_due());
        assert!((2000..3000).all(|i| filter.may_contain(&uuid(i))));
    }
}
