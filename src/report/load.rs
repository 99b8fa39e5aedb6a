//! Loading the finished runs of a recipe and grouping them by input dimension d.

use std::fs;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Array3};
use ndarray_npy::ReadNpyExt;

use crate::error::{Error, Result};
use crate::results::{RunPaths, RunRecord};

/// The analysis arrays of one run that the figures and claims use (C checkpoints, n training
/// points, S saliency eigenfunctions, m hidden units).
#[derive(Debug, Clone)]
pub struct AnalysisArrays {
    /// Checkpoint steps, C.
    pub checkpoint_steps: Vec<usize>,
    /// Accuracy of the predictor of the first i eigenfunctions on the training set, C × n.
    pub accumulated_train: Array2<f64>,
    /// The same on the test set, C × n.
    pub accumulated_test: Array2<f64>,
    /// Saliency maps, C × S × d.
    pub saliency: Array3<f64>,
    /// Generative power, C × S (NaN for an all-zero saliency map).
    pub generative_power: Array2<f64>,
    /// Alignment distance between every pair of checkpoints, C × C.
    pub alignment_distance: Array2<f64>,
    /// First-layer weights, C × m × d.
    pub w1: Array3<f32>,
}

/// A finished run: its record and, when the recipe enabled the analysis, its arrays.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    /// `run.json`.
    pub record: RunRecord,
    /// The analysis arrays; `None` when the run has no analysis.
    pub arrays: Option<AnalysisArrays>,
}

impl LoadedRun {
    /// Seed of the run.
    pub fn seed(&self) -> u64 {
        self.record.config.training.seed
    }
}

/// The runs of one input dimension d, sorted by seed.
#[derive(Debug, Clone)]
pub struct DimensionGroup {
    /// Input bits d.
    pub d: usize,
    /// Relevant bits k (of the first run; runs of a recipe share it unless k is swept).
    pub k: usize,
    /// The runs, sorted by seed and run id.
    pub runs: Vec<LoadedRun>,
}

impl DimensionGroup {
    /// The run records.
    pub fn records(&self) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().map(|run| &run.record)
    }
}

/// Every finished run of a recipe, grouped by d in increasing order.
#[derive(Debug, Clone)]
pub struct RecipeResults {
    /// Recipe name.
    pub recipe: String,
    /// The recipe's results folder `<out>/<recipe>`.
    pub folder: PathBuf,
    /// One group per d.
    pub groups: Vec<DimensionGroup>,
}

impl RecipeResults {
    /// All runs of every group.
    pub fn runs(&self) -> impl Iterator<Item = &LoadedRun> {
        self.groups.iter().flat_map(|group| group.runs.iter())
    }
}

/// Reads every finished run under `<out>/<recipe>`: each subfolder with a `run.json`. Subfolders
/// without one belong to interrupted runs and are skipped, as are `figures/` and other folders.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be listed, [`Error::Results`] when it contains no finished run
/// or when a record or analysis array is malformed.
pub fn load_recipe_results(out: &Path, recipe: &str) -> Result<RecipeResults> {
    let folder = out.join(recipe);
    if !folder.is_dir() {
        return Err(Error::Results {
            path: folder,
            message: format!(
                "folder not found; run `sweep --recipe experiments/{recipe}.toml` first, or pass the --out folder \
                 the sweep wrote to"
            ),
        });
    }
    let entries = fs::read_dir(&folder).map_err(|e| Error::io("failed to list results folder", &folder, e))?;
    let mut run_ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("failed to list results folder", &folder, e))?;
        if entry.path().join("run.json").is_file() {
            run_ids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    run_ids.sort();
    if run_ids.is_empty() {
        return Err(Error::Results {
            path: folder,
            message: format!(
                "no finished run (a subfolder with run.json); run `sweep --recipe experiments/{recipe}.toml` first, \
                 or pass the --out folder the sweep wrote to"
            ),
        });
    }

    let mut groups: Vec<DimensionGroup> = Vec::new();
    for run_id in run_ids {
        let paths = RunPaths::new(out, recipe, &run_id);
        let record = RunRecord::read(&paths.record())?;
        let arrays = match &record.analysis {
            Some(_) => Some(read_analysis_arrays(&paths)?),
            None => None,
        };
        let run = LoadedRun { record, arrays };
        // NOTE: runs are grouped by d alone, so a recipe that also sweeps another field (lr, width)
        // averages those runs together as if they were seeds.
        let d = run.record.config.task.d;
        match groups.iter_mut().find(|group| group.d == d) {
            Some(group) => group.runs.push(run),
            None => groups.push(DimensionGroup {
                d,
                k: run.record.config.task.k,
                runs: vec![run],
            }),
        }
    }
    groups.sort_by_key(|group| group.d);
    for group in &mut groups {
        group
            .runs
            .sort_by(|a, b| a.seed().cmp(&b.seed()).then_with(|| a.record.run_id.cmp(&b.record.run_id)));
    }
    Ok(RecipeResults {
        recipe: recipe.to_string(),
        folder,
        groups,
    })
}

/// Reads the arrays of `<run>/analysis/` and checks that their shapes agree.
///
/// # Errors
/// [`Error::Io`] when a file is missing and [`Error::Results`] when an array is malformed.
pub fn read_analysis_arrays(paths: &RunPaths) -> Result<AnalysisArrays> {
    let dir = paths.analysis_dir();
    let steps: Array1<u64> = read_array(&dir.join("checkpoint_steps.npy"))?;
    let arrays = AnalysisArrays {
        checkpoint_steps: steps.iter().map(|&s| s as usize).collect(),
        accumulated_train: read_array(&dir.join("accumulated_accuracy_train.npy"))?,
        accumulated_test: read_array(&dir.join("accumulated_accuracy_test.npy"))?,
        saliency: read_array(&dir.join("saliency.npy"))?,
        generative_power: read_array(&dir.join("generative_power.npy"))?,
        alignment_distance: read_array(&dir.join("alignment_distance.npy"))?,
        w1: read_array(&dir.join("w1.npy"))?,
    };
    let count = arrays.checkpoint_steps.len();
    let leading = [
        ("accumulated_accuracy_train.npy", arrays.accumulated_train.nrows()),
        ("accumulated_accuracy_test.npy", arrays.accumulated_test.nrows()),
        ("saliency.npy", arrays.saliency.shape()[0]),
        ("generative_power.npy", arrays.generative_power.nrows()),
        ("alignment_distance.npy", arrays.alignment_distance.nrows()),
        ("alignment_distance.npy", arrays.alignment_distance.ncols()),
        ("w1.npy", arrays.w1.shape()[0]),
    ];
    for (name, rows) in leading {
        if rows != count {
            return Err(Error::Results {
                path: dir.join(name),
                message: format!("{rows} checkpoints, but checkpoint_steps.npy lists {count}; rerun with --analyse-only"),
            });
        }
    }
    Ok(arrays)
}

fn read_array<A: ReadNpyExt>(path: &Path) -> Result<A> {
    let file = fs::File::open(path).map_err(|e| Error::io("failed to open", path, e))?;
    A::read_npy(std::io::BufReader::new(file)).map_err(|e| Error::Results {
        path: path.to_path_buf(),
        message: format!("{e}; rerun the analysis with --analyse-only"),
    })
}
