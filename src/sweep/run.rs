//! One run of a recipe: data, training, checkpoints, analysis and the record.

use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use burn::tensor::Device;

use crate::analysis::analyse_checkpoints;
use crate::backend::BackendKind;
use crate::error::{Error, Result};
use crate::recipe::RunSpec;
use crate::results::{
    MachineInfo, MetricSeries, RECORD_FORMAT, RunPaths, RunRecord, Timings, read_dataset, read_weights,
    write_dataset, write_weights,
};
use crate::sweep::progress::RunProgress;
use crate::training::key_times::KeyTimes;
use crate::training::trainer::{Checkpoint, StepMetrics, TrainingObserver, TrainingStatus, train};

/// Recipe, backend, device and results folder of a run.
#[derive(Clone)]
pub struct RunContext<'a> {
    /// Recipe name (the results subfolder).
    pub recipe: &'a str,
    /// Backend name recorded in the results.
    pub backend: BackendKind,
    /// Device of that backend.
    pub device: &'a Device,
    /// Results folder.
    pub out: &'a Path,
}

/// Saves each checkpoint's weights and keeps them for the analysis.
struct CheckpointSaver<'a> {
    paths: &'a RunPaths,
    checkpoints: Vec<Checkpoint>,
    progress: Option<&'a RunProgress>,
}

impl TrainingObserver for CheckpointSaver<'_> {
    fn on_step(&mut self, step: usize, metrics: &StepMetrics) {
        if let Some(progress) = self.progress {
            progress.training_step(step, metrics);
        }
    }

    fn on_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        write_weights(self.paths, checkpoint.step, &checkpoint.weights)?;
        self.checkpoints.push(checkpoint.clone());
        Ok(())
    }
}

/// Trains a run from scratch, analyses its checkpoints and writes its record.
///
/// Any earlier folder of the run is removed first.
///
/// # Errors
/// [`Error::Io`] when results cannot be written, and analysis errors. A diverging run is not an
/// error: its record has status `diverged`.
pub fn train_run(spec: &RunSpec, context: &RunContext<'_>, progress: Option<&RunProgress>) -> Result<RunRecord> {
    let started = Instant::now();
    let started_unix_seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let paths = RunPaths::new(context.out, context.recipe, &spec.id);
    if paths.root.exists() {
        std::fs::remove_dir_all(&paths.root).map_err(|e| Error::io("failed to remove", &paths.root, e))?;
    }
    std::fs::create_dir_all(&paths.root).map_err(|e| Error::io("failed to create folder", &paths.root, e))?;

    let config = &spec.config;
    let data = config.task.generate(config.training.seed)?;
    write_dataset(&paths, &data)?;

    let mut saver = CheckpointSaver {
        paths: &paths,
        checkpoints: Vec::new(),
        progress,
    };
    let training_config = config.training_config(spec.checkpoint_steps.clone());
    let outcome = train(&training_config, &data, context.device, &mut saver)?;
    let training_seconds = started.elapsed().as_secs_f64();

    let metrics = MetricSeries::from_rows(&outcome.metrics);
    let key_times = KeyTimes::detect(&metrics.train_accuracy, &metrics.test_accuracy, config.key_times());

    let analysis_started = Instant::now();
    let analysis = if config.analysis.enabled && outcome.status == TrainingStatus::Finished {
        if let Some(progress) = progress {
            progress.start_analysis(saver.checkpoints.len());
        }
        Some(analyse_checkpoints(
            &config.analysis,
            &data,
            &saver.checkpoints,
            context.device,
            context.backend,
            &paths,
            &mut || {
                if let Some(progress) = progress {
                    progress.analysed_checkpoint();
                }
            },
        )?)
    } else {
        None
    };
    let analysis_seconds = analysis_started.elapsed().as_secs_f64();

    let steps_run = metrics.len().saturating_sub(1).max(1);
    let record = RunRecord {
        format: RECORD_FORMAT,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        recipe: context.recipe.to_string(),
        run_id: spec.id.clone(),
        backend: context.backend,
        machine: MachineInfo::current(),
        started_unix_seconds,
        config: config.clone(),
        checkpoint_steps: saver.checkpoints.iter().map(|c| c.step).collect(),
        status: outcome.status,
        timings: Timings {
            training_seconds,
            analysis_seconds,
            total_seconds: started.elapsed().as_secs_f64(),
            steps_per_second: steps_run as f64 / training_seconds.max(f64::MIN_POSITIVE),
        },
        key_times,
        metrics,
        analysis,
    };
    record.write(&paths.record())?;
    Ok(record)
}

/// Re-runs the NTK analysis of a finished run from its saved data and weights.
///
/// # Errors
/// [`Error::Results`] when the run has no record, was made with another configuration, or did
/// not finish; [`Error::Io`] when files are missing.
pub fn analyse_run(spec: &RunSpec, context: &RunContext<'_>, progress: Option<&RunProgress>) -> Result<RunRecord> {
    let paths = RunPaths::new(context.out, context.recipe, &spec.id);
    let record_path = paths.record();
    if !record_path.exists() {
        return Err(Error::Results {
            path: record_path,
            message: "the run has not finished training; run the sweep without --analyse-only first".to_string(),
        });
    }
    let mut record = RunRecord::read(&record_path)?;
    if record.config.task != spec.config.task
        || record.config.model != spec.config.model
        || record.config.training.seed != spec.config.training.seed
    {
        return Err(Error::Results {
            path: record_path,
            message: "the run was trained with another task, model or seed than the recipe gives; retrain it with --force".to_string(),
        });
    }
    if record.status != TrainingStatus::Finished {
        return Err(Error::Results {
            path: record_path,
            message: "the run diverged, so it has no checkpoints to analyse".to_string(),
        });
    }
    let data = read_dataset(&paths, spec.config.task.k)?;
    let architecture = spec.config.model.architecture(data.d);
    let checkpoints = record
        .checkpoint_steps
        .iter()
        .map(|&step| {
            Ok(Checkpoint {
                step,
                weights: read_weights(&paths, step, &architecture)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let started = Instant::now();
    if let Some(progress) = progress {
        progress.start_analysis(checkpoints.len());
    }
    let analysis = analyse_checkpoints(
        &spec.config.analysis,
        &data,
        &checkpoints,
        context.device,
        context.backend,
        &paths,
        &mut || {
            if let Some(progress) = progress {
                progress.analysed_checkpoint();
            }
        },
    )?;
    record.config.analysis = spec.config.analysis.clone();
    record.analysis = Some(analysis);
    record.timings.analysis_seconds = started.elapsed().as_secs_f64();
    record.timings.total_seconds = record.timings.training_seconds + record.timings.analysis_seconds;
    record.write(&record_path)?;
    Ok(record)
}
