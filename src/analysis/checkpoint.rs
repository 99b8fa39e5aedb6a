//! Everything computed from the NTK at one checkpoint.

use std::time::Instant;

use burn::tensor::{DType, Device};

use crate::eigen::{EigenSystem, accumulated_accuracy, min_eigenfunctions};
use crate::error::{Error, Result};
use crate::model::{HostWeights, Matrix};
use crate::ntk::kernel::{ContractionNtk, Kernel, StructuredNtk, layer_traces};
use crate::ntk::saliency::eigenfunction_saliency;
use crate::recipe::{AnalysisConfig, KernelMethod};

use super::alignment::kernel_target_alignment;

/// Inputs shared by the analyses of all checkpoints of a run, in f64.
pub struct AnalysisInputs {
    /// Training inputs (n × d).
    pub x_train: Matrix<f64>,
    /// Training labels.
    pub y_train: Vec<f64>,
    /// Test inputs (n_test × d).
    pub x_test: Matrix<f64>,
    /// Test labels.
    pub y_test: Vec<f64>,
    /// Number of relevant bits k.
    pub k: usize,
}

/// Accuracy and mean squared error of the linearised predictor f_lin(x) = Θ(x, X) Θ⁺ y.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinearisedMetrics {
    /// Accuracy on the training set (prediction 1{f_lin > 0.5}).
    pub train_accuracy: f64,
    /// Accuracy on the test set.
    pub test_accuracy: f64,
    /// Mean of (f_lin(x) − y)² on the training set.
    pub train_mse: f64,
    /// Mean of (f_lin(x) − y)² on the test set.
    pub test_mse: f64,
}

/// Spectrum summary of the Gram matrix.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpectrumSummary {
    /// ω_1.
    pub max_eigenvalue: f64,
    /// ω_n (slightly negative values are round-off).
    pub min_eigenvalue: f64,
    /// ω_1 / ω_n; null when ω_n ≤ 0.
    pub condition_number: Option<f64>,
    /// Eigenvalues above rcond · ω_1.
    pub rank: usize,
    /// Tr Θ(X, X).
    pub trace: f64,
    /// Whether ω_n ≥ −n ε ω_1 for the unit round-off ε of the device float type.
    pub psd: bool,
}

/// The per-checkpoint summary stored in `run.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckpointSummary {
    /// Training step of the checkpoint.
    pub step: usize,
    /// Linearised predictor.
    pub linearised: LinearisedMetrics,
    /// Spectrum of the Gram matrix.
    pub spectrum: SpectrumSummary,
    /// Smallest number of eigenfunctions whose accumulated predictor reaches
    /// `eigen_accuracy` on the training set; null when none does.
    pub min_eigenfunctions_train: Option<usize>,
    /// The same on the test set.
    pub min_eigenfunctions_test: Option<usize>,
    /// Centred kernel–target alignment of the Gram matrix with the training labels.
    pub kernel_target_alignment: f64,
    /// ‖θ − θ_0‖ / ‖θ_0‖ with θ_0 the parameters at the first checkpoint.
    pub parameter_distance: f64,
    /// Alignment distance to the previous checkpoint's Gram matrix; null at the first.
    pub ntk_movement: Option<f64>,
    /// ‖K − K_prev‖_F / ‖K_prev‖_F; null at the first checkpoint.
    pub ntk_relative_change: Option<f64>,
    /// Tr Θ^{(l)} / Tr Θ for every layer l.
    pub layer_trace_shares: Vec<f64>,
    /// Wall-clock seconds of this checkpoint's analysis.
    pub seconds: f64,
}

/// A checkpoint's summary and the arrays that go to `.npy` files.
pub struct CheckpointAnalysis {
    /// The summary for `run.json`.
    pub summary: CheckpointSummary,
    /// Θ(X, X), n × n.
    pub gram: Matrix<f64>,
    /// Θ(X_test, X), n_test × n.
    pub cross: Matrix<f64>,
    /// ω_1 … ω_n.
    pub eigenvalues: Vec<f64>,
    /// Accuracy of f_i on the training set, i = 1..n.
    pub accumulated_train: Vec<f64>,
    /// Accuracy of f_i on the test set, i = 1..n.
    pub accumulated_test: Vec<f64>,
    /// Saliency maps (count × d).
    pub saliency: Matrix<f64>,
    /// Generative power (count).
    pub generative_power: Vec<f64>,
}

/// Unit round-off of the float type the kernels were computed in.
pub fn unit_roundoff(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::EPSILON,
        _ => f64::from(f32::EPSILON),
    }
}

/// Analyses the network `weights` at checkpoint `step`.
///
/// `first` contains the flattened parameters of the first checkpoint and `previous` the Gram
/// matrix of the previous checkpoint, if any.
///
/// # Errors
/// [`Error::Analysis`] when the Gram matrix is not finite or cannot be decomposed.
#[allow(clippy::too_many_arguments)]
pub fn analyse_checkpoint(
    config: &AnalysisConfig,
    inputs: &AnalysisInputs,
    step: usize,
    weights: &HostWeights,
    first: &[f32],
    previous: Option<&Matrix<f64>>,
    device: &Device,
    dtype: DType,
) -> Result<CheckpointAnalysis> {
    let started = Instant::now();
    let mlp = weights.to_device(device, dtype);
    let (gram, cross) = match config.kernel {
        KernelMethod::Structured => {
            let kernel = StructuredNtk {
                mlp: &mlp,
                tile_size: config.tile_size,
            };
            (kernel.gram(&inputs.x_train), kernel.cross(&inputs.x_test, &inputs.x_train))
        }
        KernelMethod::Contraction => {
            let kernel = ContractionNtk {
                mlp: &mlp,
                tile_size: config.tile_size,
                chunk: config.jacobian_chunk,
            };
            (kernel.gram(&inputs.x_train), kernel.cross(&inputs.x_test, &inputs.x_train))
        }
    };
    let eigen = EigenSystem::new(&gram).map_err(|error| match error {
        Error::Analysis { message, .. } => Error::Analysis { step, message },
        other => other,
    })?;
    let epsilon = unit_roundoff(dtype);
    let psd = eigen.is_psd(epsilon);
    if !psd {
        tracing::warn!(
            step,
            min_eigenvalue = eigen.min_eigenvalue(),
            tolerance = eigen.psd_tolerance(epsilon),
            "the NTK Gram matrix is not positive semi-definite beyond round-off"
        );
    }

    let alpha = eigen.coefficients(&inputs.y_train);
    let train_functions = eigen.training_eigenfunctions(config.rcond);
    let test_functions = eigen.eigenfunctions(&cross, config.rcond);
    let accumulated_train = accumulated_accuracy(&train_functions, &alpha, &inputs.y_train);
    let accumulated_test = accumulated_accuracy(&test_functions, &alpha, &inputs.y_test);
    let linearised = LinearisedMetrics {
        train_accuracy: accumulated_train.last().copied().unwrap_or(0.0),
        test_accuracy: accumulated_test.last().copied().unwrap_or(0.0),
        train_mse: predictor_mse(&train_functions, &alpha, &inputs.y_train),
        test_mse: predictor_mse(&test_functions, &alpha, &inputs.y_test),
    };

    let saliency = eigenfunction_saliency(
        &mlp,
        &inputs.x_train,
        &inputs.y_train,
        &eigen,
        config.saliency_eigenfunctions,
        config.rcond,
        inputs.k,
    );

    let traces = layer_traces(&mlp, &inputs.x_train);
    let total_trace: f64 = traces.iter().sum();
    let (ntk_movement, ntk_relative_change) = match previous {
        Some(previous) => {
            let difference: f64 = gram
                .values
                .iter()
                .zip(&previous.values)
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            let norm: f64 = previous.values.iter().map(|v| v * v).sum();
            (
                Some(super::alignment::alignment_distance(previous, &gram)),
                Some((difference / norm).sqrt()),
            )
        }
        None => (None, None),
    };

    let condition_number = eigen.condition_number();
    let summary = CheckpointSummary {
        step,
        linearised,
        spectrum: SpectrumSummary {
            max_eigenvalue: eigen.max_eigenvalue(),
            min_eigenvalue: eigen.min_eigenvalue(),
            condition_number: condition_number.is_finite().then_some(condition_number),
            rank: eigen.rank(config.rcond),
            trace: total_trace,
            psd,
        },
        min_eigenfunctions_train: min_eigenfunctions(&accumulated_train, config.eigen_accuracy),
        min_eigenfunctions_test: min_eigenfunctions(&accumulated_test, config.eigen_accuracy),
        kernel_target_alignment: kernel_target_alignment(&gram, &inputs.y_train),
        parameter_distance: parameter_distance(&weights.flatten(), first),
        ntk_movement,
        ntk_relative_change,
        layer_trace_shares: traces.iter().map(|t| t / total_trace).collect(),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(CheckpointAnalysis {
        summary,
        eigenvalues: eigen.values.clone(),
        gram,
        cross,
        accumulated_train,
        accumulated_test,
        saliency: saliency.maps,
        generative_power: saliency.generative_power,
    })
}

/// Mean of (Σ_i α_i φ̂_i(x) − y)² over the points.
fn predictor_mse(eigenfunctions: &Matrix<f64>, alpha: &[f64], labels: &[f64]) -> f64 {
    let n = eigenfunctions.cols;
    let total: f64 = labels
        .iter()
        .enumerate()
        .map(|(point, &label)| {
            let row = &eigenfunctions.values[point * n..(point + 1) * n];
            let prediction: f64 = row.iter().zip(alpha).map(|(v, a)| v * a).sum();
            (prediction - label).powi(2)
        })
        .sum();
    total / labels.len().max(1) as f64
}

/// ‖θ − θ_0‖ / ‖θ_0‖.
fn parameter_distance(theta: &[f32], theta0: &[f32]) -> f64 {
    let difference: f64 = theta
        .iter()
        .zip(theta0)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    let norm: f64 = theta0.iter().map(|&v| f64::from(v).powi(2)).sum();
    (difference / norm).sqrt()
}
