//! Recipes: experiments declared as TOML files.
//!
//! A recipe has the sections `[task]`, `[model]`, `[optimiser]`, `[training]`, `[checkpoints]` and
//! `[analysis]` (see `experiments/paper.toml` for every field). Any scalar field written as a list
//! of values, such as `d = [30, 35, 40]` or `seed = [0, 1, 2]`, is an axis of a grid: the recipe
//! expands to one run per combination of values, the first axis varying slowest. Every run is
//! validated before any work starts, and every error names the field, the value and what is allowed.

pub mod analysis;
pub mod schedule;

use std::path::Path;

use toml::{Table, Value};

use crate::error::{Error, FieldError, Result};
use crate::model::{MlpConfig, Parameterisation};
use crate::task::SparseParityConfig;
use crate::training::adam::AdamConfig;
use crate::training::key_times::KeyTimesConfig;
use crate::training::loss::RegularisationConfig;
use crate::training::trainer::TrainingConfig;

pub use analysis::{AnalysisConfig, KernelMethod};
pub use schedule::{ScheduleKind, ScheduleSpec, Segment};

/// The `[optimiser]` section: Adam and the weight penalties.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimiserConfig {
    /// Learning rate.
    pub lr: f64,
    /// Adam's first-moment decay.
    pub beta1: f64,
    /// Adam's second-moment decay.
    pub beta2: f64,
    /// Adam's denominator term.
    pub eps: f64,
    /// λ1, weight of Σ|θ| in the objective.
    pub l1: f64,
    /// λ2, weight of Σθ² in the objective.
    pub l2: f64,
}

impl Default for OptimiserConfig {
    fn default() -> Self {
        let adam = AdamConfig::default();
        Self {
            lr: adam.lr,
            beta1: adam.beta1,
            beta2: adam.beta2,
            eps: adam.eps,
            l1: 1e-3,
            l2: 0.0,
        }
    }
}

impl OptimiserConfig {
    /// Returns the Adam hyper-parameters.
    pub fn adam(&self) -> AdamConfig {
        AdamConfig {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        }
    }

    /// Returns the penalty strengths.
    pub fn regularisation(&self) -> RegularisationConfig {
        RegularisationConfig {
            l1: self.l1,
            l2: self.l2,
        }
    }
}

/// The `[training]` section.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSection {
    /// Number of Adam updates.
    pub steps: usize,
    /// Seed of the data and the initial weights.
    pub seed: u64,
    /// Test accuracy that defines t_g.
    #[serde(default = "default_generalized_accuracy")]
    pub generalized_accuracy: f64,
    /// Margin above chance that defines t_s.
    #[serde(default = "default_onset_margin")]
    pub onset_margin: f64,
}

fn default_generalized_accuracy() -> f64 {
    KeyTimesConfig::default().generalized_accuracy
}

fn default_onset_margin() -> f64 {
    KeyTimesConfig::default().onset_margin
}

fn default_model() -> MlpConfig {
    MlpConfig {
        depth: 2,
        width: 64,
        parameterisation: Parameterisation::Standard,
        sigma_init: 1.0,
    }
}

/// The fully resolved configuration of one run: one point of a recipe's grid.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The sparse parity task.
    pub task: SparseParityConfig,
    /// The MLP (default: depth 2, width 64, standard, σ_init = 1, as in the paper's appendix B).
    #[serde(default = "default_model")]
    pub model: MlpConfig,
    /// Adam and penalties (default: lr 0.03, β (0.9, 0.999), ε 1e-8, λ1 1e-3, as in the paper's
    /// appendix B).
    #[serde(default)]
    pub optimiser: OptimiserConfig,
    /// Steps, seed and key-time thresholds.
    pub training: TrainingSection,
    /// When weights are saved and analysed.
    pub checkpoints: ScheduleSpec,
    /// The per-checkpoint NTK analysis.
    #[serde(default)]
    pub analysis: AnalysisConfig,
}

impl RunConfig {
    /// Validates every field and returns the checkpoint steps.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first invalid field.
    pub fn validate(&self) -> Result<Vec<usize>, FieldError> {
        self.task.validate()?;
        self.model.validate()?;
        self.optimiser.adam().validate()?;
        self.optimiser.regularisation().validate()?;
        self.key_times().validate()?;
        if self.training.steps == 0 {
            return Err(FieldError::new("training.steps", 0, "must be at least 1"));
        }
        self.analysis.validate(self.task.n_train)?;
        self.checkpoints.steps(self.training.steps)
    }

    /// Thresholds of the key times.
    pub fn key_times(&self) -> KeyTimesConfig {
        KeyTimesConfig {
            generalized_accuracy: self.training.generalized_accuracy,
            onset_margin: self.training.onset_margin,
        }
    }

    /// Builds the training-loop configuration with the given checkpoint steps.
    pub fn training_config(&self, checkpoints: Vec<usize>) -> TrainingConfig {
        TrainingConfig {
            model: self.model.clone(),
            optimiser: self.optimiser.adam(),
            regularisation: self.optimiser.regularisation(),
            steps: self.training.steps,
            seed: self.training.seed,
            checkpoints,
        }
    }
}

/// A field swept by a recipe and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Dotted path of the field, such as `task.d`.
    pub field: String,
    /// The values, in recipe order.
    pub values: Vec<Value>,
}

/// One run of a recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// Position in the grid (0-based), used by `--shard`.
    pub index: usize,
    /// Folder name of the run, built from its values on the swept axes, such as `d35-seed0`.
    pub id: String,
    /// The resolved configuration.
    pub config: RunConfig,
    /// Checkpoint steps, ascending, with 0 and the final step.
    pub checkpoint_steps: Vec<usize>,
}

/// A parsed and validated recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// Name of the recipe: the results folder `results/<name>/`.
    pub name: String,
    /// Swept fields.
    pub axes: Vec<Axis>,
    /// Every run of the grid, in grid order.
    pub runs: Vec<RunSpec>,
}

impl Recipe {
    /// Reads, expands and validates a recipe file; the name defaults to the file stem.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::RecipeSyntax`] for TOML or schema
    /// errors, and [`Error::Field`] for values out of range.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("failed to read recipe", path, e))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "recipe".to_string());
        Self::parse(&text, &stem).map_err(|error| match error {
            Error::RecipeSyntax { message, .. } => Error::RecipeSyntax {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses, expands and validates recipe text; `default_name` is used when it sets no `name`.
    ///
    /// # Errors
    /// [`Error::RecipeSyntax`] for TOML or schema errors and [`Error::Field`] for values out of
    /// range.
    pub fn parse(text: &str, default_name: &str) -> Result<Self> {
        let syntax = |message: String| Error::RecipeSyntax {
            path: "<recipe>".into(),
            message,
        };
        let mut root: Table = text.parse().map_err(|e: toml::de::Error| syntax(e.to_string()))?;
        let name = match root.remove("name") {
            None => default_name.to_string(),
            Some(Value::String(name)) => name,
            Some(other) => return Err(FieldError::new("name", other, "must be a string").into()),
        };
        validate_name(&name)?;

        let mut axes = Vec::new();
        collect_axes(&root, "", &mut axes)?;
        let total: usize = axes.iter().map(|a| a.values.len()).product();

        let mut runs = Vec::with_capacity(total);
        for index in 0..total {
            let mut point = root.clone();
            let mut labels = Vec::new();
            let mut remainder = index;
            for axis in axes.iter().rev() {
                let choice = remainder % axis.values.len();
                remainder /= axis.values.len();
                set_path(&mut point, &axis.field, axis.values[choice].clone());
                let leaf = axis.field.rsplit('.').next().unwrap_or(&axis.field);
                labels.push(format!("{leaf}{}", label(&axis.values[choice])));
            }
            labels.reverse();
            let id = if labels.is_empty() {
                "run".to_string()
            } else {
                labels.join("-")
            };

            let config: RunConfig = serde_path_to_error::deserialize(Value::Table(point))
                .map_err(|e| syntax(format!("field `{}`: {}", e.path(), e.inner())))?;
            let checkpoint_steps = config.validate().map_err(|e| in_run(e, &id, total))?;
            runs.push(RunSpec {
                index,
                id,
                config,
                checkpoint_steps,
            });
        }
        Ok(Recipe { name, axes, runs })
    }

    /// Selects the runs of shard `index` of `count`: every `count`-th run starting at `index`.
    pub fn shard(&self, index: usize, count: usize) -> impl Iterator<Item = &RunSpec> {
        self.runs.iter().skip(index).step_by(count.max(1))
    }
}

/// Adds the run to an error's field when the recipe has several runs.
fn in_run(mut error: FieldError, id: &str, total: usize) -> FieldError {
    if total > 1 {
        error.allowed = format!("{} (in run {id})", error.allowed);
    }
    error
}

fn validate_name(name: &str) -> Result<(), FieldError> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "name",
            format!("{name:?}"),
            "must be a non-empty folder name of letters, digits, '-', '_' and '.'",
        ))
    }
}

/// Finds the lists of scalars (the swept fields) outside `[checkpoints]`.
fn collect_axes(table: &Table, prefix: &str, axes: &mut Vec<Axis>) -> Result<(), FieldError> {
    for (key, value) in table {
        let field = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Table(inner) if field != "checkpoints" => collect_axes(inner, &field, axes)?,
            Value::Array(items) if field != "checkpoints" && !field.starts_with("checkpoints.") => {
                if items.is_empty() {
                    return Err(FieldError::new(field, "[]", "a list of values must contain at least one value"));
                }
                if let Some(bad) = items.iter().find(|v| matches!(v, Value::Array(_) | Value::Table(_))) {
                    return Err(FieldError::new(field, bad, "a swept field takes a list of plain values"));
                }
                axes.push(Axis {
                    field,
                    values: items.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn set_path(table: &mut Table, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_string(), value);
            return;
        }
        current = match current.get_mut(part) {
            Some(Value::Table(inner)) => inner,
            _ => unreachable!("axes are collected from existing tables"),
        };
    }
}

/// Folder-safe text of a swept value.
fn label(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._+-".contains(c) { c } else { '_' })
        .collect()
}
