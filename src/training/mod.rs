//! Full-batch training: loss, Adam, key times and the training loop.

pub mod adam;
pub mod gradient;
pub mod key_times;
pub mod loss;
pub mod trainer;

pub use adam::{Adam, AdamConfig};
pub use key_times::{KeyTimes, KeyTimesConfig};
pub use loss::{RegularisationConfig, accuracy, bce_with_logits, penalty};
pub use trainer::{Checkpoint, StepMetrics, Trainer, TrainingConfig, TrainingObserver, TrainingOutcome, TrainingStatus, train};
