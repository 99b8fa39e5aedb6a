//! Key times of a grokking run, as step indices.
//!
//! - t_m: the first step with train accuracy 1 (memorisation).
//! - t_g: the first step with test accuracy ≥ `generalized_accuracy` (generalisation).
//! - t_s: the first step t ≥ t_m from which test accuracy stays above 0.5 + `onset_margin` through
//!   t_g (through the last recorded step when t_g is not reached): the onset of the rise.
//!
//! A time that is never reached is `None`, never 0 or the last step.

use crate::error::FieldError;

/// Thresholds that define the key times.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyTimesConfig {
    /// Test accuracy that counts as generalised (t_g).
    pub generalized_accuracy: f64,
    /// Margin above chance (0.5) that test accuracy keeps from t_s on.
    pub onset_margin: f64,
}

impl Default for KeyTimesConfig {
    fn default() -> Self {
        Self {
            generalized_accuracy: 1.0,
            onset_margin: 0.05,
        }
    }
}

impl KeyTimesConfig {
    /// Checks the ranges of the thresholds.
    ///
    /// # Errors
    /// A [`FieldError`] naming the field out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.generalized_accuracy > 0.5 && self.generalized_accuracy <= 1.0) {
            return Err(FieldError::new(
                "training.generalized_accuracy",
                self.generalized_accuracy,
                "must be in (0.5, 1]",
            ));
        }
        if !(self.onset_margin >= 0.0 && self.onset_margin < 0.5) {
            return Err(FieldError::new(
                "training.onset_margin",
                self.onset_margin,
                "must be in [0, 0.5)",
            ));
        }
        Ok(())
    }
}

/// The key times of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyTimes {
    /// First step with train accuracy 1.
    pub t_m: Option<usize>,
    /// Onset of the rise in test accuracy.
    pub t_s: Option<usize>,
    /// First step with test accuracy ≥ the generalised threshold.
    pub t_g: Option<usize>,
}

impl KeyTimes {
    /// Finds the key times in per-step accuracy curves (index = step).
    pub fn detect(train_accuracy: &[f64], test_accuracy: &[f64], config: KeyTimesConfig) -> Self {
        // The accuracies are ratios of counts, so 1.0 is exact; the slack only absorbs f32 sums.
        const FULL_ACCURACY: f64 = 1.0 - 1e-6;
        let t_m = train_accuracy.iter().position(|&a| a >= FULL_ACCURACY);
        let generalized = config.generalized_accuracy.min(FULL_ACCURACY);
        let t_g = test_accuracy.iter().position(|&a| a >= generalized);

        let t_s = t_m.and_then(|t_m| {
            let end = match t_g {
                Some(t_g) => t_g.max(t_m),
                None => test_accuracy.len().checked_sub(1)?,
            };
            let threshold = 0.5 + config.onset_margin;
            let window = test_accuracy.get(t_m..=end)?;
            match window.iter().rposition(|&a| a <= threshold) {
                None => Some(t_m),
                Some(last_below) if t_m + last_below < end => Some(t_m + last_below + 1),
                Some(_) => None,
            }
        });
        KeyTimes { t_m, t_s, t_g }
    }
}
