//! Full-batch training: loss, Adam, key times and the training loop.

pub mod adam;
pub mod gradient;
pub mod key_times;
pub mod loss;
pub mod trainer;

pub use adam::{Adam, AdamConfig};
pub use key_times::{KeyTimes, KeyTimesConfig};
pub use loss::{RegularisationConfig, bce_with_logits, bce_with_logits_per_element, penalty};
pub use trainer::{Checkpoint, StepMetrics, Trainer, TrainingConfig, TrainingObserver, TrainingOutcome, TrainingStatus, train};
