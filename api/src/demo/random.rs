//! Deterministic randomness for the demo data set.
//!
//! Every draw comes from a ChaCha8 stream whose seed is a hash of the stream's name and its
//! coordinates (a date, a customer key, …), so a value depends only on what it describes: the
//! orders of one customer do not change when another customer is added, and the data of a date
//! does not change when the window starts a day later. Only the generator's raw 64-bit output is
//! used, never `rand`'s distributions, whose algorithms may change between `rand` versions;
//! ChaCha8's output is fixed by its algorithm. Normal draws use the Irwin–Hall sum of uniforms,
//! which needs no transcendental functions, so results do not depend on the platform's libm.

use chrono::{Datelike, NaiveDate};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// The seed of the whole data set; changing it changes every value.
const DEMO_SEED: u64 = 0x5745_4b50_4944_454d;

/// One deterministic stream of random values.
pub struct Stream(ChaCha8Rng);

/// FNV-1a over the bytes of `parts`, separated so that ("ab", "c") differs from ("a", "bc").
fn fnv1a(parts: &[&[u8]]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ DEMO_SEED;
    for part in parts {
        for byte in part.iter().chain(std::iter::once(&0xff)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

impl Stream {
    /// The stream named `name` at coordinate `key` (any text: a key, an index).
    pub fn new(name: &str, key: &str) -> Self {
        Self(ChaCha8Rng::seed_from_u64(fnv1a(&[
            name.as_bytes(),
            key.as_bytes(),
        ])))
    }

    /// The stream named `name` for one calendar date (and a sub-key, e.g. an account).
    pub fn on(name: &str, date: NaiveDate, key: &str) -> Self {
        let day = date.num_days_from_ce().to_le_bytes();
        Self(ChaCha8Rng::seed_from_u64(fnv1a(&[
            name.as_bytes(),
            &day,
            key.as_bytes(),
        ])))
    }

    /// A uniform value in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform value in `[low, high)`.
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// A uniform integer in `low..=high`.
    pub fn int(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1).max(1) as f64;
        low + ((self.unit() * span) as i64).min(high - low)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An approximately normal value (Irwin–Hall: the sum of 12 uniforms), within ±6 sd.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let sum: f64 = (0..12).map(|_| self.unit()).sum();
        mean + sd * (sum - 6.0)
    }

    /// A Poisson count with mean `lambda`: exact (by multiplying uniforms) for small means, a
    /// rounded normal with the same mean and variance for large ones.
    pub fn poisson(&mut self, lambda: f64) -> i64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut product = self.unit();
            let mut count = 0;
            while product > limit {
                product *= self.unit();
                count += 1;
            }
            return count;
        }
        self.normal(lambda, lambda.sqrt()).round().max(0.0) as i64
    }

    /// An index into `weights`, each chosen with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (index, weight) in weights.iter().enumerate() {
            if target < *weight {
                return index;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// One element of a non-empty slice, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = self.int(0, items.len() as i64 - 1).max(0) as usize;
        &items[index.min(items.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |name: &str, key: &str| {
            let mut s = Stream::new(name, key);
            (0..4).map(|_| s.unit()).collect::<Vec<_>>()
        };
        assert_eq!(draw("orders", "c-1"), draw("orders", "c-1"));
        assert_ne!(draw("orders", "c-1"), draw("orders", "c-2"));
        assert_ne!(draw("orders", "c-1"), draw("order", "sc-1"));
    }

    #[test]
    fn draws_have_the_requested_shape() {
        let mut s = Stream::new("shape", "");
        let n = 20_000;
        let mean = |values: Vec<f64>| values.iter().sum::<f64>() / values.len() as f64;
        let poisson = mean((0..n).map(|_| s.poisson(4.0) as f64).collect());
        assert!((3.9..4.1).contains(&poisson), "{poisson}");
        let large = mean((0..n).map(|_| s.poisson(100.0) as f64).collect());
        assert!((99.0..101.0).contains(&large), "{large}");
        let normal = mean((0..n).map(|_| s.normal(10.0, 2.0)).collect());
        assert!((9.9..10.1).contains(&normal), "{normal}");
        let ints: Vec<i64> = (0..n).map(|_| s.int(1, 3)).collect();
        assert!(ints.iter().all(|i| (1..=3).contains(i)));
        assert!((1..=3).all(|v| ints.contains(&v)));
        let heavy = (0..n).filter(|_| s.weighted(&[1.0, 3.0]) == 1).count();
        // Expected 3/4 of 20,000 = 15,000.
        assert!((14_500..15_500).contains(&heavy), "{heavy}");
    }
}
