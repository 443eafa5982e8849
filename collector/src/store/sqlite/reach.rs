//! How many distinct contacts (and anonymous visitors) completed an event in a range, without
//! reading every completion: a HyperLogLog sketch per event and hour (`event_hours`, schema 5),
//! kept by the writer as events are stored, merged over the range's hours when asked.
//!
//! While an hour (or a merged range) has at most 128 distinct elements, the sketch keeps their
//! 64-bit hashes and counts exactly; past that, 1,024 one-byte registers (1 KiB), a standard
//! error of about 3 %. Distinct counts do not add
//! up across hours, which is why a count column alone cannot answer; sketches merge by taking
//! each register's maximum. An hour stored before sketches existed has none (`NULL`): a range
//! that includes one is counted from the completions themselves.

/// Registers a sketch has (2¹⁰).
const M: usize = 1024;
const P: u32 = 10;

/// Up to this many distinct elements a sketch keeps their hashes, and counts exactly (64-bit
/// hashes of a few hundred elements do not collide); past it, the registers.
const EXACT_MAX: usize = 128;

/// A distinct count in progress: the elements' hashes while few, else HyperLogLog registers
/// (the largest rank seen per register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sketch {
    /// Sorted, distinct hashes.
    Exact(Vec<u64>),
    /// The registers.
    Dense(Vec<u8>),
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::Exact(Vec::new())
    }
}

/// A 64-bit hash of `text` that never changes (sketches are stored): FNV-1a, then
/// MurmurHash3's finaliser to spread the bits.
pub fn hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn register(registers: &mut [u8], hash: u64) {
    let index = (hash >> (64 - P)) as usize;
    let rest = (hash << P) | (1 << (P - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if let Some(r) = registers.get_mut(index) {
        *r = (*r).max(rank);
    }
}

impl Sketch {
    /// The sketch stored as `bytes` (a tag byte, then the hashes or the registers); `None`
    /// when it is not one.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Sketch> {
        match bytes.split_first()? {
            (0, rest) if rest.len() % 8 == 0 && rest.len() / 8 <= EXACT_MAX => Some(Sketch::Exact(
                rest.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                    .collect(),
            )),
            (1, rest) if rest.len() == M => Some(Sketch::Dense(rest.to_vec())),
            _ => None,
        }
    }

    /// Its stored form.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Sketch::Exact(hashes) => {
                let mut out = Vec::with_capacity(1 + 8 * hashes.len());
                out.push(0);
                for h in hashes {
                    out.extend_from_slice(&h.to_le_bytes());
                }
                out
            }
            Sketch::Dense(registers) => {
                let mut out = Vec::with_capacity(1 + M);
                out.push(1);
                out.extend_from_slice(registers);
                out
            }
        }
    }

    /// Adds an element by its hash.
    pub fn add(&mut self, hash: u64) {
        match self {
            Sketch::Exact(hashes) => {
                if let Err(at) = hashes.binary_search(&hash) {
                    hashes.insert(at, hash);
                    if hashes.len() > EXACT_MAX {
                        let mut registers = vec![0; M];
                        for h in hashes.iter() {
                            register(&mut registers, *h);
                        }
                        *self = Sketch::Dense(registers);
                    }
                }
            }
            Sketch::Dense(registers) => register(registers, hash),
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: &Sketch) {
        match other {
            Sketch::Exact(hashes) => {
                for h in hashes {
                    self.add(*h);
                }
            }
            Sketch::Dense(theirs) => {
                if let Sketch::Exact(hashes) = self {
                    let mut registers = vec![0; M];
                    for h in hashes.iter() {
                        register(&mut registers, *h);
                    }
                    *self = Sketch::Dense(registers);
                }
                if let Sketch::Dense(ours) = self {
                    for (a, b) in ours.iter_mut().zip(theirs) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
    }

    /// The number of distinct elements added: exact while few, else estimated (about 3 %).
    pub fn estimate(&self) -> u64 {
        let registers = match self {
            Sketch::Exact(hashes) => return hashes.len() as u64,
            Sketch::Dense(registers) => registers,
        };
        let m = M as f64;
        let zeros = registers.iter().filter(|r| **r == 0).count();
        let sum: f64 = registers.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }

    /// Whether [`Sketch::estimate`] is exact.
    #[cfg(test)]
    pub fn is_exact(&self) -> bool {
        matches!(self, Sketch::Exact(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(items: impl IntoIterator<Item = String>) -> Sketch {
        let mut s = Sketch::default();
        for i in items {
            s.add(hash(&i));
        }
        s
    }

    #[test]
    fn small_counts_are_exact_and_repeats_count_once() {
        assert_eq!(Sketch::default().estimate(), 0);
        assert_eq!(of((0..3).map(|i| format!("c{i}"))).estimate(), 3);
        let fifty = of((0..50).chain(0..50).map(|i| format!("c{i}")));
        assert!(fifty.is_exact());
        assert_eq!(fifty.estimate(), 50);
        let mut union = of((0..100).map(|i| format!("c{i}")));
        union.merge(&of((60..128).map(|i| format!("c{i}"))));
        assert_eq!((union.estimate(), union.is_exact()), (128, true));
    }

    #[test]
    fn large_counts_are_within_a_few_percent_and_merging_is_a_union() {
        for n in [5_000u64, 100_000] {
            let e = of((0..n).map(|i| format!("c{i}@example.com"))).estimate() as f64;
            assert!((e - n as f64).abs() / n as f64 <= 0.06, "{n}: {e}");
        }
        let mut a = of((0..30_000).map(|i| format!("c{i}")));
        let b = of((20_000..50_000).map(|i| format!("c{i}")));
        a.merge(&b);
        let e = a.estimate() as f64;
        assert!((e - 50_000.0).abs() / 50_000.0 <= 0.06, "{e}");
    }

    #[test]
    fn the_hash_is_fixed() {
        assert_eq!(hash("c1@example.com"), hash("c1@example.com"));
        assert_ne!(hash("a"), hash("b"));
        assert_eq!(Sketch::from_bytes(vec![0; 3]), None);
        for sketch in [
            of((0..5).map(|i| i.to_string())),
            of((0..500).map(|i| i.to_string())),
        ] {
            assert_eq!(Sketch::from_bytes(sketch.bytes()), Some(sketch));
        }
    }
}
