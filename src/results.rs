//! The results folder: one folder per run, JSON records and `.npy` arrays.
//!
//! ```text
//! results/<recipe>/<run-id>/
//!   run.json                             configuration, status, timings, metrics, key times, analysis
//!   data/{x_train,y_train,x_test,y_test}.npy        f32; x: n × d, y: n
//!   weights/step-NNNNNN/layer<l>.npy     f32 W_l (m_l × m_{l-1}) at every checkpoint, l = 1..L
//! ```
//!
//! `run.json` is written last, through a temporary file and a rename, so a run folder without it
//! belongs to a run that did not finish and is redone by the next sweep.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

use crate::backend::BackendKind;
use crate::error::{Error, Result};
use crate::model::{Architecture, HostWeights, Matrix};
use crate::recipe::RunConfig;
use crate::task::Dataset;
use crate::training::key_times::KeyTimes;
use crate::training::trainer::{StepMetrics, TrainingStatus};

/// Version of the `run.json` layout.
pub const RECORD_FORMAT: u32 = 1;

/// Paths inside one run folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPaths {
    /// The run folder `results/<recipe>/<run-id>`.
    pub root: PathBuf,
}

impl RunPaths {
    /// Paths of run `run_id` of recipe `recipe` under the results folder `out`.
    pub fn new(out: &Path, recipe: &str, run_id: &str) -> Self {
        Self {
            root: out.join(recipe).join(run_id),
        }
    }

    /// Returns the path of the run record.
    pub fn record(&self) -> PathBuf {
        self.root.join("run.json")
    }

    /// Returns the folder of the data arrays.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Returns the folder of the weights at checkpoint `step`.
    pub fn weights_dir(&self, step: usize) -> PathBuf {
        self.root.join("weights").join(step_folder(step))
    }

    /// Returns the folder of the kernels at checkpoint `step`.
    pub fn kernels_dir(&self, step: usize) -> PathBuf {
        self.root.join("kernels").join(step_folder(step))
    }

    /// Returns the folder of the per-run analysis arrays.
    pub fn analysis_dir(&self) -> PathBuf {
        self.root.join("analysis")
    }
}

/// `step-NNNNNN`, the folder name of a checkpoint.
pub fn step_folder(step: usize) -> String {
    format!("step-{step:06}")
}

/// Per-step metric columns, index = step.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricSeries {
    /// Mean BCE on the training set.
    pub train_loss: Vec<f64>,
    /// Mean BCE on the test set.
    pub test_loss: Vec<f64>,
    /// Train accuracy.
    pub train_accuracy: Vec<f64>,
    /// Test accuracy.
    pub test_accuracy: Vec<f64>,
    /// λ1 Σ|θ| + λ2 Σθ².
    pub penalty: Vec<f64>,
}

impl MetricSeries {
    /// Splits step rows into columns.
    pub fn from_rows(rows: &[StepMetrics]) -> Self {
        Self {
            train_loss: rows.iter().map(|r| r.train_loss).collect(),
            test_loss: rows.iter().map(|r| r.test_loss).collect(),
            train_accuracy: rows.iter().map(|r| r.train_accuracy).collect(),
            test_accuracy: rows.iter().map(|r| r.test_accuracy).collect(),
            penalty: rows.iter().map(|r| r.penalty).collect(),
        }
    }

    /// Number of recorded steps.
    pub fn len(&self) -> usize {
        self.train_loss.len()
    }

    /// Returns whether no step was recorded.
    pub fn is_empty(&self) -> bool {
        self.train_loss.is_empty()
    }
}

/// Wall-clock times of a run, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// Training, including checkpoint saving.
    pub training_seconds: f64,
    /// NTK analysis of all checkpoints.
    pub analysis_seconds: f64,
    /// Whole run.
    pub total_seconds: f64,
    /// Training steps per second.
    pub steps_per_second: f64,
}

/// Host that produced a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MachineInfo {
    /// Operating system.
    pub os: String,
    /// CPU architecture.
    pub arch: String,
    /// Logical CPUs.
    pub cpus: usize,
}

impl MachineInfo {
    /// Describes this machine.
    pub fn current() -> Self {
        Self {
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Everything `run.json` contains.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// Layout version, [`RECORD_FORMAT`].
    pub format: u32,
    /// Version of this crate.
    pub crate_version: String,
    /// Recipe name.
    pub recipe: String,
    /// Run folder name.
    pub run_id: String,
    /// Backend that trained the run.
    pub backend: BackendKind,
    /// Host that trained the run.
    pub machine: MachineInfo,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix_seconds: f64,
    /// The resolved configuration.
    pub config: RunConfig,
    /// Checkpoint steps.
    pub checkpoint_steps: Vec<usize>,
    /// Final status of training.
    #[serde(flatten)]
    pub status: TrainingStatus,
    /// Wall-clock times.
    pub timings: Timings,
    /// t_m, t_s and t_g (null when not reached).
    pub key_times: KeyTimes,
    /// Metrics of every step.
    pub metrics: MetricSeries,
    /// Per-checkpoint NTK analysis, when the recipe enables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<crate::analysis::AnalysisRecord>,
}

impl RunRecord {
    /// Metrics of the last recorded step.
    pub fn final_metrics(&self) -> Option<StepMetrics> {
        let m = &self.metrics;
        let last = m.len().checked_sub(1)?;
        Some(StepMetrics {
            train_loss: m.train_loss[last],
            test_loss: m.test_loss[last],
            train_accuracy: m.train_accuracy[last],
            test_accuracy: m.test_accuracy[last],
            penalty: m.penalty[last],
        })
    }

    /// Reads a record.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read and [`Error::Results`] when it is not a record.
    pub fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).map_err(|e| Error::io("failed to read", path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::Results {
            path: path.to_path_buf(),
            message: format!("{e}; delete the run folder or rerun with --force"),
        })
    }

    /// Writes the record atomically.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("a run record always serialises");
        write_atomically(path, |writer| writer.write_all(&json))
    }
}

/// Writes a file through a temporary file in the same folder and a rename, so readers see the
/// old file or the complete new one, never a partial one.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be created or the file cannot be written or renamed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io("failed to create folder", parent, e))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let file = fs::File::create(&temporary).map_err(|e| Error::io("failed to create", &temporary, e))?;
    let mut writer = BufWriter::new(file);
    write(&mut writer)
        .and_then(|()| writer.flush())
        .map_err(|e| Error::io("failed to write", &temporary, e))?;
    drop(writer);
    fs::rename(&temporary, path).map_err(|e| Error::io("failed to rename into", path, e))
}

/// Writes any ndarray array as `.npy`, atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_npy<A: WriteNpyExt>(path: &Path, array: &A) -> Result<()> {
    write_atomically(path, |writer| {
        array
            .write_npy(writer)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
}

/// Writes a row-major matrix as a 2-D `.npy` array.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_matrix_npy<T>(path: &Path, rows: usize, cols: usize, values: Vec<T>) -> Result<()>
where
    T: Clone + ndarray_npy::WritableElement,
{
    let array = Array2::from_shape_vec((rows, cols), values).expect("values fill rows × cols");
    write_npy(path, &array)
}

/// Writes `data/{x_train,y_train,x_test,y_test}.npy`.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
pub fn write_dataset(paths: &RunPaths, data: &Dataset) -> Result<()> {
    let dir = paths.data_dir();
    write_matrix_npy(&dir.join("x_train.npy"), data.n_train(), data.d, data.x_train.clone())?;
    write_npy(&dir.join("y_train.npy"), &Array1::from(data.y_train.clone()))?;
    write_matrix_npy(&dir.join("x_test.npy"), data.n_test(), data.d, data.x_test.clone())?;
    write_npy(&dir.join("y_test.npy"), &Array1::from(data.y_test.clone()))
}

/// Writes `weights/step-NNNNNN/layer<l>.npy` for every layer.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
pub fn write_weights(paths: &RunPaths, step: usize, weights: &HostWeights) -> Result<()> {
    let dir = paths.weights_dir(step);
    for (index, w) in weights.layers.iter().enumerate() {
        write_matrix_npy(&dir.join(format!("layer{}.npy", index + 1)), w.rows, w.cols, w.values.clone())?;
    }
    Ok(())
}

/// Reads the weights of checkpoint `step` for `architecture`.
///
/// # Errors
/// [`Error::Io`] when a file is missing and [`Error::Results`] when its shape does not match.
pub fn read_weights(paths: &RunPaths, step: usize, architecture: &Architecture) -> Result<HostWeights> {
    let dir = paths.weights_dir(step);
    let mut layers = Vec::with_capacity(architecture.depth());
    for l in 1..=architecture.depth() {
        let path = dir.join(format!("layer{l}.npy"));
        let file = fs::File::open(&path).map_err(|e| Error::io("failed to open", &path, e))?;
        let array = ArrayD::<f32>::read_npy(std::io::BufReader::new(file)).map_err(|e| Error::Results {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let expected = [architecture.widths[l], architecture.widths[l - 1]];
        if array.shape() != expected {
            return Err(Error::Results {
                path,
                message: format!("shape {:?} differs from the expected {expected:?}", array.shape()),
            });
        }
        let values = array.into_dimensionality::<IxDyn>().expect("dynamic").iter().copied().collect();
        layers.push(Matrix {
            rows: expected[0],
            cols: expected[1],
            values,
        });
    }
    Ok(HostWeights {
        architecture: architecture.clone(),
        layers,
    })
}

/// Reads the data arrays of a run back.
///
/// # Errors
/// [`Error::Io`] when a file is missing and [`Error::Results`] when an array is malformed.
pub fn read_dataset(paths: &RunPaths, k: usize) -> Result<Dataset> {
    let dir = paths.data_dir();
    let read = |name: &str| -> Result<ArrayD<f32>> {
        let path = dir.join(name);
        let file = fs::File::open(&path).map_err(|e| Error::io("failed to open", &path, e))?;
        ArrayD::<f32>::read_npy(std::io::BufReader::new(file)).map_err(|e| Error::Results {
            path,
            message: e.to_string(),
        })
    };
    let x_train = read("x_train.npy")?;
    let d = x_train.shape().get(1).copied().unwrap_or(0);
    Ok(Dataset {
        d,
        k,
        x_train: x_train.iter().copied().collect(),
        y_train: read("y_train.npy")?.iter().copied().collect(),
        x_test: read("x_test.npy")?.iter().copied().collect(),
        y_test: read("y_test.npy")?.iter().copied().collect(),
    })
}
