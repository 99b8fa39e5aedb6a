//! The full-batch training loop.
//!
//! Step t evaluates the parameters θ_t reached after t updates: the forward pass of the update
//! from θ_t to θ_{t+1} gives the train metrics of step t, and a forward pass over the test set gives
//! its test metrics. Step 0 is the initialisation and step `steps` the final parameters, so a run
//! records `steps + 1` rows. Checkpoint steps hand θ_t to the observer before the update.

use burn::tensor::{DType, Device};

use crate::error::Result;
use crate::model::{HostWeights, Mlp, MlpConfig};
use crate::task::Dataset;
use crate::training::adam::{Adam, AdamConfig};
use crate::training::gradient::{FullBatch, evaluate};
use crate::training::loss::RegularisationConfig;

/// Everything the training loop needs besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingConfig {
    /// Architecture and initialisation.
    pub model: MlpConfig,
    /// Adam hyper-parameters.
    pub optimiser: AdamConfig,
    /// Weight penalties.
    pub regularisation: RegularisationConfig,
    /// Number of updates.
    pub steps: usize,
    /// Seed of the initial weights.
    pub seed: u64,
    /// Steps (ascending, each ≤ `steps`) whose parameters go to [`TrainingObserver::on_checkpoint`].
    pub checkpoints: Vec<usize>,
}

/// Metrics of the parameters at one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepMetrics {
    /// Mean binary cross-entropy on the training set.
    pub train_loss: f64,
    /// Mean binary cross-entropy on the test set.
    pub test_loss: f64,
    /// Train accuracy.
    pub train_accuracy: f64,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// λ1 Σ|θ| + λ2 Σθ²; the training objective is `train_loss + penalty`.
    pub penalty: f64,
}

impl StepMetrics {
    /// Returns whether every metric is finite.
    pub fn is_finite(&self) -> bool {
        [
            self.train_loss,
            self.test_loss,
            self.train_accuracy,
            self.test_accuracy,
            self.penalty,
        ]
        .iter()
        .all(|v| v.is_finite())
    }
}

/// Parameters at a checkpoint step.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Number of updates applied.
    pub step: usize,
    /// The weights θ_step.
    pub weights: HostWeights,
}

/// Receives progress from the training loop.
pub trait TrainingObserver {
    /// Called with the metrics of every step.
    fn on_step(&mut self, _step: usize, _metrics: &StepMetrics) {}

    /// Called at every checkpoint step; an error stops the run.
    ///
    /// # Errors
    /// Whatever the observer fails with, such as an I/O error while saving weights.
    fn on_checkpoint(&mut self, _checkpoint: &Checkpoint) -> Result<()> {
        Ok(())
    }
}

/// An observer that ignores everything.
impl TrainingObserver for () {}

/// Final status of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "status")]
pub enum TrainingStatus {
    /// All steps ran.
    Finished,
    /// A metric became NaN or infinite at `step`; training stopped there.
    Diverged {
        /// The first step with a non-finite metric.
        step: usize,
    },
}

/// Per-step metrics and the final parameters of a run.
#[derive(Debug, Clone)]
pub struct TrainingOutcome {
    /// Final status.
    pub status: TrainingStatus,
    /// Metrics of steps 0, 1, … up to the last finite step.
    pub metrics: Vec<StepMetrics>,
    /// The parameters after the last update that was applied.
    pub final_weights: HostWeights,
}

/// The state of a training run between steps: parameters, Adam moments and the batch.
pub struct Trainer {
    mlp: Mlp,
    adam: Adam,
    batch: FullBatch,
    regularisation: RegularisationConfig,
    step: usize,
}

impl Trainer {
    /// Initialises the network of `config` on `device` (f32) and uploads `data`.
    pub fn new(config: &TrainingConfig, data: &Dataset, device: &Device) -> Self {
        let dtype = DType::F32;
        let device = device.clone().inner();
        let mlp = config.model.init_weights(data.d, config.seed).to_device(&device, dtype);
        let adam = Adam::new(config.optimiser, &mlp.weights);
        Self {
            batch: FullBatch::new(data, &device, dtype),
            mlp,
            adam,
            regularisation: config.regularisation,
            step: 0,
        }
    }

    /// Number of updates applied so far: the step whose parameters the network holds.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Returns the network at the current step.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// Evaluates the current parameters and, when `update` is set, applies one Adam update.
    /// Returns the metrics of the parameters before the update.
    pub fn evaluate(&mut self, update: bool) -> StepMetrics {
        let evaluation = evaluate(&self.mlp, &self.batch, self.regularisation);
        let values = evaluation
            .summary
            .try_into_vec_as::<f64>()
            .expect("metrics read back from the device");
        let metrics = StepMetrics {
            train_loss: values[0],
            train_accuracy: 1.0 - values[1],
            test_loss: values[2],
            test_accuracy: 1.0 - values[3],
            penalty: values[4],
        };
        if update && metrics.is_finite() {
            let weights = std::mem::take(&mut self.mlp.weights);
            self.mlp.weights = self.adam.update(weights, evaluation.gradients);
            self.step += 1;
        }
        metrics
    }
}

/// Trains an MLP on `data` with full-batch Adam on `device`, in f32.
///
/// # Errors
/// Only what the observer returns; a diverging run is a [`TrainingStatus::Diverged`] outcome.
pub fn train(
    config: &TrainingConfig,
    data: &Dataset,
    device: &Device,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainingOutcome> {
    let mut trainer = Trainer::new(config, data, device);
    let mut metrics = Vec::with_capacity(config.steps + 1);
    let mut next_checkpoint = config.checkpoints.iter().copied().peekable();

    for step in 0..=config.steps {
        while next_checkpoint.next_if(|&c| c < step).is_some() {}
        if next_checkpoint.next_if_eq(&step).is_some() {
            observer.on_checkpoint(&Checkpoint {
                step,
                weights: trainer.mlp().to_host(),
            })?;
        }
        let row = trainer.evaluate(step < config.steps);
        if !row.is_finite() {
            return Ok(TrainingOutcome {
                status: TrainingStatus::Diverged { step },
                metrics,
                final_weights: trainer.mlp().to_host(),
            });
        }
        observer.on_step(step, &row);
        metrics.push(row);
    }

    Ok(TrainingOutcome {
        status: TrainingStatus::Finished,
        final_weights: trainer.mlp().to_host(),
        metrics,
    })
}
