//! The NTK analysis of every checkpoint of a run, and the files it writes.
//!
//! For each checkpoint: the Gram and cross NTK, their eigen-system, the linearised predictor,
//! accumulated accuracy of i = 1..n eigenfunctions on train and test, the minimum number of
//! eigenfunctions reaching `eigen_accuracy`, saliency maps and generative power of the leading
//! eigenfunctions, kernel–target alignment, the distance of the parameters from the first
//! checkpoint, the NTK's movement since the previous checkpoint and each layer's share of its
//! trace. Across checkpoints: the alignment distance between every pair (plain and centred).
//!
//! Arrays go to `analysis/` in the run folder (C checkpoints, n training points, S saliency
//! eigenfunctions):
//!
//! ```text
//! checkpoint_steps.npy                 [C]       u64
//! eigenvalues.npy                      [C, n]    f64, descending
//! accumulated_accuracy_train.npy       [C, n]    f64, entry i−1: accuracy of f_i
//! accumulated_accuracy_test.npy        [C, n]    f64
//! saliency.npy                         [C, S, d] f64
//! generative_power.npy                 [C, S]    f64 (NaN for an all-zero saliency map)
//! alignment_distance.npy               [C, C]    f64
//! alignment_distance_centred.npy       [C, C]    f64
//! w1.npy                               [C, m, d] f32, first-layer weights
//! ```
//!
//! and, with `save_kernels`, `kernels/step-NNNNNN/{gram,cross}.npy` (f64, n × n and n_test × n).

pub mod alignment;
pub mod checkpoint;

use burn::tensor::Device;
use ndarray::{Array1, Array2, Array3};

use crate::backend::{BackendKind, analysis_dtype};
use crate::error::Result;
use crate::model::Matrix;
use crate::recipe::{AnalysisConfig, KernelMethod};
use crate::results::{RunPaths, write_matrix_npy, write_npy};
use crate::task::Dataset;
use crate::training::trainer::Checkpoint;

pub use checkpoint::{AnalysisInputs, CheckpointAnalysis, CheckpointSummary, analyse_checkpoint};

/// File names of the per-run analysis arrays, relative to the run folder.
pub const ARRAY_FILES: [&str; 9] = [
    "analysis/checkpoint_steps.npy",
    "analysis/eigenvalues.npy",
    "analysis/accumulated_accuracy_train.npy",
    "analysis/accumulated_accuracy_test.npy",
    "analysis/saliency.npy",
    "analysis/generative_power.npy",
    "analysis/alignment_distance.npy",
    "analysis/alignment_distance_centred.npy",
    "analysis/w1.npy",
];

/// The analysis part of `run.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisRecord {
    /// NTK algorithm used.
    pub kernel: KernelMethod,
    /// Float type of the device computations ("f64" or "f32").
    pub precision: String,
    /// Number of eigenfunctions with saliency maps.
    pub saliency_eigenfunctions: usize,
    /// One summary per checkpoint.
    pub checkpoints: Vec<CheckpointSummary>,
    /// Array files written, relative to the run folder.
    pub arrays: Vec<String>,
}

impl AnalysisInputs {
    /// Converts a dataset to f64.
    pub fn from_dataset(data: &Dataset) -> Self {
        Self {
            x_train: Matrix::from_f32(&data.x_train, data.n_train(), data.d),
            y_train: data.y_train.iter().map(|&v| f64::from(v)).collect(),
            x_test: Matrix::from_f32(&data.x_test, data.n_test(), data.d),
            y_test: data.y_test.iter().map(|&v| f64::from(v)).collect(),
            k: data.k,
        }
    }
}

/// Analyses every checkpoint and writes the arrays; `on_checkpoint` is called after each one.
///
/// # Errors
/// [`Error::Analysis`](crate::Error::Analysis) when a kernel cannot be decomposed and
/// [`Error::Io`](crate::Error::Io) when a file cannot be written.
pub fn analyse_checkpoints(
    config: &AnalysisConfig,
    data: &Dataset,
    checkpoints: &[Checkpoint],
    device: &Device,
    backend: BackendKind,
    paths: &RunPaths,
    on_checkpoint: &mut dyn FnMut(),
) -> Result<AnalysisRecord> {
    let dtype = analysis_dtype(backend);
    let base_device = device.clone().inner();
    let inputs = AnalysisInputs::from_dataset(data);
    let first = checkpoints.first().map(|c| c.weights.flatten()).unwrap_or_default();

    let mut grams: Vec<Matrix<f64>> = Vec::with_capacity(checkpoints.len());
    let mut summaries = Vec::with_capacity(checkpoints.len());
    let mut eigenvalues = Vec::new();
    let mut accumulated_train = Vec::new();
    let mut accumulated_test = Vec::new();
    let mut saliency = Vec::new();
    let mut generative_power = Vec::new();
    let mut w1 = Vec::new();
    for checkpoint in checkpoints {
        let analysis = analyse_checkpoint(
            config,
            &inputs,
            checkpoint.step,
            &checkpoint.weights,
            &first,
            grams.last(),
            &base_device,
            dtype,
        )?;
        if config.save_kernels {
            let dir = paths.kernels_dir(checkpoint.step);
            let (gram, cross) = (&analysis.gram, &analysis.cross);
            write_matrix_npy(&dir.join("gram.npy"), gram.rows, gram.cols, gram.values.clone())?;
            write_matrix_npy(&dir.join("cross.npy"), cross.rows, cross.cols, cross.values.clone())?;
        }
        eigenvalues.extend_from_slice(&analysis.eigenvalues);
        accumulated_train.extend_from_slice(&analysis.accumulated_train);
        accumulated_test.extend_from_slice(&analysis.accumulated_test);
        saliency.extend_from_slice(&analysis.saliency.values);
        generative_power.extend_from_slice(&analysis.generative_power);
        w1.extend_from_slice(&checkpoint.weights.layers[0].values);
        summaries.push(analysis.summary);
        grams.push(analysis.gram);
        on_checkpoint();
    }

    let count = checkpoints.len();
    let n = inputs.x_train.rows;
    let d = inputs.x_train.cols;
    let width = checkpoints.first().map_or(0, |c| c.weights.layers[0].rows);
    let salient = config.saliency_eigenfunctions.min(n);
    let dir = paths.analysis_dir();
    let steps: Vec<u64> = checkpoints.iter().map(|c| c.step as u64).collect();
    write_npy(&dir.join("checkpoint_steps.npy"), &Array1::from(steps))?;
    write_matrix_npy(&dir.join("eigenvalues.npy"), count, n, eigenvalues)?;
    write_matrix_npy(&dir.join("accumulated_accuracy_train.npy"), count, n, accumulated_train)?;
    write_matrix_npy(&dir.join("accumulated_accuracy_test.npy"), count, n, accumulated_test)?;
    let saliency = Array3::from_shape_vec((count, salient, d), saliency).expect("one map per eigenfunction");
    write_npy(&dir.join("saliency.npy"), &saliency)?;
    write_matrix_npy(&dir.join("generative_power.npy"), count, salient, generative_power)?;
    for (centred, name) in [(false, "alignment_distance.npy"), (true, "alignment_distance_centred.npy")] {
        let distances = alignment::alignment_distance_matrix(&grams, centred);
        let array = Array2::from_shape_vec((count, count), distances.values).expect("C × C");
        write_npy(&dir.join(name), &array)?;
    }
    let w1 = Array3::from_shape_vec((count, width, d), w1).expect("one W_1 per checkpoint");
    write_npy(&dir.join("w1.npy"), &w1)?;

    Ok(AnalysisRecord {
        kernel: config.kernel,
        precision: if dtype == burn::tensor::DType::F64 { "f64" } else { "f32" }.to_string(),
        saliency_eigenfunctions: salient,
        checkpoints: summaries,
        arrays: ARRAY_FILES.iter().map(|s| s.to_string()).collect(),
    })
}
