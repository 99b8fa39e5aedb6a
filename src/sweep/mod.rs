//! Running a recipe's grid of runs: resumable, in parallel, and splittable across a job array.
//!
//! A run whose `run.json` exists with the same configuration is skipped unless `force` is set.
//! A run folder without `run.json` belongs to an interrupted run, which is trained again. Runs are independent,
//! so `jobs` of them train at once and a failing run does not stop the others.

pub mod progress;
pub mod run;
pub mod table;

use std::path::PathBuf;
use std::sync::Mutex;

use crate::backend::BackendKind;
use crate::error::{Error, Result};
use crate::recipe::{Recipe, RunSpec};
use crate::results::{RunPaths, RunRecord};
use crate::training::trainer::TrainingStatus;

pub use progress::SweepProgress;
pub use run::{RunContext, analyse_run, train_run};

/// Options of a sweep: runs to execute, backend, parallelism and output folder.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Results folder (runs go to `<out>/<recipe>/<run-id>`).
    pub out: PathBuf,
    /// Backend of every run.
    pub backend: BackendKind,
    /// Runs trained at once (at least 1).
    pub jobs: usize,
    /// Retrain finished runs.
    pub force: bool,
    /// `(index, count)`: run every `count`-th grid point starting at `index`.
    pub shard: Option<(usize, usize)>,
    /// Only re-run the NTK analysis of finished runs from their saved weights.
    pub analyse_only: bool,
    /// Show progress bars.
    pub progress: bool,
}

/// Outcome of one run of a sweep.
#[derive(Debug)]
pub enum RunResult {
    /// The run was trained (or analysed) now.
    Done(Box<RunRecord>),
    /// The run had finished before and was skipped.
    Skipped(Box<RunRecord>),
    /// The run failed; the sweep went on.
    Failed(Error),
}

/// Outcome of every run of a sweep, in grid order.
#[derive(Debug)]
pub struct SweepReport {
    /// `(run id, outcome)` pairs.
    pub runs: Vec<(String, RunResult)>,
}

impl SweepReport {
    /// Number of failed runs.
    pub fn failures(&self) -> usize {
        self.runs
            .iter()
            .filter(|(_, r)| matches!(r, RunResult::Failed(_)))
            .count()
    }
}

/// Runs the selected runs of `recipe`.
///
/// # Errors
/// [`Error::Backend`] when the backend has no working device and [`Error::Argument`] for an
/// invalid shard. Errors of single runs are reported in the [`SweepReport`] instead.
pub fn run_sweep(recipe: &Recipe, options: &SweepOptions, progress: &SweepProgress) -> Result<SweepReport> {
    let (shard_index, shard_count) = options.shard.unwrap_or((0, 1));
    if shard_count == 0 || shard_index >= shard_count {
        return Err(Error::Argument {
            argument: "--shard",
            value: format!("{shard_index}/{shard_count}"),
            allowed: "I/N with N ≥ 1 and 0 ≤ I < N".to_string(),
        });
    }
    let device = options.backend.device()?;
    let selected: Vec<&RunSpec> = recipe.shard(shard_index, shard_count).collect();
    tracing::info!(
        recipe = %recipe.name,
        runs = selected.len(),
        grid = recipe.runs.len(),
        backend = %options.backend,
        jobs = options.jobs,
        "starting sweep"
    );

    let context = RunContext {
        recipe: &recipe.name,
        backend: options.backend,
        device: &device,
        out: &options.out,
    };
    let queue = Mutex::new(selected.iter().enumerate());
    let results: Mutex<Vec<(usize, String, RunResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("no worker panics holding the queue").next();
                    let Some((position, spec)) = next else { break };
                    let result = execute(spec, &context, options, progress);
                    progress.finish_run(&format!("{} {}", spec.id, result_word(&result)));
                    results
                        .lock()
                        .expect("no worker panics holding the results")
                        .push((position, spec.id.clone(), result));
                }
            });
        }
    });
    let mut runs = results.into_inner().expect("workers have finished");
    runs.sort_by_key(|(position, _, _)| *position);
    Ok(SweepReport {
        runs: runs.into_iter().map(|(_, id, result)| (id, result)).collect(),
    })
}

fn result_word(result: &RunResult) -> &'static str {
    match result {
        RunResult::Done(record) => match record.status {
            TrainingStatus::Finished => "finished",
            TrainingStatus::Diverged { .. } => "diverged",
        },
        RunResult::Skipped(_) => "skipped",
        RunResult::Failed(_) => "failed",
    }
}

/// Executes one run, converting its errors into [`RunResult::Failed`].
fn execute(spec: &RunSpec, context: &RunContext<'_>, options: &SweepOptions, progress: &SweepProgress) -> RunResult {
    let paths = RunPaths::new(context.out, context.recipe, &spec.id);
    if !options.force && !options.analyse_only {
        match previous_record(spec, &paths) {
            Ok(Some(record)) => {
                tracing::info!(run = %spec.id, "skipping finished run");
                return RunResult::Skipped(Box::new(record));
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(run = %spec.id, %error, "run failed");
                return RunResult::Failed(error);
            }
        }
    }

    let bar = progress.start_run(&spec.id, spec.config.training.steps);
    let outcome = if options.analyse_only {
        tracing::info!(run = %spec.id, "analysing run from saved weights");
        analyse_run(spec, context, Some(&bar))
    } else {
        tracing::info!(run = %spec.id, seed = spec.config.training.seed, "starting run");
        train_run(spec, context, Some(&bar))
    };
    bar.finish();
    match outcome {
        Ok(record) => {
            match record.status {
                TrainingStatus::Finished if options.analyse_only => tracing::info!(
                    run = %spec.id,
                    seconds = format!("{:.1}", record.timings.analysis_seconds),
                    "analysis finished"
                ),
                TrainingStatus::Finished => tracing::info!(
                    run = %spec.id,
                    seconds = format!("{:.1}", record.timings.total_seconds),
                    steps_per_second = format!("{:.0}", record.timings.steps_per_second),
                    "run finished"
                ),
                TrainingStatus::Diverged { step } => {
                    tracing::warn!(run = %spec.id, step, "run diverged: non-finite loss")
                }
            }
            RunResult::Done(Box::new(record))
        }
        Err(error) => {
            tracing::error!(run = %spec.id, %error, "run failed");
            RunResult::Failed(error)
        }
    }
}

/// Reads the record of a finished run with the same configuration, if there is one.
///
/// # Errors
/// [`Error::Results`] when the run finished with another configuration.
fn previous_record(spec: &RunSpec, paths: &RunPaths) -> Result<Option<RunRecord>> {
    let path = paths.record();
    if !path.exists() {
        return Ok(None);
    }
    let record = RunRecord::read(&path)?;
    if record.config == spec.config {
        return Ok(Some(record));
    }
    let mut trained_alike = record.config.clone();
    trained_alike.analysis = spec.config.analysis.clone();
    let message = if trained_alike == spec.config {
        "the run finished with other [analysis] settings than the recipe now gives; rerun with \
         --analyse-only to redo the analysis from the saved weights, or with --force to retrain"
    } else {
        "the run finished with another configuration than the recipe now gives; rerun with --force \
         to overwrite it, or use another --out folder"
    };
    Err(Error::Results {
        path,
        message: message.to_string(),
    })
}
