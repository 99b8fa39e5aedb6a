//! The (k, d)-sparse parity task.
//!
//! Inputs are bit strings x ∈ {0,1}^d and the label is the parity of the first k bits,
//! y = (x_1 + … + x_k) mod 2. The n_train + n_test points are drawn uniformly from {0,1}^d without
//! repetition across the union, from a host RNG seeded by the run's seed, so one seed gives the same
//! data on every backend and machine.

use std::collections::HashSet;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::FieldError;

/// RNG stream of the data, so data and initial weights drawn from one seed are independent.
const DATA_STREAM: u64 = 0;

/// Size of a (k, d)-sparse parity task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseParityConfig {
    /// Number of relevant ("clean") bits; the label is their parity.
    pub k: usize,
    /// Number of input bits.
    pub d: usize,
    /// Number of training points.
    pub n_train: usize,
    /// Number of test points.
    pub n_test: usize,
}

impl SparseParityConfig {
    /// Checks that the task can be generated.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first field that is out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.d == 0 {
            return Err(FieldError::new("task.d", self.d, "must be at least 1"));
        }
        if self.k == 0 || self.k > self.d {
            return Err(FieldError::new(
                "task.k",
                self.k,
                format!("must be between 1 and task.d (= {})", self.d),
            ));
        }
        if self.n_train == 0 {
            return Err(FieldError::new("task.n_train", self.n_train, "must be at least 1"));
        }
        if self.n_test == 0 {
            return Err(FieldError::new("task.n_test", self.n_test, "must be at least 1"));
        }
        let total = self.n_train.saturating_add(self.n_test);
        let distinct_inputs = if self.d >= 64 { u128::MAX } else { 1u128 << self.d };
        if total as u128 > distinct_inputs {
            return Err(FieldError::new(
                "task.n_train + task.n_test",
                total,
                format!(
                    "must be at most 2^d = {distinct_inputs} so that all points are distinct (d = {})",
                    self.d
                ),
            ));
        }
        Ok(())
    }

    /// Draws the training and test sets for `seed`.
    ///
    /// # Errors
    /// The [`FieldError`] of [`validate`](Self::validate).
    pub fn generate(&self, seed: u64) -> Result<Dataset, FieldError> {
        self.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(DATA_STREAM);
        let total = self.n_train + self.n_test;
        let points = draw_distinct_points(&mut rng, self.d, total);

        let mut x = Vec::with_capacity(total * self.d);
        let mut y = Vec::with_capacity(total);
        for bits in &points {
            let start = x.len();
            x.extend(bits.iter().map(|&bit| f32::from(bit)));
            let ones: u32 = x[start..start + self.k].iter().map(|&v| v as u32).sum();
            y.push((ones % 2) as f32);
        }
        let split = self.n_train * self.d;
        Ok(Dataset {
            d: self.d,
            k: self.k,
            x_test: x.split_off(split),
            x_train: x,
            y_test: y.split_off(self.n_train),
            y_train: y,
        })
    }
}

/// Draws `count` distinct points of {0,1}^d uniformly, as rows of bits.
///
/// When the points are a large share of a small cube, the indices are sampled without
/// replacement. Otherwise points are drawn independently and repeats are redrawn. At most half of
/// the cube is taken then, so a point needs fewer than two draws on average.
fn draw_distinct_points(rng: &mut ChaCha8Rng, d: usize, count: usize) -> Vec<Vec<u8>> {
    let cube_size = if d >= 64 { None } else { Some(1usize << d) };
    match cube_size {
        Some(size) if d <= 24 && count * 2 > size => {
            rand::seq::index::sample(rng, size, count)
                .into_iter()
                .map(|index| (0..d).map(|bit| ((index >> bit) & 1) as u8).collect())
                .collect()
        }
        _ => {
            let mut seen = HashSet::with_capacity(count);
            let mut points = Vec::with_capacity(count);
            while points.len() < count {
                let bits: Vec<u8> = (0..d).map(|_| u8::from(rng.random::<bool>())).collect();
                if seen.insert(bits.clone()) {
                    points.push(bits);
                }
            }
            points
        }
    }
}

/// Training and test sets of a sparse parity task, as row-major f32 matrices on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Number of input bits.
    pub d: usize,
    /// Number of relevant bits.
    pub k: usize,
    /// Training inputs, n_train × d, row-major, entries 0 or 1.
    pub x_train: Vec<f32>,
    /// Training labels, 0 or 1.
    pub y_train: Vec<f32>,
    /// Test inputs, n_test × d, row-major.
    pub x_test: Vec<f32>,
    /// Test labels.
    pub y_test: Vec<f32>,
}

impl Dataset {
    /// Number of training points.
    pub fn n_train(&self) -> usize {
        self.y_train.len()
    }

    /// Number of test points.
    pub fn n_test(&self) -> usize {
        self.y_test.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(k: usize, d: usize, n_train: usize, n_test: usize) -> SparseParityConfig {
        SparseParityConfig { k, d, n_train, n_test }
    }

    #[test]
    fn small_cube_draws_without_replacement() {
        let data = config(2, 4, 10, 6).generate(3).unwrap();
        let rows: HashSet<Vec<u32>> = data
            .x_train
            .chunks(4)
            .chain(data.x_test.chunks(4))
            .map(|row| row.iter().map(|&v| v as u32).collect())
            .collect();
        assert_eq!(rows.len(), 16);
    }
}
